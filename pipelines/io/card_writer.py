"""Regenerate a finished run's data card from its report, config and exported tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipelines.card import audit_section, render_card
from pipelines.config import config_from_dict, load_config
from pipelines.errors import MeritgenError
from pipelines.io.card_plots import write_card_plots


def regenerate_card(run_dir: Path, config_path: str | None = None, out: Path | None = None,
                    extra_sections: list[str] = ()) -> Path:
    """Rewrite `<run>/export/README.md` (and its plots) from the run's files."""
    export_dir = run_dir / "export"
    if not (export_dir / "_SUCCESS.json").exists():
        raise MeritgenError(f"{run_dir} has no finished export; run `meritgen build` first")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    cfg = load_config(config_path) if config_path else config_from_dict(
        json.loads((run_dir / "config.json").read_text(encoding="utf-8")))
    queries = pads.dataset(export_dir / "data" / "queries", format="parquet").to_table()
    products = pads.dataset(export_dir / "data" / "products", format="parquet")
    products = products.to_table(columns=[n for n in products.schema.names if n != "images"])
    target = out or export_dir / "README.md"
    plots = write_card_plots(target.parent / "plots", queries, report)
    difficulty = pq.read_table(export_dir / "difficulty.parquet") if (export_dir / "difficulty.parquet").exists() else None
    if (run_dir / "audit.json").exists():  # written by `meritgen audit` (every build runs it last)
        extra_sections = [*extra_sections, audit_section(json.loads((run_dir / "audit.json").read_text(encoding="utf-8")))]
    target.write_text(render_card(report, cfg, queries, products, plots, extra_sections, difficulty), encoding="utf-8")
    return target

"""Regenerate a finished run's data card from its report, config and exported tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as pads

from pipelines.card import render_card
from pipelines.config import config_from_dict, load_config
from pipelines.errors import MeritgenError


def regenerate_card(run_dir: Path, config_path: str | None = None, out: Path | None = None) -> Path:
    export_dir = run_dir / "export"
    if not (export_dir / "_SUCCESS.json").exists():
        raise MeritgenError(f"{run_dir} has no finished export; run `meritgen build` first")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    cfg = load_config(config_path) if config_path else config_from_dict(
        json.loads((run_dir / "config.json").read_text(encoding="utf-8")))
    queries = pads.dataset(export_dir / "data" / "queries", format="parquet").to_table()
    products = pads.dataset(export_dir / "data" / "products", format="parquet").to_table(columns=["product_id"])
    target = out or export_dir / "README.md"
    target.write_text(render_card(report, cfg, queries, products), encoding="utf-8")
    return target

"""`meritgen qa apply`: fold a finished round's decisions back into the run's export.

The new export is built in a temporary folder and swapped in by the run store (the same
mechanism the build uses), so readers never see half-written shards. Files the round does not
change (product shards, rejects) are hard-linked, not copied: a large catalog's image bytes are
never rewritten. The export marker keeps its fingerprint, so a later `meritgen build` with the
same inputs skips the export and keeps the QA changes; it records the applied rounds, whose
card sections are re-rendered on every apply.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from annotation_ui.apply_logic import apply_plan, plan_changes, summarize
from annotation_ui.decisions import resolve_round, round_agreement
from annotation_ui.errors import QAError
from annotation_ui.round_data import export_dir, export_queries, refuse_stale_round, round_dir
from annotation_ui.rounds import export_decisions, open_store
from pipelines.card.qa import qa_section
from pipelines.card.writer import regenerate_card, write_card
from pipelines.config import config_from_dict
from pipelines.io import layout
from pipelines.io.export_files import verify_card
from pipelines.io.export_writer import write_shards
from pipelines.io.merit_queries import write_merit_queries
from pipelines.io.verify import verify_positive_sets
from pipelines.stages.export import split_names
from pipelines.store import RunStore, write_json

REWRITTEN = ("/".join(layout.QUERIES_PARTS), f"{layout.MERIT}/queries-", layout.CARD_FILE, "plots/", layout.MARKER)


def apply_round(run_dir: Path, name: str, partial: bool = False) -> dict:
    """Apply round `name`; returns its summary (also written to <run>/qa/<round>/summary.json)."""
    store = open_store(run_dir)
    try:
        if name not in store.rounds():
            raise QAError(f"no round {name!r}; known rounds: {', '.join(store.rounds()) or 'none'}")
        items, assignments, log = store.items(name), store.assignments(name), store.live_decisions(name)
        export_decisions(run_dir, store, name)
    finally:
        store.close()
    refuse_stale_round(run_dir, name)
    resolutions = resolve_round(assignments, log)
    summary = summarize(name, items, resolutions, round_agreement(assignments, log))
    if (summary["pending"] or summary["disagreements"]) and not partial:
        raise QAError(f"round {name!r} is not finished: {summary['pending']} queries undecided, "
                      f"{summary['disagreements']} disagreements not adjudicated. Finish them, or pass --partial "
                      "to apply the decided queries only")
    current = export_queries(run_dir)
    present = set(current.column("query_id").to_pylist())
    if items and not any(i["query_id"] in present for i in items):
        raise QAError(f"none of round {name!r}'s {len(items)} queries is in the export any more: the run was rebuilt "
                      "after the round was sampled (query ids changed). Open a new round on this export")
    queries, counts = apply_plan(current, plan_changes(items, resolutions))
    summary["applied"] = counts
    write_json(round_dir(run_dir, name) / "summary.json", summary)
    rewrite_export(run_dir, queries, name)
    return summary


def rewrite_export(run_dir: Path, queries: pa.Table, round_name: str) -> None:
    """Swap in an export holding `queries`, then re-verify positives and regenerate the card."""
    store = RunStore(run_dir)
    old = export_dir(run_dir)
    marker = store.marker("export")
    marker["qa_rounds"] = [r for r in marker.get("qa_rounds", []) if r != round_name] + [round_name]
    marker["counters"] = {**marker.get("counters", {}), "queries": queries.num_rows}
    marker["rows_out"] = {**marker.get("rows_out", {}), "queries": queries.num_rows}
    cfg = config_from_dict(json.loads((run_dir / layout.CONFIG_FILE).read_text(encoding="utf-8")))
    sections = [qa_section(_summary(run_dir, r)) for r in marker["qa_rounds"]]

    def write_files(tmp: Path) -> None:
        _link_unchanged(old, tmp)
        for split in split_names(queries):
            part = queries.filter(pc.equal(queries["split"], split))
            write_shards(part, layout.queries_dir(tmp), split, cfg.export.shard_rows, cfg.export.row_group_rows)
        if (old / layout.MERIT).exists():
            # products did not change: only the query files are rewritten (product pools only shrink)
            write_merit_queries(tmp / layout.MERIT, queries, _product_titles(old))
        # the card before the marker (as the build writes it): a kill after the swap leaves a usable export
        report = json.loads((run_dir / layout.REPORT_FILE).read_text(encoding="utf-8"))
        write_card(tmp, report, cfg, run_dir, extra_sections=sections)
        verify_card(tmp)

    store.write_dir("export", write_files, marker)
    verify_positive_sets(store)
    regenerate_card(run_dir, extra_sections=sections)
    store.refresh_views()


def _summary(run_dir: Path, name: str) -> dict:
    return json.loads((round_dir(run_dir, name) / "summary.json").read_text(encoding="utf-8"))


def _link_unchanged(old: Path, new: Path) -> None:
    """Hard-link (or copy, across devices) every export file the QA round does not rewrite."""
    for path in old.rglob("*"):
        rel = path.relative_to(old).as_posix()
        if not path.is_file() or rel.startswith(REWRITTEN):
            continue
        target = new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _product_titles(export: Path) -> dict[str, str]:
    """product_id -> title from the export's product shards (titles only: images stay on disk)."""
    table = pq.read_table(layout.products_dir(export), columns=["product_id", "title"])
    return dict(zip(table.column("product_id").to_pylist(), table.column("title").to_pylist()))

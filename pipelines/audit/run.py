"""Read a finished run's export and vocabulary, run the checks, write `<run>/audit.json`.

Reads only what a dataset user gets (export/data/*.parquet) plus the run's config.json and
the vocabulary version it names; never a stage's intermediate output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
from rich.console import Console
from rich.table import Table

from pipelines import cycle_collection
from pipelines.audit.stream import QueryAudit, run_audit
from pipelines.audit.text_process import TextChecks
from pipelines.audit.whole_export import add_checks, export_files_check
from pipelines.errors import MeritgenError
from pipelines.io import layout
from pipelines.vocab.paths import vocabulary_file

QUERY_COLUMNS = ["query_id", "category", "conditions", "positive_ids", "hard_negatives", "hard_negative_ids",
                 "images", "text", "split", "n_unverified", "language"]
PRODUCT_COLUMNS = ["product_id", "category", "attributes", "image_ids", "split"]


BATCH_ROWS = 8_192  # query rows per audit step: the audit's memory grows with this and the catalog, not the queries


def _rows(folder: Path, wanted: list[str]) -> list[dict]:
    dataset = pads.dataset(folder, format="parquet")
    return dataset.to_table(columns=[c for c in wanted if c in dataset.schema.names]).to_pylist()


def _batches(folder: Path, wanted: list[str], batch_rows: int):
    """Tables of about batch_rows rows in file and row order (as `_rows` reads them). Parquet yields one
    batch per row group (export.row_group_rows, small); they are gathered so each audit step sees many."""
    dataset = pads.dataset(folder, format="parquet")
    pending, rows = [], 0
    for batch in dataset.to_batches(columns=[c for c in wanted if c in dataset.schema.names], batch_size=batch_rows,
                                    batch_readahead=1, fragment_readahead=1):
        pending.append(batch)
        rows += batch.num_rows
        if rows >= batch_rows:
            yield pa.Table.from_batches(pending)
            pending, rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def also_meets(run_dir: Path) -> dict[str, dict[str, list[str]]]:
    """attribute -> {value: [condition values it also meets]} from the run's vocabulary."""
    return also_meets_of(run_vocabulary(run_dir))


def also_meets_of(vocabulary: dict) -> dict[str, dict[str, list[str]]]:
    return {name: spec.get("also_meets", {}) for name, spec in vocabulary.get("attributes", {}).items()}


def vocabulary_rules(vocabulary: dict) -> dict[str, dict[str, frozenset[str]]]:
    """QueryAudit's `label_only` (attribute -> values never asked for) and `required` (category -> attributes its
    every query asks for), read from the run's vocabulary document."""
    def listed(section: str, key: str) -> dict[str, frozenset[str]]:
        return {name: frozenset(spec[key]) for name, spec in vocabulary.get(section, {}).items() if spec.get(key)}
    return {"label_only": listed("attributes", "label_only"), "required": listed("categories", "required_conditions")}


def run_vocabulary(run_dir: Path) -> dict:
    config = json.loads((run_dir / layout.CONFIG_FILE).read_text(encoding="utf-8"))
    path = vocabulary_file(config["mine"]["vocabulary"])  # a shipped version or your own file
    return json.loads(path.read_text(encoding="utf-8"))


def testability_settings(run_dir: Path) -> dict:
    """`audit.min_testable_share` of the run's config (absent in runs made before it existed: the default)."""
    config = json.loads((run_dir / layout.CONFIG_FILE).read_text(encoding="utf-8"))
    share = config.get("audit", {}).get("min_testable_share")
    return {} if share is None else {"min_testable_share": share}


def audit_run(run_dir: Path, batch_rows: int = BATCH_ROWS) -> dict:
    """Audit `<run>/export`, write `<run>/audit.json` and return the result."""
    export = layout.export_dir(run_dir)
    if not layout.marker_path(export).exists() or not (export / layout.DATA).exists():
        raise MeritgenError(f"{run_dir} has no finished export; run `meritgen build` first")
    queries = layout.queries_dir(export)
    vocabulary = run_vocabulary(run_dir)  # read once: the text checks, the labels and the vocabulary rules
    with TextChecks(export, vocabulary, pads.dataset(queries, format="parquet").count_rows()) as texts, \
            cycle_collection.paused():  # rows and lookups without cycles (pipelines/cycle_collection.py)
        audit = QueryAudit(_rows(layout.products_dir(export), PRODUCT_COLUMNS), also_meets_of(vocabulary),
                           **testability_settings(run_dir), **vocabulary_rules(vocabulary))
        result = run_audit(audit, _batches(queries, QUERY_COLUMNS, batch_rows), lambda: texts.rows()["image_words"])
        add_checks(result, [export_files_check(export), texts.rows()["plain_text"]])
    result["run_dir"] = str(run_dir)
    (run_dir / layout.AUDIT_FILE).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return result


def print_audit(result: dict, console: Console) -> None:
    table = Table(title=f"meritgen audit: {'PASSED' if result['passed'] else 'FAILED'}")
    for col in ("check", "status", "checked", "failed"):
        table.add_column(col, justify="right" if col in ("checked", "failed") else "left")
    for c in result["checks"]:
        style = {"pass": "green", "fail": "bold red", "skipped": "yellow"}[c["status"]]
        table.add_row(c["name"], f"[{style}]{c['status']}[/]", str(c["checked"]), str(c["failed"]))
    console.print(table)
    leaks = {k: v for k, v in result["figures"].items() if k.startswith("shared_") or k == "outside_own_pool"}
    console.print("split leakage: " + ", ".join(f"{k}={v}" for k, v in leaks.items()), markup=False)
    for c in result["checks"]:
        if c["status"] == "fail" and c["examples"]:
            console.print(f"{c['name']} e.g. {json.dumps(c['examples'][0], ensure_ascii=False)}", markup=False)

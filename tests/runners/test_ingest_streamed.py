"""The local runner ingests a catalog a batch of rows at a time (#26 item 4): the whole catalog is never
one table, and the step's files, marker and report are those of the whole-table call."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from pipelines.config import load_config
from pipelines.io.inputs import CatalogFile
from pipelines.plan.step import file_tables
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import execute_step, local_plan
from pipelines.store import RunStore


def test_ingest_reads_the_catalog_in_batches_and_writes_the_whole_calls_files(tmp_path, monkeypatch):
    cfg = load_config(overrides={"batch_rows": 7, "workers": 1})
    catalog = DEMO_DIR / "catalog.jsonl"
    step = next(s for s in local_plan(catalog, tmp_path, cfg) if s.name == "ingest")
    whole = step.call(**file_tables(step))
    batches = []
    real = CatalogFile.batches
    monkeypatch.setattr(CatalogFile, "batches", lambda self, n: (batches.append(b.num_rows) or b for b in real(self, n)))
    monkeypatch.setattr(CatalogFile, "load", lambda self: (_ for _ in ()).throw(AssertionError("the whole catalog was read")))
    store = RunStore(tmp_path / "run")
    _, report = execute_step(step, store, {})
    rows = sum(1 for line in catalog.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(batches) == -(-rows // 7) and max(batches) == 7
    for name in ("products", "images"):
        assert store.read("ingest", name).equals(whole.outputs[name].cast(store.read("ingest", name).schema)), name
    assert pq.ParquetFile(store.stage_dir("ingest") / "products.parquet").num_row_groups >= len(batches) - 1
    marker = json.loads((store.stage_dir("ingest") / "_SUCCESS.json").read_text())
    assert marker["counters"] == whole.counters and report.rows_in == rows == whole.counters["rows_in"]

"""The export's marker, report and card state MERIT's counts as `merit/` holds them (#25): one
count per split's product pool, not the stage's every-product table."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from pipelines.io.export_files import merit_pool_rows
from pipelines.merit_layout import merit_rows_out


def _rows_on_disk(export, split: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in (export / "merit" / "products").glob(f"{split}-*.parquet"))


def test_merit_rows_out_states_the_pools_instead_of_every_product():
    assert merit_rows_out({"products": 335, "merit_products": 335, "queries": 90}, {"train": 285, "test": 48}) == {
        "products": 335, "queries": 90, "merit_products.test": 48, "merit_products.train": 285}
    assert merit_rows_out({"products": 3, "merit_products": 3}, {}) == {"products": 3}  # no MERIT layout


def test_merit_pool_rows_reads_the_written_files(tmp_path):
    assert merit_pool_rows(tmp_path) == {}  # an export without MERIT's layout states no MERIT count


def test_export_marker_and_report_count_what_merit_holds(demo_build):
    export = demo_build.run_dir / "export"
    marker = json.loads((export / "_SUCCESS.json").read_text(encoding="utf-8"))
    on_disk = {split: _rows_on_disk(export, split) for split in ("train", "test")}
    assert all(on_disk.values())
    assert {k: v for k, v in marker["rows_out"].items() if k.startswith("merit")} == {
        "merit_products.train": on_disk["train"], "merit_products.test": on_disk["test"]}
    report = json.loads((demo_build.run_dir / "report.json").read_text(encoding="utf-8"))
    export_step = next(s for s in report["steps"] if s["name"] == "export")
    assert export_step["rows_out"] == marker["rows_out"]

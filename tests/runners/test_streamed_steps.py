"""Streamed steps (#14): batches of the query table give exactly the whole-table call's output.

The local runner reads a streamed step's big input a batch at a time (`io/parquet_shards.py`)
and appends each batch's output to its files (`runners/streamed.py`), so memory is bounded by
`batch_rows`, not by the number of queries. These tests pin what makes that safe: batches
never split a base query's language rows, every batch of the file is read exactly once, and
each streamed step's files and counters equal its whole-table call on the same inputs.
"""

from __future__ import annotations

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import free_memory, schemas
from pipelines.config import load_config
from pipelines.io import parquet_shards
from pipelines.io.parquet_shards import ParquetShards
from pipelines.plan.step import file_tables, input_tables
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import local_plan, run_build
from pipelines.shards import TableShards, batch_starts, collect
from pipelines.store import RunStore


def _keyed(keys: list[str]) -> pa.Table:
    return pa.table({"base_query_id": keys, "row": list(range(len(keys)))})


@pytest.mark.parametrize(("keys", "rows", "starts"), [
    (list("aabbbc"), 2, [0, 2, 5]),     # each batch ends where a key changes, at >= 2 rows
    (list("aabbbc"), 4, [0, 5]),        # b's rows are never split, even past 4 rows
    (list("aabbbc"), 1, [0, 2, 5]),
    (list("aabbbc"), 100, [0]),
    (list("aba"), 1, [0]),              # a key in two runs: one batch, never a split base query
    ([], 5, [0]),
])
def test_batch_starts_cut_only_where_the_key_changes(keys, rows, starts):
    assert batch_starts(pa.array(keys, pa.string()), rows) == starts


def test_table_shards_batches_add_up_to_the_table():
    table = _keyed(list("aaabbcddddde"))
    batches = list(TableShards(table, 3))
    assert [b.column("base_query_id").to_pylist() for b in batches] == [list("aaa"), list("bbc"), list("ddddd"), ["e"]]
    assert pa.concat_tables(batches).equals(table)
    unkeyed = list(TableShards(table.drop_columns(["base_query_id"]), 5))
    assert [b.num_rows for b in unkeyed] == [5, 5, 2]


@pytest.mark.parametrize("read_rows", [1, 2, 7, 1000])
@pytest.mark.parametrize("batch_rows", [1, 3, 4, 50])
def test_parquet_shards_read_the_batches_table_shards_cut(tmp_path, monkeypatch, read_rows, batch_rows):
    """Whatever the file's record batches (`READ_ROWS`), each batch is the in-memory one, once."""
    monkeypatch.setattr(parquet_shards, "READ_ROWS", read_rows)
    table = _keyed(list("aaabbcddddddeffg"))
    path = tmp_path / "queries.parquet"
    pq.write_table(table, path, row_group_size=3)
    from_file = list(ParquetShards(path, batch_rows))
    in_memory = list(TableShards(table, batch_rows))
    assert [b.to_pylist() for b in from_file] == [b.to_pylist() for b in in_memory]
    assert ParquetShards(path, batch_rows).columns(["row"]).column("row").to_pylist() == list(range(16))


def test_parquet_shards_of_an_empty_or_unordered_file(tmp_path):
    empty = tmp_path / "empty.parquet"
    pq.write_table(_keyed([]), empty)
    assert [b.num_rows for b in ParquetShards(empty, 10)] == [0]
    unordered = tmp_path / "unordered.parquet"
    pq.write_table(_keyed(list("abcab")), unordered, row_group_size=2)
    assert [b.num_rows for b in ParquetShards(unordered, 1)] == [5]  # one batch: base a must not be split


def test_collect_concatenates_outputs_and_sums_counters():
    parts = [schemas.empty("reject"), schemas.empty("reject")]
    from pipelines.results import StageResult

    merged = collect([StageResult({"t": _keyed(["a"])}, parts[0], {"n": 1}),
                      StageResult({"t": _keyed(["b"]), "u": _keyed(["c"])}, parts[1], {"n": 2, "rate": 0.5})],
                     {"v": "reject"})
    assert merged.outputs["t"].column("base_query_id").to_pylist() == ["a", "b"]
    assert merged.outputs["u"].num_rows == 1 and merged.outputs["v"].num_rows == 0
    assert merged.counters == {"n": 3, "rate": 0.5}


SMALL = 23  # rows per batch: the demo's ~1,400 query rows become dozens of batches


RELEASED: list[str] = []  # who called free_memory.release during the fixture's build


@pytest.fixture(scope="module")
def small_batch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("streamed")
    cfg = load_config(overrides={"batch_rows": SMALL, "workers": 1})
    with pytest.MonkeyPatch.context() as patch:
        real = free_memory.release
        patch.setattr(free_memory, "release", lambda: RELEASED.append(sys._getframe(1).f_code.co_name) or real())
        run_build(DEMO_DIR / "catalog.jsonl", out, cfg, run_id="demo", progress=False)
    return out, cfg


def test_the_build_returns_freed_memory_after_every_step_and_every_batch(small_batch_run):
    """A step's peak stayed in the build process for every later step (2 GB after retriever_negatives
    at a million products, pipelines/free_memory.py)."""
    out, cfg = small_batch_run
    steps = local_plan(DEMO_DIR / "catalog.jsonl", out, cfg)
    batches = len(list(ParquetShards(RunStore(out / "demo").stage_dir("negatives") / "queries.parquet", SMALL)))
    assert RELEASED.count("_run_build") == len(steps)
    assert RELEASED.count("passing") > batches > 20  # every streamed step's batches, negatives' among them


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_the_demo_build_streams_every_query_step(small_batch_run):
    out, cfg = small_batch_run
    streamed = {s.name for s in local_plan(DEMO_DIR / "catalog.jsonl", out, cfg) if s.streamed is not None}
    assert streamed == {"ingest", "mine", "render", "language_check", "negatives", "passages", "caption_filter", "retriever_negatives",
                        "split", "difficulty", "export"}
    batches = list(ParquetShards(RunStore(out / "demo").stage_dir("negatives") / "queries.parquet", SMALL))
    assert len(batches) > 20 and max(b.num_rows for b in batches) < SMALL + 5  # bounded by the batch size


def test_each_streamed_step_equals_its_whole_table_call(small_batch_run):
    """Files and counters written batch by batch == the step's call on whole tables (the same
    inputs read from the run), for every streamed step of the demo build (the export's files:
    tests/io/test_export_stream.py)."""
    out, cfg = small_batch_run
    store = RunStore(out / "demo")
    for step in local_plan(DEMO_DIR / "catalog.jsonl", out, cfg):
        if step.streamed is None or step.name == "export":
            continue
        whole = step.call(**input_tables(step, store.read), **file_tables(step))
        for name, contract in step.contracts.items():
            expected = schemas.conform(whole.outputs[name], contract)
            assert store.read(step.name, name).equals(expected), (step.name, name)
        assert store.read(step.name, "rejects").equals(schemas.conform(whole.rejects, "reject")), step.name
        marker = json.loads((store.stage_dir(step.name) / "_SUCCESS.json").read_text())
        assert marker["counters"] == json.loads(json.dumps(whole.counters)), step.name


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_a_streamed_step_that_fails_midway_leaves_no_finished_stage(tmp_path, monkeypatch):
    """A kill or crash between batches: no marker, no stage folder; the rerun builds it whole."""
    import pipelines.stages.retrieval_calls as calls

    cfg = load_config(overrides={"batch_rows": SMALL, "workers": 1})
    real = calls.caption_filter_stream

    def failing(*args, **kwargs):
        for i, result in enumerate(real(*args, **kwargs)):
            if i == 3:
                raise RuntimeError("killed between batches")
            yield result

    monkeypatch.setattr(calls, "caption_filter_stream", failing)
    with pytest.raises(RuntimeError, match="killed between batches"):
        run_build(DEMO_DIR / "catalog.jsonl", tmp_path, cfg, run_id="demo", progress=False)
    store = RunStore(tmp_path / "demo")
    assert store.marker("caption_filter") is None and not store.stage_dir("caption_filter").exists()
    assert store.marker("passages") is not None
    monkeypatch.setattr(calls, "caption_filter_stream", real)
    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, cfg, run_id="demo", progress=False)
    ran = {s.name for s in report.steps if not s.skipped}
    assert "passages" not in ran and "caption_filter" in ran
    assert store.marker("caption_filter")["rows_out"]["queries"] > 0

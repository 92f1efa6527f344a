"""Passages, caption_filter and retriever_negatives run on Beam sharded by base query (issue #26).

The graph holds them as sharded transforms (batches of queries, the index and catalog tables as
side inputs), never as one whole-table call; a run cut into tiny batches still builds the local
dataset, and the caption filter's counters (rates from summed counts) are the local run's.
"""

import apache_beam as beam
import pyarrow as pa
import pytest

from pipelines.beam.pipeline import BeamSettings, build_pipeline
from pipelines.beam.run import run_beam_build
from pipelines.beam.tables import key_slices, single_rows
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from tests.beam.helpers import DIRECT_MULTI, read_parquet_dir

SHARDED = ("passages", "caption_filter", "retriever_negatives")


def test_the_retrieval_query_steps_are_sharded_transforms_not_whole_table_calls(tmp_path):
    p = beam.Pipeline()
    build_pipeline(p, str(DEMO_DIR / "catalog.jsonl"), str(tmp_path / "run"), load_config())
    labels = p.applied_labels
    for step in SHARDED:
        assert f"{step}/Batch" in labels and f"{step}/Call" in labels, step  # RunStep: batches of queries
        assert f"{step}/Once" not in labels, step  # RunGlobal: the whole query table on one worker
    # The caption filter's captions (catalog-sized) are made once, not per batch.
    assert "caption_filter_once/Once" in labels


def test_batches_never_split_a_base_querys_rows():
    keys = ["a", "a", "a", "b", "c", "c", "d", "d", "d", "d", "e"]
    table = pa.table({"base_query_id": keys, "query_id": [f"{k}{i}" for i, k in enumerate(keys)]})
    pieces = list(key_slices(table, 2))
    assert [p.column("base_query_id").to_pylist() for p in pieces] == [
        ["a", "a", "a"], ["b", "c", "c"], ["d", "d", "d", "d"], ["e"]]
    assert [p.column("base_query_id").to_pylist() for p in single_rows(table)][:2] == [["a", "a", "a"], ["b"]]
    # No key column: plain slices; a key in two runs: one piece (always correct).
    assert [p.num_rows for p in key_slices(table.drop_columns(["base_query_id"]), 4)] == [4, 4, 3]
    split_key = pa.table({"base_query_id": ["a", "b", "a"]})
    assert [p.num_rows for p in key_slices(split_key, 1)] == [3]


@pytest.mark.slow  # a Beam build of the demo: a minute or more
def test_tiny_batches_build_the_local_dataset_and_counters(tmp_path, demo_build):
    settings = BeamSettings(batch_rows=7, step_batch_rows={})  # ~1,500 query rows: hundreds of shards per step
    run = run_beam_build(str(DEMO_DIR / "catalog.jsonl"), str(tmp_path), load_config(), DIRECT_MULTI,
                         run_id="tiny", settings=settings)
    local = read_parquet_dir(demo_build.run_dir / "export" / "data" / "queries", "query_id")
    beam_rows = read_parquet_dir(tmp_path / "tiny" / "export" / "data" / "queries", "query_id")
    assert beam_rows == local and any(q["hard_negatives"] for q in beam_rows)
    steps = {s["name"]: s for s in run.report["steps"]}
    for step in demo_build.steps:
        if step.name in SHARDED:
            assert steps[step.name]["rows_out"] == {k: v for k, v in step.rows_out.items() if v}, step.name
    local_counters = next(s for s in demo_build.steps if s.name == "caption_filter").counters
    beam_counters = steps["caption_filter"]["counters"]
    assert {k: beam_counters.get(k) for k in local_counters} == pytest.approx(local_counters)
    assert local_counters["checked"] > 0 and "substitutable_rate" in beam_counters


def test_a_per_shard_step_prepares_once_per_worker_not_per_batch():
    from pipelines.beam.adapter import CallStep
    from pipelines.plan.step import PerShard, Step
    from pipelines.results import StageResult

    prepared = []

    def prepare(catalog):
        prepared.append(catalog)  # stands for loading an index
        return lambda batch: StageResult({"queries": batch.append_column("n", pa.array([catalog.num_rows] * batch.num_rows))})

    step = Step("toy", "1", {"queries": ("a", "q"), "catalog": ("b", "c")}, lambda **t: None, "d", {},
                shard_by="queries", per_shard=PerShard(prepare))
    fn = CallStep(step, "queries")
    fn.setup()
    catalog, batch = pa.table({"x": [1, 2, 3]}), pa.table({"base_query_id": ["a"]})
    for _ in range(3):
        outputs = list(fn.process(batch, catalog=catalog))
    assert len(prepared) == 1 and outputs[0].value.column("n").to_pylist() == [3]
    list(fn.process(batch, catalog=pa.table({"x": [1]})))  # other side tables (a new window): prepared again
    assert len(prepared) == 2

"""The local pool runs the sharded retrieval steps' batches on processes with the serial result."""

import pytest

from pipelines import progress, schemas
from pipelines.config import load_config
from pipelines.plan.step import file_tables, input_tables
from pipelines.resources import DEMO_DIR
from pipelines.runners import shard_pool
from pipelines.runners.local import local_plan
from pipelines.shards import TableShards, collect
from pipelines.store import RunStore

SHARDED = ("passages", "caption_filter", "retriever_negatives")


class Count:
    def __init__(self):
        self.total = self.done = 0

    def add_total(self, n):
        self.total += n

    def advance(self, n):
        self.done += n


@pytest.mark.slow  # starts three pools of forkserver workers
def test_pooled_retrieval_steps_equal_their_serial_stream(demo_build, monkeypatch):
    monkeypatch.setattr(shard_pool, "MIN_ROWS", 1)  # pool even the demo's few queries
    run = demo_build.run_dir
    store = RunStore(run)
    cfg = load_config(overrides={"workers": 2, "batch_rows": 200})
    plan = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", run.parent, cfg)}
    batches, run_batch = [], shard_pool._run_batch
    monkeypatch.setattr(shard_pool, "_run_batch", lambda *a: batches.append(a[1].num_rows) or run_batch(*a))
    for name in SHARDED:
        step = plan[name]
        tables = {**input_tables(step, store.read), **file_tables(step)}
        queries = tables.pop("queries")
        serial = step.call(queries=queries, **tables)
        seen = Count()
        batches.clear()
        with progress.reporting(seen):
            pooled = collect(step.streamed.call(queries=TableShards(queries, 200), **tables))
        assert len(batches) > 3 and sum(batches) == queries.num_rows, name  # every batch went to the pool
        assert seen.total == seen.done == queries.num_rows, name
        for out, contract in step.contracts.items():
            assert schemas.conform(pooled.outputs[out], contract).equals(
                schemas.conform(serial.outputs[out], contract)), (name, out)
        assert schemas.conform(pooled.rejects, "reject").equals(schemas.conform(serial.rejects, "reject")), name
        assert pooled.counters == serial.counters, name

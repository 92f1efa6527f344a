"""The local pool runs a python-bound sharded step's batches on processes with the serial result."""

import dataclasses

import pytest

from pipelines import progress, schemas
from pipelines.config import load_config
from pipelines.io.build_resources import load_resources
from pipelines.plan import plan_build
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


def _pooled_steps(tmp_path, workers: int) -> set[str]:
    """Sharded steps whose streamed form the local runner replaced (with the pool's)."""
    cfg = load_config(overrides={"workers": workers})
    planned = {s.name: s for s in plan_build(DEMO_DIR / "catalog.jsonl", cfg, load_resources(cfg))}
    local = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, cfg)}
    return {name for name in SHARDED if local[name].streamed != planned[name].streamed}


def test_only_python_bound_steps_are_pooled(tmp_path):
    assert _pooled_steps(tmp_path, 2) == {"retriever_negatives"}  # searching steps stay serial: top-k uses every core
    assert _pooled_steps(tmp_path, 1) == set()


@pytest.mark.slow  # starts three pools of forkserver workers
def test_pooled_sharded_steps_equal_their_serial_stream(demo_build, monkeypatch):
    monkeypatch.setattr(shard_pool, "MIN_ROWS", 1)  # pool even the demo's few queries
    run = demo_build.run_dir
    store = RunStore(run)
    cfg = load_config(overrides={"workers": 2, "batch_rows": 200})
    plan = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", run.parent, cfg)}
    batches, start_batch = [], shard_pool._start_batch
    monkeypatch.setattr(shard_pool, "_start_batch", lambda *a: batches.append(a[1].num_rows) or start_batch(*a))
    for name in SHARDED:  # each as if the plan marked it python-bound: the pooled path for every form of PerShard
        step = plan[name]
        forced = dataclasses.replace(step, per_shard=dataclasses.replace(step.per_shard, python_bound=True))
        pooled_step = shard_pool.pooled(forced, 2)
        tables = {**input_tables(step, store.read), **file_tables(step)}
        queries = tables.pop("queries")
        serial = step.call(queries=queries, **tables)
        seen = Count()
        batches.clear()
        with progress.reporting(seen):
            pooled = collect(pooled_step.streamed.call(queries=TableShards(queries, 200), **tables))
        assert len(batches) > 3 and sum(batches) == queries.num_rows, name  # every batch went to the pool
        assert seen.total == seen.done == queries.num_rows, name
        for out, contract in step.contracts.items():
            assert schemas.conform(pooled.outputs[out], contract).equals(
                schemas.conform(serial.outputs[out], contract)), (name, out)
        assert schemas.conform(pooled.rejects, "reject").equals(schemas.conform(serial.rejects, "reject")), name
        assert pooled.counters == serial.counters, name


@pytest.mark.parametrize("max_products, pooled", [(5, False), (0, True), (50, True)])
def test_a_catalog_over_pool_max_products_runs_its_batches_in_this_process(tmp_path, monkeypatch, max_products, pooled):
    """Each worker prepares its own search index and product facts (1.7-1.9 GB at a million products, where two
    made the build's peak); over `pool_max_products` the one copy is this process's. 0: no bound."""
    import pyarrow as pa

    from pipelines.results import StageResult

    class PoolStarted(Exception):
        pass

    def no_pool(*args):
        raise PoolStarted

    monkeypatch.setattr(shard_pool, "MIN_ROWS", 1)
    monkeypatch.setattr(shard_pool, "_pool", no_pool)
    step = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, load_config())}["retriever_negatives"]
    here = StageResult({"queries": pa.table({"base_query_id": ["q1"]})})
    tables = {"queries": TableShards(pa.table({"base_query_id": ["q1", "q2"]})),
              "products": pa.table({"product_id": [f"p{i}" for i in range(10)]})}
    stream = shard_pool.pooled_stream(step, lambda **_: iter([here]), tables, 2, max_products)
    if pooled:
        with pytest.raises(PoolStarted):
            list(stream)
    else:
        assert list(stream) == [here]

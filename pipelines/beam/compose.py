"""Compose on Beam: attempt ranges in parallel against the catalog index, then a global dedupe.

`compose.compose_from_index` runs any set of attempt numbers independently (each attempt has
its own seeded RNG), so the attempts 0..N-1 of the local run are cut into ranges, each range
runs on a worker with the index built from whole-table side inputs (products, attributes,
families; built once per worker and cached), and plans are deduplicated by base_query_id
across ranges, the lowest attempt's plan winning, as in the local single pass. Each range's
plans are written to a file (`batch_files`) and only their ids go through the dedupe's shuffle;
the kept rows are then taken from each file.
"""

from __future__ import annotations

import time

import apache_beam as beam
import pyarrow as pa
from apache_beam.pvalue import AsSingleton, TaggedOutput

from pipelines import schemas
from pipelines.beam.adapter import REJECTS, TALLY, Resilient, count_metrics, count_wall
from pipelines.beam.batch_files import to_file
from pipelines.beam.whole_files import load, read_file
from pipelines.beam.worker_cache import ReleasingDoFn, prepared
from pipelines.results import RejectLog
from pipelines.stages import compose
from pipelines.stages.catalog_index import build_index

PLANS = "plans"


def attempt_ranges(n_products: int, cfg, per_range: int) -> list[range]:
    """The local run's attempts 0..N-1 (N from the catalog size), cut into ranges."""
    n = compose.attempt_count(n_products, cfg)
    return [range(start, min(start + per_range, n)) for start in range(0, n, per_range)]


class ComposeRange(ReleasingDoFn, beam.DoFn):
    """compose_from_index over one attempt range; plans are tagged with the range start."""

    def __init__(self, params: compose.ComposeParams) -> None:
        self.params = params

    def _index_for(self, products, attributes, families):
        products, attributes, families = load(products), load(attributes), load(families)
        # Side-input tables are the same objects while the worker holds them: build once per worker.
        return prepared(compose.STAGE, (products, attributes, families),
                        lambda: build_index(products, attributes, families, self.params.matcher))

    def process(self, attempts: range, products, attributes, families):
        started = time.perf_counter()
        result = compose.compose_from_index(self._index_for(products, attributes, families), attempts, self.params)
        count_wall(compose.STAGE, started)
        plans = schemas.conform(result.outputs["plans"], "query_plan")
        if plans.num_rows:
            yield TaggedOutput(PLANS, (attempts.start, plans))
        rejects = schemas.conform(result.rejects, "reject")
        if rejects.num_rows:
            yield TaggedOutput(REJECTS, rejects)
        yield TaggedOutput(TALLY, (compose.STAGE, (len(attempts), 0)))
        count_metrics(compose.STAGE, {k: v for k, v in result.counters.items() if k != "plans"})


def keep_first(base_query_id: str, candidates):
    """The (file, row) of the lowest range's plan; later ranges' plans become duplicate_query rejects."""
    ordered = sorted(candidates, key=lambda c: c[0])
    _, path, row, _ = ordered[0]
    yield path, row
    if len(ordered) > 1:
        log = RejectLog(compose.STAGE)
        for _, _, _, target_id in ordered[1:]:
            log.add(*compose.DUPLICATE_QUERY, record_id=target_id)
        count_metrics(compose.STAGE, log.counters())
        yield TaggedOutput(REJECTS, log.table())
    count_metrics(compose.STAGE, {"plans": 1, "rows_out.plans": 1})


def plan_refs(tagged, folder: str):
    """A range's plans written to a file (`batch_files`); per plan (base_query_id, (range start, file, row,
    target_id)): only ids go through the dedupe's shuffle, not the plans (as rows, the DirectRunner
    held every plan in its own process at the shuffle)."""
    start, table = tagged
    ref = to_file(table, folder).path
    ids, targets = table.column("base_query_id").to_pylist(), table.column("target_id").to_pylist()
    return [(base_query_id, (start, ref, row, target)) for row, (base_query_id, target) in enumerate(zip(ids, targets))]


def kept_plans(grouped):
    """(file, rows kept) -> those plans as one table, sorted by base_query_id."""
    path, rows = grouped
    return read_file(path).take(pa.array(sorted(rows), pa.int64())).sort_by("base_query_id")


class ComposeQueries(beam.PTransform):
    """Product count (one element) -> {"plans": table batches, REJECTS, TALLY}."""

    def __init__(self, params: compose.ComposeParams, index_tables: dict, attempts_per_range: int,
                 folder: str) -> None:
        super().__init__()
        self.params, self.index_tables = params, index_tables
        self.attempts_per_range, self.folder = attempts_per_range, folder

    def expand(self, n_products):
        sides = {name: AsSingleton(pcoll) for name, pcoll in self.index_tables.items()}
        ranges = (n_products
                  | "AttemptRanges" >> beam.FlatMap(attempt_ranges, self.params.cfg, self.attempts_per_range)
                  | "SpreadRanges" >> beam.Reshuffle())
        out = ranges | "Compose" >> Resilient(
            ComposeRange(self.params), [PLANS], compose.STAGE, lambda r: [range(a, a + 1) for a in r],
            lambda r: [(f"attempt {a}", None, None) for a in r], sides)
        deduped = (out[PLANS]
                   | "PlanRefs" >> beam.FlatMap(plan_refs, self.folder)
                   | "GroupByQuery" >> beam.GroupByKey()
                   | "KeepLowestAttempt" >> beam.FlatMapTuple(keep_first).with_outputs(REJECTS, main=PLANS))
        plans = (deduped[PLANS]
                 | "GroupByFile" >> beam.GroupByKey()
                 | "KeptPlans" >> beam.Map(kept_plans))
        rejects = (out[REJECTS], deduped[REJECTS]) | "MergeRejects" >> beam.Flatten()
        return {PLANS: plans, REJECTS: rejects, TALLY: out[TALLY]}

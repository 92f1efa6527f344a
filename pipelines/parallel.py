"""A local multi-process executor for the stages whose work items are independent.

Composition attempts and per-query negative mining read one big read-only index. Workers are
forked after the index is built, so they share it copy-on-write instead of each rebuilding or
unpickling it; results come back in input order and are merged by the same pure functions the
serial path uses, so the output is identical for any worker count.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

import pyarrow as pa

from pipelines.results import StageResult
from pipelines.stages import by_base, compose, negatives
from pipelines.stages.catalog_index import build_index

_SHARED: dict = {}  # set in the parent right before forking; read by the workers


def worker_count(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def _chunks(items: list, n: int) -> list[list]:
    size = max(1, -(-len(items) // n))
    return [items[i:i + size] for i in range(0, len(items), size)]


def map_forked(fn, chunks: list, workers: int) -> list:
    """fn over chunks on `workers` forked processes (serially when one worker or one chunk)."""
    if workers <= 1 or len(chunks) <= 1:
        return [fn(c) for c in chunks]
    with multiprocessing.get_context("fork").Pool(workers, initializer=_default_sigterm) as pool:
        return pool.map(fn, chunks)


def _default_sigterm() -> None:
    """Pool shutdown SIGTERMs idle workers; a handler inherited from the parent (Prefect's raises
    TerminationSignal) would print a traceback per worker, so workers take the default: exit."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _compose_chunk(attempts: list[int]) -> list[tuple]:
    index, params = _SHARED["compose"]
    return compose.compose_attempts(index, attempts, params)


def compose_queries(products: pa.Table, attributes: pa.Table, families: pa.Table,
                    params: compose.ComposeParams, workers: int) -> StageResult:
    """Same result as stages.compose.compose_queries, with attempts spread over processes."""
    index = build_index(products, attributes, families)
    attempts = list(range(compose.attempt_count(index.size, params.cfg)))
    _SHARED["compose"] = (index, params)
    try:
        parts = map_forked(_compose_chunk, _chunks(attempts, workers * 4), workers)
    finally:
        _SHARED.pop("compose", None)
    return compose.collect_plans(index, [o for part in parts for o in part])


def _negatives_chunk(rows: list[dict]) -> list[list[dict]]:
    index, params = _SHARED["negatives"]
    return [negatives.overlap_negatives(index, row, params) for row in rows]


def mine_overlap_negatives(queries: pa.Table, products: pa.Table, attributes: pa.Table, families: pa.Table,
                           params: negatives.NegativesParams, workers: int) -> StageResult:
    """Same result as stages.negatives.mine_overlap_negatives, one base query per work item."""
    index = build_index(products, attributes, families)
    firsts = by_base.english_rows(queries).to_pylist()  # one row per base query
    _SHARED["negatives"] = (index, params)
    try:
        parts = map_forked(_negatives_chunk, _chunks(firsts, workers * 4), workers)
    finally:
        _SHARED.pop("negatives", None)
    found = dict(zip((r["base_query_id"] for r in firsts), (n for part in parts for n in part)))
    return negatives.fill_negatives(queries, by_base.english_rows(queries), found)

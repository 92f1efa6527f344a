"""The local runner's pool for sharded steps whose batches are Python work on one core.

This is the split Beam makes of the same steps (plan/step.py `PerShard`), on this machine, for a
step the plan marks `python_bound` (retriever negatives: candidates judged per query, no top-k
search; the steps that search are left serial, because BM25's top-k already uses every core and
two workers searching only contend, RESULTS.md). The step's side tables are written once as Arrow
IPC files that each of `workers` forkserver processes memory-maps (arrow_ipc.SharedTables); each
prepares the step's batch call once (loads the index), and every batch of the streamed query table
is cut into pieces that never split a base query, run on the workers and put back in input order,
one batch ahead: the workers run batch k+1 while this process hands batch k on (the runner writes
it). Because a batch call decides each base query on its own rows, any cut gives the serial stream's
rows; counters a `finish` derives (rates) come from the summed raw counts.

The batch call's maker (`PerShard.prepare`, a plain object of module-level functions and frozen
params) is pickled to the workers. Small inputs stay serial: starting workers and shipping the
index would cost more than the batches. So do steps over more than `max_products` catalog products
(config `pool_max_products`): each worker prepares its own copy of what every batch reads (retriever
negatives: the search index and the products' facts, 1.7-1.9 GB per worker at a million products,
where two workers made the build's peak, 6.8 GiB); in this process there is one copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

import pyarrow as pa

from pipelines import free_memory, progress
from pipelines.arrow_ipc import SharedTables, from_ipc, read_shared, to_ipc
from pipelines.plan.step import Step, Streamed
from pipelines.results import StageResult
from pipelines.runners.parallel import _context, one_ahead
from pipelines.shards import KEY, Shards, TableShards, add_counters, collect

# Fewer query rows than this in the whole input: the serial stream (workers would cost more).
MIN_ROWS = 40_000
PIECES_PER_WORKER = 4  # per batch: small enough that no worker idles long at a batch's end
_WORKER: dict = {}  # in each worker process: the prepared batch call, set once by _prepare


def pooled(step: Step, workers: int, max_products: int = 0) -> Step:
    """`step` with its streamed form run on the pool (unchanged unless its `per_shard` is `python_bound`);
    `max_products` (0: no bound) as `pooled_stream`'s."""
    if workers <= 1 or step.per_shard is None or not step.per_shard.python_bound or step.streamed is None:
        return step
    serial = step.streamed
    return dataclasses.replace(step, streamed=Streamed(
        lambda **tables: pooled_stream(step, serial.call, tables, workers, max_products), serial.by, serial.batch_rows))


def pooled_stream(step: Step, serial: Callable[..., Iterator[StageResult]], tables: dict,
                  workers: int, max_products: int = 0) -> Iterator[StageResult]:
    """The step's per-batch results, as `serial(**tables)` yields them (same rows, same summed counters);
    serially when the input is small or its `products` side table has more than `max_products` rows."""
    by = step.streamed.by
    shards: Shards = tables[by]
    products = tables.get("products")
    if shards.num_rows < MIN_ROWS or (max_products and products is not None and products.num_rows > max_products):
        yield from serial(**tables)
        return
    sides = {arg: table for arg, table in tables.items() if arg != by}
    per_shard = step.per_shard
    if per_shard.once is not None:  # made once in this process, handed to the workers as side tables
        once = per_shard.once(**sides)
        yield once
        sides.update({name: once.outputs[name] for name in per_shard.once_outputs})
    raw: dict = {}
    with _pool(per_shard.prepare, sides, workers) as pool:
        for result in one_ahead(shards, lambda batch: _start_batch(pool, batch, workers),
                                lambda started: _batch_result(*started)):
            if per_shard.finish is None:
                yield result
            else:  # raw counts summed here, turned into the step's counters once at the end
                add_counters(raw, result.counters)
                yield StageResult(result.outputs, result.rejects)
    if per_shard.finish is not None:
        yield StageResult({}, counters=per_shard.finish(raw))


@contextmanager
def _pool(prepare: Callable, sides: dict[str, pa.Table], workers: int) -> Iterator[ProcessPoolExecutor]:
    with SharedTables(sides) as shared, ProcessPoolExecutor(workers, mp_context=_context(), initializer=_prepare,
                                                            initargs=(prepare, shared.paths)) as pool:
        yield pool


def _prepare(prepare: Callable, sides: dict[str, str]) -> None:
    _WORKER["call"] = prepare(**{arg: read_shared(path) for arg, path in sides.items()})


def _run_piece(piece: bytes) -> tuple[dict[str, bytes], bytes, dict]:
    free_memory.release()  # what the last piece freed (its IPC bytes, its tables)
    result = _WORKER["call"](from_ipc(piece))
    return {name: to_ipc(table) for name, table in result.outputs.items()}, to_ipc(result.rejects), result.counters


def _start_batch(pool: ProcessPoolExecutor, batch: pa.Table, workers: int) -> tuple[list[int], list[Future]]:
    """One batch, cut into key-aligned pieces submitted to the pool: (their row counts, their futures)."""
    rows = max(1, -(-batch.num_rows // (workers * PIECES_PER_WORKER)))
    pieces = list(TableShards(batch, rows, KEY))
    progress.add_total(batch.num_rows)  # workers have no reporter: the parent counts each piece back
    return [p.num_rows for p in pieces], [pool.submit(_run_piece, to_ipc(p)) for p in pieces]


def _batch_result(sizes: list[int], futures: list[Future]) -> StageResult:
    """The started batch's pieces, as one result in input order."""
    results = []
    for size, future in zip(sizes, futures):
        outputs, rejects, counters = future.result()
        results.append(StageResult({name: from_ipc(data) for name, data in outputs.items()}, from_ipc(rejects),
                                   counters))
        progress.advance(size)
    return collect(results)

"""The local runner's pool for sharded steps: a `per_shard` step's batches spread over processes.

This is the split Beam makes of the same steps (plan/step.py `PerShard`), on this machine: the
step's side tables (catalog, index vectors) go once to each of `workers` forkserver processes
as Arrow IPC, each prepares the step's batch call once (loads the index), and every batch of
the streamed query table is cut into pieces that never split a base query, run on the workers
and put back in input order. Because a batch call decides each base query on its own rows
(passages seed by query id, the filter and the negatives read one query's hits), any cut gives
the serial stream's rows; counters a `finish` derives (rates) come from the summed raw counts.

The batch call is a closure over the step's frozen params, sent with cloudpickle (a plain
pickle cannot carry a lambda). Small inputs stay serial: starting workers and shipping the
index would cost more than the batches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import cloudpickle
import pyarrow as pa

from pipelines import progress
from pipelines.plan.step import Step, Streamed
from pipelines.results import StageResult
from pipelines.runners.parallel import _context, _from_ipc, _to_ipc
from pipelines.shards import KEY, Shards, TableShards, add_counters, collect

# Fewer query rows than this in the whole input: the serial stream (workers would cost more).
MIN_ROWS = 40_000
PIECES_PER_WORKER = 4  # per batch: small enough that no worker idles long at a batch's end
_WORKER: dict = {}  # in each worker process: the prepared batch call, set once by _prepare


def pooled(step: Step, workers: int) -> Step:
    """`step` with its streamed form run on the pool (unchanged when it has no `per_shard` form)."""
    if workers <= 1 or step.per_shard is None or step.streamed is None:
        return step
    serial = step.streamed
    return dataclasses.replace(step, streamed=Streamed(
        lambda **tables: pooled_stream(step, serial.call, tables, workers), serial.by, serial.batch_rows))


def pooled_stream(step: Step, serial: Callable[..., Iterator[StageResult]], tables: dict,
                  workers: int) -> Iterator[StageResult]:
    """The step's per-batch results, as `serial(**tables)` yields them (same rows, same summed counters)."""
    by = step.streamed.by
    shards: Shards = tables[by]
    if shards.num_rows < MIN_ROWS:
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
        for batch in shards:
            result = _run_batch(pool, batch, workers)
            if per_shard.finish is None:
                yield result
            else:  # raw counts summed here, turned into the step's counters once at the end
                add_counters(raw, result.counters)
                yield StageResult(result.outputs, result.rejects)
    if per_shard.finish is not None:
        yield StageResult({}, counters=per_shard.finish(raw))


def _pool(prepare: Callable, sides: dict[str, pa.Table], workers: int) -> ProcessPoolExecutor:
    shipped = {arg: _to_ipc(table) for arg, table in sides.items()}
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_prepare,
                               initargs=(cloudpickle.dumps(prepare), shipped))


def _prepare(prepare: bytes, sides: dict[str, bytes]) -> None:
    _WORKER["call"] = cloudpickle.loads(prepare)(**{arg: _from_ipc(data) for arg, data in sides.items()})


def _run_piece(piece: bytes) -> tuple[dict[str, bytes], bytes, dict]:
    result = _WORKER["call"](_from_ipc(piece))
    return {name: _to_ipc(table) for name, table in result.outputs.items()}, _to_ipc(result.rejects), result.counters


def _run_batch(pool: ProcessPoolExecutor, batch: pa.Table, workers: int) -> StageResult:
    """One batch, cut into key-aligned pieces run on the pool, as one result in input order."""
    rows = max(1, -(-batch.num_rows // (workers * PIECES_PER_WORKER)))
    pieces = list(TableShards(batch, rows, KEY))
    progress.add_total(batch.num_rows)  # workers have no reporter: the parent counts each piece back
    results = []
    for piece, (outputs, rejects, counters) in zip(pieces, pool.map(_run_piece, [_to_ipc(p) for p in pieces])):
        results.append(StageResult({name: _from_ipc(data) for name, data in outputs.items()}, _from_ipc(rejects),
                                   counters))
        progress.advance(piece.num_rows)
    return collect(results)

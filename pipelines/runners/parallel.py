"""A local multi-process executor for the stages whose work items are independent.

Composition attempts and per-query negative mining read one big read-only index; rendering
plan batches reads only the templates. The workers
never `fork` the calling process: it may have threads (Prefect runs each task in a worker
thread, DuckDB and HTTP clients start their own), and a fork copies their locks in whatever
state they are, which deadlocked a pool worker. Workers come from a `forkserver`: a fresh,
single-threaded server process that imports this module once and forks each worker from
itself. Each worker receives the index's three input tables as Arrow IPC bytes (only the
columns the index reads) and builds the index once. Results come back in input order and are
merged by the same pure functions the serial path uses, so the output is identical for any
worker count. Small inputs run serially: starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import islice

import pyarrow as pa

from pipelines import free_memory, progress
from pipelines.arrow_ipc import SharedTables, from_ipc, read_shared, to_ipc
from pipelines.results import StageResult
from pipelines.shards import Shards, TableShards, collect
from pipelines.stages import by_base, compose, negatives, render
from pipelines.stages.catalog_index import CatalogIndex, build_index

# Fewer work items than this per worker: serial is faster than starting workers.
MIN_ITEMS_PER_WORKER = 2_000
_INDEX_COLUMNS = {"products": ["product_id", "category", "image_ids"],
                  "attributes": ["product_id", "attribute", "value"],
                  "families": ["product_id", "family_id"]}
_WORKER: dict = {}  # in each worker process: (index, params), set once by _init_worker


def _chunks(items: list, n: int) -> list[list]:
    size = max(1, -(-len(items) // n))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _init_worker(tables: dict[str, str], params) -> None:
    # The same value relations as the serial path (unisex meets men): a worker without them
    # counts a unisex positive as unverified.
    index = build_index(**{name: read_shared(path) for name, path in tables.items()}, matcher=params.matcher)
    _WORKER["state"] = (index, params)


def _run_chunk(fn: Callable, chunk: list) -> list:
    free_memory.release()  # what the last chunk freed
    index, params = _WORKER["state"]
    return fn(index, params, chunk)


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # the server imports pyarrow and the stages once
    return ctx


class ChunkPool:
    """fn(index, params, chunk) over chunks of items, concatenated in input order, on `workers`
    forkserver processes that each build the index from `tables` once and serve every `map` of
    this pool (a streamed step maps batch after batch); serially on `index()` (called the first
    time it is needed) when one worker is asked for or the first batch is too small to be worth it.
    Use it as a context manager."""

    def __init__(self, index: Callable[[], CatalogIndex], params, tables: dict[str, pa.Table], workers: int) -> None:
        self.params, self.tables, self.workers = params, tables, workers
        self._index, self._built = index, None
        self._pool: ProcessPoolExecutor | None = None
        self._shared: SharedTables | None = None

    @property
    def index(self) -> CatalogIndex:
        """Built here only when this process runs a batch itself: the workers build their own, and a
        third copy of a million products' index is gigabytes."""
        if self._built is None:
            self._built = self._index()
        return self._built

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        if self._shared is not None:  # after the pool: its workers map these files
            self._shared.close()

    def map(self, fn: Callable[[CatalogIndex, object, list], list], items: list) -> list:
        return self.start(fn, items)()

    def start(self, fn: Callable[[CatalogIndex, object, list], list], items: list) -> Callable[[], list]:
        """`map` begun now: the returned call waits for and returns its result, so a caller can prepare
        the next batch (or write the last one) while the workers compute this one. Serially (one
        worker, or a batch too small), the work is done by that call."""
        # Once the workers hold the index, a small batch goes to them too (a streamed step's last batch
        # is often small): built here for it, a third index held 1.3 GB at a million products.
        if self.workers <= 1 or (self._pool is None and len(items) < 2 * MIN_ITEMS_PER_WORKER):
            return lambda: fn(self.index, self.params, items)
        if self._pool is None:  # started by the first batch that needs it, then reused
            self._shared = SharedTables({name: table.select(_INDEX_COLUMNS[name]) for name, table in self.tables.items()})
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_init_worker,
                                             initargs=(self._shared.paths, self.params))
        chunks = _chunks(items, max(1, min(self.workers, len(items) // MIN_ITEMS_PER_WORKER)) * 4)
        futures = [self._pool.submit(_run_chunk, fn, chunk) for chunk in chunks]
        progress.add_total(len(items))  # workers have no reporter: the parent counts each chunk back

        def result() -> list:
            parts = []
            for chunk, future in zip(chunks, futures):
                parts.append(future.result())
                progress.advance(len(chunk))
            return [out for part in parts for out in part]

        return result


def map_chunks(fn: Callable[[CatalogIndex, object, list], list], items: list, index: Callable[[], CatalogIndex], params,
               tables: dict[str, pa.Table], workers: int) -> list:
    """One `ChunkPool.map` on a pool of its own."""
    with ChunkPool(index, params, tables, workers) as pool:
        return pool.map(fn, items)


def _compose_chunk(index: CatalogIndex, params: compose.ComposeParams, attempts: list[int]) -> list[tuple]:
    return compose.compose_attempts(index, attempts, params)


def compose_queries(products: pa.Table, attributes: pa.Table, families: pa.Table,
                    params: compose.ComposeParams, workers: int) -> StageResult:
    """Same result as stages.compose.compose_queries, with attempts spread over processes."""
    ids = sorted(products.column("product_id").to_pylist())  # the index's ids (build_index sorts them)
    attempts = list(range(compose.attempt_count(len(ids), params.cfg)))
    tables = {"products": products, "attributes": attributes, "families": families}
    index = partial(build_index, products, attributes, families, params.matcher)
    return compose.collect_plans(ids, map_chunks(_compose_chunk, attempts, index, params, tables, workers))


def _negatives_chunk(index: CatalogIndex, params: negatives.NegativesParams, rows: list[dict]) -> list[list[dict]]:
    return [negatives.overlap_negatives(index, row, params) for row in progress.each(rows)]


def mine_overlap_negatives(queries: pa.Table, products: pa.Table, attributes: pa.Table, families: pa.Table,
                           params: negatives.NegativesParams, workers: int) -> StageResult:
    """Same result as stages.negatives.mine_overlap_negatives, one base query per work item."""
    return collect(negatives_stream(TableShards(queries), products, attributes, families, params, workers))


def negatives_stream(queries: Shards, products: pa.Table, attributes: pa.Table, families: pa.Table,
                     params: negatives.NegativesParams, workers: int) -> Iterator[StageResult]:
    """`mine_overlap_negatives` batch by batch (base queries whole), on one pool for every batch."""
    index = partial(build_index, products, attributes, families, params.matcher)
    tables = {"products": products, "attributes": attributes, "families": families}
    with ChunkPool(index, params, tables, workers) as pool:
        def start(batch: pa.Table) -> tuple:
            firsts = negatives.work_rows(batch)  # one row per base query, only the columns it reads
            return batch, firsts, pool.start(_negatives_chunk, firsts)

        yield from one_ahead(queries, start, lambda started: _filled(*started))


def one_ahead(items: Iterable, start: Callable, finish: Callable) -> Iterator:
    """`finish(start(item))` per item, in order, each item started before the one before it is finished:
    the workers compute batch k+1 while this process fills and hands on batch k (and the runner writes
    it), instead of the two taking turns."""
    items = iter(items)
    started = [start(item) for item in islice(items, 1)]
    for item in items:
        started.append(start(item))
        yield finish(started.pop(0))
    if started:
        yield finish(started.pop())


def _filled(batch: pa.Table, firsts: list[dict], found: Callable[[], list]) -> StageResult:
    return negatives.fill_negatives(batch, by_base.english_rows(batch), dict(zip(
        (r["base_query_id"] for r in firsts), found())))


def _init_render(params: render.RenderParams) -> None:
    _WORKER["render"] = params


def _render_batch(plans: bytes) -> tuple[bytes, bytes]:
    queries, rejects = render.render_batch(from_ipc(plans).to_pylist(), _WORKER["render"])
    return to_ipc(queries), to_ipc(rejects)


def render_queries(plans: pa.Table, params: render.RenderParams, workers: int) -> StageResult:
    """Same result as stages.render.render_queries, its plan batches rendered on processes (as IPC)."""
    return collect(render_stream(TableShards(plans, key=None), params, workers))


def render_stream(plans: Shards, params: render.RenderParams, workers: int) -> Iterator[StageResult]:
    """`render_queries` batch of plans by batch, on one pool for every batch (started when a batch
    is big enough to be worth it)."""
    pool = None
    try:
        for batch in plans:
            if workers <= 1 or batch.num_rows < 2 * MIN_ITEMS_PER_WORKER:
                yield render.render_queries(batch, params)
                continue
            if pool is None:
                pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init_render, initargs=(params,))
            n = min(workers, batch.num_rows // MIN_ITEMS_PER_WORKER)
            size = min(render.BATCH_PLANS, -(-batch.num_rows // (n * 4)))
            starts = range(0, batch.num_rows, size)
            pieces = [to_ipc(batch.slice(start, size)) for start in starts]
            progress.add_total(batch.num_rows)  # workers have no reporter: the parent counts each piece back
            parts = []
            for start, (q, r) in zip(starts, pool.map(_render_batch, pieces)):
                parts.append((from_ipc(q), from_ipc(r)))
                progress.advance(min(size, batch.num_rows - start))
            yield render.collect_queries(batch.num_rows, parts, params)
    finally:
        if pool is not None:
            pool.shutdown()

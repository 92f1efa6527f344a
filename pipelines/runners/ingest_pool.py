"""Ingest's images decoded on a process pool (decoding is most of ingest's time).

The same results as the stage's own serial decoding (tests/runners/test_parallel.py): the pool
only decodes ahead, the stage still decides every row. Workers come from parallel's forkserver.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from pipelines import progress
from pipelines.images import ImageRejected
from pipelines.results import StageResult
from pipelines.runners import parallel
from pipelines.runners.parallel import _chunks, _context
from pipelines.stages import image_files, ingest


def _normalise_chunk(cfg, datas: list[bytes]) -> list[tuple]:
    # ImageRejected does not survive pickling (its __init__ takes two arguments): sent back as a tuple
    out = []
    for data in datas:
        result = image_files.normalise_or_rejected(data, cfg)
        out.append(("rejected", result.reason, result.message) if isinstance(result, ImageRejected) else ("ok", result))
    return out


def _normalise_on(workers: int, cfg, pool: ProcessPoolExecutor | None = None) -> image_files.NormaliseMany | None:
    """Ingest's images decoded ahead on `workers` processes (decoding is most of ingest's time); on
    `pool` when given (a stream's batches share one), else on a pool of its own per call."""
    def normalise_many(datas: list[bytes]) -> list:
        if len(datas) < 2 * parallel.MIN_ITEMS_PER_WORKER:
            return [image_files.normalise_or_rejected(d, cfg) for d in datas]
        if pool is not None:
            return _normalised(pool, cfg, datas, workers)
        with ProcessPoolExecutor(workers, mp_context=_context()) as own:
            return _normalised(own, cfg, datas, workers)

    return normalise_many if workers > 1 else None


def _normalised(pool: ProcessPoolExecutor, cfg, datas: list[bytes], workers: int) -> list:
    chunks = _chunks(datas, workers * 4)
    progress.add_total(len(datas))  # workers have no reporter: the parent counts each chunk back
    out = []
    for chunk, part in zip(chunks, pool.map(_normalise_chunk, [cfg] * len(chunks), chunks)):
        out += [r[1] if r[0] == "ok" else ImageRejected(r[1], r[2]) for r in part]
        progress.advance(len(chunk))
    return out


def validate_catalog(rows: pa.Table, params: ingest.IngestParams, workers: int) -> StageResult:
    """Same result as stages.ingest.validate_catalog, its images decoded on processes first."""
    return ingest.validate_catalog(rows, params, _normalise_on(workers, params.cfg))


def validate_stream(rows: Iterable[pa.Table], params: ingest.IngestParams, workers: int) -> Iterator[StageResult]:
    """Same results as stages.ingest.validate_stream, each batch's images decoded on one pool's processes."""
    if workers < 2:
        yield from ingest.validate_stream(rows, params)
        return
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        yield from ingest.validate_stream(rows, params, _normalise_on(workers, params.cfg, pool))

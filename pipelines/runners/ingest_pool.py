"""Ingest's images decoded on a process pool (decoding is most of ingest's time).

The same results as the stage's own serial decoding (tests/runners/test_parallel.py): the pool
only decodes ahead, the stage still decides every row. Workers come from parallel's forkserver.
A catalog read in batches has each batch's images sent to the pool as soon as the batch is read,
one batch before the stage validates it (`DecodeAhead`): the workers decode batch k+1 while this
process validates batch k, where the two used to take turns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

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
        if not _pool_pays(len(datas)):
            return [image_files.normalise_or_rejected(d, cfg) for d in datas]
        if pool is not None:
            return _normalised(pool, cfg, datas, workers)
        with ProcessPoolExecutor(workers, mp_context=_context()) as own:
            return _normalised(own, cfg, datas, workers)

    return normalise_many if workers > 1 else None


def _pool_pays(images: int) -> bool:
    """Whether decoding this many images on the pool beats decoding them here (parallel's threshold)."""
    return images >= 2 * parallel.MIN_ITEMS_PER_WORKER


def _normalised(pool: ProcessPoolExecutor, cfg, datas: list[bytes], workers: int) -> list:
    chunks = _chunks(datas, workers * 4)
    progress.add_total(len(datas))  # workers have no reporter: the parent counts each chunk back
    out = []
    for chunk, part in zip(chunks, pool.map(_normalise_chunk, [cfg] * len(chunks), chunks)):
        out += [_from_worker(r) for r in part]
        progress.advance(len(chunk))
    return out


def _from_worker(result: tuple):
    return result[1] if result[0] == "ok" else ImageRejected(result[1], result[2])


def validate_catalog(rows: pa.Table, params: ingest.IngestParams, workers: int) -> StageResult:
    """Same result as stages.ingest.validate_catalog, its images decoded on processes first."""
    return ingest.validate_catalog(rows, params, _normalise_on(workers, params.cfg))


def validate_stream(rows: Iterable[pa.Table], params: ingest.IngestParams, workers: int) -> Iterator[StageResult]:
    """Same results as stages.ingest.validate_stream, each batch's images decoded on one pool's processes."""
    if workers < 2:
        yield from ingest.validate_stream(rows, params)
        return
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        ahead = DecodeAhead(pool, params.cfg, workers)
        yield from ingest.validate_stream(ahead.batches(rows), params, ahead.normalise_many)


class DecodeAhead:
    """The stage's `normalise_many` over raw batches read through `batches`: each batch's encoded images
    are sent to `pool` when the batch is read, before the stage validates the batch before it. The stage
    asks for what it decodes; an image not sent ahead (in a batch too small for the pool) is decoded when asked.
    `workers`: at least 2 (`validate_stream` decodes in the stage itself otherwise)."""

    def __init__(self, pool: Executor, cfg, workers: int) -> None:
        self.pool, self.cfg, self.workers = pool, cfg, workers
        self.now = _normalise_on(workers, cfg, pool)
        self.sent: deque[dict[bytes, tuple[Future, int]]] = deque()  # per batch read: image -> (chunk, place)

    def batches(self, raws: Iterable[pa.Table]) -> Iterator[pa.Table]:
        raws = iter(raws)
        ahead = next(raws, None)
        if ahead is not None:
            self._send(ahead)
        while ahead is not None:
            current, ahead = ahead, next(raws, None)
            if ahead is not None:
                self._send(ahead)  # decoded while `current` is validated
            yield current
            progress.advance(len(self.sent.popleft()))  # `current` is validated: its decodes go, asked for or not

    def _send(self, raw: pa.Table) -> None:
        sent: dict[bytes, tuple[Future, int]] = {}
        datas = _encoded(raw)
        if _pool_pays(len(datas)):
            progress.add_total(len(datas))  # workers have no reporter: counted back as each batch is done
            for chunk in _chunks(datas, self.workers * 4):
                future = self.pool.submit(_normalise_chunk, self.cfg, chunk)
                sent.update((data, (future, place)) for place, data in enumerate(chunk))
        self.sent.append(sent)

    def normalise_many(self, datas: list[bytes]) -> list:
        sent = self.sent[0] if self.sent else {}
        missing = [d for d in datas if d not in sent]
        now = dict(zip(missing, self.now(missing)))
        return [now[d] if d in now else _from_worker(sent[d][0].result()[sent[d][1]]) for d in datas]


def _encoded(raw: pa.Table) -> list[bytes]:
    """The distinct encoded images of a raw batch that the stage may ask to decode (those it decoded in an
    earlier batch too: it never asks for them, so they are only decoded for nothing)."""
    blobs = pc.list_flatten(raw.column("image_blobs")).combine_chunks()  # only the bytes become Python objects
    data, error = pc.struct_field(blobs, "bytes"), pc.struct_field(blobs, "error")
    unfailed = pc.invert(pc.fill_null(pc.not_equal(error, ""), False))  # no error, or an empty one
    return list(dict.fromkeys(data.filter(pc.and_(pc.is_valid(data), unfailed)).to_pylist()))

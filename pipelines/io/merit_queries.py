"""MERIT's `queries-<split>.json` files: written inline (`MeritQueryFiles`) or by a process of their own.

Building a JSON line per query row is Python work on one core (about a third of the export step at
135K products), and it needs nothing the export's main process computes after the batch: so each
batch's MERIT columns go to one forkserver worker as Arrow IPC, which appends the lines with the
same writer the inline path uses (`MeritQueryFiles`) while the main process shards the next batch.
One worker runs the batches in the order they were sent, so every file gets its rows in table
order; at most `AHEAD` batches wait for it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa

from pipelines.arrow_ipc import from_ipc, to_ipc
from pipelines.io import layout
from pipelines.io.layout import SPLITS
from pipelines.io.overlap import WriteBehind
from pipelines.merit_layout import MeritIds, merit_query_lines

AHEAD = 2  # batches sent and not yet written: bounds the memory the queue holds
BATCH_ROWS = 20_000  # query rows turned into Python values at a time (MERIT writers): memory bounded by this
_OPEN: dict = {}  # in the worker: the open files, the titles and the ids
MERIT_QUERY_COLUMNS = ["query_id", "split", "language", "category", "text", "images", "conditions", "positive_ids",
                      "hard_negative_ids"]


def write_merit_queries(folder: Path, queries: pa.Table, titles: dict[str, str], ids: MeritIds | None = None) -> None:
    """`queries-{train,test}.json` (JSON Lines; a split with no queries gets an empty file).
    ids: product id -> MERIT idx text, known ones (the export's products) filled in up front."""
    files = MeritQueryFiles(folder)
    try:
        files.write(queries, titles, MeritIds() if ids is None else ids)
    finally:
        files.close()


class MeritQueryFiles:
    """The open `queries-{train,test}.json` files, appended to batch after batch in table order."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.stack = ExitStack()
        self.files = {split: self.stack.enter_context(open(folder / f"{layout.merit_queries_stem(split)}.json", "w",
                                                           encoding="utf-8")) for split in SPLITS}

    def write(self, queries: pa.Table, titles: dict[str, str], ids: MeritIds) -> None:
        for batch in queries.select(MERIT_QUERY_COLUMNS).to_batches(max_chunksize=BATCH_ROWS):
            for split, fh in self.files.items():  # each file gets its rows in table order, as from one pass
                lines = merit_query_lines(batch, titles, split, ids)
                if lines:
                    fh.write("\n".join(lines) + "\n")

    def close(self) -> None:
        self.stack.close()

    abandon = close  # after a failure elsewhere: the files are let go of as they are


def _open(folder: str, titles: dict[str, str], ids: dict[str, str]) -> None:
    _OPEN.update(files=MeritQueryFiles(Path(folder)), titles=titles, ids=MeritIds(ids))


def _write(batch: bytes) -> None:
    _OPEN["files"].write(from_ipc(batch), _OPEN["titles"], _OPEN["ids"])


def _close() -> None:
    _OPEN["files"].close()


class MeritQueryProcess:
    """`MeritQueryFiles.write` / `close` run by one worker process, in order, `AHEAD` batches at most
    waiting (`overlap.WriteBehind`); errors are raised here, at the next call."""

    def __init__(self, folder: Path, titles: dict[str, str], ids: dict[str, str]) -> None:
        self._calls = WriteBehind(AHEAD, ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"),
                                                             initializer=_open, initargs=(str(folder), titles, dict(ids))))

    def write(self, queries: pa.Table, titles=None, ids=None) -> None:
        """`MeritQueryFiles.write`'s call; the worker uses the titles and ids it was opened with."""
        self._calls.submit(_write, to_ipc(queries.select(MERIT_QUERY_COLUMNS)))

    def close(self) -> None:
        self._calls.submit(_close)
        self._calls.close()

    def abandon(self) -> None:
        """Stop the worker after a failure elsewhere (after `close` it does nothing): no process is left."""
        self._calls.abandon()

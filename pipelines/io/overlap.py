"""Parquet I/O beside the computing thread: batches read one ahead, writes done behind.

A streamed step reads its input batch by batch and appends each result to its output files.
Arrow decodes, encodes and compresses Parquet without holding the GIL, so on a second core that
I/O overlaps the stage's Python work on the next batch instead of taking turns with it (about
5 s of reading and writing per step at 135K products). Order is kept: one reader thread and one
writer thread, each working through its queue in order; both are bounded, so at most `depth`
batches wait on either side. An error in the thread is raised in the caller, at the next call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor

_DONE = object()


def read_ahead(items: Iterable, depth: int = 1) -> Iterator:
    """`items`, produced by a thread up to `depth` ahead of the consumer. Closing the generator early
    (the consumer stopped) stops the thread at its next item."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ready.put((True, item))
            ready.put((True, _DONE))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            ready.put((False, exc))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = ready.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


class WriteBehind:
    """Calls run in order on one thread (or on the one-worker `executor` given: a process), at most `depth`
    waiting; a failed call's error is raised by the next `submit` or by `close()` (also on leaving the
    `with`), which waits for the last call."""

    def __init__(self, depth: int = 1, executor: Executor | None = None) -> None:
        self.depth = depth
        self._pool = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-behind")
        self._pending: list[Future] = []

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, call: Callable, *args, **kwargs) -> None:
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.depth):
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(call, *args, **kwargs))

    def drain(self) -> None:
        """Wait for every call submitted so far; raise the first error."""
        try:
            while self._pending:
                self._pending.pop(0).result()
        finally:
            for future in self._pending:
                future.cancel()
            self._pending.clear()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        """End the thread (or process) after a failure elsewhere: calls not yet started are dropped and
        errors are not raised; after `close` it does nothing."""
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

"""Progress inside a step: pure code says how far it got, the runner decides whether anyone sees it.

Stages stay pure and silent: they call `add_total(n)` when they learn how much work lies
ahead, `advance(n)` as they finish some, or loop over `each(items)`, which does both. These
calls go to the reporter installed for the current context with `reporting(...)`; the default
is none, and then every call is a no-op, so a stage behaves and returns exactly the same with
or without a reporter. The local runner installs a progress bar per step
(`pipelines/runners/progress_bars.py`); tests install a recorder.

Totals add up rather than being set: a step with several passes (two searches, then a filter)
announces each pass's work as it starts it, so "done" never runs ahead of "total".

Worker processes (the forkserver pool of `pipelines/parallel.py`, Beam workers) start with no
reporter, so their calls are no-ops; the parent reports each batch as it comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

T = TypeVar("T")


class Reporter(Protocol):
    """Where progress goes; both counts are in the step's own units (rows, attempts, queries)."""

    def add_total(self, n: int) -> None: ...

    def advance(self, n: int) -> None: ...


_REPORTER: ContextVar[Reporter | None] = ContextVar("meritgen_progress_reporter", default=None)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[Reporter | None]:
    """Send the progress of code run inside the block to `reporter` (None: to nowhere)."""
    token = _REPORTER.set(reporter)
    try:
        yield reporter
    finally:
        _REPORTER.reset(token)


def add_total(n: int) -> None:
    """`n` more units of work lie ahead."""
    reporter = _REPORTER.get()
    if reporter is not None and n:
        reporter.add_total(n)


def advance(n: int = 1) -> None:
    """`n` units of work are done."""
    reporter = _REPORTER.get()
    if reporter is not None and n:
        reporter.advance(n)


def each(items: Iterable[T], total: int | None = None) -> Iterator[T]:
    """Yield `items`, announcing their count first and advancing by one after each is handled.

    `total` is needed only when `items` has no length (an iterator over a pool's results);
    without either, each item is announced as it comes, so done never exceeds total.
    """
    reporter = _REPORTER.get()
    if reporter is None:  # the common, silent case: no per-item cost beyond the generator
        yield from items
        return
    count = total if total is not None else (len(items) if isinstance(items, Sized) else None)
    if count:
        reporter.add_total(count)
    for item in items:
        if count is None:
            reporter.add_total(1)
        yield item
        reporter.advance(1)

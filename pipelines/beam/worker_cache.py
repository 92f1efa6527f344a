"""What a Beam worker process prepares from side inputs (a catalog index, a step's batch call),
held for one step at a time, and freed memory handed back to the OS after every bundle.

A worker keeps each stage's DoFn alive after its last bundle (Beam caches bundle processors), so a
cache on the DoFn kept every step's index until the worker ended: the worker processes grew by one
catalog index per step (compose, passages, caption_filter, retriever_negatives), about 2 GiB each
at 10K products on the DirectRunner. Here a process holds the prepared value of the step that
prepared last; the next step's preparation drops it first. Steps run one after another on a
worker, so each still prepares once per worker, not once per batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from pipelines import free_memory

T = TypeVar("T")

_lock = threading.Lock()
_held: dict[str, tuple[tuple, object]] = {}  # at most one entry: owner -> (sources, prepared value)


def prepared(owner: str, sources: tuple, make: Callable[[], T]) -> T:
    """`make()` for `owner` (a step name), reused while `sources` (side-input tables) are the same
    objects; a different owner or other sources drop what was held before `make` runs."""
    with _lock:
        held = _held.get(owner)
        if held is not None and _same(held[0], sources):
            return held[1]  # type: ignore[return-value]
        _held.clear()
        free_memory.release()  # what the dropped value held, before the new one is built
        value = make()
        _held[owner] = (sources, value)
        return value


def drop() -> None:
    """Forget what is held (tests; a worker whose step is done)."""
    with _lock:
        _held.clear()


def held_owners() -> list[str]:
    return list(_held)


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class ReleasingDoFn:
    """Mixin for the build's DoFns: after each bundle, freed Arrow and malloc pages go back to the OS
    (`free_memory.release`), or every bundle's peak stays in the long-lived worker process."""

    def finish_bundle(self):
        free_memory.release()

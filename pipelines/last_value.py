"""One value kept for one key in this process: asking for another key drops the old value first.

For what several steps of one build read and is costly to make (the BM25 index of the catalog, the card's
facts over the export): kept once, never two in memory, rebuilt when its inputs (the key) change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NOTHING = object()


class LastValue:
    def __init__(self) -> None:
        self.key: Any = _NOTHING
        self.value: Any = None

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        """The value for `key`, built by `build()` when the kept one is for another key (or none)."""
        if self.key != key:
            self.put(_NOTHING, None)  # the old value goes before the new one is built
            self.put(key, build())
        return self.value

    def put(self, key: Any, value: Any) -> None:
        """Keep `value` (made here or in another process) as the value for `key`."""
        self.key, self.value = key, value

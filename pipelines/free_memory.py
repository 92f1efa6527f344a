"""Hand the pages a build has freed back to the operating system, between steps and batches.

Both allocators under a build keep what it frees for reuse: Arrow's (mimalloc in the pyarrow wheels)
its segments, glibc's malloc (Python's large objects: IPC bytes from pool workers, pickles) its
arenas. A step's peak then stays in the process for every later step. At a million products the
build process held 2,062 MiB after retriever_negatives with no Arrow buffer alive: 771 MiB once
Arrow's pool released its unused memory, 357 MiB after `malloc_trim` (benchmarks/RESULTS.md), and
without the release it carried the 1.7 GB into export and the audit. Releasing costs milliseconds.
"""

from __future__ import annotations

import ctypes
import functools

import pyarrow as pa


def release() -> None:
    """Return freed memory of Arrow's default pool and of the C heap to the OS (what can be)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's `malloc_trim`, or None where the C library has none (musl, macOS): nothing to trim there."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None

"""free_memory.release gives the pages a step freed back to the OS (the build process kept a step's peak
for every later step without it)."""

import os

import numpy as np
import pyarrow as pa
import pytest

from pipelines import free_memory

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm") or free_memory._malloc_trim() is None,
                                reason="measures resident memory through /proc and glibc's malloc_trim")


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_memory_a_step_freed_goes_back_to_the_os():
    start = _resident_mib()
    arrays = [pa.array(np.arange(30_000 + i % 50 * 1_000)) for i in range(2_000)]  # Arrow's pool: ~0.8 GB
    blobs = [bytes(100_000 + i) for i in range(2_000)]  # the C heap: ~0.2 GB, as IPC bytes from workers
    grown = _resident_mib() - start
    del arrays, blobs
    freed = _resident_mib()
    free_memory.release()
    assert grown > 500 and freed - _resident_mib() > grown / 2

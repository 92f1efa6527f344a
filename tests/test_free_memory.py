"""free_memory.release gives the pages a step freed back to the OS (the build process kept a step's peak
for every later step without it)."""

import json
import os
import subprocess
import sys

import pytest

from pipelines import free_memory

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm") or free_memory._malloc_trim() is None,
                                reason="measures resident memory through /proc and glibc's malloc_trim")

# Run in a fresh interpreter: in the test process, earlier tests' freed pages would serve these allocations.
MEASURE = """
import json, os, sys
import numpy as np, pyarrow as pa
from pipelines import free_memory

def resident_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

start = resident_mib()
arrays = [pa.array(np.arange(30_000 + i % 50 * 1_000)) for i in range(2_000)]  # Arrow's pool: ~0.8 GB
blobs = [bytes(100_000 + i) for i in range(2_000)]  # the C heap: ~0.2 GB, as IPC bytes from pool workers
grown = resident_mib() - start
del arrays, blobs
freed = resident_mib()
if sys.argv[1] == "release":
    free_memory.release()
print(json.dumps({"grown": grown, "returned": freed - resident_mib()}))
"""


def _measure(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_memory_a_step_freed_goes_back_to_the_os():
    released, kept = _measure("release"), _measure("keep")
    assert released["grown"] > 500 and released["returned"] > released["grown"] / 2
    assert kept["returned"] < kept["grown"] / 4  # what the allocators keep without the release

"""bm25s's numba top-k kernel is compiled once per machine (numba's on-disk cache), not in every process
that searches: the first process writes its machine code, the next loads it; the serial and parallel
kernels never share one entry (numba's cache key ignores `parallel`), and the hits are bm25s's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

SEARCH = """
import json
from pipelines.retrieval.index import BM25Config, BM25Index
from bm25s.numba import retrieve_utils as kernels
index = BM25Index(BM25Config(show_progress=False, backend="numba", n_threads=1))
index.build(["a", "b", "c"], ["red cotton shirt", "blue denim jeans", "red silk scarf"])
ids, _ = index.search(["red shirt"], 2)
serial = kernels._retrieve_internal_jitted_serial.stats
print(json.dumps({"hits": ids[0].tolist(), "loaded": sum(serial.cache_hits.values()),
                  "compiled": sum(serial.cache_misses.values()), "path": serial.cache_path}))
"""


def _search(cache_dir) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", SEARCH], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # compiles the kernel once (seconds)
def test_the_second_process_loads_the_kernel_the_first_compiled(tmp_path):
    first, second = _search(tmp_path), _search(tmp_path)
    assert first["hits"] == second["hits"] == ["a", "c"]
    assert (first["compiled"], first["loaded"]) == (1, 0)
    assert (second["compiled"], second["loaded"]) == (0, 1)
    names = sorted(p.name for p in tmp_path.rglob("*.nbi"))
    assert len(names) == 1 and "jitted_serial" in names[0]  # the parallel kernel was not asked for: no entry


def test_serial_and_parallel_kernels_are_cached_apart_from_the_same_code():
    from bm25s.numba import retrieve_utils as kernels

    from pipelines.retrieval.numba_cache import cache_bm25s_kernels

    assert cache_bm25s_kernels()
    parallel, serial = kernels._retrieve_internal_jitted_parallel, kernels._retrieve_internal_jitted_serial
    assert parallel.py_func.__qualname__ != serial.py_func.__qualname__
    assert parallel.py_func.__code__ is serial.py_func.__code__ is kernels._retrieve_internal_jitted.__code__
    assert parallel.targetoptions.get("parallel") and not serial.targetoptions.get("parallel")
    assert cache_bm25s_kernels() and kernels._retrieve_internal_jitted_serial is serial  # once per process

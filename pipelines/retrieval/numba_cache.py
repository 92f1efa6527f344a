"""bm25s's numba top-k kernel compiled once per machine, not once per process.

bm25s jit-compiles its retrieval kernel without numba's on-disk cache, so every process that searches
with the numba backend (the build, each pool or Beam worker, the card's baseline process) spent 7-9 s
compiling it before its first query (benchmarks/RESULTS.md). Here the kernel's serial and parallel
dispatchers are rebuilt with `cache=True`: the first process compiles and writes the machine code
(next to bm25s's source, or numba's user cache when that is read-only), later ones load it in a
fraction of a second. The code compiled is bm25s's own function, so the hits are the same.

Numba's cache index is keyed by the function's code and signature, not by `parallel`, so the two
dispatchers get copies of the function under distinct names: each finds only its own machine code.
A bm25s whose internals moved, or a machine with no writable cache location, keeps bm25s's own
dispatchers (compiled per process, as before).
"""

from __future__ import annotations

import types

_DONE = "_meritgen_cached_kernels"  # set on bm25s's module once its dispatchers are replaced


def cache_bm25s_kernels() -> bool:
    """Replace bm25s's numba retrieval dispatchers with cached ones (once per process); True if they are."""
    try:
        from bm25s.numba import retrieve_utils
        from numba import njit
    except ImportError:  # numba is the `fast` extra's: without it bm25s searches with numpy
        return False
    if getattr(retrieve_utils, _DONE, False):
        return True
    kernel = getattr(retrieve_utils, "_retrieve_internal_jitted", None)
    if not isinstance(kernel, types.FunctionType) or not all(
            hasattr(retrieve_utils, name) for name in ("_retrieve_internal_jitted_parallel", "_retrieve_internal_jitted_serial")):
        return False
    try:
        parallel = njit(parallel=True, cache=True)(_renamed(kernel, "parallel"))
        serial = njit(nogil=True, cache=True)(_renamed(kernel, "serial"))
    except RuntimeError:  # numba found no writable place for its cache
        return False
    retrieve_utils._retrieve_internal_jitted_parallel = parallel
    retrieve_utils._retrieve_internal_jitted_serial = serial
    setattr(retrieve_utils, _DONE, True)
    return True


def _renamed(function: types.FunctionType, suffix: str) -> types.FunctionType:
    """The same code and globals under `<name>_<suffix>` (numba names its cache files by it)."""
    copy = types.FunctionType(function.__code__, function.__globals__, f"{function.__name__}_{suffix}",
                              function.__defaults__, function.__closure__)
    copy.__qualname__ = f"{function.__qualname__}_{suffix}"
    copy.__module__ = function.__module__
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy

"""`random.shuffle`'s permutation, computed without a Python call per item.

`Random.shuffle(x)` swaps `x[i]` with `x[randbelow(i + 1)]` for i = n-1 .. 1, and `randbelow(b)`
takes 32-bit Mersenne Twister words `w >> (32 - b.bit_length())` until one is below b. One
`getrandbits(32 * m)` call draws m such words in bulk (in C), and the swaps are then replayed in a compiled loop (numba, `pip install meritgen[scale]`); without numba, or for
short lists, `random.shuffle` itself runs. The result,
and the state the `Random` is left in, are exactly those of `random.shuffle` (Python 3.11-3.13,
tests/stages/test_fast_paths.py compares them): a seeded build keeps its output.
"""

from __future__ import annotations

import random

import numpy as np

# Levels this long or longer use the compiled loop; shorter ones are not worth compiling for.
COMPILED_FROM = 256


def _replay(words, n, perm):
    """Apply random.shuffle's swaps to `perm` (length n) drawing from `words`; words used, or -1 if too few.

    Plain integer code so that numba can compile it unchanged (it has no int.bit_length)."""
    k = 0  # bits of the current bound, as randbelow's n.bit_length()
    while (1 << k) <= n:
        k += 1
    t = 0
    for i in range(n - 1, 0, -1):
        bound = i + 1
        while k > 1 and bound < (1 << (k - 1)):
            k -= 1
        while True:
            if t >= len(words):
                return -1
            r = words[t] >> (32 - k)
            t += 1
            if r < bound:
                break
        tmp = perm[i]
        perm[i] = perm[r]
        perm[r] = tmp
    return t


_COMPILED: object = False  # False: not tried yet; None: numba is not installed


def _compiled():
    """The numba-compiled `_replay`, or None without numba (`pip install meritgen[scale]`)."""
    global _COMPILED
    if _COMPILED is False:
        try:
            import numba
        except ImportError:
            _COMPILED = None
        else:
            try:  # compiled once per machine (numba's on-disk cache), not in every pool worker
                _COMPILED = numba.njit(nogil=True, cache=True)(_replay)
            except RuntimeError:  # no writable place for numba's cache: compiled in this process
                _COMPILED = numba.njit(nogil=True)(_replay)
    return _COMPILED


def shuffled_order(rng: random.Random, n: int) -> np.ndarray:
    """Positions `order` such that `[x[i] for i in order]` is `x` after `rng.shuffle(x)` (len(x) == n).

    Leaves `rng` in the state `rng.shuffle` would leave it in.
    """
    kernel = _compiled() if n >= COMPILED_FROM else None
    if kernel is None:  # short, or no numba: random.shuffle itself (a replay in Python is slower)
        order = list(range(n))
        rng.shuffle(order)
        return np.array(order, dtype=np.int64)
    saved = rng.getstate()
    budget = 2 * n + 64  # each draw is accepted with probability > 1/2
    while True:
        perm = np.arange(n, dtype=np.int64)
        used = kernel(_words(rng, budget), n, perm)
        rng.setstate(saved)
        if used >= 0:
            break
        budget *= 2
    _words(rng, used)  # advance past exactly the words shuffle would have drawn
    return perm


def _words(rng: random.Random, count: int) -> np.ndarray:
    """The next `count` 32-bit outputs of `rng`, in order (`getrandbits(32 * count)` stores output i
    in bits 32i..32i+31, drawing each exactly as `getrandbits(32)` would)."""
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    raw = rng.getrandbits(32 * count).to_bytes(4 * count, "little")
    return np.frombuffer(raw, dtype="<u4").astype(np.int64)

"""How a compose attempt picks its conditions: MERIT's three strategies and the weighted key draws.

`key_pool` draws keys from a weighted pool that leans away from colour, `random` takes values the target
shares with randomly drawn products of its category, `variant` makes the attribute two SKUs of one family
differ in a condition. Every draw goes through the attempt's own RNG in a fixed order, so a picker's
output depends only on the attempt (stages/compose.py relies on it: any partition of attempts is the same).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate

from pipelines.config import ComposeConfig


class AttemptFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def draw_keys(keys: list[str], n: int, rng: random.Random, cfg: ComposeConfig) -> list[str]:
    """Weighted draw without replacement; with probability force_non_color the first key is not colour."""
    pool, chosen = list(keys), []
    if rng.random() < cfg.force_non_color:
        non_color = [k for k in pool if k != "color"]
        if non_color:
            first = rng.choice(non_color)
            chosen.append(first)
            pool.remove(first)
    weights = [cfg.key_weights.get(k, 1.0) for k in pool]
    while len(chosen) < n and pool:
        i = _weighted_index(rng, weights)
        chosen.append(pool.pop(i))
        del weights[i]
    return chosen


def _weighted_pick(rng: random.Random, keys: list[str], cfg: ComposeConfig) -> str:
    return keys[_weighted_index(rng, [cfg.key_weights.get(k, 1.0) for k in keys])]


def _weighted_index(rng: random.Random, weights: list[float]) -> int:
    """The index `rng.choices(range(len(weights)), weights=weights)[0]` draws, from the same state
    (CPython's choices: one random() against the cumulative weights), without its generality: the
    hottest call of compose."""
    cumulative = list(accumulate(weights))
    return bisect_right(cumulative, rng.random() * (cumulative[-1] + 0.0), 0, len(weights) - 1)


def _pick_key_pool(index, target, mine, n, rng, params) -> list[tuple[str, str, int | None]]:
    keys = sorted(mine)
    if len(keys) < n:
        raise AttemptFailed("too_few_attributes", f"target has {len(keys)} mined attributes, {n} needed")
    return [(k, mine[k], None) for k in draw_keys(keys, n, rng, params.cfg)]


def _pick_random(index, target, mine, n, rng, params) -> list[tuple[str, str, int | None]]:
    """Conditions come from randomly drawn products of the category, one shared value each."""
    picked, used = [], set()
    peers = index.by_category[index.category[target]]
    for _ in range(n * 6):
        if len(picked) == n:
            break
        other = rng.choice(peers)
        if other == target:
            continue
        # Values are strings: (key, value) pairs in both item views are the values the two share.
        shared = sorted(k for k, _ in mine.items() & index.values[other].items() if k not in used)
        if not shared:
            continue
        key = _weighted_pick(rng, shared, params.cfg)
        used.add(key)
        picked.append((key, mine[key], other))
    if len(picked) < n:
        raise AttemptFailed("too_few_shared_values", f"random products shared fewer than {n} values with the target")
    return picked


def _pick_variant(index, target, mine, n, rng, params) -> list[tuple[str, str, int | None]]:
    """Two SKUs of one family: the differing attribute is a condition, shared ones fill the rest."""
    siblings = [s for s in index.families.get(index.family[target] or "", []) if s != target]
    if not siblings:
        raise AttemptFailed("no_family_variant", "target has no sibling SKU in its family")
    sibling = rng.choice(siblings)
    theirs = index.values[sibling]
    differing = sorted(k for k in mine if k in theirs and theirs[k] != mine[k])
    shared = sorted(k for k in mine if theirs.get(k) == mine[k])
    if not differing or len(shared) + 1 < n:
        raise AttemptFailed("no_family_variant", "sibling differs in no attribute or shares too few")
    key = rng.choice(differing)
    rest = draw_keys(shared, n - 1, rng, params.cfg)
    return [(key, mine[key], None)] + [(k, mine[k], sibling) for k in rest]


PICKERS = {"key_pool": _pick_key_pool, "random": _pick_random, "variant": _pick_variant}

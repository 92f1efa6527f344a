"""Minimal pairs: what makes a condition testable (issue #22).

A retriever that ignores a condition loses nothing unless the pool it ranks holds a product that
meets every OTHER condition of the query and violates this one, both on known values (unknown is
never a violation, stages/matching.py): a minimal pair. For condition i of a category it is the
bitset AND over j != i of meets(j), AND violates(i): a few big-int ANDs per condition, never a loop
over products. A condition no known product of the category violates (the category implies it,
e.g. "sunglasses" among eyewear) has no minimal pair anywhere: it is vacuous, never a condition.

Compose keeps only conditions with a minimal pair in the catalog; negatives export one per
condition (`source = "minimal_pair"`), the split keeps it on the query's side (it links the query
like a positive does) and rechecks that every condition still has one in the query's own pool.
Every condition having one also means no query is one-sided: the pair of an image condition meets
every text condition and is removed by the images alone, and the reverse for a text condition.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.stages.catalog_index import CatalogIndex

SOURCE = "minimal_pair"  # the `source` of a minimal-pair hard negative
NO_MINIMAL_PAIR = "no_minimal_pair"  # the split's reject reason: a condition lost its pair in the own pool


def vacuous(index: CatalogIndex, category: str, attribute: str, value: str) -> bool:
    """No known product of the category violates attribute=value."""
    return not index.violates(category, attribute, value)


def pair_bits(index: CatalogIndex, category: str, conditions: Sequence[tuple[str, str]]) -> list[int]:
    """Per condition, the category-local bitset of its minimal pairs in the catalog."""
    meets = [index.meets(category, a, v) for a, v in conditions]
    pairs = []
    for i, (attribute, value) in enumerate(conditions):
        bits = index.violates(category, attribute, value)
        for j, m in enumerate(meets):
            if j != i and bits:
                bits &= m
        pairs.append(bits)
    return pairs


def untestable(index: CatalogIndex, category: str, conditions: Sequence[tuple[str, str]]) -> list[int]:
    """Positions of the conditions without a minimal pair in the catalog."""
    return [i for i, bits in enumerate(pair_bits(index, category, conditions)) if not bits]


class PairSet:
    """Conditions of one category that each keep a minimal pair, grown one condition at a time.

    Adding c keeps every condition testable iff c has a pair (all current conditions' meets AND
    violates(c)) and each current pair also meets c: O(conditions) ANDs per check, no recomputation."""

    def __init__(self, index: CatalogIndex, category: str) -> None:
        self.index, self.category = index, category
        self.all_meet = -1  # products meeting every condition so far (all ones: none yet)
        self.pairs: list[int] = []

    def admits(self, attribute: str, value: str) -> bool:
        meets, violates = self.index.sides(self.category, attribute, value)
        return bool(self.all_meet & violates) and all(pair & meets for pair in self.pairs)

    def add(self, attribute: str, value: str) -> None:
        meets, violates = self.index.sides(self.category, attribute, value)
        self.pairs = [pair & meets for pair in self.pairs] + [self.all_meet & violates]
        self.all_meet &= meets


def missing_pairs(conditions: list[dict], negatives: list[dict]) -> list[str]:
    """Attributes of the conditions that no `minimal_pair` negative of the list covers."""
    covered = {n["violates"][0] for n in negatives or [] if n["source"] == SOURCE and len(n["violates"]) == 1}
    return [c["attribute"] for c in conditions if c["attribute"] not in covered]

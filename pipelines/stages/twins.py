"""Photo twins: listings that share a photo, i.e. one image content id on several products.

Image ids are content hashes (pipelines/images.content_id), so a photo uploaded for two
listings (a reseller's copy, one item listed in two sizes, a stock shot) gives both the same
image id. To anything that looks at the image, twins are the same item, so:
- a twin of a positive is never a hard negative (a model would be taught to rank an identical
  picture below the positive), whatever their attributes say;
- twins sit on one side of the split (else the test pool holds a picture trained on);
- a visual value twins disagree on is unknown for all of them: one photo cannot show both.
Twinship is transitive (A shares a photo with B, B another with C: one group), found by a
union-find over image ids. Pure; every rule above is applied by its own stage through here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import pyarrow as pa


def photo_twins(products: pa.Table) -> dict[str, frozenset[str]]:
    """product_id -> every product (itself included) in its twin group; only groups of two or more."""
    if "image_ids" not in products.column_names:
        return {}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]  # path halving keeps chains short
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for pid, images in zip(products.column("product_id").to_pylist(), products.column("image_ids").to_pylist()):
        root(pid)
        for image in images or []:
            if image in owner:
                a, b = root(owner[image]), root(pid)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[image] = pid
    groups: dict[str, set[str]] = defaultdict(set)
    for pid in parent:
        groups[root(pid)].add(pid)
    # One group object, shared by its members: a copy per member is quadratic in the group's size.
    shared = [TwinGroup(group) for group in groups.values() if len(group) > 1]
    return {pid: group for group in shared for pid in group}


class TwinGroup(frozenset):
    """A twin group's products, with `key` (its smallest product id) computed once: one photo can sit on
    thousands of listings (a stock shot, a placeholder), and a `min` over the group per lookup made the
    steps that name a product's group (mine's twin conflicts, compose, negatives, split) quadratic in it."""

    key: str

    def __new__(cls, members: Iterable[str]) -> TwinGroup:
        group = super().__new__(cls, members)
        group.key = min(group)
        return group


class SharedPhoto:
    """`pid in SharedPhoto(twins, ids)`: whether `pid` is one of `ids` or shares a photo with one, holding one
    key per twin group instead of a copy of every twin (a group can hold thousands): steps ask it per query or plan."""

    def __init__(self, twins: dict[str, frozenset[str]], product_ids: Iterable[str]) -> None:
        self.twins = twins
        self.keys = {group_key(twins, pid) for pid in product_ids}

    def __contains__(self, product_id: str) -> bool:
        return group_key(self.twins, product_id) in self.keys


def group_key(twins: dict[str, frozenset[str]], product_id: str) -> str:
    """One stable name per twin group (its smallest product id); a product's own id otherwise."""
    group = twins.get(product_id)
    if group is None:
        return product_id
    return group.key if isinstance(group, TwinGroup) else min(group)


def conflicted_groups(facts: Iterable[dict], twins: dict[str, frozenset[str]],
                      is_visual: Callable[[str], bool]) -> set[tuple[str, str]]:
    """(twin group, visual attribute) pairs whose members give the attribute more than one value."""
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in facts:
        if f["product_id"] in twins and is_visual(f["attribute"]):
            values[(group_key(twins, f["product_id"]), f["attribute"])].add(f["value"])
    return {key for key, vals in values.items() if len(vals) > 1}


def in_conflict(fact: dict, twins: dict[str, frozenset[str]], conflicted: set[tuple[str, str]]) -> bool:
    """Whether `fact` is a value its twin group disagrees on (`conflicted_groups`): dropped, unknown for all."""
    return fact["product_id"] in twins and (group_key(twins, fact["product_id"]), fact["attribute"]) in conflicted


def drop_conflicting_visual(facts: list[dict], twins: dict[str, frozenset[str]],
                            is_visual: Callable[[str], bool]) -> tuple[list[dict], list[dict]]:
    """(facts kept, facts dropped): a visual attribute's values are dropped for every member of a
    twin group whose members give it more than one value."""
    conflicted = conflicted_groups(facts, twins, is_visual)
    kept, dropped = [], []
    for f in facts:
        (dropped if in_conflict(f, twins, conflicted) else kept).append(f)
    return kept, dropped

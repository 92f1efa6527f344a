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
    # One frozenset per group, shared by its members: a copy per member is quadratic in the group's size.
    shared = [frozenset(group) for group in groups.values() if len(group) > 1]
    return {pid: group for group in shared for pid in group}


def with_twins(twins: dict[str, frozenset[str]], product_ids: Iterable[str]) -> set[str]:
    """`product_ids` and every twin of them."""
    out = set()
    for pid in product_ids:
        out |= twins.get(pid, {pid})
    return out


def group_key(twins: dict[str, frozenset[str]], product_id: str) -> str:
    """One stable name per twin group (its smallest product id); a product's own id otherwise."""
    return min(twins.get(product_id, (product_id,)))


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

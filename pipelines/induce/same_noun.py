"""Types English names with one same noun are one type ("Vinyl", read as "a vinyl sticker", and "Vinyl Sticker").

Kept apart, a query for one type would count the other's products as violating it while its text names them
too ("a vinyl sticker like the one in <image_1>"): a false negative the audit cannot see, since the labels
are right about the values and wrong about the words. So the type named like the noun (else the one more
products carry) takes the others' spellings as synonyms, and mine reads them all as it.
"""

from __future__ import annotations

from collections import defaultdict


def merge_same_noun_types(types, nouns: dict[str, dict], undecided: list[str]) -> None:
    """Merge, in `types` (the `type` Attribute) and `nouns` ({type: its English noun}), the types one category
    names with one noun; each merge is a report line."""
    for category in sorted(types.by_category):
        by_head: dict[str, list[str]] = defaultdict(list)
        for value in sorted(types.by_category[category]):
            if value in nouns:
                by_head[nouns[value]["head"]].append(value)
        for head, same in by_head.items():
            if len(same) > 1:
                keep = head if head in same else max(same, key=lambda v: (types.counts[v], v))
                for value in same:
                    if value != keep:
                        _merge(types, nouns, value, keep)
                        undecided.append(f"type {value!r} reads as {head!r} like {keep!r} in {category!r}: one type "
                                         f"{keep!r}, with {value!r} among its synonyms")


def _merge(types, nouns: dict[str, dict], value: str, into: str) -> None:
    types.values[into] = sorted({*types.values[into], value, *types.values.pop(value)})
    types.counts[into] += types.counts.pop(value, 0)
    for found in types.by_category.values():
        if value in found:
            found.discard(value)
            found.add(into)
    nouns.pop(value, None)

"""A value for a list no one value means ("Boys, Girls"), where a list means "each of its parts".

A towel for boys and girls meets a query for boys and one for girls. Read as one of its parts it would
violate the other; left unknown, the product is lost to every query on that attribute. So induce proposes
one value per distinct set of parts ("boys and girls") whose `also_meets` names every value it covers.

That reading holds only where the vocabulary already says a value can meet others (gender's "unisex" meets
men and women: an audience). A list of colours or materials means "both at once" ("White, Pink" is
neither a white nor a pink blanket), so an attribute without `also_meets` gets no such value: its lists stay
unknown, and the report says so.

A value listing more than two audiences is kept for labels only (vocabulary `label_only`): it is how a shop
says "for everyone", not what a shopper asks for ("a men's, women's, boys' and girls' towel").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


def compound_parts(lists: Mapping[str, tuple[str, ...]], raw: Counter) -> dict[str, tuple[str, ...]]:
    """{raw list: its parts in the order of the most frequent spelling of the same set} ("Boys, Girls" x22 and
    "Girls, Boys" x1 are both ("boys", "girls"); the value is named `joined(parts)`: "boys and girls")."""
    order: dict[frozenset, tuple[str, ...]] = {}
    for _, parts in sorted(lists.items(), key=lambda kv: (-raw[kv[0]], kv[0])):
        order.setdefault(frozenset(parts), parts)
    return {spelling: order[frozenset(parts)] for spelling, parts in lists.items()}


MOST_PARTS_ASKED = 2  # "girls' and women's" is a shopper's phrase; a third audience makes it a shop's label


def label_only(compounds: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The compounds no query asks for: those listing more than MOST_PARTS_ASKED values."""
    return sorted(c for c, parts in compounds.items() if len(parts) > MOST_PARTS_ASKED)


def joined(parts: tuple[str, ...]) -> str:
    """"boys and girls", "men, women, boys and girls"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def compound_meets(values: Iterable[str], compounds: Mapping[str, tuple[str, ...]],
                   also_meets: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """{compound: the values it meets} for the compounds among `values`: a value meets a compound's query
    when everything that value stands for is among the compound's parts ("unisex", standing for men and
    women, is met by "men, women, boys and girls"; "boys and girls" is met by it too)."""
    values = list(values)
    stands_for = {v: frozenset(also_meets.get(v) or [v]) for v in values}
    stands_for.update({c: frozenset(p for part in parts for p in stands_for.get(part, {part}))
                       for c, parts in compounds.items() if c in stands_for})
    return {c: sorted(v for v in values if v != c and stands_for[v] <= stands_for[c])
            for c in compounds if c in stands_for}

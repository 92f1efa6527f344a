"""An in-memory index of mined attributes: bitsets per (category, attribute, value).

Python ints serve as bitsets over product positions *within a category*, so the positive set
of a condition list is a few big-int ANDs and its size a popcount; keeping positions local
to the category keeps every int (and so every AND) as short as the category is small.
`bits` hold the products that MEET a value (their own value or one the vocabulary says also
meets it, stages/matching.py); `known` the products with any value for an attribute, so
"unknown" is "in the category and not known" and never counts as a violation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.stages.matching import Matcher
from pipelines.stages.twins import photo_twins


@dataclass
class CatalogIndex:
    ids: list[str]
    category: list[str]
    image: list[str | None]
    values: list[dict[str, str]]
    family: list[str | None]
    bits: dict[tuple[str, str, str], int]  # products meeting (category, attribute, value)
    members: dict[tuple[str, str, str], list[int]]  # products whose own value it is (image sources)
    by_category: dict[str, list[int]]
    families: dict[str, list[int]]
    local: list[int]  # global position -> position within its category's bitsets
    known: dict[tuple[str, str], int]  # (category, attribute) -> products with a value for it
    twins: dict[str, frozenset[str]] = field(default_factory=dict)  # listings sharing a photo (stages/twins.py)
    _member_arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _sides: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict, repr=False, compare=False)
    _own: dict[str, dict[str, list[tuple[str, int]]]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.ids)

    def positives(self, category: str, conditions: list[tuple[str, str]]) -> int:
        """Category-local bitset of the products in `category` that meet every (attribute, value)."""
        result = -1
        for attribute, value in conditions:
            result &= self.bits.get((category, attribute, value), 0)
            if not result:
                return 0
        return result

    def position(self, product_id: str) -> int | None:
        """Global position of a product id (None when it is not indexed); the map is built on first use."""
        if not self._positions and self.ids:
            self._positions.update((pid, i) for i, pid in enumerate(self.ids))
        return self._positions.get(product_id)

    def everyone(self, category: str) -> int:
        return (1 << len(self.by_category.get(category, []))) - 1

    def meets(self, category: str, attribute: str, value: str) -> int:
        return self.bits.get((category, attribute, value), 0)

    def violates(self, category: str, attribute: str, value: str) -> int:
        """Products with a known value for the attribute that does not meet `value`."""
        return self.sides(category, attribute, value)[1]

    def sides(self, category: str, attribute: str, value: str) -> tuple[int, int]:
        """(meets, violates) of attribute=value, cached: compose asks for the same few values on every try
        (bounded by the index's values, not by attempts)."""
        key = (category, attribute, value)
        found = self._sides.get(key)
        if found is None:
            meets = self.meets(category, attribute, value)
            found = self._sides[key] = (meets, self.known.get((category, attribute), 0) & ~meets)
        return found

    def unverified(self, category: str, conditions: list[tuple[str, str]], positives: int | None = None) -> int:
        """Products violating no condition but unknown on at least one (never positive nor negative).
        `positives`: the conditions' `positives`, when the caller has it already."""
        maybe = self.everyone(category)
        for attribute, value in conditions:
            maybe &= ~self.violates(category, attribute, value)
        return maybe & ~(self.positives(category, conditions) if positives is None else positives)

    def own_values(self, category: str, attribute: str, bits: int) -> list[str] | None:
        """The distinct values of `attribute` that the category-local products in `bits` have themselves
        (not through a value relation), sorted; None when one of them has no value for it."""
        if bits & ~self.known.get((category, attribute), 0):
            return None
        by_category = self._own.get(attribute)
        if by_category is None:  # built on first use, for this attribute only
            by_category = self._own[attribute] = defaultdict(list)
            for (cat, attr, value), positions in self.members.items():
                if attr == attribute:
                    by_category[cat].append((value, _to_bits(sorted(self.local[p] for p in positions))))
        return sorted(value for value, own in by_category.get(category, ()) if own & bits)

    def to_global(self, category: str, bits: int) -> list[int]:
        """Global positions of the set bits of a category-local bitset."""
        members = self.by_category[category]
        return [members[i] for i in bit_positions(bits)]

    def global_positions(self, category: str, bits: int) -> np.ndarray:
        """`to_global` as an int64 array (no Python int per product: levels of negatives can be large)."""
        members = self._member_arrays.get(category)
        if members is None:
            members = self._member_arrays[category] = np.array(self.by_category.get(category, []), dtype=np.int64)
        return members[local_positions(bits)]

    def matching(self, category: str, attribute: str, value: str) -> list[int]:
        return self.members.get((category, attribute, value), [])


def bit_positions(bits: int) -> list[int]:
    """Positions of the set bits, lowest first (vectorised: a bit loop on big ints is O(n) per bit)."""
    return local_positions(bits).tolist()


def local_positions(bits: int) -> np.ndarray:
    """`bit_positions` as an int64 array."""
    if not bits:
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little"))


def shared_strings(column: pa.ChunkedArray | pa.Array) -> list:
    """The column's values as Python objects, one object per distinct value: a catalog index holds each
    attribute name and value millions of times, and `to_pylist` makes a new str for every row."""
    if len(column) == 0:
        return []
    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    words = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)  # the last one: a null's
    return words[encoded.indices.fill_null(len(words) - 1).to_numpy()].tolist()


def build_index(products: pa.Table, attributes: pa.Table, families: pa.Table,
                matcher: Matcher | None = None) -> CatalogIndex:
    """Index products (sorted by id, so positions are deterministic) with their mined values."""
    matcher = matcher or Matcher()
    rows = sorted(products.select(["product_id", "category", "image_ids"]).to_pylist(), key=lambda r: r["product_id"])
    categories: dict[str, str] = {}
    for row in rows:  # one str per category name, as `shared_strings` gives
        row["category"] = categories.setdefault(row["category"], row["category"])
    ids = [r["product_id"] for r in rows]
    pos = {pid: i for i, pid in enumerate(ids)}
    values: list[dict[str, str]] = [{} for _ in ids]
    for pid, attribute, value in zip(attributes.column("product_id").to_pylist(), shared_strings(attributes.column("attribute")),
                                     shared_strings(attributes.column("value"))):
        if pid in pos:
            values[pos[pid]][attribute] = value
    family: list[str | None] = [None] * len(ids)
    for pid, fam in zip(families.column("product_id").to_pylist(), families.column("family_id").to_pylist()):
        if pid in pos:
            family[pos[pid]] = fam
    members: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    local = [0] * len(rows)
    for i, r in enumerate(rows):
        local[i] = len(by_category[r["category"]])
        by_category[r["category"]].append(i)
        for attribute, value in values[i].items():
            members[(r["category"], attribute, value)].append(i)
    meeting: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    known_members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (category, attribute, value), positions in members.items():
        known_members[(category, attribute)].extend(positions)
        for met in (value, *matcher.also_meets(attribute, value)):
            meeting[(category, attribute, met)].extend(positions)
    bits = {key: _to_bits(sorted(local[p] for p in positions)) for key, positions in meeting.items()}
    known = {key: _to_bits(sorted(local[p] for p in positions)) for key, positions in known_members.items()}
    fams: dict[str, list[int]] = defaultdict(list)
    for i, fam in enumerate(family):
        if fam is not None:
            fams[fam].append(i)
    return CatalogIndex(
        ids=ids, category=[r["category"] for r in rows], image=[(r["image_ids"] or [None])[0] for r in rows],
        values=values, family=family, bits=bits, members=dict(members), by_category=dict(by_category),
        families={k: v for k, v in fams.items() if len(v) > 1}, local=local, known=known, twins=photo_twins(products),
    )


def _to_bits(positions: list[int]) -> int:
    # Build through a bytearray: OR-ing thousands of big ints one by one is quadratic.
    if not positions:
        return 0
    buf = bytearray(positions[-1] // 8 + 1)
    for p in positions:
        buf[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buf, "little")

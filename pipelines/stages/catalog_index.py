"""An in-memory index of mined attributes: bitsets per (category, attribute, value).

Python ints serve as bitsets over product positions, so the positive set of a condition
list is a few big-int ANDs and its size a popcount, at any catalog size that fits in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa


@dataclass
class CatalogIndex:
    ids: list[str]
    category: list[str]
    image: list[str | None]
    values: list[dict[str, str]]
    family: list[str | None]
    bits: dict[tuple[str, str, str], int]
    members: dict[tuple[str, str, str], list[int]]
    by_category: dict[str, list[int]]
    families: dict[str, list[int]]

    @property
    def size(self) -> int:
        return len(self.ids)

    def positives(self, category: str, conditions: list[tuple[str, str]]) -> int:
        """Bitset of the products in `category` that meet every (attribute, value)."""
        result = -1
        for attribute, value in conditions:
            result &= self.bits.get((category, attribute, value), 0)
            if not result:
                return 0
        return result

    def matching(self, category: str, attribute: str, value: str) -> list[int]:
        return self.members.get((category, attribute, value), [])


def bit_positions(bits: int) -> list[int]:
    """Positions of the set bits, lowest first."""
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def build_index(products: pa.Table, attributes: pa.Table, families: pa.Table) -> CatalogIndex:
    """Index products (sorted by id, so positions are deterministic) with their mined values."""
    rows = sorted(products.select(["product_id", "category", "image_ids"]).to_pylist(), key=lambda r: r["product_id"])
    ids = [r["product_id"] for r in rows]
    pos = {pid: i for i, pid in enumerate(ids)}
    values: list[dict[str, str]] = [{} for _ in ids]
    for pid, attribute, value in zip(*(attributes.column(c).to_pylist() for c in ("product_id", "attribute", "value"))):
        if pid in pos:
            values[pos[pid]][attribute] = value
    family: list[str | None] = [None] * len(ids)
    for pid, fam in zip(families.column("product_id").to_pylist(), families.column("family_id").to_pylist()):
        if pid in pos:
            family[pos[pid]] = fam
    members: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_category[r["category"]].append(i)
        for attribute, value in values[i].items():
            members[(r["category"], attribute, value)].append(i)
    bits = {key: _to_bits(positions) for key, positions in members.items()}
    fams: dict[str, list[int]] = defaultdict(list)
    for i, fam in enumerate(family):
        if fam is not None:
            fams[fam].append(i)
    return CatalogIndex(
        ids=ids, category=[r["category"] for r in rows], image=[(r["image_ids"] or [None])[0] for r in rows],
        values=values, family=family, bits=bits, members=dict(members), by_category=dict(by_category),
        families={k: v for k, v in fams.items() if len(v) > 1},
    )


def _to_bits(positions: list[int]) -> int:
    # Build through a bytearray: OR-ing thousands of big ints one by one is quadratic.
    if not positions:
        return 0
    buf = bytearray(positions[-1] // 8 + 1)
    for p in positions:
        buf[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buf, "little")

"""The audit's checks: pure functions over exported rows, written apart from the stage code.

Nothing here imports `pipelines.stages` (an import-linter contract): the labels are recomputed
from the exported products' attributes and the vocabulary's `also_meets` relations alone, so
a bug in compose, negatives or split cannot hide itself by being shared with its checker.

Semantics for a condition (attribute A, value v): a product MEETS it when one of its values
for A is v or is listed under `attributes.<A>.also_meets` as meeting v; VIOLATES it when it has
values for A and none meets v; is UNKNOWN on it when it has no value for A. The query's
category is an implicit condition: positives come from it, and a product of another category
violates it.

The row checks are split in two so that `stream.py` can judge each distinct content once: a
`judge_*` function reads only a row's labelled content (category, conditions, positives,
negatives, images, split, n_unverified) and returns per check (rows checked, failure payloads);
the caller adds each failure once per row carrying that content, with the row's own query_id.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

PLACEHOLDER = re.compile(r"<image_(\d+)>")
MAX_EXAMPLES = 5
ROLES = ("positives", "images", "negatives")
Judged = tuple[int, list[dict]]  # (items checked, failure payloads without the query_id) for one row
_NO_VALUES: dict = {}  # a product with no attribute values (or not exported): unknown on every condition


@dataclass
class Check:
    name: str
    description: str
    checked: int = 0
    failed: int = 0
    skipped: str = ""  # why the check could not run, when it could not
    examples: list = field(default_factory=list)

    def fail(self, example) -> None:
        self.failed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def as_dict(self) -> dict:
        status = "skipped" if self.skipped else ("fail" if self.failed else "pass")
        return {"name": self.name, "description": self.description, "status": status, "checked": self.checked,
                "failed": self.failed, "skipped": self.skipped, "examples": self.examples}


def _mask(positions: list[int]) -> int:
    """The int with these bits set (built through numpy: OR-ing a growing int per fact is quadratic)."""
    bits = np.zeros(max(positions) + 1, dtype=bool)
    bits[positions] = True
    return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


class Catalog:
    """Exported products as per-category bitsets: (attribute, value) -> products having it."""

    def __init__(self, products: list[dict], also_meets: dict[str, dict[str, list[str]]]) -> None:
        self.also_meets = also_meets
        self.category = {p["product_id"]: p["category"] for p in products}
        # product -> attribute -> its distinct values, as a tuple (a set per fact was gigabytes at 400K)
        self.values: dict[str, dict[str, tuple[str, ...]]] = {}
        # a product's bit in its category's masks, as its position: an int of `1 << position` per
        # product would hold a quadratic number of bits (1.4 GB at 400K products)
        self.position: dict[str, int] = {}
        self.ids: dict[str, list[str]] = defaultdict(list)
        having: dict[tuple[str, str, str], list[int]] = defaultdict(list)  # (category, attribute, value)
        for p in sorted(products, key=lambda p: p["product_id"]):
            cat, pid = p["category"], p["product_id"]
            self.position[pid] = len(self.ids[cat])
            self.ids[cat].append(pid)
            values: dict[str, dict[str, None]] = defaultdict(dict)
            for a in p["attributes"] or []:
                name, value = sys.intern(a["name"]), sys.intern(a["value"])
                values[name][value] = None
                having[(cat, name, value)].append(self.position[pid])
            self.values[pid] = {name: tuple(vals) for name, vals in values.items()}
        self.masks = {key: _mask(positions) for key, positions in having.items()}
        self.known: dict[tuple[str, str], int] = defaultdict(int)
        self.by_attribute: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (cat, attr, value), mask in self.masks.items():
            self.known[(cat, attr)] |= mask
            self.by_attribute[(cat, attr)].append(value)
        self._meeting: dict[tuple[str, str], frozenset[str]] = {}
        self._meets: dict[tuple[str, str, str], int] = {}
        self._all: dict[str, int] = {}  # category -> its every product's bit (read once per condition)

    def meeting(self, attribute: str, want: str) -> frozenset[str]:
        """The values that meet `want`: itself and those the vocabulary lists as also meeting it (cached:
        bounded by the vocabulary, not by queries)."""
        key = (attribute, want)
        if key not in self._meeting:
            related = self.also_meets.get(attribute, {})
            self._meeting[key] = frozenset([want, *(have for have, wants in related.items() if want in wants)])
        return self._meeting[key]

    def wanted(self, conditions) -> list[tuple[str, frozenset[str]]]:
        """(attribute, the values meeting it) per (attribute, value) condition: what `verdicts` reads,
        derived once per query rather than once per product judged against it."""
        return [(attribute, self.meeting(attribute, value)) for attribute, value in conditions]

    def verdicts(self, pid: str, wanted: list[tuple[str, frozenset[str]]]) -> dict[str, str]:
        """attribute -> meets | violates | unknown, for one product and a query's `wanted` conditions."""
        values = self.values.get(pid, _NO_VALUES)
        out = {}
        for attribute, meeting in wanted:
            have = values.get(attribute)
            out[attribute] = "unknown" if not have else "violates" if meeting.isdisjoint(have) else "meets"
        return out

    def meets_mask(self, category: str, attribute: str, value: str) -> int:
        """Products of the category meeting attribute=value (cached per catalog value, like `meeting`)."""
        key = (category, attribute, value)
        if key not in self._meets:
            meeting, mask = self.meeting(attribute, value), 0
            for have in self.by_attribute.get((category, attribute), []):
                if have in meeting:
                    mask |= self.masks[(category, attribute, have)]  # OR: a product may have several values
            self._meets[key] = mask
        return self._meets[key]

    def all_mask(self, category: str) -> int:
        if category not in self._all:
            self._all[category] = (1 << len(self.ids.get(category, []))) - 1
        return self._all[category]

    def mask_of(self, category: str, pids: list[str]) -> int:
        return sum(1 << self.position[p] for p in set(pids) if self.category.get(p) == category)

    def labels(self, category: str, conditions: tuple[tuple[str, str], ...]) -> tuple[int, int]:
        """(positives mask, unverified mask) of a category for (attribute, value) conditions."""
        positives = open_ = self.all_mask(category)
        for attribute, value in conditions:
            meets = self.meets_mask(category, attribute, value)
            unknown = self.all_mask(category) & ~self.known[(category, attribute)]
            positives &= meets
            open_ &= meets | unknown
        return positives, open_ & ~positives


def judge_positives(q: dict, catalog: Catalog, labels) -> tuple[Judged, Judged | None]:
    """Positives equal the products meeting every condition; n_unverified matches (None: not exported).
    `labels(category, sorted conditions)` is `catalog.labels`, possibly behind a cache."""
    expected, open_ = labels(q["category"], tuple(sorted((c["attribute"], c["value"]) for c in q["conditions"])))
    listed = q["positive_ids"] or []
    exact = []
    if catalog.mask_of(q["category"], listed) != expected or len(set(listed)) != len(listed) or \
            any(catalog.category.get(p) != q["category"] for p in listed):
        exact.append({"listed": len(listed), "expected": expected.bit_count()})
    if "n_unverified" not in q:
        return (1, exact), None
    unverified = [] if q["n_unverified"] == open_.bit_count() else \
        [{"listed": q["n_unverified"], "expected": open_.bit_count()}]
    return (1, exact), (1, unverified)


def negative_verdicts(q: dict, catalog: Catalog) -> list[dict[str, str]]:
    """`Catalog.verdicts` of each hard negative on the query's conditions, in list order: judged once per
    content and read by `judge_negatives` and the testability checks."""
    wanted = catalog.wanted((c["attribute"], c["value"]) for c in q["conditions"] or [])
    return [catalog.verdicts(n["product_id"], wanted) for n in q["hard_negatives"] or []]


def judge_negatives(q: dict, catalog: Catalog, judged_verdicts: list[dict[str, str]] | None = None
                    ) -> tuple[Judged, Judged, Judged]:
    """Every hard negative violates a known condition, and `violates` names only known violations:
    (no_false_negatives, no_unknown_as_negative, violates_are_known). `judged_verdicts`: the
    `negative_verdicts` of q, when the caller has them."""
    false_neg, unknown, listed = [], [], []
    negatives = q["hard_negatives"] or []
    if judged_verdicts is None:
        judged_verdicts = negative_verdicts(q, catalog)
    for n, attribute_verdicts in zip(negatives, judged_verdicts):
        pid = n["product_id"]
        # The query's category is a condition too: a product of another category violates it (always known).
        # An attribute named "category" overrides it, as in {"category": ..., **attribute_verdicts}.
        of_category = "meets" if catalog.category.get(pid) == q["category"] else "violates"
        judged = attribute_verdicts.values()
        if "violates" not in judged and (of_category == "meets" or "category" in attribute_verdicts):
            verdicts = {"category": of_category, **attribute_verdicts}
            (unknown if "unknown" in judged else false_neg).append({"product_id": pid, "verdicts": verdicts})
        named = n["violates"] or []
        if any(attribute_verdicts.get(a, of_category if a == "category" else None) != "violates" for a in named):
            listed.append({"product_id": pid, "verdicts": {"category": of_category, **attribute_verdicts},
                           "violates": list(named)})
    return (len(negatives), false_neg), (len(negatives), unknown), (len(negatives), listed)


def judge_ids(q: dict, images: dict[str, set[str]]) -> Judged:
    """Every positive, negative, image product and image id resolves to an exported product."""
    negs = [n["product_id"] for n in q["hard_negatives"] or []]
    shown = q["images"] or []
    refs = (("positive", q["positive_ids"] or []), ("negative", negs), ("negative_id", q["hard_negative_ids"] or []),
            ("image_product", [i["product_id"] for i in shown]))
    failures = [{"kind": kind, "id": pid} for kind, pids in refs for pid in pids if pid not in images]
    failures += [{"kind": "image_id", "id": i["image_id"]} for i in shown
                 if i["image_id"] not in images.get(i["product_id"], ())]
    if sorted(negs) != sorted(q["hard_negative_ids"] or []):
        failures.append({"kind": "hard_negative_ids differ from hard_negatives"})
    return sum(len(pids) for _, pids in refs) + len(shown), failures


def judge_label_only(q: dict, label_only: dict[str, frozenset[str]]) -> Judged:
    """No condition asks for a value the vocabulary keeps for labels only (`attributes.<A>.label_only`)."""
    conditions = q["conditions"] or []
    return len(conditions), [{"attribute": c["attribute"], "value": c["value"]} for c in conditions
                             if c["value"] in label_only.get(c["attribute"], ())]


def judge_required(q: dict, required: dict[str, frozenset[str]]) -> Judged:
    """Every attribute the vocabulary requires of the query's category (`required_conditions`) is a condition."""
    wanted = required.get(q["category"], frozenset())
    asked = {c["attribute"] for c in q["conditions"] or []}
    return len(wanted), [{"missing": a} for a in sorted(wanted - asked)]


def judge_photo_twins(q: dict, photos: dict[str, set[str]]) -> Judged:
    """Image ids are content hashes, so listings sharing a photo share an image id: such a listing
    is never a query's negative or query image when it shares a photo with a positive."""
    positive_photos = set().union(*(photos.get(pid, ()) for pid in q["positive_ids"] or []))
    negatives, images = q["hard_negative_ids"] or [], q["images"] or []
    failures = [] if not positive_photos else [
        {"role": role, "product_id": pid} for role, pid in [*(("negative", n) for n in negatives),
                                                            *(("image", i["product_id"]) for i in images)]
        if not positive_photos.isdisjoint(photos.get(pid, ()))]
    return len(negatives) + len(images), failures


def placeholder_failure(text: str | None, n_images: int) -> dict | None:
    """Placeholders are `<image_1>`..`<image_k>` in order, k = number of images (per row: texts differ)."""
    numbers = [int(m) for m in PLACEHOLDER.findall(text or "")]
    return None if numbers == list(range(1, n_images + 1)) else {"placeholders": numbers, "images": n_images}


def query_products(q: dict) -> list[str]:
    return [*(q["positive_ids"] or []), *(i["product_id"] for i in q["images"] or []), *(q["hard_negative_ids"] or [])]


def add_used(used: dict[str, set[str]], q: dict) -> None:
    """Record the products a query uses, per role, in its split's sets."""
    used["positives"].update(q["positive_ids"] or [])
    used["images"].update(i["product_id"] for i in q["images"] or [])
    used["negatives"].update(q["hard_negative_ids"] or [])
    used["negatives"].update(n["product_id"] for n in q["hard_negatives"] or [])


def split_leakage(used: dict[str, dict[str, set[str]]], outside_own_pool: int | None) -> tuple[Check, dict]:
    """Products a query of one split uses (as positive, image or negative) that another split also uses.

    Returns the check and its figures: shared_<role>_products per role (a product in that role
    on one side and in any role on another), and outside_own_pool (query-product pairs whose
    product's exported `split` is not the query's; None when products carry no split).
    """
    check = Check("split_leakage", "no product is used by both train and test (positives, images, negatives)")
    any_role = {s: set().union(*roles.values()) for s, roles in used.items()}
    figures = {}
    for role in ROLES:
        shared = {p for s in used for t in used if t != s for p in used[s][role] & any_role[t]}
        figures[f"shared_{role}_products"] = len(shared)
        for pid in sorted(shared)[:MAX_EXAMPLES]:
            check.examples.append({"role": role, "product_id": pid})
    check.checked = len(set().union(*any_role.values())) if any_role else 0
    figures["outside_own_pool"] = outside_own_pool
    check.failed = sum(v or 0 for v in figures.values())
    check.examples = check.examples[:MAX_EXAMPLES]
    return check, figures


def check_photo_pools(products: list[dict]) -> Check:
    """A photo never sits in both splits' product pools."""
    pools = Check("photo_in_both_pools", "no photo belongs to products of both splits")
    sides: dict[str, set[str]] = defaultdict(set)
    for p in (p for p in products if p.get("split")):
        for image in p["image_ids"] or []:
            sides[image].add(p["split"])
    for image, seen in sorted(sides.items()):
        pools.checked += 1
        if len(seen) > 1:
            pools.fail({"image_id": image, "splits": sorted(seen)})
    if not sides:
        pools.skipped = "exported products carry no split"
    return pools

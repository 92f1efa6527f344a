"""The audit's checks: pure functions over exported rows, written apart from the stage code.

Nothing here imports `pipelines.stages` (an import-linter contract): the labels are recomputed
from the exported products' attributes and the vocabulary's `also_meets` relations alone, so
a bug in compose, negatives or split cannot hide itself by being shared with its checker.

Semantics for a condition (attribute A, value v): a product MEETS it when one of its values
for A is v or is listed under `attributes.<A>.also_meets` as meeting v; VIOLATES it when it has
values for A and none meets v; is UNKNOWN on it when it has no value for A. The query's
category is an implicit condition: positives come from it, and a product of another category
violates it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"<image_(\d+)>")
MAX_EXAMPLES = 5


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


class Catalog:
    """Exported products as per-category bitsets: (attribute, value) -> products having it."""

    def __init__(self, products: list[dict], also_meets: dict[str, dict[str, list[str]]]) -> None:
        self.also_meets = also_meets
        self.category = {p["product_id"]: p["category"] for p in products}
        self.values: dict[str, dict[str, set[str]]] = {}
        self.bit: dict[str, int] = {}
        self.ids: dict[str, list[str]] = defaultdict(list)
        self.masks: dict[tuple[str, str, str], int] = defaultdict(int)  # (category, attribute, value)
        for p in sorted(products, key=lambda p: p["product_id"]):
            cat, pid = p["category"], p["product_id"]
            self.bit[pid] = 1 << len(self.ids[cat])
            self.ids[cat].append(pid)
            values: dict[str, set[str]] = defaultdict(set)
            for a in p["attributes"] or []:
                values[a["name"]].add(a["value"])
                self.masks[(cat, a["name"], a["value"])] |= self.bit[pid]
            self.values[pid] = dict(values)
        self.known: dict[tuple[str, str], int] = defaultdict(int)
        self.by_attribute: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (cat, attr, value), mask in self.masks.items():
            self.known[(cat, attr)] |= mask
            self.by_attribute[(cat, attr)].append(value)

    def meets_value(self, attribute: str, have: str, want: str) -> bool:
        return have == want or want in self.also_meets.get(attribute, {}).get(have, ())

    def verdict(self, pid: str, attribute: str, value: str) -> str:
        """meets | violates | unknown, for one product and one condition."""
        have = self.values.get(pid, {}).get(attribute)
        if not have:
            return "unknown"
        return "meets" if any(self.meets_value(attribute, h, value) for h in have) else "violates"

    def meets_mask(self, category: str, attribute: str, value: str) -> int:
        mask = 0
        for have in self.by_attribute.get((category, attribute), []):
            if self.meets_value(attribute, have, value):
                mask |= self.masks[(category, attribute, have)]
        return mask

    def all_mask(self, category: str) -> int:
        return (1 << len(self.ids.get(category, []))) - 1

    def mask_of(self, category: str, pids: list[str]) -> int:
        return sum(self.bit[p] for p in set(pids) if self.category.get(p) == category)


def _labels(catalog: Catalog, category: str, conditions: list[dict]) -> tuple[int, int]:
    """(positives mask, unverified mask) of a category for a list of conditions."""
    positives = open_ = catalog.all_mask(category)
    for c in conditions:
        meets = catalog.meets_mask(category, c["attribute"], c["value"])
        unknown = catalog.all_mask(category) & ~catalog.known[(category, c["attribute"])]
        positives &= meets
        open_ &= meets | unknown
    return positives, open_ & ~positives


def check_positive_sets(queries: list[dict], catalog: Catalog) -> tuple[Check, Check]:
    """Positives equal the products meeting every condition; n_unverified matches (when exported)."""
    exact = Check("positives_exact", "positive set = products of the category meeting every condition")
    unverified = Check("n_unverified", "n_unverified = products violating nothing known but unknown on a condition")
    if not queries or "n_unverified" not in queries[0]:
        unverified.skipped = "queries carry no n_unverified column"
    cache: dict = {}
    for q in queries:
        key = (q["category"], tuple(sorted((c["attribute"], c["value"]) for c in q["conditions"])))
        if key not in cache:
            cache[key] = _labels(catalog, q["category"], q["conditions"])
        expected, open_ = cache[key]
        listed = q["positive_ids"] or []
        exact.checked += 1
        if catalog.mask_of(q["category"], listed) != expected or len(set(listed)) != len(listed) or \
                any(catalog.category.get(p) != q["category"] for p in listed):
            want = expected.bit_count()
            exact.fail({"query_id": q["query_id"], "listed": len(listed), "expected": want})
        if not unverified.skipped:
            unverified.checked += 1
            if q["n_unverified"] != open_.bit_count():
                unverified.fail({"query_id": q["query_id"], "listed": q["n_unverified"], "expected": open_.bit_count()})
    return exact, unverified


def check_negatives(queries: list[dict], catalog: Catalog) -> list[Check]:
    """Every hard negative violates a known condition, and `violates` names only known violations."""
    false_neg = Check("no_false_negatives", "no hard negative meets every condition (a true positive)")
    unknown = Check("no_unknown_as_negative", "no hard negative that violates nothing known (unverified)")
    listed = Check("violates_are_known", "each negative's `violates` lists only conditions it violates on a known value")
    for q in queries:
        for n in q["hard_negatives"] or []:
            pid = n["product_id"]
            # The query's category is a condition too: a product of another category violates it (always known).
            verdicts = {"category": "meets" if catalog.category.get(pid) == q["category"] else "violates"}
            verdicts.update({c["attribute"]: catalog.verdict(pid, c["attribute"], c["value"]) for c in q["conditions"]})
            for check in (false_neg, unknown, listed):
                check.checked += 1
            example = {"query_id": q["query_id"], "product_id": pid, "verdicts": verdicts}
            if all(v == "meets" for v in verdicts.values()):
                false_neg.fail(example)
            elif "violates" not in verdicts.values():
                unknown.fail(example)
            if any(verdicts.get(a) != "violates" for a in n["violates"] or []):
                listed.fail({**example, "violates": list(n["violates"] or [])})
    return [false_neg, unknown, listed]


def check_placeholders(queries: list[dict]) -> Check:
    check = Check("placeholders_match_images", "placeholders are `<image_1>`..`<image_k>` in order, k = number of images")
    for q in queries:
        check.checked += 1
        numbers = [int(m) for m in PLACEHOLDER.findall(q["text"] or "")]
        if numbers != list(range(1, len(q["images"] or []) + 1)):
            check.fail({"query_id": q["query_id"], "placeholders": numbers, "images": len(q["images"] or [])})
    return check


def check_ids(queries: list[dict], products: list[dict]) -> Check:
    """Every positive, negative, image product and image id resolves to an exported product."""
    check = Check("ids_resolve", "positives, negatives, image products and image ids exist in the exported products")
    images = {p["product_id"]: set(p["image_ids"] or []) for p in products}
    for q in queries:
        negs = [n["product_id"] for n in q["hard_negatives"] or []]
        refs = [("positive", p) for p in q["positive_ids"] or []] + [("negative", p) for p in negs]
        refs += [("negative_id", p) for p in q["hard_negative_ids"] or []]
        refs += [("image_product", i["product_id"]) for i in q["images"] or []]
        for kind, pid in refs:
            check.checked += 1
            if pid not in images:
                check.fail({"query_id": q["query_id"], "kind": kind, "id": pid})
        for i in q["images"] or []:
            check.checked += 1
            if i["image_id"] not in images.get(i["product_id"], ()):
                check.fail({"query_id": q["query_id"], "kind": "image_id", "id": i["image_id"]})
        if sorted(negs) != sorted(q["hard_negative_ids"] or []):
            check.fail({"query_id": q["query_id"], "kind": "hard_negative_ids differ from hard_negatives"})
    return check


ROLES = ("positives", "images", "negatives")


def _used_by_split(queries: list[dict]) -> dict[str, dict[str, set[str]]]:
    used: dict[str, dict[str, set[str]]] = defaultdict(lambda: {r: set() for r in ROLES})
    for q in queries:
        roles = used[q["split"]]
        roles["positives"].update(q["positive_ids"] or [])
        roles["images"].update(i["product_id"] for i in q["images"] or [])
        roles["negatives"].update(q["hard_negative_ids"] or [])
        roles["negatives"].update(n["product_id"] for n in q["hard_negatives"] or [])
    return used


def check_split_leakage(queries: list[dict], products: list[dict]) -> tuple[Check, dict]:
    """Products a query of one split uses (as positive, image or negative) that another split also uses.

    Returns the check and its figures: shared_<role>_products per role (a product in that role
    on one side and in any role on another), and outside_own_pool (query-product pairs whose
    product's exported `split` is not the query's, when products carry a split).
    """
    check = Check("split_leakage", "no product is used by both train and test (positives, images, negatives)")
    used = _used_by_split(queries)
    any_role = {s: set().union(*roles.values()) for s, roles in used.items()}
    figures = {}
    for role in ROLES:
        shared = {p for s in used for t in used if t != s for p in used[s][role] & any_role[t]}
        figures[f"shared_{role}_products"] = len(shared)
        for pid in sorted(shared)[:MAX_EXAMPLES]:
            check.examples.append({"role": role, "product_id": pid})
    check.checked = len(set().union(*any_role.values())) if any_role else 0
    pool = {p["product_id"]: p.get("split") for p in products if p.get("split")}
    figures["outside_own_pool"] = None
    if pool:
        figures["outside_own_pool"] = sum(pool.get(pid, q["split"]) != q["split"] for q in queries
                                          for pid in _query_products(q))
    check.failed = sum(v or 0 for v in figures.values())
    check.examples = check.examples[:MAX_EXAMPLES]
    return check, figures


def check_photos(queries: list[dict], products: list[dict]) -> list[Check]:
    """Image ids are content hashes, so listings sharing a photo share an image id: such a listing
    is never a query's negative or query image when it shares a photo with a positive, and a photo
    never sits in both splits' product pools."""
    photos = {p["product_id"]: set(p["image_ids"] or []) for p in products}
    twin = Check("photo_twins_of_positives", "no hard negative or query image shares a photo with one of the query's positives")
    for q in queries:
        positive_photos = set().union(*(photos.get(pid, set()) for pid in q["positive_ids"] or []))
        for role, pid in [*(("negative", n) for n in q["hard_negative_ids"] or []),
                          *(("image", i["product_id"]) for i in q["images"] or [])]:
            twin.checked += 1
            if photos.get(pid, set()) & positive_photos:
                twin.fail({"query_id": q["query_id"], "role": role, "product_id": pid})
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
    return [twin, pools]


def _query_products(q: dict) -> list[str]:
    return [*(q["positive_ids"] or []), *(i["product_id"] for i in q["images"] or []), *(q["hard_negative_ids"] or [])]


def audit_tables(queries: list[dict], products: list[dict], also_meets: dict[str, dict[str, list[str]]]) -> dict:
    """Every check over exported query and product rows; `passed` is False when any check fails."""
    catalog = Catalog(products, also_meets)
    exact, unverified = check_positive_sets(queries, catalog)
    leakage, figures = check_split_leakage(queries, products)
    checks = [check_ids(queries, products), exact, *check_negatives(queries, catalog), unverified,
              check_placeholders(queries), leakage, *check_photos(queries, products)]
    rows = [c.as_dict() for c in checks]
    splits = defaultdict(int)
    for q in queries:
        splits[q["split"]] += 1
    return {"passed": all(r["status"] != "fail" for r in rows), "checks": rows,
            "figures": {"queries": len(queries), "products": len(products), "queries_by_split": dict(splits), **figures}}

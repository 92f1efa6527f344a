"""The audit's testability checks: can the export show that a retriever ignores a condition?

A condition (attribute A, value v) of a query is TESTABLE when the query's own split pool holds a
minimal pair for it: a product of the category that meets every OTHER condition on a known value
and violates this one on a known value. Only then does ignoring the condition cost a retriever
anything. Recomputed here from the exported products (`checks.Catalog`) and their `split`, never
from the stages (a minimal pair for condition i exists iff AND over j != i of meets(j), AND
violates(i), AND the pool, is not empty: a few big-int ANDs per condition, no loop over products).

- testable_conditions: share of conditions with a minimal pair in their own pool, per split; fails
  below `audit.min_testable_share` on test;
- minimal_pair_negatives: each `source = "minimal_pair"` negative violates exactly its listed
  attribute and meets every other condition on known values; fails when one does not, or when the
  share of test conditions with such a negative is below `audit.min_testable_share`;
- vacuous_conditions: a condition no known product of the category violates (the category implies
  it) is never a condition;
- one_sided_queries: a query whose image conditions remove no product of its own pool that its text
  conditions admit (answerable from the text alone), or whose text conditions remove none that its
  image conditions admit (answerable from the images alone).

Counted per distinct base query (its language rows share the labelled content), per split.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from pipelines.audit.checks import Catalog, Check, _mask

MIN_TESTABLE_SHARE = 0.95
MINIMAL_PAIR = "minimal_pair"
FIGURES = ("queries", "conditions", "testable", "with_negative", "queries_all_testable", "vacuous", "one_sided")


class Testability:
    """Feed each distinct labelled content with `add`; read `checks()` and `figures()`."""

    def __init__(self, catalog: Catalog, products: list[dict], min_share: float = MIN_TESTABLE_SHARE) -> None:
        self.catalog, self.min_share = catalog, min_share
        by_pool: dict[tuple[str, str], list[int]] = defaultdict(list)
        for p in products:
            if p.get("split"):
                by_pool[(p["category"], p["split"])].append(catalog.position[p["product_id"]])
        self.pools = {key: _mask(positions) for key, positions in by_pool.items()}
        self.has_pools = bool(by_pool)
        self.seen: set[bytes] = set()
        self.finished = False
        self.per_split: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
        self.checks = {c.name: c for c in (
            Check("testable_conditions", f"share of test conditions with a minimal pair (meets every other condition, "
                  f"violates this one, on known values) in the query's own pool is at least {min_share:.0%}"),
            Check("minimal_pair_negatives", "each `minimal_pair` negative violates exactly its attribute and meets the "
                  f"other conditions; at least {min_share:.0%} of test conditions have one"),
            Check("vacuous_conditions", "no condition is met by every known product of its category"),
            Check("one_sided_queries", "image conditions remove a product the text conditions admit, and text "
                  "conditions one the image conditions admit, in the query's own pool"))}

    def pool(self, category: str, split: str) -> int:
        return self.pools.get((category, split), 0) if self.has_pools else self.catalog.all_mask(category)

    def add(self, q: dict, query_id: str, verdicts: list[dict[str, str]] | None = None) -> None:
        """Judge one labelled content once per base query (language rows and later batches repeat it).
        `verdicts`: `checks.negative_verdicts` of q, when the caller judged them already."""
        key = hashlib.blake2b(repr((q["split"], q["category"], q["conditions"], q["positive_ids"],
                                    q["hard_negatives"], q["images"])).encode(), digest_size=16).digest()
        if key in self.seen:
            return
        self.seen.add(key)
        figures, category = self.per_split[q["split"]], q["category"]
        conditions = [(c["attribute"], c["value"]) for c in q["conditions"] or []]
        meets = [self.catalog.meets_mask(category, a, v) for a, v in conditions]
        known = [self.catalog.known.get((category, a), 0) for a, _ in conditions]
        violates = [k & ~m for k, m in zip(known, meets)]
        pool = self.pool(category, q["split"])
        covered = self._covered(q, conditions, verdicts)
        testable = [self._others(meets, i) & violates[i] & pool != 0 for i in range(len(conditions))]
        figures["queries"] += 1
        figures["conditions"] += len(conditions)
        figures["testable"] += sum(testable)
        figures["with_negative"] += sum(a in covered for a, _ in conditions)
        figures["queries_all_testable"] += all(testable)
        for (attribute, value), bad in zip(conditions, violates):
            self.checks["vacuous_conditions"].checked += 1
            if not bad:
                figures["vacuous"] += 1
                self.checks["vacuous_conditions"].fail({"query_id": query_id, "attribute": attribute, "value": value})
        self._one_sided(q, meets, violates, pool, query_id, figures)

    @staticmethod
    def _others(meets: list[int], skip: int) -> int:
        result = -1
        for j, m in enumerate(meets):
            if j != skip:
                result &= m
        return result

    def _covered(self, q: dict, conditions: list[tuple[str, str]], judged: list[dict[str, str]] | None) -> set[str]:
        """Attributes with a valid minimal-pair negative; a wrong one fails `minimal_pair_negatives`."""
        check, covered = self.checks["minimal_pair_negatives"], set()
        negatives = q["hard_negatives"] or []
        if judged is None:
            wanted = self.catalog.wanted(conditions)
            judged = [self.catalog.verdicts(n["product_id"], wanted) if n["source"] == MINIMAL_PAIR else {} for n in negatives]
        for n, verdicts in zip(negatives, judged):
            if n["source"] != MINIMAL_PAIR:
                continue
            check.checked += 1
            listed = list(n["violates"] or [])
            # with its one listed attribute violated, every other condition meets: len - 1 "meets"
            right = (len(listed) == 1 and verdicts.get(listed[0]) == "violates" and
                     self.catalog.category.get(n["product_id"]) == q["category"] and
                     list(verdicts.values()).count("meets") == len(verdicts) - 1)
            if right:
                covered.add(listed[0])
            else:
                check.fail({"product_id": n["product_id"], "violates": listed, "verdicts": verdicts})
        return covered

    def _one_sided(self, q: dict, meets: list[int], violates: list[int], pool: int, query_id: str, figures) -> None:
        carriers = [c.get("carried_by") for c in q["conditions"] or []]
        text = [i for i, c in enumerate(carriers) if c == "text"]
        image = [i for i, c in enumerate(carriers) if c == "image"]
        if not text or not image:
            return  # one carrier only: the other side states just the category, which no condition repeats
        check = self.checks["one_sided_queries"]
        check.checked += 1
        for side, admits, removes in (("image conditions remove nothing", text, image),
                                      ("text conditions remove nothing", image, text)):
            admitted = pool
            for i in admits:
                admitted &= meets[i]
            removed = 0
            for i in removes:
                removed |= violates[i]
            if not admitted & removed:
                figures["one_sided"] += 1
                check.fail({"query_id": query_id, "why": side})
                return

    def figures(self) -> dict[str, dict[str, int]]:
        return {split: dict(f) for split, f in sorted(self.per_split.items())}

    def result_checks(self) -> list[Check]:
        """The four checks, the test split's shares applied (idempotent: `result()` may be read twice)."""
        testable, negatives = self.checks["testable_conditions"], self.checks["minimal_pair_negatives"]
        test = self.per_split.get("test") or dict.fromkeys(FIGURES, 0)
        testable.checked = sum(f["conditions"] for f in self.per_split.values())
        testable.skipped = "" if test["conditions"] else "the export has no test conditions"
        below = [(name, check) for name, check in (("testable", testable), ("with_negative", negatives))
                 if test["conditions"] and test[name] < self.min_share * test["conditions"]]
        for name, check in below if not self.finished else []:
            check.fail({"split": "test", name: test[name], "conditions": test["conditions"]})
        self.finished = True
        return list(self.checks.values())

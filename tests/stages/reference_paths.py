"""The straightforward implementations the optimised stages replaced, kept as references.

tests/stages/test_fast_paths.py checks that each optimised stage gives exactly their output on a
small synthetic catalog. They are the code as it was before #14's memory and time work (row
dicts, `random.shuffle` on lists of tuples); do not optimise them.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from itertools import combinations

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog
from pipelines.stages import by_base, split
from pipelines.stages.catalog_index import CatalogIndex
from pipelines.stages.twins import photo_twins, with_twins


def overlap_negatives(index: CatalogIndex, query: dict, params) -> list[dict]:
    """stages/negatives.py before: every level a shuffled and sorted list of (product, violates)."""
    conds = [(c["attribute"], c["value"]) for c in query["conditions"]]
    excluded = with_twins(index.twins, query["positive_ids"])
    former = set(query.get("personalized_from") or [])
    rng = random.Random(f"{params.seed}:{query['base_query_id']}:neg")
    chosen: list[dict] = []
    seen: set[int] = set()
    violating = [index.violates(query["category"], *cond) for cond in conds]
    for n_violated in range(1, len(conds)):
        level = []
        for dropped in combinations(range(len(conds)), n_violated):
            bits = index.everyone(query["category"])
            for i, bad in enumerate(violating):
                bits &= bad if i in dropped else ~bad
            violates = [conds[i][0] for i in dropped]
            level.extend((p, violates) for p in index.to_global(query["category"], bits) if p not in seen)
        rng.shuffle(level)
        level.sort(key=lambda item: index.ids[item[0]] not in former)
        for p, violates in level:
            if len(chosen) >= params.cfg.per_query:
                return chosen
            if p in seen or index.ids[p] in excluded:
                continue
            seen.add(p)
            source = "personalization" if index.ids[p] in former else "overlap"
            chosen.append({"product_id": index.ids[p], "source": source, "violates": violates})
    return chosen


def fill_negatives(queries: pa.Table, found: dict[str, list[dict]]) -> pa.Table:
    """stages/negatives.py before: the English rows as dicts, then copied to every language."""
    english = by_base.english_rows(queries)
    rows = english.to_pylist()
    for row in rows:
        row["hard_negatives"] = found[row["base_query_id"]]
        row["hard_negative_ids"] = [n["product_id"] for n in row["hard_negatives"]]
    return by_base.copy_columns(queries, schemas.from_rows(rows, "query"), ["hard_negatives", "hard_negative_ids"])


def query_products(queries: pa.Table) -> dict[str, set[str]]:
    """stages/split.py's query_products before: every language row's lists as Python objects."""
    used: dict[str, set[str]] = defaultdict(set)
    cols = [queries.column(c).to_pylist() for c in ("base_query_id", "positive_ids", "images")]
    for base, positives, images in zip(*cols):
        used[base].update(positives or [])
        used[base].update(i["product_id"] for i in images or [])
    return used


def assign_split(queries: pa.Table, params, products: pa.Table | None = None):
    """stages/split.py before: every language row a dict, every photo twin of a used product a product
    of its own. Returns (queries, rejects, counters, product -> side)."""
    cfg = params.cfg
    rejects = RejectLog(split.STAGE)
    counters: dict = defaultdict(int)
    twins = photo_twins(products) if products is not None else {}
    used = {base: with_twins(twins, ps) for base, ps in query_products(queries).items()}
    base_side, product_side = sides_by_product(queries, used, params, rejects, counters)
    sides = split._product_splits(products, product_side, params, twins)
    rows = []
    for row in queries.to_pylist():
        side = base_side[row["base_query_id"]]
        if side is None:
            counters["rows_dropped_straddle"] += 1
            continue
        if side == "train" and row["language"] in cfg.held_out_languages:
            rejects.add("held_out_language_in_train", "held-out language rows are test only", record_id=row["query_id"])
            continue
        row["split"] = side
        counters["negatives_dropped_other_split"] += _keep_own_negatives(row, sides, params.seed, cfg.test_share)
        counters["queries_without_negatives"] += not row["hard_negative_ids"]
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=queries.schema), rejects.table(), dict(counters), sides


def _keep_own_negatives(row: dict, sides: dict[str, str], seed: int, share: float) -> int:
    def own(pid: str) -> bool:
        return sides.get(pid, split.split_of(pid, seed, share)) == row["split"]

    before = len(row["hard_negative_ids"] or [])
    row["hard_negatives"] = [n for n in row["hard_negatives"] or [] if own(n["product_id"])]
    row["hard_negative_ids"] = [p for p in row["hard_negative_ids"] or [] if own(p)]
    return before - len(row["hard_negative_ids"])


# stages/split.py's sides before it worked on photo-twin groups: every twin of a used product
# is a product of its own in `used`, costs and regions counted product by product.
def test_region_by_product(bases: list[str], used: dict[str, set[str]], share: float, seed: int) -> set[str]:
    """Products of a test region holding `share` of the kept queries of `bases` entirely.

    Greedy, cheapest query first: a query's cost is how many queries not yet touching the region
    its missing products would touch (each such query is lost to train: it straddles or joins
    test), summed per product. The region grows until the queries inside are `share` of those
    kept (inside + untouched); touched-but-not-inside queries straddle and are dropped.
    """
    by_product: dict[str, list[str]] = defaultdict(list)
    for base in bases:
        for p in used[base]:
            by_product[p].append(base)
    untouched_users = {p: len(users) for p, users in by_product.items()}
    region: set[str] = set()
    touched: set[str] = set()
    missing = {b: len(used[b]) for b in bases}

    def cost(base: str) -> int:
        return sum(untouched_users[p] for p in used[base] - region)

    current = {b: cost(b) for b in bases}
    heap = [(current[b], split._bucket(b, seed), b) for b in bases]
    heapq.heapify(heap)
    inside = 0
    while heap and inside < share * (inside + len(bases) - len(touched)):
        c, tie, base = heapq.heappop(heap)
        if missing[base] == 0 or c != current[base]:
            continue  # inside already, or a stale entry
        if (now := cost(base)) != c:  # other queries' growth changed it: requeue at its true cost
            current[base] = now
            heapq.heappush(heap, (now, tie, base))
            continue
        affected = set()
        for p in sorted(used[base] - region):
            region.add(p)
            for other in by_product[p]:
                missing[other] -= 1
                inside += missing[other] == 0
                affected.add(other)
                if other not in touched:
                    touched.add(other)
                    for q in used[other]:
                        untouched_users[q] -= 1
        for other in sorted(affected):
            if missing[other]:
                current[other] = cost(other)
                heapq.heappush(heap, (current[other], split._bucket(other, seed), other))
    return region


def sides_by_product(queries: pa.Table, used: dict[str, set[str]], params: split.SplitParams, rejects: RejectLog,
                     counters: dict):
    """(side of each base query, or None when it straddles; side of each used product)."""
    cfg = params.cfg
    categories = dict(zip(queries.column("base_query_id").to_pylist(), queries.column("category").to_pylist()))
    bound = max(1, int(cfg.max_component_share * len(used)))
    base_side: dict[str, str | None] = {}
    product_side: dict[str, str] = {}
    comps = split.components(used) if used else []
    counters["components"] = len(comps)
    for comp in comps:
        products = set().union(*(used[b] for b in comp))
        if any(categories[b] in cfg.held_out_categories for b in comp) or len(comp) <= bound:
            held = any(categories[b] in cfg.held_out_categories for b in comp)
            side = "test" if held else split.split_of(min(products, default=comp[0]), params.seed, cfg.test_share)
            base_side.update(dict.fromkeys(comp, side))
            product_side.update(dict.fromkeys(products, side))
            continue
        counters["split_by_product_components"] += 1
        region = test_region_by_product(comp, used, cfg.test_share, params.seed)
        product_side.update({p: "test" if p in region else "train" for p in products})
        for b in comp:
            inside = len(used[b] & region)
            base_side[b] = "test" if inside == len(used[b]) else "train" if inside == 0 else None
            if base_side[b] is None:
                rejects.add("split_straddle", f"{inside} of its {len(used[b])} products fall in the test region "
                            f"of a {len(comp)}-query component", record_id=b)
    return base_side, product_side

"""Leak-free deterministic train/test split, with optional held-out categories and languages.

A product that is a positive or a query image of some query must not appear on both sides,
or a model trained on train has seen a test query's answer. Base queries (all their language
rows together) are grouped into connected components over the products they use (positives
and image source products); a component goes to one side as a whole, decided by hashing its
smallest product id. A component too large for that (more than `max_component_share` of the
base queries: hashing it would make test far too big or empty) is split by product instead:
a test region of products is grown query by query, cheapest first (the query whose products
touch the fewest other queries), until it holds the test share of the component's kept queries; queries entirely inside go to test, entirely outside to
train, and those that straddle are dropped (`split_straddle`).

Listings sharing a photo (stages/twins.py) count as used together, so a photo never sits in
both pools. Every product then has one side (unused products are hashed), and a query keeps only the
hard negatives of its own side's pool (`negatives_dropped_other_split`). Held-out categories
send their components to test; held-out languages appear in test only, so their rows of train
queries are dropped (`held_out_language_in_train`).
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipelines import schemas
from pipelines.config import SplitConfig
from pipelines.results import RejectLog, StageResult
from pipelines.shards import Shards, TableShards, collect
from pipelines.stages import by_base, split_rows
from pipelines.stages.minimal_pairs import SOURCE as MINIMAL_PAIR
from pipelines.stages.twins import group_key, photo_twins

STAGE = "split"
VERSION = "4"  # 3: photo twins (stages/twins.py) on one side; 4: minimal pairs link and are rechecked (#22)
PRODUCT_SPLITS_SCHEMA = schemas.schema("product_split")  # the contract in schemas/v1/product_split.json


@dataclass(frozen=True)
class SplitParams:
    cfg: SplitConfig
    seed: int


def _bucket(key: str, seed: int) -> float:
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64


def split_of(key: str, seed: int, test_share: float) -> str:
    return "test" if _bucket(key, seed) < test_share else "train"


def query_products(queries: pa.Table) -> dict[str, set[str]]:
    """base_query_id -> the products its rows use as positives or query images.

    Columnar: the (base, product) pairs of every row are flattened and deduplicated in Arrow, so
    Python sees each base query's products once rather than every language row's nested lists.
    """
    bases = queries.column("base_query_id")
    # Every base query is a key, in order of first appearance, even one that uses no product.
    used: dict[str, set[str]] = defaultdict(set, {base: set() for base in pc.unique(bases).to_pylist()})
    if not queries.num_rows:
        return used
    pairs = []
    for column, field in (("positive_ids", None), ("images", "product_id")):
        lists = queries.column(column).combine_chunks()
        values = pc.list_flatten(lists)
        values = pc.struct_field(values, field) if field else values
        pairs.append(pa.table({"base": pc.take(bases, pc.list_parent_indices(lists)), "product": values}))
    distinct = pa.concat_tables(pairs).group_by(["base", "product"]).aggregate([])
    for base, product in zip(distinct.column("base").to_pylist(), distinct.column("product").to_pylist()):
        used[base].add(product)
    return used


def add_minimal_pairs(used: dict[str, set[str]], queries: Shards) -> set[str]:
    """Link one minimal-pair negative per condition (stages/minimal_pairs.py) to each base query, so
    the split keeps it on the query's side: one the query uses already, else the one fewest queries use
    as a positive or query image (none: it joins no other query's component), the first listed on a tie.

    Read batch by batch: the negatives of every row at once would be the largest column of the table.
    Returns the base queries that list a minimal pair."""
    users = Counter(p for products in used.values() for p in products)
    candidates: dict[tuple[str, str], list[str]] = {}
    for batch in queries:
        batch = by_base.english_rows(batch)  # a base query's languages share its negatives
        lists = batch.column("hard_negatives").combine_chunks()
        if not len(lists):
            continue
        flat = pc.list_flatten(lists)
        mine = pc.equal(pc.struct_field(flat, "source"), MINIMAL_PAIR)
        bases = pc.take(batch.column("base_query_id"), pc.list_parent_indices(lists)).filter(mine).to_pylist()
        products = pc.struct_field(flat, "product_id").filter(mine).to_pylist()
        attributes = pc.list_element(pc.struct_field(flat, "violates").filter(mine), 0).to_pylist()
        for base, product, attribute in zip(bases, products, attributes):
            listed = candidates.setdefault((base, attribute), [])
            if product not in listed:
                listed.append(product)
    for (base, _), listed in sorted(candidates.items()):
        own = used[base]
        pick = next((p for p in listed if p in own), None) or min(listed, key=lambda p: users[p])
        own.add(pick)
    return {base for base, _ in candidates}


def components(used: dict[str, set[str]]) -> list[list[str]]:
    """Base query ids grouped into connected components over shared products, sorted."""
    bases = sorted(used)
    products = sorted({p for ps in used.values() for p in ps})
    pindex = {p: len(bases) + i for i, p in enumerate(products)}
    rows = [b for b, base in enumerate(bases) for _ in used[base]]
    cols = [pindex[p] for base in bases for p in sorted(used[base])]
    n = len(bases) + len(products)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[str]] = defaultdict(list)
    for b, base in enumerate(bases):
        groups[int(labels[b])].append(base)
    return sorted(groups.values())


def twin_groups(used_products: dict[str, set[str]], twins: dict[str, frozenset[str]]
                ) -> tuple[dict[str, set[str]], dict[str, frozenset[str]]]:
    """(base query -> the photo-twin groups it uses, by group key; group key -> its products).

    A query that uses one listing of a photo uses all of them (the photo stays on one side), so
    the split decides per group, each group weighing its number of products: the same sides as
    deciding per product with every twin added, without a set of every twin per query (at 400K
    products, twin groups of thousands made those sets gigabytes)."""
    members: dict[str, frozenset[str]] = {}
    used: dict[str, set[str]] = {}
    for base, products in used_products.items():
        keys = set()
        for pid in products:
            key = group_key(twins, pid)
            keys.add(key)
            if key not in members:
                members[key] = twins.get(pid) or frozenset((pid,))
        used[base] = keys
    return used, members


def _test_region(bases: list[str], used: dict[str, set[str]], share: float, seed: int,
                 weight: dict[str, int]) -> set[str]:
    """Twin groups of a test region holding `share` of the kept queries of `bases` entirely.

    Greedy, cheapest query first: a query's cost is how many queries not yet touching the region
    its missing products would touch (each such query is lost to train: it straddles or joins
    test), summed per product (a group counts once per product it holds: `weight`). The region
    grows until the queries inside are `share` of those kept (inside + untouched);
    touched-but-not-inside queries straddle and are dropped.
    """
    by_group: dict[str, list[str]] = defaultdict(list)
    for base in bases:
        for g in used[base]:
            by_group[g].append(base)
    untouched_users = {g: len(users) for g, users in by_group.items()}
    region: set[str] = set()
    touched: set[str] = set()
    missing = {b: len(used[b]) for b in bases}

    def cost(base: str) -> int:
        return sum(weight[g] * untouched_users[g] for g in used[base] - region)

    current = {b: cost(b) for b in bases}
    heap = [(current[b], _bucket(b, seed), b) for b in bases]
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
        for g in sorted(used[base] - region):
            region.add(g)
            for other in by_group[g]:
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
                heapq.heappush(heap, (current[other], _bucket(other, seed), other))
    return region


def _sides(queries: pa.Table, used: dict[str, set[str]], members: dict[str, frozenset[str]], params: SplitParams,
           rejects: RejectLog, counters: dict):
    """(side of each base query, or None when it straddles; side of each used product), decided on
    the twin groups each query uses (`twin_groups`)."""
    cfg = params.cfg
    categories = dict(zip(queries.column("base_query_id").to_pylist(), queries.column("category").to_pylist()))
    weight = {g: len(products) for g, products in members.items()}
    bound = max(1, int(cfg.max_component_share * len(used)))
    base_side: dict[str, str | None] = {}
    product_side: dict[str, str] = {}
    comps = components(used) if used else []
    counters["components"] = len(comps)
    for comp in comps:
        groups = set().union(*(used[b] for b in comp))
        if any(categories[b] in cfg.held_out_categories for b in comp) or len(comp) <= bound:
            held = any(categories[b] in cfg.held_out_categories for b in comp)
            # a group's key is its smallest product: the smallest key is the smallest product
            side = "test" if held else split_of(min(groups, default=comp[0]), params.seed, cfg.test_share)
            base_side.update(dict.fromkeys(comp, side))
            product_side.update({p: side for g in groups for p in members[g]})
            continue
        counters["split_by_product_components"] += 1
        region = _test_region(comp, used, cfg.test_share, params.seed, weight)
        product_side.update({p: "test" if g in region else "train" for g in groups for p in members[g]})
        for b in comp:
            inside, total = sum(weight[g] for g in used[b] & region), sum(weight[g] for g in used[b])
            base_side[b] = "test" if inside == total else "train" if inside == 0 else None
            if base_side[b] is None:
                rejects.add("split_straddle", f"{inside} of its {total} products fall in the test region "
                            f"of a {len(comp)}-query component", record_id=b)
    return base_side, product_side


def _product_splits(products: pa.Table | None, product_side: dict[str, str], params: SplitParams,
                    twins: dict[str, frozenset[str]]) -> dict[str, str]:
    """Every product's side: the side of the queries using it, else held-out category or the hash
    of its twin group (so unused photo twins share a pool too)."""
    sides = dict(product_side)
    if products is None:
        return sides
    for pid, cat in zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()):
        if pid not in sides:
            held = cat in params.cfg.held_out_categories
            sides[pid] = "test" if held else split_of(group_key(twins, pid), params.seed, params.cfg.test_share)
    return sides


def assign_split(queries: pa.Table, params: SplitParams, products: pa.Table | None = None) -> StageResult:
    """Set `split` on every query so that no product is used on both sides.

    Input columns: query rows (schemas/v1/query.json); products (product_id, category; optional:
    without it only products some query uses get a side).
    Output: `queries` (kept rows, split in {train, test}, negatives from their own side only),
    `product_splits` (product_id, split); rejects split_straddle (per base query) and
    held_out_language_in_train (per row).
    """
    return collect(split_stream(TableShards(queries), params, products))


def split_stream(queries: Shards, params: SplitParams, products: pa.Table | None = None) -> Iterator[StageResult]:
    """`assign_split` in two passes: the sides decided on the columns that link queries (the
    components are global), then the rows kept and their negatives filtered batch by batch."""
    cfg = params.cfg
    rejects = RejectLog(STAGE)
    counters: dict = defaultdict(int)
    twins = photo_twins(products) if products is not None else {}
    linked = queries.columns(["base_query_id", "category", "positive_ids", "images"])
    # A listing sharing a photo with a used product is used too: the photo must stay on one side.
    used_products = query_products(linked)
    listed = add_minimal_pairs(used_products, queries)
    used, members = twin_groups(used_products, twins)
    base_side, product_side = _sides(linked, used, members, params, rejects, counters)
    del linked
    sides = _product_splits(products, product_side, params, twins)
    product_splits = pa.Table.from_pylist([{"product_id": p, "split": s} for p, s in sorted(sides.items())],
                                          schema=PRODUCT_SPLITS_SCHEMA)
    yield StageResult({"product_splits": product_splits}, rejects.table(), dict(counters))
    by_reason, n_rows, n_test = Counter(rejects.by_reason), 0, 0
    for batch in queries:
        rejects, counters = RejectLog(STAGE), defaultdict(int)
        out = split_rows.keep_rows(batch, base_side, cfg.held_out_languages, rejects, counters)
        out = split_rows.keep_own_negatives(out, lambda pid: sides[pid] if pid in sides else split_of(
            pid, params.seed, cfg.test_share), counters)
        out = split_rows.keep_testable(out, listed, rejects, counters)
        n_rows += out.num_rows
        n_test += int(pc.sum(pc.equal(out.column("split"), "test")).as_py() or 0) if out.num_rows else 0
        by_reason.update(rejects.by_reason)
        yield StageResult({"queries": out}, rejects.table(), dict(counters))
    n_test_products = sum(s == "test" for s in sides.values())
    yield StageResult({}, counters={"queries": n_rows, "train": n_rows - n_test, "test": n_test,
                                    "products_test": n_test_products, "products_train": len(sides) - n_test_products,
                                    **{f"rejected_{reason}": n for reason, n in sorted(by_reason.items())}})

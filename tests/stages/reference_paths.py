"""The straightforward implementations the optimised stages replaced, kept as references.

tests/stages/test_fast_paths.py checks that each optimised stage gives exactly their output on a
small synthetic catalog. They are the code as it was before #14's memory and time work (row
dicts, `random.shuffle` on lists of tuples); do not optimise them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import combinations

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog
from pipelines.shards import TableShards
from pipelines.stages import by_base, negatives, split
from pipelines.stages.catalog_index import CatalogIndex
from pipelines.stages.minimal_pairs import NO_MINIMAL_PAIR, missing_pairs
from pipelines.stages.twins import photo_twins


def with_twins(twins: dict[str, frozenset[str]], product_ids) -> set[str]:
    """`product_ids` and every twin of them, as a set: the stages' form before `twins.SharedPhoto`."""
    out = set()
    for pid in product_ids:
        out |= twins.get(pid, {pid})
    return out


def overlap_negatives(index: CatalogIndex, query: dict, params) -> list[dict]:
    """stages/negatives.py before: every level a shuffled and sorted list of (product, violates), after
    the minimal pairs of #22 (the stage's own `minimal_pair_negatives`: they have no older form)."""
    conds = [(c["attribute"], c["value"]) for c in query["conditions"]]
    excluded = with_twins(index.twins, query["positive_ids"])
    former = set(query.get("personalized_from") or [])
    rng = random.Random(f"{params.seed}:{query['base_query_id']}:neg")
    pairs, seen = negatives.minimal_pair_negatives(index, query, excluded, params)
    chosen = [{"product_id": p, "source": source, "violates": list(v)} for p, source, v in pairs]
    cap = max(params.cfg.per_query, len(chosen))
    violating = [index.violates(query["category"], *cond) for cond in conds]
    for n_violated in range(1, len(conds)):
        level = []
        for dropped in combinations(range(len(conds)), n_violated):
            bits = index.everyone(query["category"])
            for i, bad in enumerate(violating):
                bits &= bad if i in dropped else ~bad
            violates = [conds[i][0] for i in dropped]
            # (it filtered `seen` here, a no-op while levels are disjoint; #22's minimal pairs are
            # skipped below instead, as the stage does, so the shuffle sees the whole level)
            level.extend((p, violates) for p in index.to_global(query["category"], bits))
        rng.shuffle(level)
        level.sort(key=lambda item: index.ids[item[0]] not in former)
        for p, violates in level:
            if len(chosen) >= cap:
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
    linked = query_products(queries)
    listed = split.add_minimal_pairs(linked, TableShards(queries))  # #22: one minimal pair per condition links
    used = {base: with_twins(twins, ps) for base, ps in linked.items()}
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
    rows = _keep_testable(rows, listed, rejects, counters)
    return pa.Table.from_pylist(rows, schema=queries.schema), rejects.table(), dict(counters), sides


def _keep_testable(rows: list[dict], listed: set[str], rejects: RejectLog, counters: dict) -> list[dict]:
    """#22: a base query that listed a minimal pair and lost one for a condition is dropped whole."""
    lost = {}
    for row in rows:
        if row["language"] == "en" and row["base_query_id"] in listed:
            if missing := missing_pairs(row["conditions"], row["hard_negatives"]):
                lost[row["base_query_id"]] = missing
    for base, missing in lost.items():
        rejects.add(NO_MINIMAL_PAIR, f"no minimal pair in its own pool for {', '.join(missing)}", record_id=base)
    kept = [row for row in rows if row["base_query_id"] not in lost]
    if len(kept) < len(rows):
        counters["rows_dropped_no_minimal_pair"] += len(rows) - len(kept)
    return kept


def _keep_own_negatives(row: dict, sides: dict[str, str], seed: int, share: float) -> int:
    def own(pid: str) -> bool:
        return sides.get(pid, split.split_of(pid, seed, share)) == row["split"]

    before = len(row["hard_negative_ids"] or [])
    row["hard_negatives"] = [n for n in row["hard_negatives"] or [] if own(n["product_id"])]
    row["hard_negative_ids"] = [p for p in row["hard_negative_ids"] or [] if own(p)]
    return before - len(row["hard_negative_ids"])


def sides_by_product(queries: pa.Table, used: dict[str, set[str]], params: split.SplitParams, rejects: RejectLog,
                     counters: dict):
    """stages/split.py's sides before it worked on photo-twin groups: every twin of a used product is
    a product of its own in `used`, so each product is a group of one, weighing one, and components,
    costs and regions are counted product by product (the greedy itself is the stage's)."""
    singletons = {p: frozenset((p,)) for products in used.values() for p in products}
    return split._sides(queries, used, singletons, params, rejects, counters)

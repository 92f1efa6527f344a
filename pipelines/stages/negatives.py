"""Hard negatives by condition overlap: products that meet some conditions but not all.

First come up to PAIRS_PER_CONDITION minimal pairs per condition (stages/minimal_pairs.py: meets
every other condition, violates this one, on known values; `source = "minimal_pair"`), round robin,
seeded per query (so any sharding of the queries gives the same pairs); the split keeps one with its query.

Candidates meeting all but one condition come first, then all but two; within a level the
order is seeded. Each negative records the conditions it violates on a *known* value
(stages/matching.py): a product unknown on a condition is never taken to violate it, so a
product that violates nothing known is never a negative, whatever it lacks. A listing sharing a
photo with a positive (stages/twins.py) is never a negative either.
"""

from __future__ import annotations

import random
from collections.abc import Container
from dataclasses import dataclass
from itertools import combinations, zip_longest

import numpy as np
import pyarrow as pa

from pipelines import progress
from pipelines.config import NegativesConfig
from pipelines.results import StageResult
from pipelines.stages import by_base
from pipelines.stages.catalog_index import CatalogIndex, build_index
from pipelines.stages.matching import Matcher
from pipelines.stages.minimal_pairs import SOURCE as MINIMAL_PAIR
from pipelines.stages.minimal_pairs import pair_bits
from pipelines.stages.seeded_shuffle import shuffled_order
from pipelines.stages.twins import SharedPhoto

STAGE = "negatives"
VERSION = "3"  # 2: photo twins of a positive are never negatives (the fast path of #14 changed no output); 3: minimal pairs


# (product_id, source, violated attributes): a `hard_negatives` struct, as a compact tuple.
Negative = tuple[str, str, tuple[str, ...]]
PAIRS_PER_CONDITION = 3  # minimal-pair negatives per condition: the split links one to the query
WORK_COLUMNS = ["base_query_id", "category", "conditions", "positive_ids", "personalized_from"]


@dataclass(frozen=True)
class NegativesParams:
    cfg: NegativesConfig
    seed: int
    matcher: Matcher = Matcher()  # value relations of the vocabulary (unisex meets men and women)


def mine_overlap_negatives(queries: pa.Table, products: pa.Table, attributes: pa.Table, families: pa.Table,
                           params: NegativesParams) -> StageResult:
    """Fill `hard_negatives` / `hard_negative_ids` of every query.

    Input columns: queries (schemas/v1/query.json); products, attributes, families as mined.
    Output: queries with overlap negatives (source "overlap").
    """
    index = build_index(products, attributes, families, params.matcher)
    found = {row["base_query_id"]: overlap_negatives(index, row, params) for row in progress.each(work_rows(queries))}
    return fill_negatives(queries, by_base.english_rows(queries), found)


def work_rows(queries: pa.Table) -> list[dict]:
    """One dict per base query (its English row) holding only what `overlap_negatives` reads."""
    return by_base.english_rows(queries).select(WORK_COLUMNS).to_pylist()


def fill_negatives(queries: pa.Table, english: pa.Table, found: dict[str, list[Negative]]) -> StageResult:
    """Put each base query's negatives on its English row, then (columnar) on every language row.

    Only the negatives become Python objects (tuples): at MERIT scale the query rows would not fit in memory.
    """
    negatives = [found[base] for base in english.column("base_query_id").to_pylist()]
    fields = {name: english.schema.field(name) for name in ("hard_negatives", "hard_negative_ids")}
    offsets = pa.array(np.concatenate([[0], np.cumsum([len(ns) for ns in negatives])]).astype(np.int32))
    flat = [n for ns in negatives for n in ns]
    ids = pa.array([n[0] for n in flat], pa.string())
    structs = pa.StructArray.from_arrays(
        [ids, pa.array([n[1] for n in flat], pa.string()), pa.array([n[2] for n in flat], pa.list_(pa.string()))],
        fields=list(fields["hard_negatives"].type.value_type))
    columns = {"hard_negatives": pa.ListArray.from_arrays(offsets, structs).cast(fields["hard_negatives"].type),
               "hard_negative_ids": pa.ListArray.from_arrays(offsets, ids).cast(fields["hard_negative_ids"].type)}
    for name, column in columns.items():
        english = english.set_column(english.schema.get_field_index(name), fields[name], column)
    filled = by_base.copy_columns(queries, english, list(columns))
    counts = [len(v) for v in found.values()]
    counters = {"queries": queries.num_rows, "base_queries": len(found), "negatives": sum(counts),
                "base_queries_without_negatives": sum(c == 0 for c in counts)}
    return StageResult(outputs={"queries": filled}, counters=counters)


def overlap_negatives(index: CatalogIndex, query: dict, params: NegativesParams) -> list[Negative]:
    """One minimal pair per condition that has one (`minimal_pair_negatives`), then products of the
    query's category violating the fewest conditions, up to cfg.per_query negatives in all.

    A level holds the products violating exactly the `dropped` conditions on known values and
    meeting, or lacking a value for, every other condition. Levels are numpy arrays and their
    seeded order is `random.shuffle`'s (stages/seeded_shuffle.py): the work per query no longer
    grows with the category in Python (it did: every level was shuffled and sorted as tuples).
    """
    category = query["category"]
    conds = [(c["attribute"], c["value"]) for c in query["conditions"]]
    excluded = SharedPhoto(index.twins, query["positive_ids"])  # a positive's photo twin is never a negative
    former = set(query.get("personalized_from") or [])  # ruled out by a VLM-added condition (MERIT)
    rng = random.Random(f"{params.seed}:{query['base_query_id']}:neg")
    chosen, seen = minimal_pair_negatives(index, query, excluded, params)
    cap = max(params.cfg.per_query, len(chosen))  # every minimal pair is kept, whatever per_query says
    violating = [index.violates(category, *cond) for cond in conds]
    for n_violated in range(1, len(conds)):
        level, combo = _level(index, category, violating, n_violated)
        order = shuffled_order(rng, len(level))
        if former:  # former positives first, then shuffled (a stable sort, as the reference)
            first = np.array([index.ids[p] in former for p in level.tolist()], dtype=bool)[order]
            order = np.concatenate([order[first], order[~first]])
        # One shared tuple per group: 10 negatives per query as dicts with own lists cost gigabytes at scale.
        violates = [tuple(conds[i][0] for i in dropped) for dropped in combinations(range(len(conds)), n_violated)]
        for at in order.tolist():
            if len(chosen) >= cap:
                return chosen
            p = int(level[at])
            if p in seen or index.ids[p] in excluded:
                continue
            seen.add(p)
            source = "personalization" if index.ids[p] in former else "overlap"
            chosen.append((index.ids[p], source, violates[combo[at]]))
    return chosen


def minimal_pair_negatives(index: CatalogIndex, query: dict, excluded: Container[str], params: NegativesParams
                           ) -> tuple[list[Negative], set[int]]:
    """(up to PAIRS_PER_CONDITION minimal-pair negatives per condition that has one, their positions).

    A query image's product that is a minimal pair comes first (it is on the query's split side
    already), then seeded draws with the query's own RNG (apart from the overlap levels' RNG). The
    split links one of them to the query (stages/split.py: the one fewest other queries use)."""
    category = query["category"]
    conditions = query["conditions"]
    rng = random.Random(f"{params.seed}:{query['base_query_id']}:pair")
    shown = [index.position(c["source_product_id"]) for c in conditions if c.get("source_product_id")]
    shown = [p for p in shown if p is not None and index.category[p] == category]
    per_condition = []
    for condition, bits in zip(conditions, pair_bits(index, category, [(c["attribute"], c["value"]) for c in conditions])):
        picks = [p for p in shown if bits >> index.local[p] & 1 and index.ids[p] not in excluded]
        if bits:
            drawn = _draw(index, index.global_positions(category, bits), excluded, rng, PAIRS_PER_CONDITION)
            picks += [p for p in drawn if p not in picks]
        per_condition.append([(p, condition["attribute"]) for p in picks[:PAIRS_PER_CONDITION]])
    # Round robin (each condition's first pair, then the seconds...): a later cap on the number of
    # negatives (retriever negatives merge under one) keeps a pair for every condition.
    ordered = [pick for rank in zip_longest(*per_condition) for pick in rank if pick]
    return [(index.ids[p], MINIMAL_PAIR, (attribute,)) for p, attribute in ordered], {p for p, _ in ordered}


def _draw(index: CatalogIndex, members: np.ndarray, excluded: Container[str], rng: random.Random, k: int) -> list[int]:
    """Up to k seeded draws from `members` without one excluded (a photo twin of a positive: rare, so
    the whole list is filtered only when a draw hits one)."""
    picks = [int(members[at]) for at in rng.sample(range(len(members)), min(k, len(members)))]
    if all(index.ids[p] not in excluded for p in picks):
        return picks
    rest = [int(q) for q in members.tolist() if index.ids[q] not in excluded]
    return rng.sample(rest, min(k, len(rest)))


def _level(index: CatalogIndex, category: str, violating: list[int], n_violated: int) -> tuple[np.ndarray, np.ndarray]:
    """Products (global positions) violating exactly n_violated conditions, grouped by which ones in
    `combinations` order, and each product's group number. Levels are disjoint (a product violates
    exactly one set of conditions), so no product of an earlier level comes back here."""
    parts, groups = [], []
    for number, dropped in enumerate(combinations(range(len(violating)), n_violated)):
        bits = index.everyone(category)
        for i, bad in enumerate(violating):
            bits &= bad if i in dropped else ~bad
        positions = index.global_positions(category, bits)
        parts.append(positions)
        groups.append(np.full(len(positions), number, dtype=np.int64))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(parts), np.concatenate(groups)

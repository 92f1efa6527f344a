"""Hard negatives by condition overlap: products that meet some conditions but not all.

Candidates meeting all but one condition come first, then all but two; within a level the
order is seeded. Each negative records the conditions it violates on a *known* value
(stages/matching.py): a product unknown on a condition is never taken to violate it, so a
product that violates nothing known is never a negative, whatever it lacks. A listing sharing a
photo with a positive (stages/twins.py) is never a negative either.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations

import pyarrow as pa

from pipelines import schemas
from pipelines.config import NegativesConfig
from pipelines.results import StageResult
from pipelines.stages import by_base
from pipelines.stages.catalog_index import CatalogIndex, build_index
from pipelines.stages.matching import Matcher
from pipelines.stages.twins import with_twins

STAGE = "negatives"
VERSION = "2"  # 2: photo twins of a positive are never negatives


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
    english = by_base.english_rows(queries)
    found = {row["base_query_id"]: overlap_negatives(index, row, params) for row in english.to_pylist()}
    return fill_negatives(queries, english, found)


def fill_negatives(queries: pa.Table, english: pa.Table, found: dict[str, list[dict]]) -> StageResult:
    """Put each base query's negatives on its English row, then (columnar) on every language row.

    Only English rows become Python dicts: at MERIT scale all five languages would not fit in memory.
    """
    rows = english.to_pylist()
    for row in rows:
        row["hard_negatives"] = found[row["base_query_id"]]
        row["hard_negative_ids"] = [n["product_id"] for n in row["hard_negatives"]]
    filled = by_base.copy_columns(queries, schemas.from_rows(rows, "query"), ["hard_negatives", "hard_negative_ids"])
    counts = [len(v) for v in found.values()]
    counters = {"queries": queries.num_rows, "base_queries": len(found), "negatives": sum(counts),
                "base_queries_without_negatives": sum(c == 0 for c in counts)}
    return StageResult(outputs={"queries": filled}, counters=counters)


def overlap_negatives(index: CatalogIndex, query: dict, params: NegativesParams) -> list[dict]:
    """Up to cfg.per_query products of the query's category violating the fewest conditions.

    A level holds the products violating exactly the `dropped` conditions on known values and
    meeting, or lacking a value for, every other condition."""
    conds = [(c["attribute"], c["value"]) for c in query["conditions"]]
    excluded = with_twins(index.twins, query["positive_ids"])  # a positive's photo twin is never a negative
    former = set(query.get("personalized_from") or [])  # ruled out by a VLM-added condition (MERIT)
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
        level.sort(key=lambda item: index.ids[item[0]] not in former)  # former positives first, then shuffled
        for p, violates in level:
            if len(chosen) >= params.cfg.per_query:
                return chosen
            if p in seen or index.ids[p] in excluded:
                continue
            seen.add(p)
            source = "personalization" if index.ids[p] in former else "overlap"
            chosen.append({"product_id": index.ids[p], "source": source, "violates": violates})
    return chosen

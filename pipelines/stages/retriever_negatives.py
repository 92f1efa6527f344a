"""Retriever hard negatives: products a lexical or dense retriever ranks high but that fail
the query.

Condition-overlap negatives (stage `negatives`) are hard by construction; retriever
negatives are hard for the models actually used, which is what contrastive training needs.
Two guards against false negatives, the bane of mined negatives:
- attributes (stages/matching.py, the rule every stage shares): a candidate of the query's
  category that meets every condition is a positive the composer did not list, and one that
  violates nothing but lacks a value is unverified; neither is ever a negative. A candidate
  must provably violate something (a known value that does not meet a condition, or another
  category): missing attributes prove nothing;
- score: a candidate scoring above max_score_ratio x the positive's score is likely relevant
  (NeMo Curator's hard-negative mining uses 0.95 of the positive's score the same way).
A listing sharing a photo with a positive (stages/twins.py) is never a negative, whatever its
attributes say.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import zip_longest

import pyarrow as pa

from pipelines import progress, schemas
from pipelines.results import StageResult
from pipelines.stages.matching import Matcher
from pipelines.stages.minimal_pairs import SOURCE as MINIMAL_PAIR
from pipelines.stages.product_facts import ProductFacts, product_facts

STAGE = "retriever_negatives"
VERSION = "3"  # 2: photo twins of a positive are excluded; 3: the cap keeps a minimal pair per condition
SOURCES = ("dense", "lexical")  # interleaving order: dense first, it is the stronger retriever

BATCH_ROWS = 20_000  # query rows held as Python dicts at once
POSITIVE_SCORES_SCHEMA = schemas.schema("positive_score")  # the contract in schemas/v1/positive_score.json


@dataclass(frozen=True)
class RetrieverNegativesConfig:
    """Args:
    per_query: cap on hard negatives per query, overlap negatives included.
    depth: only the first `depth` hits of each retriever are considered.
    max_score_ratio: drop candidates scoring above this x the positive's score.
    same_category_only: drop candidates of another category instead of using them.
    """

    per_query: int = 10
    depth: int = 50
    max_score_ratio: float = 0.95
    same_category_only: bool = False


def add_retriever_negatives(
    queries: pa.Table,
    products: pa.Table,
    attributes: pa.Table,
    cfg: RetrieverNegativesConfig,
    lexical_hits: pa.Table | None = None,
    dense_hits: pa.Table | None = None,
    positive_scores: pa.Table | None = None,
    matcher: Matcher | None = None,
    catalog: ProductFacts | None = None,
) -> StageResult:
    """Merge retriever negatives into each query's `hard_negatives`.

    Input columns: queries (schemas/v1/query.json); products (product_id, category);
    attributes (product_id, attribute, value); lexical_hits / dense_hits (query_id,
    candidate_ids, scores; either may be None); positive_scores (POSITIVE_SCORES_SCHEMA) for
    positives that fell outside the hits. Without any positive score for a (query,
    retriever), that retriever adds nothing to the query: the guard cannot run.
    `catalog`: `product_facts(products, attributes, matcher)`, when built once for many batches.
    Output: `queries` (query contract) with hard_negatives = existing ones first, then
    dense/lexical candidates interleaved by rank, deduplicated, capped at per_query, each
    with source and violated conditions; hard_negative_ids kept equal to their ids.
    """
    catalog = catalog or product_facts(products, attributes, matcher or Matcher())
    runs = {name: _by_query(hits) for name, hits in (("dense", dense_hits), ("lexical", lexical_hits)) if hits is not None}
    known = _positive_scores(positive_scores)
    tally: Counter[str] = Counter()  # excluded candidates are counted, not logged as rejects: they are many
    sources: Counter[str] = Counter()
    parts = []
    progress.add_total(queries.num_rows)
    # Python rows one batch at a time: memory grows with BATCH_ROWS, not with the number of queries.
    for batch in queries.to_batches(max_chunksize=BATCH_ROWS):
        rows = batch.to_pylist()
        for row in rows:
            found = {name: _candidates(row, run.get(row["query_id"]), known, name, catalog, cfg, tally)
                     for name, run in runs.items()}
            row["hard_negatives"] = _merge(row["hard_negatives"], found, cfg.per_query)
            row["hard_negative_ids"] = [n["product_id"] for n in row["hard_negatives"]]
            sources.update(n["source"] for n in row["hard_negatives"])
        parts.append(schemas.from_rows(rows, "query"))
        progress.advance(len(rows))
    counters = {"queries": queries.num_rows, **dict(sorted(tally.items()))}
    counters.update({f"negatives_{source}": sources[source] for source in ("overlap", *SOURCES)})
    table = pa.concat_tables(parts) if parts else schemas.from_rows([], "query")
    return StageResult(outputs={"queries": table}, counters=counters)


def _by_query(hits: pa.Table) -> dict[str, tuple[list[str], list[float]]]:
    ranked = zip(hits.column("candidate_ids").to_pylist(), hits.column("scores").to_pylist(), strict=True)
    return dict(zip(hits.column("query_id").to_pylist(), ranked, strict=True))


def _positive_scores(table: pa.Table | None) -> dict[tuple[str, str], list[float]]:
    known: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in (table.to_pylist() if table is not None else []):
        known[(r["query_id"], r["retriever"])].append(r["score"])
    return known


def _violations(query: dict, product_id: str, catalog: ProductFacts, judge) -> tuple[list[str], bool]:
    """(conditions the product provably violates, whether some condition is unknown for it).

    "category" is listed first when the product is of another category. A product with
    several mined values for an attribute meets the condition when any of them matches.
    `judge` is `catalog.judge_for(the query's conditions)`.
    """
    violated, unknown = judge(product_id)
    if catalog.category(product_id) != query["category"]:
        violated.insert(0, "category")
    return violated, bool(unknown)


def _candidates(query, run, known, retriever, catalog, cfg, tally) -> list[dict]:
    """Guarded negatives of one retriever for one query, best rank first."""
    if run is None:
        tally[f"missing_hits_{retriever}"] += 1
        return []
    ids, scores = run[0][: cfg.depth], run[1][: cfg.depth]
    positives = set(query["positive_ids"])
    pos_scores = [s for pid, s in zip(run[0], run[1], strict=True) if pid in positives]
    pos_scores += known.get((query["query_id"], retriever), [])
    if not pos_scores:
        tally[f"no_positive_score_{retriever}"] += 1
        return []
    limit = _score_limit(min(pos_scores), cfg.max_score_ratio)
    judge = catalog.judge_for([(c["attribute"], c["value"]) for c in query["conditions"]])
    out = []
    for pid, score in zip(ids, scores, strict=True):
        reason, violated = _exclusion(query, pid, score, limit, positives, catalog, cfg, judge)
        if reason:
            tally[f"excluded_{reason}"] += 1
        else:
            out.append({"product_id": pid, "source": retriever, "violates": violated})
    return out


def _score_limit(positive: float, ratio: float) -> float:
    # The weakest positive sets the bar: the strictest guard when there are several.
    # A ratio of a non-positive score would raise the bar above the positive, so use it as is.
    return positive * ratio if positive > 0 else positive


def _exclusion(query, pid, score, limit, positives, catalog, cfg, judge) -> tuple[str | None, list[str]]:
    """(why candidate `pid` is not a negative or None when it is one, conditions it violates)."""
    if pid in positives:
        return "positive", []
    if catalog.twins.get(pid, frozenset()) & positives:  # the same photo as a positive: never a negative
        return "photo_twin_of_positive", []
    if pid not in catalog:  # an id the runner's index knows but products do not
        return "unknown_product", []
    violated, unknown = _violations(query, pid, catalog, judge)
    if not violated and not unknown:
        return "meets_all_conditions", violated
    if score > limit:
        return "score_guard", violated
    if not violated:  # unknown on some condition, violating none: unverified, never a negative
        return "unverifiable", violated
    if cfg.same_category_only and "category" in violated:
        return "other_category", violated
    return None, violated


def _merge(existing: list[dict], found: dict[str, list[dict]], cap: int) -> list[dict]:
    """Existing negatives first, then retriever ones interleaved by rank; dedupe; cap. The cap never cuts
    the first minimal pair of a condition (listed round robin first: stages/negatives.py)."""
    cap = max(cap, len({tuple(n["violates"]) for n in existing if n["source"] == MINIMAL_PAIR}))
    merged, seen = [], set()
    ranked = [n for tier in zip_longest(*(found.get(s, []) for s in SOURCES)) for n in tier if n]
    for negative in [*existing, *ranked]:
        if negative["product_id"] not in seen and len(merged) < cap:
            seen.add(negative["product_id"])
            merged.append(negative)
    return merged


def score_positives(index, retriever: str, hits: pa.Table, texts: list[str], positives: list[list[str]]) -> list[dict]:
    """Each positive's score: read from the hits when it ranked, scored against the index otherwise."""
    rows, missing = [], []
    for qid, cands, vals, text, pos in zip(hits.column("query_id").to_pylist(), hits.column("candidate_ids").to_pylist(),
                                           hits.column("scores").to_pylist(), texts, positives):
        ranked = dict(zip(cands, vals))
        for p in pos:
            if p in ranked:
                rows.append({"query_id": qid, "retriever": retriever, "product_id": p, "score": float(ranked[p])})
            else:
                missing.append((qid, text, p))
    if missing:
        values = index.score([t for _, t, _ in missing], [p for _, _, p in missing])
        rows += [{"query_id": q, "retriever": retriever, "product_id": p, "score": float(v)}
                 for (q, _, p), v in zip(missing, values)]
    return rows

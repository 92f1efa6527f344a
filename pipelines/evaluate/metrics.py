"""MERIT's retrieval metrics and the per-condition report over a retriever's rankings (pure).

Metrics (MERIT's README, step 4, `calculate_mrr`): a query's rank is the position of its
best-ranked positive (positives are a set); R@k is the share of queries with that rank <= k,
MRR@10 the mean of 1/rank with ranks over 10 (or absent) counting 0. They are
`caption_filter.rank_metrics`, which the build's own filter report uses.

Per condition ("which conditions does this retriever ignore"): a condition's minimal-pair
negative is a hard negative of the query that violates exactly that condition
(`violates == [attribute]`); those exported with `source = "minimal_pair"` are used when the
query has any, else every such negative. The positive side is the best-ranked positive, the
negative side the best-ranked of those negatives: the retriever must put a positive above every
product that differs from it only in this condition. A product absent from the ranking ranks
below everything ranked; when neither side is ranked the pair is `neither_ranked` and left out
of the share. `share` = positive_above / (positive_above + negative_above): near 1 the retriever
uses the condition, near or under 0.5 it ignores it.

Rankings are cleaned first: a product id repeated in a ranking keeps its first place (the
repeats are dropped and counted); ids not in the catalog, or in the other split's pool, keep
their place (they are wrong answers) and are counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pipelines.stages.caption_filter import rank_metrics

ALL = "all"
MINIMAL_PAIR = "minimal_pair"  # the `source` of the negatives built as a condition's minimal pair
POSITIVE_ABOVE, NEGATIVE_ABOVE, NEITHER, UNTESTABLE = "positive_above", "negative_above", "neither_ranked", "untestable"
QUERY_COLUMNS = ["query_id", "language", "split", "positive_ids", "hard_negatives", "conditions"]


def clean_ranking(product_ids: Sequence[str], pools: Mapping[str, str], split: str, counts: Counter) -> dict[str, int]:
    """product id -> 1-based rank, repeats dropped (later ids move up); counts what was odd."""
    positions: dict[str, int] = {}
    for pid in product_ids:
        if pid in positions:
            counts["duplicate_product_ids"] += 1
            continue
        positions[pid] = len(positions) + 1
        pool = pools.get(pid)
        if pool is None:
            counts["unknown_product_ids"] += 1
        elif pool != split:
            counts["other_split_product_ids"] += 1
    return positions


def best_rank(positions: Mapping[str, int], product_ids: Iterable[str]) -> int | None:
    """The best (lowest) rank of any of `product_ids`, None when none is ranked."""
    return min((positions[p] for p in product_ids if p in positions), default=None)


def minimal_pairs(conditions: Sequence[dict], hard_negatives: Sequence[dict] | None) -> list[tuple[str, str, list[str]]]:
    """(attribute, carrier, minimal-pair negative ids) per condition; no ids: the condition is untestable."""
    out = []
    for condition in conditions:
        attribute = condition["attribute"]
        single = [n for n in hard_negatives or [] if list(n["violates"] or []) == [attribute]]
        preferred = [n for n in single if n["source"] == MINIMAL_PAIR]
        out.append((attribute, condition["carried_by"], [n["product_id"] for n in preferred or single]))
    return out


def pair_outcome(positive_rank: int | None, negative_rank: int | None) -> str:
    """Who is ranked higher, the best positive or the best minimal-pair negative (absent = below all)."""
    if positive_rank is None and negative_rank is None:
        return NEITHER
    if negative_rank is None or (positive_rank is not None and positive_rank < negative_rank):
        return POSITIVE_ABOVE
    return NEGATIVE_ABOVE


@dataclass
class EvalTally:
    """Sums over every scored query row, added batch by batch; rows come out at the end."""

    ranks: dict[tuple[str, str], list[int | None]] = field(default_factory=lambda: defaultdict(list))
    missing: Counter = field(default_factory=Counter)
    conditions: dict[tuple[str, str, str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    counters: Counter = field(default_factory=Counter)

    def add(self, queries: Iterable[dict], rankings: Mapping[str, Sequence[str]], pools: Mapping[str, str]) -> None:
        """Score query rows (QUERY_COLUMNS) against `rankings` (query id -> product ids, best first);
        `pools`: product id -> the split whose pool holds it (every catalog product)."""
        for q in queries:
            groups = [(s, lang) for s in (q["split"], ALL) for lang in (q["language"], ALL)]
            ranking = rankings.get(q["query_id"])
            self.counters["queries"] += 1
            if ranking is None:
                self.counters["missing_queries"] += 1
                self.missing.update(groups)
            positions = clean_ranking(ranking or [], pools, q["split"], self.counters)
            rank = best_rank(positions, q["positive_ids"] or [])
            for group in groups:
                self.ranks[group].append(rank)
            for attribute, carrier, negatives in minimal_pairs(q["conditions"] or [], q["hard_negatives"]):
                outcome = pair_outcome(rank, best_rank(positions, negatives)) if negatives else UNTESTABLE
                for split, language in groups:
                    for attr in (attribute, ALL):
                        self.conditions[(split, language, attr, carrier)][outcome] += 1

    def metric_rows(self) -> list[dict]:
        """R@1/5/10 and MRR@10 (0..1) per split x language, each with `all`."""
        return [{"split": split, "language": language, "queries": len(ranks), "missing": self.missing[(split, language)],
                 **{("mrr10" if m == "mrr" else m): v for m, v in rank_metrics(ranks).items()}}
                for (split, language), ranks in sorted(self.ranks.items(), key=_key)]

    def condition_rows(self) -> list[dict]:
        """Per split x language x attribute x carrier (attribute `all`: every condition of that carrier)."""
        rows = []
        for (split, language, attribute, carrier), c in sorted(self.conditions.items(), key=_key):
            decided = c[POSITIVE_ABOVE] + c[NEGATIVE_ABOVE]
            rows.append({"split": split, "language": language, "attribute": attribute, "carrier": carrier,
                         "conditions": sum(c.values()), "tested": sum(c.values()) - c[UNTESTABLE],
                         POSITIVE_ABOVE: c[POSITIVE_ABOVE], NEGATIVE_ABOVE: c[NEGATIVE_ABOVE], NEITHER: c[NEITHER],
                         "share": c[POSITIVE_ABOVE] / decided if decided else None})
        return rows


_SPLIT_ORDER = {"train": 0, "test": 1}


def _key(item: tuple) -> tuple:
    """Group keys sorted with known splits first and `all` last at every level."""
    key = item[0]
    return tuple((part == ALL, _SPLIT_ORDER.get(part, 2) if i == 0 else 0, part) for i, part in enumerate(key))

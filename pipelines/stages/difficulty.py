"""Difficulty report: how well text-only baselines do on the test split.

A benchmark is only informative if simple retrievers fail on it. For each baseline
(bm25, dense) x variant (captions substituted, images removed) the runner supplies hits;
this stage scores them per language and per condition count, for the data card.

R@k is the hit rate (a query counts when any positive is in its top k), as in MERIT;
MRR uses the best-ranked positive and counts a positive outside the hits list as 0, so it
is MRR@depth of the supplied hits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from pipelines import schemas
from pipelines.results import StageResult
from pipelines.retrieval.index import positive_rank

STAGE = "difficulty"
VERSION = "1"
CUTOFFS = (1, 5, 10)

RUN_HITS_SCHEMA = schemas.schema("difficulty_run_hits")  # the contract in schemas/v1/difficulty_run_hits.json
REPORT_SCHEMA = schemas.schema("difficulty")  # the contract in schemas/v1/difficulty.json


@dataclass(frozen=True)
class DifficultyConfig:
    """Args:
    split: the queries scored (the report describes the benchmark's test split).
    """

    split: str = "test"


def tag_hits(hits: pa.Table, baseline: str, variant: str) -> pa.Table:
    """A hits table (query_id, candidate_ids, ...) labelled for `difficulty_report`."""
    n = hits.num_rows
    return pa.table(
        {
            "baseline": pa.array([baseline] * n, pa.string()),
            "variant": pa.array([variant] * n, pa.string()),
            "query_id": hits.column("query_id"),
            "candidate_ids": hits.column("candidate_ids"),
        },
        schema=RUN_HITS_SCHEMA,
    )


def query_scores(candidate_ids: list[str] | None, positive_ids: list[str]) -> dict[str, float]:
    """r1, r5, r10 (0/1) and reciprocal rank of one query; no hits scores 0 everywhere."""
    rank = positive_rank(candidate_ids or [], positive_ids)
    scores = {f"r{k}": float(rank is not None and rank <= k) for k in CUTOFFS}
    scores["mrr"] = 1.0 / rank if rank else 0.0
    return scores


def difficulty_report(queries: pa.Table, hits: pa.Table, cfg: DifficultyConfig) -> StageResult:
    """Metrics per baseline x variant, overall and grouped by language and condition count.

    Input columns: queries (query_id, language, n_conditions, positive_ids, split); hits
    (RUN_HITS_SCHEMA: baseline, variant, query_id, candidate_ids; build with `tag_hits`).
    Output: `report` (REPORT_SCHEMA: baseline, variant, group_kind, group, n, r1, r5, r10,
    mrr), sorted; counters queries, runs and missing_hits_<baseline>_<variant> (queries
    of the split without hits in that run, scored as misses).
    """
    columns = ["query_id", "language", "n_conditions", "positive_ids", "split"]
    test = [q for q in queries.select(columns).to_pylist() if q["split"] == cfg.split]
    runs: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(dict)
    for h in hits.select(["baseline", "variant", "query_id", "candidate_ids"]).to_pylist():
        runs[(h["baseline"], h["variant"])][h["query_id"]] = h["candidate_ids"]
    rows, counters = [], {"queries": len(test), "runs": len(runs)}
    for (baseline, variant), ranked in sorted(runs.items()):
        counters[f"missing_hits_{baseline}_{variant}"] = sum(q["query_id"] not in ranked for q in test)
        rows.extend(_run_rows(baseline, variant, test, ranked))
    return StageResult(outputs={"report": pa.Table.from_pylist(rows, schema=REPORT_SCHEMA)}, counters=counters)


def _run_rows(baseline: str, variant: str, test: list[dict], ranked: dict[str, list[str]]) -> list[dict]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for q in test:
        scores = query_scores(ranked.get(q["query_id"]), q["positive_ids"])
        for key in (("all", "all"), ("language", q["language"]), ("n_conditions", str(q["n_conditions"]))):
            groups[key].append(scores)
    return [
        {"baseline": baseline, "variant": variant, "group_kind": kind, "group": group, "n": len(s), **_mean(s)}
        for (kind, group), s in sorted(groups.items(), key=lambda item: (_KIND_ORDER[item[0][0]], item[0][1]))
    ]


_KIND_ORDER = {"all": 0, "language": 1, "n_conditions": 2}


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    return {m: sum(s[m] for s in scores) / len(scores) for m in ("r1", "r5", "r10", "mrr")}


def render_markdown(report: pa.Table) -> str:
    """The report as a GitHub markdown table for the data card (metrics in percent)."""
    lines = [
        "| baseline | variant | group | n | R@1 | R@5 | R@10 | MRR |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report.to_pylist():
        group = "all" if r["group_kind"] == "all" else f"{r['group_kind']}={r['group']}"
        metrics = " | ".join(f"{100 * r[m]:.1f}" for m in ("r1", "r5", "r10", "mrr"))
        lines.append(f"| {r['baseline']} | {r['variant']} | {group} | {r['n']} | {metrics} |")
    return "\n".join(lines) + "\n"


def pool_only(vectors: pa.Table, product_splits: pa.Table, split: str) -> pa.Table:
    """Index rows of the split's own product pool (the split's candidates; metadata kept)."""
    pool = product_splits.filter(pa.compute.equal(product_splits.column("split"), split)).column("product_id")
    return vectors.filter(pa.compute.is_in(vectors.column("id"), value_set=pool.combine_chunks())) if "id" in vectors.column_names else vectors

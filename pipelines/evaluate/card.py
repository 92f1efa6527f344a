"""The data card's per-condition table: the built-in BM25 baseline (text, images ignored) on one split.

Cheap: instead of searching the pool, each query's positives and minimal-pair negatives are scored
(`baselines.pair_rankings`) and ordered as a full search of the pool orders them, so the figures
equal `meritgen eval RUN --baseline bm25 --split SPLIT` wherever that search's depth reaches them.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.evaluate import baselines
from pipelines.evaluate.command import export_products, export_queries, split_pools
from pipelines.evaluate.metrics import QUERY_COLUMNS, EvalTally

CARD_BASELINE = "bm25"


def condition_rows(export: Path, split: str) -> list[dict]:
    """Per-condition rows (metrics.EvalTally.condition_rows) of `split`'s queries for the card's baseline."""
    queries = export_queries(export, list(dict.fromkeys(QUERY_COLUMNS + baselines.QUERY_COLUMNS)), [split])
    products = export_products(export, baselines.PRODUCT_COLUMNS)
    rankings = baselines.pair_rankings(CARD_BASELINE, queries, products)
    tally = EvalTally()
    tally.add(queries.select(QUERY_COLUMNS).to_pylist(), rankings, split_pools(products))
    return [r for r in tally.condition_rows() if r["split"] == split]

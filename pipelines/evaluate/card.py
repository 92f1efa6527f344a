"""The data card's per-condition table: the built-in BM25 baseline (text, images ignored) on one split.

Cheap: instead of searching the pool, each query's positives and minimal-pair negatives are scored
(`baselines.pair_rankings`) and ordered as a full search of the pool orders them, so the figures
equal `meritgen eval RUN --baseline bm25 --split SPLIT` wherever that search's depth reaches them.
The split's queries are read batch by batch: only sums stay in memory.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from pipelines.evaluate import baselines
from pipelines.evaluate.command import BATCH_ROWS, export_products, split_pools
from pipelines.evaluate.metrics import QUERY_COLUMNS, EvalTally
from pipelines.io import layout

CARD_BASELINE = "bm25"


def condition_rows(export: Path, split: str) -> list[dict]:
    """Per-condition rows (metrics.EvalTally.condition_rows) of `split`'s queries for the card's baseline."""
    products = export_products(export, baselines.PRODUCT_COLUMNS)
    index = baselines.build_index(CARD_BASELINE, products)
    pools, order = split_pools(products), baselines.product_order(products)
    tally = EvalTally()
    dataset = pads.dataset(layout.queries_dir(export), format="parquet")
    columns = list(dict.fromkeys(QUERY_COLUMNS + baselines.QUERY_COLUMNS))
    for batch in dataset.to_batches(columns=columns, filter=pc.field("split") == split, batch_size=BATCH_ROWS):
        queries = pa.Table.from_batches([batch])
        rankings = baselines.pair_rankings(CARD_BASELINE, index, queries, products, order)
        tally.add(queries.select(QUERY_COLUMNS).to_pylist(), rankings, pools)
    return [r for r in tally.condition_rows() if r["split"] == split]

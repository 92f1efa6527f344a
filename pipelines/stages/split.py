"""Deterministic train/test split, with optional held-out categories and languages.

A query's side is decided by its first positive product, so every query about one product
(in every language) lands on the same side and no product leaks from train into test.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.config import SplitConfig
from pipelines.results import StageResult

STAGE = "split"
VERSION = "1"


@dataclass(frozen=True)
class SplitParams:
    cfg: SplitConfig
    seed: int


def split_of(key: str, seed: int, test_share: float) -> str:
    bucket = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64
    return "test" if bucket < test_share else "train"


def assign_split(queries: pa.Table, params: SplitParams) -> StageResult:
    """Set `split` on every query.

    Input columns: query rows (schemas/v1/query.json).
    Output: queries with split in {train, test}.
    """
    cfg = params.cfg
    keys = [p[0] if p else q for p, q in zip(queries.column("positive_ids").to_pylist(),
                                            queries.column("base_query_id").to_pylist())]
    splits = [split_of(k, params.seed, cfg.test_share) for k in keys]
    held_cat = set(cfg.held_out_categories)
    held_lang = set(cfg.held_out_languages)
    for i, (cat, lang) in enumerate(zip(queries.column("category").to_pylist(), queries.column("language").to_pylist())):
        if cat in held_cat or lang in held_lang:
            splits[i] = "test"
    out = queries.set_column(queries.schema.get_field_index("split"), queries.schema.field("split"), pa.array(splits, pa.string()))
    n_test = int(pc.sum(pc.equal(out.column("split"), "test")).as_py() or 0)
    return StageResult(outputs={"queries": out}, counters={"queries": out.num_rows, "train": out.num_rows - n_test, "test": n_test})

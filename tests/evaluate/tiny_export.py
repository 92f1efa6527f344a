"""A hand-made export (4 test queries, 1 train query, 10 products) whose per-condition figures are known."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.io import layout


def neg(pid: str, *violates: str, source: str = "overlap") -> dict:
    return {"product_id": pid, "source": source, "violates": list(violates)}


def cond(attribute: str, carrier: str = "text") -> dict:
    return {"attribute": attribute, "value": "v", "carried_by": carrier, "source_product_id": None}


def query(qid: str, language: str, positives: list[str], conditions: list[dict], negatives: list[dict],
          split: str = "test") -> dict:
    return {"query_id": qid, "language": language, "split": split, "positive_ids": positives, "conditions": conditions,
            "hard_negatives": negatives, "text": f"a {qid} shirt", "images": []}


QUERIES = [
    # A: color's minimal pair p2 is ranked above the positive, brand's p3 below; pattern has none (untestable);
    # p4 violates two conditions, so it is no one's minimal pair
    query("qA-en", "en", ["p1"], [cond("color"), cond("brand"), cond("pattern", "image")],
          [neg("p2", "color"), neg("p3", "brand"), neg("p4", "color", "brand")]),
    # B: two positives (p6 is the best ranked); color has an overlap negative ranked first and a minimal_pair one
    # ranked below the positive: the minimal_pair one is the one used; pattern's p9 is not ranked at all
    query("qB-en", "en", ["p5", "p6"], [cond("color"), cond("pattern", "image")],
          [neg("p7", "color"), neg("p8", "color", source="minimal_pair"), neg("p9", "pattern")]),
    # C: no ranking given: both pairs are "neither ranked"
    query("qC-ms", "ms", ["p1"], [cond("color"), cond("brand")], [neg("p2", "color"), neg("p3", "brand")]),
    # D: two minimal-pair negatives around the positive: the best-ranked one (p4, first) decides
    query("qD-en", "en", ["p5"], [cond("color")], [neg("p4", "color"), neg("p2", "color")]),
    query("qE-en", "en", ["t1"], [cond("color")], [], split="train"),
]
RANKINGS = {
    "qA-en": ["p2", "p1", "p3", "p2", "x9", "t1"],  # a repeat, an unknown product, a train-pool product
    "qB-en": ["p7", "p6", "p8"],
    "qD-en": ["p4", "p5", "p2"],
    "zzz": ["p1"],  # not a query of the export
}
# share of pairs with the positive above, per (attribute, carrier), test split, every language
EXPECTED_SHARE = {("color", "text"): 1 / 3, ("brand", "text"): 1.0, ("pattern", "image"): 1.0,
                  ("all", "text"): 0.5, ("all", "image"): 1.0}


def write_export(run: Path) -> Path:
    """The export folder of a run at `run` (queries, products, completion marker)."""
    export = layout.export_dir(run)
    layout.queries_dir(export).mkdir(parents=True)
    layout.products_dir(export).mkdir(parents=True)
    queries = pa.Table.from_pylist(QUERIES)
    for split in layout.SPLITS:  # both splits, with the same schema, as the export writes them
        rows = queries.filter(pc.equal(queries.column("split"), split))
        pq.write_table(rows, layout.queries_dir(export) / layout.shard_name(split, 0, 1))
    products = [{"product_id": pid, "title": f"shirt {pid}", "category": "topwear", "split": "train" if pid == "t1" else "test",
                 "image_ids": [f"img-{pid}"], "attributes": [{"name": "color", "value": "red", "source": "field"}]}
                for pid in ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "t1"]]
    pq.write_table(pa.Table.from_pylist(products), layout.products_dir(export) / layout.shard_name("products", 0, 1))
    layout.marker_path(export).write_text(json.dumps({"fingerprint": "tiny"}), encoding="utf-8")
    return run


def write_jsonl(path: Path, rankings: dict[str, list[str]]) -> Path:
    path.write_text("".join(json.dumps({"query_id": q, "product_ids": ids}) + "\n" for q, ids in rankings.items()),
                    encoding="utf-8")
    return path

"""Write the exported dataset: Parquet shards `datasets` can load, MERIT's layout, the data card."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.card import render_card
from pipelines.config import BuildConfig
from pipelines.io.card_plots import write_card_plots
from pipelines.results import StageResult
from pipelines.stages.export import split_names


def with_hf_features(table: pa.Table, image_columns: dict[str, str]) -> pa.Table:
    """Attach `datasets` feature metadata so image structs decode as images on load.

    image_columns: column -> "image" (one datasets.Image) or "images" (a list of them).
    """
    features = datasets.Features.from_arrow_schema(table.schema)
    for column, kind in image_columns.items():
        features[column] = datasets.Image() if kind == "image" else datasets.List(datasets.Image())
    # datasets only trusts the metadata when each field equals its own (all-nullable) form.
    return table.cast(features.arrow_schema)


def write_shards(table: pa.Table, folder: Path, prefix: str, shard_rows: int, row_group_rows: int) -> list[str]:
    """`<prefix>-00000-of-0000N.parquet` files of at most shard_rows rows (at least one file)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = max(1, -(-table.num_rows // shard_rows))
    names = []
    for i in range(n):
        name = f"{prefix}-{i:05d}-of-{n:05d}.parquet"
        pq.write_table(table.slice(i * shard_rows, shard_rows), folder / name, row_group_size=row_group_rows,
                       compression="zstd")
        names.append(name)
    return names


def write_export(root: Path, result: StageResult, cfg: BuildConfig, report: dict) -> None:
    out, ex = result.outputs, cfg.export
    products = with_hf_features(out["products"], {"images": "images"})
    write_shards(products, root / "data" / "products", "products", ex.shard_rows, ex.row_group_rows)
    queries = out["queries"]
    for split in split_names(queries) or ["train"]:  # an empty build still exports a loadable (empty) split
        part = queries.filter(pa.compute.equal(queries.column("split"), split))
        write_shards(part, root / "data" / "queries", split, ex.shard_rows, ex.row_group_rows)
    if ex.merit_layout:
        _write_merit(root / "merit", out["merit_products"], out["merit_queries"])
    pq.write_table(result.rejects, root / "rejects.parquet")
    plots = write_card_plots(root / "plots", queries, report)
    if "difficulty" in out:
        pq.write_table(out["difficulty"], root / "difficulty.parquet")
    card = render_card(report, cfg, queries, out["products"].drop_columns(["images"]), plots,
                       difficulty=out.get("difficulty"))
    (root / "README.md").write_text(card, encoding="utf-8")


def _write_merit(folder: Path, products: pa.Table, queries: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(with_hf_features(products, {"image": "image"}), folder / "products.parquet", compression="zstd")
    rows = queries.to_pylist()
    for split in sorted({r["split"] for r in rows}):
        with open(folder / f"queries-{split}.json", "w", encoding="utf-8") as fh:
            for row in rows:
                if row["split"] == split:
                    fh.write(json.dumps({k: v for k, v in row.items() if k != "split"}, ensure_ascii=False) + "\n")

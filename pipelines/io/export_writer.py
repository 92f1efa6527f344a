"""Write the exported dataset: Parquet shards `datasets` can load, MERIT's layout, the data card."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.config import BuildConfig
from pipelines.io import layout
from pipelines.io.card_writer import write_card
from pipelines.io.layout import SPLITS
from pipelines.merit_layout import MeritIds, merit_query_lines, merit_readme, split_pools
from pipelines.results import StageResult
from pipelines.stages.export import split_names

# Query rows turned into Python dicts at a time by the MERIT writers: memory bounded by this, not by the export.
BATCH_ROWS = 20_000


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
        name = layout.shard_name(prefix, i, n)
        pq.write_table(table.slice(i * shard_rows, shard_rows), folder / name, row_group_size=row_group_rows,
                       compression="zstd")
        names.append(name)
    return names


def write_export(root: Path, result: StageResult, cfg: BuildConfig, report: dict, card: bool = True) -> None:
    """The export folder's files. card=False leaves the data card to the caller: the local runner
    renders it once, after the audit (`audit_with_card`), instead of twice."""
    out, ex = result.outputs, cfg.export
    products = with_hf_features(out["products"], {"images": "images"})
    write_shards(products, layout.products_dir(root), "products", ex.shard_rows, ex.row_group_rows)
    queries = out["queries"]
    for split in split_names(queries) or [layout.DEFAULT_SPLIT]:  # an empty build still exports a loadable (empty) split
        part = queries.filter(pa.compute.equal(queries.column("split"), split))
        write_shards(part, layout.queries_dir(root), split, ex.shard_rows, ex.row_group_rows)
    if ex.merit_layout:
        write_merit(root / layout.MERIT, out["merit_products"], queries, ex.shard_rows, ex.row_group_rows)
    pq.write_table(result.rejects, root / "rejects.parquet")
    if "difficulty" in out:
        pq.write_table(out["difficulty"], root / "difficulty.parquet")
    if card:
        write_card(root, report, cfg, Path(report["run_dir"]))


def write_merit(folder: Path, products: pa.Table, queries: pa.Table, shard_rows: int, row_group_rows: int) -> None:
    """MERIT's layout (`pipelines/merit_layout.py`): each split's product pool as Parquet shards,
    `queries-<split>.json`, and the card that makes `load_dataset(folder)` read the products only."""
    pools = split_pools(queries, BATCH_ROWS)
    products = with_hf_features(products, {"image": "image"})
    ids = products.column("product_id")
    for split in SPLITS:
        part = products.filter(pc.is_in(ids, pa.array(sorted(pools[split]), pa.string())))
        write_shards(part, folder / "products", split, shard_rows, row_group_rows)
    titles = dict(zip(ids.to_pylist(), products.column("title").to_pylist()))
    write_merit_queries(folder, queries, titles, MeritIds(zip(ids.to_pylist(), products.column("idx").to_pylist())))
    (folder / layout.CARD_FILE).write_text(merit_readme(), encoding="utf-8")


def write_merit_queries(folder: Path, queries: pa.Table, titles: dict[str, str], ids: MeritIds | None = None) -> None:
    """`queries-{train,test}.json` (JSON Lines; a split with no queries gets an empty file).
    ids: product id -> MERIT idx text, known ones (the export's products) filled in up front."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = MeritIds() if ids is None else ids
    columns = ["query_id", "split", "language", "category", "text", "images", "conditions", "positive_ids",
               "hard_negative_ids"]
    with ExitStack() as stack:
        files = {split: stack.enter_context(open(folder / f"{layout.merit_queries_stem(split)}.json", "w",
                                                 encoding="utf-8")) for split in SPLITS}
        for batch in queries.select(columns).to_batches(max_chunksize=BATCH_ROWS):
            for split, fh in files.items():  # each file gets its rows in table order, as from one pass
                lines = merit_query_lines(batch, titles, split, ids)
                if lines:
                    fh.write("\n".join(lines) + "\n")

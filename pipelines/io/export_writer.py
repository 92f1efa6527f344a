"""Write the exported dataset: Parquet shards `datasets` can load, MERIT's layout, the data card."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.card.writer import write_card
from pipelines.config import BuildConfig, worker_count
from pipelines.io import layout
from pipelines.io.layout import SPLITS
from pipelines.io.merit_queries import BATCH_ROWS, MeritQueryFiles, MeritQueryProcess
from pipelines.io.overlap import WriteBehind
from pipelines.merit_layout import MeritIds, merit_readme, split_pools
from pipelines.results import StageResult
from pipelines.stages.export import split_names

# From this many products the MERIT query lines are built by a process of their own (io/merit_queries.py),
# when the build may use more than one process: below it, starting one costs more than the lines.
MERIT_PROCESS_MIN_PRODUCTS = 20_000


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
    shards = ShardWriter(folder, prefix, shard_rows, row_group_rows)
    shards.write(table)
    return shards.close()


class ShardWriter:
    """Shard files of at most `shard_rows` rows, in row groups of `row_group_rows` (a shard's last
    one may be shorter), for rows that arrive in batches: the files are the same whatever the
    batches. The shard count in each name is known only at the end, so shards are written under
    a temporary name and renamed when the writer closes."""

    def __init__(self, folder: Path, prefix: str, shard_rows: int, row_group_rows: int,
                 behind: WriteBehind | None = None) -> None:
        self.folder, self.prefix, self.shard_rows, self.row_group_rows = folder, prefix, shard_rows, row_group_rows
        self.behind = behind  # writes on its thread (io/overlap.py), in order; `close` waits for them
        folder.mkdir(parents=True, exist_ok=True)
        self.pending: list[pa.Table] = []
        self.buffered, self.in_shard, self.schema = 0, 0, None
        self.writer: pq.ParquetWriter | None = None
        self.parts: list[Path] = []

    def write(self, table: pa.Table) -> None:
        self.schema = self.schema or table.schema
        if table.num_rows:
            self.pending.append(table)
            self.buffered += table.num_rows
        while self.buffered >= self._next_group():
            self._flush(self._next_group())

    def _next_group(self) -> int:
        return min(self.row_group_rows, self.shard_rows - self.in_shard)

    def _open(self) -> None:
        self.parts.append(self.folder / f".{self.prefix}-{len(self.parts):05d}.parquet.part")
        self.writer = pq.ParquetWriter(self.parts[-1], self.schema, compression="zstd")

    def _flush(self, rows: int) -> None:
        """Write the first `rows` pending rows as one row group of the current shard."""
        pending = pa.concat_tables(self.pending)
        if self.writer is None:
            self._open()
        self._call(self.writer.write_table, pending.slice(0, rows).combine_chunks(), row_group_size=rows)
        rest = pending.slice(rows)
        self.pending, self.buffered = ([rest] if rest.num_rows else []), rest.num_rows
        self.in_shard += rows
        if self.in_shard == self.shard_rows:
            self._call(self.writer.close)
            self.writer, self.in_shard = None, 0

    def _call(self, call, *args, **kwargs) -> None:
        if self.behind is None:
            call(*args, **kwargs)
        else:
            self.behind.submit(call, *args, **kwargs)

    def close(self) -> list[str]:
        if self.buffered:  # the last rows: fewer than a row group, so the shard stays open
            self._flush(self.buffered)
        elif not self.parts:  # no rows at all: still one (empty) file
            self._open()
            self.writer.write_table(self.schema.empty_table())
        if self.writer is not None:
            self._call(self.writer.close)
        if self.behind is not None:
            self.behind.drain()  # every part written and closed before it is renamed
        names = [layout.shard_name(self.prefix, i, len(self.parts)) for i in range(len(self.parts))]
        for part, name in zip(self.parts, names):
            part.rename(self.folder / name)
        return names


def write_export(root: Path, result: StageResult, cfg: BuildConfig, report: dict, card: bool = True) -> None:
    """The export folder's files. card=False leaves the data card to the caller: the local runner
    renders it once, after the audit (`audit_with_card`), instead of twice."""
    write_export_stream(root, [result], cfg)
    if card:
        write_card(root, report, cfg, Path(report["run_dir"]))


def write_export_stream(root: Path, results: Iterable[StageResult], cfg: BuildConfig) -> None:
    """The export folder's files from the export step's results (`stages/export.export_stream`:
    products first, then queries batch by batch): query rows are written as they come."""
    writer = ExportWriter(root, cfg)
    try:
        for result in results:
            writer.add(result)
        writer.close()
    finally:
        writer.abandon()  # its thread and MERIT worker end with the export, also when a batch failed


class ExportWriter:
    """Shards per split as query batches arrive, MERIT's files once every query is seen."""

    def __init__(self, root: Path, cfg: BuildConfig) -> None:
        self.root, self.ex, self.workers = root, cfg.export, worker_count(cfg.workers)
        self.splits: dict[str, ShardWriter] = {}
        self.rejects: list[pa.Table] = []
        self.merit: MeritWriter | None = None
        self.schema: pa.Schema | None = None
        # Query shards are encoded on a thread while the next batch's MERIT lines are built (io/overlap.py).
        self.behind = WriteBehind()

    def add(self, result: StageResult) -> None:
        out, ex = result.outputs, self.ex
        if "products" in out:
            products = with_hf_features(out["products"], {"images": "images"})
            write_shards(products, layout.products_dir(self.root), "products", ex.shard_rows, ex.row_group_rows)
            if ex.merit_layout:
                self.merit = MeritWriter(self.root / layout.MERIT, out["merit_products"], ex,
                                         in_process=self.workers > 1 and products.num_rows >= MERIT_PROCESS_MIN_PRODUCTS)
        if "difficulty" in out:
            pq.write_table(out["difficulty"], self.root / "difficulty.parquet")
        if "queries" in out:
            self._add_queries(out["queries"])
        self.rejects.append(result.rejects)

    def _add_queries(self, queries: pa.Table) -> None:
        self.schema = queries.schema
        for split in split_names(queries):
            if split not in self.splits:
                self.splits[split] = ShardWriter(layout.queries_dir(self.root), split, self.ex.shard_rows,
                                                 self.ex.row_group_rows, self.behind)
            self.splits[split].write(queries.filter(pa.compute.equal(queries.column("split"), split)))
        if self.merit is not None:
            self.merit.add(queries)

    def abandon(self) -> None:
        """End the write-behind thread and the MERIT writer's files or worker, also after a failure (after
        `close` it does nothing)."""
        self.behind.abandon()
        if self.merit is not None:
            self.merit.queries.abandon()

    def close(self) -> None:
        if not self.splits:  # an empty build still exports a loadable (empty) split
            empty = ShardWriter(layout.queries_dir(self.root), layout.DEFAULT_SPLIT, self.ex.shard_rows,
                                self.ex.row_group_rows)
            empty.write(self.schema.empty_table() if self.schema else schemas.empty("query"))
            self.splits[layout.DEFAULT_SPLIT] = empty
        for shards in self.splits.values():
            shards.close()  # each waits for its row groups written behind
        self.behind.close()
        if self.merit is not None:
            self.merit.close()
        rejects = pa.concat_tables(self.rejects) if self.rejects else schemas.empty("reject")
        pq.write_table(rejects, self.root / "rejects.parquet")


class MeritWriter:
    """MERIT's layout (`pipelines/merit_layout.py`) from query batches: `queries-<split>.json` lines
    appended per batch; each split's product pool written once every query is seen."""

    def __init__(self, folder: Path, products: pa.Table, ex, in_process: bool = False) -> None:
        """`in_process`: the query lines are built by a worker process of their own (io/merit_queries.py)."""
        self.folder, self.ex = folder, ex
        self.products = with_hf_features(products, {"image": "image"})
        ids = self.products.column("product_id")
        self.titles = dict(zip(ids.to_pylist(), self.products.column("title").to_pylist()))
        self.ids = MeritIds(zip(ids.to_pylist(), self.products.column("idx").to_pylist()))
        self.pools: dict[str, set[str]] = {split: set() for split in SPLITS}
        self.queries = MeritQueryProcess(folder, self.titles, self.ids) if in_process else MeritQueryFiles(folder)

    def add(self, queries: pa.Table) -> None:
        for split, pool in split_pools(queries, BATCH_ROWS).items():
            self.pools.setdefault(split, set()).update(pool)
        self.queries.write(queries, self.titles, self.ids)

    def close(self) -> None:
        self.queries.close()
        ids = self.products.column("product_id")
        for split in SPLITS:
            part = self.products.filter(pc.is_in(ids, pa.array(sorted(self.pools[split]), pa.string())))
            write_shards(part, self.folder / "products", split, self.ex.shard_rows, self.ex.row_group_rows)
        (self.folder / layout.CARD_FILE).write_text(merit_readme(), encoding="utf-8")

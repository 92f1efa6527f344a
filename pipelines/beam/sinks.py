"""Write the Beam build's outputs with Beam IO, to any Beam filesystem (local, gs://).

The layout is the local export's (`io/export_writer.py`): `export/data/products/`,
`export/data/queries/<split>-*.parquet`, `export/merit/`; file counts are the runner's choice
rather than `export.shard_rows`. Rejects of every stage land in `rejects/rejects-*.parquet`
(one `stage` column), and are written even when the failure-ratio check fails.
"""

from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.parquetio import WriteToParquetBatched

from pipelines import schemas
from pipelines.beam.batch_files import AcrossAsFiles, from_file
from pipelines.beam.failures import gated
from pipelines.config import BuildConfig
from pipelines.io import layout
from pipelines.io.export_writer import with_hf_features
from pipelines.io.layout import SPLITS
from pipelines.merit_layout import merit_products, merit_query_lines, merit_readme, split_pools

STANDARD_OUTPUTS = ("products", "queries", "merit_products")
CODEC = "zstd"  # as the local writer


def products_schema() -> pa.Schema:
    return with_hf_features(schemas.empty("export_product"), {"images": "images"}).schema


def merit_products_schema() -> pa.Schema:
    return with_hf_features(merit_products(schemas.empty("export_product")), {"image": "image"}).schema


def write_table(table: pa.Table, path: str) -> str:
    """One whole table as one Parquet file, through Beam's filesystems (for one-element outputs)."""
    with FileSystems.create(path) as fh:
        pq.write_table(table, fh, compression=CODEC)
    return path


def of_split(table: pa.Table, split: str):
    part = table.filter(pc.equal(table.column("split"), split))
    if part.num_rows:
        yield part


def _titles(table: pa.Table):
    table = from_file(table)
    yield from zip(table.column("product_id").to_pylist(), table.column("title").to_pylist())


def product_references(table: pa.Table):
    """(product_id, split) once per batch for every product a query of the batch names."""
    for split, product_ids in split_pools(from_file(table)).items():
        for product_id in product_ids:
            yield product_id, split


class SplitSet(beam.CombineFn):
    """The set of splits whose queries name a product (combined in each worker before the shuffle:
    as single pairs, millions went through the DirectRunner's process)."""

    def create_accumulator(self) -> set:
        return set()

    def add_input(self, splits: set, split: str) -> set:
        splits.add(split)
        return splits

    def merge_accumulators(self, accumulators) -> set:
        return set().union(*accumulators)

    def extract_output(self, splits: set) -> set:
        return splits


def _in_pool(table: pa.Table, split: str, pools: dict):
    """The batch's MERIT products that split `split`'s queries name."""
    keep = [split in pools.get(p, ()) for p in table.column("product_id").to_pylist()]
    part = table.filter(pa.array(keep, pa.bool_()))
    if part.num_rows:
        yield part


def _query_lines(table: pa.Table, split: str, titles: dict):
    yield from merit_query_lines(table, titles, split)


def parquet(prefix: str, schema: pa.Schema) -> WriteToParquetBatched:
    return WriteToParquetBatched(prefix, schema, codec=CODEC, file_name_suffix=".parquet")


class Gated(beam.PTransform):
    """Tables held until `gate` exists (`failures.gated`), then spread over workers if `spread`."""

    def __init__(self, gate, spread: bool = False) -> None:
        super().__init__()
        self.gate, self.spread = gate, spread

    def expand(self, tables):
        held = gated(tables, self.gate, "Gate")
        return held | "Spread" >> beam.Reshuffle() if self.spread else held


class WriteExport(beam.PTransform):
    """Export outputs -> Parquet (and MERIT's JSON lines) under `export_dir`, after `gate`.

    `folder`: the export tables wait for the gate as files (`batch_files`): waiting as elements,
    every exported row sat in the DirectRunner's process until the failure check was done."""

    def __init__(self, export_dir: str, cfg: BuildConfig, gate, folder: str | None = None) -> None:
        super().__init__()
        self.export_dir, self.cfg, self.gate, self.folder = export_dir, cfg, gate, folder

    def _gated(self, spread: bool = False) -> AcrossAsFiles:
        return AcrossAsFiles(Gated(self.gate, spread), self.folder)

    def _path(self, *parts: str) -> str:
        return FileSystems.join(self.export_dir, *parts)

    def expand(self, outputs: dict):
        (outputs["products"] | "GateProducts" >> self._gated()
         | "HfProducts" >> beam.Map(with_hf_features, {"images": "images"})
         | "WriteProducts" >> parquet(self._path(*layout.PRODUCTS_PARTS, "products"), products_schema()))
        queries = outputs["queries"] | "GateQueries" >> self._gated()
        for split in SPLITS:
            (queries
             | f"Only_{split}" >> beam.FlatMap(of_split, split)
             | f"WriteQueries_{split}" >> parquet(self._path(*layout.QUERIES_PARTS, split), schemas.schema("query")))
        if self.cfg.export.merit_layout:
            self._merit(outputs)
        for name in sorted(set(outputs) - set(STANDARD_OUTPUTS)):  # one-table outputs (difficulty)
            (outputs[name] | f"Gate_{name}" >> self._gated()
             | f"Write_{name}" >> beam.Map(write_table, self._path(f"{name}.parquet")))

    def _merit(self, outputs: dict) -> None:
        """MERIT's layout as the local writer's (`io/export_writer.MeritWriter`): per-split product
        pools, query JSON lines with product titles (side input: ~100 bytes per product), the card."""
        # Titles come from the products and pools from the queries, each used on the other side: the
        # Reshuffles keep the two sides in separate stages, so neither waits on its own side input.
        titles = beam.pvalue.AsDict(outputs["merit_products"] | "MeritTitles" >> beam.FlatMap(_titles))
        pools = beam.pvalue.AsDict(
            outputs["queries"] | "MeritRefs" >> beam.FlatMap(product_references) | "PoolsByProduct" >> beam.CombinePerKey(SplitSet()))
        products = outputs["merit_products"] | "GateMeritProducts" >> self._gated(spread=True)
        queries = outputs["queries"] | "GateMeritQueries" >> self._gated(spread=True)
        for split in SPLITS:
            (products
             | f"MeritPool_{split}" >> beam.FlatMap(_in_pool, split, pools)
             | f"HfMeritProducts_{split}" >> beam.Map(with_hf_features, {"image": "image"})
             | f"WriteMeritProducts_{split}" >> parquet(self._path(*layout.MERIT_PRODUCTS_PARTS, split), merit_products_schema()))
            (queries
             | f"MeritLines_{split}" >> beam.FlatMap(_query_lines, split, titles)
             | f"WriteMeritQueries_{split}" >> beam.io.WriteToText(
                 self._path(layout.MERIT, layout.merit_queries_stem(split)), file_name_suffix=".json", num_shards=1,
                 shard_name_template=""))
        (gated(products.pipeline | "MeritCard" >> beam.Create([merit_readme().rstrip("\n")]), self.gate, "GateMeritCard")
         | "WriteMeritCard" >> beam.io.WriteToText(self._path(layout.MERIT, "README"), file_name_suffix=".md", num_shards=1,
                                                   shard_name_template=""))


class WriteRejects(beam.PTransform):
    """Reject tables of every stage -> `<run>/rejects/rejects-*.parquet` (not gated: needed most on failure)."""

    def __init__(self, run_root: str) -> None:
        super().__init__()
        self.run_root = run_root

    def expand(self, rejects):
        prefix = FileSystems.join(self.run_root, "rejects", "rejects")
        return rejects | "WriteRejects" >> parquet(prefix, schemas.schema("reject"))

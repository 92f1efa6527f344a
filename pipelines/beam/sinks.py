"""Write the Beam build's outputs with Beam IO, to any Beam filesystem (local, gs://).

The layout is the local export's (`io/export_writer.py`): `export/data/products/`,
`export/data/queries/<split>-*.parquet`, `export/merit/`; file counts are the runner's choice
rather than `export.shard_rows`. Rejects of every stage land in `rejects/rejects-*.parquet`
(one `stage` column), and are written even when the failure-ratio check fails.
"""

from __future__ import annotations

import json

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.parquetio import WriteToParquetBatched

from pipelines import schemas
from pipelines.beam.failures import gated
from pipelines.config import BuildConfig
from pipelines.io.export_writer import with_hf_features
from pipelines.stages.export import merit_products

SPLITS = ("train", "test")  # the only values stages/split assigns
STANDARD_OUTPUTS = ("products", "queries", "merit_products", "merit_queries")
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


def merit_query_lines(table: pa.Table, split: str):
    for row in table.to_pylist():
        if row["split"] == split:
            yield json.dumps({k: v for k, v in row.items() if k != "split"}, ensure_ascii=False)


def parquet(prefix: str, schema: pa.Schema, single: bool = False) -> WriteToParquetBatched:
    if single:  # one file named exactly prefix + ".parquet", like MERIT's products.parquet
        return WriteToParquetBatched(prefix, schema, codec=CODEC, file_name_suffix=".parquet", num_shards=1,
                                     shard_name_template="")
    return WriteToParquetBatched(prefix, schema, codec=CODEC, file_name_suffix=".parquet")


class WriteExport(beam.PTransform):
    """Export outputs -> Parquet (and MERIT's JSON lines) under `export_dir`, after `gate`."""

    def __init__(self, export_dir: str, cfg: BuildConfig, gate) -> None:
        super().__init__()
        self.export_dir, self.cfg, self.gate = export_dir, cfg, gate

    def _path(self, *parts: str) -> str:
        return FileSystems.join(self.export_dir, *parts)

    def expand(self, outputs: dict):
        (gated(outputs["products"], self.gate, "GateProducts")
         | "HfProducts" >> beam.Map(with_hf_features, {"images": "images"})
         | "WriteProducts" >> parquet(self._path("data", "products", "products"), products_schema()))
        queries = gated(outputs["queries"], self.gate, "GateQueries")
        for split in SPLITS:
            (queries
             | f"Only_{split}" >> beam.FlatMap(of_split, split)
             | f"WriteQueries_{split}" >> parquet(self._path("data", "queries", split), schemas.schema("query")))
        if self.cfg.export.merit_layout:
            self._merit(outputs)
        for name in sorted(set(outputs) - set(STANDARD_OUTPUTS)):  # one-table outputs (difficulty)
            (gated(outputs[name], self.gate, f"Gate_{name}")
             | f"Write_{name}" >> beam.Map(write_table, self._path(f"{name}.parquet")))

    def _merit(self, outputs: dict) -> None:
        (gated(outputs["merit_products"], self.gate, "GateMeritProducts")
         | "HfMeritProducts" >> beam.Map(with_hf_features, {"image": "image"})
         | "WriteMeritProducts" >> parquet(self._path("merit", "products"), merit_products_schema(), single=True))
        merit_queries = gated(outputs["merit_queries"], self.gate, "GateMeritQueries")
        for split in SPLITS:
            (merit_queries
             | f"MeritLines_{split}" >> beam.FlatMap(merit_query_lines, split)
             | f"WriteMeritQueries_{split}" >> beam.io.WriteToText(
                 self._path("merit", f"queries-{split}"), file_name_suffix=".json", num_shards=1,
                 shard_name_template=""))


class WriteRejects(beam.PTransform):
    """Reject tables of every stage -> `<run>/rejects/rejects-*.parquet` (not gated: needed most on failure)."""

    def __init__(self, run_root: str) -> None:
        super().__init__()
        self.run_root = run_root

    def expand(self, rejects):
        prefix = FileSystems.join(self.run_root, "rejects", "rejects")
        return rejects | "WriteRejects" >> parquet(prefix, schemas.schema("reject"))

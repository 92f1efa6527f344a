"""Which unmapped flat columns of a Parquet catalog `meritgen vocab induce` reads as candidate attributes.

A CSV or JSONL row is read whole, so induce sees every flat text or number cell (catalog_reader.catalog_records);
a Parquet catalog is read by column, and a build reads only the mapped ones. For induce the schema says which
other columns could hold an attribute the same way: text (plain or dictionary-encoded) and numbers. Image
bytes, lists, structs, dates and booleans are never read, nor a text column whose values average over
MAX_MEAN_BYTES a row (a description or HTML body is no attribute value, and could be gigabytes); the same
rule leaves such a column out of CSV and JSONL rows (`without_long_texts`), so every format proposes alike.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MAX_MEAN_BYTES = 1024  # uncompressed bytes a row, from the file's metadata: longer texts are not attribute values


def candidate_columns(path: Path, skip: set[str]) -> list[str]:
    """Flat text and number columns of the Parquet file at `path` not in `skip` (the mapped columns), file order."""
    parquet = pq.ParquetFile(path)
    schema, meta = parquet.schema_arrow, parquet.metadata
    rows = max(meta.num_rows, 1)
    leaves = {parquet.schema.column(i).path: i for i in range(len(parquet.schema))}  # a flat column is one leaf
    picked = []
    for column in schema:
        leaf = leaves.get(column.name)
        if column.name in skip or leaf is None or not _flat_value(column.type):
            continue
        size = sum(meta.row_group(g).column(leaf).total_uncompressed_size for g in range(meta.num_row_groups))
        if size / rows <= MAX_MEAN_BYTES:
            picked.append(column.name)
    return picked


def without_long_texts(columns: list[dict]) -> list[dict]:
    """Each row's unmapped flat cells (`columns`) without the columns whose values average over MAX_MEAN_BYTES
    a row (UTF-8, over all rows): the rule `candidate_columns` applies to a Parquet file by its metadata."""
    size: dict[str, int] = {}
    for row in columns:
        for name, value in row.items():
            size[name] = size.get(name, 0) + len(str(value).encode("utf-8", "surrogatepass"))
    long = {name for name, total in size.items() if total / max(len(columns), 1) > MAX_MEAN_BYTES}
    return [{k: v for k, v in row.items() if k not in long} for row in columns] if long else columns


def _flat_value(kind: pa.DataType) -> bool:
    """What a CSV cell would give as text or a number: strings, integers, floats (dictionary-encoded too)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
            or pa.types.is_floating(kind) or str(kind) == "string_view")


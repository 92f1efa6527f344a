"""Arrow tables as PCollection elements: batching rows, slicing batches, whole-table side inputs.

Data moves between Beam transforms as `pa.Table` batches that conform to a contract of
`schemas/v1`: they pickle as compact buffers, and a stage function can take a batch as is.
Rows (dicts) appear only where a keyed shuffle needs them (ingest groups catalog rows by id).
"""

from __future__ import annotations

from collections.abc import Iterator

import apache_beam as beam
import pyarrow as pa

from pipelines import schemas
from pipelines.beam.batch_files import AcrossAsFiles, BatchFile, from_file, to_file
from pipelines.beam.whole_files import write_whole
from pipelines.shards import KEY, batch_starts

# The only columns `stages/catalog_index.build_index` reads: side inputs carry just these, so
# the index tables of a 135K-product catalog stay a few tens of MB (see ARCHITECTURE.md).
INDEX_COLUMNS = {
    "product": ["product_id", "category", "image_ids"],
    "attribute": ["product_id", "attribute", "value"],
    "family": ["product_id", "family_id"],
}

# The column that names a row in reject messages, most specific first.
ID_COLUMNS = ("query_id", "base_query_id", "product_id", "image_id")


def slices(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    """Compact copies of consecutive pieces of at most `rows` rows (nothing for an empty table).

    Not zero-copy slices: a pickled slice carries its parent's whole buffers, so slicing a big
    table into elements would ship the big table once per slice.
    """
    if table.num_rows <= rows:
        if table.num_rows:
            yield table
        return
    for start in range(0, table.num_rows, rows):
        yield table.take(pa.array(range(start, min(start + rows, table.num_rows)), pa.int64()))


def single_rows(table: pa.Table) -> list[pa.Table]:
    """One-row tables (one base query's rows, for a table of queries): how a failed batch is retried."""
    return list(key_slices(table, 1))


def key_slices(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    """`slices` that never split a base query's rows (pipelines/shards.batch_starts): a stage that
    decides on a base query's English row and copies to its languages needs them in one batch.
    Tables without the key are cut every `rows` rows."""
    if KEY not in table.column_names:
        yield from slices(table, rows)
        return
    starts = batch_starts(table.column(KEY), rows, table.num_rows)
    if len(starts) == 1:
        if table.num_rows:
            yield table
        return
    for start, end in zip(starts, [*starts[1:], table.num_rows]):
        yield table.take(pa.array(range(start, end), pa.int64()))


def slices_of(element, rows: int):
    """`key_slices` of a table or a `batch_files.BatchFile` (one small enough passes as it is)."""
    if isinstance(element, BatchFile) and 0 < element.rows <= rows:
        yield element
    else:
        yield from key_slices(from_file(element), rows)


def record_ids(table: pa.Table) -> list[str | None]:
    """Per row, the id a reject row should name (None when the table has no id column)."""
    for column in ID_COLUMNS:
        if column in table.column_names:
            return [None if v is None else str(v) for v in table.column(column).to_pylist()]
    return [None] * table.num_rows


class ConcatTables(beam.CombineFn):
    """Concatenate batches into one table (an empty table of `contract` when there are none).

    Batches may be `batch_files.BatchFile`s: the accumulators then carry paths, and only the
    final step maps and copies the tables. With a `folder`, the output is the whole table written
    as `<folder>/<name>.arrow` (`whole_files.WholeFile`): Beam reads a combine's output as a side
    input (to inject the default), so the DirectRunner kept a table output for the whole run."""

    def __init__(self, contract: str, columns: list[str] | None = None, folder: str | None = None,
                 name: str = "whole") -> None:
        self.contract, self.columns, self.folder, self.name = contract, columns, folder, name

    def _project(self, table: pa.Table) -> pa.Table:
        return table.select(self.columns) if self.columns else table

    def create_accumulator(self) -> list:
        return []

    def add_input(self, acc: list, table) -> list:
        acc.append(table if isinstance(table, BatchFile) else self._project(table))
        return acc

    def merge_accumulators(self, accs) -> list:
        return [t for acc in accs for t in acc]

    def extract_output(self, acc: list):
        if acc:
            table = pa.concat_tables([self._project(from_file(t)) for t in acc]).combine_chunks()
        else:
            table = self._project(schemas.empty(self.contract))
        return table if self.folder is None else write_whole(table, self.folder, self.name)


class WholeTable(beam.PTransform):
    """Batches -> a one-element PCollection holding the whole table, for AsSingleton side inputs.

    `folder`: the batches reach the combine as files (`batch_files`), not through the runner, and
    the element is the whole table's file, `<folder>/<name>.arrow` (`whole_files.WholeFile`)."""

    def __init__(self, contract: str, columns: list[str] | None = None, folder: str | None = None,
                 name: str = "whole") -> None:
        super().__init__()
        self.contract, self.columns, self.folder, self.name = contract, columns, folder, name

    def expand(self, batches):
        if self.folder is not None:
            batches = batches | "ToFiles" >> beam.Map(to_file, self.folder)
        return batches | "Concat" >> beam.CombineGlobally(ConcatTables(self.contract, self.columns, self.folder, self.name))


class Rebatch(beam.PTransform):
    """Cut batches to about `rows` rows, a base query's rows kept together, and spread them over workers.

    Every query table's elements hold whole base queries (render emits a plan's languages together,
    sharded steps keep them, global steps emit one whole table), so cutting each element at key
    changes keeps them whole batch after batch. `folder`: the batches cross the Reshuffle as
    files (`batch_files`)."""

    def __init__(self, rows: int, folder: str | None = None) -> None:
        super().__init__()
        self.rows, self.folder = rows, folder

    def expand(self, batches):
        return (batches
                | "Slice" >> beam.FlatMap(slices_of, self.rows)
                | "Spread" >> AcrossAsFiles(beam.Reshuffle(), self.folder))


class BatchRows(beam.PTransform):
    """Row dicts -> tables of `contract` with at most `rows` rows each."""

    def __init__(self, contract: str, rows: int) -> None:
        super().__init__()
        self.contract, self.rows = contract, rows

    def expand(self, rows):
        return (rows
                | "Batch" >> beam.BatchElements(min_batch_size=self.rows, max_batch_size=self.rows)
                | "ToTable" >> beam.Map(schemas.from_rows, self.contract))


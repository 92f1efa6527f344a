"""A stage output on disk as `Shards` (pipelines/shards.py): key-aligned batches read one at a
time, so a streamed step holds one batch of the query table (and the next, read ahead), never the whole of it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.io.overlap import read_ahead
from pipelines.shards import KEY, batch_starts

READ_ROWS = 16_384  # rows per record batch read from the file (batches are cut from these)


@dataclass(frozen=True)
class ParquetShards:
    path: Path
    batch_rows: int
    key: str | None = KEY

    @property
    def num_rows(self) -> int:
        return pq.ParquetFile(self.path).metadata.num_rows

    def columns(self, names: Sequence[str]) -> pa.Table:
        return pq.read_table(self.path, columns=list(names))

    def _starts(self) -> list[int]:
        keyed = self.key is not None and self.key in pq.ParquetFile(self.path).schema_arrow.names
        return batch_starts(self.columns([self.key]).column(self.key) if keyed else None, self.batch_rows, self.num_rows)

    def __iter__(self) -> Iterator[pa.Table]:
        return read_ahead(self._batches())  # the next batch decoded while the step works on this one

    def _batches(self) -> Iterator[pa.Table]:
        starts = self._starts()
        ends = iter([*starts[1:], self.num_rows])
        end = next(ends, None)
        source = pq.ParquetFile(self.path)
        schema = source.schema_arrow
        pending: list[pa.RecordBatch] = []
        offset, held = 0, 0  # row number of the first buffered row; rows buffered
        for record_batch in source.iter_batches(batch_size=READ_ROWS):
            pending.append(record_batch)
            held += record_batch.num_rows
            while end is not None and offset + held >= end:  # the buffer covers the next batch
                buffered = pa.Table.from_batches(pending, schema)
                yield buffered.slice(0, end - offset)
                rest = buffered.slice(end - offset)
                pending, held, offset = rest.to_batches(), rest.num_rows, end
                end = next(ends, None)
        if end is not None:  # an empty file: one empty batch, as TableShards yields
            yield schema.empty_table()

"""Table batches that cross a stage boundary as files, not as element bytes.

Where a PCollection crosses from one fused stage to the next (a Reshuffle, a combine, a write
gated on the failure check) the DirectRunner keeps every element in its own process until the
consumer has run, and Beam's data plane copies each one through gRPC on both sides. At 135K
products that held 3-6 GB of query tables in the launcher. Here a batch is written, just before
such a boundary, as an Arrow IPC file under the run's table folder
(`<run>/_tables/<pipeline id>/batches/`), the element that crosses is its path (`BatchFile`),
and the consumer maps the file (`from_file`). The folder goes with the whole tables' after the
run (`whole_files.remove_folder`). A retried bundle writes new files, never over a read one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from pipelines.beam.whole_files import read_file, write_file

BATCHES = "batches"


@dataclass(frozen=True)
class BatchFile:
    """A table batch in flight: its Arrow IPC file and row count."""

    path: str
    rows: int


def to_file(table, folder: str) -> BatchFile:
    """Write `table` under `<folder>/batches/` with a fresh name (a `BatchFile` is already one)."""
    if isinstance(table, BatchFile):
        return table
    path = FileSystems.join(folder, BATCHES, f"{uuid.uuid4().hex}.arrow")
    write_file(table, path)
    return BatchFile(path, table.num_rows)


def in_file(element, folder: str):
    """A table element as its file; anything else (a keyed tuple, a tally) as it is."""
    return to_file(element, folder) if isinstance(element, (pa.Table, BatchFile)) else element


def from_file(element):
    """The table a `BatchFile` stands for (mapped, not cached), or the element itself."""
    return read_file(element.path) if isinstance(element, BatchFile) else element


def rows_of(element) -> int:
    return element.rows if isinstance(element, BatchFile) else element.num_rows


class AcrossAsFiles(beam.PTransform):
    """`tables | boundary` with each table crossing as a file: written before, mapped after.

    `folder` None: the tables cross as they are (a graph built without a table folder, tests)."""

    def __init__(self, boundary: beam.PTransform, folder: str | None) -> None:
        super().__init__()
        self.boundary, self.folder = boundary, folder

    def expand(self, tables):
        if self.folder is None:
            return tables | "Cross" >> self.boundary
        return (tables
                | "ToFiles" >> beam.Map(to_file, self.folder)
                | "Cross" >> self.boundary
                | "FromFiles" >> beam.Map(from_file))

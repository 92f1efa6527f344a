"""Arrow tables as IPC: stream bytes for what crosses to and from worker processes per task (pickled as
bytes), memory-mapped files for the tables every worker of a pool reads (`SharedTables`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa


def to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def write_ipc_file(table: pa.Table, sink) -> None:
    """`table` as an Arrow IPC file (random access: `read_shared` maps it) into `sink`, a path or a writable file."""
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


class SharedTables:
    """Tables written once to Arrow IPC files for worker processes to memory-map (`read_shared`): every
    process reads the same pages, counted once. Pickled bytes put a copy in each worker and kept one in
    the parent for the pool's life (a pool's initializer arguments stay referenced). A context manager:
    the files go when it closes, after the pool that reads them."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="meritgen-shared-")
        self.paths: dict[str, str] = {}
        for name, table in tables.items():
            path = str(Path(self._folder.name) / f"{name}.arrow")
            write_ipc_file(table, path)
            self.paths[name] = path

    def __enter__(self) -> SharedTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._folder.cleanup()


def read_shared(path: str) -> pa.Table:
    """A `SharedTables` (or `write_ipc_file`) file as a table over the mapped file (no copy)."""
    return pa.ipc.open_file(pa.memory_map(path, "r")).read_all()

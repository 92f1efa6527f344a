"""A digest of an Arrow table's content: its schema (with metadata) and values, whatever its chunks or
slices, written as an Arrow IPC stream straight into the hash (never held as bytes beside the table)."""

from __future__ import annotations

import hashlib

import pyarrow as pa


class _HashSink:
    """A write-only file object that feeds what is written into a hash."""

    def __init__(self, h) -> None:
        self.h, self.closed = h, False

    def write(self, data) -> int:
        self.h.update(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True


def hash_table(h, table: pa.Table) -> None:
    """Feed `table` into the hash object `h` (hashlib's), as its IPC stream."""
    with pa.ipc.new_stream(pa.PythonFile(_HashSink(h), mode="w"), table.schema) as writer:
        writer.write_table(table)


def table_digest(table: pa.Table) -> str:
    """sha256 hex digest of `table`'s IPC stream."""
    h = hashlib.sha256()
    hash_table(h, table)
    return h.hexdigest()

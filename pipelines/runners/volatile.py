"""The fingerprint a volatile step (`Step.volatile`: it reads URLs) hands the steps after it.

Its outputs' content, not only its parameters: a catalog image whose bytes changed under the
same URL changes it (its new pixels reach the export), an unchanged one leaves every later step
skipped. The tables are hashed as Arrow IPC streams, written into the hash, never held twice.
"""

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


def content_fingerprint(fp: str, outputs: dict[str, pa.Table]) -> str:
    h = hashlib.sha256(fp.encode())
    for name in sorted(outputs):
        table = outputs[name]
        h.update(name.encode() + b"\0")
        with pa.ipc.new_stream(pa.PythonFile(_HashSink(h), mode="w"), table.schema) as writer:
            writer.write_table(table)
    return "content-" + h.hexdigest()[:20]

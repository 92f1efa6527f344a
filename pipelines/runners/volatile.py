"""The fingerprint a volatile step (`Step.volatile`: it reads URLs) hands the steps after it.

Its outputs' content, not only its parameters: a catalog image whose bytes changed under the
same URL changes it (its new pixels reach the export), an unchanged one leaves every later step
skipped. The tables are hashed as Arrow IPC streams, written into the hash, never held twice.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from pipelines.table_digest import hash_table


def content_fingerprint(fp: str, outputs: dict[str, pa.Table]) -> str:
    h = hashlib.sha256(fp.encode())
    for name in sorted(outputs):
        table = outputs[name]
        h.update(name.encode() + b"\0")
        hash_table(h, table)
    return "content-" + h.hexdigest()[:20]


class ContentHash:
    """`content_fingerprint` of a streamed step's outputs, fed batch by batch (never held whole).
    Its value depends on where the batches were cut: reruns with the same `batch_rows` compare equal."""

    def __init__(self) -> None:
        self.hashes: dict[str, object] = {}

    def add(self, outputs: dict[str, pa.Table]) -> None:
        for name, table in outputs.items():
            hash_table(self.hashes.setdefault(name, hashlib.sha256()), table)

    def fingerprint(self, fp: str) -> str:
        h = hashlib.sha256(fp.encode())
        for name in sorted(self.hashes):
            h.update(name.encode() + b"\0" + self.hashes[name].digest())
        return "content-" + h.hexdigest()[:20]

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

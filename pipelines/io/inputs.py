"""Files a build step reads besides earlier steps' outputs, as values the plan holds.

The plan names them (`Step.files`); the runner calls `load()` when the step runs, so building
the plan reads no file. Frozen, so the Beam pipeline can ship them to a worker.

Each has a `content_digest()`, part of its step's fingerprint (`plan.step.fingerprint`): a file
edited in place (same path) reruns the step that reads it and everything downstream.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.config import CatalogConfig
from pipelines.io.catalog_reader import read_catalog, read_catalog_batches


@dataclass(frozen=True)
class CatalogFile:
    """The catalog's raw rows (`raw_catalog_row`), read as `cfg` says. `fingerprint`: the runner's
    `catalog_reader.catalog_fingerprint` (its bytes and its images), part of the step's digest."""

    path: str
    cfg: CatalogConfig
    fingerprint: str = ""

    def load(self) -> pa.Table:
        return read_catalog(self.path, self.cfg)

    def batches(self, batch_rows: int) -> Iterator[pa.Table]:
        """`load()`'s rows, `batch_rows` at a time, read as they are asked for."""
        return read_catalog_batches(self.path, self.cfg, batch_rows)

    def content_digest(self) -> str:
        return ""  # already in the step's digest: `fingerprint`, computed by the runner


@dataclass(frozen=True)
class ParquetFile:
    """Columns of a Parquet file (e.g. `retrieval.passage_corpus`)."""

    path: str
    columns: tuple[str, ...]

    def load(self) -> pa.Table:
        return pq.read_table(Path(self.path), columns=list(self.columns))

    def content_digest(self) -> str:
        return file_digest(self.path)


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes (a missing file: "missing", so the step's own load names it).
    Hashed once per process for the same size, mtime and inode: a build asks for it more than once."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"
    return _digest(str(path), st.st_size, st.st_mtime_ns, st.st_ino)


@lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:20]

"""Files a build step reads besides earlier steps' outputs, as values the plan holds.

The plan names them (`Step.files`); the runner calls `load()` when the step runs, so building
the plan reads no file. Frozen, so the Beam pipeline can ship them to a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.config import CatalogConfig
from pipelines.io.catalog_reader import read_catalog


@dataclass(frozen=True)
class CatalogFile:
    """The catalog's raw rows (`raw_catalog_row`), read as `cfg` says."""

    path: str
    cfg: CatalogConfig

    def load(self) -> pa.Table:
        return read_catalog(self.path, self.cfg)


@dataclass(frozen=True)
class ParquetFile:
    """Columns of a Parquet file (e.g. `retrieval.passage_corpus`)."""

    path: str
    columns: tuple[str, ...]

    def load(self) -> pa.Table:
        return pq.read_table(Path(self.path), columns=list(self.columns))

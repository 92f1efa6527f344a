"""Helpers for the Beam tests: collect table PCollections to Parquet files, read them back."""

from __future__ import annotations

import uuid
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

DIRECT_MULTI = ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]


def _write(table: pa.Table, folder: str) -> None:
    pq.write_table(table, Path(folder) / f"{uuid.uuid4().hex}.parquet")


def collect(pcoll, folder: Path, label: str) -> None:
    """Write every table of `pcoll` to its own file under `folder` (works from worker processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    pcoll | label >> beam.Map(_write, str(folder))


def read_rows(folder: Path, key: str | None = None) -> list[dict]:
    """All rows written under `folder` (sorted by `key` when given)."""
    tables = [pq.read_table(f) for f in sorted(folder.glob("*.parquet"))]
    rows = [r for t in tables for r in t.to_pylist()]
    return sorted(rows, key=lambda r: r[key]) if key else rows


def read_parquet_dir(folder: Path, key: str) -> list[dict]:
    """Rows of every Parquet file under `folder` (recursively), sorted by `key`."""
    rows = [r for f in sorted(folder.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return sorted(rows, key=lambda r: r[key])

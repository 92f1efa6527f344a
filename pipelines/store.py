"""The run store: Parquet files are the truth, a DuckDB file holds views over them.

Layout of one run:  <out>/<run_id>/<stage>/<output>.parquet, <stage>/rejects.parquet,
<stage>/_SUCCESS.json (fingerprint + counters, written last), and <out>/<run_id>/run.duckdb.
A stage directory is built under a temporary name and renamed into place, so a killed run
never leaves a half-written stage that looks finished.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.io.export_files import FILES_KEY, listing
from pipelines.io.layout import MARKER

ROW_GROUP_ROWS = 10_000  # rows per Parquet row group of a stage output (streamed steps' too)
_SHARD = re.compile(r".+-\d{5}-of-\d{5}\.parquet$")


class RunStore:
    """Reads and writes the stage outputs of one run directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def duckdb_path(self) -> Path:
        return self.root / "run.duckdb"

    def stage_dir(self, stage: str) -> Path:
        return self.root / stage

    def marker(self, stage: str) -> dict | None:
        path = self.stage_dir(stage) / MARKER
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def is_complete(self, stage: str, fingerprint: str) -> bool:
        marker = self.marker(stage)
        return marker is not None and marker.get("fingerprint") == fingerprint

    def read(self, stage: str, output: str) -> pa.Table:
        return pq.read_table(self.stage_dir(stage) / f"{output}.parquet")

    def remove_stale_temp(self) -> list[str]:
        """Delete half-written stage folders left by processes that no longer exist."""
        removed = []
        for tmp in self.root.glob(".*.tmp-*"):
            pid = tmp.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(tmp, ignore_errors=True)
                removed.append(tmp.name)
        return removed

    def write_stage(self, stage: str, tables: dict[str, pa.Table], marker: dict) -> None:
        """Atomically replace `<stage>/` with `tables` (one Parquet file each) and its marker."""
        tmp = self.root / f".{stage}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, table in tables.items():
            pq.write_table(table, tmp / f"{name}.parquet", row_group_size=ROW_GROUP_ROWS, compression="zstd")
        write_json(tmp / MARKER, marker)
        final = self.stage_dir(stage)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)

    def write_dir(self, stage: str, write_files, marker) -> Path:
        """Atomically build `<stage>/` with a callback that writes files into a temp dir.

        `marker`: the completion marker, or a function returning it once the files are written
        (a streamed step knows its counts only then)."""
        tmp = self.root / f".{stage}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        write_files(tmp)
        # The marker lists the files it vouches for: `meritgen audit` finds one lost or cut short later.
        write_json(tmp / MARKER, {**(marker() if callable(marker) else marker), FILES_KEY: listing(tmp)})
        final = self.stage_dir(stage)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        return final

    def parquet_outputs(self) -> dict[str, list[Path]]:
        """View name -> Parquet files, for every finished stage output."""
        views: dict[str, list[Path]] = {}
        for stage_dir in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (stage_dir / MARKER).exists():
                continue
            for path in sorted(stage_dir.rglob("*.parquet")):
                views.setdefault(_view_name(stage_dir.name, _output_name(path.relative_to(stage_dir))), []).append(path)
        return views

    def refresh_views(self) -> list[str]:
        """(Re)create one DuckDB view per stage output, plus `rejects` over all stages."""
        views = self.parquet_outputs()
        with duckdb.connect(str(self.duckdb_path)) as con:
            for name, files in views.items():
                file_list = ", ".join(_sql_str(str(f.resolve())) for f in files)
                con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet([{file_list}], union_by_name=true)')
            reject_views = [n for n in views if n.endswith("__rejects")]
            if RUN_REJECTS_VIEW in reject_views:  # Beam's run-level rejects hold every stage's rows already
                reject_views = [RUN_REJECTS_VIEW]
            if reject_views:
                union = " UNION ALL BY NAME ".join(f'SELECT * FROM "{n}"' for n in reject_views)
                con.execute(f"CREATE OR REPLACE VIEW rejects AS {union}")
            else:  # no stage wrote rejects yet: the view still exists, empty, so its suggested query works
                con.execute(f"CREATE OR REPLACE VIEW rejects AS SELECT * FROM ({_EMPTY_REJECTS}) WHERE false")
        return sorted({*views, "rejects"})


_EMPTY_REJECTS = ("SELECT ''::VARCHAR AS stage, ''::VARCHAR AS reason, NULL::VARCHAR AS record_id, "
                  "NULL::VARCHAR AS source_file, NULL::BIGINT AS source_row, NULL::VARCHAR AS field, "
                  "''::VARCHAR AS message, NULL::VARCHAR AS raw")


RUN_REJECTS_VIEW = "rejects__rejects"  # Beam's <run>/rejects/rejects-*.parquet


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _output_name(rel: Path) -> str:
    """data/queries/train-00000-of-00002.parquet -> queries; merit/products.parquet -> merit_products."""
    parts = list(rel.parts[:-1])
    if not _SHARD.match(rel.name):
        parts.append(rel.stem)
    elif not parts:  # rejects/rejects-00000-of-00002.parquet: one view named for the shards' prefix
        parts.append(rel.name.rsplit("-", 3)[0])
    if parts and parts[0] == "data":
        parts = parts[1:]
    return "_".join(parts) or rel.stem


def _view_name(stage: str, output: str) -> str:
    return f"{stage}__{output}".replace("-", "_")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)

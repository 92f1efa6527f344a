"""Read a catalog on any Beam filesystem (local, gs://) as raw rows, in parallel read units.

Parsing reuses `pipelines/io/catalog_reader` and `catalog_text` (CSV/JSONL rows, column mapping, inline images,
local and http image refs). Only what a local `Path` cannot do lives here: one read unit per
Parquet row group, remote files read through Beam's `FileSystems`, remote image folders.
A raw row here carries image refs, not bytes: images load after the shuffle, next to validation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipelines.config import CatalogConfig
from pipelines.errors import CatalogError
from pipelines.io import catalog_reader as reader
from pipelines.io import catalog_text, image_source


@dataclass(frozen=True)
class ReadUnit:
    """A piece of one catalog file that one worker reads: a whole text file or a row group."""

    path: str
    source_file: str  # the file name reject rows carry (as the user gave it)
    fmt: str
    row_group: int | None = None
    first_row: int = 1  # source_row of the unit's first row


def is_remote(path: str) -> bool:
    return FileSystems.get_scheme(path) is not None


def _open(path: str):
    # Parquet needs a seekable raw file; AUTO would wrap .gz and the like in a stream.
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def plan_units(path: str, source_file: str) -> list[ReadUnit]:
    """Read units of one catalog file: each Parquet row group, or the whole CSV/JSONL file."""
    fmt = reader.catalog_format(PurePosixPath(path))
    if fmt != "parquet":
        return [ReadUnit(path, source_file, fmt)]
    try:
        with _open(path) as fh:
            meta = pq.ParquetFile(fh).metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise CatalogError(f"{source_file}: cannot read Parquet: {exc}") from exc
    units, first = [], 1
    for group in range(meta.num_row_groups):
        units.append(ReadUnit(path, source_file, fmt, group, first))
        first += meta.row_group(group).num_rows
    return units


def read_unit(unit: ReadUnit, cfg: CatalogConfig) -> Iterator[dict]:
    """Raw rows of one unit: source file and row, mapped record as JSON, read error, image refs."""
    for source_row, row, error in _parsed_rows(unit, cfg):
        record_json, refs, inline, error = reader.mapped_row(row, error, cfg)
        yield {"source_file": unit.source_file, "source_row": source_row, "record_json": record_json,
               "read_error": error, "refs": refs, "inline": inline}


def _parsed_rows(unit: ReadUnit, cfg: CatalogConfig) -> list[tuple[int, dict, str | None]]:
    if unit.fmt == "parquet":
        try:
            with _open(unit.path) as fh:
                parquet = pq.ParquetFile(fh)
                names = set(parquet.schema_arrow.names)
                table = parquet.read_row_group(unit.row_group, columns=[c for c in reader.mapped_columns(cfg) if c in names])
        except (pa.ArrowInvalid, OSError) as exc:
            raise CatalogError(f"{unit.source_file}: cannot read Parquet: {exc}") from exc
        return reader.table_rows(table, unit.first_row)  # unmapped columns unread; out-of-range values are row errors
    parse = {"csv": catalog_text.csv_rows, "jsonl": catalog_text.jsonl_rows}[unit.fmt]
    if not is_remote(unit.path):
        return parse(Path(unit.path), cfg)
    # The text parsers read a local Path (BOM and encoding handling included): copy the file.
    suffix = PurePosixPath(unit.path).suffix
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / f"catalog{suffix}"
        with _open(unit.path) as fh, open(local, "wb") as out:
            while chunk := fh.read(16 << 20):
                out.write(chunk)
        return parse(local, cfg)


def images_dir_of(path: str, cfg: CatalogConfig) -> str:
    """Where relative image refs resolve: `catalog.images_dir` under the catalog's folder, or the folder."""
    folder = FileSystems.split(path)[0]
    return FileSystems.join(folder, cfg.images_dir) if cfg.images_dir else folder


def with_images(row: dict, images_dir: str, client: httpx.Client, cfg: CatalogConfig | None = None) -> dict:
    """The `raw_catalog_row` record of a raw row: its inline images and loaded refs as blobs."""
    blobs = [reader.inline_blob(i, value) for i, value in enumerate(row["inline"])]
    blobs += [load_ref(ref, images_dir, client, cfg) for ref in row["refs"]]
    return {"source_file": row["source_file"], "source_row": row["source_row"], "record_json": row["record_json"],
            "read_error": row["read_error"], "image_blobs": blobs}


def load_ref(ref, images_dir: str, client: httpx.Client, cfg: CatalogConfig | None = None) -> dict:
    """One image ref as a blob: URLs and local files as the local reader does (same confinement),
    refs on a remote filesystem via FileSystems, inside the remote image folder or an extra root only."""
    if not isinstance(ref, str) or image_source.is_url(ref) or not (is_remote(ref) or is_remote(images_dir)):
        return image_source.load_ref(ref, image_source.policy_for(images_dir, cfg), client)
    path = ref if is_remote(ref) else FileSystems.join(images_dir, ref)
    roots = [images_dir, *(cfg.extra_image_roots if cfg else ())]
    if ".." in PurePosixPath(ref).parts or not any(path.startswith(root.rstrip("/") + "/") for root in roots):
        return {"ref": ref, "bytes": None, "error": "image path is outside the catalog's image folder; "
                "list extra folders in catalog.extra_image_roots to allow them"}
    try:
        found = FileSystems.match([path])[0].metadata_list
        if not found:
            return {"ref": ref, "bytes": None, "error": "cannot read image file: No such file or directory"}
        if found[0].size_in_bytes > reader.MAX_IMAGE_FILE_BYTES:
            return {"ref": ref, "bytes": None, "error": f"image file over {reader.MAX_IMAGE_FILE_BYTES} bytes"}
        with _open(path) as fh:
            data = fh.read(reader.MAX_IMAGE_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # Beam's BeamIOError is an OSError
        return {"ref": ref, "bytes": None, "error": f"cannot read image file: {type(exc).__name__}"}
    if len(data) > reader.MAX_IMAGE_FILE_BYTES:
        return {"ref": ref, "bytes": None, "error": f"image file over {reader.MAX_IMAGE_FILE_BYTES} bytes"}
    return {"ref": ref, "bytes": data, "error": None}

"""Read a CSV / JSONL / Parquet catalog into `raw_catalog_row` records, loading image bytes.

Nothing is validated here beyond what reading needs: each row keeps its file and row number,
its fields as read (JSON text) and its image bytes or the error that stopped their loading.
The pure ingest stage decides what is good.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.config import CatalogConfig
from pipelines.errors import CatalogError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024
csv.field_size_limit(64 * 1024 * 1024)  # a 1 MB title is a bad row to report, not a reader crash


def catalog_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CatalogError(f"{path}: unknown catalog format {path.suffix!r}; use .csv, .jsonl or .parquet")
    return fmt


def catalog_fingerprint(path: Path, cfg: CatalogConfig) -> str:
    """Hash of the catalog bytes and the size/mtime of every file in the image folder."""
    h = hashlib.sha256(path.read_bytes())
    images_dir = _images_dir(path, cfg)
    if images_dir != path.parent or cfg.images_dir:
        for img in sorted(images_dir.rglob("*")):
            if img.is_file():
                st = img.stat()
                h.update(f"{img.relative_to(images_dir)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def read_catalog(path: str | Path, cfg: CatalogConfig) -> pa.Table:
    """All rows of the catalog as a `raw_catalog_row` table (unreadable rows carry read_error)."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"catalog file not found: {path}")
    rows = {"csv": _csv_rows, "jsonl": _jsonl_rows, "parquet": _parquet_rows}[catalog_format(path)](path, cfg)
    records = [_map_columns(row, cfg) if error is None else ({}, [], []) for row, error in rows]
    blobs = _load_images(records, _images_dir(path, cfg))
    out = []
    for i, ((_, error), (record, _, _), row_blobs) in enumerate(zip(rows, records, blobs)):
        out.append({
            "source_file": str(path),
            "source_row": i + 1,
            "record_json": json.dumps(record, ensure_ascii=False, default=_json_default),
            "read_error": error,
            "image_blobs": row_blobs,
        })
    return schemas.from_rows(out, "raw_catalog_row")


def _images_dir(path: Path, cfg: CatalogConfig) -> Path:
    return (path.parent / cfg.images_dir) if cfg.images_dir else path.parent


def _json_default(value):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _check_header(path: Path, header: list[str], cfg: CatalogConfig) -> None:
    """A required column missing from a CSV header fails every row: say so once, by name."""
    required = {"product_id": cfg.id_column, "category": cfg.category_column, "title": cfg.title_column}
    missing = [f"{col!r} (for {field})" for field, col in required.items() if col not in header]
    if missing:
        raise CatalogError(f"{path}: header row lacks required column(s) {', '.join(missing)}; "
                           f"found {header}. Map your column names in the [catalog] config section.")


def _csv_rows(path: Path, cfg: CatalogConfig) -> list[tuple[dict, str | None]]:
    text = path.read_bytes().decode("utf-8-sig", errors="surrogateescape")  # -sig: tolerate a BOM
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(path, reader.fieldnames or [], cfg)
    rows = []
    for row in reader:
        bad = [k for k, v in row.items() if isinstance(v, str) and _has_surrogates(v)]
        if None in row:  # more cells than header columns
            rows.append(({}, "row has more cells than the header has columns"))
        elif bad:
            rows.append(({}, f"field {bad[0]!r} is not valid UTF-8"))
        else:
            rows.append(({k: v for k, v in row.items() if k is not None}, None))
    return rows


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _jsonl_rows(path: Path, cfg: CatalogConfig) -> list[tuple[dict, str | None]]:
    rows = []
    for line in path.read_bytes().decode("utf-8-sig", errors="surrogateescape").splitlines():
        if not line.strip():
            continue
        if _has_surrogates(line):
            rows.append(({}, "line is not valid UTF-8"))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(({}, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        rows.append((value, None) if isinstance(value, dict) else ({}, "JSON line is not an object"))
    return rows


def _parquet_rows(path: Path, cfg: CatalogConfig) -> list[tuple[dict, str | None]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CatalogError(f"{path}: cannot read Parquet: {exc}") from exc
    return [(row, None) for row in table.to_pylist()]


def _map_columns(row: dict, cfg: CatalogConfig) -> tuple[dict, list[str], list[bytes]]:
    """Rename the input's columns to the contract's names; split off image refs and bytes."""
    names = {
        "product_id": cfg.id_column, "category": cfg.category_column, "title": cfg.title_column,
        "description": cfg.description_column, "language": cfg.language_column, "family_id": cfg.family_column,
        "attributes": cfg.attributes_column,
    }
    record = {key: row[col] for key, col in names.items() if col in row and row[col] not in (None, "")}
    if cfg.attribute_columns:
        attrs = record.get("attributes")
        merged = dict(attrs) if isinstance(attrs, dict) else {}
        for col, attr in cfg.attribute_columns.items():
            if row.get(col) not in (None, "", "NA"):
                merged.setdefault(attr, row[col])
        if merged or "attributes" not in record:
            record["attributes"] = merged if not isinstance(attrs, list) else attrs
    refs = _image_refs(row.get(cfg.images_column))
    raw_bytes = row.get(cfg.image_bytes_column)
    blobs = [raw_bytes] if isinstance(raw_bytes, (bytes, str)) else list(raw_bytes or [])
    if isinstance(row.get(cfg.images_column), (bytes, dict)):
        refs, blobs = [], blobs + [row[cfg.images_column]]
    record["images"] = refs
    return record, refs, blobs


def _image_refs(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except json.JSONDecodeError:
            pass
    return [part.strip() for part in text.replace("|", ";").split(";") if part.strip()]


def _load_images(records: list[tuple[dict, list[str], list]], images_dir: Path) -> list[list[dict]]:
    """Resolve every row's image refs and inline bytes to {ref, bytes, error} blobs."""
    with httpx.Client(timeout=20.0, follow_redirects=True) as client, ThreadPoolExecutor(16) as pool:
        def load_row(item):
            _, refs, inline = item
            blobs = [_inline_blob(i, value) for i, value in enumerate(inline)]
            return blobs + [_load_ref(ref, images_dir, client) for ref in refs]

        return list(pool.map(load_row, records))


def _inline_blob(index: int, value) -> dict:
    if isinstance(value, dict):  # datasets.Image struct {bytes, path}
        value = value.get("bytes")
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except ValueError:
            return {"ref": f"inline:{index}", "bytes": None, "error": "inline image is not bytes or base64"}
    if not isinstance(value, bytes):
        return {"ref": f"inline:{index}", "bytes": None, "error": "inline image is not bytes"}
    return {"ref": f"inline:{index}", "bytes": value, "error": None}


def _load_ref(ref: str, images_dir: Path, client: httpx.Client) -> dict:
    if ref.startswith(("http://", "https://")):
        try:
            response = client.get(ref)
        except httpx.HTTPError as exc:
            return {"ref": ref, "bytes": None, "error": f"cannot fetch image: {exc}"}
        if response.status_code != 200:
            return {"ref": ref, "bytes": None, "error": f"cannot fetch image: HTTP {response.status_code}"}
        return {"ref": ref, "bytes": response.content, "error": None}
    path = Path(ref) if Path(ref).is_absolute() else images_dir / ref
    try:
        if path.stat().st_size > MAX_IMAGE_FILE_BYTES:
            return {"ref": ref, "bytes": None, "error": f"image file over {MAX_IMAGE_FILE_BYTES} bytes"}
        return {"ref": ref, "bytes": path.read_bytes(), "error": None}
    except OSError as exc:
        return {"ref": ref, "bytes": None, "error": f"cannot read image file: {exc.strerror or exc}"}

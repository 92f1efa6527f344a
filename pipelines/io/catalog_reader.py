"""Read a CSV / JSONL / Parquet catalog into `raw_catalog_row` records, loading image bytes.

Nothing is validated here beyond what reading needs: each row keeps its file and row number,
its fields as read (JSON text) and its image bytes or the error that stopped their loading.
The pure ingest stage decides what is good.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.config import CatalogConfig
from pipelines.errors import CatalogError
from pipelines.io import catalog_text, flat_columns, image_source
from pipelines.io.catalog_images import ImageLoader, inline_blob  # noqa: F401  (inline_blob: Beam's reader uses it)
from pipelines.io.image_source import MAX_IMAGE_FILE_BYTES  # noqa: F401  (Beam's reader's cap)

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
PARQUET_READ_ROWS = 4096  # rows per record batch read from a Parquet catalog


def catalog_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CatalogError(f"{path}: unknown catalog format {path.suffix!r}; use .csv, .jsonl or .parquet")
    return fmt


def catalog_fingerprint(path: Path, cfg: CatalogConfig) -> str:
    """Hash of the catalog bytes and the size+mtime_ns of every local image it references.

    Only referenced files count (an output folder next to the catalog must not change it); size and
    mtime_ns, not content, so a rerun costs a stat per image, not a read of every image.
    """
    return catalog_state(path, cfg)[0]


def catalog_state(path: Path, cfg: CatalogConfig) -> tuple[str, bool]:
    """(`catalog_fingerprint`, whether the catalog names image URLs). A URL's bytes can change under
    the same URL, which no local state shows: the runner then loads them again every build and
    fingerprints ingest by what it got (`Step.volatile`)."""
    if path.is_dir():  # the first read of a build: a folder is named with its catalog files, as the readers do
        raise CatalogError(no_catalog_file(path))
    return _state_of(path, cfg, _image_ref_cells(path, cfg))


def _state_of(path: Path, cfg: CatalogConfig, refs: Iterable) -> tuple[str, bool]:
    """`catalog_state` from the catalog's bytes and its rows' image refs (in row order)."""
    with open(path, "rb") as fh:
        h = hashlib.file_digest(fh, "sha256")  # read in chunks: the file is never whole in memory
    policy = image_source.policy_for(_images_dir(path, cfg), cfg)
    seen: set[str] = set()
    urls = False
    for ref in refs:
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            if image_source.is_url(ref):
                urls = True
                continue
            h.update(image_source.local_state(ref, policy).encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()[:16], urls


def _image_ref_cells(path: Path, cfg: CatalogConfig) -> Iterator:
    """Every row's image refs in row order, read as cheaply as the format allows: a Parquet catalog's image
    column alone, a text catalog's rows without building their records (a fingerprint needs no more: the
    full rows of a 400K-row Parquet catalog took 6.3 s before ingest began, its image column 0.1 s). A row
    ingest refuses whole may still name images here: they only add to the fingerprint."""
    if catalog_format(path) == "parquet":
        try:
            parquet = pq.ParquetFile(path)
            if cfg.images_column not in parquet.schema_arrow.names:
                return
            for batch in parquet.iter_batches(PARQUET_READ_ROWS, columns=[cfg.images_column]):
                for _, row, error in table_rows(pa.Table.from_batches([batch])):
                    yield from _row_image_refs(row, error, cfg)
        except (pa.ArrowInvalid, OSError) as exc:
            raise CatalogError(f"{path}: cannot read Parquet: {exc}") from exc
        return
    for _, row, error in _iter_rows(path, cfg):
        yield from _row_image_refs(row, error, cfg)


def _row_image_refs(row: dict, error: str | None, cfg: CatalogConfig) -> list:
    """The image refs `_map_columns` finds in a row (none in an unreadable row or a cell of image bytes)."""
    value = row.get(cfg.images_column)
    if error is not None or isinstance(value, (bytes, dict)):
        return []
    try:
        return _image_refs(value)
    except Exception:  # noqa: BLE001  (as mapped_row: an odd cell is ingest's reject, not the fingerprint's crash)
        return []


def no_catalog_file(path: str | Path) -> str:
    """Why `path` is no catalog file, naming the catalog files of a folder given instead ("use its catalog.csv")."""
    path = Path(path)
    if not path.is_dir():
        return f"catalog file not found: {path}"
    files = sorted(str(f) for f in path.iterdir() if f.is_file() and f.suffix.lower() in FORMATS)
    hint = f"; give one of its catalog files: {', '.join(files[:3])}" if files else "; it holds no .csv, .jsonl or .parquet file"
    return f"--catalog {path} is a folder, not a catalog file{hint}"


def read_catalog(path: str | Path, cfg: CatalogConfig) -> pa.Table:
    """All rows of the catalog as a `raw_catalog_row` table (unreadable rows carry read_error)."""
    return pa.concat_tables(read_catalog_batches(path, cfg, 1 << 62))


def read_catalog_batches(path: str | Path, cfg: CatalogConfig, batch_rows: int) -> Iterator[pa.Table]:
    """`read_catalog` as `raw_catalog_row` tables of at most `batch_rows` rows, read as they are asked
    for: the file is parsed and its images loaded one batch at a time, and the batches together
    are `read_catalog`'s table (a file shared by rows of two batches: bytes in its first blob only)."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(no_catalog_file(path))
    loader = ImageLoader(image_source.policy_for(_images_dir(path, cfg), cfg), cfg.ingest_deadline_s)
    empty = True
    parsed_rows = _iter_rows(path, cfg)
    while parsed := list(itertools.islice(parsed_rows, batch_rows)):
        empty = False
        rows = [(source_row, *mapped_row(row, error, cfg)) for source_row, row, error in parsed]
        blobs = loader.load([(refs, inline) for _, _, refs, inline, _ in rows])
        yield schemas.from_rows([
            {"source_file": str(path), "source_row": source_row, "record_json": record_json, "read_error": error,
             "image_blobs": row_blobs}
            for (source_row, record_json, _, _, error), row_blobs in zip(rows, blobs)
        ], "raw_catalog_row")
    if empty:  # said here, where the file is known; the message ends with it for a quick copy
        raise CatalogError(f"the catalog has no product rows: {path}")


def _parse(path: Path, cfg: CatalogConfig, unmapped: bool = False) -> list[tuple[int, dict, str | None]]:
    if catalog_format(path) == "parquet":
        return _parquet_rows(path, cfg, unmapped)
    return {"csv": catalog_text.csv_rows, "jsonl": catalog_text.jsonl_rows}[catalog_format(path)](path, cfg)


def _iter_rows(path: Path, cfg: CatalogConfig) -> Iterator[tuple[int, dict, str | None]]:
    """`_parse`'s rows (the mapped columns only), read as they are asked for."""
    if catalog_format(path) == "parquet":
        return _iter_parquet_rows(path, cfg)
    return {"csv": catalog_text.iter_csv_rows, "jsonl": catalog_text.iter_jsonl_rows}[catalog_format(path)](path, cfg)


def mapped_row(row: dict, error: str | None, cfg: CatalogConfig) -> tuple[str, list, list, str | None]:
    """(record_json, image refs, inline images, read error) of one parsed row; never raises."""
    if error is None:
        try:
            record, refs, inline = _map_columns(row, cfg)
            record_json = json.dumps(record, ensure_ascii=False, default=_json_default)
            record_json.encode("utf-8")  # a lone surrogate from a JSON "\ud800" escape cannot go to Arrow
            if len(refs) + len(inline) > cfg.max_images_per_row:  # refused before any image is loaded
                return record_json, [], [], (f"field {cfg.images_column!r} lists {len(refs) + len(inline)} images, "
                                             f"over catalog.max_images_per_row ({cfg.max_images_per_row})")
            return record_json, refs, inline, None
        except UnicodeEncodeError:
            error = "row contains text that is not valid Unicode (an unpaired surrogate)"
        except Exception as exc:  # one odd row must be a reject, whatever it trips on
            error = f"cannot read row: {type(exc).__name__}"
    return "{}", [], [], error


def _images_dir(path: Path, cfg: CatalogConfig) -> Path:
    return (path.parent / cfg.images_dir) if cfg.images_dir else path.parent


def _json_default(value):
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _parquet_rows(path: Path, cfg: CatalogConfig, unmapped: bool = False) -> list[tuple[int, dict, str | None]]:
    """With `unmapped`, also the flat text and number columns the mapping does not name (what induce reads)."""
    try:
        names = set(pq.read_schema(path).names)
        columns = [c for c in mapped_columns(cfg) if c in names]
        if unmapped:
            columns += flat_columns.candidate_columns(path, set(mapped_columns(cfg)))
        table = pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CatalogError(f"{path}: cannot read Parquet: {exc}") from exc
    return table_rows(table)


def _iter_parquet_rows(path: Path, cfg: CatalogConfig) -> Iterator[tuple[int, dict, str | None]]:
    """`_parquet_rows` a record batch at a time (row numbers count from the file's first row)."""
    try:
        parquet = pq.ParquetFile(path)
        names = set(parquet.schema_arrow.names)
        batches = parquet.iter_batches(PARQUET_READ_ROWS, columns=[c for c in mapped_columns(cfg) if c in names])
        first = 1
        for batch in batches:
            yield from table_rows(pa.Table.from_batches([batch]), first)
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise CatalogError(f"{path}: cannot read Parquet: {exc}") from exc


def mapped_columns(cfg: CatalogConfig) -> list[str]:
    """The catalog columns the config maps: the only ones a build reads from a Parquet catalog (induce adds
    the flat candidate columns, io/flat_columns.py)."""
    named = [cfg.id_column, cfg.category_column, cfg.title_column, cfg.description_column, cfg.language_column,
             cfg.family_column, cfg.attributes_column, cfg.images_column, cfg.image_bytes_column,
             *cfg.attribute_columns]
    return list(dict.fromkeys(named))


def table_rows(table: pa.Table, first_row: int = 1) -> list[tuple[int, dict, str | None]]:
    """(row number, cells, error) per row of an Arrow table. A value Python cannot hold (a timestamp or
    date out of its range, e.g. year 10000) makes its row an error naming the column, not a crash."""
    columns, errors = {}, {}
    for name in table.column_names:
        columns[name] = _column_values(table.column(name), name, errors)
    return [(first_row + i, {}, errors[i]) if i in errors else (first_row + i, {n: v[i] for n, v in columns.items()}, None)
            for i in range(table.num_rows)]


def _column_values(column: pa.ChunkedArray, name: str, errors: dict[int, str]) -> list:
    try:
        return column.to_pylist()
    except (OverflowError, ValueError, pa.ArrowException):
        pass
    values = []
    for i, scalar in enumerate(column):  # only a column that failed as a whole is converted value by value
        try:
            values.append(scalar.as_py())
        except (OverflowError, ValueError, pa.ArrowException) as exc:
            values.append(None)
            errors.setdefault(i, f"field {name!r} holds a {column.type} value Python cannot represent "
                                 f"({type(exc).__name__}: out of range)")
    return values


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


def _image_refs(value) -> list:
    """Image refs of a cell: a list, a JSON list text, or ";"/"|"-separated text. Non-string items
    stay as they are, so the loader rejects them by type instead of reading str(item) as a path."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [v for v in value if v not in (None, "")]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, list):
            return [v for v in parsed if v not in (None, "")]
    return [part.strip() for part in text.replace("|", ";").split(";") if part.strip()]


def catalog_records(path: str | Path, cfg: CatalogConfig) -> list[dict]:
    """The catalog's rows as contract records (columns mapped, images not loaded), unreadable rows left out:
    what `meritgen vocab induce` reads."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(no_catalog_file(path))
    contract = {cfg.id_column, cfg.category_column, cfg.title_column, cfg.description_column, cfg.language_column,
                cfg.family_column, cfg.images_column, cfg.image_bytes_column, cfg.attributes_column, *cfg.attribute_columns}
    records = []
    for _, row, error in _parse(path, cfg, unmapped=True):
        record_json, _, _, error = mapped_row(row, error, cfg)
        if error is None:
            record = json.loads(record_json)
            # Flat columns the mapping does not name: candidate attributes (catalog.attribute_columns reads them).
            record["columns"] = {k: v for k, v in row.items() if k not in contract and isinstance(k, str)
                                 and isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip()}
            records.append(record)
    for record, columns in zip(records, flat_columns.without_long_texts([r["columns"] for r in records])):
        record["columns"] = columns
    return records

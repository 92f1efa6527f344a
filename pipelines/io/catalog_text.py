"""A CSV or JSONL catalog file's rows as (row number, cells, error), read as they are asked for.

Part of the catalog reader (`catalog_reader.py`): what reading text files needs (encoding, BOM,
line ends, a cell over the csv module's limit, a JSON line that is no object) becomes a row's
error naming the problem, never a crash; a header missing a required column fails once, by name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from pipelines.config import CatalogConfig
from pipelines.errors import CatalogError

csv.field_size_limit(64 * 1024 * 1024)  # a 1 MB title is a bad row to report, not a reader crash


def _check_header(path: Path, header: list[str], cfg: CatalogConfig) -> None:
    """A required column missing from a CSV header fails every row: say so once, by name."""
    required = {"product_id": cfg.id_column, "category": cfg.category_column, "title": cfg.title_column}
    missing = [f"{col!r} (for {field})" for field, col in required.items() if col not in header]
    if missing:
        raise CatalogError(f"{path}: header row lacks required column(s) {', '.join(missing)}; "
                           f"found {header}. Map your column names in the [catalog] config section.")


def csv_rows(path: Path, cfg: CatalogConfig) -> list[tuple[int, dict, str | None]]:
    """(row number, cells, error) per data row; row 1 is the first row under the header."""
    return list(iter_csv_rows(path, cfg))


def iter_csv_rows(path: Path, cfg: CatalogConfig) -> Iterator[tuple[int, dict, str | None]]:
    """`csv_rows`, one row at a time: the file is read as the rows are asked for, never whole."""
    # -sig: tolerate a BOM; surrogateescape: a byte that is not UTF-8 is a row error, not a crash
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            raise CatalogError(f"{path}: cannot parse the CSV header row: {exc}") from None
        _check_header(path, header, cfg)
        for number, row in enumerate(_records(reader), 1):
            yield number, *_csv_row(row, cfg)


def _csv_row(row: dict | csv.Error, cfg: CatalogConfig) -> tuple[dict, str | None]:
    if isinstance(row, csv.Error):
        return {}, f"cannot parse CSV row: {row}"
    bad = [k for k, v in row.items() if isinstance(v, str) and _has_surrogates(v)]
    if None in row:  # more cells than header columns
        return {}, "row has more cells than the header has columns"
    if bad:
        return {}, f"field {bad[0]!r} is not valid UTF-8"
    return _csv_json_attributes({k: v for k, v in row.items() if k is not None}, cfg)


def _records(reader: csv.DictReader):
    """The reader's rows, with a row the csv module cannot parse (a cell over the field size limit)
    yielded as its csv.Error: the reader goes on at the next line, so later rows still count."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _csv_json_attributes(row: dict, cfg: CatalogConfig) -> tuple[dict, str | None]:
    """A CSV cell is text: the attributes column holds a JSON object (or list), parsed here."""
    text = row.get(cfg.attributes_column)
    if not isinstance(text, str) or not text.strip():
        return row, None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}, f"field {cfg.attributes_column!r} is not valid JSON"
    if not isinstance(value, (dict, list)):
        return {}, f"field {cfg.attributes_column!r} must be a JSON object, got {type(value).__name__}"
    return {**row, cfg.attributes_column: value}, None


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def jsonl_rows(path: Path, cfg: CatalogConfig) -> list[tuple[int, dict, str | None]]:
    """(line number, object, error) per non-blank line.

    Lines end at "\\n" only: str.splitlines() would also split at U+2028, U+2029 and U+0085, which
    are legal inside JSON strings. Blank lines are skipped but counted, so numbers match an editor's.
    """
    return list(iter_jsonl_rows(path, cfg))


def iter_jsonl_rows(path: Path, cfg: CatalogConfig) -> Iterator[tuple[int, dict, str | None]]:
    """`jsonl_rows`, one line at a time (a binary file's lines end at b"\\n" only)."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a BOM, as utf-8-sig would drop it
            line = raw.decode("utf-8", errors="surrogateescape").removesuffix("\n").removesuffix("\r")
            if line.strip(" \t"):
                yield number, *_jsonl_value(line)


def _jsonl_value(line: str) -> tuple[dict, str | None]:
    if _has_surrogates(line):
        return {}, "line is not valid UTF-8"
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"invalid JSON: {exc.msg} at column {exc.colno}"
    except (ValueError, RecursionError) as exc:  # an int of 5000 digits, nesting past the parser's depth
        return {}, f"invalid JSON: {type(exc).__name__}"
    return (value, None) if isinstance(value, dict) else ({}, "JSON line is not an object")

"""The predictions file of `meritgen eval` (contract: schemas/v1/predictions.json).

One row per query: `query_id` (string) and `product_ids` (list, best first), as JSON Lines
(`.jsonl`, `.ndjson`, `.json`) or Parquet (`.parquet`). Blank lines are skipped, other fields are
ignored, integer product ids are read as their decimal text. A query id given twice keeps its
first row (the others are counted). Anything else is a `PredictionsError` naming the file, the
line (or Parquet row) and the field.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.errors import PredictionsError

SCHEMA = schemas.schema("predictions")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet",)


def read_predictions(path: Path) -> tuple[dict[str, list[str]], Counter]:
    """(query id -> ranked product ids, counters `prediction_rows`, `duplicate_query_rows`)."""
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        rows = _parquet_rows(path)
        where = "row"
    elif path.suffix.lower() in JSON_SUFFIXES:
        rows = _json_rows(path)
        where = "line"
    else:
        raise PredictionsError(f"{path}: unknown predictions format {path.suffix!r}; "
                               f"use JSON Lines ({', '.join(JSON_SUFFIXES)}) or Parquet (.parquet)")
    rankings: dict[str, list[str]] = {}
    counts: Counter = Counter()
    for number, row in rows:
        query_id, product_ids = _checked(row, f"{path} {where} {number}")
        counts["prediction_rows"] += 1
        if query_id in rankings:
            counts["duplicate_query_rows"] += 1
            continue
        rankings[query_id] = product_ids
    return rankings, counts


def _json_rows(path: Path) -> Iterable[tuple[int, object]]:
    with open(path, "rb") as f:  # decoded line by line, so that bad bytes are reported with their line
        for number, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise PredictionsError(f"{path} line {number}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise PredictionsError(f"{path} line {number}: not JSON ({exc.msg} at column {exc.colno})") from None


def _parquet_rows(path: Path) -> Iterable[tuple[int, object]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise PredictionsError(f"{path}: not a readable Parquet file ({' '.join(str(exc).split())})") from None
    missing = [name for name in SCHEMA.names if name not in table.column_names]
    if missing:
        raise PredictionsError(f"{path}: no column {missing[0]!r} (columns: {', '.join(table.column_names) or 'none'})")
    columns = [table.column(name).to_pylist() for name in SCHEMA.names]
    yield from enumerate(({"query_id": q, "product_ids": p} for q, p in zip(*columns, strict=True)), 1)


def _checked(row: object, where: str) -> tuple[str, list[str]]:
    if not isinstance(row, dict):
        raise PredictionsError(f"{where}: expected an object with query_id and product_ids, got {type(row).__name__}")
    query_id = row.get("query_id")
    if not isinstance(query_id, str) or not query_id.strip():
        raise PredictionsError(f"{where}, field query_id: expected a non-empty string, got {_shown(query_id)}")
    product_ids = row.get("product_ids")
    if not isinstance(product_ids, list):
        raise PredictionsError(f"{where}, field product_ids: expected a list of product ids, got {_shown(product_ids)}")
    ids = []
    for i, pid in enumerate(product_ids):
        if isinstance(pid, bool) or not isinstance(pid, (str, int)) or (isinstance(pid, str) and not pid.strip()):
            raise PredictionsError(f"{where}, field product_ids[{i}]: expected a product id (string), got {_shown(pid)}")
        ids.append(str(pid).strip())
    return query_id.strip(), ids


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def write_predictions(path: Path, rankings: Iterable[tuple[str, Sequence[str]]]) -> Path:
    """Write rankings as JSON Lines (atomically: a temp file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for query_id, product_ids in rankings:
            f.write(json.dumps({"query_id": query_id, "product_ids": list(product_ids)}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path

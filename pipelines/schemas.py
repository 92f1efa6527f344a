"""Arrow schemas generated from the versioned contracts in `schemas/v<N>/*.json`.

A contract file lists fields with a small type language: a primitive name ("string", "int64",
"binary", ...), {"list": T} or {"struct": [fields]}. Stages declare which contract they read
and write; `conform` checks a table against it at the stage boundary.
"""

from __future__ import annotations

import json
from functools import cache

import pyarrow as pa

from pipelines.errors import SchemaError
from pipelines.resources import SCHEMAS_DIR

SCHEMA_VERSION = 1

_PRIMITIVES = {
    "string": pa.string(),
    "binary": pa.binary(),
    "int8": pa.int8(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
}


def _arrow_type(spec) -> pa.DataType:
    if isinstance(spec, str):
        return _PRIMITIVES[spec]
    if "list" in spec:
        return pa.list_(_arrow_type(spec["list"]))
    if "struct" in spec:
        return pa.struct([_arrow_field(f) for f in spec["struct"]])
    raise SchemaError(f"unknown type spec {spec!r}")


def _arrow_field(spec: dict) -> pa.Field:
    return pa.field(spec["name"], _arrow_type(spec["type"]), nullable=spec.get("nullable", True))


def contract(name: str, version: int = SCHEMA_VERSION) -> dict:
    """The raw contract document `schemas/v<version>/<name>.json`."""
    path = SCHEMAS_DIR / f"v{version}" / f"{name}.json"
    if not path.exists():
        raise SchemaError(f"no schema contract {path}")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def schema(name: str, version: int = SCHEMA_VERSION) -> pa.Schema:
    """The Arrow schema of contract `name`, with the contract id in its metadata."""
    doc = contract(name, version)
    fields = [_arrow_field(f) for f in doc["fields"]]
    return pa.schema(fields, metadata={"meritgen.schema": f"{name}/v{version}"})


def schemas_of(*names: str) -> tuple[pa.Schema, ...]:
    """The Arrow schemas of several contracts, in order: a stage's output schemas in one line."""
    return tuple(schema(name) for name in names)


def empty(name: str) -> pa.Table:
    return schema(name).empty_table()


def conform(table: pa.Table, name: str) -> pa.Table:
    """Cast `table` to contract `name`, or raise SchemaError naming the offending column."""
    target = schema(name)
    missing = [f.name for f in target if f.name not in table.column_names]
    extra = [c for c in table.column_names if c not in target.names]
    if missing or extra:
        raise SchemaError(f"table does not match {name}/v{SCHEMA_VERSION}: missing {missing}, unexpected {extra}")
    table = table.select(target.names)
    for field in target:
        if not field.nullable and table.column(field.name).null_count:
            raise SchemaError(f"{name}/v{SCHEMA_VERSION}: column {field.name!r} has nulls but is required")
    try:
        table = table.cast(target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError) as exc:
        raise SchemaError(f"table does not match {name}/v{SCHEMA_VERSION}: {exc}") from exc
    return table


def from_rows(rows: list[dict], name: str) -> pa.Table:
    """Build a contract-conforming table from python rows (unit tests and small stages)."""
    return conform(pa.Table.from_pylist(rows, schema=schema(name)), name)

"""OUT/config.toml of `meritgen vocab induce`: the vocabulary folder and the catalog mapping the build needs.

`meritgen build --catalog FILE --config OUT/config.toml` then reads the flat columns the proposal
uses (`catalog.attribute_columns`) and whatever column mapping the induce run was given."""

from __future__ import annotations

import dataclasses
import json

from pipelines.config import CatalogConfig


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"


def config_toml(catalog: CatalogConfig, columns: dict[str, str], catalog_path: str) -> str:
    """The config text: [mine] vocabulary = this folder, [catalog] as given plus the proposal's columns."""
    defaults = CatalogConfig()
    mapping = {**catalog.attribute_columns, **columns}
    lines = ["# Written by `meritgen vocab induce`. Build with:",
             f"#   meritgen build --catalog {catalog_path} --config <this file>",
             "[mine]", 'vocabulary = "./"  # this folder: vocabulary.json, lexicon/, templates/', "[catalog]"]
    for f in dataclasses.fields(CatalogConfig):
        value = mapping if f.name == "attribute_columns" else getattr(catalog, f.name)
        if value != getattr(defaults, f.name):
            lines.append(f"{f.name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"

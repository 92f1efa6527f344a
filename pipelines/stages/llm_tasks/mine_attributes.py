"""The `mine_attributes` task: a VLM reads each product's photos and title for the category's
vocabulary attributes; its facts are added where fields and titles gave none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pipelines import schemas
from pipelines.llm.parsers import (
    DEFAULT_MAX_VALUE_CHARS,
    DEFAULT_MIN_SCORE,
    UNKNOWN_VALUE,
    Parsed,
    load_json_object,
    norm,
    normalise_value,
    reject,
)
from pipelines.llm.prompts import TaskPrompt
from pipelines.llm.task import LLMTask
from pipelines.stages.llm_tasks.options import value_schema
from pipelines.stages.value_lists import ListedValue, listed_among


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: options ({attribute: forms}); "unknown" answers are dropped, not rejected."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    options, min_score = row["options"], row.get("min_score", DEFAULT_MIN_SCORE)
    facts = []
    for attribute, raw in doc.items():
        if attribute not in options:
            return reject("unknown_attribute", f"attribute {attribute!r} is not one of {sorted(options)}")
        if raw is None or (isinstance(raw, str) and norm(raw) in ("", UNKNOWN_VALUE)):
            continue
        listed = _listed(options[attribute], raw, row.get("also_meets", {}).get(attribute, {}))
        if listed is not None and listed.value is None:
            continue  # several values no one value means ("Boys, Girls"): unknown, as mine reads such a field
        found = (listed.value, 100.0) if listed else normalise_value(options[attribute], raw, min_score)
        if found is None:
            return reject(
                "value_not_in_vocabulary", f"{attribute}={raw!r} matches no vocabulary value (min score {min_score})"
            )
        limit = row.get("max_value_chars", DEFAULT_MAX_VALUE_CHARS)  # ingest's rule for catalog values
        if len(found[0]) > limit:
            return reject("field_too_long", f"{attribute} has a value of {len(found[0])} characters, over {limit}")
        facts.append({"attribute": attribute, "value": found[0], "evidence": str(raw), "score": found[1]})
    return Parsed({"attributes": facts})


def _listed(forms: Mapping[str, str] | None, raw: Any, also_meets: Mapping[str, list[str]]) -> ListedValue | None:
    """An answer listing several values ("Men, Women": a model without guided decoding may write one), read as
    mine reads a field (stages/value_lists.py): the value meaning all of them, or none; never its first part."""
    if forms is None or not isinstance(raw, str):
        return None
    return listed_among(raw, {norm(f): v for f, v in forms.items()}, also_meets, norm)


def schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict:
    """{attribute: allowed value or "unknown"} for every attribute in row["options"]."""
    options = row["options"]
    props = {a: value_schema(f, (UNKNOWN_VALUE,)) for a, f in options.items()}
    return {"type": "object", "properties": props, "required": list(options), "additionalProperties": False}


TASK = LLMTask("mine_attributes", 1, parse, schema)


def rows(products: pa.Table, images: pa.Table, options_of, max_value_chars: int = 512,
         also_meets: Mapping[str, Mapping[str, list[str]]] | None = None) -> list[dict]:
    """One row per product: title, category, its image bytes, the category's vocabulary options, and
    the longest open value (brand) accepted, ingest's `max_attribute_chars`, and the vocabulary's
    `also_meets` ({attribute: {value: values it meets}}, read by parse for listed answers); the last two
    are not in the prompt."""
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    out = []
    for p in products.select(["product_id", "category", "title", "image_ids"]).to_pylist():
        out.append({"record_id": p["product_id"], "title": p["title"], "category": p["category"],
                    "images": [image_bytes[i] for i in p["image_ids"][:2]], "options": options_of(p["category"]),
                    "max_value_chars": max_value_chars, "also_meets": also_meets or {}})
    return out


def apply(attributes: pa.Table, products: pa.Table, parsed: list[dict]) -> pa.Table:
    """Add VLM facts for attributes fields and titles did not give (those stay authoritative)."""
    have = {(p, a) for p, a in zip(attributes.column("product_id").to_pylist(), attributes.column("attribute").to_pylist())}
    category = dict(zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()))
    table_rows = attributes.to_pylist()
    for answer in parsed:
        pid = answer["record_id"]
        for fact in answer["value"]["attributes"]:
            if (pid, fact["attribute"]) not in have:
                table_rows.append({"product_id": pid, "category": category[pid], "attribute": fact["attribute"],
                                   "value": fact["value"], "source": "llm", "evidence": fact["evidence"],
                                   "score": fact["score"]})
    return schemas.from_rows(sorted(table_rows, key=lambda r: (r["product_id"], r["attribute"])), "attribute")

"""The `rewrite` task: each English template query made fluent by the text model, its
text-carried condition values kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pipelines import schemas
from pipelines.llm.parsers import Parsed, check_language, check_text, clean_text, norm, reject
from pipelines.llm.task import LLMTask
from pipelines.stages.llm_tasks.llm_text import by_record_id, set_llm_text


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: text (template English), condition_values (each must survive the rewrite)."""
    out = clean_text(text)
    failed = check_text(row["text"], out)
    if failed:
        return failed
    lost = [v for v in row["condition_values"] if norm(v) not in norm(out)]
    if lost:
        return reject("condition_lost", f"condition values missing from the rewrite: {', '.join(lost)}")
    return check_language(out, "en") or Parsed({"text": out})


# The answer carries the query's placeholders (checked against the source by `parse`).
TASK = LLMTask("rewrite", 2, parse, placeholders=True)


def rows(queries: pa.Table, surfaces: dict[str, dict[str, str]]) -> list[dict]:
    """English rows: the template text and the text-carried condition values it states."""
    out = []
    for q in queries.select(["query_id", "language", "text", "conditions"]).to_pylist():
        if q["language"] != "en":
            continue
        said = q["text"].lower()
        values = []
        for c in q["conditions"]:
            if c["carried_by"] != "text":
                continue
            forms = [surfaces.get(c["attribute"], {}).get(c["value"], c["value"]), c["value"]]
            stated = next((f for f in forms if f.lower() in said), None)  # phrases may paraphrase a value away
            if stated:
                values.append(stated)
        out.append({"record_id": q["query_id"], "text": q["text"], "condition_values": values})
    return out


def apply(queries: pa.Table, parsed: list[dict]) -> pa.Table:
    """New English text (and segments); every language row's source_text_en follows it."""
    found = by_record_id(parsed)
    table_rows = queries.to_pylist()
    new_source = {}
    for q in table_rows:
        answer = found.get(q["query_id"])
        if answer:
            set_llm_text(q, answer["value"]["text"], q["images"], answer["prompt_id"])
            new_source[q["base_query_id"]] = q["text"]
    for q in table_rows:
        if q["base_query_id"] in new_source:
            q["source_text_en"] = new_source[q["base_query_id"]]
    return schemas.from_rows(table_rows, "query")

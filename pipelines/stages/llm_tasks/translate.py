"""The `translate` task: each non-English query's English source, translated by the text model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pipelines import schemas
from pipelines.llm.parsers import Parsed, check_language, check_text, clean_text
from pipelines.llm.task import LLMTask
from pipelines.stages.llm_tasks.llm_text import by_record_id, set_llm_text


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: text (English, with <image_k>), target_language."""
    out = clean_text(text)
    failed = check_text(row["text"], out) or check_language(out, row["target_language"])
    return failed or Parsed({"text": out, "language": row["target_language"]})


# The answer carries the query's placeholders (checked against the source by `parse`).
TASK = LLMTask("translate", 2, parse, placeholders=True)


def rows(queries: pa.Table, languages: tuple[str, ...]) -> list[dict]:
    """One row per non-English query: its English source text and the target language."""
    return [{"record_id": q["query_id"], "text": q["source_text_en"], "target_language": q["language"]}
            for q in queries.select(["query_id", "language", "source_text_en"]).to_pylist()
            if q["language"] in languages and q["language"] != "en"]


def apply(queries: pa.Table, parsed: list[dict]) -> pa.Table:
    """Replace a row's template translation by the model's; rows without an answer keep theirs.

    The model translated the English source, so its `<image_k>` numbers the ENGLISH row's images;
    a language's template may order them differently, so the row takes the English image list
    (then renumbered in reading order). Without its English row in the table, a row keeps its
    template text rather than guess which image each placeholder meant.
    """
    found = by_record_id(parsed)
    table_rows = queries.to_pylist()
    english_images = {q["base_query_id"]: q["images"] for q in table_rows if q["language"] == "en"}
    for q in table_rows:
        answer = found.get(q["query_id"])
        if answer and q["base_query_id"] in english_images:
            set_llm_text(q, answer["value"]["text"], english_images[q["base_query_id"]], answer["prompt_id"])
    return schemas.from_rows(table_rows, "query")

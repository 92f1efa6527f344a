"""The `personalize` task (MERIT's personalisation): a VLM names one visible value that singles a
plan's target out of its positives. Which plans are asked and what an answer changes are the
personalize stage's (`stages/personalize.py`: testability, unverified share); the prompt, answer
schema and parser are here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.llm.parsers import DEFAULT_MIN_SCORE, Parsed, load_json_object, normalise_value, reject
from pipelines.llm.prompts import TaskPrompt
from pipelines.llm.task import LLMTask
from pipelines.stages.llm_tasks.options import value_schema
from pipelines.stages.personalize import apply_personalization as apply  # noqa: F401  (the fold-back)
from pipelines.stages.personalize import personalize_rows as rows  # noqa: F401  (the request rows)


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Answer: {"attribute", "value"}, both checked against row["options"]."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    attribute, options = doc.get("attribute"), row["options"]
    if attribute not in options:
        return reject("unknown_attribute", f"attribute {attribute!r} is not one of {sorted(options)}")
    found = normalise_value(options[attribute], doc.get("value"), row.get("min_score", DEFAULT_MIN_SCORE))
    if found is None:
        return reject("value_not_in_vocabulary", f"{attribute}={doc.get('value')!r} matches no vocabulary value")
    return Parsed({"attribute": attribute, "value": found[0], "score": found[1]})


def schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict:
    """{attribute, value}, with the value enum tied to the attribute."""
    choices = [
        {
            "type": "object",
            "properties": {"attribute": {"type": "string", "enum": [a]}, "value": value_schema(f)},
            "required": ["attribute", "value"],
            "additionalProperties": False,
        }
        for a, f in row["options"].items()
    ]
    return {"anyOf": choices}


TASK = LLMTask("personalize", 1, parse, schema)

"""What the text tasks (rewrite, translate) share when they fold an answer back: the model's text
given to a query row, its `<image_k>` renumbered in reading order, the prompt named in provenance."""

from __future__ import annotations

from pipelines.text.placeholders import in_reading_order, segments_of


def by_record_id(parsed: list[dict]) -> dict[str, dict]:
    return {p["record_id"]: p for p in parsed}


def _with_prompt(provenance: dict, prompt_id: str) -> dict:
    ids = list(provenance["prompt_ids"])
    return {**provenance, "prompt_ids": ids if prompt_id in ids else ids + [prompt_id]}


def set_llm_text(q: dict, text: str, images: list[dict], prompt_id: str) -> None:
    """Give row `q` the model's text, whose `<image_k>` is `images[k-1]`, renumbered in reading order."""
    q["text"], q["images"] = in_reading_order(text, images)
    q["segments"] = segments_of(q["text"], [i["image_id"] for i in q["images"]])
    q["provenance"] = _with_prompt(q["provenance"], prompt_id)

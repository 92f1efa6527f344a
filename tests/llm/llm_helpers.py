"""Helpers shared by the LLM tests: quick settings and a scripted Malay 'translator'."""

from __future__ import annotations

import re

from pipelines.llm.client import LLMSettings
from pipelines.stages.llm_tasks.options import vocabulary_options
from pipelines.vocab.vocabulary import load_vocabulary
from tests.fake_openai import FakeOpenAI, user_text

JPEG = b"\xff\xd8\xff\xe0fake-jpeg"
PNG = b"\x89PNG\r\n\x1a\nfake-png"
SRC = "I want a bag in the colour of <image_1> with the pattern of <image_2>."  # an English query, two images


def shoe_options() -> dict:
    """The shipped vocabulary's options for shoes: closed colour/material/closure, open brand."""
    return vocabulary_options(load_vocabulary(), "shoes", ["color", "material", "closure", "brand"])


# Malay answers for the English test queries: "kasut" and "mahu" make them unmistakably Malay.
_MALAY = "Saya mahu kasut dalam warna {images} nombor {number}"


def settings_for(server: FakeOpenAI | str, **overrides) -> LLMSettings:
    """Settings pointing at `server` (or its base URL), with backoff short enough for tests."""
    url = server if isinstance(server, str) else server.base_url
    base = dict(
        base_url=url,
        model="test-model",
        max_in_flight=8,
        timeout_s=5.0,
        max_retries=2,
        backoff_base_s=0.001,
        backoff_cap_s=0.01,
    )
    return LLMSettings(**{**base, **overrides})


def translation_rows(n: int, language: str = "ms") -> list[dict]:
    """n distinct English queries with one or two placeholders."""
    return [
        {
            "record_id": f"q{i}",
            "text": f"I want shoes in the colour of <image_1> and <image_2>, number {i}.",
            "target_language": language,
        }
        for i in range(n)
    ]


def malay_translator(request: dict) -> str:
    """A responder that 'translates' the test queries into Malay, keeping their placeholders."""
    text = user_text(request).splitlines()[-1]
    images = " dan ".join(re.findall(r"<image_\d+>", text))
    number = re.findall(r"number (\d+)", text)
    return _MALAY.format(images=images, number=number[0] if number else 0)

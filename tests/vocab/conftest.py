"""The lexicon tests' shared inputs: the vocabulary, lexicons and templates of the version the test
module names (its `VERSION`, `VOCABULARY` and `LANGUAGES`), read once per module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def prompt_file(kind: str, version: str, lang: str) -> dict:
    return json.loads((PROMPTS / kind / version / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vocabulary(request) -> dict:
    return json.loads((PROMPTS / "vocabulary" / f"{request.module.VOCABULARY}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lexicons(request) -> dict[str, dict]:
    return {lang: prompt_file("lexicon", request.module.VERSION, lang) for lang in request.module.LANGUAGES}


@pytest.fixture(scope="module")
def templates(request) -> dict[str, dict]:
    return {lang: prompt_file("templates", request.module.VERSION, lang) for lang in request.module.LANGUAGES}

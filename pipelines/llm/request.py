"""A fully rendered chat request, the value every LLM module shares: prompts build it, `wire.py`
writes it, `cache.py` keys it and `client.py` sends it (its own module, so none of them imports
another to name it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChatRequest:
    """A fully rendered chat request; `image_hashes[k]` is the sha256 of the k-th image part."""

    messages: tuple[dict, ...]
    sampling: Mapping[str, Any] = field(default_factory=dict)  # temperature, max_tokens, seed...
    json_schema: Mapping[str, Any] | None = None
    schema_name: str = "answer"
    prompt_id: str = ""
    prompt_version: int = 0
    image_hashes: tuple[str, ...] = ()

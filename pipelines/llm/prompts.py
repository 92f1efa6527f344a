"""Versioned LLM prompts: render a row into chat messages (pure); each task's parser and per-row
schema live in its module (`pipelines/stages/llm_tasks/`, `llm/task.py`).

A prompt is `prompts/llm/<task>/v<N>.jinja2` plus `v<N>.json` metadata (task, version,
description, sampling, json_schema, optional constants). The template holds one Jinja block
per chat message, named by its role (`{% block system %}`, `{% block user %}`), in message
order; images are placed with `{{ image(data) }}`, and every template has a `strict` flag,
used for the one retry after an answer failed to parse (with `previous_error` and
`previous_reason` set).

Catalog text can never become structure: roles come from the block names, never from
rendered text, and every `{{ value }}` is written through `_finalize`, which drops NUL
characters, so the NUL-delimited image marks that `image()` emits are the only ones a
rendering can contain.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from pipelines.errors import MeritgenError
from pipelines.llm.request import ChatRequest
from pipelines.llm.wire import image_part
from pipelines.resources import PROMPTS_DIR

LLM_PROMPTS_DIR = PROMPTS_DIR / "llm"
ROLES = ("system", "user", "assistant")
_IMAGE_MARK = re.compile(r"\x00img(\d+)\x00")


class PromptError(MeritgenError):
    """A prompt file is missing or its metadata does not match its file name."""


@dataclass(frozen=True)
class TaskPrompt:
    """One loaded prompt version; `strict` selects the template's stricter wording."""

    task: str
    version: int
    source: str = field(repr=False)
    meta: Mapping[str, Any] = field(repr=False, compare=False)
    strict: bool = False

    @property
    def prompt_id(self) -> str:
        return f"{self.task}/v{self.version}" + ("+strict" if self.strict else "")

    @property
    def digest(self) -> str:
        """Hash of template and metadata, for provenance (the cache key hashes the rendering)."""
        text = self.source + json.dumps(self.meta, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def as_strict(self) -> TaskPrompt:
        return replace(self, strict=True)


def load_prompt(task: str, version: int | None = None, root: Path = LLM_PROMPTS_DIR) -> TaskPrompt:
    """Read `<root>/<task>/v<version>.jinja2` and `.json`; the highest version when None."""
    folder = root / task
    versions = sorted(int(p.stem[1:]) for p in folder.glob("v*.json") if p.stem[1:].isdigit())
    if not versions:
        raise PromptError(f"no prompt for task {task!r} under {folder}")
    version = versions[-1] if version is None else version
    template, meta_path = folder / f"v{version}.jinja2", folder / f"v{version}.json"
    if not template.exists() or not meta_path.exists():
        raise PromptError(f"prompt {task}/v{version} needs both {template.name} and {meta_path.name} in {folder}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("task") != task or meta.get("version") != version:
        raise PromptError(
            f"{meta_path} says task={meta.get('task')!r} version={meta.get('version')!r}, expected {task!r} {version}"
        )
    return TaskPrompt(task, version, template.read_text(encoding="utf-8"), meta)


class _Image(int):
    """What `image(data)` returns inside a template: the index of an image part."""


def _finalize(value: Any) -> str:
    """Every `{{ expression }}` goes through here: images become marks, NULs leave data."""
    if isinstance(value, _Image):
        return f"\x00img{int(value)}\x00"
    return str(value).replace("\x00", "")


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
                             finalize=_finalize)
    return env.from_string(source)


def message_roles(prompt: TaskPrompt) -> tuple[str, ...]:
    """The roles of the template's messages, in order (its block names)."""
    roles = tuple(_compiled(prompt.source).blocks)
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise PromptError(f"prompt {prompt.prompt_id} must consist of blocks named {ROLES}, found {list(roles)}")
    return roles


def _render(prompt: TaskPrompt, row: Mapping[str, Any]) -> tuple[list[dict], tuple[str, ...]]:
    """Messages and the sha256 of each image part, in order."""
    images: list[bytes] = []

    def image(data: bytes) -> _Image:
        images.append(data)
        return _Image(len(images) - 1)

    template = _compiled(prompt.source)
    context = {**prompt.meta.get("constants", {}), **row, "strict": prompt.strict, "image": image}
    bodies = [(role, "".join(template.blocks[role](template.new_context(context)))) for role in message_roles(prompt)]
    parts = [image_part(data) for data in images]
    messages = [{"role": role, "content": _content(body, parts)} for role, body in bodies]
    return messages, tuple(h for _, h in parts)


def _content(body: str, parts: list[tuple[dict, str]]) -> str | list[dict]:
    """A plain string, or text and image parts when the message holds images."""
    pieces = _IMAGE_MARK.split(body.strip())
    if len(pieces) == 1:
        return pieces[0]
    content = []
    for i, piece in enumerate(pieces):
        if i % 2:
            content.append(parts[int(piece)][0])
        elif piece.strip():
            content.append({"type": "text", "text": piece.strip()})
    return content


def render_messages(prompt: TaskPrompt, row: Mapping[str, Any]) -> list[dict]:
    """The chat messages for one row (images as data-URI parts)."""
    return _render(prompt, row)[0]


def build_request(prompt: TaskPrompt, row: Mapping[str, Any],
                  schema: Callable[[TaskPrompt, Mapping[str, Any]], dict | None] | None = None) -> ChatRequest:
    """The complete request for one row: messages, sampling, schema, prompt id and image hashes.

    `schema` builds the row's JSON schema (a task's, `LLMTask.schema`); None: the metadata's own."""
    messages, hashes = _render(prompt, row)
    sampling = prompt.meta.get("strict_sampling" if prompt.strict else "sampling") or prompt.meta.get("sampling", {})
    json_schema = (schema or static_schema)(prompt, row)
    return ChatRequest(tuple(messages), dict(sampling), json_schema, prompt.task, prompt.prompt_id, prompt.version,
                       hashes)


def static_schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict | None:
    """The prompt metadata's `json_schema`; "per_row" (or none) gives None: the task builds it."""
    schema = prompt.meta.get("json_schema")
    return schema if isinstance(schema, dict) else None

"""Versioned LLM prompts: render a row into chat messages, parse an answer back (both pure).

A prompt is `prompts/llm/<task>/v<N>.jinja2` plus `v<N>.json` metadata (task, version,
description, sampling, json_schema). The template marks messages with `<<system>>` /
`<<user>>` lines and places images with `{{ image(data) }}`; every template has a `strict`
flag, used for the one retry after an answer failed to parse. A parser returns
`Parsed(value, reason, message)`: value is None when the answer is rejected, reason is then a
reject reason code and message says what was wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from rapidfuzz import fuzz, process

from pipelines.errors import MeritgenError
from pipelines.langid import detect_language, is_language
from pipelines.llm.client import ChatRequest, image_part
from pipelines.resources import PROMPTS_DIR

LLM_PROMPTS_DIR = PROMPTS_DIR / "llm"
DEFAULT_MIN_SCORE = 88.0  # rapidfuzz ratio needed to map a model's value onto the vocabulary
UNKNOWN_VALUE = "unknown"  # what the model answers for an attribute the images do not show
_ROLE_LINE = re.compile(r"^<<(system|user|assistant)>>[ \t]*$", re.MULTILINE)
_IMAGE_MARK = re.compile(r"\x00img(\d+)\x00")
_PLACEHOLDER = re.compile(r"<image_\d+>")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_QUOTES = ('""', "''", "“”", "«»")


class PromptError(MeritgenError):
    """A prompt file is missing or its metadata does not match its file name."""


class Parsed(NamedTuple):
    value: dict | None
    reason: str = ""
    message: str = ""


def _reject(reason: str, message: str) -> Parsed:
    return Parsed(None, reason, message)


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


@lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    return env.from_string(source)


def _render(prompt: TaskPrompt, row: Mapping[str, Any]) -> tuple[list[dict], tuple[str, ...]]:
    """Messages and the sha256 of each image part, in order."""
    images: list[bytes] = []

    def image(data: bytes) -> str:
        images.append(data)
        return f"\x00img{len(images) - 1}\x00"

    text = _compiled(prompt.source).render({**row, "strict": prompt.strict, "image": image})
    parts = [image_part(data) for data in images]
    chunks = _ROLE_LINE.split(text)
    messages = [{"role": role, "content": _content(body, parts)} for role, body in zip(chunks[1::2], chunks[2::2])]
    if not messages:
        raise PromptError(f"prompt {prompt.prompt_id} rendered no <<system>>/<<user>> message")
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


def build_request(prompt: TaskPrompt, row: Mapping[str, Any]) -> ChatRequest:
    """The complete request for one row: messages, sampling, schema, prompt id and image hashes."""
    messages, hashes = _render(prompt, row)
    sampling = prompt.meta.get("strict_sampling" if prompt.strict else "sampling") or prompt.meta.get("sampling", {})
    schema = (TASKS[prompt.task].schema if prompt.task in TASKS else _static_schema)(prompt, row)
    return ChatRequest(tuple(messages), dict(sampling), schema, prompt.task, prompt.prompt_id, prompt.version, hashes)


# ---- schemas -------------------------------------------------------------------------------


def _static_schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict | None:
    schema = prompt.meta.get("json_schema")
    return schema if isinstance(schema, dict) else None  # "per_row" is built by the task


def _value_schema(forms: Mapping[str, str] | None, extra: tuple[str, ...] = ()) -> dict:
    if forms is None:  # open attribute (brand): any string
        return {"type": "string"}
    return {"type": "string", "enum": sorted(set(forms.values())) + list(extra)}


def attributes_schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict:
    """{attribute: allowed value or "unknown"} for every attribute in row["options"]."""
    options = row["options"]
    props = {a: _value_schema(f, (UNKNOWN_VALUE,)) for a, f in options.items()}
    return {"type": "object", "properties": props, "required": list(options), "additionalProperties": False}


def personalize_schema(prompt: TaskPrompt, row: Mapping[str, Any]) -> dict:
    """{attribute, value}, with the value enum tied to the attribute."""
    choices = [
        {
            "type": "object",
            "properties": {"attribute": {"type": "string", "enum": [a]}, "value": _value_schema(f)},
            "required": ["attribute", "value"],
            "additionalProperties": False,
        }
        for a, f in row["options"].items()
    ]
    return {"anyOf": choices}


def vocabulary_options(
    vocab: Any, category: str, attributes: list[str] | None = None
) -> dict[str, dict[str, str] | None]:
    """{attribute: {surface form: canonical value}} (None for open attributes) for a category.

    `vocab` is a `pipelines.vocabulary.Vocabulary`; rows carry this plain mapping so that
    schemas and parsers stay pure and need no vocabulary object.
    """
    names = attributes if attributes is not None else vocab.attributes_for(category)
    return {a: None if vocab.is_open(a) else dict(vocab.surface_forms(category, a)) for a in names}


# ---- parsing helpers ----------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Answer text without surrounding whitespace, code fences or one pair of quotes."""
    out = _FENCE.sub("", text.strip()).strip()
    if len(out) >= 2 and any(out[0] == q[0] and out[-1] == q[1] for q in _QUOTES):
        out = out[1:-1].strip()
    return out


def check_placeholders(source: str, output: str) -> Parsed | None:
    """A rejection unless every `<image_k>` of source appears exactly once and no other."""
    want = set(_PLACEHOLDER.findall(source))
    got = _PLACEHOLDER.findall(output)
    lost = sorted(want - set(got))
    if lost:
        return _reject("placeholder_lost", f"placeholders missing from the output: {', '.join(lost)}")
    extra = sorted(set(got) - want)
    if extra:
        return _reject("placeholder_extra", f"placeholders not in the source: {', '.join(extra)}")
    twice = sorted({p for p in got if got.count(p) > 1})
    if twice:
        return _reject("placeholder_duplicated", f"placeholders repeated: {', '.join(twice)}")
    return None


def _check_text(source: str, output: str) -> Parsed | None:
    if not output:
        return _reject("empty_output", "the model returned no text")
    limit = 3 * len(source) + 40  # human translations of NTREX stay under 3x the English length
    if len(output) > limit:
        return _reject("runaway_output", f"output has {len(output)} characters, over the limit {limit}")
    return check_placeholders(source, output)


def _check_language(text: str, code: str) -> Parsed | None:
    if is_language(text, code):
        return None
    found, confidence = detect_language(text)
    return _reject("wrong_language", f"expected {code}, detected {found} ({confidence:.2f})")


def load_json_object(text: str) -> dict | Parsed:
    """The JSON object in an answer (code fences and chatter around the braces tolerated)."""
    body = clean_text(text)
    start, end = body.find("{"), body.rfind("}")
    try:
        doc = json.loads(body[start : end + 1] if 0 <= start < end else body)
    except ValueError as exc:
        return _reject("invalid_json", f"answer is not valid JSON: {exc}")
    if not isinstance(doc, dict):
        return _reject("invalid_json", f"answer is JSON {type(doc).__name__}, not an object")
    return doc


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.lower()).split())


def normalise_value(forms: Mapping[str, str] | None, raw: Any, min_score: float) -> tuple[str, float] | None:
    """Canonical vocabulary value for a raw answer value, with its similarity score."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    if forms is None:
        return raw.strip(), 100.0
    key = _norm(raw)
    by_norm = {_norm(f): v for f, v in forms.items()}
    if key in by_norm:
        return by_norm[key], 100.0
    match = process.extractOne(key, list(by_norm), scorer=fuzz.ratio, score_cutoff=min_score)
    return None if match is None else (by_norm[match[0]], float(match[1]))


# ---- parsers, one per task ----------------------------------------------------------------


def parse_translate(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: text (English, with <image_k>), target_language."""
    out = clean_text(text)
    failed = _check_text(row["text"], out) or _check_language(out, row["target_language"])
    return failed or Parsed({"text": out, "language": row["target_language"]})


def parse_rewrite(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: text (template English), condition_values (each must survive the rewrite)."""
    out = clean_text(text)
    failed = _check_text(row["text"], out)
    if failed:
        return failed
    lost = [v for v in row["condition_values"] if _norm(v) not in _norm(out)]
    if lost:
        return _reject("condition_lost", f"condition values missing from the rewrite: {', '.join(lost)}")
    return _check_language(out, "en") or Parsed({"text": out})


def parse_mine_attributes(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: options ({attribute: forms}); "unknown" answers are dropped, not rejected."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    options, min_score = row["options"], row.get("min_score", DEFAULT_MIN_SCORE)
    facts = []
    for attribute, raw in doc.items():
        if attribute not in options:
            return _reject("unknown_attribute", f"attribute {attribute!r} is not one of {sorted(options)}")
        if raw is None or (isinstance(raw, str) and _norm(raw) in ("", UNKNOWN_VALUE)):
            continue
        found = normalise_value(options[attribute], raw, min_score)
        if found is None:
            return _reject(
                "value_not_in_vocabulary", f"{attribute}={raw!r} matches no vocabulary value (min score {min_score})"
            )
        facts.append({"attribute": attribute, "value": found[0], "evidence": str(raw), "score": found[1]})
    return Parsed({"attributes": facts})


def parse_judge(text: str, row: Mapping[str, Any]) -> Parsed:
    """Answer: {"verdict": "yes"|"no", "reason": str}."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    verdict = str(doc.get("verdict", "")).strip(" .!").lower()
    if verdict not in ("yes", "no"):
        return _reject("invalid_verdict", f"verdict must be yes or no, got {doc.get('verdict')!r}")
    return Parsed({"verdict": verdict, "reason": str(doc.get("reason") or "")})


def parse_personalize(text: str, row: Mapping[str, Any]) -> Parsed:
    """Answer: {"attribute", "value"}, both checked against row["options"]."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    attribute, options = doc.get("attribute"), row["options"]
    if attribute not in options:
        return _reject("unknown_attribute", f"attribute {attribute!r} is not one of {sorted(options)}")
    found = normalise_value(options[attribute], doc.get("value"), row.get("min_score", DEFAULT_MIN_SCORE))
    if found is None:
        return _reject("value_not_in_vocabulary", f"{attribute}={doc.get('value')!r} matches no vocabulary value")
    return Parsed({"attribute": attribute, "value": found[0], "score": found[1]})


@dataclass(frozen=True)
class TaskSpec:
    parse: Callable[[str, Mapping[str, Any]], Parsed]
    schema: Callable[[TaskPrompt, Mapping[str, Any]], dict | None] = _static_schema


TASKS: dict[str, TaskSpec] = {
    "translate": TaskSpec(parse_translate),
    "rewrite": TaskSpec(parse_rewrite),
    "mine_attributes": TaskSpec(parse_mine_attributes, attributes_schema),
    "judge": TaskSpec(parse_judge),
    "personalize": TaskSpec(parse_personalize, personalize_schema),
}

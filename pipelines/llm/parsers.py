"""What every task's parser of LLM answers uses (pure): `Parsed`, and the checks and readings
they share (text, placeholders, language, JSON objects, vocabulary values). Each task's own parser
is in its module (`pipelines/stages/llm_tasks/<task>.py`).

A parser returns `Parsed(value, reason, message)`: value is None when the answer is rejected,
reason is then a reject reason code and message says what was wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from pipelines.langid.identify import detect_language, is_language
from pipelines.text.placeholders import compare_placeholders

DEFAULT_MIN_SCORE = 88.0  # rapidfuzz ratio needed to map a model's value onto the vocabulary
UNKNOWN_VALUE = "unknown"  # what the model answers for an attribute the images do not show
DEFAULT_MAX_VALUE_CHARS = 512  # ingest.max_attribute_chars's default: an open value goes verbatim into queries
WRONG_LANGUAGE = "wrong_language"  # the reason a wrong-variety answer is rejected with
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_QUOTES = ('""', "''", "“”", "«»")


class Parsed(NamedTuple):
    value: dict | None
    reason: str = ""
    message: str = ""


def reject(reason: str, message: str) -> Parsed:
    return Parsed(None, reason, message)


# ---- parsing helpers ----------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Answer text without surrounding whitespace, code fences or one pair of quotes."""
    out = _FENCE.sub("", text.strip()).strip()
    if len(out) >= 2 and any(out[0] == q[0] and out[-1] == q[1] for q in _QUOTES):
        out = out[1:-1].strip()
    return out


def check_placeholders(source: str, output: str) -> Parsed | None:
    """A rejection unless every `<image_k>` of source appears exactly once and no other."""
    diff = compare_placeholders(source, output)  # order is free: a translation may move a placeholder
    if diff.missing:
        return reject("placeholder_lost", f"placeholders missing from the output: {', '.join(diff.missing)}")
    if diff.extra:
        return reject("placeholder_extra", f"placeholders not in the source: {', '.join(diff.extra)}")
    if diff.repeated:
        return reject("placeholder_duplicated", f"placeholders repeated: {', '.join(diff.repeated)}")
    return None


def check_text(source: str, output: str) -> Parsed | None:
    if not output:
        return reject("empty_output", "the model returned no text")
    limit = 3 * len(source) + 40  # human translations of NTREX stay under 3x the English length
    if len(output) > limit:
        return reject("runaway_output", f"output has {len(output)} characters, over the limit {limit}")
    return check_placeholders(source, output)


def check_language(text: str, code: str) -> Parsed | None:
    if is_language(text, code):
        return None
    found, confidence = detect_language(text)
    return reject(WRONG_LANGUAGE, f"expected {code}, detected {found} ({confidence:.2f})")


def load_json_object(text: str) -> dict | Parsed:
    """The JSON object in an answer (code fences and chatter around the braces tolerated)."""
    body = clean_text(text)
    start, end = body.find("{"), body.rfind("}")
    try:
        doc = json.loads(body[start : end + 1] if 0 <= start < end else body)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        return reject("invalid_json", f"answer is not valid JSON: {exc}")
    if not isinstance(doc, dict):
        return reject("invalid_json", f"answer is JSON {type(doc).__name__}, not an object")
    return doc


def norm(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.lower()).split())


def normalise_value(forms: Mapping[str, str] | None, raw: Any, min_score: float) -> tuple[str, float] | None:
    """Canonical vocabulary value for a raw answer value, with its similarity score."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    if forms is None:
        return raw.strip(), 100.0
    key = norm(raw)
    by_norm = {norm(f): v for f, v in forms.items()}
    if key in by_norm:
        return by_norm[key], 100.0
    match = process.extractOne(key, list(by_norm), scorer=fuzz.ratio, score_cutoff=min_score)
    return None if match is None else (by_norm[match[0]], float(match[1]))

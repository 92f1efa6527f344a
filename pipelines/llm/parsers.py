"""Parsers of LLM answers, one per task (pure): answer text + request row -> `Parsed`.

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


def _reject(reason: str, message: str) -> Parsed:
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
        return _reject("placeholder_lost", f"placeholders missing from the output: {', '.join(diff.missing)}")
    if diff.extra:
        return _reject("placeholder_extra", f"placeholders not in the source: {', '.join(diff.extra)}")
    if diff.repeated:
        return _reject("placeholder_duplicated", f"placeholders repeated: {', '.join(diff.repeated)}")
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
    return _reject(WRONG_LANGUAGE, f"expected {code}, detected {found} ({confidence:.2f})")


def load_json_object(text: str) -> dict | Parsed:
    """The JSON object in an answer (code fences and chatter around the braces tolerated)."""
    body = clean_text(text)
    start, end = body.find("{"), body.rfind("}")
    try:
        doc = json.loads(body[start : end + 1] if 0 <= start < end else body)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
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
        limit = row.get("max_value_chars", DEFAULT_MAX_VALUE_CHARS)  # ingest's rule for catalog values
        if len(found[0]) > limit:
            return _reject("field_too_long", f"{attribute} has a value of {len(found[0])} characters, over {limit}")
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

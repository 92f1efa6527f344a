"""Language identification for the five meritgen languages (en, ms, id, vi, th).

langdetect has no Malay, so this uses lingua restricted to the five languages: restricting
the candidate set is what makes short shopping queries reliable. lingua confuses Malay and
Indonesian on about one sentence in seven, so when its best guess is one of the two, the pair's
share is split again by `pipelines.langid.msid` (word-frequency evidence, marker words, lingua's
own odds and word/word-pair terms in a logistic model fitted on NTREX-128 training documents and
short TALPCo training sentences).
`<image_k>` placeholders are removed first (they are not language), and names (capitalised
words inside a sentence, all-capital words) take no part in the Malay/Indonesian split.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.langid.languages import LANGUAGES, LINGUA_NAMES
from pipelines.langid.msid import load_model, malay_probability
from pipelines.text.placeholders import without_placeholders

LANGUAGE_CODES = LANGUAGES
UNDETERMINED = "und"

_WORD = re.compile(r"[^\W\d_]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Among the five languages only Thai uses Thai script, so a Thai query full of Latin brand
# and place names is still Thai; lingua alone calls such mixed text English.
_THAI_SCRIPT_SHARE = 0.3
_PAIR = ("ms", "id")


@lru_cache(maxsize=1)
def _detector():
    """Build the lingua detector once per process (its models load lazily on first use)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = tuple(getattr(Language, LINGUA_NAMES[code]) for code in LANGUAGES)
    return LanguageDetectorBuilder.from_languages(*languages).build()


def strip_placeholders(text: str) -> str:
    """Text without `<image_k>` placeholders, spaces collapsed."""
    return " ".join(without_placeholders(text).split())


def _split_malay_indonesian(scores: dict[str, float], clean: str) -> dict[str, float]:
    """Share the pair's total confidence between ms and id by the Malay/Indonesian model."""
    mass = scores.get("ms", 0.0) + scores.get("id", 0.0)
    p_malay = malay_probability(clean, scores)
    return {**scores, "ms": mass * p_malay, "id": mass * (1.0 - p_malay)}


def _scores(text: str) -> tuple[dict[str, float], bool]:
    """Confidences per language, and whether lingua's best guess was Malay or Indonesian."""
    clean = strip_placeholders(text)
    letters = sum(len(w) for w in _WORD.findall(clean))
    if not letters:
        return {}, False
    if len(_THAI.findall(clean)) / letters >= _THAI_SCRIPT_SHARE:
        return {"th": 1.0}, False
    values = _detector().compute_language_confidence_values(clean)
    scores = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}
    if max(scores, key=scores.__getitem__) not in _PAIR:
        return scores, False
    return _split_malay_indonesian(scores, clean), True


def language_confidences(text: str) -> dict[str, float]:
    """Confidence (0..1, summing to 1) for each of en/ms/id/vi/th; empty when no letters."""
    return _scores(text)[0]


def _detect(scores: dict[str, float], pair_won: bool) -> tuple[str, float]:
    if not scores:
        return UNDETERMINED, 0.0
    code = max(_PAIR if pair_won else scores, key=scores.__getitem__)
    return code, scores[code]


def _accepted(scores: dict[str, float], pair_won: bool) -> frozenset[str]:
    if not scores:
        return frozenset()
    if not pair_won:
        return frozenset({max(scores, key=scores.__getitem__)})
    pair = scores["ms"] + scores["id"]
    floor = 0.5 - load_model()["margin"]
    return frozenset(code for code in _PAIR if pair > 0.0 and scores[code] / pair >= floor)


def detect_language(text: str) -> tuple[str, float]:
    """The most likely of en/ms/id/vi/th and its confidence; ("und", 0.0) without letters.

    When lingua's best guess is Malay or Indonesian the answer stays in the pair (splitting
    the pair's confidence must not hand the text to English)."""
    return _detect(*_scores(text))


def is_language(text: str, code: str) -> bool:
    """Whether `text` reads as language `code`.

    For Malay and Indonesian, lingua's best guess must be one of the pair and the requested
    variety must hold at least (0.5 - margin) of the pair's confidence, the margin being the
    model's calibrated one: a Malay text returned for Indonesian (or the reverse) fails.
    """
    return code in _accepted(*_scores(text))


def language_verdict(text: str) -> tuple[tuple[str, float], frozenset[str]]:
    """`detect_language(text)` and every code `is_language(text, code)` accepts, from one
    detector call (what `pipelines.langid.evaluation.language_check_figures` uses)."""
    scores, pair_won = _scores(text)
    return _detect(scores, pair_won), _accepted(scores, pair_won)

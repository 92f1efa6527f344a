"""Measuring the language check: acceptance/confusion figures and the NTREX held-out split.

`language_check_figures` is pure (texts in, numbers out) so that the data card can show the
figures for a build's own texts. The NTREX and TALPCo helpers are shared by the accuracy test,
the benchmark (`benchmarks/langid_eval.py`) and the training tool (`tools/train_langid.py`), so
that all three agree on which sentences are held out.
"""

from __future__ import annotations

import json
import random
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines.langid.identify import LANGUAGE_CODES, UNDETERMINED, language_verdict
from pipelines.langid.languages import NTREX_COLUMNS

NTREX_FILE = "ntrex128_dev_en_ms_id_vi_th.tsv"
TALPCO_FILE = "talpco-dev.jsonl"
SPAN_MIN_WORDS, SPAN_MAX_WORDS = 5, 15


def language_check_figures(
    samples: Iterable[tuple[str, str]],
    languages: tuple[str, ...] = LANGUAGE_CODES,
    verdict: Callable[[str], tuple[tuple[str, float], frozenset[str]]] = language_verdict,
) -> dict:
    """Acceptance and confusion figures of the language check over (text, true language) pairs.

    `accepted[true][lang]` is the share of texts of language `true` that `is_language(text,
    lang)` lets through as `lang` (rows need not sum to 1: a text may pass as several languages
    or none); `predicted[true][lang]` is the share that `detect_language` names as `lang`
    (plus "und"). `own_acceptance` is the diagonal of `accepted`; `cross_acceptance` is the
    worst off-diagonal entry per true language. `verdict` (default: the shipped checker's
    `language_verdict`, one detector call per text) can be swapped to measure another checker.
    """
    texts = defaultdict(list)
    for text, lang in samples:
        texts[lang].append(text)
    accepted, predicted, counts = {}, {}, {}
    for true, group in sorted(texts.items()):
        counts[true] = len(group)
        verdicts = [verdict(t) for t in group]
        accepted[true] = {lang: sum(lang in ok for _, ok in verdicts) / len(group) for lang in languages}
        found = [code for (code, _), _ in verdicts]
        predicted[true] = {lang: found.count(lang) / len(group) for lang in (*languages, UNDETERMINED)}
    return {
        "counts": counts,
        "accepted": accepted,
        "predicted": predicted,
        "own_acceptance": {t: row.get(t, 0.0) for t, row in accepted.items()},
        "cross_acceptance": {t: max((v for k, v in row.items() if k != t), default=0.0) for t, row in accepted.items()},
    }


def read_ntrex(folder: Path) -> list[dict[str, str]]:
    """NTREX rows as dicts (tab-separated with no quoting: split on tabs only)."""
    lines = (Path(folder) / NTREX_FILE).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def is_held_out(doc_id: str) -> bool:
    """Whole documents go to one side (no topic leaks across): a fixed hash of the id, half each."""
    return zlib.crc32(doc_id.encode("utf-8")) % 2 == 1


def ntrex_samples(rows: list[dict[str, str]], held_out: bool) -> list[tuple[str, str]]:
    """(sentence, language) for every language column of the held-out (or training) documents."""
    return [(row[column], lang) for row in rows if is_held_out(row["doc_id"]) == held_out
            for lang, column in NTREX_COLUMNS.items()]


def word_spans(text: str, seed: str) -> list[str]:
    """Consecutive 5-15-word pieces of `text`, lengths drawn from a generator seeded by `seed`.

    Thai is written without spaces, so a Thai sentence yields its space-separated chunks
    grouped the same way (fewer, longer pieces); a tail under 5 words is dropped.
    """
    rng = random.Random(zlib.crc32(seed.encode("utf-8")))
    words, spans, start = text.split(), [], 0
    while len(words) - start >= SPAN_MIN_WORDS:
        size = rng.randint(SPAN_MIN_WORDS, SPAN_MAX_WORDS)
        spans.append(" ".join(words[start : start + size]))
        start += size
    return spans


def span_samples(samples: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every sentence cut into 5-15-word spans, each keeping its sentence's language."""
    return [(span, lang) for i, (text, lang) in enumerate(samples) for span in word_spans(text, f"{lang}:{i}")]


def read_talpco(folder: Path) -> list[dict]:
    """TALPCo rows: {"n": sentence number, "en", "ms", "id", "vi", "th": the five versions}."""
    lines = (Path(folder) / TALPCO_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def is_talpco_held_out(number: int) -> bool:
    """A fixed hash of the sentence number, a third held out (the training tool never reads them)."""
    return zlib.crc32(f"talpco:{number}".encode()) % 3 == 0


def talpco_samples(rows: list[dict], held_out: bool, languages: tuple[str, ...] = ("ms", "id"),
                   differing_only: bool = True) -> list[tuple[str, str]]:
    """(sentence, language) of the held-out (or training) sentences; with `differing_only`,
    only those whose Malay and Indonesian differ (the minimal pairs of the two standards)."""
    return [(row[lang], lang) for row in rows if is_talpco_held_out(row["n"]) == held_out
            and (not differing_only or row["ms"] != row["id"]) for lang in languages]

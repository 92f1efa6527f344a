"""The words that name a value, per language, so render can refuse a text naming what an image carries (#23).

A query whose text says "black" while <image_1> is there to show black makes the picture
redundant. Words naming a value: the render lexicon's value words, type nouns and `synonyms`,
and for English the vocabulary's value names and synonyms (a `by_gender` noun is a broad word
for one gender, ms "baju" for a men's top, so it names no value).
A word counts only where no longer value word covers it (Vietnamese "kim", an analogue dial,
inside "dây kim loại", a metal strap). The text-carried value of an open attribute (a brand) is a
name and is left out first. `meritgen audit` checks the same rule with its own reading of the
resource files (pipelines/audit/image_words.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UNSPACED = ("th",)  # written without spaces between words: words are found as substrings


@dataclass(frozen=True)
class ValueWords:
    """language -> ((word, attribute, value), ...), longest word first."""

    words: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    open_attributes: frozenset[str] = frozenset()
    by_value: dict[str, dict[tuple[str, str], tuple[str, ...]]] = field(default_factory=dict)  # lang -> value -> words

    def named_image_values(self, language: str, text: str, conditions: list[dict]) -> dict[str, str]:
        """`attribute=value` -> the word naming it, for each image-carried value the text names."""
        carried = {(c["attribute"], c["value"]) for c in conditions if c["carried_by"] == "image"}
        if not carried or language not in self.words:
            return {}
        text = text.casefold()
        for c in conditions:
            if c["carried_by"] == "text" and c["attribute"] in self.open_attributes and c["value"]:
                text = text.replace(str(c["value"]).casefold(), " ")
        unspaced = language in UNSPACED
        own = self.by_value[language]
        if not any(_finditer(word, text, unspaced) for pair in carried for word in own.get(pair, ())):
            return {}  # the common case: no word of a carried value at all
        spans = [(m.start(), m.end(), word, attr, value) for word, attr, value in self.words[language]
                 for m in _finditer(word, text, unspaced)]
        kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                            for o in spans)]
        return {f"{attr}={value}": word for _, _, word, attr, value in kept if (attr, value) in carried}


def _finditer(word: str, text: str, unspaced: bool) -> list[re.Match]:
    if word not in text:
        return []
    pattern = re.escape(word) if unspaced else rf"(?<!\w){re.escape(word)}(?!\w)"
    return list(re.finditer(pattern, text))


def value_words(lexicons: dict[str, dict], vocabulary: dict) -> ValueWords:
    """ValueWords from each language's render lexicon and the vocabulary (English names and synonyms)."""
    words: dict[str, set[tuple[str, str, str]]] = {}
    for language, lexicon in lexicons.items():
        found = words.setdefault(language, set())
        for attr, table in lexicon.get("values", {}).items():
            found.update((w, attr, v) for v, w in table.items())
        nouns = lexicon.get("nouns", {})
        found.update((n["head"], "type", v) for v, n in nouns.get("type", {}).items())
        for attr, table in lexicon.get("synonyms", {}).items():
            found.update((w, attr, v) for v, ws in table.items() for w in ws)
    if "en" in words:
        for attr, spec in vocabulary.get("attributes", {}).items():
            if not spec.get("open"):
                words["en"].update((w, attr, v) for v, syn in spec.get("values", {}).items() for w in [v, *syn])
        for spec in vocabulary.get("categories", {}).values():
            words["en"].update((w, "type", v) for v, syn in spec.get("types", {}).items() for w in [v, *syn])
    ordered = {lang: tuple(sorted({(w.strip().casefold(), a, v) for w, a, v in found if w and w.strip()},
                                  key=lambda x: (-len(x[0]), x))) for lang, found in words.items()}
    opened = frozenset(a for a, spec in vocabulary.get("attributes", {}).items() if spec.get("open"))
    by_value: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {}
    for lang, entries in ordered.items():
        for word, attr, value in entries:
            by_value.setdefault(lang, {}).setdefault((attr, value), ())
            by_value[lang][(attr, value)] += (word,)
    return ValueWords(ordered, opened, by_value)

"""Audit check: no query text names a value that one of its images carries (#23).

When the text says "black" and <image_1> is there to show the colour black, the picture is
redundant and the query no longer tests what it claims to. A row fails when its text holds a
surface form of one of its image-carried values, in the row's language: a word or synonym of that
value in any version of the offline lexicons (`prompts/lexicon/<v>/<lang>.json`: `values`, the
type nouns and optional `synonyms`; a `by_gender` noun is a broad word for one gender) and, for
English, the vocabulary's value names and synonyms.

Words are matched whole (Thai, written without spaces, by substring), leftmost-longest over the
forms of every value, so a longer form owns its words: Vietnamese "kim" (an analogue dial) inside
"dây kim loại" (a metal strap) names the strap, not the dial. The text-carried value of an open
attribute (a brand) is a name, not a description, and is masked first ("U.S. Polo Assn." does not
name a polo collar). Reads only resource files, never the stages it checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from pipelines.audit.checks import Check
from pipelines.resources import PROMPTS_DIR

NAME = "no_image_value_in_text"
DEFAULT_VOCABULARY = "v1"  # config mine.vocabulary's default: what in-memory audits (tests, tools) read
UNSPACED = {"th"}  # languages written without spaces between words: forms match as substrings


def lexicon_forms(lexicon: dict) -> dict[str, set[tuple[str, str]]]:
    """form (casefolded) -> the (attribute, value) pairs it names, from one language's lexicon file."""
    forms: dict[str, set[tuple[str, str]]] = {}

    def add(word: str, attribute: str, value: str) -> None:
        if word and word.strip():
            forms.setdefault(word.strip().casefold(), set()).add((attribute, value))

    for attribute, table in lexicon.get("values", {}).items():
        for value, word in table.items():
            add(word, attribute, value)
    nouns = lexicon.get("nouns", {})
    for value, noun in nouns.get("type", {}).items():
        add(noun.get("head", ""), "type", value)
    for attribute, table in lexicon.get("synonyms", {}).items():
        for value, words in table.items():
            for word in words:
                add(word, attribute, value)
    return forms


def vocabulary_forms(vocabulary: dict) -> dict[str, set[tuple[str, str]]]:
    """English forms from the vocabulary: every closed value's name and synonyms, every type's name and synonyms."""
    forms: dict[str, set[tuple[str, str]]] = {}
    pairs = [(name, value, [value, *synonyms]) for name, spec in vocabulary.get("attributes", {}).items()
             if not spec.get("open") for value, synonyms in spec.get("values", {}).items()]
    pairs += [("type", value, [value, *synonyms]) for spec in vocabulary.get("categories", {}).values()
              for value, synonyms in spec.get("types", {}).items()]
    for attribute, value, words in pairs:
        for word in words:
            forms.setdefault(word.casefold(), set()).add((attribute, value))
    return forms


@dataclass
class Namer:
    """The values a text names in one language (leftmost-longest whole-form matches)."""

    language: str
    forms: dict[str, set[tuple[str, str]]]
    pattern: re.Pattern = field(init=False)
    forms_of: dict[tuple[str, str], list[str]] = field(init=False)  # (attribute, value) -> the forms naming it

    def __post_init__(self) -> None:
        self.forms_of = {}
        for form, pairs in sorted(self.forms.items()):
            for pair in pairs:
                self.forms_of.setdefault(pair, []).append(form)
        alternatives = "|".join(re.escape(f) for f in sorted(self.forms, key=lambda f: (-len(f), f)))
        if self.language in UNSPACED:
            self.pattern = re.compile(f"(?:{alternatives})")
        else:
            self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

    def may_name(self, text: str, pairs) -> bool:
        """Whether a form of one of `pairs` occurs in `text` at all, as a substring: when none does, `named`
        finds none of them (every match is a substring), and the costly leftmost-longest match is skipped."""
        folded = text.casefold()
        return any(form in folded for pair in pairs for form in self.forms_of.get(pair, ()))

    def named(self, text: str) -> dict[tuple[str, str], str]:
        """(attribute, value) -> the form naming it in `text`."""
        out: dict[tuple[str, str], str] = {}
        for match in self.pattern.finditer(text.casefold()):
            for pair in self.forms[match.group(0)]:
                out.setdefault(pair, match.group(0))
        return out


def namers(vocabulary: dict, lexicon_root: Path = PROMPTS_DIR / "lexicon") -> dict[str, Namer]:
    """One Namer per language found under lexicon_root (every version's words), English with the vocabulary's."""
    merged: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for path in sorted(lexicon_root.glob("v*/*.json")):
        lexicon = json.loads(path.read_text(encoding="utf-8"))
        language = lexicon.get("language", path.stem)
        for form, pairs in lexicon_forms(lexicon).items():
            merged.setdefault(language, {}).setdefault(form, set()).update(pairs)
    for form, pairs in vocabulary_forms(vocabulary).items():
        merged.setdefault("en", {}).setdefault(form, set()).update(pairs)
    return {language: Namer(language, forms) for language, forms in merged.items() if forms}


@lru_cache(maxsize=4096)
def _name_pattern(value: str) -> re.Pattern:
    """A text-carried open value (a brand) as a case-blind literal: compiled once per value, where re's own
    cache (512 patterns) is smaller than a catalog's brands."""
    return re.compile(re.escape(value), flags=re.IGNORECASE)


def open_attributes(vocabulary: dict) -> set[str]:
    return {name for name, spec in vocabulary.get("attributes", {}).items() if spec.get("open")}


def image_value_failure(text: str, language: str, conditions: list[dict], namer: Namer | None,
                        open_attrs: set[str]) -> dict | None:
    """The image-carried values the text names (with the words naming them), or None."""
    if namer is None or not text:
        return None
    carried = {(c["attribute"], c["value"]) for c in conditions or [] if c["carried_by"] == "image"}
    if not carried:
        return None
    for c in conditions:
        if c["carried_by"] == "text" and c["attribute"] in open_attrs and c["value"]:
            text = _name_pattern(c["value"]).sub(" ", text)  # a brand is a name
    if not namer.may_name(text, carried):  # the common case: the text uses no word of an image's value
        return None
    named = {f"{a}={v}": word for (a, v), word in namer.named(text).items() if (a, v) in carried}
    return {"language": language, "named": named} if named else None


class ImageWordsCheck:
    """Feeds query batches (query_id, language, text, conditions) through `image_value_failure`."""

    def __init__(self, vocabulary: dict, lexicon_root: Path = PROMPTS_DIR / "lexicon") -> None:
        self.namers = namers(vocabulary, lexicon_root)
        self.open_attrs = open_attributes(vocabulary)
        self.check = Check(NAME, "no text names a value one of its images carries (lexicon words and synonyms "
                                 "in the row's language)")

    def add(self, batch: pa.Table) -> None:
        if "language" not in batch.schema.names:
            self.check.skipped = "queries carry no language column"
            return
        columns = zip(*(batch.column(c).to_pylist() for c in ("query_id", "language", "text", "conditions")))
        for query_id, language, text, conditions in columns:
            self.check.checked += 1
            failure = image_value_failure(text, language, conditions, self.namers.get(language), self.open_attrs)
            if failure:
                self.check.fail({"query_id": query_id, **failure})


def default_image_words() -> ImageWordsCheck:
    path = PROMPTS_DIR / "vocabulary" / f"{DEFAULT_VOCABULARY}.json"
    return ImageWordsCheck(json.loads(path.read_text(encoding="utf-8")))

"""The `translate_lexicon` task of `meritgen vocab induce`: one lexicon entry of an induced vocabulary
translated. Its request rows and their fold-back into a lexicon are the induced lexicon's
(`induce/lexicon.py`: `translation_rows`, `translated_lexicon`); its parser is here.

The language check, fitted to entries of one to a few words (language ID is unreliable on one or
two): an answer that copies the English entry is refused unless the model calls it a loanword, a
phrase of three or more words that language ID reads as English likewise; Thai must be in Thai script."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipelines.langid.identify import detect_language
from pipelines.llm.parsers import WRONG_LANGUAGE, Parsed, clean_text, load_json_object
from pipelines.llm.task import LLMTask

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_STRUCTURE = re.compile(r"[<>{}\[\]|]")


def _still_english(out: str, source: str) -> bool:
    """The English entry copied (all its words, any case), or a phrase of 3+ words language ID reads as English.
    Shorter answers are not sent to language ID: one or two words ("saiz XL") are too few for it."""
    words = out.casefold().split()
    if set(words) <= set(source.casefold().split()):
        return True
    return len(words) >= 3 and detect_language(out)[0] == "en"


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Row: text (English entry), target_language. Answer: {"translation": str, "loanword": bool}."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    out, loanword = clean_text(str(doc.get("translation") or "")), doc.get("loanword") is True
    source, lang = row["text"], row["target_language"]
    if not out:
        return Parsed(None, "empty_output", "the model returned no translation")
    if len(out) > 3 * len(source) + 20 or _STRUCTURE.search(out) or "\n" in out:
        return Parsed(None, "runaway_output", f"{out[:60]!r} is not a short vocabulary entry")
    if not loanword and _still_english(out, source):
        return Parsed(None, WRONG_LANGUAGE, f"{out!r} is still English; translate it into {lang} or mark it a loanword")
    if lang == "th" and not loanword and not _THAI.search(out):
        return Parsed(None, WRONG_LANGUAGE, f"{out!r} is not in Thai script")
    return Parsed({"translation": out, "loanword": loanword})


TASK = LLMTask("translate_lexicon", 1, parse)

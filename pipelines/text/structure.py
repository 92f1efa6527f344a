"""Catalog text that must not pass as structure: image placeholders and chat-role markers.

Queries mark images with `<image_k>` and prompt templates mark messages with `<<system>>`-style
lines, so a catalog value carrying such text could add a placeholder to a query (a count that no
longer matches its images, or an index past them) or forge a message in an LLM request.

Such values are rejected at ingest, not escaped. Escaping would need an encoding that every
consumer (render, LLM prompts and their checks, exported text, readers of the dataset) undoes
the same way, and a look-alike character is still read as a placeholder by a language model;
real product text almost never holds these tokens, and the reject row names the field to fix.

Matching is deliberately wide: case and spaces inside the brackets do not matter, any
`<image...>` / `<product...>` token counts (`<image>`, `< IMAGE 3 >`, `<Product 1>`, `</image>`),
and text is NFKC-normalised with invisible format characters removed first, so full-width
brackets or a zero-width space inside the word do not slip through. HTML character references
are decoded too (`&lt;image_1&gt;`, `&#60;|im_start|&#62;`, also double-encoded), and angle-bracket
look-alikes that NFKC keeps (`‹ › 〈 〉 ⟨ ⟩`, arrowheads) count as `<` `>`: catalogs scraped from web
pages carry such text, and a language model reads it as the token it spells.
"""

from __future__ import annotations

import functools
import html
import re
import sys
import unicodedata

from pipelines.text.controls import first_control

PLACEHOLDER_LIKE = re.compile(r"<\s*[/|]?\s*(?:image|product)[^<>]{0,64}>", re.IGNORECASE)
ROLE_MARKER_LIKE = re.compile(
    r"<<\s*/?\s*(?:system|user|assistant|developer|tool|sys|inst)\s*>>"  # meritgen templates, Llama-2 <<SYS>>
    r"|<\|[^<>|]{1,40}\|>"  # ChatML / Llama-3 special tokens: <|im_start|>, <|eot_id|>
    r"|\[\s*/?\s*INST\s*\]"  # Llama-2 / Mistral [INST]
    r"|<\s*/?\s*(?:start|end)_of_turn\b[^<>]{0,40}>"  # Gemma
    # Gemma <bos> <eos>, lower case only. Not Llama-2/Mistral <s> </s>: HTML strikethrough
    # ("<s>Rs. 999</s> Rs. 799") is common in scraped descriptions, and rejecting such products
    # would lose real rows for a token that only those older models have (Qwen has none).
    r"|(?-i:<\s*/?\s*(?:bos|eos)\s*>)"
    r"|\[\s*/?\s*(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS|TOOL_CONTENT)\s*\]",  # Mistral v3+
    re.IGNORECASE,
)
# Angle brackets that NFKC leaves alone but that read as "<" / ">": guillemets, CJK and math angle
# brackets, modifier-letter and Canadian-syllabics arrowheads.
_BRACKET_LOOK_ALIKES = str.maketrans({**dict.fromkeys("\u2039\u3008\u27e8\u2329\u02c2\u1438\u276e\u29fc", "<"),
                                      **dict.fromkeys("\u203a\u3009\u27e9\u232a\u02c3\u1433\u276f\u29fd", ">")})
_LOOK_ALIKE = re.compile("[" + "".join(map(chr, _BRACKET_LOOK_ALIKES)) + "]")
_MAX_UNESCAPES = 3  # "&amp;lt;" is "<" after two rounds; a bound keeps "&amp;amp;amp;..." cheap


def _canonical(text: str) -> str:
    for _ in range(_MAX_UNESCAPES):
        if "&" not in text:
            break
        text = html.unescape(text)
    folded = unicodedata.normalize("NFKC", text)
    if _LOOK_ALIKE.search(folded):  # str.translate looks up every character: only when one is there
        folded = folded.translate(_BRACKET_LOOK_ALIKES)
    return _format_characters().sub("", folded)


@functools.cache
def _format_characters() -> re.Pattern:
    """Every format character (category Cf: zero-width joiners, bidi controls, soft hyphen...): one regex
    instead of a category lookup per character (every Thai or Vietnamese text passes here)."""
    codes = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    runs: list[list[int]] = []
    for c in codes:  # as ranges: a class of single astral characters is matched one by one, slowly
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in runs) + "]")


def structural_text(text: str) -> tuple[str, str] | None:
    """(reason, the matched token) when text holds placeholder- or role-marker-like markup."""
    if text.isascii() and "<" not in text and "[" not in text and "&" not in text:
        return None  # every pattern needs "<" or "[" (or a character reference to one); ASCII is its own
        # NFKC form and has no Cf characters
    canonical = _canonical(text)
    for reason, pattern in (("placeholder_text", PLACEHOLDER_LIKE), ("role_marker_text", ROLE_MARKER_LIKE)):
        match = pattern.search(canonical)
        if match:
            return reason, match.group(0)
    return None


# Every pattern without "<" needs one of these words after a "[" (ROLE_MARKER_LIKE's [INST], [TOOL_CALLS]...).
_BRACKET_WORDS = re.compile(r"inst|system_prompt|available_tools|tool_", re.IGNORECASE)


def json_may_hold_structure(raw_json: str) -> bool:
    """False only when no string decoded from the JSON text `raw_json` can hold such markup: the text is
    ASCII without \\u escapes (so is every decoded string: its own NFKC form, no format character, no
    look-alike bracket), has no "<" or "&", and none of the words a bracketed marker needs. Valid only
    for text no control stripping changes (`controls.json_may_hold_controls` is False): deleting a
    control character can join a word."""
    return (not raw_json.isascii() or "<" in raw_json or "&" in raw_json or "\\u" in raw_json
            or _BRACKET_WORDS.search(raw_json) is not None)


def control_character(text: str) -> str | None:
    """`U+XXXX` of the first control, lone-surrogate or bidi-override character of text, else None
    (one definition: pipelines/text/controls.py)."""
    return first_control(text)


def first_structural_field(record: dict, skip: tuple[str, ...] = ("images",)) -> tuple[str, str, str] | None:
    """(field path, reason, token) of the first string anywhere in record that holds such markup."""
    for field, text in _strings(record, ""):
        if field.split(".")[0].split("[")[0] in skip:
            continue
        found = structural_text(text)
        if found:
            return field, *found
    return None


def strings(value):
    """(field path, text) of every string anywhere in a nested dict/list value, keys included."""
    yield from _strings(value, "")


def _strings(value, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{path}.{key}".strip(".") if isinstance(key, str) else path)
            yield from _strings(item, f"{path}.{key}".strip("."))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")

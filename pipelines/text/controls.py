"""Control characters in text a dataset user reads: what counts, and how ingest removes them.

NUL, ESC, BEL and the other C0/C1 controls (tab and the newlines LF and NEL excepted) break tokenizers, terminals
and JSON Lines readers; bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
make a text display in another order than it reads (the "Trojan source" trick). None of them is
product information. Ingest strips them from catalog text and keeps the row (scraped catalogs
carry stray ones, and a product should not be lost for an invisible byte): a carriage return or
CRLF becomes a newline, every other one is deleted. The audit fails an export that still holds any.
A product id is not text: ingest rejects an id with such characters instead (ids must stay exact).
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 (but tab and the line breaks LF and CR), DEL, C1 (but U+0085 NEXT LINE, a newline), the bidi
# embedding/override/isolate controls, and lone surrogates (not encodable as UTF-8, so no file can hold them).
# CR is text here only because strip_controls turns it into a newline first.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f" + BIDI_CONTROLS + "\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?")


def first_control(text: str) -> str | None:
    """The first control character in `text` (as `U+XXXX`), or None."""
    match = CONTROL.search(text)
    return None if match is None else f"U+{ord(match.group(0)):04X}"


def strip_controls(text: str) -> str:
    """`text` without control characters: CR/CRLF -> newline, the others deleted."""
    if "\r" not in text and not CONTROL.search(text):
        return text
    return CONTROL.sub("", _NEWLINES.sub("\n", text))


# A JSON text spells a control character or CR in a string either raw or as one of these escapes.
_ESCAPED_CONTROL = re.compile(r"\\[ubfr]")


def json_may_hold_controls(raw_json: str) -> bool:
    """False only when no string decoded from the JSON text `raw_json` (keys included) holds a control
    character or a CR, so `strip_controls_in` would change nothing: each would stand in the text raw or
    as an escape (\\uXXXX, \\b, \\f, \\r). Ingest skips walking such a record, the common case."""
    return "\r" in raw_json or CONTROL.search(raw_json) is not None or _ESCAPED_CONTROL.search(raw_json) is not None


def strip_controls_in(value):
    """`value` (a JSON-like value: str, list, dict) with every string, keys included, stripped."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [strip_controls_in(v) for v in value]
    if isinstance(value, dict):
        return {strip_controls_in(k) if isinstance(k, str) else k: strip_controls_in(v) for k, v in value.items()}
    return value

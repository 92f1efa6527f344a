"""Pure checks and rewrites for edited query text.

An edit may change wording only: the `<image_k>` placeholders tie the text to the query's images
(images[k-1] is <image_k>, numbered in reading order), so they must survive exactly, once each
and in the same order. The check runs on the server; the browser never decides.
"""

from __future__ import annotations

import re
from collections import Counter

from annotation_ui.errors import PlaceholderError
from pipelines.text.controls import first_control
from pipelines.text.placeholders import PLACEHOLDER, compare_placeholders, placeholders, segments_of
from pipelines.text.structure import structural_text

MAX_TEXT = 2000
# Things that look like a placeholder but are not one exactly (typos a careful edit can introduce).
NEAR_MISS = re.compile(r"<\s*/?\s*image|image_\d+\s*>|<\s*\d+\s*>", re.IGNORECASE)


def check_placeholders(original: str, edited: str) -> str:
    """The edited text (whitespace-trimmed) if it keeps the original's placeholders exactly.

    Raises PlaceholderError naming what is missing, extra, repeated, reordered or malformed.
    """
    text = " ".join(edited.split())
    if not text:
        raise PlaceholderError("the edited text is empty; reject the query instead of blanking it")
    if len(text) > MAX_TEXT:
        raise PlaceholderError(f"the edited text is too long ({len(text)} characters, at most {MAX_TEXT})")
    if compare_placeholders(original, text).order_changed:  # an edit keeps tokens and their order exactly
        raise PlaceholderError(_mismatch_message(placeholders(original), placeholders(text)))
    want = placeholders(original)
    if NEAR_MISS.search(PLACEHOLDER.sub("", text)):
        raise PlaceholderError("the edited text has a malformed placeholder; write them exactly as "
                               + (", ".join(want) or "in the original (this query has none)"))
    _refuse_markup(text)
    return text


def _refuse_markup(text: str) -> None:
    """An edit is plain text around its placeholders: the rules ingest applies to catalog text and the
    audit to the export (no chat-role markers or look-alike placeholders, no control characters)."""
    control = first_control(text)
    if control:
        raise PlaceholderError(f"the edited text holds a control character ({control}); remove it")
    found = structural_text(PLACEHOLDER.sub(" ", text))
    if found:
        raise PlaceholderError(f"the edited text holds {found[1][:40]!r}, which reads as markup (a placeholder or "
                               "chat role marker), not as query text; write plain text")


def _mismatch_message(want: list[str], got: list[str]) -> str:
    expected = ", ".join(want) if want else "none"
    problems = []
    missing = sorted((Counter(want) - Counter(got)).elements())
    extra = sorted((Counter(got) - Counter(want)).elements())
    if missing:
        problems.append("missing " + ", ".join(missing))
    if extra:
        problems.append("unexpected " + ", ".join(extra))
    if not problems:
        problems.append("order changed to " + ", ".join(got))
    return f"placeholders must be kept exactly ({expected}, in this order): " + "; ".join(problems)


def edited_row(row: dict, text: str) -> dict:
    """A query row with new text and segments rebuilt from it (image ids unchanged)."""
    image_ids = [img["image_id"] for img in row["images"]]
    return {**row, "text": text, "segments": segments_of(text, image_ids)}

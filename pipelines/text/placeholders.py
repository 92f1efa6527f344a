"""The one owner of the `<image_k>` placeholder: its pattern, its spelling, the segments it splits
text into, and the comparison of a rewritten text's placeholders with its source's.

Pure (no I/O), so stages, LLM parsers, language ID and the QA UI share it. `pipelines/audit`
keeps its own pattern on purpose: the audit re-checks the output without sharing this code.

One query's placeholders number its images: `<image_k>` is images[k-1], numbered in reading order
by the renderer. Segments follow k, never position, so the two checks differ only in whether a
new order is allowed: an LLM translation may move a placeholder (word order differs between
languages; `in_reading_order` then renumbers it with its image), an annotator's edit changes
wording only and must keep the order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"<image_(\d+)>")


def image_token(k: int) -> str:
    """The placeholder of the query's k-th image (1-based)."""
    return f"<image_{k}>"


def placeholders(text: str) -> list[str]:
    """The `<image_k>` tokens of `text`, in order."""
    return [m.group(0) for m in PLACEHOLDER.finditer(text)]


def without_placeholders(text: str, replacement: str = " ") -> str:
    return PLACEHOLDER.sub(replacement, text)


@dataclass(frozen=True)
class PlaceholderDiff:
    """How `output`'s placeholders differ from `source`'s (each list sorted)."""

    missing: list[str]  # in source, absent from output
    extra: list[str]  # in output, not in source
    repeated: list[str]  # more than once in output
    order_changed: bool  # output's token sequence is not source's


def compare_placeholders(source: str, output: str) -> PlaceholderDiff:
    want, got = placeholders(source), placeholders(output)
    counts = Counter(got)
    return PlaceholderDiff(missing=sorted(set(want) - set(got)), extra=sorted(set(got) - set(want)),
                           repeated=sorted(t for t, n in counts.items() if n > 1), order_changed=want != got)


def in_reading_order(text: str, images: list) -> tuple[str, list]:
    """`text` renumbered so its placeholders read `<image_1>`, `<image_2>`.. and `images` reordered to match.

    An LLM may move a placeholder (word order differs between languages); consumers that feed
    images in the order their placeholders appear, and the audit, need k to follow reading order.
    Text whose placeholders are not a permutation of 1..len(images) is returned unchanged (the
    parsers reject such answers before they get here).
    """
    order = [int(m.group(1)) for m in PLACEHOLDER.finditer(text)]
    if sorted(order) != list(range(1, len(images) + 1)) or order == sorted(order):
        return text, list(images)
    new_k = {old: new for new, old in enumerate(order, start=1)}
    return PLACEHOLDER.sub(lambda m: image_token(new_k[int(m.group(1))]), text), [images[old - 1] for old in order]


def segments_of(text: str, image_ids: list[str]) -> list[dict]:
    """Split flat text (an LLM's or an annotator's) at <image_k> placeholders into interleaved segments.

    A placeholder with no image behind it (k out of range) stays text rather than crashing; the
    offline renderer never comes here, it builds its segments from the template structure.
    """
    segments, pos = [], 0
    for match in PLACEHOLDER.finditer(text):
        k = int(match.group(1))
        if not 1 <= k <= len(image_ids):
            continue
        if match.start() > pos:
            segments.append({"kind": "text", "text": text[pos:match.start()], "image_id": None, "image_index": None})
        segments.append({"kind": "image", "text": None, "image_id": image_ids[k - 1], "image_index": k})
        pos = match.end()
    if pos < len(text):
        segments.append({"kind": "text", "text": text[pos:], "image_id": None, "image_index": None})
    return segments

"""Audit checks on the exported text: nothing in it reads as structure, no control characters.

Query text legitimately holds `<image_k>` placeholders (checked against the images by
`placeholders_match_images`); everything around them must be plain text: no look-alike
placeholder (`<Image_7>`, `＜image_8＞`, `<image 9>`, `&lt;image_5&gt;`, `<product_1>`), no chat-role
marker (`<|im_start|>`, `[INST]`), no control character (NUL, ESC, BEL, bidi overrides). Product
titles and descriptions, English sources and passages are held to the same rule (none of them
may hold a placeholder at all). The rule is `pipelines/text/structure.py`'s (the one ingest applies to
catalog text) plus `pipelines/text/controls.py`; both are plain functions, not stages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.dataset as pads

from pipelines.audit.checks import Check
from pipelines.text.controls import first_control
from pipelines.text.structure import structural_text

EXACT_PLACEHOLDER = re.compile(r"<image_[1-9][0-9]*>")  # the audit's own spelling of a real placeholder
QUERY_TEXT = ("text", "source_text_en", "passage")
WITH_PLACEHOLDERS = frozenset({"text", "source_text_en"})  # a query and its English source; passages have none
PRODUCT_TEXT = ("title", "description")
BATCH_ROWS = 8_192


def text_problem(text: str, placeholders_allowed: bool) -> dict | None:
    """{reason, token} when `text` holds structural text or a control character, else None."""
    control = first_control(text)
    if control:
        return {"reason": "control_character", "token": control}
    rest = EXACT_PLACEHOLDER.sub(" ", text) if placeholders_allowed else text
    found = structural_text(rest)
    return None if found is None else {"reason": found[0], "token": found[1][:80]}


def plain_text_check(queries: Path, products: Path) -> dict:
    check = Check("text_is_plain", "exported text holds no look-alike placeholder, chat-role marker or control "
                                   "character (only exact <image_k> in query texts)")
    _scan(check, queries, "query_id", QUERY_TEXT)
    _scan(check, products, "product_id", PRODUCT_TEXT)
    return check.as_dict()


def _scan(check: Check, folder: Path, key: str, columns: tuple[str, ...]) -> None:
    dataset = pads.dataset(folder, format="parquet")
    present = [c for c in columns if c in dataset.schema.names]
    if not present:
        return
    for batch in dataset.to_batches(columns=[key, *present], batch_size=BATCH_ROWS):
        ids = batch.column(key).to_pylist()
        for column in present:
            judged: dict[str, dict | None] = {}  # a passage or English source repeats on each language's row
            for row_id, text in zip(ids, batch.column(column).to_pylist()):
                if text is None:
                    continue
                check.checked += 1
                if text not in judged:
                    judged[text] = text_problem(text, placeholders_allowed=column in WITH_PLACEHOLDERS)
                problem = judged[text]
                if problem:
                    check.fail({key: row_id, "column": column, **problem})

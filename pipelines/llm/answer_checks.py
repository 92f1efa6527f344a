"""Model output is as untrusted as catalog text: the ingest rules, applied to every answer.

An answer is used (and cached) only when neither its text nor any string of its parsed value
holds a control character or text that reads as structure, by the very rules ingest applies to
catalog text (`pipelines/text/structure.py`: placeholder look-alikes such as `<Image_7>`,
`＜image_8＞`, `<image 9>`, `<product_1>`, `&lt;image_5&gt;`, and chat-role markers such as
`<|im_start|>` or `[INST]`). A model that echoes an injection, or a server that answers with
special tokens, would otherwise put them into exported queries, MERIT JSON and later prompts.

The one structure an answer may hold is an exact `<image_k>` in a task whose text carries the
query's images (rewrite, translate: the task's parser checks those against the source) or may
name one (the judge's reason, which reaches a reject message only); never in a mined value. Parsed
values are checked after decoding, so a JSON-escaped `\\u003c|im_start|\\u003e` counts too.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.llm.parsers import Parsed
from pipelines.text.placeholders import without_placeholders
from pipelines.text.structure import control_character, strings, structural_text

CONTROL_CHARACTER = "control_character"
_KINDS = {"placeholder_text": "an image placeholder", "role_marker_text": "a chat role marker"}


def text_problem(texts: Iterable[str], *, placeholders: bool) -> Parsed | None:
    """The first rule broken by any of `texts`, as a rejection (reason, message); None when clean."""
    for text in texts:
        bad = control_character(text)
        if bad:
            return Parsed(None, CONTROL_CHARACTER, f"the answer holds the control character {bad}")
        found = structural_text(without_placeholders(text) if placeholders else text)
        if found:
            reason, token = found
            return Parsed(None, reason, f"the answer holds {token[:80]!r}, which reads as {_KINDS[reason]}")
    return None


def checked(text: str, parse, *, placeholders: bool) -> Parsed:
    """`parse()` of an answer, unless the answer or a string of its parsed value breaks a rule."""
    problem = text_problem((text,), placeholders=placeholders)
    if problem:
        return problem
    parsed = parse()
    if parsed.value is None:
        return parsed
    return text_problem((s for _, s in strings(parsed.value)), placeholders=placeholders) or parsed

"""The LLM tasks, one module each (as distilabel's `Task`), and their registry.

A task's module holds all of it: `TASK` (`pipelines.llm.task.LLMTask`: its prompt folder and
version under `prompts/llm/`, its parser, its per-row JSON schema), `rows` (the step's input
tables -> request rows, each with a unique `record_id`) and `apply` (the accepted answers folded
back into the tables). Pure, like every stage: the network half (render, send, parse, strict
retry) is `pipelines/llm/runner.py`, called by the plan (`plan/llm.py`) between `rows` and
`apply`. Parsed answers are rows {row_index, record_id, value, raw, prompt_id, ...}; rejects are
reject.json rows.

The registry is derived from this package: every module with a `TASK` is a task, found by its
name (`task`), so adding a task is adding its module and its prompt files; `register` adds one
defined elsewhere (a test's). Also here: the language-ID agreement check of the final texts.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress, schemas
from pipelines.langid.identify import detect_language
from pipelines.llm.prompts import PromptError
from pipelines.llm.task import LLMTask

# The tasks' shared fold-back (llm_text.py); every LLM step's version names it.
VERSION = "2"  # 2: LLM text renumbered in reading order; translations bound to the English images

_REGISTERED: dict[str, LLMTask] = {}


@cache
def _modules_tasks() -> dict[str, LLMTask]:
    """This package's modules with a `TASK`, by task name (looked for once per process)."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        defined = getattr(importlib.import_module(f"{__name__}.{module.name}"), "TASK", None)
        if isinstance(defined, LLMTask):
            found[defined.name] = defined
    return found


def tasks() -> dict[str, LLMTask]:
    """Every task by name: this package's modules with a `TASK`, then the registered ones."""
    return {**_modules_tasks(), **_REGISTERED}


def task(name: str) -> LLMTask:
    """The task called `name`; a `PromptError` naming the known ones when there is none."""
    known = tasks()
    if name not in known:
        raise PromptError(f"unknown LLM task {name!r}; known: {sorted(known)}")
    return known[name]


def register(defined: LLMTask) -> LLMTask:
    """Add a task defined outside this package; a name already taken by another task is an error."""
    taken = tasks().get(defined.name)
    if taken is not None and taken != defined:
        raise PromptError(f"LLM task {defined.name!r} is already defined")
    _REGISTERED[defined.name] = defined
    return defined


# ---- language-ID agreement ------------------------------------------------------------------

AGREEMENT_COLUMNS = ["query_id", "language", "text"]  # what language_agreement reads


def language_agreement(queries: pa.Table, sample_per_language: int) -> pa.Table:
    """Per language: how many of (up to) N texts the detector assigns to their declared language."""
    # The first N by (query_id, language, text), per language: sorted by Arrow (byte order of UTF-8
    # is code point order, Python's), so only the sampled texts become Python strings.
    table = queries.select(AGREEMENT_COLUMNS)
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in table.column_names])
    languages = pc.take(table.column("language"), order)
    rows = []
    for lang in sorted(pc.unique(languages).to_pylist()):
        picked = pc.filter(order, pc.equal(languages, lang)).slice(0, sample_per_language)
        texts = pc.take(table.column("text"), picked).to_pylist()
        agreed = sum(detect_language(t)[0] == lang for t in progress.each(texts))
        rows.append({"language": lang, "checked": len(texts), "agreed": agreed, "agreement": agreed / len(texts)})
    return pa.Table.from_pylist(rows, schema=schemas.schema("language_agreement"))

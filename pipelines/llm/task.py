"""An LLM task as one value, after distilabel's `Task`: its prompt (`prompts/llm/<name>/v<N>`),
`format_input` (a request row -> the chat request) and `format_output` (the answer text -> a
`Parsed` value or a reject reason).

Pure: no client, cache or transport. Each task is defined in one module of
`pipelines/stages/llm_tasks/` (with its request rows and its fold-back into the tables), whose
registry finds it by name; the task runner (`runner.py`) takes the value, never a name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.llm.parsers import Parsed
from pipelines.llm.prompts import LLM_PROMPTS_DIR, TaskPrompt, build_request, load_prompt
from pipelines.llm.request import ChatRequest

Schema = Callable[[TaskPrompt, Mapping[str, Any]], "dict | None"]


@dataclass(frozen=True)
class LLMTask:
    """`name` is its prompt folder and the stage its reject rows name; `parse` reads one answer
    (text, request row); `schema` builds a row's JSON schema (None: the prompt metadata's own);
    `placeholders`: an exact `<image_k>` may appear in its answers (llm/answer_checks.py)."""

    name: str
    prompt_version: int
    parse: Callable[[str, Mapping[str, Any]], Parsed] = field(repr=False)
    schema: Schema | None = field(default=None, repr=False)
    placeholders: bool = False
    prompts_root: Path = field(default=LLM_PROMPTS_DIR, repr=False)

    def prompt(self) -> TaskPrompt:
        """The task's prompt version, read from `prompts_root/<name>/v<prompt_version>.*`."""
        return load_prompt(self.name, self.prompt_version, self.prompts_root)

    def format_input(self, row: Mapping[str, Any], prompt: TaskPrompt | None = None) -> ChatRequest:
        """The chat request for one row (`prompt`: the task's own, or its strict variant)."""
        return build_request(prompt or self.prompt(), row, self.schema)

    def format_output(self, text: str, row: Mapping[str, Any]) -> Parsed:
        """The answer to `row` parsed: a value, or None with a reject reason and message."""
        return self.parse(text, row)

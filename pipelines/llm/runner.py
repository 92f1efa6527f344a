"""Run one LLM task over many rows: render, send all at once, parse, retry once, reject.

The requests of a pass go to `complete_many` CHUNK_ROWS at a time so the server can batch them.
Each answer is judged as it arrives (`answer_checks.checked`: the catalog-text rules, then the
task's parser); the client caches only answers judged usable. An
answer that fails to parse (or was cut off at max_tokens) is asked once more with the strict
prompt variant, which also tells the model why its first answer was rejected (after an
answer in the wrong language or variety, with the template's stronger variety instruction:
the retry is a different request, so it has its own cache key). Whatever still
fails becomes a reject row (schemas/v1/reject.json) that keeps the raw model output: failures
are data, never exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jinja2

from pipelines.llm.answer_checks import checked
from pipelines.llm.client import ChatClient, Completion, LLMRequestError
from pipelines.llm.failures import REQUEST_FAILED, StepDeadline
from pipelines.llm.parsers import WRONG_LANGUAGE, Parsed
from pipelines.llm.prompts import PromptError, TaskPrompt
from pipelines.llm.task import LLMTask
from pipelines.results import RejectLog

# Requests handed to the client at once: enough for any server's batching, few enough that a
# step's answers are parsed and dropped as they come rather than all held (only accepted values
# and reject rows outlive their chunk).
CHUNK_ROWS = 2048


class TaskRun(NamedTuple):
    """parsed: one dict per accepted row; rejects: reject.json rows; counters: plain numbers."""

    parsed: list[dict]
    rejects: list[dict]
    counters: dict[str, int]


@dataclass(frozen=True)
class _Outcome:
    """What one row's answer came to in one pass."""

    index: int
    parsed: Parsed
    raw: str | None
    cached: bool = False
    retryable: bool = True  # False for request errors: the client already retried those


def _evaluate(task: LLMTask, index: int, row: Mapping[str, Any], result: Completion | LLMRequestError) -> _Outcome:
    """Turn one completion (or request error) into a parse outcome: the answer checks
    (llm/answer_checks.py) and the task's parser; an answer that breaks either is rejected."""
    if isinstance(result, LLMRequestError):
        message = f"HTTP {result.status} after {result.attempts} attempt(s): {result}"
        reason = getattr(result, "reason", REQUEST_FAILED)
        return _Outcome(index, Parsed(None, reason, message), result.body or None, retryable=False)
    if result.finish_reason == "length":
        parsed = Parsed(None, "truncated", f"answer cut off at {result.completion_tokens} tokens (max_tokens)")
    else:
        parsed = checked(result.text, lambda: _parse(task, result.text, row), placeholders=task.placeholders)
    return _Outcome(index, parsed, result.text, result.cached)


def _parse(task: LLMTask, text: str, row: Mapping[str, Any]) -> Parsed:
    try:
        return task.format_output(text, row)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:  # an odd answer is a row
        return Parsed(None, "unparseable_answer", f"{type(exc).__name__}: {str(exc)[:200]}")


async def _run_pass(
    rows: Sequence[Mapping[str, Any]] | Mapping[int, Mapping[str, Any]],
    indexes: list[int],
    task: LLMTask,
    prompt: TaskPrompt,
    client: ChatClient,
    progress: bool,
    deadline: StepDeadline | None = None,
) -> list[_Outcome]:
    """Render, send and parse the given rows with one prompt variant, CHUNK_ROWS at a time."""
    outcomes = []
    for start in range(0, len(indexes), CHUNK_ROWS):
        chunk = indexes[start : start + CHUNK_ROWS]
        outcomes += await _run_chunk(rows, chunk, task, prompt, client, progress, deadline)
    return outcomes


async def _run_chunk(rows, indexes: list[int], task: LLMTask, prompt: TaskPrompt, client: ChatClient,
                     progress: bool, deadline: StepDeadline | None) -> list[_Outcome]:
    outcomes, sendable, requests = [], [], []
    for i in indexes:
        try:
            requests.append(task.format_input(rows[i], prompt))
            sendable.append(i)
        except (jinja2.TemplateError, PromptError, KeyError, TypeError, AttributeError) as exc:
            reason = Parsed(None, "render_failed", f"cannot render {prompt.prompt_id}: {type(exc).__name__}: {exc}")
            outcomes.append(_Outcome(i, reason, None, retryable=False))
    judged: dict[int, tuple[Completion, _Outcome]] = {}

    def accept(j: int, completion: Completion) -> bool:
        """The client asks before caching an answer: only one that checks and parses is kept."""
        outcome = _evaluate(task, sendable[j], rows[sendable[j]], completion)
        judged[j] = (completion, outcome)
        return outcome.parsed.value is not None

    results = await client.complete_many(requests, progress=progress, accept=accept, deadline=deadline)
    for j, (i, result) in enumerate(zip(sendable, results)):
        seen = judged.get(j)
        outcomes.append(seen[1] if seen is not None and seen[0] is result else _evaluate(task, i, rows[i], result))
    return outcomes


def _accepted(outcome: _Outcome, rows: Sequence[Mapping[str, Any]], prompt: TaskPrompt, retried: bool) -> dict:
    row = rows[outcome.index]
    return {
        "row_index": outcome.index,
        "record_id": row.get("record_id"),
        "value": outcome.parsed.value,
        "raw": outcome.raw,
        "prompt_id": prompt.prompt_id,
        "strict_retry": retried,
        "cached": outcome.cached,
    }


async def run_llm_task(
    rows: Sequence[Mapping[str, Any]],
    task: LLMTask,
    client: ChatClient,
    *,
    prompt: TaskPrompt | None = None,
    progress: bool = False,
    deadline_s: float = 0.0,
) -> TaskRun:
    """Run `task` over `rows` with one strict retry per parse failure.

    Args: rows carry the fields the task's template reads, plus an optional record_id that is
    copied to outputs and rejects; prompt defaults to the task's own version; deadline_s > 0
    bounds the whole run (both passes): rows still unanswered then are `llm_deadline` rejects.
    Output: TaskRun(parsed rows {row_index, record_id, value, raw, prompt_id, strict_retry,
    cached}, reject rows with stage=task.name, counters).
    """
    prompt = prompt or task.prompt()
    strict = prompt.as_strict()
    before = dict(getattr(client, "counters", {}))
    log = RejectLog(stage=task.name)
    deadline = StepDeadline.starting_now(deadline_s) if deadline_s > 0 else None
    first = await _run_pass(rows, list(range(len(rows))), task, prompt, client, progress, deadline)
    accepted = [_accepted(o, rows, prompt, False) for o in first if o.parsed.value is not None]
    retry = [o for o in first if o.parsed.value is None and o.retryable]
    for o in first:
        if o.parsed.value is None and not o.retryable:
            log.add(o.parsed.reason, o.parsed.message, record_id=rows[o.index].get("record_id"), raw=o.raw)
    # The strict variant sees why the first answer failed; a wrong-language answer also gets the
    # template's variety instruction (previous_reason), which makes it a request of its own.
    retry_rows = {o.index: {**rows[o.index], "previous_error": o.parsed.message, "previous_reason": o.parsed.reason}
                  for o in retry}
    second = await _run_pass(retry_rows, list(retry_rows), task, strict, client, progress, deadline) if retry else []
    for o in second:
        if o.parsed.value is not None:
            accepted.append(_accepted(o, rows, strict, True))
            continue
        message = f"after a strict retry: {o.parsed.message}"
        log.add(o.parsed.reason, message, record_id=rows[o.index].get("record_id"), raw=o.raw)
    accepted.sort(key=lambda r: r["row_index"])
    counters = {
        "rows": len(rows),
        "parsed": len(accepted),
        "rejected": len(log.rows),
        "strict_retries": len(retry),
        "language_retries": sum(1 for o in retry if o.parsed.reason == WRONG_LANGUAGE),
        "strict_recovered": sum(1 for r in accepted if r["strict_retry"]),
        **log.counters(),
        **_client_delta(before, dict(getattr(client, "counters", {}))),
    }
    return TaskRun(accepted, log.rows, counters)


def _client_delta(before: dict, after: dict) -> dict[str, int]:
    """What this run added to the client's counters (requests, tokens, cache hits...)."""
    return {f"llm_{k}": v - before.get(k, 0) for k, v in after.items()}


def run_llm_task_sync(
    rows: Sequence[Mapping[str, Any]],
    task: LLMTask,
    client: Any,
    *,
    prompt: TaskPrompt | None = None,
    progress: bool = False,
    deadline_s: float = 0.0,
) -> TaskRun:
    """`run_llm_task` from synchronous code; closes the client's connections at the end.

    The client is reusable afterwards (it reconnects in the next event loop). Cannot be
    called from inside a running event loop: await `run_llm_task` there instead.
    """

    async def main() -> TaskRun:
        try:
            return await run_llm_task(rows, task, client, prompt=prompt, progress=progress, deadline_s=deadline_s)
        finally:
            await client.aclose()

    return asyncio.run(main())

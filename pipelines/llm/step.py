"""An LLM step of the build plan in its three halves, so every runner asks the same way.

`rows` (pure: the step's input tables -> request rows, each with a unique `record_id`),
the shared task runner (`runner.run_llm_task`: render, send, parse, strict retry, rejects),
and `apply` (pure: the accepted answers folded back into the input tables). The local and
Prefect runners call the object itself (`LLMStepCall.__call__`: one client, one request cache
file); Beam calls `rows` and `apply` around RunInference (`pipelines/beam/llm_step.py`), the
runner per batch on the workers. Both key the request cache with `cache.request_key`, so an
answer paid for by either is reused by the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines import schemas
from pipelines.digest_fields import NOT_DIGESTED
from pipelines.errors import ConfigError
from pipelines.llm.cache import RequestCache
from pipelines.llm.client import LLMClient, LLMSettings
from pipelines.llm.runner import TaskRun, run_llm_task_sync
from pipelines.llm.task import LLMTask
from pipelines.results import StageResult


@dataclass(frozen=True)
class Applied:
    """What `apply` makes of the answers: output tables, its own reject rows, counters."""

    outputs: dict
    rejects: list[dict] = field(default_factory=list)
    counters: Mapping[str, Any] = field(default_factory=dict)


def run_task(rows: list[dict], task: LLMTask, settings: LLMSettings, cache_path: Path, progress: bool = True) -> TaskRun:
    """The task over all rows through one client (the server backend's whole step)."""
    # Commit every answer as it arrives (WAL, no fsync: microseconds), so a SIGKILL never loses
    # an answer that was paid for.
    cache = RequestCache(cache_path, commit_every=1)
    try:
        return run_llm_task_sync(rows, task, LLMClient(settings, cache=cache), progress=progress,
                                 deadline_s=settings.step_deadline_s)
    finally:
        cache.close()



@dataclass(frozen=True)
class LLMStepCall:
    """A plan step's call: rows -> the task on the LLM -> apply. `backend` names who answers.

    `rows(**inputs)` and `apply(parsed, **inputs)` receive the step's input tables by argument
    name; `parsed` is the runner's accepted answers ({record_id, value, raw, prompt_id, ...}).
    As a step's params it is digested by its fields (plan.step.digest): `rows` and `apply` must then
    be frozen values of what they read (pipelines/plan/llm_calls.py), not closures.
    """

    task: LLMTask = field(metadata=NOT_DIGESTED)  # its module in pipelines/stages/llm_tasks/
    settings: LLMSettings = field(metadata=NOT_DIGESTED)  # where and how hard to ask: see `model`, `accepts`
    rows: Callable[..., list[dict]] = field(repr=False)
    apply: Callable[..., Applied] = field(repr=False)
    cache_path: Path | None = field(default=None, metadata=NOT_DIGESTED)
    backend: str = field(default="server", metadata=NOT_DIGESTED)  # who answers: the same model either way
    # What a step's digest names of `task` and `settings` (derived from them, never passed): the task by
    # name and prompt version (its prompt files' content enters the fingerprint: `Step.reads`), the model,
    # and the two settings that decide which answers are accepted (the schema sent, the answer size cap).
    task_version: str = field(init=False)
    model: str = field(init=False)
    accepts: tuple = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "task_version", f"{self.task.name}/v{self.task.prompt_version}")
        object.__setattr__(self, "model", self.settings.model)
        object.__setattr__(self, "accepts", (self.settings.structured_output, self.settings.max_answer_bytes))

    def __call__(self, **inputs) -> StageResult:
        if self.backend != "server":  # a model served by Beam workers has no address here
            raise ConfigError(f"llm.backend = {self.backend!r} runs only on Beam (`meritgen beam run`); "
                              "other runners need llm.backend = \"server\"")
        run = run_task(self.rows(**inputs), self.task, self.settings, self.cache_path)
        return self.result(run, self.apply(run.parsed, **inputs))

    def result(self, run: TaskRun, applied: Applied) -> StageResult:
        """The step's StageResult: the runner's rejects and counters with what `apply` added."""
        rejects = schemas.from_rows(list(run.rejects) + list(applied.rejects), "reject")
        counters = {**run.counters, "model": self.settings.model, **applied.counters}
        return StageResult(applied.outputs, rejects, counters)

"""What every meritgen RunInference handler shares, whichever backend answers (`inference.py`'s
external endpoint, `vllm_handler.py`'s vLLM server per worker): a batch of task rows through the
shared runner (`pipelines.llm.run_llm_task`), one answer or reject per row, the worker's request
cache. Its own module, so the two handlers' modules import it and never each other."""

from __future__ import annotations

from pathlib import Path

from apache_beam.ml.inference.base import PredictionResult

from pipelines.beam.adapter import count_metrics
from pipelines.llm import LLMSettings, RequestCache, TaskRun, run_llm_task_sync
from pipelines.llm.client import ChatClient
from pipelines.results import RejectLog
from pipelines.stages import llm_tasks


def answers_per_row(batch: list[dict], run: TaskRun) -> list[PredictionResult]:
    """One PredictionResult per row, in batch order: {"answer": parsed} or {"reject": reject row}."""
    by_index = {answer["row_index"]: answer for answer in run.parsed}
    rejects = {reject["record_id"]: reject for reject in run.rejects}
    out = []
    for i, row in enumerate(batch):
        if i in by_index:
            out.append(PredictionResult(row, {"answer": by_index[i]}))
        else:  # the runner names rejects by record_id, which RunLLMTask requires to be unique
            out.append(PredictionResult(row, {"reject": rejects.get(row.get("record_id")) or _lost(row, run)}))
    return out


def _lost(row: dict, run: TaskRun) -> dict:
    log = RejectLog(stage=run.rejects[0]["stage"] if run.rejects else "llm")
    log.add("llm_no_outcome", "the LLM runner returned no answer and no reject", record_id=row.get("record_id"))
    return log.rows[0]


def run_batch(task: str, batch, client: ChatClient, stage: str | None = None) -> list[PredictionResult]:
    """The shared runner on one batch of the task named `task` (handlers carry names: a worker finds the
    task in its own registry); it closes the client's connections: each batch has its own loop.

    Its counters go to the step's metrics (`meritgen.<stage>`), where the report reads them."""
    run = run_llm_task_sync(list(batch), llm_tasks.task(task), client)
    count_metrics(stage or f"llm.{task}", {k: v for k, v in run.counters.items() if isinstance(v, int)})
    return answers_per_row(list(batch), run)


_CACHES: dict[str, RequestCache] = {}  # one open cache file per worker process and path


def worker_cache(path: str | Path | None) -> RequestCache | None:
    """The request cache at `path`, opened once per process (every answer committed as it comes)."""
    if not path:
        return None
    key = str(path)
    if key not in _CACHES:
        _CACHES[key] = RequestCache(key, commit_every=1)
    return _CACHES[key]


class TaskHandler:
    """What every meritgen RunInference handler shares: a batch of task rows -> one answer or
    reject per row, through `run_llm_task` on the chat client `client_for(model)` builds.

    Mixed into a Beam ModelHandler whose `run_inference` (or `request`, for a remote one) calls
    `answer`: loading (and sharing) the model stays the Beam handler's."""

    task: str
    stage: str | None = None
    settings: LLMSettings
    cache_path: str | None = None
    model_identifier: str | None = None  # RunInference's model tag: equal tags share one loaded model

    def client_for(self, model) -> ChatClient:
        raise NotImplementedError

    def answer(self, batch, model) -> list[PredictionResult]:
        return run_batch(self.task, batch, self.client_for(model), self.stage)

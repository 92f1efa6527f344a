"""The `beam_vllm` LLM backend: a vLLM server on each worker, asked by the shared client.

The handler is Beam's `VLLMChatModelHandler` (batching, one model shared by the worker's SDK
processes) with two changes: `load_model` starts the server as a `vllm_server.VLLMServer` (health
checked, restarted, stopped with the pipeline, never orphaned), and `run_inference` runs the shared
`run_llm_task` against it on localhost instead of Beam's bare chat call (which sends text-only
messages, no structured output and no cache), so prompts, images, structured output, request-cache
keys, the strict retry and rejects are the same as with an external server.

A server that dies mid-batch turns the batch's unanswered rows (`llm_request_failed`) into a
restart and a second ask of those rows, not into rejects; after `max_restarts` restarts within one
batch with the server still down, the batch fails with `VLLMServerDown` (RunInference's dead
letters: every row an `unexpected_error` reject naming it, and the failure-ratio check stops the
job). Imported only when `[llm] backend = "beam_vllm"`: Beam's module needs `openai` on the
launcher and the workers, and the workers need `vllm` (the `gpu` extra, `pipelines/beam/Dockerfile`).
"""

from __future__ import annotations

import dataclasses

from apache_beam.ml.inference.base import PredictionResult
from apache_beam.ml.inference.vllm_inference import VLLMChatModelHandler

from pipelines.beam.adapter import count_metrics
from pipelines.beam.llm_batches import TaskHandler, answers_per_row, worker_cache
from pipelines.beam.vllm_server import VLLMServer, VLLMServerDown, model_tag, vllm_command
from pipelines.llm import LLMClient, LLMSettings, failures, run_llm_task_sync
from pipelines.stages import llm_tasks

MAX_RESTARTS = 2  # per batch: a server that dies a third time while one batch runs is broken, not unlucky


class VLLMTaskHandler(TaskHandler, VLLMChatModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from a vLLM server on this worker.

    `server_command` replaces vLLM's server command (tests run a stand-in); `{{PORT}}` in it is
    the port picked for each start."""

    def __init__(self, task: str, settings: LLMSettings, vllm_server_kwargs: dict | None = None, *,
                 batch_size: int = 32, cache_path: str | None = None, stage: str | None = None,
                 weights_dir: str | None = None, server_command: list[str] | None = None,
                 max_restarts: int = MAX_RESTARTS) -> None:
        source, kwargs = settings.model, dict(vllm_server_kwargs or {})
        if weights_dir:  # weights baked into the image, served under the configured model name
            source = f"{weights_dir.rstrip('/')}/{settings.model}"
            kwargs.setdefault("served-model-name", settings.model)
        VLLMChatModelHandler.__init__(self, source, vllm_server_kwargs=kwargs, max_batch_size=batch_size)
        self.task, self.stage, self.settings, self.cache_path = task, stage, settings, cache_path
        self.server_command, self.max_restarts = server_command, max_restarts
        # Every LLM step asking this model on a worker shares its one server (RunInference's tag).
        self.model_identifier = model_tag(source, kwargs)

    def load_model(self) -> VLLMServer:
        command = self.server_command or vllm_command(self._model_name, self._vllm_server_kwargs)
        return VLLMServer(command, tag=self.model_identifier)

    def run_inference(self, batch, model, inference_args=None) -> list[PredictionResult]:
        rows = list(batch)
        seen = model.starts()
        run = run_llm_task_sync(rows, llm_tasks.task(self.task), self.client_for(model))
        results, counters = answers_per_row(rows, run), dict(run.counters)
        for restart in range(self.max_restarts + 1):
            lost = [i for i, result in enumerate(results) if _unanswered(result)]
            if not lost:
                break
            if restart == self.max_restarts or not model.recover(seen):
                if model.healthy():  # up and answering: the failures are the requests' own (rejects)
                    break
                raise VLLMServerDown(f"{len(lost)} of {len(rows)} rows unanswered: the vLLM server of "
                                     f"{self._model_name} is down after {restart} restart(s) in this batch")
            seen = model.starts()
            again = [rows[i] for i in lost]
            rerun = run_llm_task_sync(again, llm_tasks.task(self.task), self.client_for(model))
            counters = _merged(counters, [results[i] for i in lost], rerun.counters)
            for i, result in zip(lost, answers_per_row(again, rerun)):
                results[i] = result
        count_metrics(self.stage or f"llm.{self.task}", {k: v for k, v in counters.items() if isinstance(v, int)})
        return results

    def client_for(self, model) -> LLMClient:
        # The model name stays the configured one: it is part of every request-cache key.
        local = dataclasses.replace(self.settings, base_url=f"http://localhost:{model.port()}/v1", api_key="EMPTY")
        return LLMClient(local, worker_cache(self.cache_path))


def _unanswered(result: PredictionResult) -> bool:
    reject = result.inference.get("reject")
    return reject is not None and reject["reason"] == failures.REQUEST_FAILED


def _merged(counters: dict, dropped: list[PredictionResult], again: dict) -> dict:
    """The batch's counters with the dropped rows' first outcome taken out and the second ask's added:
    each row counts once in rows/rejected, as on a run without the crash; requests count as sent."""
    out = dict(counters)
    for result in dropped:
        reason = f"rejected_{result.inference['reject']['reason']}"
        for key in ("rows", "rejected", reason):
            out[key] = out.get(key, 0) - 1
    for key, value in again.items():
        if isinstance(value, int):
            out[key] = out.get(key, 0) + value
    return {k: v for k, v in out.items() if not (k.startswith("rejected_") and v == 0)}

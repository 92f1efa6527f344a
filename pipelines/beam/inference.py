"""LLM tasks on Beam: RunInference over the shared LLM layer (`pipelines.llm`), failures to rejects.

Two backends, chosen by `[llm] backend` in config (`task_handler`):

- `server`: an external OpenAI-compatible server through `pipelines.llm.LLMClient` (its
  request cache, retries and bounded concurrency); a `RemoteModelHandler`, so Beam adds
  client-side throttling when the server pushes back.
- `beam_vllm`: Beam's `VLLMChatModelHandler` starts one vLLM server per worker VM, shared by the
  VM's SDK processes (one GPU per worker: `--dataflow_service_options worker_accelerator=...`),
  and the same client talks to it on localhost (see `vllm_handler.py`).

Either way each batch runs `pipelines.llm.run_llm_task` (`TaskHandler.run_inference`): rendering,
structured output, the request cache and its keys, the strict retry and parse-failure rejects are
the shared runner's. A row it rejects becomes a reject row; a batch that raises goes to
RunInference's dead-letter output and every row of it becomes an `unexpected_error` reject.
Rows the server never answered (`llm_request_failed`) and dead letters count as failed rows in
the tally the failure-ratio check reads; an unparseable answer is data (the row keeps its
template text, as on the local runner), not a failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import apache_beam as beam
import httpx
from apache_beam.ml.inference.base import PredictionResult, RemoteModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput

from pipelines import schemas
from pipelines.beam.adapter import REJECTS, TALLY, dead_letter_rejects, dead_letter_tally
from pipelines.beam.llm_batches import TaskHandler, worker_cache
from pipelines.beam.options import DEFAULT_BATCH_SIZE, DEFAULT_VLLM_SERVER_KWARGS, LLMOptions
from pipelines.llm import LLMClient, LLMSettings, failures
from pipelines.llm.client import ChatClient

ANSWERS = "answers"


def _transient(exc: Exception) -> bool:
    # The client already retries HTTP failures; a batch is re-run only when the transport broke.
    return isinstance(exc, (OSError, httpx.TransportError))


class EndpointTaskHandler(TaskHandler, RemoteModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from an external endpoint."""

    def __init__(self, task: str, settings: LLMSettings, *, batch_size: int = 32, cache_path: str | None = None,
                 client_factory: Callable[[], ChatClient] | None = None, num_retries: int = 2,
                 stage: str | None = None) -> None:
        RemoteModelHandler.__init__(self, namespace=f"meritgen.llm.{task}", num_retries=num_retries,
                                    retry_filter=_transient)
        self.task, self.stage, self.settings, self.batch_size = task, stage, settings, batch_size
        self.cache_path, self.client_factory = cache_path, client_factory

    def create_client(self) -> ChatClient:
        if self.client_factory is not None:
            return self.client_factory()
        return LLMClient(self.settings, worker_cache(self.cache_path))

    def client_for(self, model) -> ChatClient:
        return model

    def request(self, batch, model, inference_args=None):  # Beam's retries and throttling around it
        return self.answer(batch, model)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": self.batch_size}


def task_handler(backend: str, task: str, settings: LLMSettings, options: PipelineOptions, *,
                 cache_path: str | Path | None = None, stage: str | None = None, client_factory=None):
    """The RunInference handler of `backend` (config `[llm] backend`) for one task, with the LLM
    pipeline options' knobs (batch size, a worker-local cache path, vLLM server flags)."""
    opts = options.view_as(LLMOptions)
    cache = opts.llm_cache_path or (str(cache_path) if cache_path else None)
    batch_size = opts.llm_batch_size or DEFAULT_BATCH_SIZE
    if backend == "beam_vllm":
        from pipelines.beam.vllm_handler import VLLMTaskHandler  # needs vllm (and openai) on the workers

        server_kwargs = json.loads(opts.llm_vllm_server_kwargs or DEFAULT_VLLM_SERVER_KWARGS)
        return VLLMTaskHandler(task, settings, server_kwargs, batch_size=batch_size,
                               cache_path=cache, stage=stage, weights_dir=opts.llm_weights_dir)
    return EndpointTaskHandler(task, settings, batch_size=batch_size, cache_path=cache,
                               client_factory=client_factory, stage=stage)


UNANSWERED = failures.UNANSWERED  # the server never answered (in time): a lost row, unlike an unusable answer


def route(result: PredictionResult, stage: str):
    """Answers to the main output, rejects to REJECTS; a tally per row for the failure check."""
    if "answer" in result.inference:
        yield {"row": result.example, "answer": result.inference["answer"]}
        yield TaggedOutput(TALLY, (stage, (1, 0)))
    else:
        reject = result.inference["reject"]
        yield TaggedOutput(REJECTS, reject)
        yield TaggedOutput(TALLY, (stage, (1, int(reject["reason"] in UNANSWERED | {"llm_no_outcome"}))))


def _describe_batch(batch):
    return [(row.get("record_id"), None, None) for row in batch]


class RunLLMTask(beam.PTransform):
    """Rows (the task's fields + a unique `record_id`) -> {ANSWERS: {row, answer}, REJECTS: tables, TALLY}."""

    def __init__(self, task: str, handler, stage: str | None = None) -> None:
        super().__init__()
        self.task, self.handler, self.stage = task, handler, stage or task

    def expand(self, rows):
        infer = RunInference(self.handler, model_identifier=getattr(self.handler, "model_identifier", None))
        results, dlq = rows | "Infer" >> infer.with_exception_handling()
        routed = results | "Route" >> beam.FlatMap(route, self.stage).with_outputs(REJECTS, TALLY, main=ANSWERS)
        reject_tables = (routed[REJECTS]
                         | "RejectBatches" >> beam.BatchElements(min_batch_size=1, max_batch_size=1000)
                         | "RejectTable" >> beam.Map(schemas.from_rows, "reject"))
        failed = dlq.failed_inferences
        dead = failed | "DeadLetterRejects" >> beam.FlatMap(dead_letter_rejects, self.stage, _describe_batch)
        dead_tally = failed | "DeadLetterTally" >> beam.Map(dead_letter_tally, self.stage, _describe_batch)
        return {ANSWERS: routed[ANSWERS],
                REJECTS: (reject_tables, dead) | "MergeRejects" >> beam.Flatten(),
                TALLY: (routed[TALLY], dead_tally) | "MergeTally" >> beam.Flatten()}

"""LLM tasks on Beam: RunInference over the shared LLM layer (`pipelines.llm`), failures to rejects.

Two backends, chosen by the `--llm_backend` pipeline option:

- `endpoint`: an external OpenAI-compatible server through `pipelines.llm.LLMClient` (its
  request cache, retries and bounded concurrency); a `RemoteModelHandler`, so Beam adds
  client-side throttling when the server pushes back.
- `vllm`: Beam's `VLLMChatModelHandler` starts one vLLM server per worker VM, shared by the
  VM's SDK processes (one GPU per worker: `--dataflow_service_options worker_accelerator=...`),
  and the same client talks to it on localhost (see `vllm_handler.py`).

Either way each batch runs `pipelines.llm.run_llm_task`: rendering, structured output, the
strict retry and parse-failure rejects are the shared runner's. A row it rejects (request
failed, unparseable answer) becomes a reject row; a batch that raises goes to RunInference's
dead-letter output and every row of it becomes an `unexpected_error` reject. Both count as
failed rows in the tally the failure-ratio check reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import apache_beam as beam
import httpx
from apache_beam.ml.inference.base import PredictionResult, RemoteModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput

from pipelines import schemas
from pipelines.beam.adapter import REJECTS, TALLY, count_metrics, dead_letter_rejects, dead_letter_tally
from pipelines.beam.options import LLMOptions
from pipelines.llm import LLMClient, LLMSettings, RequestCache, TaskRun, run_llm_task_sync
from pipelines.llm.client import NO_ENDPOINT, ChatClient, LLMEndpoint

ANSWERS = "answers"


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
    stage = run.rejects[0]["stage"] if run.rejects else "llm"
    return {"stage": stage, "reason": "llm_no_outcome", "record_id": row.get("record_id"), "source_file": None,
            "source_row": None, "field": None, "message": "the LLM runner returned no answer and no reject", "raw": None}


def run_batch(task: str, batch, client: ChatClient) -> list[PredictionResult]:
    """The shared runner on one batch (it closes the client's connections: each batch has its own loop)."""
    run = run_llm_task_sync(list(batch), task, client)
    count_metrics(f"llm.{task}", {k: v for k, v in run.counters.items() if isinstance(v, int)})
    return answers_per_row(list(batch), run)


def _transient(exc: Exception) -> bool:
    # The client already retries HTTP failures; a batch is re-run only when the transport broke.
    return isinstance(exc, (OSError, httpx.TransportError))


class EndpointTaskHandler(RemoteModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from an external endpoint."""

    def __init__(self, task: str, settings: LLMSettings, *, batch_size: int = 32, cache_path: str | None = None,
                 client_factory: Callable[[], ChatClient] | None = None, num_retries: int = 2) -> None:
        super().__init__(namespace=f"meritgen.llm.{task}", num_retries=num_retries, retry_filter=_transient)
        self.task, self.settings, self.batch_size = task, settings, batch_size
        self.cache_path, self.client_factory = cache_path, client_factory

    def create_client(self) -> ChatClient:
        if self.client_factory is not None:
            return self.client_factory()
        return LLMClient(self.settings, RequestCache(self.cache_path) if self.cache_path else None)

    def request(self, batch, model, inference_args=None):
        return run_batch(self.task, batch, model)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": self.batch_size}


def make_task_handler(task: str, options: PipelineOptions, client_factory=None, endpoint: LLMEndpoint = NO_ENDPOINT):
    """The handler `--llm_backend` selects, configured from the LLM pipeline options over the
    environment's `endpoint` (read by the launcher at the edge: `pipelines.runners.cli.llm_endpoint`)."""
    opts = options.view_as(LLMOptions)
    overrides = {k: v for k, v in (("base_url", opts.llm_base_url), ("model", opts.llm_model)) if v}
    settings = endpoint.settings(**overrides)
    if opts.llm_backend == "vllm":
        from pipelines.beam.vllm_handler import VLLMTaskHandler  # needs vllm (and openai) on the workers

        return VLLMTaskHandler(task, settings.model, json.loads(opts.llm_vllm_server_kwargs),
                               batch_size=opts.llm_batch_size, cache_path=opts.llm_cache_path)
    return EndpointTaskHandler(task, settings, batch_size=opts.llm_batch_size, cache_path=opts.llm_cache_path,
                               client_factory=client_factory)


def route(result: PredictionResult, stage: str):
    """Answers to the main output, rejects to REJECTS; a tally per row for the failure check."""
    if "answer" in result.inference:
        yield {"row": result.example, "answer": result.inference["answer"]}
        yield TaggedOutput(TALLY, (stage, (1, 0)))
    else:
        yield TaggedOutput(REJECTS, result.inference["reject"])
        yield TaggedOutput(TALLY, (stage, (1, 1)))


def _describe_batch(batch):
    return [(row.get("record_id"), None, None) for row in batch]


class RunLLMTask(beam.PTransform):
    """Rows (the task's fields + a unique `record_id`) -> {ANSWERS: {row, answer}, REJECTS: tables, TALLY}."""

    def __init__(self, task: str, handler) -> None:
        super().__init__()
        self.task, self.handler = task, handler

    def expand(self, rows):
        results, dlq = rows | "Infer" >> RunInference(self.handler).with_exception_handling()
        routed = results | "Route" >> beam.FlatMap(route, self.task).with_outputs(REJECTS, TALLY, main=ANSWERS)
        reject_tables = (routed[REJECTS]
                         | "RejectBatches" >> beam.BatchElements(min_batch_size=1, max_batch_size=1000)
                         | "RejectTable" >> beam.Map(schemas.from_rows, "reject"))
        failed = dlq.failed_inferences
        dead = failed | "DeadLetterRejects" >> beam.FlatMap(dead_letter_rejects, self.task, _describe_batch)
        dead_tally = failed | "DeadLetterTally" >> beam.Map(dead_letter_tally, self.task, _describe_batch)
        return {ANSWERS: routed[ANSWERS],
                REJECTS: (reject_tables, dead) | "MergeRejects" >> beam.Flatten(),
                TALLY: (routed[TALLY], dead_tally) | "MergeTally" >> beam.Flatten()}

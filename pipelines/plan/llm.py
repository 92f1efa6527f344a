"""Wiring of the LLM stages: each step's call (and params) is an `LLMStepCall`: pure rows -> the
task -> pure apply.

Every request goes through pipelines/llm (bounded concurrency, retries on transport errors,
persistent cache keyed by the rendered request). The cache lives beside the runs, so a rerun,
a resumed run or another run in the same <out> never pays twice for the same request. Local and
Prefect runs call the step (one client, `llm.backend = "server"`); Beam finds these steps by the
params' type and runs the halves around RunInference (`pipelines/beam/llm_step.py`) with either backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.config import BuildConfig, LLMConfig
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint, LLMSettings
from pipelines.llm.step import LLMStepCall
from pipelines.llm.task import LLMTask
from pipelines.plan import llm_calls as calls
from pipelines.plan.step import Step, Streamed, planned
from pipelines.results import StageResult
from pipelines.shards import Shards
from pipelines.stages import llm_tasks, render
from pipelines.stages import personalize as personalize_stage
from pipelines.stages.llm_tasks import judge as judge_task
from pipelines.stages.llm_tasks import mine_attributes as mine_task
from pipelines.stages.llm_tasks import personalize as personalize_task
from pipelines.stages.llm_tasks import rewrite as rewrite_task
from pipelines.stages.llm_tasks import translate as translate_task

VERSION = "2"  # of this wiring; each step's version also names the stage modules it calls
# 2: answers checked like catalog text (llm/answer_checks.py), mined open values bounded like ingest's


def llm_settings(cfg: LLMConfig, vision: bool = False, endpoint: LLMEndpoint = NO_ENDPOINT) -> LLMSettings | None:
    """Settings from config, falling back to the environment's endpoint (read by the edge); None when
    no URL is known and no Beam worker serves the model (`llm.backend = "beam_vllm"` needs no URL)."""
    url = ((cfg.vlm_url or cfg.url) if vision else cfg.url) or endpoint.url
    if not url and cfg.backend == "server":
        return None  # no server known: the build stays offline
    model = cfg.vlm_model if vision else cfg.model
    return endpoint.settings(**({"base_url": url} if url else {}), **({"model": model} if model else {}),
                             max_in_flight=cfg.max_in_flight, timeout_s=cfg.timeout_s,
                             max_retries=cfg.max_retries, structured_output=cfg.structured_output,
                             max_answer_bytes=cfg.max_answer_bytes, step_deadline_s=cfg.step_deadline_s)


def task_call(cfg: LLMConfig, task: LLMTask, settings: LLMSettings, cache_path: Path, rows, apply) -> LLMStepCall:
    """A step's call (and params): its task module's `rows` and `apply`, bound to the build's config."""
    return LLMStepCall(task, settings, rows, apply, cache_path, cfg.backend)


def prompt_digest(task: str) -> str:
    prompt = llm_tasks.task(task).prompt()
    return f"{prompt.prompt_id}:{prompt.digest}:{prompt.as_strict().digest}"


@dataclass(frozen=True)
class PromptFiles:
    """The prompt files an LLM step's task reads by itself (`Step.reads`): their content is part of
    the step's fingerprint, read when the runner fingerprints it, never while planning."""

    task: str

    def content_digest(self) -> str:
        return prompt_digest(self.task)


def _llm_step(name: str, stages: tuple, inputs: dict, call: LLMStepCall, contracts: dict[str, str]) -> Step:
    """An LLM step: its call is its params (digested by its fields) and its task's prompt files are read by content."""
    return planned(name, stages, inputs, call, call, contracts, wiring=VERSION,
                   reads={"prompt": PromptFiles(call.task.name)})


def mine_steps(cfg: BuildConfig, vocab, cache_path: Path, attributes_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """VLM attribute mining (after the field/title miner), when enabled and a server is known."""
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.mine:
        return [], attributes_from
    mine = task_call(cfg.llm, mine_task.TASK, vision, cache_path,
                     calls.MineRows(vocab, cfg.ingest.max_attribute_chars), calls.MineApply())
    step = _llm_step("llm_mine", (llm_tasks,), {"products": ("ingest", "products"), "images": ("ingest", "images"),
                                                "attributes": attributes_from}, mine, {"attributes": "attribute"})
    return [step], ("llm_mine", "attributes")


def text_steps(cfg: BuildConfig, templates, cache_path: Path, queries_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """rewrite -> translate (text model), after render."""
    settings, steps = llm_settings(cfg.llm, endpoint=endpoint), []
    if settings is None:
        return steps, queries_from
    if cfg.llm.rewrite:
        rewrite = task_call(cfg.llm, rewrite_task.TASK, settings, cache_path, calls.RewriteRows(templates),
                            calls.RewriteApply())
        steps.append(_llm_step("rewrite", (llm_tasks, render), {"queries": queries_from}, rewrite, {"queries": "query"}))
        queries_from = ("rewrite", "queries")
    if cfg.llm.translate and set(cfg.render.languages) - {"en"}:
        translate = task_call(cfg.llm, translate_task.TASK, settings, cache_path,
                              calls.TranslateRows(tuple(cfg.render.languages)), calls.TranslateApply())
        steps.append(_llm_step("translate", (llm_tasks, render), {"queries": queries_from}, translate,
                               {"queries": "query"}))
        queries_from = ("translate", "queries")
    return steps, queries_from


def personalize_steps(cfg: BuildConfig, vocab, templates, cache_path: Path,
                      attributes_from, endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple, tuple]:
    """MERIT personalisation between compose and render; returns (steps, plans_from, attributes_from)."""
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.personalize:
        return [], ("compose", "plans"), attributes_from
    personalize = task_call(cfg.llm, personalize_task.TASK, vision, cache_path,
                            calls.PersonalizeRows(vocab, templates, tuple(cfg.compose.opt_in_conditions), cfg.seed),
                            calls.PersonalizeApply(vocab, cfg.compose.max_unverified_share))
    step = _llm_step("personalize", (personalize_stage, render),
                     {"plans": ("compose", "plans"), "images": ("ingest", "images"), "products": ("ingest", "products"),
                      "attributes": attributes_from}, personalize, {"plans": "query_plan", "attributes": "attribute"})
    return [step], ("personalize", "plans"), ("personalize", "attributes")


def judge_steps(cfg: BuildConfig, cache_path: Path, queries_from, attributes_from,
                endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.judge:
        return [], queries_from
    judge = task_call(cfg.llm, judge_task.TASK, vision, cache_path, calls.JudgeRows(), calls.JudgeApply())
    step = _llm_step("judge", (llm_tasks,), {"queries": queries_from, "images": ("ingest", "images"),
                                            "products": ("ingest", "products"), "attributes": attributes_from},
                     judge, {"queries": "query"})
    return [step], ("judge", "queries")


@dataclass(frozen=True)
class LanguageCheck:
    """The language_check step's call and params: langid agreement over `sample` rows per language."""

    sample: int = 1000

    def __call__(self, queries) -> StageResult:
        table = llm_tasks.language_agreement(queries, self.sample)
        counters = {f"langid_agreement_{r['language']}": round(r["agreement"], 4) for r in table.to_pylist()}
        return StageResult({"agreement": table}, counters=counters)

    def columns(self, queries: Shards):  # streamed: only the three columns it reads are held
        yield self(queries.columns(llm_tasks.AGREEMENT_COLUMNS))


def language_check_step(queries_from, batch_rows: int, sample: int = 1000) -> Step:
    check = LanguageCheck(sample)
    return planned("language_check", (llm_tasks,), {"queries": queries_from}, check, check,
                   {"agreement": "language_agreement"}, wiring=VERSION,
                   streamed=Streamed(check.columns, "queries", batch_rows))

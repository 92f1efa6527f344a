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
from pipelines.llm.step import Applied, LLMStepCall
from pipelines.llm.task import LLMTask
from pipelines.plan.step import Step, Streamed, digest, stage_version
from pipelines.results import StageResult
from pipelines.shards import Shards
from pipelines.stages import llm_tasks, render
from pipelines.stages import personalize as personalize_stage
from pipelines.stages.llm_tasks import judge as judge_task
from pipelines.stages.llm_tasks import mine_attributes as mine_task
from pipelines.stages.llm_tasks import personalize as personalize_task
from pipelines.stages.llm_tasks import rewrite as rewrite_task
from pipelines.stages.llm_tasks import translate as translate_task
from pipelines.stages.llm_tasks.options import vocabulary_options
from pipelines.stages.matching import Matcher
from pipelines.stages.render import render_text

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


def mine_steps(cfg: BuildConfig, vocab, cache_path: Path, attributes_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """VLM attribute mining (after the field/title miner), when enabled and a server is known."""
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.mine:
        return [], attributes_from

    def rows(products, images, attributes):
        return mine_task.rows(products, images, lambda category: vocabulary_options(vocab, category),
                              cfg.ingest.max_attribute_chars)

    def apply(parsed, products, images, attributes):
        return Applied({"attributes": mine_task.apply(attributes, products, parsed)})

    mine = task_call(cfg.llm, mine_task.TASK, vision, cache_path, rows, apply)

    step = Step("llm_mine", stage_version(VERSION, llm_tasks), {"products": ("ingest", "products"), "images": ("ingest", "images"),
                                          "attributes": attributes_from},
                    mine, digest(vision.model, vocab.digest,
                                       cfg.ingest.max_attribute_chars), {"attributes": "attribute"},
                params=mine, reads={"prompt": PromptFiles("mine_attributes")})
    return [step], ("llm_mine", "attributes")


def text_steps(cfg: BuildConfig, templates, cache_path: Path, queries_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """rewrite -> translate (text model), after render."""
    settings, steps = llm_settings(cfg.llm, endpoint=endpoint), []
    if settings is None:
        return steps, queries_from
    surfaces = templates.pack("en").lexicon["values"]

    rewrite = task_call(cfg.llm, rewrite_task.TASK, settings, cache_path,
                        lambda queries: rewrite_task.rows(queries, surfaces),
                        lambda parsed, queries: Applied({"queries": rewrite_task.apply(queries, parsed)}))
    translate = task_call(cfg.llm, translate_task.TASK, settings, cache_path,
                          lambda queries: translate_task.rows(queries, cfg.render.languages),
                          lambda parsed, queries: Applied({"queries": translate_task.apply(queries, parsed)}))

    if cfg.llm.rewrite:
        steps.append(Step("rewrite", stage_version(VERSION, llm_tasks, render), {"queries": queries_from}, rewrite,
                              digest(settings.model, templates.digest), {"queries": "query"},
                          params=rewrite, reads={"prompt": PromptFiles("rewrite")}))
        queries_from = ("rewrite", "queries")
    if cfg.llm.translate and set(cfg.render.languages) - {"en"}:
        steps.append(Step("translate", stage_version(VERSION, llm_tasks, render), {"queries": queries_from}, translate,
                              digest(settings.model), {"queries": "query"},
                          params=translate, reads={"prompt": PromptFiles("translate")}))
        queries_from = ("translate", "queries")
    return steps, queries_from


def personalize_steps(cfg: BuildConfig, vocab, templates, cache_path: Path,
                      attributes_from, endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple, tuple]:
    """MERIT personalisation between compose and render; returns (steps, plans_from, attributes_from)."""
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.personalize:
        return [], ("compose", "plans"), attributes_from
    english = templates.pack("en")

    def options_of(category):
        allowed = vocab.condition_attributes(category, cfg.compose.opt_in_conditions)
        return {a: f for a, f in vocabulary_options(vocab, category).items() if vocab.is_visual(a) and f and a in allowed}

    def rows(plans, images, products, attributes):
        text_of = lambda plan: render_text(plan, plan["conditions"], english, cfg.seed)  # noqa: E731
        return personalize_task.rows(plans, images, products, text_of, options_of, attributes,
                                     Matcher.from_vocabulary(vocab))

    def apply(parsed, plans, images, products, attributes):
        plans, attributes, log = personalize_task.apply(
            plans, attributes, parsed, products.num_rows, Matcher.from_vocabulary(vocab),
            products.select(["product_id", "category"]), cfg.compose.max_unverified_share)
        personalized = sum(bool(p) for p in plans.column("personalized_from").to_pylist())
        return Applied({"plans": plans, "attributes": attributes}, log.rows, {"personalized": personalized})

    personalize = task_call(cfg.llm, personalize_task.TASK, vision, cache_path, rows, apply)

    step = Step("personalize", stage_version(VERSION, personalize_stage, render), {"plans": ("compose", "plans"), "images": ("ingest", "images"),
                                             "products": ("ingest", "products"), "attributes": attributes_from},
                    personalize, digest(vision.model, vocab.digest, templates.digest,
                                        cfg.compose.max_unverified_share, cfg.compose.opt_in_conditions),
                    {"plans": "query_plan", "attributes": "attribute"},
                    params=personalize, reads={"prompt": PromptFiles("personalize")})
    return [step], ("personalize", "plans"), ("personalize", "attributes")


def judge_steps(cfg: BuildConfig, cache_path: Path, queries_from, attributes_from,
                endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.judge:
        return [], queries_from

    def apply(parsed, queries, images, products, attributes):
        kept, refused = judge_task.apply(queries, parsed)
        return Applied({"queries": kept}, refused, {"judged_no": len(refused), "queries_kept": kept.num_rows})

    judge = task_call(cfg.llm, judge_task.TASK, vision, cache_path, judge_task.rows, apply)

    step = Step("judge", stage_version(VERSION, llm_tasks), {"queries": queries_from, "images": ("ingest", "images"),
                                       "products": ("ingest", "products"), "attributes": attributes_from},
                    judge, digest(vision.model), {"queries": "query"},
                    params=judge, reads={"prompt": PromptFiles("judge")})
    return [step], ("judge", "queries")


def language_check_step(queries_from, batch_rows: int, sample: int = 1000) -> Step:
    def check(queries):
        table = llm_tasks.language_agreement(queries, sample)
        counters = {f"langid_agreement_{r['language']}": round(r["agreement"], 4) for r in table.to_pylist()}
        return StageResult({"agreement": table}, counters=counters)

    def check_columns(queries: Shards):  # streamed: only the three columns it reads are held
        yield check(queries.columns(llm_tasks.AGREEMENT_COLUMNS))

    return Step("language_check", stage_version(VERSION, llm_tasks), {"queries": queries_from}, check, digest(sample),
                {"agreement": "language_agreement"}, streamed=Streamed(check_columns, "queries", batch_rows))

"""Wiring of the LLM stages: one client and one request cache per step, pure halves around it.

Every request goes through pipelines/llm (bounded concurrency, retries on transport errors,
persistent cache keyed by the rendered request). The cache lives beside the runs, so a rerun,
a resumed run or another run in the same <out> never pays twice for the same request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines import schemas
from pipelines.config import BuildConfig, LLMConfig
from pipelines.llm.cache import RequestCache
from pipelines.llm.client import NO_ENDPOINT, LLMClient, LLMEndpoint, LLMSettings
from pipelines.llm.prompts import load_prompt, vocabulary_options
from pipelines.llm.runner import run_llm_task_sync
from pipelines.plan.step import Step, digest, stage_version
from pipelines.results import StageResult
from pipelines.stages import llm_tasks, render
from pipelines.stages import personalize as personalize_stage
from pipelines.stages.matching import Matcher
from pipelines.stages.personalize import apply_personalization, personalize_rows
from pipelines.stages.render import render_text

VERSION = "1"  # of this wiring; each step's version also names the stage modules it calls


@dataclass(frozen=True)
class LLMStepParams:
    """What an LLM step runs with: its prompt task, the server's settings and the request cache.

    A runner with an LLM transform of its own finds these steps by this type and `task`."""

    task: str
    settings: LLMSettings
    cache_path: Path


def llm_settings(cfg: LLMConfig, vision: bool = False, endpoint: LLMEndpoint = NO_ENDPOINT) -> LLMSettings | None:
    """Settings from config, falling back to the environment's endpoint (read by the edge); None when
    no URL is known."""
    url = ((cfg.vlm_url or cfg.url) if vision else cfg.url) or endpoint.url
    if not url:
        return None  # no server known: the build stays offline
    model = cfg.vlm_model if vision else cfg.model
    return endpoint.settings(base_url=url, **({"model": model} if model else {}), max_in_flight=cfg.max_in_flight, timeout_s=cfg.timeout_s,
                                max_retries=cfg.max_retries, structured_output=cfg.structured_output)


def run_task(rows: list[dict], task: str, settings: LLMSettings, cache_path: Path, progress: bool = True):
    # Commit every answer as it arrives (WAL, no fsync: microseconds), so a SIGKILL never loses
    # an answer that was paid for.
    cache = RequestCache(cache_path, commit_every=1)
    try:
        return run_llm_task_sync(rows, task, LLMClient(settings, cache=cache), progress=progress)
    finally:
        cache.close()


def _result(outputs: dict, run, settings: LLMSettings, extra_rejects: list[dict] = (), **counters) -> StageResult:
    rejects = schemas.from_rows(list(run.rejects) + list(extra_rejects), "reject")
    return StageResult(outputs, rejects, {**run.counters, "model": settings.model, **counters})


def prompt_digest(task: str) -> str:
    prompt = load_prompt(task)
    return f"{prompt.prompt_id}:{prompt.digest}:{prompt.as_strict().digest}"


def mine_steps(cfg: BuildConfig, vocab, cache_path: Path, attributes_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """VLM attribute mining (after the field/title miner), when enabled and a server is known."""
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.mine:
        return [], attributes_from

    def mine(products, images, attributes):
        rows = llm_tasks.mine_rows(products, images, lambda category: vocabulary_options(vocab, category))
        run = run_task(rows, "mine_attributes", vision, cache_path)
        return _result({"attributes": llm_tasks.merge_mined(attributes, products, run.parsed)}, run, vision)

    step = Step("llm_mine", stage_version(VERSION, llm_tasks), {"products": ("ingest", "products"), "images": ("ingest", "images"),
                                          "attributes": attributes_from},
                    mine, digest(vision.model, prompt_digest("mine_attributes"), vocab.digest), {"attributes": "attribute"},
                params=LLMStepParams("mine_attributes", vision, cache_path))
    return [step], ("llm_mine", "attributes")


def text_steps(cfg: BuildConfig, templates, cache_path: Path, queries_from,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    """rewrite -> translate (text model), after render."""
    settings, steps = llm_settings(cfg.llm, endpoint=endpoint), []
    if settings is None:
        return steps, queries_from
    surfaces = templates.pack("en").lexicon["values"]

    def rewrite(queries):
        run = run_task(llm_tasks.rewrite_rows(queries, surfaces), "rewrite", settings, cache_path)
        return _result({"queries": llm_tasks.apply_rewrites(queries, run.parsed)}, run, settings)

    def translate(queries):
        run = run_task(llm_tasks.translate_rows(queries, cfg.render.languages), "translate", settings, cache_path)
        return _result({"queries": llm_tasks.apply_translations(queries, run.parsed)}, run, settings)

    if cfg.llm.rewrite:
        steps.append(Step("rewrite", stage_version(VERSION, llm_tasks, render), {"queries": queries_from}, rewrite,
                              digest(settings.model, prompt_digest("rewrite"), templates.digest), {"queries": "query"},
                          params=LLMStepParams("rewrite", settings, cache_path)))
        queries_from = ("rewrite", "queries")
    if cfg.llm.translate and set(cfg.render.languages) - {"en"}:
        steps.append(Step("translate", stage_version(VERSION, llm_tasks, render), {"queries": queries_from}, translate,
                              digest(settings.model, prompt_digest("translate")), {"queries": "query"},
                          params=LLMStepParams("translate", settings, cache_path)))
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

    def personalize(plans, images, products, attributes):
        text_of = lambda plan: render_text(plan, plan["conditions"], english, cfg.seed)  # noqa: E731
        rows = personalize_rows(plans, images, products, text_of, options_of)
        run = run_task(rows, "personalize", vision, cache_path)
        plans, attributes, log = apply_personalization(
            plans, attributes, run.parsed, products.num_rows, Matcher.from_vocabulary(vocab),
            products.select(["product_id", "category"]), cfg.compose.max_unverified_share)
        return _result({"plans": plans, "attributes": attributes}, run, vision, log.rows,
                       personalized=sum(bool(p) for p in plans.column("personalized_from").to_pylist()))

    step = Step("personalize", stage_version(VERSION, personalize_stage, render), {"plans": ("compose", "plans"), "images": ("ingest", "images"),
                                             "products": ("ingest", "products"), "attributes": attributes_from},
                    personalize, digest(vision.model, prompt_digest("personalize"), vocab.digest, templates.digest,
                                        cfg.compose.max_unverified_share, cfg.compose.opt_in_conditions),
                    {"plans": "query_plan", "attributes": "attribute"},
                    params=LLMStepParams("personalize", vision, cache_path))
    return [step], ("personalize", "plans"), ("personalize", "attributes")


def judge_steps(cfg: BuildConfig, cache_path: Path, queries_from, attributes_from,
                endpoint: LLMEndpoint = NO_ENDPOINT) -> tuple[list, tuple]:
    vision = llm_settings(cfg.llm, vision=True, endpoint=endpoint)
    if vision is None or not cfg.llm.judge:
        return [], queries_from

    def judge(queries, images, products, attributes):
        run = run_task(llm_tasks.judge_rows(queries, images, products, attributes), "judge", vision, cache_path)
        kept, refused = llm_tasks.apply_verdicts(queries, run.parsed)
        return _result({"queries": kept}, run, vision, refused, judged_no=len(refused), queries_kept=kept.num_rows)

    step = Step("judge", stage_version(VERSION, llm_tasks), {"queries": queries_from, "images": ("ingest", "images"),
                                       "products": ("ingest", "products"), "attributes": attributes_from},
                    judge, digest(vision.model, prompt_digest("judge")), {"queries": "query"},
                    params=LLMStepParams("judge", vision, cache_path))
    return [step], ("judge", "queries")


def language_check_step(queries_from, sample: int = 1000) -> Step:
    def check(queries):
        table = llm_tasks.language_agreement(queries, sample)
        counters = {f"langid_agreement_{r['language']}": round(r["agreement"], 4) for r in table.to_pylist()}
        return StageResult({"agreement": table}, counters=counters)

    return Step("language_check", stage_version(VERSION, llm_tasks), {"queries": queries_from}, check, digest(sample),
                    {"agreement": "language_agreement"})

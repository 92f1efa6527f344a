"""The build as an explicit list of steps: which pure stage runs, on what, with which params.

`plan_build` is the one place that wires stages together; the local runner, the Prefect flow
and the Beam pipeline all read this plan, so there is one logic and three runners.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines import parallel, steps_llm, steps_retrieval
from pipelines.config import BuildConfig
from pipelines.io.catalog_reader import catalog_fingerprint, read_catalog
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.results import StageResult
from pipelines.stages import compose, export, ingest, mine, negatives, render, split
from pipelines.stages.matching import Matcher
from pipelines.templates import load_templates
from pipelines.vocabulary import load_vocabulary


@dataclass(frozen=True)
class Step:
    """One stage invocation. `inputs` maps the stage function's argument to (stage, output)."""

    name: str
    version: str
    inputs: dict[str, tuple[str, str]]
    call: Callable[..., StageResult] = field(repr=False)
    params_digest: str
    contracts: dict[str, str]
    # The input whose rows can be split into batches, the stage run per batch and the outputs
    # concatenated with the same result (other inputs are then side inputs). None: global step.
    shard_by: str | None = None


def digest(*parts) -> str:
    text = json.dumps([dataclasses.asdict(p) if dataclasses.is_dataclass(p) else p for p in parts],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_build(catalog: str | Path, cfg: BuildConfig, llm_cache: Path | None = None,
               endpoint: LLMEndpoint = NO_ENDPOINT) -> list[Step]:
    """ingest -> mine -> [llm_mine] -> compose -> [personalize] -> render -> [rewrite -> translate -> judge] ->
    language_check, negatives -> [index -> passages -> caption_filter -> retriever_negatives] ->
    split -> [difficulty] -> export. Bracketed steps depend on config (LLM server, retrieval).
    `endpoint`: the LLM server the environment names, read by the caller at the edge."""
    vocab = load_vocabulary(cfg.mine.vocabulary)
    templates = load_templates(cfg.render.templates, cfg.render.languages)
    catalog = Path(catalog)
    # Callers that have no <out> folder (Beam, tests) share one per-user cache rather than litter the cwd.
    default_cache = Path.home() / ".cache" / "meritgen" / "llm_cache.sqlite"
    cache = Path(cfg.llm.cache) if cfg.llm.cache else (llm_cache or default_cache)
    workers = parallel.worker_count(cfg.workers)
    steps = _catalog_steps(catalog, cfg, vocab)
    mined, attributes_from = steps_llm.mine_steps(cfg, vocab, cache, Step, digest, ("mine", "attributes"), endpoint)
    steps += mined
    steps.append(_compose_step(cfg, vocab, attributes_from, workers))
    personalized, plans_from, attributes_from = steps_llm.personalize_steps(
        cfg, vocab, templates, cache, Step, digest, attributes_from, endpoint)
    steps += personalized
    render_params = render.RenderParams(cfg.render, templates, cfg.seed)
    steps.append(Step("render", render.VERSION, {"plans": plans_from},
                      lambda plans: render.render_queries(plans, render_params),
                      digest(cfg.render, templates.digest, cfg.seed), {"queries": "query"}, shard_by="plans"))
    text, queries_from = steps_llm.text_steps(cfg, templates, cache, Step, digest, ("render", "queries"), endpoint)
    judged, queries_from = steps_llm.judge_steps(cfg, cache, Step, digest, queries_from, attributes_from, endpoint)
    steps += text + judged
    steps.append(steps_llm.language_check_step(cfg, Step, digest, queries_from))
    neg_params = negatives.NegativesParams(cfg.negatives, cfg.seed, Matcher.from_vocabulary(vocab))
    steps.append(Step("negatives", negatives.VERSION,
                      {"queries": queries_from, "products": ("ingest", "products"), "attributes": attributes_from,
                       "families": ("mine", "families")},
                      lambda queries, products, attributes, families: parallel.mine_overlap_negatives(
                          queries, products, attributes, families, neg_params, workers),
                      digest(cfg.negatives, cfg.seed, vocab.digest), {"queries": "query"}, shard_by="queries"))
    queries_from = ("negatives", "queries")
    if cfg.retrieval.enabled:
        steps += steps_retrieval.retrieval_steps(cfg, queries_from, attributes_from, Step, digest)
        queries_from = ("retriever_negatives", "queries")
    split_params = split.SplitParams(cfg.split, cfg.seed)
    # Global: a query's side depends on every query sharing a product with it.
    steps.append(Step("split", split.VERSION, {"queries": queries_from, "products": ("ingest", "products")},
                      lambda queries, products: split.assign_split(queries, split_params, products),
                      digest(cfg.split, cfg.seed), {"queries": "query", "product_splits": "product_split"}))
    if cfg.retrieval.enabled:
        steps.append(steps_retrieval.difficulty_step(cfg, Step, digest))
    steps.append(_export_step(cfg, steps, attributes_from))
    return steps


def _catalog_steps(catalog: Path, cfg: BuildConfig, vocab) -> list[Step]:
    ingest_params = ingest.IngestParams(cfg.ingest, vocab, cfg.catalog.default_language)
    mine_params = mine.MineParams(cfg.mine, vocab)
    return [
        Step("ingest", ingest.VERSION, {},
             lambda: ingest.validate_catalog(read_catalog(catalog, cfg.catalog), ingest_params),
             digest(cfg.catalog, cfg.ingest, vocab.digest, catalog_fingerprint(catalog, cfg.catalog)),
             {"products": "product", "images": "image"}),
        Step("mine", mine.VERSION, {"products": ("ingest", "products")},
             lambda products: mine.mine_attributes(products, mine_params),
             digest(cfg.mine, vocab.digest), {"attributes": "attribute", "families": "family", "aliases": "alias"}),
    ]


def _compose_step(cfg: BuildConfig, vocab, attributes_from, workers: int) -> Step:
    compose_params = compose.ComposeParams(cfg.compose, vocab, cfg.seed)
    return Step("compose", compose.VERSION,
                {"products": ("ingest", "products"), "attributes": attributes_from, "families": ("mine", "families")},
                lambda products, attributes, families: parallel.compose_queries(
                    products, attributes, families, compose_params, workers),
                digest(cfg.compose, vocab.digest, cfg.seed), {"plans": "query_plan"})


def _export_step(cfg: BuildConfig, steps: list[Step], attributes_from) -> Step:
    inputs = {"products": ("ingest", "products"), "images": ("ingest", "images"), "attributes": attributes_from,
              "queries": ("split", "queries"), "product_splits": ("split", "product_splits")}
    if cfg.retrieval.enabled:
        inputs["difficulty"] = ("difficulty", "report")
    versions = tuple((s.name, s.version) for s in steps) + (("export", export.VERSION),)
    params = export.ExportParams(stage_versions=versions, merit_country=cfg.export.merit_country)
    return Step("export", export.VERSION, inputs, lambda **tables: export.prepare_export(params=params, **tables),
                digest(cfg.export, versions), {"products": "export_product", "queries": "query"})


def input_tables(step: Step, read: Callable[[str, str], pa.Table]) -> dict[str, pa.Table]:
    return {arg: read(stage, output) for arg, (stage, output) in step.inputs.items()}

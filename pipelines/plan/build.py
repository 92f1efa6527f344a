"""The build as an explicit list of steps: which pure stage runs, on what, with which params.

`plan_build` is the one place that wires stages together; the local runner, the Prefect flow
and the Beam pipeline all read this plan, so there is one logic and three runners. Planning
reads no file: the caller (runner) loads the resources (`io/build_resources.py`) and passes them
and the catalog's fingerprint in. Each step is `planned` from the stage modules it calls and its
params, which derive its version and digest.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.config import BuildConfig
from pipelines.io import layout
from pipelines.io.build_resources import BuildResources
from pipelines.io.inputs import CatalogFile
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.plan import llm, retrieval
from pipelines.plan.step import Step, Streamed, planned
from pipelines.stages import compose, export, ingest, mine, negatives, render, split
from pipelines.stages.matching import Matcher
from pipelines.stages.phrasing import kind_nouns
from pipelines.stages.value_words import value_words
from pipelines.vocab.buildable import require_complete


def plan_build(catalog: str | Path, cfg: BuildConfig, resources: BuildResources, llm_cache: Path | None = None,
               endpoint: LLMEndpoint = NO_ENDPOINT, catalog_fingerprint: str = "") -> list[Step]:
    """ingest -> mine -> [llm_mine] -> compose -> [personalize] -> render -> [rewrite -> translate -> judge] ->
    language_check, negatives -> [index -> passages -> caption_filter -> retriever_negatives] ->
    split -> [difficulty] -> export. Bracketed steps depend on config (LLM server, retrieval).
    `resources`: the vocabulary and templates `cfg` names, loaded by the caller (`load_resources`).
    `endpoint`: the LLM server the environment names, read by the caller at the edge.
    `catalog_fingerprint`: `io.catalog_reader.catalog_fingerprint` of the catalog, computed by the
    runner (part of ingest's fingerprint; a runner that never resumes may leave it empty)."""
    vocab, templates = resources.vocabulary, resources.templates
    require_complete(vocab, templates, cfg.render.languages)  # refused here, before any stage runs
    # Callers that have no <out> folder (Beam, tests) share one per-user cache rather than litter the cwd.
    default_cache = Path.home() / ".cache" / "meritgen" / layout.LLM_CACHE_FILE
    cache = Path(cfg.llm.cache) if cfg.llm.cache else (llm_cache or default_cache)
    steps = _catalog_steps(str(catalog), cfg, vocab, catalog_fingerprint)
    mined, attributes_from = llm.mine_steps(cfg, vocab, cache, ("mine", "attributes"), endpoint)
    steps += mined
    steps.append(_compose_step(cfg, vocab, attributes_from))
    personalized, plans_from, attributes_from = llm.personalize_steps(cfg, vocab, templates, cache, attributes_from, endpoint)
    steps += personalized
    lexicons = {lang: templates.pack(lang).lexicon for lang in cfg.render.languages}
    named_kinds = kind_nouns({"en": templates.pack("en").lexicon, **lexicons}, vocab.categories_of_types())
    render_params = render.RenderParams(cfg.render, templates, cfg.seed, value_words(lexicons, vocab.data), named_kinds)
    steps.append(planned("render", (render,), {"plans": plans_from},
                         lambda plans: render.render_queries(plans, render_params),
                         render_params, {"queries": "query"}, shard_by="plans"))
    text, queries_from = llm.text_steps(cfg, templates, cache, ("render", "queries"), endpoint)
    judged, queries_from = llm.judge_steps(cfg, cache, queries_from, attributes_from, endpoint)
    steps += text + judged
    steps.append(llm.language_check_step(queries_from, cfg.batch_rows))
    steps.append(_negatives_step(cfg, vocab, queries_from, attributes_from))
    queries_from = ("negatives", "queries")
    if cfg.retrieval.enabled:
        steps += retrieval.retrieval_steps(cfg, vocab, queries_from, attributes_from)
        queries_from = ("retriever_negatives", "queries")
    split_params = split.SplitParams(cfg.split, cfg.seed)
    # Global: a query's side depends on every query sharing a product with it.
    steps.append(planned("split", (split,), {"queries": queries_from, "products": ("ingest", "products")},
                         lambda queries, products: split.assign_split(queries, split_params, products),
                         split_params, {"queries": "query", "product_splits": "product_split"}, streamed=Streamed(
                          lambda queries, products: split.split_stream(queries, split_params, products),
                          "queries", cfg.batch_rows)))
    if cfg.retrieval.enabled:
        steps.append(retrieval.difficulty_step(cfg, vocab))
    steps.append(_export_step(cfg, steps, attributes_from))
    return steps


PRODUCT_BATCH_ROWS = 10_000  # the most catalog rows a streamed catalog step (ingest, mine) holds at a time


def _catalog_steps(catalog: str, cfg: BuildConfig, vocab, catalog_fingerprint: str) -> list[Step]:
    ingest_params = ingest.IngestParams(cfg.ingest, vocab, cfg.catalog.default_language)
    mine_params = mine.MineParams(cfg.mine, vocab)
    # A product row weighs far more than a query row (ingest: its image bytes; mine: its facts as Python values)
    product_rows = min(cfg.batch_rows, PRODUCT_BATCH_ROWS)
    return [
        planned("ingest", (ingest,), {}, lambda rows: ingest.validate_catalog(rows, ingest_params), ingest_params,
                {"products": "product", "images": "image"},
                files={"rows": CatalogFile(catalog, cfg.catalog, catalog_fingerprint)},
                streamed=Streamed(lambda rows: ingest.validate_stream(rows, ingest_params), "rows", product_rows)),
        planned("mine", (mine,), {"products": ("ingest", "products")},
                lambda products: mine.mine_attributes(products, mine_params), mine_params, mine.CONTRACTS,
                streamed=Streamed(lambda products: mine.mine_stream(products, mine_params), "products", product_rows)),
    ]


def _compose_step(cfg: BuildConfig, vocab, attributes_from) -> Step:
    """Serial here; the local runner spreads its attempts over processes (runners/parallel.py)."""
    compose_params = compose.ComposeParams(cfg.compose, vocab, cfg.seed)
    return planned("compose", (compose,),
                   {"products": ("ingest", "products"), "attributes": attributes_from, "families": ("mine", "families")},
                   lambda products, attributes, families: compose.compose_queries(
                       products, attributes, families, compose_params),
                   compose_params, {"plans": "query_plan"})


def _negatives_step(cfg: BuildConfig, vocab, queries_from, attributes_from) -> Step:
    """Serial here; the local runner spreads its base queries over processes (runners/parallel.py)."""
    neg_params = negatives.NegativesParams(cfg.negatives, cfg.seed, Matcher.from_vocabulary(vocab))
    return planned("negatives", (negatives,),
                   {"queries": queries_from, "products": ("ingest", "products"), "attributes": attributes_from,
                    "families": ("mine", "families")},
                   lambda queries, products, attributes, families: negatives.mine_overlap_negatives(
                       queries, products, attributes, families, neg_params),
                   neg_params, {"queries": "query"}, shard_by="queries")


def _export_step(cfg: BuildConfig, steps: list[Step], attributes_from) -> Step:
    inputs = {"products": ("ingest", "products"), "images": ("ingest", "images"), "attributes": attributes_from,
              "queries": ("split", "queries"), "product_splits": ("split", "product_splits")}
    if cfg.retrieval.enabled:
        inputs["difficulty"] = ("difficulty", "report")
    versions = tuple((s.name, s.version) for s in steps) + (("export", export.VERSION),)
    params = export.ExportParams(stage_versions=versions, merit_country=cfg.export.merit_country)
    # settings: the runner's export writer lays the files out as `export` says (shards, row groups, MERIT layout)
    return planned("export", (export,), inputs, lambda **tables: export.prepare_export(params=params, **tables),
                   params, {"products": "export_product", "queries": "query"}, settings=(cfg.export,),
                   streamed=Streamed(lambda **tables: export.export_stream(params=params, **tables), "queries",
                                     cfg.batch_rows))

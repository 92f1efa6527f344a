"""Wiring of the retrieval stages: the plan builds search handlers from the config and passes them.

The `index` step builds BM25 (and dense, when a model is configured) over the product corpus
and stores what rebuilds them (tokens, vectors) as Parquet; later steps hand those tables and
the handlers (`retrieval/handler.py`) to the pure calls of `stages/retrieval_calls.py`, which
load each index once and decide what to search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from pipelines.config import BuildConfig
from pipelines.io.inputs import ParquetFile
from pipelines.plan.step import PerShard, Step, Streamed, digest, stage_version, worker_count
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, DenseConfig
from pipelines.retrieval.handler import IndexHandler, TextsHandler
from pipelines.shards import TableShards, collect
from pipelines.stages import caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages import retrieval_calls as calls
from pipelines.stages.matching import Matcher
from pipelines.stages.search_hits import RetrievalParams
from pipelines.vocab.vocabulary import load_vocabulary

VERSION = "1"  # of this wiring; stage_version adds the stage modules' own


def build_indexes(products: pa.Table, cfg: BuildConfig) -> StageResult:
    """The index step's call: BM25 (and dense, when a model is configured) over the product corpus."""
    return calls.build_indexes(products, search_handlers(cfg))


def retrieval_steps(cfg: BuildConfig, queries_from: tuple[str, str], attributes_from: tuple[str, str]) -> list[Step]:
    """index -> passages -> caption_filter -> retriever_negatives, reading queries from `queries_from`.

    The three query steps are sharded by base query (`shard_by`, `per_shard`: Beam spreads their
    batches over workers, the index and catalog tables side inputs). Each step's params are the whole config (its call reads `retrieval`, `negatives`, `seed`, `workers`)."""
    r = cfg.retrieval
    idx = {"bm25": ("index", "bm25"), "dense": ("index", "dense")}
    cat = {"products": ("ingest", "products"), "attributes": attributes_from}
    corpus = {"passage_corpus": ParquetFile(r.passage_corpus, ("passage_id", "text"))} if r.passage_corpus else {}
    return [
        Step("index", stage_version(VERSION, passages), {"products": ("ingest", "products")},
             lambda products: build_indexes(products, cfg), digest(r.dense_model, r.bm25_backend), {}, params=cfg),
        Step("passages", stage_version(VERSION, passages), {"queries": queries_from, "products": ("ingest", "products"),
                                                             "corpus": ("index", "corpus"), **idx},
             lambda **t: make_passages(cfg=cfg, **t),
             digest(r.dense_model, r.bm25_backend, r.passages_k, r.passage_corpus, cfg.seed, r.category_local), {"queries": "query", "passages": "passage"},
             params=cfg, files=corpus, streamed=_streamed(calls.passages_stream, _passage_search, cfg), shard_by="queries",
             per_shard=PerShard(_Wired(calls.passages_batches, _passage_search, cfg))),
        Step("caption_filter", stage_version(VERSION, caption_filter), {"queries": ("passages", "queries"), **cat, **idx},
             lambda **t: filter_captions(cfg=cfg, **t), digest(r.filter_retriever, r.filter_top_k, r.dense_model, r.bm25_backend,
                                                                r.keep_image_blind, r.category_local, r.negatives_depth),
             {"queries": "query", "caption_checks": "caption_check", "captions": "caption", "variants": "caption_variant",
              "shared_hits": "hits"},
             params=cfg, streamed=_streamed(calls.caption_filter_stream, _searching, cfg), shard_by="queries",
             per_shard=PerShard(_Wired(calls.caption_filter_batches, _searching, cfg),
                                _Wired(calls.caption_filter_once, _searching, cfg), ("captions",),
                                calls.caption_filter_counters)),
        Step("retriever_negatives", stage_version(VERSION, retriever_negatives),
             {"queries": ("caption_filter", "queries"), "variants": ("caption_filter", "variants"),
              "shared_hits": ("caption_filter", "shared_hits"), **cat, **idx},
             lambda **t: add_negatives(cfg=cfg, **t),
             digest(r.negatives_per_query, cfg.negatives.per_query, r.negatives_depth, r.max_score_ratio, r.dense_model,
                    r.bm25_backend, load_vocabulary(cfg.mine.vocabulary).digest, r.category_local),
             {"queries": "query"}, params=cfg, streamed=_streamed(calls.retriever_negatives_stream, _negative_search, cfg), shard_by="queries",
             per_shard=PerShard(_Wired(calls.retriever_negatives_batches, _negative_search, cfg))),
    ]


def difficulty_step(cfg: BuildConfig) -> Step:
    r = cfg.retrieval
    return Step("difficulty", stage_version(VERSION, difficulty, caption_filter),
                {"queries": ("split", "queries"), "captions": ("caption_filter", "captions"),
                 "bm25": ("index", "bm25"), "dense": ("index", "dense"), "product_splits": ("split", "product_splits")},
                lambda **t: measure_difficulty(cfg=cfg, **t), digest(r.difficulty_split, r.dense_model, r.bm25_backend),
                {"report": "difficulty"}, params=cfg, streamed=_streamed(calls.difficulty_stream, _searching, cfg))


def search_handlers(cfg: BuildConfig) -> dict[str, IndexHandler]:
    """The index step's retrievers as search handlers, by the name of the index output holding
    their vectors: BM25 always, dense when a model is configured (a stage searches the ones it needs)."""
    # `workers` cores for bm25s's top-k: numpy releases the GIL, numba runs its queries in a
    # parallel loop. Each query is scored on its own, so the hits do not depend on the count.
    r = cfg.retrieval
    handlers = {"bm25": IndexHandler(BM25Config(show_progress=False, backend=r.bm25_backend,
                                                n_threads=worker_count(cfg.workers)))}
    if r.dense_model:
        handlers["dense"] = IndexHandler(DenseConfig(model=r.dense_model))
    return handlers


def _searching(cfg: BuildConfig) -> dict:
    """What every retrieval call is given: its search handlers and the config it reads."""
    return {"handlers": search_handlers(cfg), "params": RetrievalParams(cfg.retrieval, cfg.seed, cfg.negatives.per_query)}


def _passage_search(cfg: BuildConfig) -> dict:
    """Passages also get the handler of a user's passage corpus (`retrieval.passage_corpus`, a file input)."""
    return {**_searching(cfg), "corpus_handler": TextsHandler(BM25Config(show_progress=False))}


def _negative_search(cfg: BuildConfig) -> dict:
    """Retriever negatives also get the vocabulary's matcher (read when the call is made, where the step runs)."""
    return {**_searching(cfg), "matcher": Matcher.from_vocabulary(load_vocabulary(cfg.mine.vocabulary))}


def make_passages(queries, products, corpus, bm25, dense, cfg: BuildConfig, passage_corpus=None) -> StageResult:
    """MIRe: the positive's description, hidden among top-k passages retrieved with it.

    `passage_corpus`: the `retrieval.passage_corpus` table (loaded by the runner), when configured."""
    return collect(calls.passages_stream(TableShards(queries), products, corpus, bm25, dense,
                                         passage_corpus=passage_corpus, **_passage_search(cfg)))


def filter_captions(queries, products, attributes, bm25, dense, cfg: BuildConfig) -> StageResult:
    """Drop base queries a text-only retriever solves when images are replaced by captions."""
    return collect(calls.caption_filter_stream(TableShards(queries), products, attributes, bm25, dense, **_searching(cfg)))


def add_negatives(queries, products, attributes, variants, bm25, dense, cfg: BuildConfig, shared_hits=None) -> StageResult:
    """Near neighbours a retriever confuses, found from the caption-substituted English text."""
    return collect(calls.retriever_negatives_stream(TableShards(queries), products, attributes, variants, bm25, dense,
                                                    shared_hits=shared_hits, **_negative_search(cfg)))


def measure_difficulty(queries, captions, bm25, dense, cfg: BuildConfig, product_splits=None) -> StageResult:
    """R@k / MRR of each text-only baseline on the test split over its own product pool: captions vs images removed."""
    return collect(calls.difficulty_stream(TableShards(queries), captions, bm25, dense,
                                           product_splits=product_splits, **_searching(cfg)))


@dataclass(frozen=True)
class _Wired:
    """`call` given what `wiring(cfg)` makes, made when it is called: where the step runs (a Beam
    worker's cores). A plain object of module-level functions, so it pickles for worker processes."""

    call: Callable
    wiring: Callable[[BuildConfig], dict]
    cfg: BuildConfig

    def __call__(self, **tables):
        return self.call(**tables, **self.wiring(self.cfg))


def _streamed(stream, wiring, cfg: BuildConfig) -> Streamed:
    """The step's streamed form: its query table in batches of `batch_rows` (runners/streamed.py)."""
    return Streamed(_Wired(stream, wiring, cfg), "queries", cfg.batch_rows)

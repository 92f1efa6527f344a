"""Wiring of the retrieval stages: the plan builds search handlers from the step's params and passes them.

The `index` step builds BM25 (and dense, when a model is configured) over the product corpus
and stores what rebuilds them (tokens, vectors) as Parquet; later steps hand those tables and
the handlers (`retrieval/handler.py`) to the pure calls of `stages/retrieval_calls.py`, which
load each index once and decide what to search. Each step's params (`plan/retrieval_params.py`)
hold exactly what its call reads; its digest derives from them (`plan.step.planned`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from pipelines.config import BuildConfig, worker_count
from pipelines.plan.retrieval_params import (
    IndexParams,
    RetrievalStepParams,
    index_params,
    retrieval_params,
    with_corpus,
)
from pipelines.plan.step import PerShard, Step, Streamed, planned
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, DenseConfig
from pipelines.retrieval.handler import IndexHandler, TextsHandler
from pipelines.shards import TableShards, collect
from pipelines.stages import caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages import retrieval_calls as calls
from pipelines.stages.matching import Matcher
from pipelines.vocab.vocabulary import Vocabulary

VERSION = "1"  # of this wiring; stage_version adds the stage modules' own


def build_indexes(products: pa.Table, params: IndexParams) -> StageResult:
    """The index step's call: BM25 (and dense, when a model is configured) over the product corpus."""
    return calls.build_indexes(products, search_handlers(params.bm25_backend, params.dense_model, 0))


def retrieval_steps(cfg: BuildConfig, vocab: Vocabulary, queries_from: tuple[str, str],
                    attributes_from: tuple[str, str]) -> list[Step]:
    """index -> passages -> caption_filter -> retriever_negatives, reading queries from `queries_from`.

    The three query steps are sharded by base query (`shard_by`, `per_shard`: Beam spreads their
    batches over workers, the local runner over its pool, the index and catalog tables side inputs).
    Their params are a `RetrievalStepParams` (what their calls read), the index's an `IndexParams`."""
    idx = {"bm25": ("index", "bm25"), "dense": ("index", "dense")}
    cat = {"products": ("ingest", "products"), "attributes": attributes_from}
    index, params = index_params(cfg), retrieval_params(cfg, vocab)
    with_file = with_corpus(params, cfg)
    return [
        planned("index", (passages,), {"products": ("ingest", "products")},
                lambda products: build_indexes(products, index), index, {}, wiring=VERSION),
        planned("passages", (passages,), {"queries": queries_from, "products": ("ingest", "products"),
                                          "corpus": ("index", "corpus"), **idx},
                partial(make_passages, cfg=with_file), with_file,
                {"queries": "query", "passages": "passage"}, wiring=VERSION,
                streamed=_streamed(calls.passages_stream, _passage_search, with_file, cfg.batch_rows), shard_by="queries",
                per_shard=PerShard(_Wired(calls.passages_batches, _passage_search, with_file))),
        planned("caption_filter", (caption_filter,), {"queries": ("passages", "queries"), **cat, **idx},
                partial(filter_captions, cfg=params), params,
                {"queries": "query", "caption_checks": "caption_check", "captions": "caption",
                 "variants": "caption_variant", "shared_hits": "hits"},
                wiring=VERSION, streamed=_streamed(calls.caption_filter_stream, _searching, params, cfg.batch_rows),
                shard_by="queries",
                per_shard=PerShard(_Wired(calls.caption_filter_batches, _searching, params),
                                   _Wired(calls.caption_filter_once, _searching, params), ("captions",),
                                   calls.caption_filter_counters)),
        planned("retriever_negatives", (retriever_negatives,),
                {"queries": ("caption_filter", "queries"), "variants": ("caption_filter", "variants"),
                 "shared_hits": ("caption_filter", "shared_hits"), **cat, **idx},
                partial(add_negatives, cfg=params), params, {"queries": "query"},
                wiring=VERSION,
                streamed=_streamed(calls.retriever_negatives_stream, _negative_search, params, cfg.batch_rows),
                shard_by="queries", per_shard=PerShard(_Wired(calls.retriever_negatives_batches, _negative_search, params),
                                                       python_bound=True)),  # it reuses the filter's hits
    ]


def difficulty_step(cfg: BuildConfig, vocab: Vocabulary) -> Step:
    params = retrieval_params(cfg, vocab)
    return planned("difficulty", (difficulty, caption_filter),
                   {"queries": ("split", "queries"), "captions": ("caption_filter", "captions"),
                    "bm25": ("index", "bm25"), "dense": ("index", "dense"), "product_splits": ("split", "product_splits")},
                   partial(measure_difficulty, cfg=params), params, {"report": "difficulty"},
                   wiring=VERSION, streamed=_streamed(calls.difficulty_stream, _searching, params, cfg.batch_rows))


def search_handlers(bm25_backend: str, dense_model: str, workers: int) -> dict[str, IndexHandler]:
    """The index step's retrievers as search handlers, by the name of the index output holding
    their vectors: BM25 always, dense when a model is configured (a stage searches the ones it needs)."""
    # `workers` cores for bm25s's top-k: numpy releases the GIL, numba runs its queries in a
    # parallel loop. Each query is scored on its own, so the hits do not depend on the count.
    handlers = {"bm25": IndexHandler(BM25Config(show_progress=False, backend=bm25_backend,
                                                n_threads=worker_count(workers)))}
    if dense_model:
        handlers["dense"] = IndexHandler(DenseConfig(model=dense_model))
    return handlers


def _searching(params: RetrievalStepParams) -> dict:
    """What every retrieval call is given: its search handlers and the settings it reads."""
    r = params.search.retrieval
    return {"handlers": search_handlers(r.bm25_backend, r.dense_model, params.workers), "params": params.search}


def _passage_search(params: RetrievalStepParams) -> dict:
    """Passages also get the handler of a user's passage corpus (`retrieval.passage_corpus`, a file input)."""
    return {**_searching(params), "corpus_handler": TextsHandler(BM25Config(show_progress=False))}


def _negative_search(params: RetrievalStepParams) -> dict:
    """Retriever negatives also get the vocabulary's matcher."""
    return {**_searching(params), "matcher": Matcher.from_vocabulary(params.vocabulary)}


def make_passages(queries, products, corpus, bm25, dense, cfg: RetrievalStepParams, passage_corpus=None) -> StageResult:
    """MIRe: the positive's description, hidden among top-k passages retrieved with it (the passages
    step's whole-table call). `passage_corpus`: the `retrieval.passage_corpus` table, when configured."""
    return collect(calls.passages_stream(TableShards(queries), products, corpus, bm25, dense,
                                         passage_corpus=passage_corpus, **_passage_search(cfg)))


def filter_captions(queries, products, attributes, bm25, dense, cfg: RetrievalStepParams) -> StageResult:
    """Drop base queries a text-only retriever solves when images are replaced by captions."""
    return collect(calls.caption_filter_stream(TableShards(queries), products, attributes, bm25, dense, **_searching(cfg)))


def add_negatives(queries, products, attributes, variants, bm25, dense, cfg: RetrievalStepParams,
                  shared_hits=None) -> StageResult:
    """Near neighbours a retriever confuses, found from the caption-substituted English text."""
    return collect(calls.retriever_negatives_stream(TableShards(queries), products, attributes, variants, bm25, dense,
                                                    shared_hits=shared_hits, **_negative_search(cfg)))


def measure_difficulty(queries, captions, bm25, dense, cfg: RetrievalStepParams, product_splits=None) -> StageResult:
    """R@k / MRR of each text-only baseline on the test split over its own product pool."""
    return collect(calls.difficulty_stream(TableShards(queries), captions, bm25, dense,
                                           product_splits=product_splits, **_searching(cfg)))


@dataclass(frozen=True)
class _Wired:
    """`call` given what `wiring(params)` makes, made when it is called: where the step runs (a Beam
    worker's cores). A plain object of module-level functions, so it pickles for worker processes."""

    call: Callable
    wiring: Callable[[RetrievalStepParams], dict]
    params: RetrievalStepParams

    def __call__(self, **tables):
        return self.call(**tables, **self.wiring(self.params))


def _streamed(stream, wiring, params: RetrievalStepParams, batch_rows: int) -> Streamed:
    """The step's streamed form: its query table in batches of `batch_rows` (runners/streamed.py)."""
    return Streamed(_Wired(stream, wiring, params), "queries", batch_rows)

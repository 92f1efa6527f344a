"""Wiring of the retrieval stages: indexes are built and searched here, stages stay pure.

The `index` step builds BM25 (and dense, when a model is configured) over the product corpus
and stores what rebuilds them (tokens, vectors) as Parquet; later steps reload them, run the
searches a stage needs and hand the hits tables to the pure stage functions.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.config import BuildConfig
from pipelines.plan.retrieval_calls import (
    add_negatives,
    caption_filter_batches,
    caption_filter_counters,
    caption_filter_once,
    caption_filter_stream,
    difficulty_stream,
    filter_captions,
    make_passages,
    measure_difficulty,
    passages_batches,
    passages_stream,
    retriever_negatives_batches,
    retriever_negatives_stream,
)
from pipelines.plan.retrieval_params import IndexParams, RetrievalParams, index_params, retrieval_params, with_corpus
from pipelines.plan.step import PerShard, Step, Streamed, planned
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, BM25Index, DenseConfig, DenseIndex
from pipelines.stages import caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages.passages import product_corpus
from pipelines.vocabulary import Vocabulary

VERSION = "1"  # of this wiring; stage_version adds the stage modules' own
EMPTY_VECTORS = pa.table({"id": pa.array([], pa.string())})


def build_indexes(products: pa.Table, params: IndexParams) -> StageResult:
    corpus = product_corpus(products)
    bm25 = BM25Index(BM25Config(show_progress=False, backend=params.bm25_backend))
    bm25.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
    outputs = {"corpus": corpus, "bm25": bm25.vectors(), "dense": EMPTY_VECTORS}
    if params.dense_model:
        dense = DenseIndex(DenseConfig(model=params.dense_model))
        dense.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
        outputs["dense"] = dense.vectors()
    return StageResult(outputs=outputs, counters={"documents": corpus.num_rows, "dense": int(bool(params.dense_model))})


def retrieval_steps(cfg: BuildConfig, vocab: Vocabulary, queries_from: tuple[str, str],
                    attributes_from: tuple[str, str]) -> list[Step]:
    """index -> passages -> caption_filter -> retriever_negatives, reading queries from `queries_from`.

    The three query steps are sharded by base query (`shard_by`, `per_shard`: Beam spreads their
    batches over workers, the index and catalog tables side inputs). Their params are a
    `RetrievalParams` (what their calls read), the index's an `IndexParams`; digests derive from them."""
    idx = {"bm25": ("index", "bm25"), "dense": ("index", "dense")}
    cat = {"products": ("ingest", "products"), "attributes": attributes_from}
    index, params = index_params(cfg), retrieval_params(cfg, vocab)
    with_file = with_corpus(params, cfg)
    return [
        planned("index", (passages,), {"products": ("ingest", "products")},
                lambda products: build_indexes(products, index), index, {}, wiring=VERSION),
        planned("passages", (passages,), {"queries": queries_from, "products": ("ingest", "products"),
                                          "corpus": ("index", "corpus"), **idx},
                lambda **t: make_passages(cfg=with_file, **t), with_file, {"queries": "query", "passages": "passage"},
                wiring=VERSION, streamed=_streamed(passages_stream, with_file, cfg.batch_rows), shard_by="queries",
                per_shard=PerShard(lambda **t: passages_batches(cfg=with_file, **t))),
        planned("caption_filter", (caption_filter,), {"queries": ("passages", "queries"), **cat, **idx},
                lambda **t: filter_captions(cfg=params, **t), params,
                {"queries": "query", "caption_checks": "caption_check", "captions": "caption",
                 "variants": "caption_variant", "shared_hits": "hits"},
                wiring=VERSION, streamed=_streamed(caption_filter_stream, params, cfg.batch_rows), shard_by="queries",
                per_shard=PerShard(lambda **t: caption_filter_batches(cfg=params, **t),
                                   lambda **t: caption_filter_once(cfg=params, **t), ("captions",),
                                   caption_filter_counters)),
        planned("retriever_negatives", (retriever_negatives,),
                {"queries": ("caption_filter", "queries"), "variants": ("caption_filter", "variants"),
                 "shared_hits": ("caption_filter", "shared_hits"), **cat, **idx},
                lambda **t: add_negatives(cfg=params, **t), params, {"queries": "query"},
                wiring=VERSION, streamed=_streamed(retriever_negatives_stream, params, cfg.batch_rows),
                shard_by="queries", per_shard=PerShard(lambda **t: retriever_negatives_batches(cfg=params, **t))),
    ]


def difficulty_step(cfg: BuildConfig, vocab: Vocabulary) -> Step:
    params = retrieval_params(cfg, vocab)
    return planned("difficulty", (difficulty, caption_filter),
                   {"queries": ("split", "queries"), "captions": ("caption_filter", "captions"),
                    "bm25": ("index", "bm25"), "dense": ("index", "dense"), "product_splits": ("split", "product_splits")},
                   lambda **t: measure_difficulty(cfg=params, **t), params, {"report": "difficulty"},
                   wiring=VERSION, streamed=_streamed(difficulty_stream, params, cfg.batch_rows))


def _streamed(stream, params: RetrievalParams, batch_rows: int) -> Streamed:
    """The step's streamed form: its query table in batches of `batch_rows` (runners/streamed.py)."""
    return Streamed(lambda **t: stream(cfg=params, **t), "queries", batch_rows)

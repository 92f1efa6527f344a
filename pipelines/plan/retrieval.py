"""Wiring of the retrieval stages: indexes are built and searched here, stages stay pure.

The `index` step builds BM25 (and dense, when a model is configured) over the product corpus
and stores what rebuilds them (tokens, vectors) as Parquet; later steps reload them, run the
searches a stage needs and hand the hits tables to the pure stage functions.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.config import BuildConfig
from pipelines.io.inputs import ParquetFile
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
from pipelines.plan.step import PerShard, Step, Streamed, digest, stage_version
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, BM25Index, DenseConfig, DenseIndex
from pipelines.stages import caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages.passages import product_corpus
from pipelines.vocab.vocabulary import load_vocabulary

VERSION = "1"  # of this wiring; stage_version adds the stage modules' own
EMPTY_VECTORS = pa.table({"id": pa.array([], pa.string())})


def build_indexes(products: pa.Table, cfg: BuildConfig) -> StageResult:
    corpus = product_corpus(products)
    bm25 = BM25Index(BM25Config(show_progress=False, backend=cfg.retrieval.bm25_backend))
    bm25.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
    outputs = {"corpus": corpus, "bm25": bm25.vectors(), "dense": EMPTY_VECTORS}
    if cfg.retrieval.dense_model:
        dense = DenseIndex(DenseConfig(model=cfg.retrieval.dense_model))
        dense.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
        outputs["dense"] = dense.vectors()
    return StageResult(outputs=outputs, counters={"documents": corpus.num_rows, "dense": int(bool(cfg.retrieval.dense_model))})


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
             params=cfg, files=corpus, streamed=_streamed(passages_stream, cfg), shard_by="queries",
             per_shard=PerShard(lambda **t: passages_batches(cfg=cfg, **t))),
        Step("caption_filter", stage_version(VERSION, caption_filter), {"queries": ("passages", "queries"), **cat, **idx},
             lambda **t: filter_captions(cfg=cfg, **t), digest(r.filter_retriever, r.filter_top_k, r.dense_model, r.bm25_backend,
                                                                r.keep_image_blind, r.category_local, r.negatives_depth),
             {"queries": "query", "caption_checks": "caption_check", "captions": "caption", "variants": "caption_variant",
              "shared_hits": "hits"},
             params=cfg, streamed=_streamed(caption_filter_stream, cfg), shard_by="queries",
             per_shard=PerShard(lambda **t: caption_filter_batches(cfg=cfg, **t),
                                lambda **t: caption_filter_once(cfg=cfg, **t), ("captions",), caption_filter_counters)),
        Step("retriever_negatives", stage_version(VERSION, retriever_negatives),
             {"queries": ("caption_filter", "queries"), "variants": ("caption_filter", "variants"),
              "shared_hits": ("caption_filter", "shared_hits"), **cat, **idx},
             lambda **t: add_negatives(cfg=cfg, **t),
             digest(r.negatives_per_query, cfg.negatives.per_query, r.negatives_depth, r.max_score_ratio, r.dense_model,
                    r.bm25_backend, load_vocabulary(cfg.mine.vocabulary).digest, r.category_local),
             {"queries": "query"}, params=cfg, streamed=_streamed(retriever_negatives_stream, cfg), shard_by="queries",
             per_shard=PerShard(lambda **t: retriever_negatives_batches(cfg=cfg, **t))),
    ]


def difficulty_step(cfg: BuildConfig) -> Step:
    r = cfg.retrieval
    return Step("difficulty", stage_version(VERSION, difficulty, caption_filter),
                {"queries": ("split", "queries"), "captions": ("caption_filter", "captions"),
                 "bm25": ("index", "bm25"), "dense": ("index", "dense"), "product_splits": ("split", "product_splits")},
                lambda **t: measure_difficulty(cfg=cfg, **t), digest(r.difficulty_split, r.dense_model, r.bm25_backend),
                {"report": "difficulty"}, params=cfg, streamed=_streamed(difficulty_stream, cfg))


def _streamed(stream, cfg: BuildConfig) -> Streamed:
    """The step's streamed form: its query table in batches of `batch_rows` (runners/streamed.py)."""
    return Streamed(lambda **t: stream(cfg=cfg, **t), "queries", cfg.batch_rows)

"""The retrieval steps' calls: indexes reloaded and searched here, between the pure stages' halves.

`plan/retrieval.py` builds the steps; each step's call is one function here, over whole tables.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.config import BuildConfig
from pipelines.plan.step import worker_count
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, BM25Index, DenseConfig, DenseIndex, search_table
from pipelines.retrieval.grouped import search_grouped
from pipelines.stages import by_base, caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages.matching import Matcher
from pipelines.vocabulary import load_vocabulary


def load_indexes(bm25: pa.Table, dense: pa.Table, cfg: BuildConfig) -> dict:
    # `workers` cores for bm25s's top-k: numpy releases the GIL, numba runs its queries in a
    # parallel loop. Each query is scored on its own, so the hits do not depend on the count.
    threads = worker_count(cfg.workers)
    bm25_cfg = BM25Config(show_progress=False, backend=cfg.retrieval.bm25_backend, n_threads=threads)
    indexes = {"bm25": BM25Index.from_vectors(bm25, bm25_cfg)}
    if cfg.retrieval.dense_model and dense.num_rows:
        indexes["dense"] = DenseIndex.from_vectors(dense, DenseConfig(model=cfg.retrieval.dense_model))
    return indexes


def _search(index, query_ids: list[str], texts: list[str], k: int, categories: list[str] | None = None,
            products: pa.Table | None = None) -> pa.Table:
    """Top-k hits; with `categories` (retrieval.category_local) each query searches only its
    category's products (pipelines/retrieval/grouped.py says why no positive is lost)."""
    if categories is None or products is None:
        return search_table(index, query_ids, texts, min(k, len(index)))
    doc_groups = dict(zip(products.column("product_id").to_pylist(), products.column("category").to_pylist(), strict=True))
    return search_grouped(index, query_ids, texts, categories, doc_groups, k)


def _categories(rows: pa.Table, queries: pa.Table, cfg: BuildConfig) -> list[str] | None:
    """The category of each of `rows`' queries (by query_id), or None for a full-corpus search."""
    if not cfg.retrieval.category_local:
        return None
    category = dict(zip(queries.column("query_id").to_pylist(), queries.column("category").to_pylist(), strict=True))
    return [category.get(q) for q in rows.column("query_id").to_pylist()]


def _first(hits: pa.Table, k: int) -> pa.Table:
    """The first k hits of each row (a search's top k is the first k of its top k' > k, ties aside)."""
    return hits.set_column(1, "candidate_ids", pa.compute.list_slice(hits.column("candidate_ids"), 0, k)).set_column(
        2, "scores", pa.compute.list_slice(hits.column("scores"), 0, k))


def _rows_of(hits: pa.Table, query_ids: list[str]) -> pa.Table:
    """The hits rows of `query_ids`, in that order (every id must have a row)."""
    at = pa.compute.index_in(pa.array(query_ids, pa.string()), value_set=hits.column("query_id"))
    if at.null_count:
        raise ValueError(f"shared hits lack {at.null_count} of the queries")
    return hits.take(at)


def make_passages(queries, products, corpus, bm25, dense, cfg: BuildConfig, passage_corpus=None) -> StageResult:
    """MIRe: the positive's description, hidden among top-k passages retrieved with it.

    `passage_corpus`: the `retrieval.passage_corpus` table (loaded by the runner), when configured."""
    english = by_base.english_rows(queries)
    responses = passages.response_texts(english, products)
    resp = responses.outputs["responses"]
    categories = None  # a user's passage corpus has no categories: searched whole
    if passage_corpus is not None:
        corpus = passage_corpus
        index = BM25Index(BM25Config(show_progress=False))
        index.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
    else:
        index = load_indexes(bm25, dense, cfg)["dense" if cfg.retrieval.dense_model else "bm25"]
        categories = _categories(resp, english, cfg)
    k = cfg.retrieval.passages_k + 8  # positives and exact copies are skipped, so ask for a few more
    hits = _search(index, resp.column("query_id").to_pylist(), resp.column("response").to_pylist(), k, categories, products)
    result = passages.convert_to_passages(english, resp, hits,
                                          corpus, passages.PassageConfig(k=cfg.retrieval.passages_k, seed=cfg.seed))
    english = by_base.attach_passages(english, result.outputs["passages"])
    out = by_base.copy_columns(queries, english, ["passage", "passage_span", "passage_source_ids"])
    rejects = pa.concat_tables([responses.rejects, result.rejects])
    return StageResult({"queries": out, "passages": result.outputs["passages"]}, rejects,
                       {**responses.counters, **result.counters})


def filter_captions(queries, products, attributes, bm25, dense, cfg: BuildConfig) -> StageResult:
    """Drop base queries a text-only retriever solves when images are replaced by captions."""
    english = by_base.english_rows(queries)
    captions = caption_filter.fallback_captions(products, attributes).outputs["captions"]
    variants = caption_filter.caption_variants(english, captions).outputs["variants"]
    index = load_indexes(bm25, dense, cfg)[cfg.retrieval.filter_retriever]
    ids = variants.column("query_id").to_pylist()
    k = max(cfg.retrieval.filter_top_k, 10)
    categories = _categories(variants, english, cfg)
    # Retriever negatives ask this index the same question (captioned text, same category) deeper:
    # one search at the deeper of the two depths serves both (`shared_hits`).
    deep = _search(index, ids, variants.column("text_captioned").to_pylist(), max(k, cfg.retrieval.negatives_depth),
                   categories, products)
    caption_hits = _first(deep, k)
    blind_hits = _search(index, ids, variants.column("text_no_images").to_pylist(), k, categories, products)
    result = caption_filter.filter_caption_substitutable(
        english, variants, caption_hits, blind_hits, caption_filter.CaptionFilterConfig(
            top_k=cfg.retrieval.filter_top_k, keep_image_blind=cfg.retrieval.keep_image_blind))
    kept = by_base.keep_bases(queries, result.outputs["queries"])
    counters = {**result.counters, "queries_in": queries.num_rows, "queries_kept": kept.num_rows,
                "captioner_fallback": 1, "category_local": int(cfg.retrieval.category_local)}
    return StageResult({"queries": kept, "caption_checks": result.outputs["caption_checks"], "captions": captions,
                        "variants": variants, "shared_hits": deep}, result.rejects, counters)


def add_negatives(queries, products, attributes, variants, bm25, dense, cfg: BuildConfig, shared_hits=None) -> StageResult:
    """Near neighbours a retriever confuses, found from the caption-substituted English text."""
    english = by_base.english_rows(queries)
    texts = dict(zip(variants.column("query_id").to_pylist(), variants.column("text_captioned").to_pylist()))
    ids = english.column("query_id").to_pylist()
    query_texts = [texts.get(q, "") for q in ids]
    hits, scores = {}, []
    positives = english.column("positive_ids").to_pylist()
    categories = _categories(english, english, cfg)
    for name, index in load_indexes(bm25, dense, cfg).items():
        if name == cfg.retrieval.filter_retriever and shared_hits is not None:  # the caption filter's search
            hits[name] = _first(_rows_of(shared_hits, ids), cfg.retrieval.negatives_depth)
        else:
            hits[name] = _search(index, ids, query_texts, cfg.retrieval.negatives_depth, categories, products)
        scores += retriever_negatives.score_positives(index, "lexical" if name == "bm25" else "dense", hits[name], query_texts, positives)
    result = retriever_negatives.add_retriever_negatives(
        english, products, attributes,
        retriever_negatives.RetrieverNegativesConfig(per_query=cfg.negatives.per_query + cfg.retrieval.negatives_per_query,
                                                     depth=cfg.retrieval.negatives_depth,
                                                     max_score_ratio=cfg.retrieval.max_score_ratio),
        lexical_hits=hits.get("bm25"), dense_hits=hits.get("dense"),
        positive_scores=pa.Table.from_pylist(scores, schema=retriever_negatives.POSITIVE_SCORES_SCHEMA),
        matcher=Matcher.from_vocabulary(load_vocabulary(cfg.mine.vocabulary)))
    out = by_base.copy_columns(queries, result.outputs["queries"], ["hard_negatives", "hard_negative_ids"])
    return StageResult({"queries": out}, result.rejects, result.counters)


def measure_difficulty(queries, captions, bm25, dense, cfg: BuildConfig, product_splits=None) -> StageResult:
    """R@k / MRR of each text-only baseline on the test split over its own product pool: captions vs images removed."""
    split = queries.filter(pa.compute.equal(queries.column("split"), cfg.retrieval.difficulty_split))
    variants = caption_filter.caption_variants(split, captions).outputs["variants"]
    ids = variants.column("query_id").to_pylist()
    if product_splits is not None:
        bm25, dense = (difficulty.pool_only(t, product_splits, cfg.retrieval.difficulty_split) for t in (bm25, dense))
    runs = []
    for name, index in load_indexes(bm25, dense, cfg).items():
        for variant, column in (("captions", "text_captioned"), ("images_removed", "text_no_images")):
            hits = _search(index, ids, variants.column(column).to_pylist(), 10)
            runs.append(difficulty.tag_hits(hits, name, variant))
    hits = pa.concat_tables(runs) if runs else difficulty.RUN_HITS_SCHEMA.empty_table()
    return difficulty.difficulty_report(split, hits, difficulty.DifficultyConfig(split=cfg.retrieval.difficulty_split))

"""The retrieval steps' calls, pure: what each step searches and how the hits become its output.

The index step builds each handler's index over the product corpus (`build_indexes`).

Searching is injected: each call takes search handlers (`pipelines/retrieval/handler.py`, built
by `plan/retrieval.py` from the config) and loads them once from the index step's vectors
tables, then answers batch after batch of the query table. Each step has three forms, equal in
output: `*_batches` (the call of one batch, prepared once: `Step.per_shard`), `*_stream` (the
batches of `Shards` in turn: `Step.streamed`) and the whole-table call (that stream on one batch).
Versioned with the wiring (`plan/retrieval.VERSION`) and the stage modules they call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from pipelines.results import StageResult
from pipelines.shards import Shards, add_counters
from pipelines.stages import by_base, caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages.matching import Matcher
from pipelines.stages.passages import product_corpus
from pipelines.stages.product_facts import product_facts
from pipelines.stages.search_hits import (
    RetrievalParams,
    first,
    load_searches,
    product_groups,
    query_categories,
    rows_of,
)

if TYPE_CHECKING:
    from pipelines.retrieval.handler import IndexBuilder, SearchHandler

BatchCall = Callable[[pa.Table], StageResult]  # a sharded step's call of one batch of its queries
Handlers = Mapping[str, "SearchHandler"]  # by retriever name ("bm25", "dense"), in search order
PASSAGE_OVERFETCH = 8  # positives and exact copies are skipped, so passages ask for a few more


EMPTY_VECTORS = pa.table({"id": pa.array([], pa.string())})  # the index step's `dense` without a dense model


def build_indexes(products: pa.Table, handlers: Mapping[str, IndexBuilder]) -> StageResult:
    """The index step: the product corpus and each handler's index over it, as vectors tables."""
    corpus = product_corpus(products)
    ids, texts = corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist()
    outputs = {"corpus": corpus, "bm25": handlers["bm25"].build(ids, texts), "dense": EMPTY_VECTORS}
    if "dense" in handlers:
        outputs["dense"] = handlers["dense"].build(ids, texts)
    return StageResult(outputs=outputs, counters={"documents": corpus.num_rows, "dense": int("dense" in handlers)})


def passages_stream(queries: Shards, products, corpus, bm25, dense, handlers: Handlers, params: RetrievalParams,
                    passage_corpus=None, corpus_handler: SearchHandler | None = None) -> Iterator[StageResult]:
    """MIRe passages batch by batch: the index loaded once, each batch searched and converted."""
    call = passages_batches(products, corpus, bm25, dense, handlers, params, passage_corpus, corpus_handler)
    for batch in queries:
        yield call(batch)


def passages_batches(products, corpus, bm25, dense, handlers: Handlers, params: RetrievalParams,
                     passage_corpus=None, corpus_handler: SearchHandler | None = None) -> BatchCall:
    """The passages call of one batch of queries: the positive's description hidden among top-k
    passages retrieved with it, from `passage_corpus` (loaded by `corpus_handler`) when given."""
    r = params.retrieval
    if passage_corpus is not None:  # a user's passage corpus has no categories: searched whole
        corpus, search, local = passage_corpus, corpus_handler.load(passage_corpus), False
    else:
        name = "dense" if r.dense_model else "bm25"
        search, local = handlers[name].load({"bm25": bm25, "dense": dense}[name], product_groups(products)), r.category_local
    k = r.passages_k + PASSAGE_OVERFETCH
    passage_cfg = passages.PassageConfig(k=r.passages_k, seed=params.seed)

    def call(batch: pa.Table) -> StageResult:
        english = by_base.english_rows(batch)
        responses = passages.response_texts(english, products)
        resp = responses.outputs["responses"]
        categories = query_categories(resp, english, local)
        hits = search.search(resp.column("query_id").to_pylist(), resp.column("response").to_pylist(), k, categories)
        result = passages.convert_to_passages(english, resp, hits, corpus, passage_cfg)
        english = by_base.attach_passages(english, result.outputs["passages"])
        out = by_base.copy_columns(batch, english, ["passage", "passage_span", "passage_source_ids"])
        rejects = pa.concat_tables([responses.rejects, result.rejects])
        return StageResult({"queries": out, "passages": result.outputs["passages"]}, rejects,
                           {**responses.counters, **result.counters})
    return call


TALLY = "tally."  # prefix of the caption filter's raw counts (CaptionTally.raw), summed over batches


def caption_filter_stream(queries: Shards, products, attributes, bm25, dense, handlers: Handlers,
                          params: RetrievalParams) -> Iterator[StageResult]:
    """The caption filter batch by batch: captions and the index once, the counters (rates) from
    the batches' summed raw counts at the end."""
    once = caption_filter_once(products, attributes, params)
    yield once
    call = caption_filter_batches(products, attributes, bm25, dense, handlers, params, once.outputs["captions"])
    raw: dict = {}
    for batch in queries:
        result = call(batch)
        add_counters(raw, {k: v for k, v in result.counters.items() if k.startswith(TALLY)})
        yield StageResult(result.outputs, result.rejects, {k: v for k, v in result.counters.items() if not k.startswith(TALLY)})
    yield StageResult({}, counters=caption_filter_counters(raw))


def caption_filter_once(products, attributes, params: RetrievalParams, **_) -> StageResult:
    """What the caption filter outputs once, not per batch: the catalog's captions."""
    captions = caption_filter.fallback_captions(products, attributes).outputs["captions"]
    return StageResult({"captions": captions}, counters={"captioner_fallback": 1,
                                                         "category_local": int(params.retrieval.category_local)})


def caption_filter_counters(counters: dict) -> dict:
    """The filter's counters from its batches' summed ones: the raw counts (TALLY) become the
    tally's counters (rates from sums, the same numbers as one run over every batch)."""
    raw = {**caption_filter.CaptionTally().raw(),  # zeros, when no batch ran
           **{k.removeprefix(TALLY): v for k, v in counters.items() if k.startswith(TALLY)}}
    rest = {k: v for k, v in counters.items() if not k.startswith(TALLY)}
    return {**rest, **caption_filter.counters_from_raw(raw)}


def caption_filter_batches(products, attributes, bm25, dense, handlers: Handlers, params: RetrievalParams,
                           captions=None) -> BatchCall:
    """The caption filter of one batch of queries; counters: the batch's raw counts (TALLY keys)."""
    r = params.retrieval
    if captions is None:  # not handed over (Beam hands its `once` output): made here, deterministic
        captions = caption_filter_once(products, attributes, params).outputs["captions"]
    search = handlers[r.filter_retriever].load({"bm25": bm25, "dense": dense}[r.filter_retriever], product_groups(products))
    lookup = caption_filter.caption_lookup(captions)
    k = max(r.filter_top_k, 10)
    filter_cfg = caption_filter.CaptionFilterConfig(top_k=r.filter_top_k, keep_image_blind=r.keep_image_blind)

    def call(batch: pa.Table) -> StageResult:
        tally = caption_filter.CaptionTally()
        english = by_base.english_rows(batch)
        variants = caption_filter.caption_variants(english, captions, lookup).outputs["variants"]
        ids = variants.column("query_id").to_pylist()
        categories = query_categories(variants, english, r.category_local)
        # Retriever negatives ask this index the same question (captioned text, same category) deeper:
        # one search at the deeper of the two depths serves both (`shared_hits`).
        deep = search.search(ids, variants.column("text_captioned").to_pylist(), max(k, r.negatives_depth), categories)
        blind_hits = search.search(ids, variants.column("text_no_images").to_pylist(), k, categories)
        result = caption_filter.filter_caption_substitutable(english, variants, first(deep, k), blind_hits,
                                                             filter_cfg, tally)
        kept = by_base.keep_bases(batch, result.outputs["queries"])
        return StageResult({"queries": kept, "caption_checks": result.outputs["caption_checks"], "variants": variants,
                            "shared_hits": deep}, result.rejects,
                           {"queries_in": batch.num_rows, "queries_kept": kept.num_rows,
                            **{TALLY + k: v for k, v in tally.raw().items()}})
    return call


def retriever_negatives_stream(queries: Shards, products, attributes, variants, bm25, dense, handlers: Handlers,
                               params: RetrievalParams, matcher: Matcher, shared_hits=None) -> Iterator[StageResult]:
    """Retriever negatives batch by batch: indexes, the captioned texts and the catalog lookups built once."""
    call = retriever_negatives_batches(products, attributes, variants, bm25, dense, handlers, params, matcher, shared_hits)
    for batch in queries:
        yield call(batch)


def retriever_negatives_batches(products, attributes, variants, bm25, dense, handlers: Handlers,
                                params: RetrievalParams, matcher: Matcher, shared_hits=None) -> BatchCall:
    """Near neighbours a retriever confuses, found from the caption-substituted English text, for
    one batch of queries; indexes and lookups built once (here). With `shared_hits` (the caption
    filter's deeper search of the same index and text) that retriever is not asked again."""
    r = params.retrieval
    texts = dict(zip(variants.column("query_id").to_pylist(), variants.column("text_captioned").to_pylist()))
    searches = load_searches(handlers, {"bm25": bm25, "dense": dense}, product_groups(products))
    catalog = product_facts(products, attributes, matcher)  # what the guard looks up per candidate
    negatives_cfg = retriever_negatives.RetrieverNegativesConfig(
        per_query=params.overlap_negatives + r.negatives_per_query, depth=r.negatives_depth,
        max_score_ratio=r.max_score_ratio)

    def call(batch: pa.Table) -> StageResult:
        english = by_base.english_rows(batch)
        ids = english.column("query_id").to_pylist()
        query_texts = [texts.get(q, "") for q in ids]
        hits, scores = {}, []
        positives = english.column("positive_ids").to_pylist()
        categories = query_categories(english, english, r.category_local)
        for name, search in searches.items():
            if name == r.filter_retriever and shared_hits is not None:  # the caption filter's search
                hits[name] = first(rows_of(shared_hits, ids), r.negatives_depth)
            else:
                hits[name] = search.search(ids, query_texts, r.negatives_depth, categories)
            scores += retriever_negatives.score_positives(search, "lexical" if name == "bm25" else "dense",
                                                          hits[name], query_texts, positives)
        result = retriever_negatives.add_retriever_negatives(
            english, products, attributes, negatives_cfg, lexical_hits=hits.get("bm25"), dense_hits=hits.get("dense"),
            positive_scores=pa.Table.from_pylist(scores, schema=retriever_negatives.POSITIVE_SCORES_SCHEMA),
            matcher=matcher, catalog=catalog)
        out = by_base.copy_columns(batch, result.outputs["queries"], ["hard_negatives", "hard_negative_ids"])
        return StageResult({"queries": out}, result.rejects, result.counters)
    return call


def difficulty_stream(queries: Shards, captions, bm25, dense, handlers: Handlers, params: RetrievalParams,
                      product_splits=None) -> Iterator[StageResult]:
    """R@k / MRR of each text-only baseline on the measured split over its own product pool
    (captions vs images removed), reading the query table batch by batch: only that split's rows are held."""
    split = params.retrieval.difficulty_split
    rows = pa.concat_tables([batch.filter(pa.compute.equal(batch.column("split"), split)) for batch in queries])
    yield _difficulty(rows, captions, bm25, dense, handlers, params, product_splits)


def _difficulty(split: pa.Table, captions, bm25, dense, handlers: Handlers, params: RetrievalParams,
                product_splits=None) -> StageResult:
    """The difficulty report of `split`, the measured split's rows (every search over the whole pool)."""
    measured = params.retrieval.difficulty_split
    variants = caption_filter.caption_variants(split, captions).outputs["variants"]
    ids = variants.column("query_id").to_pylist()
    if product_splits is not None:
        bm25, dense = (difficulty.pool_only(t, product_splits, measured) for t in (bm25, dense))
    runs = []
    for name, search in load_searches(handlers, {"bm25": bm25, "dense": dense}).items():
        for variant, column in (("captions", "text_captioned"), ("images_removed", "text_no_images")):
            hits = search.search(ids, variants.column(column).to_pylist(), 10)
            runs.append(difficulty.tag_hits(hits, name, variant))
    hits = pa.concat_tables(runs) if runs else difficulty.RUN_HITS_SCHEMA.empty_table()
    return difficulty.difficulty_report(split, hits, difficulty.DifficultyConfig(split=measured))

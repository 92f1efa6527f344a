"""The retrieval steps' calls: indexes reloaded and searched here, between the pure stages' halves.

`plan/retrieval.py` builds the steps; each step's streamed form is a `*_stream` generator here
(indexes, lookups and category subsets set up once, then one result per batch of the query
table), and its whole-table call is that stream on one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from pipelines.plan.retrieval_params import RetrievalParams
from pipelines.plan.step import worker_count
from pipelines.results import StageResult
from pipelines.retrieval import BM25Config, BM25Index, DenseConfig, DenseIndex, search_table
from pipelines.retrieval.grouped import GroupedSearch
from pipelines.shards import Shards, TableShards, add_counters, collect
from pipelines.stages import by_base, caption_filter, difficulty, passages, retriever_negatives
from pipelines.stages.matching import Matcher

BatchCall = Callable[[pa.Table], StageResult]  # a sharded step's call of one batch of its queries


def load_indexes(bm25: pa.Table, dense: pa.Table, cfg: RetrievalParams) -> dict:
    # `workers` cores for bm25s's top-k: numpy releases the GIL, numba runs its queries in a
    # parallel loop. Each query is scored on its own, so the hits do not depend on the count.
    threads = worker_count(cfg.workers)
    bm25_cfg = BM25Config(show_progress=False, backend=cfg.retrieval.bm25_backend, n_threads=threads)
    indexes = {"bm25": BM25Index.from_vectors(bm25, bm25_cfg)}
    if cfg.retrieval.dense_model and dense.num_rows:
        indexes["dense"] = DenseIndex.from_vectors(dense, DenseConfig(model=cfg.retrieval.dense_model))
    return indexes


class _Searcher:
    """One index searched batch after batch: top-k over the whole corpus or, given the queries'
    categories (retrieval.category_local), over each category's products only (subset indexes
    built once: pipelines/retrieval/grouped.py says why no positive is lost)."""

    def __init__(self, index, products: pa.Table | None = None) -> None:
        self.index, self.products, self._grouped = index, products, None

    def __call__(self, query_ids: list[str], texts: list[str], k: int, categories: list[str] | None = None) -> pa.Table:
        if categories is None or self.products is None:
            return search_table(self.index, query_ids, texts, min(k, len(self.index)))
        if self._grouped is None:
            self._grouped = GroupedSearch(self.index, dict(zip(self.products.column("product_id").to_pylist(),
                                                                self.products.column("category").to_pylist(), strict=True)))
        return self._grouped.search(query_ids, texts, categories, k)


def _categories(rows: pa.Table, queries: pa.Table, cfg: RetrievalParams) -> list[str] | None:
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


def make_passages(queries, products, corpus, bm25, dense, cfg: RetrievalParams, passage_corpus=None) -> StageResult:
    """MIRe: the positive's description, hidden among top-k passages retrieved with it.

    `passage_corpus`: the `retrieval.passage_corpus` table (loaded by the runner), when configured."""
    return collect(passages_stream(TableShards(queries), products, corpus, bm25, dense, cfg, passage_corpus))


def passages_stream(queries: Shards, products, corpus, bm25, dense, cfg: RetrievalParams,
                    passage_corpus=None) -> Iterator[StageResult]:
    """`make_passages` batch by batch: the index loaded once, each batch searched and converted."""
    call = passages_batches(products, corpus, bm25, dense, cfg, passage_corpus)
    for batch in queries:
        yield call(batch)


def passages_batches(products, corpus, bm25, dense, cfg: RetrievalParams, passage_corpus=None) -> BatchCall:
    """The passages call of one batch of queries, its index loaded once (here) for every batch."""
    if passage_corpus is not None:  # a user's passage corpus has no categories: searched whole
        corpus = passage_corpus
        index = BM25Index(BM25Config(show_progress=False))
        index.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
        search = _Searcher(index)
    else:
        search = _Searcher(load_indexes(bm25, dense, cfg)["dense" if cfg.retrieval.dense_model else "bm25"], products)
    k = cfg.retrieval.passages_k + 8  # positives and exact copies are skipped, so ask for a few more

    def call(batch: pa.Table) -> StageResult:
        english = by_base.english_rows(batch)
        responses = passages.response_texts(english, products)
        resp = responses.outputs["responses"]
        categories = _categories(resp, english, cfg) if passage_corpus is None else None
        hits = search(resp.column("query_id").to_pylist(), resp.column("response").to_pylist(), k, categories)
        result = passages.convert_to_passages(english, resp, hits,
                                              corpus, passages.PassageConfig(k=cfg.retrieval.passages_k, seed=cfg.seed))
        english = by_base.attach_passages(english, result.outputs["passages"])
        out = by_base.copy_columns(batch, english, ["passage", "passage_span", "passage_source_ids"])
        rejects = pa.concat_tables([responses.rejects, result.rejects])
        return StageResult({"queries": out, "passages": result.outputs["passages"]}, rejects,
                           {**responses.counters, **result.counters})
    return call


def filter_captions(queries, products, attributes, bm25, dense, cfg: RetrievalParams) -> StageResult:
    """Drop base queries a text-only retriever solves when images are replaced by captions."""
    return collect(caption_filter_stream(TableShards(queries), products, attributes, bm25, dense, cfg))


TALLY = "tally."  # prefix of the caption filter's raw counts (CaptionTally.raw), summed over batches


def caption_filter_stream(queries: Shards, products, attributes, bm25, dense, cfg: RetrievalParams) -> Iterator[StageResult]:
    """`filter_captions` batch by batch: captions and the index once, the counters (rates) from the
    batches' summed raw counts at the end."""
    once = caption_filter_once(products, attributes, cfg)
    yield once
    call = caption_filter_batches(products, attributes, bm25, dense, cfg, once.outputs["captions"])
    raw: dict = {}
    for batch in queries:
        result = call(batch)
        add_counters(raw, {k: v for k, v in result.counters.items() if k.startswith(TALLY)})
        yield StageResult(result.outputs, result.rejects, {k: v for k, v in result.counters.items() if not k.startswith(TALLY)})
    yield StageResult({}, counters=caption_filter_counters(raw))


def caption_filter_once(products, attributes, cfg: RetrievalParams, **_) -> StageResult:
    """What the caption filter outputs once, not per batch: the catalog's captions."""
    captions = caption_filter.fallback_captions(products, attributes).outputs["captions"]
    return StageResult({"captions": captions}, counters={"captioner_fallback": 1,
                                                         "category_local": int(cfg.retrieval.category_local)})


def caption_filter_counters(counters: dict) -> dict:
    """The filter's counters from its batches' summed ones: the raw counts (TALLY) become the
    tally's counters (rates from sums, the same numbers as one run over every batch)."""
    raw = {**caption_filter.CaptionTally().raw(),  # zeros, when no batch ran
           **{k.removeprefix(TALLY): v for k, v in counters.items() if k.startswith(TALLY)}}
    rest = {k: v for k, v in counters.items() if not k.startswith(TALLY)}
    return {**rest, **caption_filter.counters_from_raw(raw)}


def caption_filter_batches(products, attributes, bm25, dense, cfg: RetrievalParams, captions=None) -> BatchCall:
    """The caption filter of one batch of queries; counters: the batch's raw counts (TALLY keys)."""
    if captions is None:  # not handed over (Beam hands its `once` output): made here, deterministic
        captions = caption_filter_once(products, attributes, cfg).outputs["captions"]
    search = _Searcher(load_indexes(bm25, dense, cfg)[cfg.retrieval.filter_retriever], products)
    lookup = caption_filter.caption_lookup(captions)
    k = max(cfg.retrieval.filter_top_k, 10)
    filter_cfg = caption_filter.CaptionFilterConfig(top_k=cfg.retrieval.filter_top_k,
                                                    keep_image_blind=cfg.retrieval.keep_image_blind)

    def call(batch: pa.Table) -> StageResult:
        tally = caption_filter.CaptionTally()
        english = by_base.english_rows(batch)
        variants = caption_filter.caption_variants(english, captions, lookup).outputs["variants"]
        ids = variants.column("query_id").to_pylist()
        categories = _categories(variants, english, cfg)
        # Retriever negatives ask this index the same question (captioned text, same category) deeper:
        # one search at the deeper of the two depths serves both (`shared_hits`).
        deep = search(ids, variants.column("text_captioned").to_pylist(), max(k, cfg.retrieval.negatives_depth), categories)
        blind_hits = search(ids, variants.column("text_no_images").to_pylist(), k, categories)
        result = caption_filter.filter_caption_substitutable(english, variants, _first(deep, k), blind_hits,
                                                             filter_cfg, tally)
        kept = by_base.keep_bases(batch, result.outputs["queries"])
        return StageResult({"queries": kept, "caption_checks": result.outputs["caption_checks"], "variants": variants,
                            "shared_hits": deep}, result.rejects,
                           {"queries_in": batch.num_rows, "queries_kept": kept.num_rows,
                            **{TALLY + k: v for k, v in tally.raw().items()}})
    return call


def add_negatives(queries, products, attributes, variants, bm25, dense, cfg: RetrievalParams, shared_hits=None) -> StageResult:
    """Near neighbours a retriever confuses, found from the caption-substituted English text."""
    return collect(retriever_negatives_stream(TableShards(queries), products, attributes, variants, bm25, dense, cfg,
                                              shared_hits))


def retriever_negatives_stream(queries: Shards, products, attributes, variants, bm25, dense, cfg: RetrievalParams,
                               shared_hits=None) -> Iterator[StageResult]:
    """`add_negatives` batch by batch: indexes, the captioned texts and the catalog lookups built once."""
    call = retriever_negatives_batches(products, attributes, variants, bm25, dense, cfg, shared_hits)
    for batch in queries:
        yield call(batch)


def retriever_negatives_batches(products, attributes, variants, bm25, dense, cfg: RetrievalParams,
                                shared_hits=None) -> BatchCall:
    """The retriever negatives of one batch of queries; indexes and lookups built once (here)."""
    texts = dict(zip(variants.column("query_id").to_pylist(), variants.column("text_captioned").to_pylist()))
    searches = {name: _Searcher(index, products) for name, index in load_indexes(bm25, dense, cfg).items()}
    matcher = Matcher.from_vocabulary(cfg.vocabulary)
    catalog = retriever_negatives.catalog_lookups(products, attributes, matcher)
    negatives_cfg = retriever_negatives.RetrieverNegativesConfig(
        per_query=cfg.negatives_per_query + cfg.retrieval.negatives_per_query, depth=cfg.retrieval.negatives_depth,
        max_score_ratio=cfg.retrieval.max_score_ratio)

    def call(batch: pa.Table) -> StageResult:
        english = by_base.english_rows(batch)
        ids = english.column("query_id").to_pylist()
        query_texts = [texts.get(q, "") for q in ids]
        hits, scores = {}, []
        positives = english.column("positive_ids").to_pylist()
        categories = _categories(english, english, cfg)
        for name, search in searches.items():
            if name == cfg.retrieval.filter_retriever and shared_hits is not None:  # the caption filter's search
                hits[name] = _first(_rows_of(shared_hits, ids), cfg.retrieval.negatives_depth)
            else:
                hits[name] = search(ids, query_texts, cfg.retrieval.negatives_depth, categories)
            scores += retriever_negatives.score_positives(search.index, "lexical" if name == "bm25" else "dense",
                                                          hits[name], query_texts, positives)
        result = retriever_negatives.add_retriever_negatives(
            english, products, attributes, negatives_cfg, lexical_hits=hits.get("bm25"), dense_hits=hits.get("dense"),
            positive_scores=pa.Table.from_pylist(scores, schema=retriever_negatives.POSITIVE_SCORES_SCHEMA),
            matcher=matcher, catalog=catalog)
        out = by_base.copy_columns(batch, result.outputs["queries"], ["hard_negatives", "hard_negative_ids"])
        return StageResult({"queries": out}, result.rejects, result.counters)
    return call


def difficulty_stream(queries: Shards, captions, bm25, dense, cfg: RetrievalParams, product_splits=None) -> Iterator[StageResult]:
    """`measure_difficulty` reading the query table batch by batch: only the measured split's rows are held."""
    yield _difficulty(pa.concat_tables([_split_rows(batch, cfg) for batch in queries]), captions, bm25, dense, cfg,
                      product_splits)


def _split_rows(queries: pa.Table, cfg: RetrievalParams) -> pa.Table:
    return queries.filter(pa.compute.equal(queries.column("split"), cfg.retrieval.difficulty_split))


def measure_difficulty(queries, captions, bm25, dense, cfg: RetrievalParams, product_splits=None) -> StageResult:
    """R@k / MRR of each text-only baseline on the test split over its own product pool: captions vs images removed."""
    return collect(difficulty_stream(TableShards(queries), captions, bm25, dense, cfg, product_splits))


def _difficulty(split: pa.Table, captions, bm25, dense, cfg: RetrievalParams, product_splits=None) -> StageResult:
    """The difficulty report of `split`, the measured split's rows."""
    variants = caption_filter.caption_variants(split, captions).outputs["variants"]
    ids = variants.column("query_id").to_pylist()
    if product_splits is not None:
        bm25, dense = (difficulty.pool_only(t, product_splits, cfg.retrieval.difficulty_split) for t in (bm25, dense))
    runs = []
    for name, index in load_indexes(bm25, dense, cfg).items():
        for variant, column in (("captions", "text_captioned"), ("images_removed", "text_no_images")):
            hits = _Searcher(index)(ids, variants.column(column).to_pylist(), 10)
            runs.append(difficulty.tag_hits(hits, name, variant))
    hits = pa.concat_tables(runs) if runs else difficulty.RUN_HITS_SCHEMA.empty_table()
    return difficulty.difficulty_report(split, hits, difficulty.DifficultyConfig(split=cfg.retrieval.difficulty_split))

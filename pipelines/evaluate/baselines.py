"""Built-in baselines of `meritgen eval`: the project's own retrievers ranking an export's queries.

Each query is searched among its own split's product pool (MERIT ranks a split's queries over
that split's products), on the product titles the build indexes (`passages.product_corpus`):
- `bm25`: BM25 on the query text with every `<image_k>` removed (images ignored);
- `bm25-captions`: BM25 with each `<image_k>` replaced by that image's product caption (title and
  attributes), the caption filter's own captions (`caption_filter.fallback_captions`);
- `dense`: a sentence-transformers model (`DenseIndex`) on the text with images removed, only when
  sentence-transformers is installed.
Pools are subsets of one index over every exported product (`grouped.GroupedSearch`), so a product
scores the same in its pool as in the whole catalog.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.evaluate.metrics import minimal_pairs
from pipelines.retrieval import BM25Config, BM25Index, DenseConfig, DenseIndex, TextIndex
from pipelines.retrieval.grouped import GroupedSearch
from pipelines.stages import caption_filter
from pipelines.stages.passages import product_corpus

BASELINES = ("bm25", "bm25-captions", "dense")
TEXT_OF = {"bm25": "text_no_images", "bm25-captions": "text_captioned", "dense": "text_no_images"}
DEFAULT_DENSE_MODEL = "all-minilm-l6-v2"  # the packaged MiniLM (pipelines/retrieval/dense.py)
QUERY_COLUMNS = ["query_id", "split", "text", "images"]
PRODUCT_COLUMNS = ["product_id", "title", "split", "image_ids", "attributes"]


def dense_available() -> bool:
    """Whether the dense baseline can run here (sentence-transformers importable)."""
    return importlib.util.find_spec("sentence_transformers") is not None


def build_index(baseline: str, products: pa.Table, dense_model: str = DEFAULT_DENSE_MODEL) -> TextIndex:
    """The baseline's index over every product's title, in the products table's order."""
    corpus = product_corpus(products)
    if baseline == "dense":
        index: TextIndex = DenseIndex(DenseConfig(model=dense_model or DEFAULT_DENSE_MODEL, show_progress=False))
    else:
        index = BM25Index(BM25Config(show_progress=False))
    index.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
    return index


def query_texts(baseline: str, queries: pa.Table, products: pa.Table) -> list[str]:
    """What the baseline reads of each query: images removed, or replaced by their captions."""
    captions = (caption_filter.fallback_captions(products).outputs["captions"] if baseline == "bm25-captions"
                else caption_filter.CAPTIONS_SCHEMA.empty_table())
    variants = caption_filter.caption_variants(queries, captions).outputs["variants"]
    return variants.column(TEXT_OF[baseline]).to_pylist()


def rank(baseline: str, queries: pa.Table, products: pa.Table, depth: int,
         dense_model: str = DEFAULT_DENSE_MODEL) -> list[tuple[str, list[str]]]:
    """(query id, top-`depth` product ids of its split's pool) for every query, in input order."""
    if baseline == "dense":  # cosines need no corpus statistics: embed the searched pools only
        products = products.filter(pc.is_in(products.column("split"), value_set=pc.unique(queries.column("split"))))
    index = build_index(baseline, products, dense_model)
    pools = _pools(products)
    search = GroupedSearch(index, pools)
    ids = queries.column("query_id").to_pylist()
    hits = search.search(ids, query_texts(baseline, queries, products), queries.column("split").to_pylist(), depth)
    return list(zip(ids, hits.column("candidate_ids").to_pylist(), strict=True))


def product_order(products: pa.Table) -> dict[str, int]:
    """product id -> its place in the products table (the index's order): ties in a search break by it."""
    return {pid: i for i, pid in enumerate(products.column("product_id").to_pylist())}


def pair_rankings(baseline: str, index: TextIndex, queries: pa.Table, products: pa.Table,
                  order: Mapping[str, int]) -> dict[str, list[str]]:
    """Each query's positives and minimal-pair negatives in the order a full search of its pool
    ranks them (score, then index order, as `BM25Index.search` breaks ties): what the per-condition
    report compares, at the cost of scoring those few products instead of searching the pool.
    index: `build_index(baseline, products)`; order: `product_order(products)` (made once for every batch of
    queries); query columns: QUERY_COLUMNS + positive_ids, hard_negatives, conditions."""
    texts = query_texts(baseline, queries, products)
    rows = queries.select(["query_id", "positive_ids", "hard_negatives", "conditions"]).to_pylist()
    candidates = [_pair_candidates(q, order) for q in rows]
    flat_texts = [text for text, ids in zip(texts, candidates, strict=True) for _ in ids]
    scores = index.score(flat_texts, [pid for ids in candidates for pid in ids]) if flat_texts else np.empty(0)
    out, at = {}, 0
    for q, ids in zip(rows, candidates, strict=True):
        mine = scores[at:at + len(ids)]
        at += len(ids)
        ranked = sorted((-float(score), order[pid], pid) for score, pid in zip(mine, ids) if not np.isnan(score))
        out[q["query_id"]] = [pid for *_, pid in ranked]
    return out


def _pair_candidates(query: dict, order: Mapping[str, int]) -> list[str]:
    """The query's positives and minimal-pair negatives that are products of the export."""
    ids = list(query["positive_ids"] or [])
    ids += [pid for _, _, negatives in minimal_pairs(query["conditions"] or [], query["hard_negatives"]) for pid in negatives]
    return [pid for pid in dict.fromkeys(ids) if pid in order]


def _pools(products: pa.Table) -> dict[str, str]:
    """product id -> split of the pool holding it (products without a split are in no pool)."""
    return {pid: split for pid, split in zip(products.column("product_id").to_pylist(),
                                             products.column("split").to_pylist(), strict=True) if split is not None}

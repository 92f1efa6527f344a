"""What the retrieval stage calls share about searching: which handlers to load, what to search
within (a query's category), and how a deeper search's hits serve a shallower one.

The searching itself is an injected handler (`pipelines/retrieval/handler.py`); nothing here
reads a file or knows an index's backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.config import RetrievalConfig

if TYPE_CHECKING:
    from pipelines.retrieval.handler import Search, SearchHandler


@dataclass(frozen=True)
class RetrievalParams:
    """What the retrieval steps' calls read of the config."""

    retrieval: RetrievalConfig
    seed: int = 0
    overlap_negatives: int = 0  # negatives.per_query: retriever negatives come on top of these


def product_groups(products: pa.Table) -> dict[str, str]:
    """Each product's category: the groups a category-local search searches within."""
    return dict(zip(products.column("product_id").to_pylist(), products.column("category").to_pylist(), strict=True))


def load_searches(handlers: Mapping[str, SearchHandler], vectors: Mapping[str, pa.Table],
                  doc_groups: Mapping[str, str] | None = None) -> dict[str, Search]:
    """Each handler loaded from its vectors table (`vectors[name]`), in the handlers' order; a
    dense index with no vectors (an empty pool) is left out, BM25 is always searched."""
    return {name: handler.load(vectors[name], doc_groups) for name, handler in handlers.items()
            if name == "bm25" or vectors[name].num_rows}


def query_categories(rows: pa.Table, queries: pa.Table, category_local: bool) -> list[str] | None:
    """The category of each of `rows`' queries (by query_id), or None for a full-corpus search."""
    if not category_local:
        return None
    category = dict(zip(queries.column("query_id").to_pylist(), queries.column("category").to_pylist(), strict=True))
    return [category.get(q) for q in rows.column("query_id").to_pylist()]


def first(hits: pa.Table, k: int) -> pa.Table:
    """The first k hits of each row (a search's top k is the first k of its top k' > k, ties aside)."""
    return hits.set_column(1, "candidate_ids", pc.list_slice(hits.column("candidate_ids"), 0, k)).set_column(
        2, "scores", pc.list_slice(hits.column("scores"), 0, k))


def rows_of(hits: pa.Table, query_ids: list[str]) -> pa.Table:
    """The hits rows of `query_ids`, in that order (every id must have a row)."""
    at = pc.index_in(pa.array(query_ids, pa.string()), value_set=hits.column("query_id"))
    if at.null_count:
        raise ValueError(f"shared hits lack {at.null_count} of the queries")
    return hits.take(at)

"""Search handlers: what the retrieval stages are given to search with, shaped as Beam's ModelHandler.

A handler holds a retriever's configuration only (cheap, picklable: the plan builds it from the
config and passes it to a stage call); `load` builds the index once (per worker, per streamed
step) from a table, and the returned `IndexSearch` answers every batch of queries. Stages see the
`SearchHandler` / `Search` protocols only, so a test injects a fake that returns fixed hits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa

from pipelines.last_value import LastValue
from pipelines.retrieval.dense import DenseConfig, DenseIndex
from pipelines.retrieval.grouped import GroupedSearch
from pipelines.retrieval.index import BM25Config, BM25Index, TextIndex, search_table
from pipelines.table_digest import table_digest


class Search(Protocol):
    """A loaded index: hits tables (query_id, candidate_ids, scores) for a batch of queries."""

    def search(self, query_ids: list[str], texts: list[str], k: int,
               categories: list[str | None] | None = None) -> pa.Table: ...

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray: ...


class SearchHandler(Protocol):
    """Loads a `Search` from a table (an index step's vectors, or a corpus of texts)."""

    def load(self, table: pa.Table, doc_groups: Mapping[str, str] | None = None) -> Search: ...


class IndexBuilder(Protocol):
    """Builds an index over documents, as the table its `load` reads back (the index step)."""

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> pa.Table: ...


class IndexSearch:
    """One index searched batch after batch: top-k over the whole corpus or, given the queries'
    categories (retrieval.category_local), over each category's documents only (subset indexes
    built once: pipelines/retrieval/grouped.py says why no positive is lost)."""

    def __init__(self, index: TextIndex, doc_groups: Mapping[str, str] | None = None) -> None:
        self.index, self.doc_groups, self._grouped = index, doc_groups, None

    def __len__(self) -> int:
        return len(self.index)

    def search(self, query_ids: list[str], texts: list[str], k: int,
               categories: list[str | None] | None = None) -> pa.Table:
        if categories is None or self.doc_groups is None:
            return search_table(self.index, query_ids, texts, min(k, len(self.index)))
        if self._grouped is None:
            self._grouped = GroupedSearch(self.index, self.doc_groups)
        return self._grouped.search(query_ids, texts, categories, k)

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        return self.index.score(queries, doc_ids)


@dataclass(frozen=True)
class IndexHandler:
    """A stored index (the `index` step's `bm25` or `dense` vectors table) reloaded by `load`."""

    config: BM25Config | DenseConfig

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> pa.Table:
        """The index over these documents, as the vectors table `load` reads back (the index step's output)."""
        index = DenseIndex(self.config) if isinstance(self.config, DenseConfig) else BM25Index(self.config)
        index.build(ids, texts)
        return index.vectors()

    def load(self, table: pa.Table, doc_groups: Mapping[str, str] | None = None) -> IndexSearch:
        if isinstance(self.config, DenseConfig):
            return IndexSearch(DenseIndex.from_vectors(table, self.config), doc_groups)
        return IndexSearch(_shared_bm25(table, self.config), doc_groups)


# The last BM25 index this process loaded, by its vectors' content and config: the retrieval steps
# of one build (passages, caption filter, retriever negatives, difficulty) read the same index table,
# and indexing it again took 3 s each at 135K products. Like Beam's shared model, it is read-only
# once built; one entry, so never two indexes in memory.
_LOADED = LastValue()


def _shared_bm25(table: pa.Table, config: BM25Config) -> BM25Index:
    return _LOADED.get((config, table_digest(table)), lambda: BM25Index.from_vectors(table, config))


@dataclass(frozen=True)
class TextsHandler:
    """A BM25 index built in memory from a (passage_id, text) table: a user's passage corpus."""

    config: BM25Config = BM25Config()

    def load(self, table: pa.Table, doc_groups: Mapping[str, str] | None = None) -> IndexSearch:
        index = BM25Index(self.config)
        index.build(table.column("passage_id").to_pylist(), table.column("text").to_pylist())
        return IndexSearch(index, doc_groups)

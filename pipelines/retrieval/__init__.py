"""Retrieval indexes behind one interface (`TextIndex`): BM25 (bm25s) and dense (sentence-transformers).

The runner builds and queries indexes; stages only read the resulting hits tables
(`HITS_SCHEMA`: query_id, candidate_ids, scores). The dense backend imports torch lazily.
"""

from pipelines.retrieval.dense import DenseConfig, DenseIndex, exact_topk, resolve_model
from pipelines.retrieval.index import (
    HITS_SCHEMA,
    BM25Config,
    BM25Index,
    TextIndex,
    hits_table,
    positive_rank,
    search_table,
    tokenize,
)

__all__ = [
    "HITS_SCHEMA",
    "BM25Config",
    "BM25Index",
    "DenseConfig",
    "DenseIndex",
    "TextIndex",
    "exact_topk",
    "hits_table",
    "positive_rank",
    "resolve_model",
    "search_table",
    "tokenize",
]

"""The text-index interface, the hits table every retrieval stage reads, and the BM25 backend.

An index maps document ids to texts and answers top-k queries. Stages never run an index:
the runner does, and hands them a hits table (query_id, candidate_ids, scores), which keeps
the stages pure and lets a run be replayed from stored hits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from pipelines import progress, schemas

HITS_SCHEMA = schemas.schema("hits")  # the contract in schemas/v1/hits.json

# Thai is written without spaces between words, and its vowel and tone marks are combining
# characters that `\w` does not match, so a `\w+` tokeniser cuts Thai words at every mark.
# Thai runs are therefore matched as one block and split into overlapping bigrams of
# character clusters (a letter with its above/below marks), the usual dictionary-free
# fallback as in CJK search; a word segmenter such as pythainlp would be more precise but
# adds a large dependency for one language.
_THAI_RUN = r"[\u0E00-\u0E7F]+"
_THAI_CLUSTER = re.compile(r"[\u0E00-\u0E7F][\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]*")
_WORD = r"[^\W_]+"
_TOKEN = re.compile(f"{_THAI_RUN}|{_WORD}")


@runtime_checkable
class TextIndex(Protocol):
    """What every retrieval backend offers; `vectors()` is its persistable form."""

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> None: ...

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray: ...

    def subset(self, doc_ids: Sequence[str]) -> TextIndex: ...  # searched over these documents only

    def vectors(self) -> pa.Table: ...

    def __len__(self) -> int: ...


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens for en/ms/id/vi, character bigrams for Thai runs.

    NFKC first: Vietnamese typed in decomposed form (base letter + combining accent) would
    otherwise split at every accent, and full-width digits would not match ASCII ones.
    No stopwords or stemming: neither is shared by the five languages, and BM25's IDF
    already discounts words that are everywhere.
    """
    tokens: list[str] = []
    for word in _TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold()):
        # _TOKEN tries the Thai run first, so a token that starts with a Thai character is one
        if "\u0e00" <= word[0] <= "\u0e7f":
            tokens.extend(_bigrams(word))
        else:
            tokens.append(word)
    return tokens


def _bigrams(run: str) -> list[str]:
    clusters = _THAI_CLUSTER.findall(run)
    if len(clusters) < 3:
        return [run]
    return [clusters[i] + clusters[i + 1] for i in range(len(clusters) - 1)]


def hits_table(query_ids: Sequence[str], ids: Sequence[np.ndarray], scores: Sequence[np.ndarray]) -> pa.Table:
    """Pack `search` output into the hits table (one row per query, ranked best first).

    Rows may differ in length. Built column-wise: a Python list per row costs seconds per
    100K queries at depth 50.
    """
    lengths = np.fromiter((len(r) for r in ids), dtype=np.int64, count=len(ids))
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]), pa.int32())
    flat_ids = np.concatenate([np.asarray(r, dtype=object) for r in ids]) if len(ids) else np.empty(0, dtype=object)
    flat_scores = np.concatenate([np.asarray(r, dtype=np.float32) for r in scores]) if len(scores) else np.empty(0, np.float32)
    return pa.table({
        "query_id": pa.array(list(query_ids), pa.string()),
        "candidate_ids": pa.ListArray.from_arrays(offsets, pa.array(flat_ids, pa.string())),
        "scores": pa.ListArray.from_arrays(offsets, pa.array(flat_scores, pa.float32())),
    }, schema=HITS_SCHEMA)


def positive_rank(candidate_ids: Sequence[str], positive_ids: Sequence[str]) -> int | None:
    """1-based rank of the best-ranked positive among the candidates, None when none is there."""
    wanted = set(positive_ids)
    return next((rank for rank, pid in enumerate(candidate_ids, 1) if pid in wanted), None)


def search_table(index: TextIndex, query_ids: Sequence[str], texts: Sequence[str], k: int) -> pa.Table:
    """Run `index` for (query_id, text) pairs and return a hits table (runner-side helper).

    An index whose queries are answered independently (`search_batch` > 0) is asked in batches
    of that many, reporting progress after each (pipelines/progress.py); the hits are the same.
    """
    batch = getattr(index, "search_batch", 0) or len(texts) or 1
    progress.add_total(len(texts))
    parts = []
    for start in range(0, max(len(texts), 1), batch):
        parts.append(index.search(texts[start:start + batch], k))
        progress.advance(len(parts[-1][0]))
    ids, scores = parts[0] if len(parts) == 1 else (np.concatenate([p[0] for p in parts]),
                                                    np.concatenate([p[1] for p in parts]))
    return hits_table(query_ids, ids, scores)


@dataclass(frozen=True)
class BM25Config:
    """BM25 parameters (bm25s defaults: Lucene variant, k1=1.5, b=0.75)."""

    k1: float = 1.5
    b: float = 0.75
    method: str = "lucene"
    show_progress: bool = False
    n_threads: int = 0  # 0 or 1 = bm25s's single-threaded path; >1 uses that many threads (same hits)
    # "numba" (needs numba) is ~6x faster at top-k; it breaks score ties in another order than
    # "numpy", so the backend is part of the retrieval config (and of every fingerprint).
    backend: str = "numpy"


class BM25Index:
    """Lexical index on bm25s; scoring is bm25s's, only tokenisation is ours."""

    search_batch = 4096  # bm25s answers each query on its own: batches give the same hits

    def __init__(self, cfg: BM25Config = BM25Config()) -> None:
        self.cfg = cfg
        self._ids: list[str] = []
        self._tokens: list[list[str]] | None = []  # None once loaded by from_vectors
        self._row: dict[str, int] = {}
        self._bm25 = None
        self._pairs: tuple[np.ndarray, np.ndarray] | None = None  # see _pair_table

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Tokenise and index `texts`, addressed by `ids` (unique)."""
        self._index(list(ids), [tokenize(t) for t in texts])

    def _index(self, ids: list[str], tokens: list[list[str]]) -> None:
        bm25s = _bm25s()

        if len(set(ids)) != len(ids):
            raise ValueError("BM25Index.build: ids must be unique")
        self._ids, self._tokens = ids, tokens
        self._row = {doc_id: i for i, doc_id in enumerate(ids)}
        self._pairs = None
        self._bm25 = bm25s.BM25(k1=self.cfg.k1, b=self.cfg.b, method=self.cfg.method, backend=self.cfg.backend)
        if ids:
            self._bm25.index(tokens, show_progress=self.cfg.show_progress)

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids object[n, k'], scores float32[n, k']) with k' = min(k, len(self)).

        Equal scores are ordered by the documents' order in the index (bm25s leaves them in heap
        order): a query's top k is then the first k of its top k' > k, and a subset's ranking is
        the whole index's without the other documents, as far as the ties it returned reach.
        """
        k = min(k, len(self))
        if k <= 0 or not queries:
            return np.empty((len(queries), 0), dtype=object), np.empty((len(queries), 0), dtype=np.float32)
        rows, scores = self._bm25.retrieve(
            [tokenize(q) for q in queries],
            k=k,
            show_progress=self.cfg.show_progress,
            n_threads=self.cfg.n_threads,
        )
        scores = np.asarray(scores, dtype=np.float32)
        order = np.lexsort((rows, -scores), axis=1)  # score descending, then document order
        rows, scores = np.take_along_axis(rows, order, 1), np.take_along_axis(scores, order, 1)
        return np.asarray(self._ids, dtype=object)[rows], scores

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """BM25 score of queries[i] against document doc_ids[i] (NaN for an unknown id).

        A sparse dot product of the query's tokens with that one document's column of the
        score matrix, not a pass over the corpus: cost grows with the query, not the catalog.
        Summed in float32 in token order, as bm25s's search does, so the value equals the
        score the same document gets in a search (the retriever-negative guard compares them).
        """
        if len(doc_ids) != len(queries):
            raise ValueError("BM25Index.score: queries and doc_ids differ in length")
        out = np.full(len(queries), np.nan, dtype=np.float32)
        rows = np.array([self._row.get(d, -1) for d in doc_ids], dtype=np.int64)
        known = np.flatnonzero(rows >= 0)
        if not len(known) or self._bm25 is None:
            return out
        texts = [queries[i] for i in known]
        ids_of = {text: self._token_ids(text) for text in dict.fromkeys(texts)}  # a query comes once per positive
        token_ids = [ids_of[text] for text in texts]
        out[known] = _pair_scores(*self._pair_table(), token_ids, rows[known], len(self))
        return out

    def _token_ids(self, query: str) -> list[int]:
        vocab = self._bm25.vocab_dict
        return [vocab[t] for t in tokenize(query) if t in vocab]  # bm25s drops unknown tokens too

    def _pair_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, scores) of every stored (token, doc) score, key = token * n_docs + doc, sorted:
        the score of one pair is then a binary search."""
        if self._pairs is None:
            scores = self._bm25.scores
            keys = _entry_tokens(scores["indptr"]) * len(self) + scores["indices"].astype(np.int64)
            order = np.argsort(keys, kind="stable")  # already sorted: bm25s sorts each token's docs
            self._pairs = keys[order], scores["data"][order]
        return self._pairs

    def subset(self, doc_ids: Sequence[str]) -> BM25Index:
        """The same index searched over `doc_ids` only: scores stay those of the whole corpus
        (its IDF and average length), so a document scores the same in both, and the subset's
        top-k equals the whole index's ranking with the other documents left out."""
        bm25s = _bm25s()

        # bm25s's stored form (what its save() writes): a CSC score matrix, tokens as columns,
        # and the vocabulary; the subset keeps the rows (documents) of `doc_ids`.
        keep = np.zeros(len(self), dtype=bool)
        keep[[self._row[d] for d in doc_ids if d in self._row]] = True
        new_row = np.cumsum(keep) - 1
        scores = self._bm25.scores
        mask = keep[scores["indices"]]
        per_token = np.bincount(_entry_tokens(scores["indptr"])[mask], minlength=len(scores["indptr"]) - 1)
        sub = BM25Index(self.cfg)
        sub._ids = [d for d, k in zip(self._ids, keep) if k]
        sub._row = {d: i for i, d in enumerate(sub._ids)}
        sub._bm25 = bm25s.BM25(k1=self.cfg.k1, b=self.cfg.b, method=self.cfg.method, backend=self.cfg.backend)
        sub._bm25.scores = {
            "data": scores["data"][mask],
            "indices": new_row[scores["indices"][mask]].astype(scores["indices"].dtype),
            "indptr": np.concatenate([[0], np.cumsum(per_token)]).astype(scores["indptr"].dtype),
            "num_docs": len(sub._ids),
        }
        sub._bm25.vocab_dict = self._bm25.vocab_dict
        sub._bm25.unique_token_ids_set = self._bm25.unique_token_ids_set
        sub._bm25.nonoccurrence_array = getattr(self._bm25, "nonoccurrence_array", None)
        return sub

    def vectors(self) -> pa.Table:
        """(id, tokens list<string>): the tokenised corpus; `from_vectors` re-indexes it in seconds."""
        if self._tokens is None:
            raise ValueError("BM25Index.vectors: an index loaded by from_vectors keeps no tokens; its vectors "
                             "are the table it was loaded from")
        meta = {"meritgen.index": "bm25", "k1": str(self.cfg.k1), "b": str(self.cfg.b), "method": self.cfg.method}
        table = pa.table({"id": pa.array(self._ids, pa.string()), "tokens": pa.array(self._tokens, pa.list_(pa.string()))})
        return table.replace_schema_metadata(meta)

    @classmethod
    def from_vectors(cls, table: pa.Table, cfg: BM25Config = BM25Config()) -> BM25Index:
        """Rebuild from `vectors()` output without re-tokenising. The token lists are not kept (a third
        of the index's memory): the table is its vectors."""
        index = cls(cfg)
        index._index(table.column("id").to_pylist(), table.column("tokens").to_pylist())
        index._tokens = None
        return index


def _entry_tokens(indptr: np.ndarray) -> np.ndarray:
    """The token of each stored score of a CSC matrix (tokens are its columns)."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))


def _pair_scores(keys: np.ndarray, values: np.ndarray, token_ids: list[list[int]], docs: np.ndarray,
                 n_docs: int) -> np.ndarray:
    """sum over t in token_ids[i] of score(t, docs[i]), added in float32 in token order (as bm25s)."""
    lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=len(token_ids))
    total = np.zeros(len(token_ids), dtype=np.float32)
    if not lengths.sum() or not len(keys):
        return total
    pair = np.repeat(np.arange(len(token_ids)), lengths)
    wanted = np.fromiter((t for ids in token_ids for t in ids), dtype=np.int64) * n_docs + docs[pair]
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    # add.at adds element by element in array order: each pair's tokens, in query order, in float32
    np.add.at(total, pair, np.where(keys[at] == wanted, values[at], np.float32(0)))
    return total


def _bm25s():
    """bm25s, imported on first use (stages importing HITS_SCHEMA do not pay for it), with its logger
    at WARNING: it sets its own to DEBUG, which put a "Building index" line per index into every
    runner's log (Beam, Prefect) whose root level lets DEBUG through. Its numba kernel is compiled
    once per machine, not per process (retrieval/numba_cache.py)."""
    import logging

    import bm25s

    from pipelines.retrieval.numba_cache import cache_bm25s_kernels

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    cache_bm25s_kernels()
    return bm25s

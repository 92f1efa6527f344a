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
_THAI = re.compile(_THAI_RUN)


@runtime_checkable
class TextIndex(Protocol):
    """What every retrieval backend offers; `vectors()` is its persistable form."""

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> None: ...

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray: ...

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
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text or "").casefold()):
        word = match.group()
        if _THAI.fullmatch(word):
            tokens.extend(_bigrams(word))
        else:
            tokens.append(word)
    return tokens


def _bigrams(run: str) -> list[str]:
    clusters = _THAI_CLUSTER.findall(run)
    if len(clusters) < 3:
        return [run]
    return [clusters[i] + clusters[i + 1] for i in range(len(clusters) - 1)]


def hits_table(query_ids: Sequence[str], ids: np.ndarray, scores: np.ndarray) -> pa.Table:
    """Pack `search` output into the hits table (one row per query, ranked best first)."""
    return pa.Table.from_pydict(
        {
            "query_id": list(query_ids),
            "candidate_ids": [list(row) for row in ids],
            "scores": [np.asarray(row, dtype=np.float32) for row in scores],
        },
        schema=HITS_SCHEMA,
    )


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
    n_threads: int = 0  # 0 = bm25s's single-threaded path; >0 uses that many threads
    # "numba" (needs numba) is ~6x faster at top-k; it breaks score ties in another order than
    # "numpy", so the backend is part of the retrieval config (and of every fingerprint).
    backend: str = "numpy"


class BM25Index:
    """Lexical index on bm25s; scoring is bm25s's, only tokenisation is ours."""

    search_batch = 4096  # bm25s answers each query on its own: batches give the same hits

    def __init__(self, cfg: BM25Config = BM25Config()) -> None:
        self.cfg = cfg
        self._ids: list[str] = []
        self._tokens: list[list[str]] = []
        self._row: dict[str, int] = {}
        self._bm25 = None

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Tokenise and index `texts`, addressed by `ids` (unique)."""
        self._index(list(ids), [tokenize(t) for t in texts])

    def _index(self, ids: list[str], tokens: list[list[str]]) -> None:
        import bm25s  # imported here so that stages importing HITS_SCHEMA do not pay for it

        if len(set(ids)) != len(ids):
            raise ValueError("BM25Index.build: ids must be unique")
        self._ids, self._tokens = ids, tokens
        self._row = {doc_id: i for i, doc_id in enumerate(ids)}
        self._bm25 = bm25s.BM25(k1=self.cfg.k1, b=self.cfg.b, method=self.cfg.method, backend=self.cfg.backend)
        if ids:
            self._bm25.index(tokens, show_progress=self.cfg.show_progress)

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids object[n, k'], scores float32[n, k']) with k' = min(k, len(self))."""
        k = min(k, len(self))
        if k <= 0 or not queries:
            return np.empty((len(queries), 0), dtype=object), np.empty((len(queries), 0), dtype=np.float32)
        rows, scores = self._bm25.retrieve(
            [tokenize(q) for q in queries],
            k=k,
            show_progress=self.cfg.show_progress,
            n_threads=self.cfg.n_threads,
        )
        ids = np.asarray(self._ids, dtype=object)[rows]
        return ids, scores.astype(np.float32)

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """BM25 score of queries[i] against document doc_ids[i] (NaN for an unknown id)."""
        out = np.full(len(queries), np.nan, dtype=np.float32)
        # One pass over the corpus per run of equal queries; only the last pass is kept, since a
        # corpus-sized array per distinct query would not fit in memory at catalog scale.
        last_query, last_scores = None, None
        for i, (query, doc_id) in enumerate(zip(queries, doc_ids, strict=True)):
            if doc_id not in self._row:
                continue
            if query != last_query:
                tokens = tokenize(query)
                # bm25s.get_scores fails on an empty token list; an empty query scores 0
                last_query, last_scores = query, (self._bm25.get_scores(tokens) if tokens else None)
            out[i] = 0.0 if last_scores is None else last_scores[self._row[doc_id]]
        return out

    def vectors(self) -> pa.Table:
        """(id, tokens list<string>): the tokenised corpus; `from_vectors` re-indexes it in seconds."""
        meta = {"meritgen.index": "bm25", "k1": str(self.cfg.k1), "b": str(self.cfg.b), "method": self.cfg.method}
        table = pa.table({"id": pa.array(self._ids, pa.string()), "tokens": pa.array(self._tokens, pa.list_(pa.string()))})
        return table.replace_schema_metadata(meta)

    @classmethod
    def from_vectors(cls, table: pa.Table, cfg: BM25Config = BM25Config()) -> BM25Index:
        """Rebuild from `vectors()` output without re-tokenising."""
        index = cls(cfg)
        index._index(table.column("id").to_pylist(), table.column("tokens").to_pylist())
        return index

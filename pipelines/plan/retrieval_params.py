"""The frozen params of the retrieval steps: exactly what their calls read, nothing of the rest of the config.

A step's digest is derived from its params (`plan.step.planned`), so a setting its call reads
and its params lacked would leave stale output on rerun; a setting its params hold and its call
never reads would only rerun it. `passage_corpus` is a file spec: the passages step gets it
loaded, and its content (not its path) is part of that step's fingerprint.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pipelines.config import BuildConfig
from pipelines.digest_fields import NOT_DIGESTED
from pipelines.io.inputs import ParquetFile
from pipelines.stages.search_hits import RetrievalParams
from pipelines.vocab.vocabulary import Vocabulary


@dataclass(frozen=True)
class IndexParams:
    """What the index step reads: the BM25 backend and the dense model (none: BM25 only)."""

    bm25_backend: str
    dense_model: str


@dataclass(frozen=True)
class RetrievalStepParams:
    """What the query steps' calls read (stages/retrieval_calls.py, wired by plan/retrieval.py): the
    stage-side settings (`search`: `retrieval` with its corpus path blanked, since the file is
    `passage_corpus`; the seed; `negatives.per_query`), the vocabulary's value relations, and the
    cores bm25s may use (never changes the hits)."""

    search: RetrievalParams
    vocabulary: Vocabulary
    passage_corpus: ParquetFile | None = None  # the passages step's alone
    workers: int = field(default=0, metadata=NOT_DIGESTED)


def index_params(cfg: BuildConfig) -> IndexParams:
    return IndexParams(cfg.retrieval.bm25_backend, cfg.retrieval.dense_model)


def retrieval_params(cfg: BuildConfig, vocab: Vocabulary) -> RetrievalStepParams:
    """The query steps' params; the passages step adds its `passage_corpus` (`with_corpus`)."""
    search = RetrievalParams(dataclasses.replace(cfg.retrieval, passage_corpus=""), cfg.seed, cfg.negatives.per_query)
    return RetrievalStepParams(search, vocab, workers=cfg.workers)


def with_corpus(params: RetrievalStepParams, cfg: BuildConfig) -> RetrievalStepParams:
    path = cfg.retrieval.passage_corpus
    return dataclasses.replace(params, passage_corpus=ParquetFile(path, ("passage_id", "text")) if path else None)

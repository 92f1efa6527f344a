"""The base of the Malay-vs-Indonesian model: the dense NTREX-only logistic model of `5066c40`.

Each word's weight adds two evidences: its wordfreq Malay/Indonesian frequency ratio and a
naive-Bayes ratio from the NTREX-128 training documents; their mix, the marker and lingua weights
and the intercept are fitted by logistic regression on those training sentences and their
5-15-word spans, the naive-Bayes ratio cross-fitted (computed on the other fold of the training
documents) so that it is not trusted more than it deserves. `tools/train_langid.py` fits the
short-text terms on top of this base (its logit an offset), so that long news text keeps what the
base got right. `cross_fitted_logit` gives the base's logit of an NTREX training text without
that text's own document in the naive-Bayes table: the residual must not learn from an
over-confident base.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipelines.langid.evaluation import span_samples
from pipelines.langid.identify import strip_placeholders
from pipelines.langid.msid import content_words, features

# Naive-Bayes ratio over NTREX training documents: add-one smoothing, each word capped.
NB_ALPHA, NB_CLIP = 1.0, 3.0
L2 = 1e-3


def parallel_weights(samples: list[tuple[str, str]]) -> dict[str, float]:
    """Word -> capped naive-Bayes log ratio P(word in a Malay sentence) / P(... Indonesian)."""
    counts = {"ms": Counter(), "id": Counter()}
    for text, lang in samples:
        counts[lang].update(set(content_words(strip_placeholders(text))))
    vocab = sorted(set(counts["ms"]) | set(counts["id"]))
    totals = {lang: sum(c.values()) + NB_ALPHA * len(vocab) for lang, c in counts.items()}
    ratio = {w: math.log((counts["ms"][w] + NB_ALPHA) / totals["ms"]) - math.log((counts["id"][w] + NB_ALPHA) / totals["id"])
             for w in vocab}
    return {w: max(-NB_CLIP, min(NB_CLIP, r)) for w, r in ratio.items()}


def fold_of(doc_id: str) -> int:
    return zlib.crc32(f"fold:{doc_id}".encode()) % 2


def pair_samples(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(row[column], lang) for row in rows for lang, column in (("ms", "msa"), ("id", "ind"))]


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and intercept of an L2-regularised logistic regression (Newton's method)."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    penalty = l2 * len(x) * np.diag([0.0] + [1.0] * x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        step = np.linalg.solve(design.T @ (design * (p * (1 - p))[:, None]) + penalty, design.T @ (p - y) + penalty @ beta)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta[1:], float(beta[0])


@dataclass
class Base:
    """The fitted base: logit = intercept + [c_frequency, c_markers, c_lingua] . features + c_parallel
    * naive-Bayes evidence; `tables[fold]` is the naive-Bayes table without that fold, `table` the full one."""
    coefficients: list[float]
    intercept: float
    c_parallel: float
    table: dict[str, float]
    tables: dict[int, dict[str, float]]

    def word_weights(self, frequency: dict[str, float]) -> dict[str, float]:
        """One word table: the two word evidences mixed by their fitted weights."""
        weights = {w: round(self.coefficients[0] * frequency.get(w, 0.0) + self.c_parallel * self.table.get(w, 0.0), 3)
                   for w in sorted(set(frequency) | set(self.table))}
        return {w: v for w, v in weights.items() if v}

    def logit(self, dense: list[float], clean: str, fold: int | None = None) -> float:
        """The base's logit from `features(...)` with the raw wordfreq table; `fold` (an NTREX
        training text's) swaps in the naive-Bayes table fitted without that fold."""
        table = self.table if fold is None else self.tables[fold]
        evidence = sum(table.get(w, 0.0) for w in content_words(clean))
        return self.intercept + sum(c * v for c, v in zip(self.coefficients, dense)) + self.c_parallel * evidence


def fit_base(rows: list[dict[str, str]], frequency: dict[str, float], capitalised: frozenset[str],
             lingua_scores) -> Base:
    """Fit the base on NTREX training rows (sentences and spans, naive-Bayes evidence cross-fitted)."""
    tables = {fold: parallel_weights(pair_samples([r for r in rows if fold_of(r["doc_id"]) != fold])) for fold in (0, 1)}
    blocks, labels = [], []
    for fold in (0, 1):
        sentences = pair_samples([r for r in rows if fold_of(r["doc_id"]) == fold])
        for text, lang in sentences + span_samples(sentences):
            clean = strip_placeholders(text)
            evidence = sum(tables[fold].get(w, 0.0) for w in content_words(clean))
            blocks.append(features(clean, lingua_scores(text), frequency, capitalised) + [evidence])
            labels.append(lang == "ms")
    beta, intercept = fit_logistic(np.array(blocks), np.array(labels, dtype=float))
    return Base([float(b) for b in beta[:3]], intercept, float(beta[3]), parallel_weights(pair_samples(rows)), tables)

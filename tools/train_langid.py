"""Build `pipelines/langid_data/msid_model.json`, the Malay-vs-Indonesian model of the language check.

    pip install -e '.[langid-train]'
    python tools/train_langid.py --ntrex ../shared/data/ntrex128-dev

Each word's weight adds two evidences: its Malay/Indonesian frequency ratio in the wordfreq
word lists (CC BY-SA 4.0 data) and a naive-Bayes ratio from the training half of NTREX-128
dev (CC BY-SA 4.0; whole documents chosen by `pipelines.langid_eval.is_held_out`). Their
mix, the marker and lingua weights, the intercept and the acceptance margin are fitted by
logistic regression on those training sentences and their 5-15-word spans, the NTREX ratio
cross-fitted (computed on the other half of the training documents) so that it is not
trusted more than it deserves. The model also lists the markers that count when capitalised
(those that are not English words or names in the wordfreq English list, so "Sepanyol" counts and
"Tim" does not). The held-out half is never read here: it is what
`benchmarks/langid_eval.py` and the accuracy test report on.
Deterministic: the same inputs give the same file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.langid import _detector, strip_placeholders  # noqa: E402
from pipelines.langid_eval import is_held_out, read_ntrex, span_samples  # noqa: E402
from pipelines.langid_msid import INDONESIAN_MARKERS, MALAY_MARKERS, MODEL_PATH, content_words, features  # noqa: E402

# log(f_ms / f_id) with frequencies floored at EPS; |ratio| under DEAD_ZONE counts nothing
# (a word common to both whose ratio says more about the corpora's topics than the variety),
# and no single word may count more than CLIP.
EPS, DEAD_ZONE, CLIP = 1e-7, 1.0, 4.0
# Naive-Bayes ratio over NTREX training documents: add-one smoothing, each word capped.
NB_ALPHA, NB_CLIP = 1.0, 3.0
L2 = 1e-3
# A capitalised marker counts only when it is not also an English word or name at least this
# frequent (wordfreq English list): "Sepanyol" and "Isnin" count, "Tim", "Cuba" and "Wang" do not.
ENGLISH_FLOOR = 1e-6
# The acceptance margin is the widest one (of MARGINS) that keeps the training half's
# cross-acceptance at or under CROSS_TARGET.
MARGINS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
CROSS_TARGET = 0.05


def word_weights() -> dict[str, float]:
    """Word -> clipped, dead-zoned Malay/Indonesian log frequency ratio (zero ones dropped)."""
    from wordfreq import get_frequency_dict

    ms, id_ = get_frequency_dict("ms", wordlist="small"), get_frequency_dict("id", wordlist="small")
    weights = {}
    for word in sorted(set(ms) | set(id_)):
        if not word.replace("-", "").isalpha():
            continue
        ratio = math.log((ms.get(word, 0.0) + EPS) / (id_.get(word, 0.0) + EPS))
        value = math.copysign(min(CLIP, abs(ratio) - DEAD_ZONE), ratio)
        if abs(ratio) > DEAD_ZONE and round(value, 2):
            weights[word] = round(value, 2)
    return weights


def capitalised_markers() -> list[str]:
    """Single-word markers that are not English words: the capitalised words `marker_words` reads."""
    from wordfreq import word_frequency

    return sorted(w for w in MALAY_MARKERS | INDONESIAN_MARKERS
                  if "_" not in w and word_frequency(w, "en") < ENGLISH_FLOOR)


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


def _fold(doc_id: str) -> int:
    return zlib.crc32(f"fold:{doc_id}".encode()) % 2


def training_features(rows: list[dict[str, str]], weights: dict[str, float],
                      capitalised: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features of every training sentence and span, plus the cross-fitted NTREX word evidence."""
    blocks, labels = [], []
    for fold in (0, 1):
        fit_rows = [r for r in rows if _fold(r["doc_id"]) != fold]
        table = parallel_weights(_pair_samples(fit_rows))
        sentences = _pair_samples([r for r in rows if _fold(r["doc_id"]) == fold])
        for text, lang in sentences + span_samples(sentences):
            clean = strip_placeholders(text)
            evidence = sum(table.get(w, 0.0) for w in content_words(clean))
            blocks.append(features(clean, lingua_scores(text), weights, capitalised) + [evidence])
            labels.append(lang == "ms")
    return np.array(blocks), np.array(labels)


def _pair_samples(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(row[column], lang) for row in rows for lang, column in (("ms", "msa"), ("id", "ind"))]


def lingua_scores(text: str) -> dict[str, float]:
    values = _detector().compute_language_confidence_values(strip_placeholders(text))
    return {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Weights and intercept of an L2-regularised logistic regression (Newton's method)."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    penalty = l2 * len(x) * np.diag([0.0] + [1.0] * x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta[1:], float(beta[0])


def choose_margin(p_malay: np.ndarray, is_malay: np.ndarray) -> float:
    """The widest margin whose cross-acceptance (either direction) stays within CROSS_TARGET."""
    chosen = 0.0
    for margin in MARGINS:
        ms_as_id = float(np.mean(p_malay[is_malay] <= 0.5 + margin))
        id_as_ms = float(np.mean(p_malay[~is_malay] >= 0.5 - margin))
        if max(ms_as_id, id_as_ms) <= CROSS_TARGET:
            chosen = margin
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ntrex", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "ntrex128-dev")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    frequency = word_weights()
    rows = [r for r in read_ntrex(args.ntrex) if not is_held_out(r["doc_id"])]
    capitalised = capitalised_markers()
    x, y = training_features(rows, frequency, frozenset(capitalised))
    beta, intercept = fit_logistic(x, y.astype(float))
    c_frequency, c_markers, c_lingua, c_parallel = (float(b) for b in beta)
    # One word table: the two word evidences mixed by their fitted weights.
    parallel = parallel_weights(_pair_samples(rows))
    weights = {w: round(c_frequency * frequency.get(w, 0.0) + c_parallel * parallel.get(w, 0.0), 3)
               for w in sorted(set(frequency) | set(parallel))}
    weights = {w: v for w, v in weights.items() if v}
    coefficients = [1.0, c_markers, c_lingua]
    p_malay = 1.0 / (1.0 + np.exp(-(x @ beta + intercept)))
    margin = choose_margin(p_malay, y)
    model = {
        "about": "P(Malay | Malay or Indonesian) = sigmoid(intercept + coefficients . features); "
                 "see pipelines/langid_msid.py and tools/train_langid.py",
        "licence": "CC BY-SA 4.0: derived from the wordfreq word lists (Robyn Speer et al.) and from the "
                   "NTREX-128 dev set (Federmann et al. 2022), training documents only",
        "features": ["word_evidence", "marker_balance", "lingua_log_odds"],
        "coefficients": [round(c, 4) for c in coefficients],
        "intercept": round(intercept, 4),
        "margin": margin,
        "capitalised_markers": capitalised,
        "training": {"samples": len(y), "malay": int(y.sum()), "frequency_weight": round(c_frequency, 4),
                     "parallel_weight": round(c_parallel, 4), "accuracy": round(float(np.mean((p_malay >= 0.5) == y)), 4),
                     "eps": EPS, "dead_zone": DEAD_ZONE, "clip": CLIP, "nb_alpha": NB_ALPHA, "nb_clip": NB_CLIP, "l2": L2,
                     "english_floor": ENGLISH_FLOOR},
        "word_weights": weights,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(weights)} words, coefficients {model['coefficients']}, intercept {model['intercept']}, "
          f"margin {margin}, training accuracy {model['training']['accuracy']} on {len(y)} texts")


if __name__ == "__main__":
    main()

"""The Malay/Indonesian model's training tool on tiny inline data (the real data is in ../shared)."""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

TOOL = Path(__file__).resolve().parents[2] / "tools" / "train_langid.py"


@lru_cache(maxsize=1)
def _tool():
    spec = importlib.util.spec_from_file_location("train_langid", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_sparse_terms_get_the_side_they_were_seen_on():
    tool = _tool()
    terms = [["w:kasut", "w:saya"], ["w:kasut"], ["w:sepatu", "w:saya"], ["w:sepatu"], ["w:sekali"]]
    samples = tool.Samples(dense=np.zeros((5, 3)), terms=terms, malay=np.array([True, True, False, False, True]),
                           talpco=np.zeros(5, dtype=bool), fold=np.zeros(5, dtype=int))
    every = np.ones(5, dtype=bool)
    vocab = tool.vocabulary(samples, every)
    assert sorted(vocab) == ["w:kasut", "w:saya", "w:sepatu"]  # a term seen once gets no weight
    beta = tool.fit(tool.design(samples, every, vocab), samples.malay.astype(float), np.ones(5), 3, 0.1)
    assert beta[4 + vocab["w:kasut"]] > 0.5 > -0.5 > beta[4 + vocab["w:sepatu"]]
    assert beta[4 + vocab["w:kasut"]] > beta[4 + vocab["w:saya"]] > beta[4 + vocab["w:sepatu"]]


def test_the_threshold_shift_balances_the_two_varieties():
    tool = _tool()
    # Log-loss leaves every Malay text at P(Malay) 0.435: at 0.5 none passes; the smallest shift
    # that lets them through without letting an Indonesian one (0.3) pass is -0.07.
    p = np.array([0.435, 0.435, 0.3, 0.3])
    samples = tool.Samples(dense=np.zeros((4, 3)), terms=[[]] * 4, malay=np.array([True, True, False, False]),
                           talpco=np.array([False, True, False, True]), fold=np.zeros(4, dtype=int))
    assert tool.score(p, samples)[0] == 0.0
    assert tool.choose_shift(p, samples) == -0.07
    assert tool.score(p, samples, -0.07)[0] == 1.0


def test_terms_fitted_on_top_of_the_base_learn_only_what_it_misses():
    tool = _tool()
    # The base (the offset) already tells the two "kasut" texts apart but calls both "saya ..."
    # texts Indonesian: the terms must leave "kasut" alone and lift "pun" (seen only in Malay).
    terms = [["w:kasut"], ["w:kasut"], ["w:pun"], ["w:pun"], ["w:lah"], ["w:lah"]]
    malay = np.array([True, True, True, True, False, False])
    offset = np.array([4.0, 4.0, -1.0, -1.0, -1.0, -1.0])
    samples = tool.Samples(dense=np.zeros((6, 3)), terms=terms, malay=malay, talpco=np.ones(6, dtype=bool),
                           fold=np.zeros(6, dtype=int), offset=offset)
    every = np.ones(6, dtype=bool)
    vocab = tool.vocabulary(samples, every)
    beta = tool.fit_residual(samples, every, vocab, 0.1, 1.0)
    assert beta[1 + vocab["w:pun"]] > 1.0 and abs(beta[1 + vocab["w:kasut"]]) < beta[1 + vocab["w:pun"]] / 3


def test_the_base_logit_of_a_training_text_leaves_its_own_fold_out():
    base = _tool().Base(coefficients=[1.0, 0.0, 0.0], intercept=0.0, c_parallel=2.0,
                        table={"kasut": 3.0}, tables={0: {"kasut": 0.5}, 1: {}})
    assert base.logit([0.0, 0.0, 0.0], "Saya beli kasut") == 6.0
    assert base.logit([0.0, 0.0, 0.0], "Saya beli kasut", fold=0) == 1.0
    assert base.logit([1.5, 0.0, 0.0], "Saya beli kasut", fold=1) == 1.5
    assert base.word_weights({"kasut": 0.25, "sepatu": -1.0}) == {"kasut": 6.25, "sepatu": -1.0}


def test_the_threshold_counts_spans_as_their_own_group():
    tool = _tool()
    # Sentences are all right at 0.5; the spans' Malay side needs the threshold at 0.4.
    p = np.array([0.6, 0.3, 0.45, 0.3, 0.6, 0.3])
    samples = tool.Samples(dense=np.zeros((6, 3)), terms=[[]] * 6, malay=np.array([True, False] * 3),
                           talpco=np.array([False, False, False, False, True, True]), fold=np.zeros(6, dtype=int),
                           span=np.array([False, False, True, True, False, False]))
    assert tool.score(p, samples)[0] == 0.0
    assert tool.choose_shift(p, samples) == -0.05

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

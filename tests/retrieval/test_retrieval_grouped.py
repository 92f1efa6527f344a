"""Category-local search and per-document scoring equal a straightforward full-corpus reference."""

import random
from importlib.util import find_spec

import numpy as np
import pytest

from pipelines.retrieval import BM25Config, BM25Index, DenseIndex, search_table, tokenize
from pipelines.retrieval.grouped import search_grouped

# numba's first call compiles bm25s's kernels (tens of seconds on a busy machine): slow-marked
NUMBA = pytest.param("numba", marks=[pytest.mark.slow, pytest.mark.skipif(not find_spec("numba"), reason="numba not installed")])
BACKENDS = ["numpy", NUMBA]
WORDS = ["red", "blue", "green", "cotton", "wool", "denim", "slim", "long", "men", "women", "summer", "winter",
         "áo", "kasut", "hitam", "เสื้อยืด"]
TYPES = {"tops": ["shirt", "tee", "blouse"], "bottoms": ["jeans", "skirt", "shorts"], "shoes": ["sneaker", "boot"]}


def _catalog(n: int, seed: int = 3, shared_words: bool = True) -> tuple[list[str], list[str], dict[str, str]]:
    """n products: ids, distinct titles, category of each id. With shared_words=False a
    category's titles share no word with another category's."""
    rng = random.Random(seed)
    ids, titles, category = [], [], {}
    for i in range(n):
        cat = rng.choice(sorted(TYPES))
        words = [w if shared_words else f"{w}{cat}" for w in rng.sample(WORDS, rng.randint(2, 5))]
        titles.append(" ".join([*words, rng.choice(TYPES[cat]), f"sku{i}"]))  # the sku keeps titles distinct
        ids.append(f"p{i:04d}")
        category[ids[-1]] = cat
    return ids, titles, category


def _index(ids, titles, backend="numpy") -> BM25Index:
    index = BM25Index(BM25Config(backend=backend))
    index.build(ids, titles)
    return index


def _reference_scores(index: BM25Index, query: str) -> np.ndarray:
    """Every document's score from bm25s's own full-corpus pass (the old `score`)."""
    tokens = tokenize(query)
    return index._bm25.get_scores(tokens) if tokens else np.zeros(len(index), dtype=np.float32)


def _assert_same_ranking(got_ids: list[str], got_scores: list[float], want_ids: list[str], score_of: dict[str, float]):
    """Same scores in the same order and the same documents, ties in document order; only the
    tie group cut by the k-th place may hold other members of that group (bm25s picks them)."""
    assert got_scores == [score_of[d] for d in want_ids]
    assert [score_of[d] for d in got_ids] == got_scores
    last = got_scores[-1] if got_scores else None
    assert [d for d in got_ids if score_of[d] != last] == [d for d in want_ids if score_of[d] != last]
    cut = [d for d in got_ids if score_of[d] == last]
    assert cut == sorted(cut)  # ids are p0000.. in index order


@pytest.mark.parametrize("backend", BACKENDS)
def test_pair_score_is_bitwise_the_full_corpus_score(backend):
    ids, titles, _ = _catalog(300)
    index = _index(ids, titles, backend)
    rng = random.Random(5)
    queries = [" ".join(rng.sample(WORDS, 3)) + " jeans" for _ in range(40)]
    queries += ["red red red shirt", "", "unknownword", "blue unknownword blue"]  # repeats, empties, unknown tokens
    pairs = [(q, rng.choice(ids)) for q in queries for _ in range(5)]
    # and the documents a search puts on top, whose scores are not 0
    found, _ = index.search(queries, 3)
    pairs += [(q, d) for q, row in zip(queries, found, strict=True) for d in row]
    got = index.score([q for q, _ in pairs], [d for _, d in pairs])
    want = np.array([_reference_scores(index, q)[ids.index(d)] for q, d in pairs], dtype=np.float32)
    assert np.array_equal(got, want)  # bitwise: the retriever-negative guard compares these with search scores
    assert (want > 0).sum() > len(pairs) // 3
    assert np.isnan(index.score(["red"], ["no-such-id"])[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_category_local_search_is_the_full_ranking_without_other_categories(backend):
    ids, titles, category = _catalog(400)
    index = _index(ids, titles, backend)
    rng = random.Random(9)
    queries = [" ".join(rng.sample(WORDS, 4)) + f" {rng.choice(TYPES[c])}" for c in sorted(TYPES) for _ in range(15)]
    groups = [c for c in sorted(TYPES) for _ in range(15)]
    hits = search_grouped(index, [f"q{i}" for i in range(len(queries))], queries, groups, category, k=10)
    cats = np.array([category[d] for d in ids], dtype=object)
    for query, group, got_ids, got_scores in zip(queries, groups, hits.column("candidate_ids").to_pylist(),
                                                 hits.column("scores").to_pylist(), strict=True):
        scores = _reference_scores(index, query)  # the whole corpus's statistics, all categories scored
        mine = np.flatnonzero(cats == group)
        ranked = mine[np.argsort(-scores[mine], kind="stable")][:10]
        _assert_same_ranking(got_ids, got_scores, [ids[i] for i in ranked], {ids[i]: float(scores[i]) for i in mine})


@pytest.mark.parametrize("backend", BACKENDS)
def test_category_local_equals_full_search_where_categories_share_no_word(backend):
    ids, titles, category = _catalog(300, shared_words=False)
    index = _index(ids, titles, backend)
    queries = [f"{w}{c} {t}" for c in sorted(TYPES) for w in ("red", "wool") for t in TYPES[c][:1]]
    groups = [c for c in sorted(TYPES) for _ in ("red", "wool")]
    qids = [f"q{i}" for i in range(len(queries))]
    full = search_table(index, qids, queries, 5)
    assert all(category[d] == g for row, g in zip(full.column("candidate_ids").to_pylist(), groups, strict=True) for d in row)
    local = search_grouped(index, qids, queries, groups, category, 5)
    assert local.column("query_id").equals(full.column("query_id"))
    for query, got_ids, got_scores, want_ids in zip(queries, local.column("candidate_ids").to_pylist(),
                                                    local.column("scores").to_pylist(),
                                                    full.column("candidate_ids").to_pylist(), strict=True):
        scores = _reference_scores(index, query)
        _assert_same_ranking(got_ids, got_scores, want_ids, {d: float(scores[i]) for i, d in enumerate(ids)})


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_shallow_search_is_the_head_of_a_deeper_one_even_with_tied_scores(backend):
    ids, titles, _ = _catalog(200)
    index = _index(ids, [t.rsplit(" sku", 1)[0] for t in titles], backend)  # without the sku: many equal titles
    queries = [" ".join(random.Random(i).sample(WORDS, 3)) for i in range(60)]
    shallow, shallow_scores = index.search(queries, 10)
    deep, deep_scores = index.search(queries, 30)
    assert (shallow_scores == deep_scores[:, :10]).all()
    for got, want, scores in zip(shallow.tolist(), deep[:, :10].tolist(), shallow_scores.tolist(), strict=True):
        uncut = [i for i, s in enumerate(scores) if s != scores[-1]]  # bm25s picks the members of the cut group
        assert [got[i] for i in uncut] == [want[i] for i in uncut]
    ties_inside = sum(len(set(row[:-1]) - {row[-1]}) < len([s for s in row[:-1] if s != row[-1]])
                      for row in shallow_scores.tolist())
    assert ties_inside > 5  # ties before the cut, which bm25s alone would order by its heap


def test_a_query_without_a_group_searches_everything_and_unknown_groups_find_nothing():
    ids, titles, category = _catalog(50)
    index = _index(ids, titles)
    hits = search_grouped(index, ["a", "b"], ["red jeans", "red jeans"], [None, "hats"], category, 5)
    assert hits.column("candidate_ids").to_pylist()[0] == list(index.search(["red jeans"], 5)[0][0])
    assert hits.column("candidate_ids").to_pylist()[1] == []


def test_dense_subset_keeps_the_cosines():
    vectors = {"a": [1.0, 0.0], "b": [0.6, 0.8], "c": [0.0, 1.0]}
    index = DenseIndex(encoder=lambda texts: np.array([vectors[t] for t in texts], dtype=np.float32))
    index.build(list(vectors), list(vectors))
    sub = index.subset(["c", "b"])
    ids, scores = sub.search(["a"], 5)
    assert list(ids[0]) == ["b", "c"]
    assert scores[0].tolist() == pytest.approx(index.score(["a", "a"], ["b", "c"]).tolist())


@pytest.mark.parametrize("backend", BACKENDS)
def test_threads_give_the_single_threaded_hits(backend):
    """load_indexes gives bm25s `workers` threads (numba: a parallel loop over queries): same ids, same scores."""
    ids, titles, _ = _catalog(500)
    rng = random.Random(13)
    queries = [" ".join(rng.sample(WORDS, 3)) + f" {rng.choice(TYPES[c])}" for c in sorted(TYPES) for _ in range(40)]
    results = []
    for threads in (0, 2):
        index = BM25Index(BM25Config(backend=backend, n_threads=threads))
        index.build(ids, titles)
        results.append(index.search(queries, 20))
    (ids0, scores0), (ids2, scores2) = results
    assert np.array_equal(ids0, ids2) and np.array_equal(scores0, scores2)
    assert (scores0[:, 0] > 0).all()

"""BM25 backend, tokenisation, exact top-k and the hits table."""

import unicodedata

import numpy as np
import pytest

from pipelines.retrieval import (
    BM25Index,
    DenseConfig,
    DenseIndex,
    TextIndex,
    exact_topk,
    positive_rank,
    search_table,
    tokenize,
)

DOCS = {
    "shirt": "red cotton shirt with long sleeves",
    "jeans": "blue denim jeans slim fit",
    "hat": "green wool winter hat",
    "vi": "áo sơ mi trắng nam",
    "th": "เสื้อยืดสีแดง ผ้าฝ้าย",
    "ms": "kasut sukan hitam",
}


def _bm25():
    index = BM25Index()
    index.build(list(DOCS), list(DOCS.values()))
    return index


def test_thai_is_split_into_cluster_bigrams_not_at_marks():
    # `\w+` would cut at the vowel/tone marks; clusters keep a letter with its marks.
    assert tokenize("สีแดง") == ["สีแ", "แด", "ดง"]
    assert set(tokenize("สีแดง")) <= set(tokenize("เสื้อยืดสีแดง"))


def test_vietnamese_decomposed_input_tokenises_like_composed():
    composed = "áo sơ mi trắng"
    assert tokenize(unicodedata.normalize("NFD", composed)) == tokenize(composed) == ["áo", "sơ", "mi", "trắng"]


@pytest.mark.parametrize(
    "query,expected",
    [("blue jeans", "jeans"), ("wool hat", "hat"), ("áo sơ mi", "vi"), ("สีแดง", "th"), ("kasut hitam", "ms")],
)
def test_bm25_finds_the_obvious_neighbour(query, expected):
    ids, scores = _bm25().search([query], k=3)
    assert ids[0, 0] == expected and scores[0, 0] > scores[0, 1]


def test_bm25_clips_k_and_handles_empty_queries():
    ids, scores = _bm25().search(["", "hat"], k=50)
    assert ids.shape == scores.shape == (2, len(DOCS))
    assert BM25Index().search(["x"], 3)[0].shape == (1, 0)


def test_bm25_score_matches_search_and_survives_a_reload():
    index = _bm25()
    ids, scores = index.search(["red cotton shirt"], k=1)
    assert index.score(["red cotton shirt"], [ids[0, 0]])[0] == pytest.approx(scores[0, 0])
    reloaded = BM25Index.from_vectors(index.vectors())
    again_ids, _ = reloaded.search(["red cotton shirt"], k=3)
    assert (again_ids == index.search(["red cotton shirt"], k=3)[0]).all()
    assert np.isnan(index.score(["x"], ["nope"])[0])


def test_both_backends_satisfy_the_protocol():
    assert isinstance(BM25Index(), TextIndex) and isinstance(DenseIndex(), TextIndex)


def test_exact_topk_in_chunks_equals_a_full_sort():
    rng = np.random.default_rng(0)
    docs, queries = rng.normal(size=(500, 8)).astype(np.float32), rng.normal(size=(23, 8)).astype(np.float32)
    rows, scores = exact_topk(queries, docs, 7, block=1000)  # 2 queries per chunk
    full = queries @ docs.T
    assert (rows == np.argsort(-full, axis=1)[:, :7]).all()
    assert np.allclose(scores, np.sort(full, axis=1)[:, ::-1][:, :7])


def test_exact_topk_breaks_ties_on_the_lower_row():
    docs = np.ones((6, 2), dtype=np.float32)
    rows, _ = exact_topk(np.ones((1, 2), dtype=np.float32), docs, 3)
    assert rows.tolist() == [[0, 1, 2]]


def _toy_encoder(texts):
    # Bag of letters: deterministic, no model needed, enough to test the numpy side.
    out = np.zeros((len(texts), 26), dtype=np.float32)
    for i, t in enumerate(texts):
        for ch in t.lower():
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
    return out


def test_dense_vectors_round_trip_and_refuse_another_model():
    index = DenseIndex(DenseConfig(model="toy", show_progress=False), encoder=_toy_encoder)
    index.build(["a", "b", "c"], ["aaaa", "bbbb", "cccc"])
    table = index.vectors()
    assert table.column_names == ["id", "vector"] and str(table.schema.field("vector").type) == "list<item: float>"
    reloaded = DenseIndex.from_vectors(table, DenseConfig(model="toy"), encoder=_toy_encoder)
    assert reloaded.search(["bbb"], 1)[0][0, 0] == "b"
    assert np.allclose(reloaded.score(["bbb"], ["b"]), 1.0)
    with pytest.raises(ValueError, match="built with 'toy'"):
        DenseIndex.from_vectors(table, DenseConfig(model="other"))


def test_search_table_and_positive_rank():
    hits = search_table(_bm25(), ["q1"], ["wool hat"], k=2)
    assert hits.column_names == ["query_id", "candidate_ids", "scores"]
    ranked = hits.column("candidate_ids")[0].as_py()
    assert positive_rank(ranked, ["hat"]) == 1 and positive_rank(ranked, ["nope"]) is None


def test_the_steps_of_a_build_share_one_loaded_index_and_another_table_gets_its_own():
    """IndexHandler.load indexes a vectors table once per process (the retrieval steps read the same one);
    a table that differs in one token, or only in a slice of its rows, is indexed anew, never served stale."""
    import pyarrow as pa

    import pipelines.retrieval.handler as handler
    from pipelines.retrieval.handler import IndexHandler
    from pipelines.retrieval.index import BM25Config

    index = BM25Index()
    index.build(["a", "b", "c"], ["red cotton shirt", "blue denim jeans", "red silk scarf"])
    table = index.vectors()
    load = IndexHandler(BM25Config()).load
    first = load(table)
    assert load(pa.Table.from_batches(table.to_batches())).index is first.index  # same content, new object
    changed = table.set_column(1, "tokens", pa.array([["red", "wool", "shirt"], ["blue"], ["red"]], pa.list_(pa.string())))
    other = load(changed)
    assert other.index is not first.index and other.index.search(["wool"], 1)[0][0].tolist() == ["a"]
    sliced = load(table.slice(1))
    assert len(sliced.index) == 2 and sliced.index is not other.index
    assert load(table).index is not first.index  # one entry: the first was let go for the others
    assert handler._LOADED.value is load(table).index
    with pytest.raises(ValueError, match="keeps no tokens"):
        first.index.vectors()  # a loaded index's vectors are the table it came from

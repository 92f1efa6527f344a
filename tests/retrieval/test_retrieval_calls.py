"""The retrieval steps' stage-side calls with an injected search handler (stages/retrieval_calls.py).

A fake handler returns fixed hits: what it returns is what the steps build from, what it is
asked (depth, categories, which table it loads) is the stage's decision, and it is loaded once
per prepared call, never per batch.
"""

import ast
from pathlib import Path

import pyarrow as pa
import pytest
from retrieval_tables import attributes, hits, products, queries, query

from pipelines.config import RetrievalConfig, load_config
from pipelines.retrieval import BM25Config, BM25Index
from pipelines.retrieval.grouped import search_grouped
from pipelines.retrieval.handler import IndexHandler, TextsHandler
from pipelines.stages import retrieval_calls as calls
from pipelines.stages.matching import Matcher
from pipelines.stages.passages import product_corpus
from pipelines.stages.search_hits import RetrievalParams, first, load_searches, query_categories, rows_of
from pipelines.vocab.vocabulary import load_vocabulary

PRODUCTS, ATTRIBUTES = products(), attributes()
BM25 = pa.table({"id": ["stands-for-bm25-vectors"]})
DENSE = pa.table({"id": pa.array([], pa.string())})


class FixedHits:
    """A search handler whose every query gets `ranked` (cut to k); it records what it was asked."""

    def __init__(self, ranked, positive_score=10.0):
        self.ranked, self.positive_score, self.loads, self.searches = ranked, positive_score, [], []

    def load(self, table, doc_groups=None):
        self.loads.append((table, doc_groups))
        return self

    def search(self, query_ids, texts, k, categories=None):
        self.searches.append({"texts": texts, "k": k, "categories": categories})
        return hits({q: self.ranked[:k] for q in query_ids})

    def score(self, texts, doc_ids):
        return [self.positive_score] * len(doc_ids)


def _params(**retrieval):
    return RetrievalParams(RetrievalConfig(**retrieval), seed=1)


def test_passages_are_built_from_the_injected_handlers_hits():
    fake = FixedHits(["p4", "p2", "p3"])
    call = calls.passages_batches(PRODUCTS, product_corpus(PRODUCTS), BM25, DENSE, {"bm25": fake}, _params(passages_k=2))
    batches = [call(queries(query("q1"))) for _ in range(2)]
    assert [row["passage_source_ids"] for row in batches[0].outputs["passages"].to_pylist()] == [["p4", "response:p1", "p2"]]
    assert len(fake.loads) == 1 and fake.loads[0][0] is BM25  # loaded once, from the index step's table
    assert fake.loads[0][1]["p6"] == "shoes"  # the products' categories: what a category-local search keeps to
    assert fake.searches[0] == {"texts": ["Red cotton shirt long sleeve"], "k": 2 + calls.PASSAGE_OVERFETCH,
                                "categories": ["shirt"]}


def test_whole_catalog_passages_and_a_passage_corpus_search_without_categories():
    fake = FixedHits(["p4", "p2"])
    calls.passages_batches(PRODUCTS, product_corpus(PRODUCTS), BM25, DENSE, {"bm25": fake},
                           _params(category_local=False))(queries(query("q1")))
    assert fake.searches[0]["categories"] is None
    corpus = pa.table({"passage_id": ["c1", "c2"], "text": ["A red shirt", "A blue coat"]})
    own, unused = FixedHits(["c2", "c1"]), FixedHits([])
    result = calls.passages_batches(PRODUCTS, product_corpus(PRODUCTS), BM25, DENSE, {"bm25": unused}, _params(passages_k=1),
                                    passage_corpus=corpus, corpus_handler=own)(queries(query("q1")))
    assert own.loads == [(corpus, None)] and own.searches[0]["categories"] is None and not unused.loads
    assert result.outputs["passages"].column("passage_source_ids").to_pylist() == [["c2", "response:p1"]]


@pytest.mark.parametrize(("ranked", "kept"), [(["p1", "p2"], 0), (["p2", "p3", "p1"], 1)])
def test_the_caption_filter_drops_a_query_whose_positive_the_handler_ranks_first(ranked, kept):
    fake = FixedHits(ranked)
    result = calls.caption_filter_batches(PRODUCTS, ATTRIBUTES, BM25, DENSE, {"bm25": fake}, _params())(queries(query("q1")))
    assert result.outputs["queries"].num_rows == kept
    assert result.counters["queries_kept"] == kept and result.counters[calls.TALLY + "queries"] == 1
    # One search at the negatives' depth serves both steps (shared_hits); the blind one at the filter's.
    assert [s["k"] for s in fake.searches] == [20, 10]
    assert result.outputs["shared_hits"].column("candidate_ids").to_pylist() == [ranked]


def _variants():
    return calls.caption_filter_batches(PRODUCTS, ATTRIBUTES, BM25, DENSE, {"bm25": FixedHits([])},
                                        _params())(queries(query("q1"))).outputs["variants"]


def test_retriever_negatives_come_from_the_handler_or_from_the_caption_filters_shared_hits():
    matcher = Matcher.from_vocabulary(load_vocabulary(load_config().mine.vocabulary))
    searched = FixedHits(["p2", "p3"])
    call = calls.retriever_negatives_batches(PRODUCTS, ATTRIBUTES, _variants(), BM25, DENSE, {"bm25": searched},
                                             _params(), matcher)
    assert call(queries(query("q1"))).outputs["queries"].column("hard_negative_ids").to_pylist() == [["p2", "p3"]]
    assert searched.searches[0]["k"] == 20 and searched.searches[0]["categories"] == ["shirt"]
    shared, unasked = hits({"q0": ["p1"], "q1": ["p3", "p5"]}), FixedHits(["p2"])
    call = calls.retriever_negatives_batches(PRODUCTS, ATTRIBUTES, _variants(), BM25, DENSE, {"bm25": unasked},
                                             _params(), matcher, shared_hits=shared)
    assert call(queries(query("q1"))).outputs["queries"].column("hard_negative_ids").to_pylist() == [["p3"]]
    assert not unasked.searches  # the filter retriever's hits were handed over


def test_difficulty_searches_each_loaded_retriever_whole_for_both_variants():
    fake = FixedHits(["p1", "p2"])
    captions = calls.caption_filter_once(PRODUCTS, ATTRIBUTES, _params()).outputs["captions"]
    (report,) = calls.difficulty_stream([queries(query("q1"), query("q2", split="train"))], captions, BM25, DENSE,
                                        {"bm25": fake}, _params())
    assert [(s["k"], s["categories"]) for s in fake.searches] == [(10, None), (10, None)]
    assert fake.searches[0]["texts"] != fake.searches[1]["texts"]  # captions, then images removed
    assert report.outputs["report"].num_rows > 0


def test_a_dense_index_without_vectors_is_not_loaded_bm25_always_is():
    bm25, dense = FixedHits([]), FixedHits([])
    empty = pa.table({"id": pa.array([], pa.string())})
    assert list(load_searches({"bm25": bm25, "dense": dense}, {"bm25": empty, "dense": empty})) == ["bm25"]
    assert list(load_searches({"bm25": bm25, "dense": dense}, {"bm25": empty, "dense": BM25})) == ["bm25", "dense"]


def test_first_rows_of_and_categories():
    table = hits({"a": ["p1", "p2", "p3"], "b": ["p4"]})
    assert first(table, 2).column("candidate_ids").to_pylist() == [["p1", "p2"], ["p4"]]
    assert rows_of(table, ["b", "a"]).column("query_id").to_pylist() == ["b", "a"]
    with pytest.raises(ValueError, match="lack 1 of the queries"):
        rows_of(table, ["a", "c"])
    rows = pa.table({"query_id": ["q2", "q1"]})
    asked = pa.table({"query_id": ["q1", "q2"], "category": ["shirt", "shoes"]})
    assert query_categories(rows, asked, True) == ["shoes", "shirt"] and query_categories(rows, asked, False) is None


def test_the_real_handlers_search_as_the_index_does():
    corpus = product_corpus(PRODUCTS)
    index = BM25Index(BM25Config())
    index.build(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist())
    groups = dict(zip(PRODUCTS.column("product_id").to_pylist(), PRODUCTS.column("category").to_pylist()))
    search = IndexHandler(BM25Config()).load(index.vectors(), groups)
    assert search.search(["q"], ["red cotton"], 3, ["shoes"]).equals(
        search_grouped(index, ["q"], ["red cotton"], ["shoes"], groups, 3))
    assert search.search(["q"], ["red cotton"], 3).column("candidate_ids").to_pylist() == [list(index.search(["red cotton"], 3)[0][0])]
    texts = TextsHandler().load(pa.table({"passage_id": ["c1", "c2"], "text": ["red shirt", "blue coat"]}))
    assert texts.search(["q"], ["blue coat"], 5).column("candidate_ids").to_pylist()[0][0] == "c2"


class Built:
    """An index builder that records the documents it was given and returns a marker table."""

    def __init__(self, name):
        self.name, self.docs = name, None

    def build(self, ids, texts):
        self.docs = list(zip(ids, texts))
        return pa.table({"id": ids, "built_by": [self.name] * len(ids)})


def test_the_index_step_builds_each_handlers_index_over_the_product_corpus():
    bm25, dense = Built("bm25"), Built("dense")
    result = calls.build_indexes(PRODUCTS, {"bm25": bm25})
    assert result.outputs["bm25"].column("built_by").to_pylist() == ["bm25"] * PRODUCTS.num_rows
    assert bm25.docs[0] == ("p1", product_corpus(PRODUCTS).column("text")[0].as_py())
    assert result.outputs["dense"].num_rows == 0 and result.counters == {"documents": PRODUCTS.num_rows, "dense": 0}
    result = calls.build_indexes(PRODUCTS, {"bm25": bm25, "dense": dense})
    assert result.outputs["dense"].column("built_by")[0].as_py() == "dense" and result.counters["dense"] == 1


def test_the_plan_only_wires_the_retrieval_steps():
    """plan/retrieval.py builds handlers from the config and passes them: it builds, loads or searches no index."""
    tree = ast.parse((Path(__file__).resolve().parents[2] / "pipelines" / "plan" / "retrieval.py").read_text())
    called = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert not called & {"search", "build", "load", "from_vectors", "score", "subset"}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module.startswith("pipelines.retrieval")
                for a in n.names}
    assert imported <= {"BM25Config", "DenseConfig", "IndexHandler", "TextsHandler"}


def test_the_sharded_and_streamed_forms_pickle_for_worker_processes():
    """Each retrieval step's per_shard and streamed callables are plain objects (no lambdas): a
    process pool can ship them as they are; unpickled, they still run."""
    import pickle

    from pipelines.io.build_resources import load_resources
    from pipelines.plan.retrieval import difficulty_step, retrieval_steps

    cfg = load_config()
    vocab = load_resources(cfg).vocabulary
    steps = [*retrieval_steps(cfg, vocab, ("negatives", "queries"), ("mine", "attributes")), difficulty_step(cfg, vocab)]
    shipped = [f for s in steps for f in (s.per_shard and s.per_shard.prepare, s.per_shard and s.per_shard.once,
                                          s.per_shard and s.per_shard.finish, s.streamed and s.streamed.call) if f]
    assert len(shipped) == 9
    for f in shipped:
        pickle.loads(pickle.dumps(f))
    once = next(s for s in steps if s.name == "caption_filter").per_shard.once
    captions = pickle.loads(pickle.dumps(once))(products=PRODUCTS, attributes=ATTRIBUTES).outputs["captions"]
    assert captions.num_rows == PRODUCTS.num_rows

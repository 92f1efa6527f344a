"""Retriever hard negatives: false-negative guards, provenance, merge order and cap."""

import pyarrow as pa
from retrieval_tables import attributes, hits, products, queries, query

from pipelines.stages.retriever_negatives import (
    POSITIVE_SCORES_SCHEMA,
    RetrieverNegativesConfig,
    add_retriever_negatives,
)

PRODUCTS, ATTRIBUTES = products(), attributes()
OVERLAP = [{"product_id": "p3", "source": "overlap", "violates": ["material"]}]
# q1 wants a red cotton shirt; p1 is its positive, p4 also meets every condition.
LEXICAL = hits({"q1": ["p1", "p3", "p4", "p2", "p5", "p6"]}, {"q1": [10.0, 9.8, 6.0, 5.0, 4.0, 3.0]})
DENSE = hits({"q1": ["p2", "p3", "p6", "p4"]}, {"q1": [0.9, 0.7, 0.5, 0.4]})
DENSE_POSITIVE = pa.Table.from_pylist([{"query_id": "q1", "retriever": "dense", "product_id": "p1", "score": 0.8}],
                                      schema=POSITIVE_SCORES_SCHEMA)


def _run(cfg=None, negatives=(), **kw):
    cfg = cfg or RetrieverNegativesConfig()
    result = add_retriever_negatives(queries(query("q1", negatives=negatives)), PRODUCTS, ATTRIBUTES, cfg, **kw)
    row = result.outputs["queries"].to_pylist()[0]
    assert row["hard_negative_ids"] == [n["product_id"] for n in row["hard_negatives"]]
    return row["hard_negatives"], result.counters


def test_lexical_guards():
    negatives, counters = _run(lexical_hits=LEXICAL)
    assert negatives == [
        {"product_id": "p2", "source": "lexical", "violates": ["color"]},
        {"product_id": "p6", "source": "lexical", "violates": ["category"]},
    ]
    assert counters["excluded_positive"] == 1
    assert counters["excluded_score_guard"] == 1  # p3 at 9.8 > 0.95 x 10
    assert counters["excluded_meets_all_conditions"] == 1  # p4
    assert counters["excluded_unverifiable"] == 1  # p5: material unknown proves nothing


def test_a_product_meeting_every_condition_is_never_a_negative():
    loose = RetrieverNegativesConfig(max_score_ratio=10.0, depth=100)
    negatives, counters = _run(loose, lexical_hits=LEXICAL, dense_hits=DENSE, positive_scores=DENSE_POSITIVE)
    assert "p4" not in {n["product_id"] for n in negatives} and "p1" not in {n["product_id"] for n in negatives}
    # p5 violates nothing it has a value for (material unknown): unverified, never a negative (issue #10)
    assert "p5" not in {n["product_id"] for n in negatives} and counters["excluded_unverifiable"] == 1


def test_unknown_candidates_are_skipped():
    negatives, counters = _run(lexical_hits=hits({"q1": ["p1", "ghost", "p2"]}, {"q1": [10.0, 2.0, 1.0]}))
    assert [n["product_id"] for n in negatives] == ["p2"] and counters["excluded_unknown_product"] == 1


def test_score_guard_is_095_of_the_positive():
    ranked = hits({"q1": ["p1", "p2", "p6"]}, {"q1": [10.0, 9.51, 9.49]})
    negatives, counters = _run(lexical_hits=ranked)
    assert [n["product_id"] for n in negatives] == ["p6"] and counters["excluded_score_guard"] == 1


def test_positive_score_from_a_separate_table_or_nothing():
    negatives, _ = _run(dense_hits=DENSE, positive_scores=DENSE_POSITIVE)
    assert [n["product_id"] for n in negatives] == ["p3", "p6"]  # p2 at 0.9 > 0.95 x 0.8
    negatives, counters = _run(dense_hits=DENSE)
    assert negatives == [] and counters["no_positive_score_dense"] == 1


def test_merge_keeps_overlap_first_dedupes_and_caps():
    kw = dict(negatives=OVERLAP, lexical_hits=LEXICAL, dense_hits=DENSE, positive_scores=DENSE_POSITIVE)
    negatives, counters = _run(**kw)
    assert [(n["product_id"], n["source"]) for n in negatives] == [("p3", "overlap"), ("p2", "lexical"), ("p6", "dense")]
    assert counters["negatives_overlap"] == 1 and counters["negatives_dense"] == 1
    capped, _ = _run(RetrieverNegativesConfig(per_query=2), **kw)
    assert [n["product_id"] for n in capped] == ["p3", "p2"]


def test_same_category_only_drops_other_categories():
    negatives, counters = _run(RetrieverNegativesConfig(same_category_only=True), lexical_hits=LEXICAL)
    assert [n["product_id"] for n in negatives] == ["p2"] and counters["excluded_other_category"] == 1


def test_batches_of_rows_give_the_one_batch_result(monkeypatch):
    """Rows are processed BATCH_ROWS at a time (memory bounded by the batch): batch boundaries change nothing."""
    import pipelines.stages.retriever_negatives as stage

    rows = [query(f"q{k}", negatives=OVERLAP if k % 2 else ()) for k in range(1, 6)]
    ranked = hits({r["query_id"]: ["p1", "p3", "p2", "p6"] for r in rows}, {r["query_id"]: [10.0, 9.0, 5.0, 3.0] for r in rows})
    kw = dict(lexical_hits=ranked, dense_hits=DENSE, positive_scores=DENSE_POSITIVE)
    whole = add_retriever_negatives(queries(*rows), PRODUCTS, ATTRIBUTES, RetrieverNegativesConfig(), **kw)
    monkeypatch.setattr(stage, "BATCH_ROWS", 2)
    batched = add_retriever_negatives(queries(*rows), PRODUCTS, ATTRIBUTES, RetrieverNegativesConfig(), **kw)
    assert batched.outputs["queries"].to_pylist() == whole.outputs["queries"].to_pylist()
    assert batched.counters == whole.counters and whole.counters["negatives_overlap"] == 3
    firsts = [r["hard_negatives"][0]["source"] for r in whole.outputs["queries"].to_pylist()]
    assert firsts == ["overlap", "lexical", "overlap", "lexical", "overlap"]  # each row kept its own negatives

"""MIRe response-to-passage conversion: spans, exclusions, seeded placement."""

import pyarrow as pa
import pytest
from retrieval_tables import hits, products, queries, query

from pipelines.stages.passages import (
    PassageConfig,
    convert_to_passages,
    insert_position,
    product_corpus,
    response_texts,
)

PRODUCTS = products()
CORPUS = product_corpus(PRODUCTS)
RANKED = ["p1", "p4", "p3", "p2", "p5", "p6"]  # the positive p1 retrieves itself first


def _run(qids, cfg=None, corpus=CORPUS, ranked=RANKED):
    cfg = cfg or PassageConfig(k=3)
    qs = queries(*[query(q, conditions=(("color", "red"), ("fit", "slim"))) for q in qids])
    responses = response_texts(qs, PRODUCTS).outputs["responses"]
    result = convert_to_passages(qs, responses, hits({q: ranked for q in qids}), corpus, cfg)
    return responses, result


def test_response_is_title_plus_condition_values_not_already_in_it():
    responses, _ = _run(["q1"])
    assert responses.to_pylist() == [
        {"query_id": "q1", "positive_id": "p1", "response": "Red cotton shirt long sleeve (slim)",
         "positive_texts": ["Red cotton shirt long sleeve"]}
    ]


def test_queries_without_a_known_positive_are_rejected():
    qs = queries(query("q1", positives=()), query("q2", positives=("nope",)))
    result = response_texts(qs, PRODUCTS)
    assert result.outputs["responses"].num_rows == 0
    assert sorted(result.rejects.column("reason").to_pylist()) == ["no_positive", "unknown_positive"]


@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_span_covers_exactly_the_response(k):
    qids = [f"q{i}" for i in range(25)]
    responses, result = _run(qids, PassageConfig(k=k))
    response = responses.column("response")[0].as_py()
    for row in result.outputs["passages"].to_pylist():
        start, end = row["passage_span"]
        assert row["passage"][start:end] == response
        assert len(row["passage_source_ids"]) == k + 1


def test_span_counts_code_points_for_thai():
    corpus = pa.table({"passage_id": ["a", "b"], "text": ["เสื้อยืดสีแดง", "กางเกงยีนส์"]})
    _, result = _run([f"q{i}" for i in range(10)], PassageConfig(k=2), corpus, ["a", "b"])
    for row in result.outputs["passages"].to_pylist():
        start, end = row["passage_span"]
        assert row["passage"][start:end] == "Red cotton shirt long sleeve (slim)"


def test_positive_is_excluded_by_id_and_by_text():
    _, result = _run(["q1"], PassageConfig(k=6))
    row = result.outputs["passages"].to_pylist()[0]
    others = [s for s in row["passage_source_ids"] if not s.startswith("response:")]
    assert others == ["p4", "p3", "p2", "p5", "p6"]  # rank order with p1 skipped
    assert result.counters["passages_short"] == 1  # 6 asked, 5 left once the positive is out
    assert "response:p1" in row["passage_source_ids"]
    # a user corpus holding the positive's title under another id
    corpus = pa.table({"passage_id": ["x", "y"], "text": ["red  Cotton shirt LONG sleeve", "Blue cotton shirt"]})
    _, result = _run(["q1"], PassageConfig(k=2), corpus, ["x", "y"])
    assert [s for s in result.outputs["passages"].column("passage_source_ids")[0].as_py() if s[0] != "r"] == ["y"]


def test_position_is_seeded_by_config_and_query_id():
    qids = [f"q{i}" for i in range(30)]
    first = _run(qids)[1].outputs["passages"]
    again = _run(qids)[1].outputs["passages"]
    other_seed = _run(qids, PassageConfig(k=3, seed=99))[1].outputs["passages"]
    assert first.equals(again)
    assert first.column("passage_span").to_pylist() != other_seed.column("passage_span").to_pylist()
    slots = {insert_position(13, q, 3) for q in qids}
    assert slots == {0, 1, 2, 3}  # every slot is used, the response is not always first


def test_missing_hits_are_rejected():
    qs = queries(query("q1"), query("q2"))
    responses = response_texts(qs, PRODUCTS).outputs["responses"]
    result = convert_to_passages(qs, responses, hits({"q1": RANKED}), CORPUS, PassageConfig())
    assert result.outputs["passages"].column("query_id").to_pylist() == ["q1"]
    assert result.rejects.column("reason").to_pylist() == ["missing_hits"]

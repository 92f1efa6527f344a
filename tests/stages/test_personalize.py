from pipelines import schemas
from pipelines.stages.personalize import apply_personalization
from tests.stages.inline import attributes


def _plan(base, target, positives, conditions):
    return {"base_query_id": base, "category": "clothing", "target_id": target, "strategy": "key_pool",
            "n_conditions": len(conditions), "positive_ids": positives, "positive_share": 0.01, "n_unverified": 0,
            "conditions": [{"attribute": a, "value": v, "carried_by": "text", "source_product_id": None, "image_id": None}
                           for a, v in conditions]}


FACTS = {"a": {"_category": "clothing", "color": "red"}, "b": {"_category": "clothing", "color": "red", "fit": "regular fit"},
         "c": {"_category": "clothing", "color": "red", "pattern": "striped"},
         # d is the minimal pair of color=red that #22's compose guarantees (it violates only that)
         "d": {"_category": "clothing", "color": "blue", "fit": "slim fit"}}


def _apply(plans, answers, facts=FACTS):
    parsed = [{"record_id": base, "value": {"attribute": a, "value": v}, "raw": "{}"} for base, a, v in answers]
    return apply_personalization(schemas.from_rows(plans, "query_plan"), attributes(facts), parsed, 100)


def test_an_answer_leaving_a_condition_without_a_minimal_pair_is_refused():
    # without d, no product meets fit=slim fit and violates color=red: the image/text side that
    # carries color would remove nothing (#22), so the answer is refused and the plan kept
    facts = {k: v for k, v in FACTS.items() if k != "d"}
    out, _, log = _apply([_plan("q1", "a", ["a", "b"], [("color", "red")])], [("q1", "fit", "slim fit")], facts)
    assert [r["reason"] for r in log.rows] == ["untestable_condition"] and "color" in log.rows[0]["message"]
    assert out.to_pylist()[0]["positive_ids"] == ["a", "b"]


def test_answer_singles_out_the_target_and_demotes_the_rest():
    plans, attrs, log = _apply([_plan("q1", "a", ["a", "b"], [("color", "red")])], [("q1", "fit", "slim fit")])
    (plan,) = plans.to_pylist()
    assert plan["positive_ids"] == ["a"] and plan["personalized_from"] == ["b"] and plan["n_conditions"] == 2
    assert plan["n_unverified"] == 1  # c is red and has no fit: it may be slim, so it is no negative
    assert {"product_id": "a", "attribute": "fit", "value": "slim fit"}.items() <= [
        f for f in attrs.to_pylist() if f["source"] == "llm"][0].items()
    assert not log.rows


def test_answer_shared_by_another_positive_or_contradicting_a_mined_value_is_refused():
    plans = [_plan("q1", "c", ["c", "b"], [("color", "red")]), _plan("q2", "a", ["a", "b"], [("color", "red")])]
    out, _, log = _apply(plans, [("q1", "pattern", "checked"), ("q2", "color", "red")])
    assert [r["reason"] for r in log.rows] == ["contradicts_mined_value", "does_not_single_out"]
    assert [p["positive_ids"] for p in out.to_pylist()] == [["c", "b"], ["a", "b"]]


def test_a_fact_that_would_join_another_querys_positives_is_refused():
    plans = [_plan("q1", "a", ["a", "b"], [("color", "red")]),
             _plan("q2", "c", ["c"], [("color", "red"), ("pattern", "striped")])]
    out, _, log = _apply(plans, [("q1", "pattern", "striped")])
    assert [r["reason"] for r in log.rows] == ["would_change_other_queries"]
    assert out.to_pylist()[1]["positive_ids"] == ["c"]


def test_a_former_positive_without_the_value_is_unverified_not_ruled_out():
    plans, _, log = _apply([_plan("q1", "a", ["a", "c"], [("color", "red")])], [("q1", "fit", "slim fit")])
    (plan,) = plans.to_pylist()
    assert not log.rows and plan["positive_ids"] == ["a"]
    assert plan["personalized_from"] == ["c"] and plan["n_unverified"] == 1  # c lacks a fit: unverified, not ruled out


def test_an_answer_leaving_too_many_unverified_is_refused():
    parsed = [{"record_id": "q1", "value": {"attribute": "fit", "value": "slim fit"}, "raw": "{}"}]
    plans = schemas.from_rows([_plan("q1", "a", ["a", "c"], [("color", "red")])], "query_plan")
    out, _, log = apply_personalization(plans, attributes(FACTS), parsed, 100, max_unverified_share=0.4)
    assert [r["reason"] for r in log.rows] == ["too_many_unverified"] and out.to_pylist()[0]["positive_ids"] == ["a", "c"]

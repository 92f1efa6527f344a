"""Issue #10 label rules on tiny inline catalogs: meets / violates / unknown, value relations,
plausible conditions. Each test fails on the two-valued matcher (unknown = violates, equality only)."""

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.config import ComposeConfig, NegativesConfig
from pipelines.io.verify import facts_from_attributes, positive_set_mismatches
from pipelines.stages.compose import ComposeParams, compose_queries
from pipelines.stages.matching import MEETS, NEGATIVE, POSITIVE, UNKNOWN, UNVERIFIED, VIOLATES, Matcher
from pipelines.stages.negatives import NegativesParams, mine_overlap_negatives
from pipelines.stages.retriever_negatives import RetrieverNegativesConfig, add_retriever_negatives
from tests.stages.inline import attributes, families, products
from tests.stages.test_render_negatives_split import _render

RED_STRIPED = [("color", "red"), ("pattern", "striped")]


def _query(conditions, positives):
    q = _render()[0]
    q["conditions"] = [{"attribute": a, "value": v, "carried_by": "text", "source_product_id": None} for a, v in conditions]
    q["positive_ids"] = positives
    return schemas.from_rows([q], "query")


def test_matcher_three_values_and_relations(vocab):
    m = Matcher.from_vocabulary(vocab)
    assert m.judge("pattern", "striped", None) == UNKNOWN
    assert m.judge("pattern", "striped", "solid") == VIOLATES
    assert m.judge("gender", "men", "unisex") == MEETS and m.judge("gender", "women", "unisex") == MEETS
    assert m.judge("gender", "unisex", "men") == VIOLATES  # a men's product is not unisex
    assert m.judge("gender", "men", "boys") == VIOLATES and m.judge("gender", "women", "girls") == VIOLATES
    assert m.label(RED_STRIPED, {"color": "red"}) == UNVERIFIED
    assert m.label(RED_STRIPED, {"color": "blue"}) == NEGATIVE
    assert m.label(RED_STRIPED, {"color": "red", "pattern": "striped"}) == POSITIVE


def test_judge_all_for_fixed_conditions_equals_judge_all(vocab):
    m = Matcher.from_vocabulary(vocab)
    conditions = [("gender", "men"), ("color", "red"), ("pattern", "striped")]
    products = [{}, {"gender": "unisex"}, {"gender": {"men", "boys"}, "color": "blue"}, {"gender": "women", "color": ""},
                {"gender": set(), "color": {"red"}, "pattern": "striped"}, {"gender": "boys", "pattern": None}]
    judge = m.judge_all_for(conditions)
    assert [judge(p) for p in products] == [m.judge_all(conditions, p) for p in products]
    assert judge({"gender": "men", "color": "blue"}) == (["color"], ["pattern"])


def test_mined_gender_keeps_boys_and_girls_apart(vocab):
    assert vocab.normalise("clothing", "gender", "Boys", 100)[0] == "boys"
    assert vocab.normalise("clothing", "gender", "Girls", 100)[0] == "girls"
    assert vocab.normalise("clothing", "gender", "Men", 100)[0] == "men"


def test_overlap_negatives_never_take_unknown_for_violates():
    facts = {"pos": {"_category": "clothing", "color": "red", "pattern": "striped"},
             "no_pattern": {"_category": "clothing", "color": "red"},  # unverified
             "blue_no_pattern": {"_category": "clothing", "color": "blue"},  # violates colour only
             "near": {"_category": "clothing", "color": "red", "pattern": "solid"}}
    prods = products([(p, "clothing") for p in facts])
    out = mine_overlap_negatives(_query(RED_STRIPED, ["pos"]), prods, attributes(facts), families([]),
                                 NegativesParams(NegativesConfig(per_query=10), 1))
    negs = {n["product_id"]: n["violates"] for n in out.outputs["queries"].to_pylist()[0]["hard_negatives"]}
    assert negs == {"near": ["pattern"], "blue_no_pattern": ["color"]}


def test_overlap_negatives_follow_value_relations(vocab):
    facts = {"pos": {"_category": "clothing", "color": "red", "gender": "men"},
             "uni": {"_category": "clothing", "color": "blue", "gender": "unisex"},  # violates colour only
             "boy": {"_category": "clothing", "color": "red", "gender": "boys"}}  # violates gender
    prods = products([(p, "clothing") for p in facts])
    params = NegativesParams(NegativesConfig(per_query=10), 1, Matcher.from_vocabulary(vocab))
    out = mine_overlap_negatives(_query([("color", "red"), ("gender", "men")], ["pos"]), prods, attributes(facts),
                                 families([]), params)
    negs = {n["product_id"]: n["violates"] for n in out.outputs["queries"].to_pylist()[0]["hard_negatives"]}
    assert negs == {"uni": ["color"], "boy": ["gender"]}


def test_retriever_negatives_follow_value_relations(vocab):
    facts = {"pos": {"_category": "clothing", "color": "red", "gender": "men"},
             "uni": {"_category": "clothing", "color": "red", "gender": "unisex"},  # a positive in fact
             "girl": {"_category": "clothing", "color": "red", "gender": "girls"}}
    prods = products([(p, "clothing") for p in facts])
    hits = pa.table({"query_id": ["qabc-en"], "candidate_ids": [["pos", "uni", "girl"]], "scores": [[9.0, 5.0, 4.0]]})
    result = add_retriever_negatives(_query([("color", "red"), ("gender", "men")], ["pos", "uni"]), prods,
                                     attributes(facts), RetrieverNegativesConfig(), lexical_hits=hits,
                                     matcher=Matcher.from_vocabulary(vocab))
    negs = result.outputs["queries"].to_pylist()[0]["hard_negatives"]
    assert negs == [{"product_id": "girl", "source": "lexical", "violates": ["gender"]}]


def _verify(tmp_path, facts, conditions, positives, matcher=None):
    pq.write_table(attributes(facts), tmp_path / "attributes.parquet")
    pq.write_table(_query(conditions, positives), tmp_path / "queries.parquet")
    return positive_set_mismatches(str(tmp_path / "queries.parquet"), facts_from_attributes(str(tmp_path / "attributes.parquet")),
                                   matcher)


def test_verification_counts_unisex_for_men_and_never_unknown(tmp_path, vocab):
    facts = {"m": {"_category": "clothing", "color": "red", "gender": "men"},
             "u": {"_category": "clothing", "color": "red", "gender": "unisex"},
             "b": {"_category": "clothing", "color": "red", "gender": "boys"},
             "x": {"_category": "clothing", "color": "red"}}
    m = Matcher.from_vocabulary(vocab)
    conditions = [("color", "red"), ("gender", "men")]
    assert _verify(tmp_path, facts, conditions, ["m", "u"], m) == []
    (bad,) = _verify(tmp_path, facts, conditions, ["m"], m)  # the unisex product is missing
    assert bad[2] == ["m", "u"]
    assert _verify(tmp_path, facts, [("color", "red"), ("gender", "unisex")], ["u"], m) == []


def _gender_catalog():
    facts = {}
    for i in range(40):
        gender = ["men", "women", "unisex", "boys"][i % 4]
        facts[f"p{i:02d}"] = {"_category": "clothing", "color": ["red", "blue", "black", "white", "green"][i % 5],
                              "gender": gender, "pattern": ["solid", "striped"][i % 2], "season": "winter"}
    return facts


def _plans(vocab, facts, cfg):
    prods = products([(p, v["_category"]) for p, v in facts.items()])
    fams = families([(p, p) for p in facts])
    result = compose_queries(prods, attributes(facts), fams, ComposeParams(cfg, vocab, 3))
    return result.outputs["plans"].to_pylist(), result


def test_compose_positives_follow_relations_and_count_unverified(vocab):
    facts = _gender_catalog()
    for i in range(0, 40, 7):
        del facts[f"p{i:02d}"]["pattern"]  # unknown pattern: unverified wherever colour and gender fit
    cfg = ComposeConfig(max_positive_share=0.5, max_positives=40, queries_per_product=3, max_unverified_share=1.0)
    plans, _ = _plans(vocab, facts, cfg)
    m = Matcher.from_vocabulary(vocab)
    assert any(c["attribute"] == "gender" and c["value"] in ("men", "women") for p in plans for c in p["conditions"])
    for plan in plans:
        conds = [(c["attribute"], c["value"]) for c in plan["conditions"]]
        labels = {p: m.label(conds, {k: v for k, v in f.items() if k != "_category"}) for p, f in facts.items()}
        assert plan["positive_ids"] == sorted(p for p, lab in labels.items() if lab == POSITIVE)
        assert plan["n_unverified"] == sum(lab == UNVERIFIED for lab in labels.values())
    assert any(p["n_unverified"] for p in plans)


def test_unverified_share_bound_drops_plans_with_a_reason(vocab):
    facts = _gender_catalog()
    for i in range(40):
        if i % 4 > 1:  # (#22: the known patterns must differ, or pattern is vacuous and never a condition)
            del facts[f"p{i:02d}"]["pattern"]  # half of the products lack a pattern
    cfg = ComposeConfig(max_positive_share=0.5, max_positives=40, queries_per_product=3, max_unverified_share=0.2)
    plans, result = _plans(vocab, facts, cfg)
    assert result.counters.get("rejected_too_many_unverified", 0) > 0
    for plan in plans:
        assert plan["n_unverified"] / (plan["n_unverified"] + len(plan["positive_ids"])) <= 0.2


def test_season_is_a_condition_only_when_opted_in_and_never_for_bags(vocab):
    facts = _gender_catalog()
    for i in range(40):  # (#22: one season for every product is vacuous, never a condition)
        facts[f"p{i:02d}"]["season"] = ["winter", "summer", "fall"][i % 3]
    for i in range(20):
        facts[f"b{i:02d}"] = {"_category": "bag", "color": ["red", "blue"][i % 2], "season": ["winter", "summer"][i % 3 % 2],
                              "pattern": ["solid", "striped", "checked"][i % 3], "gender": "women"}
    cfg = ComposeConfig(max_positive_share=0.5, max_positives=40, queries_per_product=4, max_unverified_share=1.0,
                        key_weights={"season": 50.0})
    plans, _ = _plans(vocab, facts, cfg)
    assert plans and not any(c["attribute"] == "season" for p in plans for c in p["conditions"])
    opted, _ = _plans(vocab, facts, ComposeConfig(**{**cfg.__dict__, "opt_in_conditions": ("season",)}))
    seasons = [p["category"] for p in opted if any(c["attribute"] == "season" for c in p["conditions"])]
    assert seasons and set(seasons) == {"clothing"}  # bags never, even opted in


def test_image_carried_conditions_are_visual_only(vocab):
    plans, _ = _plans(vocab, _gender_catalog(), ComposeConfig(max_positive_share=0.5, max_positives=40,
                                                               queries_per_product=3, max_unverified_share=1.0))
    shown = {c["attribute"] for p in plans for c in p["conditions"] if c["carried_by"] == "image"}
    assert shown and all(vocab.is_visual(a) for a in shown) and "gender" not in shown


def test_card_counts_conditions_by_attribute_carrier_and_modality():
    from pipelines.card.render import label_sections
    from pipelines.config import BuildConfig

    rows = _render()
    rows[0]["n_unverified"] = 3
    title, text, table = label_sections(schemas.from_rows(rows, "query"), BuildConfig())
    assert "| pattern | image | visual | 1 |" in table and "| type | text | visual | 1 |" in table
    assert "1 of 1 base queries have unverified products (3 in all" in text

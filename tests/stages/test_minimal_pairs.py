"""Minimal pairs (#22): compose keeps only testable, non-vacuous conditions; negatives export a pair per
condition; the split keeps it on the query's side and drops a query that lost one."""

from pipelines.config import ComposeConfig, NegativesConfig, SplitConfig
from pipelines.results import RejectLog
from pipelines.stages import split_rows
from pipelines.stages.catalog_index import build_index
from pipelines.stages.compose import ComposeParams, compose_queries
from pipelines.stages.matching import Matcher
from pipelines.stages.minimal_pairs import SOURCE, missing_pairs, untestable, vacuous
from pipelines.stages.negatives import NegativesParams, mine_overlap_negatives
from pipelines.stages.split import SplitParams, assign_split
from pipelines.vocab.vocabulary import load_vocabulary
from tests.retrieval.retrieval_tables import queries, query
from tests.stages.inline import attributes, families, products


def _catalog():
    """60 clothing products; every one is `regular` fit (vacuous), colour/gender/pattern vary."""
    facts = {}
    for i in range(60):
        facts[f"p{i:02d}"] = {"_category": "clothing", "color": ["red", "blue", "black", "white", "green"][i % 5],
                              "gender": ["men", "women", "boys"][i % 3], "pattern": ["solid", "striped", "checked"][i // 20],
                              "fit": "regular"}
    return facts


def _index_and_plans(facts, **cfg):
    prods, attrs = products([(p, f["_category"]) for p, f in facts.items()]), attributes(facts)
    fams = families([(p, p) for p in facts])
    vocab = load_vocabulary("v1")
    config = ComposeConfig(max_positive_share=0.5, max_positives=40, queries_per_product=3, max_unverified_share=1.0, **cfg)
    result = compose_queries(prods, attrs, fams, ComposeParams(config, vocab, 5))
    return build_index(prods, attrs, fams, Matcher.from_vocabulary(vocab)), result


def test_compose_never_picks_a_vacuous_condition_and_every_condition_has_a_minimal_pair():
    facts = _catalog()
    index, result = _index_and_plans(facts, key_weights={"fit": 100.0})
    plans = result.outputs["plans"].to_pylist()
    assert vacuous(index, "clothing", "fit", "regular") and not vacuous(index, "clothing", "color", "red")
    assert plans and not any(c["attribute"] == "fit" for p in plans for c in p["conditions"])
    for plan in plans:
        assert untestable(index, plan["category"], [(c["attribute"], c["value"]) for c in plan["conditions"]]) == []


def test_an_untestable_condition_is_repaired_away_or_the_attempt_rejected():
    facts = _catalog()
    for i in range(60):  # every red product is a man's: gender=men cannot be tested next to colour=red
        if facts[f"p{i:02d}"]["color"] == "red":
            facts[f"p{i:02d}"]["gender"] = "men"
    index, result = _index_and_plans(facts)
    assert untestable(index, "clothing", [("color", "red"), ("gender", "men")]) == [1]
    for plan in result.outputs["plans"].to_pylist():
        values = {(c["attribute"], c["value"]) for c in plan["conditions"]}
        assert not {("color", "red"), ("gender", "men")} <= values


def test_negatives_list_a_minimal_pair_for_every_condition_first():
    facts = _catalog()
    index, result = _index_and_plans(facts)
    plans = result.outputs["plans"]
    from pipelines.config import RenderConfig
    from pipelines.stages.render import RenderParams, render_queries
    from pipelines.vocab.templates import load_templates

    rendered = render_queries(plans, RenderParams(RenderConfig(languages=("en",)), load_templates("v3", ("en",)), 1))
    prods, attrs = products([(p, f["_category"]) for p, f in facts.items()]), attributes(facts)
    params = NegativesParams(NegativesConfig(per_query=2), 1, Matcher.from_vocabulary(load_vocabulary("v1")))
    out = mine_overlap_negatives(rendered.outputs["queries"], prods, attrs, families([(p, p) for p in facts]), params)
    for row in out.outputs["queries"].to_pylist():
        assert missing_pairs(row["conditions"], row["hard_negatives"]) == []  # kept even over per_query=2
        first = row["hard_negatives"][:len(row["conditions"])]
        assert [n["violates"] for n in first] == [[c["attribute"]] for c in row["conditions"]]  # round robin
        for n in (n for n in row["hard_negatives"] if n["source"] == SOURCE):
            values = facts[n["product_id"]]
            verdicts = {c["attribute"]: values[c["attribute"]] == c["value"] for c in row["conditions"]}
            assert [a for a, met in verdicts.items() if not met] == n["violates"]


def _pair(pid, attribute):
    return {"product_id": pid, "source": SOURCE, "violates": [attribute]}


def test_the_split_keeps_each_query_with_its_minimal_pairs():
    rows = [query(f"q{i:02d}-en", positives=(f"p{i:02d}",), images=(f"s{i:02d}",),
                  negatives=(_pair(f"m{i:02d}", "color"), _pair(f"n{i:02d}", "material"), _pair(f"o{i:02d}", "material")),
                  split="") for i in range(40)]
    result = assign_split(queries(*rows), SplitParams(SplitConfig(test_share=0.5), 3))
    side = {r["product_id"]: r["split"] for r in result.outputs["product_splits"].to_pylist()}
    kept = result.outputs["queries"].to_pylist()
    assert {r["split"] for r in kept} == {"train", "test"} and len(kept) == 40
    for row in kept:
        i = row["base_query_id"][1:]
        assert side[f"m{i}"] == row["split"] and side[f"n{i}"] == row["split"]  # the first listed, both unused
        assert missing_pairs(row["conditions"], row["hard_negatives"]) == []


def test_a_query_that_lost_a_minimal_pair_is_dropped_with_a_reason():
    lost = query("q1-en", negatives=(_pair("m1", "color"),))  # no pair left for material
    whole = query("q2-en", negatives=(_pair("m2", "color"), _pair("n2", "material")))
    unjudged = query("q3-en")  # made without minimal pairs (no negatives stage): not judged here
    rejects, counters = RejectLog("split"), {"rows_dropped_no_minimal_pair": 0}
    kept = split_rows.keep_testable(queries(lost, whole, unjudged), {"q1", "q2"}, rejects, counters)
    assert kept.column("base_query_id").to_pylist() == ["q2", "q3"]
    table = rejects.table().to_pylist()
    assert [(r["reason"], r["record_id"]) for r in table] == [("no_minimal_pair", "q1")]
    assert "material" in table[0]["message"] and counters["rows_dropped_no_minimal_pair"] == 1


def test_the_retriever_negatives_cap_never_cuts_a_condition_s_first_minimal_pair():
    from pipelines.stages.retriever_negatives import _merge

    # round robin, as negatives lists them: each condition's first pair, then the seconds
    existing = [_pair("m1", "color"), _pair("m2", "material"), _pair("m3", "pattern"), _pair("m4", "color")]
    merged = _merge(existing, {"lexical": [{"product_id": "x", "source": "lexical", "violates": ["color"]}]}, cap=2)
    assert [n["product_id"] for n in merged] == ["m1", "m2", "m3"]  # three conditions: three kept, not two
    assert missing_pairs([{"attribute": a} for a in ("color", "material", "pattern")], merged) == []

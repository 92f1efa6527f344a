import copy
import random

import pytest

from pipelines.config import ComposeConfig
from pipelines.stages.compose import ComposeParams, compose_queries
from pipelines.vocab.vocabulary import Vocabulary
from tests.stages.inline import attributes, families, products

COLORS = ["red", "blue", "black", "white"]
PATTERNS = ["solid", "striped", "checked", "printed"]
TYPES = ["t-shirt", "shirt", "top"]


def _catalog(n=120, seed=0):
    rng = random.Random(seed)
    facts = {}
    for i in range(n):
        facts[f"p{i:03d}"] = {"_category": "clothing", "color": rng.choice(COLORS), "pattern": rng.choice(PATTERNS),
                              "type": rng.choice(TYPES), "gender": rng.choice(["men", "women"]),
                              "sleeve": rng.choice(["short sleeve", "long sleeve"])}
    fams = [(f"p{i:03d}", f"fam{i // 2}") for i in range(n)]
    return products([(p, "clothing") for p in facts]), attributes(facts), families(fams), facts


def _edited(vocab, tag: str, edit) -> Vocabulary:
    """A copy of `vocab` with `edit(data)` applied (its own digest, as a changed file would have)."""
    data = copy.deepcopy(vocab.data)
    edit(data)
    return Vocabulary(vocab.version, data, f"{vocab.digest}+{tag}")


def _compose(vocab, cfg=None, n=120):
    prods, attrs, fams, facts = _catalog(n)
    result = compose_queries(prods, attrs, fams, ComposeParams(cfg or ComposeConfig(max_positive_share=0.05), vocab, 3))
    return result, facts


def test_positive_set_is_exactly_the_products_meeting_every_condition(vocab):
    result, facts = _compose(vocab)
    plans = result.outputs["plans"].to_pylist()
    assert plans
    for plan in plans:
        expected = sorted(p for p, v in facts.items() if all(v.get(c["attribute"]) == c["value"] for c in plan["conditions"]))
        assert plan["positive_ids"] == expected
        assert 0 < len(expected) / len(facts) <= 0.05


def test_images_come_from_other_products_that_share_the_value_and_are_not_positives(vocab):
    result, facts = _compose(vocab)
    for plan in result.outputs["plans"].to_pylist():
        shown = [c for c in plan["conditions"] if c["carried_by"] == "image"]
        assert shown, "every query needs at least one image"
        for c in shown:
            assert c["source_product_id"] not in plan["positive_ids"]
            assert c["source_product_id"] != plan["target_id"]
            assert facts[c["source_product_id"]][c["attribute"]] == c["value"]
            assert c["image_id"] == f"img-{c['source_product_id']}"
        assert len({c["source_product_id"] for c in shown}) == len(shown)


def test_condition_counts_and_strategies_are_all_used(vocab):
    result, _ = _compose(vocab, ComposeConfig(max_positive_share=0.05, queries_per_product=3))
    plans = result.outputs["plans"].to_pylist()
    assert {p["n_conditions"] for p in plans} == {2, 3, 4}
    assert {p["strategy"] for p in plans} == {"random", "key_pool", "variant"}


def test_variant_queries_name_the_attribute_the_sibling_differs_in(vocab):
    result, facts = _compose(vocab, ComposeConfig(max_positive_share=0.05, strategy_weights={"variant": 1.0}))
    plans = [p for p in result.outputs["plans"].to_pylist() if p["strategy"] == "variant"]
    assert plans
    for plan in plans:
        sibling = f"p{int(plan['target_id'][1:]) ^ 1:03d}"  # families are pairs (p000, p001), (p002, p003), ...
        first = plan["conditions"][0]
        assert facts[sibling][first["attribute"]] != first["value"]


def test_colour_is_forced_out_often_enough(vocab):
    cfg = ComposeConfig(max_positive_share=0.05, queries_per_product=3, force_non_color=1.0)
    result, _ = _compose(vocab, cfg)
    plans = [p for p in result.outputs["plans"].to_pylist() if p["strategy"] == "key_pool"]
    assert plans and all(any(c["attribute"] != "color" for c in p["conditions"]) for p in plans)


def test_too_broad_queries_are_dropped_with_a_reason(vocab):
    result, _ = _compose(vocab, ComposeConfig(max_positive_share=0.001, condition_counts=(2,)))
    assert result.outputs["plans"].num_rows == 0
    assert "too_many_positives" in set(result.rejects.column("reason").to_pylist())


def test_composition_is_deterministic(vocab):
    a, _ = _compose(vocab)
    b, _ = _compose(vocab)
    assert a.outputs["plans"].equals(b.outputs["plans"])


@pytest.mark.parametrize("share", [0.02, 0.1])
def test_share_bound_is_respected(vocab, share):
    result, _ = _compose(vocab, ComposeConfig(max_positive_share=share, max_positives=1000))
    plans = result.outputs["plans"].to_pylist()
    assert plans, "no plans composed: the bound would hold vacuously"
    assert all(p["positive_share"] <= share for p in plans)


def test_a_label_only_value_is_never_a_condition_yet_its_product_still_meets_what_it_covers(vocab):
    """A shop's "men, women, boys and girls" is kept as a label (its product is a positive for "men") but no
    query asks for it. Without `label_only` compose asks for unisex in some plan of this catalog."""
    rng = random.Random(1)
    facts = {f"p{i:03d}": {"_category": "clothing", "color": rng.choice(COLORS), "pattern": rng.choice(PATTERNS),
                           "gender": rng.choice(["men", "women", "unisex"])} for i in range(150)}
    prods, attrs = products([(p, "clothing") for p in facts]), attributes(facts)
    fams = families([(p, p) for p in facts])
    cfg = ComposeConfig(max_positive_share=0.05, queries_per_product=2)

    def genders(v) -> tuple[set, list]:
        plans = compose_queries(prods, attrs, fams, ComposeParams(cfg, v, 3)).outputs["plans"].to_pylist()
        return {c["value"] for p in plans for c in p["conditions"] if c["attribute"] == "gender"}, plans

    assert "unisex" in genders(vocab)[0]
    asked, plans = genders(_edited(vocab, "label_only", lambda d: d["attributes"]["gender"].update(label_only=["unisex"])))
    assert "unisex" not in asked and "men" in asked
    for plan in plans:
        if {"attribute": "gender", "value": "men"} in [{k: c[k] for k in ("attribute", "value")} for c in plan["conditions"]]:
            expected = sorted(p for p, f in facts.items()
                              if f["gender"] in ("men", "unisex") and all(
                                  f.get(c["attribute"]) == c["value"] for c in plan["conditions"] if c["attribute"] != "gender"))
            assert plan["positive_ids"] == expected


def test_a_required_condition_is_in_every_plan_of_its_category(vocab):
    """v2's accessories always name their kind (`required_conditions`), as text or by an image: without it a query
    reads 'a red belt, cap, tie, scarf, pair of socks, pair of gloves or pair of cufflinks'. Targets without a
    usable type are rejected with their own reason; the same catalog without the key has plans lacking the type."""
    prods, attrs, fams, facts = _catalog(150, seed=2)
    cfg = ComposeConfig(max_positive_share=0.05, queries_per_product=2)

    def composed(v):
        return compose_queries(prods, attrs, fams, ComposeParams(cfg, v, 3))

    plain = composed(vocab).outputs["plans"].to_pylist()
    assert any(all(c["attribute"] != "type" for c in p["conditions"]) for p in plain)
    result = composed(_edited(vocab, "required", lambda d: d["categories"]["clothing"].update(required_conditions=["type"])))
    plans = result.outputs["plans"].to_pylist()
    assert plans and all(any(c["attribute"] == "type" for c in p["conditions"]) for p in plans)
    assert {p["n_conditions"] for p in plans} >= {2, 3}

    # no product has a fit: every attempt says so
    none = composed(_edited(vocab, "fit", lambda d: d["categories"]["clothing"].update(required_conditions=["fit"])))
    assert none.outputs["plans"].num_rows == 0 and none.counters["rejected_required_condition_missing"] == none.counters["attempts"]

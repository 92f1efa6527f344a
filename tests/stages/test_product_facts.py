"""stages/product_facts.py: the compact catalog view the retriever-negative guard judges candidates on.
Each test compares with the rule over plain dicts (`Matcher.judge_all_for`), so a wrong code, slice or
row order fails it."""

import itertools

import pyarrow as pa

from pipelines.stages.matching import Matcher
from pipelines.stages.product_facts import product_facts

# Facts out of product order, a product with two values for one attribute, a repeated fact, a product
# without facts and a fact of an id that is not a product.
FACTS = [("p3", "color", "red"), ("p1", "gender", "unisex"), ("p3", "pattern", "striped"), ("p2", "color", "blue"),
         ("p1", "color", "red"), ("p3", "color", "navy"), ("p2", "color", "blue"), ("ghost", "color", "red")]
PRODUCTS = [("p1", "clothing"), ("p2", "bag"), ("p3", "clothing"), ("p4", "clothing"), ("p5", None)]
MATCHER = Matcher((("gender", (("unisex", ("men", "women")),)),))
CONDITIONS = [[("color", "red")], [("color", "navy"), ("pattern", "striped")], [("gender", "men"), ("color", "blue")],
              [("pattern", "solid")], [("material", "silk")], [("color", "green"), ("gender", "women")]]


def _tables():
    products = pa.table({"product_id": [p for p, _ in PRODUCTS], "category": [c for _, c in PRODUCTS],
                         "image_ids": [[f"img-{p}"] for p, _ in PRODUCTS]})
    attributes = pa.table({k: [f[i] for f in FACTS] for i, k in enumerate(("product_id", "attribute", "value"))})
    return products, attributes


def _as_dicts() -> dict[str, dict[str, set[str]]]:
    values: dict[str, dict[str, set[str]]] = {}
    for pid, attribute, value in FACTS:
        values.setdefault(pid, {}).setdefault(attribute, set()).add(value)
    return values


def test_judging_a_product_by_codes_equals_judging_its_values():
    facts, values = product_facts(*_tables(), MATCHER), _as_dicts()
    checked = 0
    for conditions, (pid, _) in itertools.product(CONDITIONS, PRODUCTS):
        assert facts.judge_for(conditions)(pid) == MATCHER.judge_all_for(conditions)(values.get(pid, {})), (conditions, pid)
        checked += 1
    assert checked == len(CONDITIONS) * len(PRODUCTS)
    assert facts.judge_for([("gender", "men"), ("color", "red")])("p1") == ([], [])  # unisex meets men
    assert facts.judge_for([("color", "navy"), ("pattern", "solid")])("p3") == (["pattern"], [])  # red or navy: meets
    assert facts.judge_for([("color", "red")])("p4") == ([], ["color"])  # no facts: unknown, never violated


def test_categories_and_membership_are_the_products_own():
    facts = product_facts(*_tables(), MATCHER)
    assert [facts.category(p) for p, _ in PRODUCTS] == [c for _, c in PRODUCTS]
    assert "ghost" not in facts and facts.category("ghost") is None and facts.facts_of("ghost") == ()
    assert all(p in facts for p, _ in PRODUCTS)


def test_no_facts_at_all():
    products, attributes = _tables()
    facts = product_facts(products, attributes.slice(0, 0), MATCHER)
    assert facts.judge_for([("color", "red")])("p1") == ([], ["color"])

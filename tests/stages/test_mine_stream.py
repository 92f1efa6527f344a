"""Mine in batches (#26 item 4): products are mined a batch at a time and the catalog-wide decisions
(canonical spellings, title brands with evidence, twin conflicts) are taken once over every batch,
so any batch size gives the whole-table call's attributes, families, aliases, rejects and counters,
and the attributes keep the whole pass's order (a title brand after its product's other facts)."""

from __future__ import annotations

import pytest

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.shards import TableShards, collect
from pipelines.stages.mine import MineParams, mine_attributes, mine_stream


def _product(pid, title, attrs, images=None, category="clothing"):
    return {"product_id": pid, "category": category, "title": title, "description": None, "language": "en",
            "family_id": None, "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
            "image_ids": images or [f"img-{pid}"], "source_file": "f", "source_row": 1}


PRODUCTS = [
    _product("1", "Roadster Men Striped Shirt", {"brand": "Roadster", "color": "Blue"}, images=["photo-a"]),
    _product("2", "Kiara Women Handbag", {}, category="bag"),  # a title brand: evidence only in later batches
    _product("3", "roadster men solid shirt", {"brand": "ROADSTER"}),  # one spelling cluster across batches
    _product("4", "Kiara Women Sling Bag", {"color": "Red"}, category="bag"),
    _product("5", "Zyx Men Shirt", {}),  # a candidate with no evidence: refused
    _product("6", "Some Shirt", {"color": "Green"}, images=["photo-a"]),  # photo twin of 1, another colour
    _product("7", "Kiara Women Tote Bag", {}, category="bag"),
    _product("8", "Roadstr Men Check Shirt", {"brand": "Roadstr"}),  # a misspelling, merged by the fuzzy cluster
]


def _params(vocab):
    return MineParams(MineConfig(brand_min_titles=3), vocab)


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 5])
def test_any_batch_size_gives_the_whole_calls_outputs(vocab, batch_rows):
    table = schemas.from_rows(PRODUCTS, "product")
    whole = mine_attributes(table, _params(vocab))
    batched = collect(mine_stream(TableShards(table, batch_rows, key=None), _params(vocab)))
    for name in ("attributes", "families", "aliases"):
        assert batched.outputs[name].equals(whole.outputs[name]), name
    assert batched.rejects.equals(whole.rejects)
    assert batched.counters == whole.counters


def test_the_catalog_wide_decisions_hold_across_batches(vocab):
    table = schemas.from_rows(PRODUCTS, "product")
    result = collect(mine_stream(TableShards(table, 2, key=None), _params(vocab)))
    facts = result.outputs["attributes"].to_pylist()
    brands = {f["product_id"]: f["value"] for f in facts if f["attribute"] == "brand"}
    assert brands["1"] == brands["3"] == brands["8"] and brands["1"].lower() == "roadster"  # one spelling for all
    assert {brands[p] for p in "247"} == {"Kiara"} and "5" not in brands
    order = [f["product_id"] for f in facts]
    assert order == sorted(order, key=int)  # product order, title brands included
    assert [f["attribute"] for f in facts if f["product_id"] == "4"][-1] == "brand"  # after the product's other facts
    colours = {f["product_id"]: f["value"] for f in facts if f["attribute"] == "color"}
    assert "1" not in colours and "6" not in colours and colours["4"] == "red"  # twins disagree: unknown for both
    reasons = [(r["reason"], r["record_id"]) for r in result.rejects.to_pylist()]
    assert ("brand_without_evidence", "5") in reasons
    assert sorted(r for r in reasons if r[0] == "twin_conflict") == [("twin_conflict", "1"), ("twin_conflict", "6")]
    assert result.counters["products"] == 8 and result.counters["facts"] == len(facts)

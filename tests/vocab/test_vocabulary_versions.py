"""v2 is the default vocabulary; v1 stays selectable for pinned configs and mines and renders as before (#21)."""

from __future__ import annotations

from pipelines import schemas
from pipelines.config import MineConfig, load_config
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.stages.render import render_phrase
from pipelines.vocab.templates import load_templates
from pipelines.vocab.vocabulary import load_vocabulary

V1_DIGEST = "7182222640e6763f"  # prompts/vocabulary/v1.json as it was before v2: pinned configs get the same file

FASHION = [("1", "clothing", "Puma Men Black Striped Polo T-shirt", {"color": "Black", "season": "Summer", "occasion": "Casual"}),
           ("2", "shoes", "Nike Women White Leather Lace-up Sneakers", {"gender": "Women"}),
           ("3", "bag", "Baggit Women Brown Leather Handbag", {}),
           ("4", "accessory", "Fastrack Men Brown Leather Belt", {"color": "Brown"}),
           ("5", "watch", "Titan Men Analogue Watch with Leather Strap", {})]


def _facts(vocab) -> set[tuple]:
    rows = [{"product_id": pid, "category": cat, "title": title, "description": None, "language": "en", "family_id": None,
             "attributes": [{"name": k, "value": v} for k, v in attrs.items()], "image_ids": [f"i{pid}"],
             "source_file": "f", "source_row": 1} for pid, cat, title, attrs in FASHION]
    result = mine_attributes(schemas.from_rows(rows, "product"), MineParams(MineConfig(), vocab))
    return {(f["product_id"], f["attribute"], f["value"], f["source"]) for f in result.outputs["attributes"].to_pylist()}


def test_v2_is_the_default_and_v1_is_unchanged_and_selectable():
    assert load_config().mine.vocabulary == "v2"
    assert load_config(overrides={"mine.vocabulary": "v1"}).mine.vocabulary == "v1"
    v1 = load_vocabulary("v1")
    assert v1.digest == V1_DIGEST and v1.version == "v1"
    assert set(v1.categories) < set(load_vocabulary("v2").categories)


def test_fashion_mines_the_same_facts_with_v1_and_v2():
    """v2 only adds domains: for fashion products it finds exactly what v1 found."""
    v1_facts = _facts(load_vocabulary("v1"))
    assert len(v1_facts) >= 15
    assert _facts(load_vocabulary("v2")) == v1_facts


def test_v1_values_render_as_before():
    """Rendering reads no vocabulary: a v1 plan renders to the reviewed v3 golden sentence."""
    packs = load_templates("v3", ("en",))
    plan = {"base_query_id": "sneakers-2-text+image", "category": "shoes"}
    conditions = [{"attribute": "type", "value": "sneakers", "carried_by": "text", "source_product_id": None, "image_id": None},
                  {"attribute": "color", "value": "black", "carried_by": "image", "source_product_id": "p1", "image_id": "img1"}]
    assert render_phrase(plan, conditions, packs.pack("en"), 11).text == (
        "Show me a pair of sneakers that has the same colour as <image_1>.")

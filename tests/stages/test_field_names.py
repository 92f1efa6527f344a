"""A catalog's structured field names fill the vocabulary's attributes however they are spelled ("Screen Size",
"screen-size", "SCREEN_SIZE", "Colour", "Storage Capacity"); a name that fills nothing is still counted as
unmapped, and never counted when it fills an attribute."""

from __future__ import annotations

import pytest

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.stages.field_names import FieldNames
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.vocab.check import document_problems
from pipelines.vocab.vocabulary import Vocabulary, load_vocabulary


@pytest.fixture(scope="module")
def v2():
    return load_vocabulary("v2")


@pytest.mark.parametrize("name,attribute", [
    ("Screen Size", "screen_size"), ("screen-size", "screen_size"), ("SCREEN_SIZE", "screen_size"),
    ("screen size:", "screen_size"), ("Screen Size (inches)", "screen_size"), ("Display Size", "screen_size"),
    ("Colour", "color"), ("Colours", "color"), ("COLOR", "color"), ("baseColour", "color"), ("Storage Capacity", "storage"),
    ("Internal Storage", "storage"), ("RAM", "ram"), ("Battery Capacity", "battery"), ("Brand Name", "brand"),
    ("Widget Count", None), ("Price", None), ("สี", None), ("", None),
])
def test_field_names_match_attributes_by_letters_digits_and_aliases(v2, name, attribute):
    assert FieldNames(v2).attribute("phone", name) == attribute


def test_a_name_fills_only_an_attribute_of_the_product_s_category(v2):
    names = FieldNames(v2)
    assert names.attribute("snack", "Screen Size") is None and names.attribute("snack", "Net Weight") == "weight"
    assert names.attribute("phone", "Net Weight") is None


def _phone(pid, attrs, title="Acme Phone X"):
    return {"product_id": pid, "category": "phone", "title": title, "description": None, "language": "en",
            "family_id": None, "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
            "image_ids": [f"img-{pid}"], "source_file": "f", "source_row": 1}


def _mine(vocab, products):
    result = mine_attributes(schemas.from_rows(products, "product"), MineParams(MineConfig(), vocab))
    facts: dict[str, dict[str, tuple[str, str]]] = {}
    for f in result.outputs["attributes"].to_pylist():
        facts.setdefault(f["product_id"], {})[f["attribute"]] = (f["value"], f["source"])
    return facts, {k: v for k, v in result.counters.items() if k.startswith("unmapped_attribute.")}


def test_electronics_fields_spelled_every_way_are_mined_and_only_unknown_names_are_unmapped(v2):
    facts, unmapped = _mine(v2, [
        _phone("a", {"Screen Size": "6.1 in", "Colour": "Black", "RAM": "8GB", "Widget Count": "3"}),
        _phone("b", {"screen-size": "6.7 inch", "Storage Capacity": "128 GB", "COLOUR": "White"}),
        _phone("c", {"SCREEN_SIZE": '6.5"', "Internal Storage": "256GB", "Battery Capacity": "5000 mAh"}),
    ])
    assert facts["a"] == {"screen_size": ("6.1 inch", "field"), "color": ("black", "field"), "ram": ("8 GB", "field")}
    assert facts["b"] == {"screen_size": ("6.7 inch", "field"), "storage": ("128 GB", "field"), "color": ("white", "field")}
    assert facts["c"] == {"screen_size": ("6.5 inch", "field"), "storage": ("256 GB", "field"),
                          "battery": ("5000 mAh", "field")}
    assert unmapped == {"unmapped_attribute.widget count": 1}


def test_an_own_vocabulary_s_spaced_names_and_aliases_are_filled():
    """`vocab induce` names attributes as the catalog's columns read ("storage capacity"); your own may list aliases."""
    vocab = Vocabulary("own", {
        "common_attributes": [], "categories": {"router": {"attributes": ["storage capacity", "finish"]}},
        "attributes": {"storage capacity": {"values": {"16 gb": [], "32 gb": []}},
                       "finish": {"aliases": ["Surface"], "values": {"matte": [], "gloss": ["glossy"]}}}})
    product = {**_phone("r", {"Storage-Capacity": "16 GB", "SURFACE": "Glossy", "Wifi": "6"}), "category": "router"}
    facts, unmapped = _mine(vocab, [product])
    assert facts["r"] == {"storage capacity": ("16 gb", "field"), "finish": ("gloss", "field")}
    assert unmapped == {"unmapped_attribute.wifi": 1}


def test_an_alias_that_could_fill_two_attributes_is_a_vocabulary_problem():
    doc = {"common_attributes": [], "categories": {"router": {"attributes": ["ram", "storage"]}},
           "attributes": {"ram": {"aliases": ["Memory"], "values": {}},
                          "storage": {"aliases": ["memory", "RAM", "สี"], "values": {}}}}
    assert document_problems(doc, "vocabulary") == [
        "attributes.storage.aliases: 'memory' is already a name or alias of attribute 'ram'",
        "attributes.storage.aliases: 'RAM' is already a name or alias of attribute 'ram'",
        "attributes.storage.aliases: 'สี' has no ASCII letter or digit, and field names are matched by them; "
        "write it as the catalog's field is spelled in Latin letters"]


def test_a_name_looked_up_again_in_another_category_is_judged_for_that_category(v2):
    """FieldNames remembers each (category, name): an answer for one category never leaks into another."""
    names = FieldNames(v2)
    for _ in range(2):
        assert names.attribute("phone", "Screen Size") == "screen_size"
        assert names.attribute("snack", "Screen Size") is None
        assert names.attribute("snack", "Net Weight") == "weight" and names.attribute("phone", "Net Weight") is None

"""Numbers with units as shops write them: one canonical spelling each (stages/units.py), and a
title's quantities given to the attribute they belong to (stages/quantity_facts.py)."""

from __future__ import annotations

import pytest

from pipelines.stages import quantity_facts, units
from pipelines.vocab.vocabulary import load_vocabulary

SAME = {
    "16 GB": ["16 GB", "16GB", "16 gb", "16-GB", "16gb", "16 Gb", "16 GB.", "16 gigabytes"],
    "1 TB": ["1TB", "1 tb", "1-TB", "1 terabyte"],
    "1024 GB": ["1024GB", "1024 gb"],  # kept as written: a listing saying 1024 GB is not rewritten to 1 TB
    "15.6 inch": ['15.6"', "15.6 inch", "15.6-inch", "15.6 in", "15.6 inches", "15.6\u201d", "15,6 inch", "15.6''", "15.6 inci"],
    "5000 mAh": ["5000 mAh", "5,000mAh", "5000mah", "5 000 mAh".replace(" 000", "000"), "5,000 MAH"],
    "330 ml": ["330 ml", "330ml", "0.33 L", "0.33l", "33cl", "330 mL", "0,33 L", "330 millilitres"],
    "1.5 L": ["1.5L", "1,5 L", "1500 ml", "1.5 litre", "1.5 ltr", "150 cl"],
    "150 g": ["150g", "150 gr", "150 grams", "150 gm", "0.15 kg"],
    "1.2 kg": ["1.2kg", "1200 g", "1,2 kg", "1.2 kilograms"],
}


@pytest.mark.parametrize("canonical", sorted(SAME))
def test_every_spelling_has_one_canonical_form(canonical):
    for written in SAME[canonical]:
        assert [q.value for q in units.quantities(written)] == [canonical], written


@pytest.mark.parametrize("text", ["i5-1335U", "X1504", "Galaxy S24", "Pack of 2", "v2.0", "A15 5G", "Type-C", "1080p", "RTX 4060"])
def test_no_quantity_where_no_unit_is_written(text):
    assert units.quantities(text) == []


def test_a_unit_glued_to_a_longer_word_is_not_one():
    assert units.quantities("15 gigantic ideas") == [] and units.quantities("3 Glasses") == []
    assert units.quantities("24 Liters") and units.quantities("Water 24 lt")


def test_field_values_parse_in_their_own_dimension_only():
    assert units.canonical("16gb", "data") == "16 GB"
    assert units.canonical("15.6", "length_in") == "15.6 inch"  # a screen-size field often holds the bare number
    assert units.canonical("16gb", "volume") is None
    assert units.canonical("big", "data") is None


@pytest.fixture(scope="module")
def specs():
    vocab = load_vocabulary("v2")
    return {c: quantity_facts.specs_of(vocab.data["attributes"], vocab.attributes_for(c)) for c in vocab.categories}


@pytest.mark.parametrize("category,title,want", [
    ("laptop", 'ASUS VivoBook 15 X1504 Intel Core i5 16GB RAM 512GB SSD 15.6" FHD',
     {"ram": "16 GB", "storage": "512 GB", "screen_size": "15.6 inch"}),
    ("laptop", "Lenovo IdeaPad Slim 3 14-inch 8GB DDR4 1TB SSD", {"ram": "8 GB", "storage": "1 TB", "screen_size": "14 inch"}),
    ("laptop", "Acer Aspire 5 RAM 8GB ROM 512GB", {"ram": "8 GB", "storage": "512 GB"}),
    ("laptop", "HP 15s 8GB 512GB", {"ram": "8 GB", "storage": "512 GB"}),  # no cue: each fits one attribute's range
    ("phone", "Apple iPhone 15 Pro Max 256GB Natural Titanium", {"storage": "256 GB"}),
    ("phone", "Samsung Galaxy A15 8GB+256GB 6.5 inch 5000mAh", {"ram": "8 GB", "storage": "256 GB", "screen_size": "6.5 inch", "battery": "5000 mAh"}),
    ("phone", "Redmi 13C 8/256GB 5,000 mAh", {"ram": "8 GB", "storage": "256 GB", "battery": "5000 mAh"}),
    ("phone", "Nokia 105 32GB", {}),  # fits neither range (old storage? a lot of RAM?): unknown, not guessed
    ("drink", "Coca-Cola Zero Sugar 330ml x 24", {"volume": "330 ml"}),
    ("drink", "Pokka Green Tea 1.5L", {"volume": "1.5 L"}),
    ("drink", "Mineral water 330 ml or 1.5 L", {}),  # two volumes: which one is this listing? unknown
    ("snack", "Lay's Classic Potato Chips 150g", {"weight": "150 g"}),
    ("chair", "Office chair 120 kg load", {}),  # chairs have no quantity attribute: nothing is mined
])
def test_title_quantities_go_to_their_attribute(specs, category, title, want):
    assert {a: v for a, (v, _) in quantity_facts.mine(title, specs[category]).items()} == want

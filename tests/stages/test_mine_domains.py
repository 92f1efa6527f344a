"""Mining with the v2 vocabulary (#21): technical values and brands of every domain, and no silent
nonsense: a synonym mines a value only in categories where its attribute (and value) is scoped."""

from __future__ import annotations

import pytest

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.vocab.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def v2():
    return load_vocabulary("v2")


def _product(pid, category, title, attrs=None, description=None):
    return {"product_id": pid, "category": category, "title": title, "description": description, "language": "en",
            "family_id": None, "attributes": [{"name": k, "value": v} for k, v in (attrs or {}).items()],
            "image_ids": [f"img-{pid}"], "source_file": "f", "source_row": 1}


def _facts(vocab, *products):
    result = mine_attributes(schemas.from_rows(list(products), "product"), MineParams(MineConfig(), vocab))
    facts: dict[str, dict[str, str]] = {}
    for f in result.outputs["attributes"].to_pylist():
        facts.setdefault(f["product_id"], {})[f["attribute"]] = f["value"]
    return facts


def test_v2_is_the_default_and_v1_still_loads():
    assert MineConfig().vocabulary == "v2"
    v1 = load_vocabulary("v1")
    assert v1.categories == ["accessory", "bag", "clothing", "eyewear", "pants", "shoes", "watch"]
    assert {"phone", "laptop", "headphones", "chair", "table", "drink", "snack", "fruit", "jewellery", "luggage"} <= set(
        load_vocabulary("v2").categories)


@pytest.mark.parametrize("raw,category", [
    ("Mobile Phones", "phone"), ("Smartphones", "phone"), ("Laptops", "laptop"), ("Notebooks", "laptop"),
    ("Headphones", "headphones"), ("Earbuds", "headphones"), ("Soft Drinks", "drink"), ("Beverages", "drink"),
    ("Snacks", "snack"), ("Chips", "snack"), ("Dining Chairs", "chair"), ("Office Chairs", "chair"),
    ("Rings", "jewellery"), ("Necklaces", "jewellery"), ("Coffee Tables", "table"), ("Fresh Fruit", "fruit"),
    ("Suitcases", "luggage"), ("Tshirts", "clothing"), ("Handbags", "bag"), ("Backpacks", "bag"),
])
def test_shop_category_names_resolve(v2, raw, category):
    assert v2.resolve_category(raw) == category


def test_electronics_titles_give_type_brand_and_technical_values(v2):
    facts = _facts(v2,
                   _product("p1", "phone", "Apple iPhone 15 Pro Max 256GB Natural Titanium"),
                   _product("p2", "phone", "Samsung Galaxy A15 5G 8GB+256GB 6.5 inch 5000mAh Blue Black"),
                   _product("l1", "laptop", 'ASUS VivoBook 15 X1504 Intel Core i5 16GB RAM 512GB SSD 15.6" FHD'),
                   _product("h1", "headphones", "Sony WH-1000XM5 Wireless Noise Cancelling Over-Ear Headphones, Black"))
    assert facts["p1"] == {"brand": "Apple", "type": "smartphone", "storage": "256 GB", "color": "grey"}
    assert facts["p2"] == {"brand": "Samsung", "network": "5G", "ram": "8 GB", "storage": "256 GB",
                           "screen_size": "6.5 inch", "battery": "5000 mAh", "color": "blue"}
    assert facts["l1"] == {"brand": "ASUS", "processor": "Intel Core i5", "ram": "16 GB", "storage": "512 GB",
                           "screen_size": "15.6 inch"}
    assert facts["h1"] == {"brand": "Sony", "connectivity": "wireless", "noise_cancelling": "noise cancelling",
                           "type": "headphones", "color": "black"}


def test_structured_technical_fields_normalise(v2):
    facts = _facts(v2, _product("l1", "laptop", "Dell Inspiron", {"ram": "16gb", "storage": "1 TB", "screen_size": "15.6"}),
                   _product("d1", "drink", "Sprite", {"volume": "0.33 L"}))
    assert facts["l1"]["ram"] == "16 GB" and facts["l1"]["storage"] == "1 TB" and facts["l1"]["screen_size"] == "15.6 inch"
    assert facts["d1"]["volume"] == "330 ml" and facts["d1"]["type"] == "soft drink"


def test_food_furniture_jewellery_titles(v2):
    facts = _facts(v2,
                   _product("d1", "drink", "Coca-Cola Zero Sugar 330ml x 24"),
                   _product("s1", "snack", "Lay's Sour Cream & Onion Potato Chips 150g"),
                   _product("f1", "fruit", "Orange Navel 1kg"),
                   _product("t1", "table", "IKEA INGATORP extendable table, black"),
                   _product("t2", "table", "Round marble coffee table"),
                   _product("j1", "jewellery", "Pandora 18K White Gold Diamond Ring"))
    assert facts["d1"] == {"brand": "Coca-Cola", "type": "soft drink", "sugar": "zero sugar", "volume": "330 ml"}
    assert facts["s1"] == {"brand": "Lay's", "type": "chips", "flavour": "sour cream and onion", "weight": "150 g"}
    assert facts["f1"] == {"type": "orange", "weight": "1 kg"}  # a fruit called orange, not the colour orange
    assert facts["t1"] == {"brand": "IKEA", "type": "dining table", "color": "black"}
    assert facts["t2"] == {"shape": "round", "material": "marble", "type": "coffee table"}
    assert facts["j1"] == {"brand": "Pandora", "purity": "18k", "metal": "white gold", "gemstone": "diamond", "type": "ring"}


# ------------------------------------------------------------ no silent nonsense (#21.4)


def test_hat_and_coat_stand_is_no_cap_outside_accessories(v2):
    facts = _facts(v2, _product("f1", "table", "Hat and coat stand, white"), _product("a1", "accessory", "Hat, white"))
    assert "type" not in facts["f1"] and facts["f1"]["color"] == "white"
    assert facts["a1"]["type"] == "cap"  # where the attribute is scoped, the synonym still mines


def test_highchair_with_safety_belt_is_a_high_chair_not_a_belt(v2):
    facts = _facts(v2, _product("c1", "chair", "Highchair with safety belt, grey"))
    assert facts["c1"] == {"type": "high chair", "color": "grey"}


def test_led_work_lamp_and_handles_mine_no_occasion(v2):
    facts = _facts(v2, _product("t1", "table", "LED work lamp desk with metal handles"),
                   _product("c1", "chair", "Traditional office chair with handles", {"occasion": "work", "style": "handles"}),
                   _product("x1", "clothing", "Formal work shirt"))
    assert "occasion" not in facts["t1"] and facts["t1"]["material"] == "metal" and facts["t1"]["type"] == "desk"
    assert "occasion" not in facts["c1"]
    assert facts["x1"]["occasion"] == "formal"  # in clothing, "work" still means formal


def test_a_shared_attribute_mines_only_its_category_values(v2):
    facts = _facts(v2, _product("t1", "table", "Denim blue canvas side table"), _product("b1", "bag", "Wooden handle canvas tote"),
                   _product("d1", "drink", "Fanta Orange 1.5L"), _product("s1", "snack", "Hot chips"))
    assert "material" not in facts["t1"]  # denim and canvas are clothing materials, not a table's
    assert facts["b1"]["material"] == "canvas"  # "wooden" is not a bag material
    assert facts["d1"]["flavour"] == "orange" and "color" not in facts["d1"]  # drinks carry no colour condition
    assert facts["s1"]["flavour"] == "spicy"


def test_a_fruit_name_does_not_trim_a_phone_brand(v2):
    """Brand candidates are trimmed by their own domain's words: 'Apple' is a fruit only among food."""
    facts = _facts(v2, _product("p1", "phone", "Apple iPhone 13 128GB"), _product("f1", "fruit", "Apple Fuji 1kg"))
    assert facts["p1"]["brand"] == "Apple"
    assert facts["f1"]["type"] == "apple" and "brand" not in facts["f1"]


def test_llm_mining_options_leave_quantities_to_the_text_miner(v2):
    from pipelines.stages.llm_tasks.options import vocabulary_options

    options = vocabulary_options(v2, "laptop")
    assert "ram" not in options and "storage" not in options  # an enum of sizes could not hold "24 GB"
    assert options["brand"] is None and "Intel Core i5" in options["processor"].values()


def test_a_brand_s_own_words_are_not_values_and_the_type_is_the_head_noun(v2):
    facts = _facts(v2, _product("j1", "jewellery", "Lazo Diamond 18K White Gold Ring"),
                   _product("s1", "snack", "Pocky Chocolate Biscuit Stick 47g"),
                   _product("f1", "clothing", "Roadster Men Shirt Dress"))
    assert facts["j1"] == {"brand": "Lazo Diamond", "purity": "18k", "metal": "white gold", "type": "ring"}  # no gemstone
    assert facts["s1"]["type"] == "biscuits" and facts["s1"]["flavour"] == "chocolate"
    assert facts["f1"]["type"] == "shirt"  # fashion keeps its first match, as before


def test_a_shop_category_name_is_no_bad_type_value(v2):
    """Ingest keeps a fine raw category ("Tshirts") as the product's type; a category's own name
    ("Laptops", "Mobile Phones") names no finer type: it is dropped, not a value_not_in_vocabulary reject
    per product. A type field naming something else still is one."""
    products = [_product("l1", "laptop", "ASUS VivoBook 15", {"type": "Laptops"}),
                _product("p1", "phone", "Galaxy A15", {"type": "Mobile Phones"}),
                _product("l2", "laptop", "Razer Blade 16", {"type": "Gaming Laptops"}),
                _product("l3", "laptop", "Dell XPS 13", {"type": "Toaster"})]
    result = mine_attributes(schemas.from_rows(products, "product"), MineParams(MineConfig(), v2))
    rejected = [(r["record_id"], r["reason"]) for r in result.rejects.to_pylist()]
    assert rejected == [("l3", "value_not_in_vocabulary")]
    types = {f["product_id"]: f["value"] for f in result.outputs["attributes"].to_pylist() if f["attribute"] == "type"}
    assert types.get("l2") == "gaming laptop" and "l1" not in types

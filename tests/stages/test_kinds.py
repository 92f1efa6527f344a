"""A plan's `kinds` (compose) and the head noun they allow (phrasing): the kinds of every positive and every
minimal pair, so a noun true of all of them ("top" for shirts and T-shirts) keeps the labels and each pair."""

import pytest

from pipelines.stages.catalog_index import build_index
from pipelines.stages.compose import _kinds
from pipelines.stages.matching import Matcher
from pipelines.stages.minimal_pairs import PairSet
from pipelines.stages.phrasing import kind_nouns
from pipelines.stages.render import render_phrase
from pipelines.vocab.templates import load_templates
from pipelines.vocab.vocabulary import load_vocabulary
from tests.stages.inline import attributes, families, products

FACTS = {  # conditions brand=Nike, color=red: p1 positive, p2 and p3 pairs, p4 violates both, p5 unknown type
    "p1": {"_category": "clothing", "brand": "Nike", "color": "red", "type": "t-shirt"},
    "p2": {"_category": "clothing", "brand": "Nike", "color": "blue", "type": "shirt"},
    "p3": {"_category": "clothing", "brand": "Puma", "color": "red", "type": "dress"},
    "p4": {"_category": "clothing", "brand": "Puma", "color": "blue", "type": "jacket"},
    "p5": {"_category": "clothing", "brand": "Puma", "color": "blue", "gender": "unisex"},
}


def _index(facts):
    return build_index(products([(p, f["_category"]) for p, f in facts.items()]), attributes(facts),
                       families([(p, p) for p in facts]), Matcher((("gender", (("unisex", ("men", "women")),)),)))


def _pairs(index, conditions):
    pairs = PairSet(index, "clothing")
    for attribute, value in conditions:
        pairs.add(attribute, value)
    return pairs


def test_kinds_are_those_of_the_positives_and_the_minimal_pairs_only():
    index = _index(FACTS)
    picked = [("brand", "Nike", None), ("color", "red", None)]
    assert _kinds(index, "clothing", picked, _pairs(index, [("brand", "Nike"), ("color", "red")])) == [
        "dress", "shirt", "t-shirt"]  # not p4's jacket: it violates both, so no noun can take a pair away


def test_no_kinds_when_one_of_them_has_no_type_or_a_condition_asks_for_one():
    index = _index(FACTS)
    blue = _pairs(index, [("brand", "Puma"), ("color", "blue")])  # p5 (no type) is a positive
    assert _kinds(index, "clothing", [("brand", "Puma", None), ("color", "blue", None)], blue) is None
    typed = _pairs(index, [("type", "shirt"), ("color", "blue")])
    assert _kinds(index, "clothing", [("type", "shirt", None), ("color", "blue", None)], typed) is None


def test_own_values_are_the_products_own_not_the_values_they_also_meet():
    index = _index(FACTS)
    everyone = index.everyone("clothing")
    assert index.own_values("clothing", "gender", index.meets("clothing", "gender", "men")) == ["unisex"]
    assert index.own_values("clothing", "type", everyone) is None  # p5 has no type
    assert index.own_values("clothing", "type", everyone & ~index.meets("clothing", "gender", "men")) == [
        "dress", "jacket", "shirt", "t-shirt"]


def _c(attribute, value, carried_by="text"):
    return {"attribute": attribute, "value": value, "carried_by": carried_by, "source_product_id": None,
            "image_id": None}


LANGUAGES = ["en", "ms", "id", "vi", "th"]
NIKE_RED = [_c("brand", "Nike"), _c("color", "red", "image")]
MEN_BLACK = [_c("gender", "men"), _c("color", "black", "image")]
PLANS = {  # name: (category, kinds, conditions)
    "tops": ("clothing", ["shirt", "t-shirt"], NIKE_RED),
    "tops_and_a_top": ("clothing", ["shirt", "t-shirt", "top"], NIKE_RED),
    "with_a_dress": ("clothing", ["dress", "shirt"], NIKE_RED),
    "one_kind": ("accessory", ["belt"], MEN_BLACK),
    "no_kinds": ("accessory", None, MEN_BLACK),
    "belt_and_cap": ("accessory", ["belt", "cap"], MEN_BLACK),  # en "accessory" also names wallets (bags)
}
GOLDEN = {
    "tops": [
        "Do you have a Nike top in the same colour as <image_1>?",
        "Ada jual baju jenama Nike yang warnanya sama macam <image_1>?",
        "Saya mau beli baju merek Nike yang warnanya seperti <image_1>.",
        "Tìm giúp tôi một chiếc áo của hãng Nike có màu giống <image_1>.",
        "ฉันกำลังหาเสื้อแบรนด์ Nike ที่มีสีเหมือน <image_1>",
    ],
    "tops_and_a_top": [
        "I'm looking for a Nike top in the same colour as <image_1>.",
        "Boleh tunjukkan baju jenama Nike yang warnanya sama macam <image_1>?",
        "Apakah ada baju merek Nike yang warnanya seperti <image_1>?",
        "Shop có áo của hãng Nike có màu giống <image_1> không?",
        "อยากได้เสื้อแบรนด์ Nike ที่สีเหมือน <image_1>",
    ],
    "with_a_dress": [
        "Show me a Nike top or dress in the same colour as <image_1>.",
        "Ada jual baju atau gaun jenama Nike yang warnanya sama macam <image_1>?",
        "Bisa tunjukkan atasan atau gaun merek Nike yang warnanya seperti <image_1>?",
        "Tôi đang tìm một chiếc áo hoặc đầm của hãng Nike có màu giống <image_1>.",
        "ขอดูเสื้อหรือชุดเดรสแบรนด์ Nike ที่มีสีเหมือน <image_1> หน่อย",
    ],
    "one_kind": [
        "Can you find me a men's belt in the same colour as <image_1>?",
        "Ada jual tali pinggang lelaki yang warnanya sama macam <image_1>?",
        "Apakah ada ikat pinggang pria yang warnanya seperti <image_1>?",
        "Shop có thắt lưng nam có màu giống <image_1> không?",
        "ขอดูเข็มขัดผู้ชาย ที่สีเหมือน <image_1> หน่อย",
    ],
    "no_kinds": [
        "Show me a men's belt, cap, tie, scarf, pair of socks, pair of gloves or pair of cufflinks in the same colour as <image_1>.",
        "Saya mahu beli tali pinggang, topi, tali leher, skaf, stoking, sarung tangan atau butang manset lelaki yang warnanya sama macam <image_1>.",
        "Bisa tunjukkan ikat pinggang, topi, dasi, syal, kaus kaki, sarung tangan atau kancing manset pria yang warnanya seperti <image_1>?",
        "Shop có thắt lưng, mũ, cà vạt, khăn quàng cổ, tất, găng tay hoặc khuy măng sét nam có màu giống <image_1> không?",
        "ฉันกำลังหาเข็มขัด หมวก เนกไท ผ้าพันคอ ถุงเท้า ถุงมือ หรือกระดุมข้อมือผู้ชาย ที่มีสีเหมือน <image_1>",
    ],
    "belt_and_cap": [
        "Do you have a men's belt, cap, tie, scarf, pair of socks, pair of gloves or pair of cufflinks in the same colour as <image_1>?",
        "Ada jual tali pinggang, topi, tali leher, skaf, stoking, sarung tangan atau butang manset lelaki yang warnanya sama macam <image_1>?",
        "Bisa tunjukkan ikat pinggang, topi, dasi, syal, kaus kaki, sarung tangan atau kancing manset pria yang warnanya seperti <image_1>?",
        "Shop có thắt lưng, mũ, cà vạt, khăn quàng cổ, tất, găng tay hoặc khuy măng sét nam có màu giống <image_1> không?",
        "ฉันกำลังหาเข็มขัด หมวก เนกไท ผ้าพันคอ ถุงเท้า ถุงมือ หรือกระดุมข้อมือผู้ชาย ที่มีสีเหมือน <image_1>",
    ],
}


@pytest.fixture(scope="module")
def templates():
    return load_templates("v4", LANGUAGES)


@pytest.fixture(scope="module")
def named(templates):
    types = load_vocabulary().categories_of_types()
    return kind_nouns({lang: templates.pack(lang).lexicon for lang in LANGUAGES}, types)


@pytest.mark.parametrize("name", sorted(PLANS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_head_noun_is_the_one_every_kind_shares(name, lang, templates, named):
    category, kinds, conditions = PLANS[name]
    plan = {"base_query_id": name, "category": category, "kinds": kinds}
    text = render_phrase(plan, conditions, templates.pack(lang), 7, named[lang]).text
    assert text == GOLDEN[name][LANGUAGES.index(lang)]
    if kinds:  # without the nouns a run allows, the category's noun
        assert render_phrase(plan, conditions, templates.pack(lang), 7).text == render_phrase(
            {**plan, "kinds": None}, conditions, templates.pack(lang), 7).text


def test_a_noun_that_also_names_another_categorys_kind_or_an_unknown_kind_is_never_a_kinds_noun():
    lexicon = {"nouns": {
        "type": {"belt": {"det": "a", "head": "belt"}, "wallet": {"det": "a", "head": "wallet"},
                 "tote": {"det": "a", "head": "tote"}, "widget": {"det": "a", "head": "widget"}},
        "image_kind": {"belt": {"det": "a", "head": "accessory"}, "wallet": {"det": "a", "head": "accessory"},
                       "tote": {"det": "a", "head": "bag"}},
        "by_gender": {"men": {"type": {"tote": {"det": "a", "head": "carryall"}}}}}}
    types = {"belt": {"accessory"}, "wallet": {"bag"}, "tote": {"bag"}, "scarf": {"accessory"}}
    assert kind_nouns({"en": lexicon}, types) == {"en": {"belt", "wallet", "tote", "bag", "carryall"}}
    # another language names belts and scarves by one word; the first one's broad word covers both
    th = {"nouns": {"type": {"belt": {"det": "", "head": "b"}, "scarf": {"det": "", "head": "s"}},
                    "image_kind": {"belt": {"det": "", "head": "acc"}, "scarf": {"det": "", "head": "acc"}}}}
    lexicon["nouns"]["image_kind"]["scarf"] = {"det": "a", "head": "accessory"}
    assert kind_nouns({"en": lexicon, "th": th}, types)["th"] == {"b", "s"}
    del lexicon["nouns"]["image_kind"]["wallet"]  # now no word names belts with a bag's kind
    assert kind_nouns({"en": lexicon, "th": th}, types)["th"] == {"b", "s", "acc"}

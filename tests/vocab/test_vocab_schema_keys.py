"""Vocabulary v2 / lexicon and templates v4 keys in your own files (#21, #23): accepted when right, and a
typo or a wrong type in each is one line naming the file and the key, before any stage runs."""

from __future__ import annotations

import copy
import json

import pytest

from pipelines.config import load_config
from pipelines.errors import ConfigError
from pipelines.resources import SCHEMAS_DIR
from pipelines.stages import units
from pipelines.vocab.buildable import buildable_config
from pipelines.vocab.check import lexicon_gaps, read_document
from pipelines.vocab.vocabulary import Vocabulary

VOCABULARY = {
    "common_attributes": [],
    "attributes": {
        "ram": {"quantity": "data", "range": [1, 24], "cues": ["ram", "memory"], "values": {}},
        "network": {"verbatim": True, "values": {"5G": [], "4G": ["lte"]}},
        "material": {"visual": True, "values": {"aluminium": ["aluminum"], "plastic": []}, "label_only": ["plastic"]},
        "screen_size": {"quantity": "length_in", "range": [3, 20], "values": {}},
    },
    "categories": {"laptop": {"domain": "electronics", "attributes": ["ram", "network", "material", "screen_size"],
                              "values": {"material": ["aluminium"]}, "brands": ["Apple", "ASUS"],
                              "required_conditions": ["ram"]}},
}
LEXICON = {"language": "th", "units": {" inch": " นิ้ว"},
           "synonyms": {"type": {"dress": ["เดรส"]}},
           "nouns": {"category": {"laptop": {"det": "", "head": "แล็ปท็อป"}},
                     "by_gender": {"men": {"category": {"clothing": {"det": "", "head": "เสื้อ"}}}}}}
TEMPLATES = {"language": "en", "type_in_clause": True, "drop_repeated_lead": True, "plural_dets": ["a pair of"],
             "type_image_plural": "like the ones in {image}",
             "article": {"a": "a", "an": "an", "vowel_sound": ["hour"], "consonant_sound": ["uni"], "letters_an": "AEF"}}
DOCUMENTS = {"vocabulary": VOCABULARY, "lexicon": LEXICON, "templates": TEMPLATES}


def _problem(tmp_path, kind: str, change) -> str:
    document = copy.deepcopy(DOCUMENTS[kind])
    change(document)
    path = tmp_path / f"my-{kind}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_document(path, kind)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_every_new_key_is_accepted(tmp_path, kind):
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(DOCUMENTS[kind], ensure_ascii=False), encoding="utf-8")
    assert read_document(path, kind) == DOCUMENTS[kind]


def _attr(name, **change):
    return lambda d: d["attributes"][name].update(change)


def _cat(**change):
    return lambda d: d["categories"]["laptop"].update(change)


@pytest.mark.parametrize("change, expected", [
    (_attr("ram", quantiy="data"), "attributes.ram: Additional properties are not allowed ('quantiy' was unexpected)"),
    (_attr("ram", quantity="ram"), "attributes.ram.quantity: 'ram' is not one of ['data', 'length_in'"),
    (_attr("ram", range=["1", 24]), "attributes.ram.range.0: '1' is not of type 'number'"),
    (_attr("ram", range=[1]), "attributes.ram.range: [1] is too short"),
    (_attr("ram", range=[24, 1]), "attributes.ram.range: [24, 1] must be [low, high]"),
    (_attr("ram", cues="ram"), "attributes.ram.cues: 'ram' is not of type 'array'"),
    (_attr("ram", values={"16 GB": []}), "attributes.ram: a quantity attribute's values are its numbers with units"),
    (_attr("material", cues=["fabric"]), "attributes.material.cues: only a quantity attribute has one"),
    (_attr("network", verbatim="yes"), "attributes.network.verbatim: 'yes' is not of type 'boolean'"),
    (_attr("material", label_only="plastic"), "attributes.material.label_only: 'plastic' is not of type 'array'"),
    (_attr("material", label_only=["steel"]), "attributes.material.label_only: 'steel' is not one of its values"),
    (_cat(domian="electronics"), "categories.laptop: Additional properties are not allowed ('domian' was unexpected)"),
    (_cat(domain="Electronics"), "categories.laptop.domain: 'Electronics' must be lower case letters"),
    (_cat(brands="Apple"), "categories.laptop.brands: 'Apple' is not of type 'array'"),
    (_cat(required_conditions=["colour"]), "categories.laptop.required_conditions: category 'laptop' has no attribute 'colour'"),
    (_cat(required_conditions="ram"), "categories.laptop.required_conditions: 'ram' is not of type 'array'"),
    (_cat(values={"material": "aluminium"}), "categories.laptop.values.material: 'aluminium' is not of type 'array'"),
    (_cat(values={"colour": ["red"]}), "categories.laptop.values.colour: category 'laptop' has no attribute 'colour'"),
    (_cat(values={"material": ["denim"]}), "categories.laptop.values.material: 'denim' is not one of 'material'"),
    (lambda d: d["attributes"].update(Screen_Size={"values": {}}), "'Screen_Size' must be lower case letters"),
    (lambda d: d["attributes"].update(_default={"values": {}}), "'_default' must be lower case letters"),
])
def test_a_mistake_in_a_new_vocabulary_key_is_one_line(tmp_path, change, expected):
    assert expected in _problem(tmp_path, "vocabulary", change)


@pytest.mark.parametrize("kind, change, expected", [
    ("lexicon", lambda d: d.update(unit={" inch": "-inch"}), "(top level): Additional properties are not allowed ('unit'"),
    ("lexicon", lambda d: d["units"].update({" cm": 5}), "units. cm: 5 is not of type 'string'"),
    ("lexicon", lambda d: d["synonyms"]["type"].update(skirt="กระโปรง"), "synonyms.type.skirt: 'กระโปรง' is not of type 'array'"),
    ("lexicon", lambda d: d["nouns"]["by_gender"]["men"].update(categroy={}),
     "nouns.by_gender.men: Additional properties are not allowed ('categroy' was unexpected)"),
    ("lexicon", lambda d: d["nouns"]["by_gender"]["men"]["category"].update(pants={"det": ""}),
     "nouns.by_gender.men.category.pants: 'head' is a required property"),
    ("templates", lambda d: d.update(type_in_clause="yes"), "type_in_clause: 'yes' is not of type 'boolean'"),
    ("templates", lambda d: d.update(plural_det=["a pair of"]), "Additional properties are not allowed ('plural_det'"),
    ("templates", lambda d: d.update(drop_repeated_lead=1), "drop_repeated_lead: 1 is not of type 'boolean'"),
    ("templates", lambda d: d.update(type_image_plural=["x"]), "type_image_plural: ['x'] is not of type 'string'"),
    ("templates", lambda d: d["article"].update(leters_an="AEF"),
     "article: Additional properties are not allowed ('leters_an' was unexpected)"),
])
def test_a_mistake_in_a_new_lexicon_or_template_key_is_one_line(tmp_path, kind, change, expected):
    assert expected in _problem(tmp_path, kind, change)


def test_the_quantity_enum_is_the_dimensions_units_knows():
    schema = json.loads((SCHEMAS_DIR / "vocabulary" / "v1.json").read_text(encoding="utf-8"))
    dimensions = {dimension for dimension, _, _ in units._UNITS.values()}
    assert set(schema["$defs"]["attribute"]["properties"]["quantity"]["enum"]) == dimensions


def test_verbatim_values_and_unit_codes_need_no_translation():
    """Was: the default build skipped ms, id, vi and th ('5G', 'Intel Core i5', '24K' counted as English slips)."""
    vocab = Vocabulary("mine", copy.deepcopy(VOCABULARY))
    english = {"values": {"material": {"aluminium": "aluminium", "plastic": "plastic"}}}
    lexicon = {"values": {"material": {"aluminium": "aluminium", "plastic": "plastik"}}, "nouns": {"category": {"laptop": {"head": "x"}}}}
    assert lexicon_gaps(vocab, {"image_items": {"material": "x"}}, lexicon, english) == [
        "value 'aluminium' of 'material' is still English ('aluminium') in language '?' (values.material.aluminium): "
        "translate it or list it in loanwords"]  # network (verbatim) needs none
    vocab.data["attributes"]["material"]["values"] = {"24k": []}
    vocab.data["categories"]["laptop"]["values"]["material"] = ["24k"]  # the laptop's scope names only values that exist
    lexicon["values"]["material"] = {"24k": "24K"}
    assert lexicon_gaps(vocab, {"image_items": {"material": "x"}}, lexicon, {"values": {"material": {"24k": "24K"}}}) == []
    skipped = buildable_config(load_config())[1]
    assert skipped == {}


def test_an_image_carried_attribute_named_with_underscore_needs_an_english_word():
    data = copy.deepcopy(VOCABULARY)
    data["attributes"]["strap_colour"] = {"visual": True, "values": {"black": []}}
    data["categories"]["laptop"]["attributes"].append("strap_colour")
    lexicon = {"nouns": {"category": {"laptop": {"head": "laptop"}}}}
    assert lexicon_gaps(Vocabulary("mine", data), {"image_items": {}}, lexicon, None) == [
        "attribute 'strap_colour' has no word in language '?' (attributes.strap_colour): its name has '_'"]
    lexicon["attributes"] = {"strap_colour": "strap colour"}
    assert lexicon_gaps(Vocabulary("mine", data), {"image_items": {}}, lexicon, None) == []

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.stages.mine import MineParams, mine_attributes


def _product(pid, title, attrs, category="clothing"):
    return {"product_id": pid, "category": category, "title": title, "description": None, "language": "en",
            "family_id": None, "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
            "image_ids": ["x"], "source_file": "f", "source_row": 1}


def _mine(vocab, *products):
    return mine_attributes(schemas.from_rows(list(products), "product"), MineParams(MineConfig(), vocab))


def _facts(result):
    return {(f["product_id"], f["attribute"]): (f["value"], f["source"]) for f in result.outputs["attributes"].to_pylist()}


def test_fields_normalise_through_synonyms_and_fuzzy_match(vocab):
    result = _mine(vocab, _product("1", "x", {"color": "Navy Blue", "type": "Tshirts", "gender": "Blak"}))
    facts = _facts(result)
    assert facts[("1", "color")] == ("navy", "field")
    assert facts[("1", "type")] == ("t-shirt", "field")
    assert ("1", "gender") not in facts  # 'Blak' is not a gender: rejected, not guessed
    assert result.rejects.to_pylist()[0]["reason"] == "value_not_in_vocabulary"


def test_title_gives_brand_pattern_neckline_and_field_wins_conflicts(vocab):
    result = _mine(vocab, _product("1", "U.S. Polo Assn. Men Striped Grey Polo T-Shirt", {"color": "Blue"}))
    facts = _facts(result)
    assert facts[("1", "brand")] == ("U.S. Polo Assn.", "title")
    assert facts[("1", "pattern")] == ("striped", "title")
    assert facts[("1", "neckline")] == ("polo collar", "title")  # the brand's "Polo" is not mined
    assert facts[("1", "color")] == ("blue", "field")  # the field beats the title's "Grey"
    assert facts[("1", "gender")] == ("men", "title")


def test_colour_variants_share_a_derived_family(vocab):
    result = _mine(vocab, _product("1", "Puma Men Black Sneakers", {}, "shoes"),
                   _product("2", "Puma Men White Sneakers", {}, "shoes"), _product("3", "Puma Men Sandals", {}, "shoes"))
    fams = {r["product_id"]: r["family_id"] for r in result.outputs["families"].to_pylist()}
    assert fams["1"] == fams["2"] != fams["3"]

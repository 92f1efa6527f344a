from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.stages.values import canonical_values


def _product(pid, title, attrs, category="clothing"):
    return {"product_id": pid, "category": category, "title": title, "description": None, "language": "en",
            "family_id": None, "attributes": [{"name": k, "value": v} for k, v in attrs.items()],
            "image_ids": [f"img-{pid}"], "source_file": "f", "source_row": 1}


def _mine(vocab, *products, cfg=None):
    return mine_attributes(schemas.from_rows(list(products), "product"), MineParams(cfg or MineConfig(), vocab))


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
    # Title brands need evidence (issue #10): the same leading words in 3 products' titles.
    result = _mine(vocab, _product("1", "U.S. Polo Assn. Men Striped Grey Polo T-Shirt", {"color": "Blue"}),
                   _product("2", "U.S. Polo Assn. Men Solid Shirt", {}), _product("3", "U.S. Polo Assn. Women Top", {}))
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


def _brands(result):
    return {f["product_id"]: f["value"] for f in result.outputs["attributes"].to_pylist() if f["attribute"] == "brand"}


def test_brand_spellings_merge_into_the_most_frequent_one(vocab):
    titles = ["United Colors of Benetton Men Shirt", "United Colors of Benetton Women Top", "United Colors Of Benetton Men Tshirt",
              "Levis Men Jeans", "Levis Men Shirt", "Levi's Men Jeans", "Fila Men Sneakers", "FILA Men Sneakers",
              "FILA Women Sneakers", "Red Tape Men Shoes", "Redtape Men Shoes", "Red Tape Men Sandals"]
    result = _mine(vocab, *(_product(str(i), t, {}) for i, t in enumerate(titles)))
    got = _brands(result)
    assert {got[str(i)] for i in range(3)} == {"United Colors of Benetton"}
    assert {got[str(i)] for i in range(3, 6)} == {"Levis"}
    assert {got[str(i)] for i in range(6, 9)} == {"FILA"}
    assert {got[str(i)] for i in range(9, 12)} == {"Red Tape"}  # a brand may start with a colour
    aliases = {(a["raw"], a["canonical"], a["method"]) for a in result.outputs["aliases"].to_pylist()}
    assert ("Levi's", "Levis", "spelling") in aliases and ("Redtape", "Red Tape", "spelling") in aliases


def test_fuzzy_clusters_only_above_the_threshold():
    counts = {"United Colors of Benetton": 5, "United Colours of Benetton": 1, "Puma": 4, "Pumas": 1, "Nike": 3, "Mike": 1}
    got = canonical_values(counts, 92.0)
    assert got["United Colours of Benetton"] == ("United Colors of Benetton", "fuzzy")
    assert got["Pumas"] == ("Pumas", "same") and got["Mike"] == ("Mike", "same")  # short names never fuzz-merge
    assert canonical_values(counts, 92.0, {"Pumas": "Puma"})["Pumas"] == ("Puma", "pinned")


def test_pinned_alias_wins(vocab):
    titles = ["Levis Men Jeans", "Levis Men Shirt", "Levi's Men Jeans"]
    cfg = MineConfig(aliases={"brand": {"Levis": "Levi's"}, "color": {"Rust": "orange"}})
    result = _mine(vocab, *(_product(str(i), t, {"color": "Rust"}) for i, t in enumerate(titles)), cfg=cfg)
    assert set(_brands(result).values()) == {"Levi's"}
    assert _facts(result)[("0", "color")] == ("orange", "field")  # the vocabulary says rust is red


def test_mis_mined_title_brands_are_refused(vocab):
    titles = ["Turtle Solid Men Shirt", "Kiara Black Women Handbag", "Vital Gear Black Men Shoes", "Mr. Men Shirt",
              "Solitaire Men Watch"]  # one title each: no evidence either
    result = _mine(vocab, *(_product(str(i), t, {}) for i, t in enumerate(titles)))
    assert _brands(result) == {}
    reasons = {r["record_id"]: r["reason"] for r in result.rejects.to_pylist()}
    assert reasons == {"0": "brand_without_evidence", "1": "brand_without_evidence", "2": "brand_without_evidence",
                       "3": "brand_candidate_not_a_name", "4": "brand_without_evidence"}


def test_a_trailing_descriptor_never_becomes_part_of_a_brand(vocab):
    titles = ["Kiara Black Women Handbag", "Kiara Brown Women Handbag", "Kiara Women Clutch", "Turtle Solid Men Shirt",
              "Turtle Solid Men Shirt", "Turtle Solid Men Tshirt"]
    got = _brands(_mine(vocab, *(_product(str(i), t, {}) for i, t in enumerate(titles))))
    assert got == {"0": "Kiara", "1": "Kiara", "2": "Kiara", "3": "Turtle", "4": "Turtle", "5": "Turtle"}


def test_structured_brand_field_is_evidence(vocab):
    result = _mine(vocab, _product("1", "Wildcraft Men Backpack", {}, "bag"),
                   _product("2", "Bag", {"brand": "WILDCRAFT"}, "bag"), _product("3", "Bag", {"brand": "WILDCRAFT"}, "bag"))
    assert set(_brands(result).values()) == {"WILDCRAFT"}


def test_boys_and_girls_are_their_own_gender(vocab):
    facts = _facts(_mine(vocab, _product("1", "x", {"gender": "Boys"}), _product("2", "x", {"gender": "Girls"})))
    assert facts[("1", "gender")][0] == "boys" and facts[("2", "gender")][0] == "girls"


def test_a_listed_gender_is_the_value_meaning_all_of_its_parts(vocab):
    """"Men, Women" names a product for both: unisex (it also meets men and women), not men and not a reject."""
    facts = _facts(_mine(vocab, _product("1", "x", {"gender": "Men, Women"}), _product("2", "x", {"gender": "Women and Men"}),
                         _product("3", "x", {"gender": "Men, Women, Unisex"})))
    assert [facts[(pid, "gender")][0] for pid in "123"] == ["unisex"] * 3


def test_a_list_no_value_covers_is_unknown_with_a_counted_reject(vocab):
    """Reading "Boys, Girls" as boys (its first part, or a fuzzy match) would make the product a false
    negative of every query for girls; no value means both, so it is unknown."""
    result = _mine(vocab, _product("1", "x", {"gender": "Boys, Girls"}), _product("2", "x", {"gender": "Boys"}))
    facts = _facts(result)
    assert ("1", "gender") not in facts and facts[("2", "gender")][0] == "boys"
    reject = result.rejects.to_pylist()[0]
    assert (reject["reason"], reject["record_id"], reject["field"]) == ("several_values", "1", "attributes.gender")
    assert "boys, girls" in reject["message"]


def test_v2_reads_a_list_of_boys_and_girls_as_kids_meeting_both():
    """v2's `kids` also meets boys and girls, so "Boys, Girls" (or "Children's") is kids, not unknown;
    "Men, Boys", which no value means, stays unknown."""
    from pipelines.vocab.vocabulary import load_vocabulary

    v2 = load_vocabulary("v2")
    result = _mine(v2, _product("1", "x", {"gender": "Boys, Girls"}), _product("2", "x", {"gender": "Children's"}),
                   _product("3", "x", {"gender": "Men, Boys"}))
    facts = _facts(result)
    assert facts[("1", "gender")][0] == "kids" and facts[("2", "gender")][0] == "kids"
    assert ("3", "gender") not in facts and [r["reason"] for r in result.rejects.to_pylist()] == ["several_values"]
    assert v2.also_meets("gender")["kids"] == ["boys", "girls"]


def test_one_value_whose_words_hold_a_separator_is_not_a_list(vocab):
    """Only a split into known values is a list: "navy blue" stays one value, and "Black & White" is two."""
    result = _mine(vocab, _product("1", "x", {"color": "Black & White"}), _product("2", "x", {"color": "navy blue"}))
    facts = _facts(result)
    assert facts[("2", "color")][0] == "navy" and ("1", "color") not in facts
    assert [r["reason"] for r in result.rejects.to_pylist()] == ["several_values"]


def test_a_marketing_colour_name_is_its_head_colour_and_two_colours_are_none(vocab):
    """"Aurora Blue" is a blue (English puts the kind last); "Black Green" names two colours, so neither."""
    result = _mine(vocab, _product("1", "x", {"color": "Aurora Blue"}), _product("2", "x", {"color": "Black Green"}),
                   _product("3", "x", {"color": "Prism Crush Black"}))
    facts = _facts(result)
    assert facts[("1", "color")][0] == "blue" and facts[("3", "color")][0] == "black"
    assert ("2", "color") not in facts
    assert [r["record_id"] for r in result.rejects.to_pylist() if r["reason"] == "value_not_in_vocabulary"] == ["2"]

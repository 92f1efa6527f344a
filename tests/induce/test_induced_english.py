"""The English an induced vocabulary writes reads as a shopper's: list values are one value or none, a type that
titles use as a modifier names the noun they modify, a shop area is "a ... product" (issue #21)."""

from __future__ import annotations

from pipelines.induce.lexicon import category_noun, english_lexicon
from pipelines.induce.names import singular, vocab_name
from pipelines.induce.propose import propose
from pipelines.induce.type_nouns import english_nouns
from pipelines.vocab.templates import load_templates
from pipelines.vocab.vocabulary import load_vocabulary


def _record(i, category, title, **attrs):
    return {"product_id": str(i), "category": category, "title": title, "attributes": attrs}


def test_a_type_titles_write_before_one_noun_modifies_it():
    titles = {"infant wear": ["Wow Baby Girl's Gathered Pink Dress", "Saba Baby Girl's Gathered Dress",
                              "Lambs Gathered Dress", "Toons Round Neck T-Shirts", "Globe Round Neck Orange T-Shirt",
                              "Zero Baby Girl's Leggings", "Babyoye Grey Leggings", "Kandyfloss Romper",
                              "Babeezworld Romper"]}
    types = {t: {"infant wear"} for t in ("gathered", "round neck", "leggings", "romper", "flat")}
    nouns, notes = english_nouns(types, titles, value_words={"pink", "orange", "grey"})
    assert nouns["gathered"] == {"det": "a", "head": "gathered dress"}  # "Pink" passed over: a colour
    assert nouns["round neck"] == {"det": "a", "head": "round neck t-shirt"}
    assert nouns["leggings"] == {"det": "", "head": "leggings", "plural": True}  # a noun at the title's end, plural only
    assert nouns["romper"] == {"det": "a", "head": "romper"}
    assert nouns["flat"] == {"det": "a", "head": "flat"}
    assert any(n.startswith("type 'flat': no title of its categories shows it") for n in notes)
    assert "type 'gathered': titles write it before 'dress', so the noun is 'a gathered dress'" in notes


def test_varying_or_repeated_words_after_a_type_are_no_noun():
    titles = {"bedding": ["Offspring Single Blanket Blue", "Offspring Blanket Pink", "Carter Blanket Multicolor",
                          "WallDesign Vinyl Sticker Sticker", "Uberlyfe Vinyl Sticker Sticker"]}
    nouns, _ = english_nouns({"blanket": {"bedding"}, "vinyl sticker": {"bedding"}}, titles, value_words=set())
    assert nouns["blanket"]["head"] == "blanket" and nouns["vinyl sticker"]["head"] == "vinyl sticker"


def test_plural_only_nouns_keep_their_plural():
    assert singular("shorts") == "shorts" and vocab_name("Basic Shorts") == "basic shorts"
    assert singular("dresses") == "dress" and singular("capris") == "capris" and singular("sunglasses") == "sunglasses"
    assert [singular(w) for w in ("booties", "hoodies", "ties", "parties", "batteries")] == \
        ["bootie", "hoodie", "tie", "party", "battery"]
    assert category_noun("grooming kit")[0] == {"det": "a", "head": "grooming kit"}


def test_category_nouns_for_areas_pairs_and_mass_names():
    assert category_noun("hair care")[0] == {"det": "a", "head": "hair care product"}
    assert category_noun("feeding & nursing")[0]["head"] == "feeding and nursing product"
    assert category_noun("combo and kit")[0] == {"det": "a", "head": "combo or kit"}
    assert category_noun("baby & kids gift") == ({"det": "a", "head": "baby and kids gift"}, None)
    assert category_noun("salwar and dupatta")[0]["head"] == "salwar or dupatta"
    noun, note = category_noun("furniture & furnishing")
    assert noun == {"det": "", "head": "furniture and furnishing"} and "without an article" in note
    assert category_noun("lamp") == ({"det": "a", "head": "lamp"}, None)


def _listed_genders():
    rows = []
    for i, gender in enumerate(["Men", "Men", "Women", "Women", "Men, Women", "Women and Men", "Boys", "Boys", "Girls",
                                "Girls", "Boys, Girls", "Girls & Boys", "Baby Boy's", "Baby Boy's",
                                "Baby Boys and Baby Girls", "Baby Girl's", "Baby Girl's", "Girls, Women",
                                "Girls, Women", "Women, Girls", "Men, Women, Boys, Girls", "Boys, Girls, Men, Women",
                                "Men, Women, Boys, Girls"]):
        colour = ["Red", "Blue", "Red, Blue"][i % 3]  # a list of colours is "both at once", never "each of"
        rows.append(_record(i, "Shirts", f"shirt {i}", gender=gender, color=colour))
    return propose(rows, load_vocabulary("v2"), 90)


def test_a_listed_gender_is_the_value_covering_it_a_new_value_meeting_each_part_or_left_out_and_reported():
    """"Men, Women" is unisex and "Boys, Girls" kids (shipped values meeting both); "Girls, Women", which no value
    means, becomes "girls and women", meeting girls and women, named in the order most products write it; a list
    seen in one product is left out like any rare value."""
    proposal = _listed_genders()
    gender = proposal.vocabulary["attributes"]["gender"]
    assert sorted(gender["values"]) == ["baby boy", "baby girl", "boys", "girls", "girls and women", "kids", "men",
                                        "men, women, boys and girls", "unisex", "women"]
    assert sorted(gender["values"]["unisex"]) == ["Men, Women", "Women and Men"]
    assert sorted(gender["values"]["kids"]) == ["Boys, Girls", "Girls & Boys"]
    assert sorted(gender["values"]["girls and women"]) == ["Girls, Women", "Women, Girls"]
    assert gender["also_meets"] == {
        "unisex": ["men", "women"], "kids": ["boys", "girls"], "girls and women": ["girls", "women"],
        "men, women, boys and girls": ["boys", "girls", "girls and women", "kids", "men", "unisex", "women"]}
    assert any("new values meeting each of their parts" in line and "'girls and women'" in line
               for line in proposal.undecided)
    # Four audiences are a shop's "for everyone": kept for labels, never asked for by a query.
    assert gender["label_only"] == ["men, women, boys and girls"]
    assert any("labels only" in line and "'men, women, boys and girls'" in line for line in proposal.undecided)
    assert any("'baby boy and baby girl'" in line and "seen in one product left out" in line
               for line in proposal.undecided)


def test_the_label_only_note_names_only_the_values_the_vocabulary_keeps():
    """A list of three audiences seen in one product is left out like any rare value: the report's label-only
    line must not name it (it named every such list before the 2+-products cut)."""
    rows = [_record(i, "Shirts", f"shirt {i}", gender=g, color=["Red", "Blue"][i % 2]) for i, g in enumerate(
        ["Men", "Men", "Women", "Women", "Boys", "Boys", "Girls", "Girls", "Men, Women, Boys, Girls",
         "Men, Women, Boys, Girls", "Boys, Girls, Men, Women", "Boys, Girls, Women"])]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    gender = proposal.vocabulary["attributes"]["gender"]
    assert gender["label_only"] == ["men, women, boys and girls"]
    [line] = [line for line in proposal.undecided if "labels only" in line]
    assert "'men, women, boys and girls'" in line and "boys, girls and women" not in line


def test_a_listed_colour_stays_unknown_and_reported():
    colour = _listed_genders().vocabulary["attributes"]["color"]
    assert sorted(colour["values"]) == ["blue", "red"] and "also_meets" not in colour


def test_a_new_list_value_is_written_as_its_parts_are():
    proposal = _listed_genders()
    english, _ = english_lexicon(proposal.vocabulary, load_templates("v4", ("en",)), proposal.type_nouns,
                                 proposal.surfaces, proposal.compounds)
    assert english["values"]["gender"]["girls and women"] == "girls' and women's"
    assert english["values"]["gender"]["men, women, boys and girls"] == "men's, women's, boys' and girls'"


def test_the_english_lexicon_takes_the_nouns_titles_give():
    rows = [_record(i, "Infant Wear", title, type=kind) for i, (title, kind) in enumerate([
        ("Wow Gathered Dress", "Gathered"), ("Saba Gathered Dress", "Gathered"), ("Lambs Romper", "Romper"),
        ("Kids Romper", "Romper")])]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    english, _ = english_lexicon(proposal.vocabulary, load_templates("v4", ("en",)), proposal.type_nouns)
    assert english["nouns"]["type"]["gathered"] == {"det": "a", "head": "gathered dress"}
    assert english["nouns"]["category"]["infant wear"]["det"] == ""


def test_a_modifier_the_head_already_says_is_not_written_twice():
    """A gender "baby boy" and the type "baby boys' clothes": "baby boys' clothes", never "baby boy baby boys' clothes"."""
    from pipelines.stages.phrasing import compose

    template = load_templates("v4", ("en",)).pack("en").template
    lexicon = {"nouns": {"category": {"infant wear": {"det": "", "head": "infant wear"}},
                         "type": {"baby boys' clothes": {"det": "", "head": "baby boys' clothes"}}},
               "values": {"gender": {"baby boy": "baby boy"}}, "attributes": {"pattern": "pattern"}}
    conditions = [{"attribute": "gender", "value": "baby boy", "carried_by": "text"},
                  {"attribute": "type", "value": "baby boys' clothes", "carried_by": "text"},
                  {"attribute": "pattern", "value": "striped", "carried_by": "image", "image_id": "i"}]
    phrase = compose({"base_query_id": "q1", "category": "infant wear"}, conditions, template, lexicon, seed=0)
    assert "baby boys' clothes" in phrase.text and "baby boy baby" not in phrase.text


def test_rooms_audiences_and_mass_goods_are_named_as_shoppers_say():
    def shown(name, spelling):
        noun = category_noun(name)[0]
        return f"{noun['det']} {noun['head']}".strip()

    assert shown("kitchen", "Kitchen") == "a kitchen product"
    assert shown("outdoor", "Outdoor") == "a outdoor product"  # the renderer writes "an" (phrasing._article)
    assert shown("storage & organisation", "Storage & organisation") == "a storage and organisation product"
    assert shown("table & desk", "Tables & desks") == "a table or desk"
    assert shown("lighting", "Lighting") == "lighting" and shown("kitchenware", "Kitchenware") == "kitchenware"
    assert shown("sofa", "Sofas") == "a sofa"


def test_values_written_as_names_keep_their_spelling_and_are_never_singular():
    rows = [_record(i, "Beds", f"bed {i}", series=s, room=r)
            for i, (s, r) in enumerate([("HEMNES", "Bedrooms"), ("HEMNES", "Bedrooms"), ("POÄNG", "Living Room"),
                                        ("POÄNG", "Living Room"), ("MALM", "Bedrooms"), ("MALM", "Living Room")])]
    rows += [_record(10 + i, "Beds", f"bed {i}", size=s) for i, s in enumerate(["S", "S", "XL", "XL", "Large", "Large"])]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    assert sorted(proposal.vocabulary["attributes"]["series"]["values"]) == ["hemnes", "malm", "poang"]
    assert sorted(proposal.vocabulary["attributes"]["room"]["values"]) == ["bedrooms", "living room"]
    english, _ = english_lexicon(proposal.vocabulary, load_templates("v4", ("en",)), {}, proposal.surfaces)
    assert english["values"]["series"] == {"hemnes": "HEMNES", "malm": "MALM", "poang": "POÄNG"}
    assert english["values"]["room"] == {"bedrooms": "bedrooms", "living room": "living room"}
    assert english["values"]["size"] == {"s": "S", "xl": "XL", "large": "large"}


def test_a_one_letter_value_is_not_read_into_every_head():
    from pipelines.stages.phrasing import _says

    english = {"word_sep": " "}
    assert not _says("t-shirt", "S", english) and not _says("dress", "s", english)
    assert not _says("rock ' n roll tee", "S", english)  # a word of the head that strips to nothing is no "s"
    assert _says("women's top", "women", english) and _says("baby boys' clothes", "baby boy", english)


def test_a_category_gets_the_singular_its_titles_write():
    from pipelines.induce.type_nouns import title_singular

    assert title_singular("tunics", "Tunics", ["Women Blue Tunic", "Biba Tunic"]) == "tunic"
    assert title_singular("kurtis", "Kurtis", ["W Kurti", "Aurelia Kurti"]) == "kurti"
    assert title_singular("scarve", "Scarves", ["Red Scarf", "Silk Scarf"]) == "scarf"
    assert title_singular("toaster", "Toasters", ["Acme Red Toasters"]) == "toaster"  # the plural says nothing
    assert title_singular("tunics", "Tunics", ["Women Blue Tunics"]) == "tunics"  # no singular seen: as it was
    assert title_singular("sunglasses", "Sunglasses", ["Fastrack Sunglasses"]) == "sunglasses"
    assert category_noun("sunglasses")[0] == {"det": "", "head": "sunglasses", "plural": True}


def test_a_field_nearly_fixed_by_the_category_is_a_grouping_and_season_stays_opt_in():
    rows = [_record(i, "Scarves" if i < 40 else "Watches", f"x {i}",
                    subcategory=("Scarves" if i < 40 else "Watches") if i not in (3, 50) else "Accessories",
                    color=["Red", "Blue"][i % 2], season=["Summer", "Winter"][i % 2])
            for i in range(80)]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    assert "subcategory" not in proposal.vocabulary["attributes"]  # 78 of 80 have their category's value
    assert any(line.startswith("field 'subcategory': one value within each category for 98%") for line in proposal.undecided)
    assert proposal.vocabulary["attributes"]["season"]["condition"] == "opt_in"  # as the shipped season: "a winter watch"
    assert "condition" not in proposal.vocabulary["attributes"]["color"]


def test_mine_reads_a_listed_gender_as_its_new_value_and_the_audit_counts_it_for_each_part():
    """The value induce proposed is what mine reads from the list, and the audit's labels (written apart from
    induce and mine) make a "Women, Girls" shirt a positive of a query for girls and a violator of one for men."""
    from pipelines import schemas
    from pipelines.audit.checks import Catalog
    from pipelines.config import MineConfig
    from pipelines.stages.mine import MineParams, mine_attributes
    from pipelines.vocab.vocabulary import Vocabulary

    doc = _listed_genders().vocabulary
    products = [{"product_id": pid, "category": "shirt", "title": "shirt", "description": None, "language": "en",
                 "family_id": None, "attributes": [{"name": "gender", "value": g}], "image_ids": [f"img-{pid}"],
                 "source_file": "f", "source_row": 1}
                for pid, g in [("1", "Women, Girls"), ("2", "Men"), ("3", "Girls"), ("4", "Men, Women, Boys, Girls"),
                               ("5", "Boys, Girls")]]
    facts = mine_attributes(schemas.from_rows(products, "product"),
                            MineParams(MineConfig(), Vocabulary("induced", doc))).outputs["attributes"].to_pylist()
    gender = {f["product_id"]: f["value"] for f in facts if f["attribute"] == "gender"}
    assert gender == {"1": "girls and women", "2": "men", "3": "girls", "4": "men, women, boys and girls", "5": "kids"}
    exported = [{"product_id": p, "category": "shirt", "attributes": [{"name": "gender", "value": v}]}
                for p, v in gender.items()]
    catalog = Catalog(exported, {"gender": doc["attributes"]["gender"]["also_meets"]})

    def positives(value):
        mask = catalog.labels("shirt", (("gender", value),))[0]
        return sorted(p for p in catalog.ids["shirt"] if mask >> catalog.position[p] & 1)
    assert positives("girls") == ["1", "3", "4", "5"]
    assert positives("women") == ["1", "4"]
    assert positives("men") == ["2", "4"]
    assert positives("girls and women") == ["1", "4"]


def test_a_type_that_is_a_maker_and_the_category_is_left_out_and_a_narrower_type_stays():
    """"Oxyglow Combos and Kits" in "Combos and Kits" is the category with its maker (titles start with it);
    "Brillare Combos and Kits" is too (a brand field value); "Laptop Bags" in "Bags" narrows the category
    (no title starts with "Laptop") and stays."""
    rows = [_record(i, "Combos and Kits", f"Oxyglow {w} Kit", type="Oxyglow Combos and Kits")
            for i, w in enumerate(["Fruit", "Gold", "Pearl"])]
    rows += [_record(3, "Combos and Kits", "Facewash Combo", type="Brillare Combos and Kits", brand="Brillare"),
             _record(4, "Combos and Kits", "Shampoo Combo", type="Brillare Combos and Kits", brand="Brillare"),
             _record(5, "Combos and Kits", "Nivea Soap Kit", type="Soap Kit", brand="Nivea"),
             _record(6, "Combos and Kits", "Dove Soap Kit", type="Soap Kit", brand="Dove")]
    rows += [_record(30 + i, "Eye Care", f"Wild Ferns {w} Eye Creme", type="Wild Ferns Eye Care") for i, w in enumerate(
        ["Manuka Honey", "Lanolin"])]  # two words, the last plural: read as the titles write them
    rows += [_record(32 + i, "Eye Care", f"{b} Eye Gel", type="Eye Gel") for i, b in enumerate(["Lotus", "Biotique"])]
    rows += [_record(10 + i, "Bags", f"{b} Laptop Bag", type="Laptop Bags", brand=b) for i, b in enumerate(["Wildcraft", "HP"])]
    rows += [_record(20 + i, "Bags", f"{b} Sling Bag", type="Sling Bags", brand=b) for i, b in enumerate(["Lavie", "Caprese"])]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    categories = proposal.vocabulary["categories"]
    assert sorted(categories["combo and kit"]["types"]) == ["soap kit"]
    assert sorted(categories["bag"]["types"]) == ["laptop bag", "sling bag"]
    assert sorted(categories["eye care"]["types"]) == ["eye gel"]
    assert any(line.startswith("type 'oxyglow combo and kit': the maker 'oxyglow'") for line in proposal.undecided)
    assert any(line.startswith("type 'brillare combo and kit': the maker 'brillare'") for line in proposal.undecided)


def test_a_type_titles_name_no_noun_for_is_a_shop_area_product_or_a_kind_of_a_mass_category():
    """"Face Care" is "a face care product"; in "makeup" (a mass noun) the label "Eye" that titles write before
    varying nouns ("Eye Liner", "Eye Shadow") is "eye makeup"; in a countable category "Deodorant" stays
    "a deodorant" though titles go on ("Deodorant Combo Set", "Deodorant Gift Set")."""
    titles = {"makeup": ["Mars Eye Liner", "Lakme Eye Shadow", "Lakme Lipstick"],
              "body care": ["Lotus Sunscreen Gel", "Nivea Sun Lotion"],
              "fragrance": ["Envy Deodorant Combo Set", "Axe Deodorant Gift Set", "Fogg Deodorant No 22"]}
    types = {"eye": {"makeup"}, "face care": {"body care"}, "deodorant": {"fragrance"}}
    category_nouns = {c: category_noun(c)[0] for c in titles}
    nouns, notes = english_nouns(types, titles, set(), category_nouns)
    assert nouns["eye"] == {"det": "", "head": "eye makeup"}
    assert nouns["face care"] == {"det": "a", "head": "face care product"}
    assert nouns["deodorant"] == {"det": "a", "head": "deodorant"}
    assert "type 'eye': titles write it before varying words (liner, shadow), so the noun is 'eye makeup'" in notes


def test_what_is_sold_in_pairs_is_a_pair_and_reads_like_the_shipped_footwear():
    """"Heels" or "Casual Shoes" as a category is "a pair of heels" (never "a heel"), shown "like the ones in";
    a shoe accessory or a flat sheet is no pair."""
    from pipelines.stages.phrasing import compose

    assert category_noun("heel")[0] == {"det": "a pair of", "head": "heels"}
    assert category_noun("casual shoe")[0] == {"det": "a pair of", "head": "casual shoes"}
    assert category_noun("flip flop")[0] == {"det": "a pair of", "head": "flip flops"}
    assert category_noun("sock")[0] == {"det": "a pair of", "head": "socks"}
    assert category_noun("shoe accessory")[0] == {"det": "a", "head": "shoe accessory"}
    assert category_noun("flat sheet")[0] == {"det": "a", "head": "flat sheet"}
    assert category_noun("flat")[0] == {"det": "a", "head": "flat"}  # a flat sheet's label, "Flat"
    assert category_noun("flat", written_plural=True)[0] == {"det": "a pair of", "head": "flats"}  # "Flats": shoes
    rows = [_record(i, "Flats", f"Rocia Flats {i}") for i in range(2)] + [_record(2, "Bedding", "Flat Sheet")]
    english, _ = english_lexicon(propose(rows, load_vocabulary("v2"), 90).vocabulary, load_templates("v4", ("en",)))
    assert english["nouns"]["category"]["flat"] == {"det": "a pair of", "head": "flats"}
    template = load_templates("v4", ("en",)).pack("en").template
    lexicon = {"nouns": {"category": {"heel": category_noun("heel")[0]}}, "values": {}, "attributes": {}}
    conditions = [{"attribute": "color", "value": "red", "carried_by": "image", "image_id": "i"}]
    phrase = compose({"base_query_id": "q1", "category": "heel"}, conditions, template, lexicon, seed=0)
    assert "a pair of heels in the same colour as <image_1>" in phrase.text


def test_types_english_names_with_one_noun_are_one_type():
    """"Vinyl" (titles write "Vinyl Sticker") and "Vinyl Stickers" would both be "a vinyl sticker": a query for one
    would count the other's products, which its text names too, as violating it. They are one type."""
    rows = [_record(i, "Wall Decor", t, type=ty) for i, (t, ty) in enumerate([
        ("Wallmantra Medium Vinyl Sticker", "Vinyl"), ("Decor Large Vinyl Sticker", "Vinyl"),
        ("Uberlyfe Vinyl Stickers Sticker", "Vinyl Stickers"), ("Wallmantra Vinyl Sticker", "Vinyl Stickers"),
        ("Acme Photo Frame", "Photo Frames"), ("Indha Photo Frame", "Photo Frames")])]
    proposal = propose(rows, load_vocabulary("v2"), 90)
    types = proposal.vocabulary["categories"]["wall decor"]["types"]
    assert sorted(types) == ["photo frame", "vinyl sticker"] and "vinyl" in types["vinyl sticker"]
    assert "vinyl" not in proposal.type_nouns
    assert any(line.startswith("type 'vinyl' reads as 'vinyl sticker'") for line in proposal.undecided)

"""Listings sharing a photo: never a positive's negative or image, one split side, no conflicting visual value."""

import pyarrow as pa

from pipelines import schemas
from pipelines.config import ComposeConfig, MineConfig, NegativesConfig, SplitConfig
from pipelines.stages.compose import ComposeParams, compose_queries
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.stages.negatives import NegativesParams, mine_overlap_negatives
from pipelines.stages.retriever_negatives import RetrieverNegativesConfig, add_retriever_negatives
from pipelines.stages.split import SplitParams, assign_split
from pipelines.stages.twins import SharedPhoto, TwinGroup, drop_conflicting_visual, group_key, photo_twins
from tests.retrieval.retrieval_tables import attributes as shirt_attributes
from tests.retrieval.retrieval_tables import hits, queries, query
from tests.retrieval.retrieval_tables import products as shirt_products
from tests.stages.inline import attributes, families, products
from tests.stages.reference_paths import with_twins


def _with_images(table: pa.Table, images: dict[str, list[str]]) -> pa.Table:
    ids = table.column("product_id").to_pylist()
    column = pa.array([images.get(p, [f"img-{p}"]) for p in ids], table.schema.field("image_ids").type)
    return table.set_column(table.column_names.index("image_ids"), "image_ids", column)


def test_twin_groups_are_transitive_and_only_for_shared_photos():
    prods = _with_images(products([("a", "c"), ("b", "c"), ("c", "c"), ("d", "c")]),
                         {"a": ["x1"], "b": ["x2", "x1"], "c": ["x2"], "d": ["x4"]})
    twins = photo_twins(prods)
    assert twins == {p: frozenset({"a", "b", "c"}) for p in "abc"}  # b links a's and c's photos; d shares none
    assert with_twins(twins, ["a", "d"]) == {"a", "b", "c", "d"}
    assert group_key(twins, "c") == "a" and group_key(twins, "d") == "d"


class _CountedGroup(TwinGroup):
    """A twin group that counts how often it is walked once built."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def test_a_twin_groups_key_is_named_without_walking_the_group():
    group = _CountedGroup(f"p{i:05d}" for i in range(5000))  # one photo on 5,000 listings
    twins = {pid: group for pid in group}
    _CountedGroup.walks = 0
    assert {group_key(twins, pid) for pid in list(twins)[:1000]} == {"p00000"}
    assert "p04999" in SharedPhoto(twins, ["p00003"]) and "q1" not in SharedPhoto(twins, ["p00003"])
    assert _CountedGroup.walks == 0  # a walk per lookup made mine, compose and negatives quadratic in the group


def test_shared_photo_holds_the_same_products_as_with_twins():
    twins = photo_twins(_with_images(products([(p, "c") for p in "abcdef"]),
                                     {"a": ["x1"], "b": ["x1"], "c": ["x2"], "d": ["x2", "x3"], "e": ["x3"], "f": ["x9"]}))
    assert all(isinstance(group, TwinGroup) and group.key == min(group) for group in twins.values())
    for chosen in (["a"], ["d"], ["a", "f"], ["f"], ["z"]):
        covered = SharedPhoto(twins, chosen)
        assert {p for p in "abcdefz" if p in covered} == with_twins(twins, chosen) & set("abcdefz")


def test_visual_values_twins_disagree_on_are_dropped_for_all_of_them():
    twins = {"a": frozenset("ab"), "b": frozenset("ab")}
    facts = [{"product_id": "a", "attribute": "color", "value": "red"}, {"product_id": "b", "attribute": "color", "value": "blue"},
             {"product_id": "a", "attribute": "brand", "value": "X"}, {"product_id": "b", "attribute": "brand", "value": "Y"},
             {"product_id": "a", "attribute": "pattern", "value": "solid"}, {"product_id": "b", "attribute": "pattern", "value": "solid"},
             {"product_id": "c", "attribute": "color", "value": "green"}]
    kept, dropped = drop_conflicting_visual(facts, twins, lambda a: a in ("color", "pattern"))
    assert {(f["product_id"], f["attribute"]) for f in dropped} == {("a", "color"), ("b", "color")}
    assert len(kept) == 5  # brand is not visual; the agreed pattern and c's colour stay


def test_mine_drops_a_colour_two_listings_of_one_photo_disagree_on(vocab):
    def product(pid, colour, image):
        return {"product_id": pid, "category": "clothing", "title": f"Shirt {pid}", "description": None, "language": "en",
                "family_id": None, "attributes": [{"name": "color", "value": colour}], "image_ids": [image],
                "source_file": "f", "source_row": 1}

    table = schemas.from_rows([product("1", "Red", "same"), product("2", "Blue", "same"), product("3", "Red", "own")], "product")
    result = mine_attributes(table, MineParams(MineConfig(), vocab))
    colours = {(r["product_id"], r["value"]) for r in result.outputs["attributes"].to_pylist() if r["attribute"] == "color"}
    assert colours == {("3", "red")}
    assert result.counters["rejected_twin_conflict"] == 2


def _overlap_catalog():
    facts = {"pos": {"_category": "clothing", "color": "red", "pattern": "striped"},
             "twin": {"_category": "clothing", "color": "red", "pattern": "solid"},  # same photo as pos, says solid
             "near": {"_category": "clothing", "color": "red", "pattern": "solid"}}
    prods = _with_images(products([(p, "clothing") for p in facts]), {"pos": ["photo"], "twin": ["photo"]})
    return prods, attributes(facts)


def test_a_photo_twin_of_the_positive_is_never_an_overlap_negative():
    prods, attrs = _overlap_catalog()
    q = query("q1", positives=("pos",), images=("near",), conditions=(("color", "red"), ("pattern", "striped")))
    q["category"] = "clothing"
    out = mine_overlap_negatives(queries(q), prods, attrs, families([]), NegativesParams(NegativesConfig(per_query=10), 1))
    assert out.outputs["queries"].to_pylist()[0]["hard_negative_ids"] == ["near"]


def test_a_photo_twin_of_the_positive_is_never_a_retriever_negative():
    prods = _with_images(shirt_products(), {"p1": ["photo"], "p2": ["photo"]})  # p2 (blue) shares the positive's photo
    ranked = hits({"q1": ["p1", "p2", "p6"]}, {"q1": [10.0, 5.0, 4.0]})
    result = add_retriever_negatives(queries(query("q1")), prods, shirt_attributes(), RetrieverNegativesConfig(),
                                     lexical_hits=ranked)
    assert result.outputs["queries"].to_pylist()[0]["hard_negative_ids"] == ["p6"]
    assert result.counters["excluded_photo_twin_of_positive"] == 1


def test_photo_twins_never_sit_on_both_sides_of_the_split():
    rows = []
    for i in range(60):
        q = query(f"q{i:02d}", positives=(f"p{i:02d}",), images=(f"s{i:02d}",))
        q["split"] = ""
        rows.append(q)
    catalog = [(f"p{i:02d}", "shirt") for i in range(60)] + [(f"s{i:02d}", "shirt") for i in range(60)]
    # p_i and p_{i+30} are one item listed twice; u1/u2 are unused twins.
    photos = {f"p{i:02d}": [f"photo{i % 30}"] for i in range(60)} | {"u1": ["lone"], "u2": ["lone"]}
    prods = _with_images(products(catalog + [("u1", "shirt"), ("u2", "shirt")]), photos)
    result = assign_split(queries(*rows), SplitParams(SplitConfig(test_share=0.5), 7), prods)
    side = {r["product_id"]: r["split"] for r in result.outputs["product_splits"].to_pylist()}
    assert all(side[f"p{i:02d}"] == side[f"p{i + 30:02d}"] for i in range(30))
    assert side["u1"] == side["u2"]
    by_query = {r["base_query_id"]: r["split"] for r in result.outputs["queries"].to_pylist()}
    assert all(by_query[f"q{i:02d}"] == by_query[f"q{i + 30:02d}"] for i in range(30))
    assert {"train", "test"} == set(by_query.values())


def test_no_query_image_shares_a_photo_with_a_positive(vocab):
    colours, patterns = ["red", "blue"], ["solid", "striped"]
    facts = {f"p{i:02d}": {"_category": "clothing", "color": colours[i % 2], "pattern": patterns[(i // 2) % 2],
                           "type": "shirt", "gender": "men" if i < 20 else "women",
                           "sleeve": "short sleeve"} for i in range(40)}  # twins differ in a text fact only
    # Every product shares a photo with the product 20 ids away (a second listing of one item); for the
    # first 20 it is their second photo, so comparing first photos alone does not see it.
    photos = {p: ([f"own-{p}"] if int(p[1:]) < 20 else []) + [f"photo{int(p[1:]) % 20}"] for p in facts}
    prods = _with_images(products([(p, "clothing") for p in facts]), photos)
    result = compose_queries(prods, attributes(facts), families([]),
                             ComposeParams(ComposeConfig(max_positive_share=0.5, max_positives=40), vocab, 3))
    plans = result.outputs["plans"].to_pylist()
    assert plans
    twins = photo_twins(prods)
    for plan in plans:
        shown = {c["source_product_id"] for c in plan["conditions"] if c["carried_by"] == "image"}
        assert not shown & with_twins(twins, plan["positive_ids"])

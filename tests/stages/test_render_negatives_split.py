import pyarrow as pa

from pipelines import schemas
from pipelines.config import NegativesConfig, RenderConfig, SplitConfig
from pipelines.stages.negatives import NegativesParams, mine_overlap_negatives
from pipelines.stages.render import RenderParams, render_queries
from pipelines.stages.split import SplitParams, assign_split
from pipelines.text.placeholders import PLACEHOLDER, segments_of
from pipelines.vocab.templates import load_templates
from tests.stages.inline import attributes, families, products

PLAN = {
    "base_query_id": "qabc", "category": "clothing", "target_id": "t", "strategy": "key_pool", "n_conditions": 3,
    "conditions": [
        {"attribute": "pattern", "value": "striped", "carried_by": "image", "source_product_id": "s1", "image_id": "i1"},
        {"attribute": "type", "value": "shirt", "carried_by": "text", "source_product_id": None, "image_id": None},
        {"attribute": "color", "value": "red", "carried_by": "image", "source_product_id": "s2", "image_id": "i2"},
    ],
    "positive_ids": ["t"], "positive_share": 0.01, "n_unverified": 0,
}


def _render(langs=("en",)):
    templates = load_templates("v3", langs)
    plans = schemas.from_rows([PLAN], "query_plan")
    return render_queries(plans, RenderParams(RenderConfig(languages=langs), templates, 1)).outputs["queries"].to_pylist()


def test_type_becomes_the_noun_and_images_are_numbered_in_reading_order():
    (q,) = _render()
    assert "a shirt" in q["text"] and "shirt" not in q["text"].split("a shirt", 1)[1]
    assert [int(m) for m in PLACEHOLDER.findall(q["text"])] == [1, 2]
    assert [i["product_id"] for i in q["images"]] == ["s1", "s2"]
    assert q["text"].index("pattern") < q["text"].index("<image_1>") < q["text"].index("<image_2>")


def test_segments_rebuild_the_flat_text():
    (q,) = _render()
    rebuilt = "".join(s["text"] if s["kind"] == "text" else f"<image_{s['image_index']}>" for s in q["segments"])
    assert rebuilt == q["text"]
    assert [s["image_id"] for s in q["segments"] if s["kind"] == "image"] == ["i1", "i2"]


def test_segments_of_handles_leading_and_trailing_images():
    segs = segments_of("<image_1> and <image_2>", ["a", "b"])
    assert [s["kind"] for s in segs] == ["image", "text", "image"]


def _queries_for_negatives():
    facts = {
        "pos": {"_category": "clothing", "color": "red", "pattern": "striped"},
        "near1": {"_category": "clothing", "color": "red", "pattern": "solid"},
        "near2": {"_category": "clothing", "color": "blue", "pattern": "striped"},
        "far": {"_category": "clothing", "color": "blue", "pattern": "solid"},
        "other_cat": {"_category": "shoes", "color": "red", "pattern": "solid"},
    }
    prods = products([(p, v["_category"]) for p, v in facts.items()])
    q = _render()[0]
    q["conditions"] = [{"attribute": "color", "value": "red", "carried_by": "text", "source_product_id": None},
                       {"attribute": "pattern", "value": "striped", "carried_by": "image", "source_product_id": "near2"}]
    q["positive_ids"] = ["pos"]
    return schemas.from_rows([q], "query"), prods, attributes(facts), families([])


def test_overlap_negatives_violate_exactly_what_they_record_and_are_never_positives():
    queries, prods, attrs, fams = _queries_for_negatives()
    out = mine_overlap_negatives(queries, prods, attrs, fams, NegativesParams(NegativesConfig(per_query=10), 1))
    (q,) = out.outputs["queries"].to_pylist()
    negs = {n["product_id"]: n["violates"] for n in q["hard_negatives"]}
    assert negs == {"near1": ["pattern"], "near2": ["color"]}  # 'far' violates all, other_cat is another category
    assert q["hard_negative_ids"] == [n["product_id"] for n in q["hard_negatives"]]


def test_split_is_deterministic_keeps_a_product_on_one_side_and_holds_out():
    rows = []
    for i in range(200):
        q = _render()[0]
        q.update(query_id=f"q{i}-en", base_query_id=f"q{i}", positive_ids=[f"p{i % 50}"], category="clothing" if i % 2 else "shoes")
        # Image products of the query's own positive: images shared by every query would (rightly) tie them all to one side.
        q.update(images=[{"image_id": f"i{i % 50}-{k}", "product_id": f"p{i % 50}"} for k in (1, 2)])
        rows.append(q)
    table = schemas.from_rows(rows, "query")
    params = SplitParams(SplitConfig(test_share=0.3, held_out_categories=("shoes",)), 1)
    a = assign_split(table, params).outputs["queries"]
    assert a.equals(assign_split(table, params).outputs["queries"])
    got = a.select(["positive_ids", "split", "category"]).to_pylist()
    assert all(r["split"] == "test" for r in got if r["category"] == "shoes")
    side = {}
    for r in got:
        if r["category"] == "clothing":
            assert side.setdefault(r["positive_ids"][0], r["split"]) == r["split"]
    assert {"train", "test"} == {r["split"] for r in got}
    assert isinstance(a, pa.Table)

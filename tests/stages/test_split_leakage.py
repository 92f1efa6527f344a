"""The split keeps every product on one side: positives, query images and hard negatives."""

from collections import defaultdict

from pipelines import schemas
from pipelines.config import SplitConfig
from pipelines.stages.split import SplitParams, assign_split
from tests.stages.inline import products

BASE = {"language": "en", "category": "clothing", "n_conditions": 2, "strategy": "random",
        "segments": [{"kind": "text", "text": "x <image_1>", "image_id": None, "image_index": None}],
        "text": "x <image_1>", "source_text_en": "x <image_1>", "conditions": [], "personalized_from": None,
        "passage": None, "passage_span": None, "passage_source_ids": None, "split": "",
        "provenance": {"pipeline_version": "t", "seed": 1, "template_id": "t", "prompt_ids": [], "stage_versions": []}}


def _query(base: str, positives: list[str], image: str, negatives=(), language="en", category="clothing") -> dict:
    return {**BASE, "query_id": f"{base}-{language}", "base_query_id": base, "language": language, "category": category,
            "positive_ids": positives, "n_unverified": 0, "images": [{"image_id": f"img-{image}", "product_id": image}],
            "hard_negative_ids": list(negatives),
            "hard_negatives": [{"product_id": n, "source": "overlap", "violates": ["color"]} for n in negatives]}


def _chain(n: int) -> list[dict]:
    """q_i's first positive is p_i, but it shares p_{i+1} with q_{i+1}: the first-positive rule splits the chain."""
    return [_query(f"q{i:02d}", [f"p{i:02d}", f"p{i + 1:02d}"], f"p{i:02d}") for i in range(n)]


def _sides_of_products(table) -> dict[str, set[str]]:
    used = defaultdict(set)
    for q in table.to_pylist():
        for p in [*q["positive_ids"], *(i["product_id"] for i in q["images"]), *q["hard_negative_ids"]]:
            used[p].add(q["split"])
    return used


def test_no_product_crosses_the_split_when_queries_chain():
    table = schemas.from_rows(_chain(40), "query")
    result = assign_split(table, SplitParams(SplitConfig(test_share=0.5), seed=3))
    out = result.outputs["queries"]
    assert all(len(sides) == 1 for sides in _sides_of_products(out).values())
    assert {"train", "test"} <= set(out.column("split").to_pylist())  # the giant chain is split by product
    assert result.counters["rejected_split_straddle"] >= 1
    assert result.counters["queries"] + result.counters["rejected_split_straddle"] == 40


def test_small_components_go_whole_to_one_side_without_drops():
    rows = []
    for i in range(30):  # pairs sharing a product through the query image, not the first positive
        rows += [_query(f"a{i:02d}", [f"x{i:02d}"], f"y{i:02d}"), _query(f"b{i:02d}", [f"y{i:02d}"], f"z{i:02d}")]
    table = schemas.from_rows(rows, "query")
    result = assign_split(table, SplitParams(SplitConfig(test_share=0.5, max_component_share=0.5), seed=1))
    out = result.outputs["queries"]
    assert out.num_rows == 60 and "rejected_split_straddle" not in result.counters
    assert all(len(sides) == 1 for sides in _sides_of_products(out).values())
    assert {"train", "test"} == set(out.column("split").to_pylist())


def test_negatives_from_the_other_side_are_dropped_and_products_get_a_pool():
    rows = [_query(f"q{i:02d}", [f"p{i:02d}"], f"p{i:02d}", negatives=[f"p{(i + 1) % 20:02d}", "free"]) for i in range(20)]
    catalog = products([(f"p{i:02d}", "clothing") for i in range(20)] + [("free", "clothing")])
    result = assign_split(schemas.from_rows(rows, "query"), SplitParams(SplitConfig(test_share=0.5), 2), catalog)
    pool = dict(zip(*(result.outputs["product_splits"].column(c).to_pylist() for c in ("product_id", "split"))))
    assert set(pool) == {f"p{i:02d}" for i in range(20)} | {"free"}
    for q in result.outputs["queries"].to_pylist():
        assert all(pool[n] == q["split"] for n in q["hard_negative_ids"])
        assert q["hard_negative_ids"] == [n["product_id"] for n in q["hard_negatives"]]
    assert result.counters["negatives_dropped_other_split"] > 0


def test_held_out_category_goes_to_test_and_held_out_language_is_test_only():
    rows = [_query(f"q{i:02d}", [f"p{i:02d}"], f"p{i:02d}", category="shoes" if i % 2 else "clothing", language=lang)
            for i in range(20) for lang in ("en", "th")]
    cfg = SplitConfig(test_share=0.3, held_out_categories=("shoes",), held_out_languages=("th",))
    result = assign_split(schemas.from_rows(rows, "query"), SplitParams(cfg, 1))
    got = result.outputs["queries"].to_pylist()
    assert all(q["split"] == "test" for q in got if q["category"] == "shoes")
    assert all(q["split"] == "test" for q in got if q["language"] == "th")
    assert any(q["split"] == "train" for q in got)
    assert result.counters["rejected_held_out_language_in_train"] == sum(q["split"] == "train" for q in got)

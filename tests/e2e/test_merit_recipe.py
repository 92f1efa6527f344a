"""MERIT's README steps 2-4, run as a user would on `export/merit/` of the demo build.

Step 2 loads the products with `load_dataset(DIR)["train"|"test"]` and the queries from
`queries-{train,test}.json` (JSON Lines, read line by line as MERIT's `read_json_data` does);
step 3 looks every query product, positive and negative up with `product_map[str(q)]`; step 4
scores first-positive ranks with MERIT's MRR@10 (rank > 10 -> -1).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import datasets
import pytest
from PIL import Image

from pipelines.merit_layout import merit_idx


def _read_json_data(path: Path) -> list[dict]:  # MERIT's annotator.utils.read_json_data
    with open(path) as fh:
        return [json.loads(line.strip()) for line in fh]


def _calculate_mrr(data: dict[str, int]) -> float:  # MERIT's calculate_mrr, MRR@10 only
    return sum(1.0 / r if r != -1 else 0.0 for r in data.values()) / len(data)


@pytest.fixture(scope="module")
def merit(demo_build, tmp_path_factory):
    folder = Path(demo_build.run_dir) / "export" / "merit"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a malformed card or a JSON file read as data would warn or fail
        loaded = datasets.load_dataset(str(folder), cache_dir=str(tmp_path_factory.mktemp("hf")))
    return folder, loaded


def test_splits_are_product_pools_not_queries(merit):
    _, loaded = merit
    assert set(loaded) == {"train", "test"}
    for split in ("train", "test"):
        assert {"image", "title", "idx", "class", "country", "language", "attribute"} <= set(loaded[split].column_names)
        assert "query instruction" not in loaded[split].column_names


def test_every_lookup_of_merits_step_3_succeeds(merit):
    folder, loaded = merit
    for split in ("train", "test"):
        product_map = {p["idx"]: p for p in loaded[split]}
        queries = _read_json_data(folder / f"queries-{split}.json")
        assert queries, split
        for item in queries:
            assert isinstance(item["query"], dict) and item["query instruction"]
            for q in item["query"]:
                q_product = product_map[str(q)]
                assert isinstance(q_product["image"], Image.Image) and q_product["title"]
            for c in item["pos_candidate"] + item["hard_negative"]:
                assert isinstance(c, int)
                assert product_map[str(c)]["title"]


def test_instruction_marks_each_query_product_in_order(merit):
    folder, loaded = merit
    product_map = {p["idx"]: p for p in loaded["test"]}
    for item in _read_json_data(folder / "queries-test.json"):
        keys = list(item["query"])
        marked = re.findall(r"<Product (\d+)> <image>\n(.*?) </Product \1>", item["query instruction"], re.S)
        assert [int(k) for k, _ in marked] == list(range(1, len(keys) + 1)), item["query instruction"]
        assert [t for _, t in marked] == [product_map[k]["title"] for k in keys]
        assert "<image_" not in item["query instruction"]
        carried = [c for values in item["query"].values() for c in values]
        assert len(carried) + len(item["text_conditions"]) >= 2  # every condition is kept somewhere


def test_idx_maps_back_to_catalog_ids(merit):
    _, loaded = merit
    for p in loaded["test"]:
        assert p["idx"] == str(merit_idx(p["product_id"]))
    assert merit_idx("10059") == 10059
    assert merit_idx("SKU-1") == merit_idx("SKU-1") >= 2**53 and merit_idx("SKU-1") != merit_idx("SKU-2")
    assert merit_idx(str(2**53)) >= 2**53 and merit_idx("007") >= 2**53  # not plain: hashed, never colliding


def _first_positive_ranks(queries, pool, score) -> dict[str, int]:
    ranks = {}
    for item in queries:
        ranked = sorted(pool, key=lambda p: (-score(item, p), p["idx"]))
        positives = {str(c) for c in item["pos_candidate"]}
        rank = next(i for i, p in enumerate(ranked, 1) if p["idx"] in positives)
        ranks[item["idx"]] = rank if rank <= 10 else -1
    return ranks


def test_mrr_at_10_with_a_trivial_scorer(merit):
    folder, loaded = merit
    pool = [{"idx": p["idx"], "title": p["title"]} for p in loaded["test"].remove_columns("image")]
    queries = _read_json_data(folder / "queries-test.json")

    def overlap(item, product):  # words of the instruction found in the title
        return len(set(item["query instruction"].lower().split()) & set(product["title"].lower().split()))

    def oracle(item, product):
        return product["idx"] in {str(c) for c in item["pos_candidate"]}

    assert _calculate_mrr(_first_positive_ranks(queries, pool, oracle)) == 1.0
    mrr = _calculate_mrr(_first_positive_ranks(queries, pool, overlap))
    assert 0.0 <= mrr < 1.0

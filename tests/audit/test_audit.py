"""`meritgen audit`: passes on a clean export, fails on each planted label error (edited Parquet in a tmp copy)."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.audit.run import audit_run
from pipelines.audit.stream import audit_tables
from pipelines.runners.cli import main

LABELS_HELPER_CHECKS = {"no_unknown_as_negative", "violates_are_known"}  # issue #10 point 1, built elsewhere


@pytest.fixture()
def run(demo_run_copy):
    return demo_run_copy


def _failed(result: dict) -> dict[str, int]:
    return {c["name"]: c["failed"] for c in result["checks"]}


def _edit_queries(run, split: str, edit) -> None:
    """Apply edit(rows) to the first query shard of `split`, keeping its schema."""
    path = sorted((run / "export" / "data" / "queries").glob(f"{split}-*.parquet"))[0]
    table = pq.read_table(path)
    rows = table.to_pylist()
    edit(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def test_demo_build_passes_the_audit(demo_build):
    result = json.loads((demo_build.run_dir / "audit.json").read_text())
    failing = {name for name, n in _failed(result).items() if n}
    has_unverified = "n_unverified" in pq.read_schema(
        sorted((demo_build.run_dir / "export" / "data" / "queries").glob("*.parquet"))[0]).names
    if failing and failing <= LABELS_HELPER_CHECKS and not has_unverified:
        pytest.xfail(f"three-valued negatives (#10 point 1) not merged yet: {sorted(failing)} fail")
    assert result["passed"], failing
    card = (demo_build.run_dir / "export" / "README.md").read_text()
    assert "## Audit" in card and "| split_leakage | pass |" in card


def test_planted_leak_fails(run):
    before = _failed(audit_run(run))
    assert before["split_leakage"] == 0

    def move_one_test_query_to_train(rows):
        rows[0]["split"] = "train"
    _edit_queries(run, "test", move_one_test_query_to_train)
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["split_leakage"] > 0
    assert main(["audit", str(run)]) == 1
    assert "| split_leakage | fail |" in (run / "export" / "README.md").read_text()


def test_planted_false_negative_fails(run):
    assert _failed(audit_run(run))["no_false_negatives"] == 0

    def list_a_positive_as_negative(rows):
        q = rows[0]
        q["hard_negative_ids"] = [*q["hard_negative_ids"], q["positive_ids"][0]]
        q["hard_negatives"] = [*q["hard_negatives"], {"product_id": q["positive_ids"][0], "source": "overlap",
                                                       "violates": [q["conditions"][0]["attribute"]]}]
    _edit_queries(run, "train", list_a_positive_as_negative)
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["no_false_negatives"] == 1


def _unknown_candidate(run, query: dict) -> str | None:
    """A product of the query's category meeting every known condition but lacking one attribute."""
    products = pq.read_table(sorted((run / "export" / "data" / "products").glob("*.parquet"))[0],
                             columns=["product_id", "category", "attributes"]).to_pylist()
    for p in products:
        values = {a["name"]: a["value"] for a in p["attributes"]}
        conds = query["conditions"]
        if p["category"] == query["category"] and any(c["attribute"] not in values for c in conds) and \
                all(values.get(c["attribute"], c["value"]) == c["value"] for c in conds):
            return p["product_id"]
    return None


def test_planted_unknown_as_negative_fails(run):
    before = _failed(audit_run(run))["no_unknown_as_negative"]
    planted = []

    def add_an_unverified_negative(rows):
        for q in rows:
            pid = _unknown_candidate(run, q)
            if pid and pid not in q["hard_negative_ids"]:
                q["hard_negative_ids"] = [*q["hard_negative_ids"], pid]
                q["hard_negatives"] = [*q["hard_negatives"], {"product_id": pid, "source": "overlap", "violates": []}]
                planted.append(pid)
                return
    _edit_queries(run, "train", add_an_unverified_negative)
    assert planted, "the demo catalog has products lacking an attribute"
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["no_unknown_as_negative"] == before + 1


def test_planted_placeholder_image_count_mismatch_fails(run):
    assert _failed(audit_run(run))["placeholders_match_images"] == 0

    def drop_a_placeholder(rows):
        rows[0]["text"] = rows[0]["text"].replace("<image_1>", "", 1)
    _edit_queries(run, "test", drop_a_placeholder)
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["placeholders_match_images"] == 1


def _product(pid, category="tops", **values):
    return {"product_id": pid, "category": category, "image_ids": [f"i{pid}"], "split": "train",
            "attributes": [{"name": k, "value": v, "source": "field"} for k, v in values.items()]}


def _q(positives, negatives, conditions):
    return {"query_id": "q-en", "category": "tops", "split": "train", "text": "a <image_1>",
            "images": [{"image_id": "iw", "product_id": "w"}], "positive_ids": positives,
            "hard_negative_ids": negatives, "conditions": [{"attribute": a, "value": v} for a, v in conditions],
            "hard_negatives": [{"product_id": n, "source": "overlap", "violates": ["gender"]} for n in negatives]}


def test_unisex_meets_men_only_through_the_vocabulary_relation():
    products = [_product("a", gender="men"), _product("u", gender="unisex"), _product("w", gender="women")]
    related = audit_tables([_q(["a", "u"], ["w"], [("gender", "men")])], products, {"gender": {"unisex": ["men", "women"]}})
    assert related["passed"], related["checks"]
    unrelated = audit_tables([_q(["a", "u"], ["w"], [("gender", "men")])], products, {})
    assert _failed(unrelated)["positives_exact"] == 1  # without the relation, unisex violates "men"


def test_a_negative_or_query_image_sharing_a_photo_with_a_positive_fails():
    products = [_product("a", gender="men"), _product("w", gender="women"), _product("t", gender="women")]
    products[2]["image_ids"] = ["ia"]  # t is a second listing of a's photo, labelled women
    assert audit_tables([_q(["a"], ["w"], [("gender", "men")])], products, {})["passed"]
    as_negative = audit_tables([_q(["a"], ["t"], [("gender", "men")])], products, {})
    assert _failed(as_negative)["photo_twins_of_positives"] == 1
    query = _q(["a"], ["w"], [("gender", "men")])
    query["images"] = [{"image_id": "ia", "product_id": "t"}]
    assert _failed(audit_tables([query], products, {}))["photo_twins_of_positives"] == 1
    # a positive listed as its own negative shares every photo with itself
    assert _failed(audit_tables([_q(["a"], ["a"], [("gender", "men")])], products, {}))["photo_twins_of_positives"] == 1


def test_a_photo_in_both_pools_fails():
    products = [_product("a", gender="men"), _product("w", gender="women"), _product("t", gender="women")]
    products[2].update(image_ids=["ia"], split="test")
    result = audit_tables([_q(["a"], ["w"], [("gender", "men")])], products, {})
    assert _failed(result)["photo_in_both_pools"] == 1 and not result["passed"]


def test_verdicts_per_condition_meet_violate_or_are_unknown():
    """One product judged against a query's conditions at once: a related value meets (unisex meets men),
    another value violates, no value is unknown, and a product the catalog lacks is unknown on all."""
    from pipelines.audit.checks import Catalog

    products = [_product("u", gender="unisex"), _product("w", gender="women")]
    products[0]["attributes"].append({"name": "color", "value": "red"})
    catalog = Catalog(products, {"gender": {"unisex": ["men", "women"]}})
    wanted = catalog.wanted([("gender", "men"), ("color", "blue")])
    assert catalog.verdicts("u", wanted) == {"gender": "meets", "color": "violates"}
    assert catalog.verdicts("w", wanted) == {"gender": "violates", "color": "unknown"}
    assert catalog.verdicts("absent", wanted) == {"gender": "unknown", "color": "unknown"}
    assert catalog.verdicts("u", catalog.wanted([("gender", "women")])) == {"gender": "meets"}
    assert catalog.verdicts("w", catalog.wanted([("gender", "men")])) == {"gender": "violates"}


def test_a_condition_asking_for_a_label_only_value_fails(run, tmp_path):
    """A query that asks for a value the run's vocabulary keeps for labels only (`label_only`) fails the audit,
    read from config.json's vocabulary as `meritgen audit` reads it (never from the stage code)."""
    from pipelines.vocab.paths import vocabulary_file

    assert _failed(audit_run(run))["label_only_conditions"] == 0
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    vocabulary = json.loads(vocabulary_file(config["mine"]["vocabulary"]).read_text(encoding="utf-8"))
    path = sorted((run / "export" / "data" / "queries").glob("test-*.parquet"))[0]
    asked = pq.read_table(path, columns=["conditions"]).column("conditions")[0].as_py()[0]
    vocabulary["attributes"].setdefault(asked["attribute"], {"values": {}}).setdefault("label_only", []).append(asked["value"])
    (tmp_path / "vocabulary.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    config["mine"]["vocabulary"] = str(tmp_path / "vocabulary.json")
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["label_only_conditions"] >= 1


def test_a_query_missing_a_required_condition_fails(run):
    """The demo's accessory queries all name their kind (v2 `required_conditions`); one with its type condition
    dropped fails `required_conditions`, read from the run's vocabulary."""
    assert _failed(audit_run(run))["required_conditions"] == 0
    paths = sorted((run / "export" / "data" / "queries").glob("*.parquet"))
    path = next(p for p in paths if "accessory" in pq.read_table(p, columns=["category"]).column("category").to_pylist())
    table = pq.read_table(path)
    rows = table.to_pylist()
    first = next(r for r in rows if r["category"] == "accessory")
    for r in rows:
        if r["base_query_id"] == first["base_query_id"]:
            r["conditions"] = [c for c in r["conditions"] if c["attribute"] != "type"]
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    result = audit_run(run)
    assert not result["passed"] and _failed(result)["required_conditions"] >= 1

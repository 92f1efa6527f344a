"""`meritgen audit`'s testability checks (#22): each planted defect fails its check, a clean export passes.

A condition is testable when the query's own split pool holds a minimal pair: a product meeting
every other condition and violating this one, on known values.
"""

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.audit.run import audit_run
from pipelines.audit.stream import audit_tables
from pipelines.runners.cli import main

CHECKS = ("testable_conditions", "minimal_pair_negatives", "vacuous_conditions", "one_sided_queries")


def _product(pid, split="test", **values):
    return {"product_id": pid, "category": "tops", "image_ids": [f"i{pid}"], "split": split,
            "attributes": [{"name": k, "value": v, "source": "field"} for k, v in values.items()]}


# a is the positive of gender=men + colour=red; b and c are its minimal pairs; r shows the colour.
PRODUCTS = [_product("a", gender="men", color="red"), _product("b", gender="women", color="red"),
            _product("c", gender="men", color="blue"), _product("d", gender="women", color="blue"),
            _product("r", gender="girls", color="red")]


def _pair(pid, attribute):
    return {"product_id": pid, "source": "minimal_pair", "violates": [attribute]}


def _query(negatives=(("b", "gender"), ("c", "color")), conditions=None, split="test", positives=("a",)):
    conditions = conditions or [{"attribute": "gender", "value": "men", "carried_by": "text", "source_product_id": None},
                                {"attribute": "color", "value": "red", "carried_by": "image", "source_product_id": "r"}]
    return {"query_id": "q-en", "category": "tops", "split": split, "text": "men's top in the colour of <image_1>",
            "images": [{"image_id": "ir", "product_id": "r"}], "positive_ids": list(positives),
            "hard_negatives": [_pair(p, a) for p, a in negatives], "hard_negative_ids": [p for p, _ in negatives],
            "conditions": conditions}


def _status(result):
    return {c["name"]: c["status"] for c in result["checks"] if c["name"] in CHECKS}


def test_a_query_with_a_minimal_pair_per_condition_passes_and_is_counted_per_split():
    result = audit_tables([_query(), {**_query(), "query_id": "q-ms"}], PRODUCTS, {})
    assert result["passed"], result["checks"]
    assert _status(result) == dict.fromkeys(CHECKS, "pass")
    assert result["figures"]["testability"] == {"test": {
        "queries": 1, "conditions": 2, "testable": 2, "with_negative": 2, "queries_all_testable": 1,
        "vacuous": 0, "one_sided": 0}}  # the ms row repeats the en row's content: one base query


def test_a_condition_without_a_minimal_pair_in_the_own_pool_fails():
    pool = [{**p, "split": "train"} if p["product_id"] == "c" else p for p in PRODUCTS]  # c leaves the test pool
    result = audit_tables([_query(negatives=(("b", "gender"),))], pool, {})
    status = _status(result)
    assert status["testable_conditions"] == "fail" and status["minimal_pair_negatives"] == "fail"
    assert status["one_sided_queries"] == "fail"  # red given men removes nothing in the test pool now
    assert result["figures"]["testability"]["test"]["testable"] == 1 and not result["passed"]


def test_the_threshold_is_a_setting_and_applies_to_test():
    pool = [{**p, "split": "train"} if p["product_id"] == "c" else p for p in PRODUCTS]
    query = _query(negatives=(("b", "gender"),), conditions=[
        {"attribute": "gender", "value": "men", "carried_by": "text", "source_product_id": None},
        {"attribute": "color", "value": "red", "carried_by": "text", "source_product_id": None}])
    from pipelines.audit.stream import QueryAudit, run_audit
    lenient = run_audit(QueryAudit(pool, {}, min_testable_share=0.5), [pa.Table.from_pylist([query])])
    assert _status(lenient)["testable_conditions"] == "pass"  # 1 of 2 test conditions is at the bound
    train = audit_tables([{**query, "split": "train"}], pool, {})
    assert _status(train)["testable_conditions"] == "skipped"  # no test split: nothing to hold to the bound


def test_a_vacuous_condition_fails():
    products = [{**p, "attributes": p["attributes"] + [{"name": "fit", "value": "regular", "source": "field"}]}
                if p["product_id"] in ("a", "b", "c") else p for p in PRODUCTS]  # every known fit is regular
    query = _query()
    query["conditions"].append({"attribute": "fit", "value": "regular", "carried_by": "text", "source_product_id": None})
    result = audit_tables([query], products, {})
    vacuous = next(c for c in result["checks"] if c["name"] == "vacuous_conditions")
    assert vacuous["status"] == "fail" and vacuous["failed"] == 1
    assert vacuous["examples"] == [{"query_id": "q-en", "attribute": "fit", "value": "regular"}]


def test_a_one_sided_query_fails():
    # Only c violates red among men, and c is gone: the image condition removes nothing the text admits.
    products = [p for p in PRODUCTS if p["product_id"] != "c"]
    result = audit_tables([_query(negatives=(("b", "gender"),))], products, {})
    one_sided = next(c for c in result["checks"] if c["name"] == "one_sided_queries")
    assert one_sided["failed"] == 1 and one_sided["examples"][0]["why"] == "image conditions remove nothing"


def test_a_minimal_pair_negative_that_is_not_minimal_fails():
    result = audit_tables([_query(negatives=(("b", "gender"), ("c", "color"), ("d", "gender")))], PRODUCTS, {})
    check = next(c for c in result["checks"] if c["name"] == "minimal_pair_negatives")
    assert check["failed"] == 1 and check["examples"][0]["product_id"] == "d"  # d violates colour too


def test_an_export_without_minimal_pair_negatives_on_test_fails(demo_run_copy):
    run = demo_run_copy
    assert _status(audit_run(run)) == dict.fromkeys(CHECKS, "pass")
    for path in sorted((run / "export" / "data" / "queries").glob("test-*.parquet")):
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            for n in row["hard_negatives"]:
                n["source"] = "overlap" if n["source"] == "minimal_pair" else n["source"]
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    result = audit_run(run)
    assert _status(result)["minimal_pair_negatives"] == "fail" and not result["passed"]
    assert result["figures"]["testability"]["test"]["with_negative"] == 0
    assert main(["audit", str(run)]) == 1
    card = (run / "export" / "README.md").read_text()
    assert "| minimal_pair_negatives | fail |" in card and "## Testability" in card
    assert "| test | " in card.split("## Testability")[1]


def test_testability_reads_the_label_checks_verdicts_with_the_same_result():
    from pipelines.audit.checks import Catalog, negative_verdicts
    from pipelines.audit.testability import Testability

    wrong = _query(negatives=(("b", "gender"), ("d", "color"), ("c", "color")))  # d violates both: a wrong pair
    catalog = Catalog(PRODUCTS, {})
    own, shared = Testability(catalog, PRODUCTS), Testability(catalog, PRODUCTS)
    own.add(wrong, "q-en")
    shared.add(wrong, "q-en", negative_verdicts(wrong, catalog))
    assert own.figures() == shared.figures()
    assert [c.as_dict() for c in own.result_checks()] == [c.as_dict() for c in shared.result_checks()]
    assert shared.checks["minimal_pair_negatives"].failed == 1  # the wrong pair is still caught

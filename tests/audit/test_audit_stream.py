"""The streamed, deduplicated audit (#14) counts and examples every row exactly as judging each row alone.

Rows of one base query share their labelled content across languages, so the audit judges each
distinct content once; these tests pin that a shared verdict is never given to rows whose content
differs in any nested value, that a corrupted language row is caught as itself, and that batch
boundaries change nothing.
"""

import copy
import json

import pyarrow.parquet as pq
import pytest

from pipelines.audit.run import QUERY_COLUMNS, also_meets, audit_run, run_vocabulary, vocabulary_rules
from pipelines.audit.stream import audit_row_batches, audit_tables


def _product(pid, category="tops", images=None, **values):
    return {"product_id": pid, "category": category, "image_ids": images or [f"i{pid}"], "split": "train",
            "attributes": [{"name": k, "value": v, "source": "field"} for k, v in values.items()]}


PRODUCTS = [_product("a", gender="men", colour="red"), _product("b", gender="men", colour="blue"),
            _product("w", gender="women", colour="red"), _product("k", gender="women")]


def _row(lang, positives=("a", "b"), negatives=(("w", ("gender",)),), conditions=(("gender", "men"),), n_unverified=0):
    return {"query_id": f"q1-{lang}", "category": "tops", "split": "train", "text": f"{lang} <image_1>",
            "images": [{"image_id": "iw", "product_id": "w"}], "positive_ids": list(positives),
            "hard_negative_ids": [n for n, _ in negatives],
            "conditions": [{"attribute": a, "value": v} for a, v in conditions],
            "hard_negatives": [{"product_id": n, "source": "overlap", "violates": list(v)} for n, v in negatives],
            "n_unverified": n_unverified}


def _check(result, name):
    return next(c for c in result["checks"] if c["name"] == name)


def _one_by_one(rows):
    """The reference: every row judged in a batch of its own, so no verdict can be shared."""
    return audit_row_batches([[r] for r in rows], PRODUCTS, {})


def test_a_corrupted_language_row_is_caught_as_itself_and_counted_once():
    rows = [_row(lang) for lang in ("en", "ms", "id", "vi", "th")]
    rows[3]["hard_negatives"].append({"product_id": "b", "source": "overlap", "violates": ["gender"]})
    rows[3]["hard_negative_ids"].append("b")  # b meets gender=men: a true positive listed as a negative
    result = audit_tables(rows, PRODUCTS, {})
    false_neg = _check(result, "no_false_negatives")
    assert false_neg["checked"] == 5 + 1 and false_neg["failed"] == 1
    assert [e["query_id"] for e in false_neg["examples"]] == ["q1-vi"]
    assert _check(result, "violates_are_known")["failed"] == 1
    rows[0] = copy.deepcopy(rows[3]) | {"query_id": "q1-en", "text": "en <image_1>"}  # same corruption in two rows
    result = audit_tables(rows, PRODUCTS, {})
    assert _check(result, "no_false_negatives")["failed"] == 2
    assert [e["query_id"] for e in _check(result, "no_false_negatives")["examples"]] == ["q1-en", "q1-vi"]
    assert result == _one_by_one(rows)


@pytest.mark.parametrize("mutate", [
    lambda r: r["hard_negatives"][0].update(violates=["colour"]),  # only a nested list inside a struct differs
    lambda r: r["conditions"][0].update(value="women"),  # only a struct field value differs
    lambda r: r["images"][0].update(image_id="ia"),  # only an image id differs
    lambda r: r.update(positive_ids=["a", "a"]),  # a duplicated positive
    lambda r: r.update(n_unverified=1),
    lambda r: r["hard_negatives"][0].update(product_id="k"),  # negatives' ids no longer match hard_negative_ids
], ids=["violates", "condition value", "image id", "duplicate positive", "n_unverified", "negative id"])
def test_rows_differing_in_one_nested_value_never_share_a_verdict(mutate):
    rows = [_row(lang) for lang in ("en", "ms", "id", "vi", "th")]
    assert audit_tables(rows, PRODUCTS, {})["passed"]
    mutate(rows[2])
    result = audit_tables(rows, PRODUCTS, {})
    failing = {c["name"]: c for c in result["checks"] if c["failed"]}
    assert failing and all(e.get("query_id") == "q1-id" for c in failing.values() for e in c["examples"])
    assert result == _one_by_one(rows)


def test_examples_keep_row_order_across_contents_and_stop_at_five():
    rows = [_row(f"l{i}", negatives=(("b", ("gender",)),) if i % 2 else (("w", ("gender",)),)) for i in range(14)]
    result = audit_tables(rows, PRODUCTS, {})
    false_neg = _check(result, "no_false_negatives")
    assert false_neg["failed"] == 7 and [e["query_id"] for e in false_neg["examples"]] == \
        ["q1-l1", "q1-l3", "q1-l5", "q1-l7", "q1-l9"]
    assert result == _one_by_one(rows)


@pytest.fixture()
def corrupted_run(demo_run_copy):
    """A copy of the demo run in which one language row of a base query lists a positive as a negative."""
    dst = demo_run_copy
    path = sorted((dst / "export" / "data" / "queries").glob("train-*.parquet"))[0]
    table = pq.read_table(path)
    rows = table.to_pylist()
    q = next(r for r in rows[5:] if r["positive_ids"])
    q["hard_negative_ids"] = [*q["hard_negative_ids"], q["positive_ids"][0]]
    q["hard_negatives"] = [*q["hard_negatives"], {**q["hard_negatives"][0], "product_id": q["positive_ids"][0],
                                                  "violates": []}]
    pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    return dst, q["query_id"]


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_batch_boundaries_change_nothing_and_the_corrupted_row_is_named(corrupted_run):
    run, query_id = corrupted_run
    whole = audit_run(run)
    text = (run / "audit.json").read_text()
    false_neg = _check(whole, "no_false_negatives")
    assert false_neg["failed"] == 1 and false_neg["examples"][0]["query_id"] == query_id
    for batch_rows in (1, 3, 7):
        assert audit_run(run, batch_rows=batch_rows) == whole
        assert (run / "audit.json").read_text() == text
    rows = pq.ParquetDataset(run / "export" / "data" / "queries").read(columns=QUERY_COLUMNS).to_pylist()
    products = pq.ParquetDataset(run / "export" / "data" / "products").read().to_pylist()
    on_files = json.loads(text)  # minus the checks on the export's files (#24), which rows alone cannot make
    on_files["checks"] = [c for c in on_files["checks"] if c["name"] not in ("export_files", "text_is_plain")]
    rules = vocabulary_rules(run_vocabulary(run))
    assert {**audit_tables(rows, products, also_meets(run), **rules), "run_dir": str(run)} == on_files


def test_a_product_with_two_values_meeting_one_condition_is_one_positive():
    """Cached per-value masks are OR-ed: a product listing both `men` and `unisex` is counted once."""
    products = [{**_product("a"), "attributes": [{"name": "gender", "value": v, "source": "field"} for v in ("men", "unisex")]},
                _product("b", gender="men"), _product("w", gender="women"), _product("k", gender="women")]
    rows = [_row(lang) for lang in ("en", "ms")]
    assert audit_tables(rows, products, {"gender": {"unisex": ["men", "women"]}})["passed"]

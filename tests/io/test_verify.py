"""The DuckDB re-verification catches wrong positive sets (a real DuckDB over real Parquet files)."""

import pyarrow.parquet as pq

from pipelines import schemas
from pipelines.io.verify import facts_from_attributes, positive_set_mismatches
from tests.stages.inline import attributes
from tests.stages.test_render_negatives_split import _render


def _write(tmp_path, positives):
    facts = {"a": {"_category": "clothing", "color": "red", "pattern": "striped"},
             "b": {"_category": "clothing", "color": "red", "pattern": "striped"},
             "c": {"_category": "clothing", "color": "red", "pattern": "solid"},
             "d": {"_category": "shoes", "color": "red", "pattern": "striped"}}
    pq.write_table(attributes(facts), tmp_path / "attributes.parquet")
    q = _render()[0]
    q["conditions"] = [{"attribute": "color", "value": "red", "carried_by": "text", "source_product_id": None},
                       {"attribute": "pattern", "value": "striped", "carried_by": "image", "source_product_id": "x"}]
    q["positive_ids"] = positives
    pq.write_table(schemas.from_rows([q], "query"), tmp_path / "queries.parquet")
    return positive_set_mismatches(str(tmp_path / "queries.parquet"), facts_from_attributes(str(tmp_path / "attributes.parquet")))


def test_exact_positive_set_passes(tmp_path):
    assert _write(tmp_path, ["a", "b"]) == []


def test_missing_positive_is_caught(tmp_path):
    (bad,) = _write(tmp_path, ["a"])
    assert bad[1:] == (["a"], ["a", "b"])


def test_extra_positive_is_caught(tmp_path):
    (bad,) = _write(tmp_path, ["a", "b", "c"])
    assert bad[2] == ["a", "b"]

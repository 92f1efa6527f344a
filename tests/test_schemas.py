import json

import pyarrow as pa
import pytest

from pipelines import schemas
from pipelines.errors import SchemaError
from pipelines.resources import SCHEMAS_DIR

CONTRACTS = sorted(p.stem for p in (SCHEMAS_DIR / "v1").glob("*.json"))


@pytest.mark.parametrize("name", CONTRACTS)
def test_contract_file_generates_the_arrow_schema(name):
    doc = json.loads((SCHEMAS_DIR / "v1" / f"{name}.json").read_text())
    arrow = schemas.schema(name)
    assert doc["name"] == name and doc["version"] == 1
    assert arrow.names == [f["name"] for f in doc["fields"]]
    for field in doc["fields"]:
        assert arrow.field(field["name"]).nullable == field.get("nullable", True)
    assert arrow.metadata[b"meritgen.schema"] == f"{name}/v1".encode()


def test_query_contract_has_every_field_training_needs():
    names = set(schemas.schema("query").names)
    assert {"query_id", "language", "category", "n_conditions", "segments", "text", "images", "conditions",
            "positive_ids", "hard_negative_ids", "hard_negatives", "split", "provenance"} <= names
    segment = schemas.schema("query").field("segments").type.value_type
    assert [f.name for f in segment] == ["kind", "text", "image_id", "image_index"]


def test_conform_names_the_missing_column():
    with pytest.raises(SchemaError, match="missing \\['reason'"):
        schemas.conform(pa.table({"stage": ["x"]}), "reject")


def test_conform_rejects_nulls_in_required_columns():
    table = pa.table({"image_id": [None], "bytes": [b"x"], "width": [1], "height": [1], "source_ref": ["r"]})
    with pytest.raises(SchemaError, match="image_id"):
        schemas.conform(table, "image")


def test_schemas_declared_in_code_match_their_contract_files():
    from pipelines.retrieval import index
    from pipelines.stages import caption_filter, difficulty, passages, retriever_negatives

    in_code = {"response": passages.RESPONSES_SCHEMA, "passage_corpus": passages.CORPUS_SCHEMA,
               "passage": passages.PASSAGES_SCHEMA, "caption": caption_filter.CAPTIONS_SCHEMA,
               "caption_variant": caption_filter.VARIANTS_SCHEMA, "caption_check": caption_filter.CHECKS_SCHEMA,
               "difficulty_run_hits": difficulty.RUN_HITS_SCHEMA, "difficulty": difficulty.REPORT_SCHEMA,
               "positive_score": retriever_negatives.POSITIVE_SCORES_SCHEMA, "hits": index.HITS_SCHEMA}
    for name, arrow in in_code.items():
        assert arrow.remove_metadata().equals(schemas.schema(name).remove_metadata()), name

"""Control characters in catalog text (issue #24): NUL, ESC, BEL, U+202E... reject their row at
ingest, naming the field, as structural text does; tab and line breaks stay text."""

from pathlib import Path

from pipelines.config import CatalogConfig, IngestConfig
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog

BAD = Path(__file__).resolve().parent / "data" / "bad"


def test_control_characters_reject_their_row_and_name_the_field(vocab):
    result = validate_catalog(read_catalog(BAD / "control_characters.jsonl", CatalogConfig()),
                              IngestParams(IngestConfig(), vocab))
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    rejects = result.rejects.to_pylist()
    assert [(r["source_row"], r["reason"], r["field"]) for r in rejects] == [
        (3, "control_character", "title"), (4, "control_character", "description"),
        (5, "control_character", "attributes.brand"), (6, "control_character", "title"),
        (7, "control_character", "attributes[0].value")]
    assert "U+0000" in rejects[0]["message"] and "U+202E" in rejects[3]["message"]

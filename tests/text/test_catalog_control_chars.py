"""Control characters in catalog text (issue #24): NUL, ESC, BEL, U+202E, C1... are stripped at ingest
and the row is kept (a product is not lost for an invisible byte); CR/CRLF become newlines, tab and
newlines stay text. The same definition refuses them in model output (tests/llm) and in the audit."""

from pathlib import Path

from pipelines.config import CatalogConfig, IngestConfig
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog
from pipelines.text.structure import control_character

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_control_characters_are_stripped_and_every_row_kept(vocab):
    result = validate_catalog(read_catalog(BAD / "control_characters.jsonl", CatalogConfig()),
                              IngestParams(IngestConfig(), vocab))
    products = {p["product_id"]: p for p in result.outputs["products"].to_pylist()}
    assert sorted(products) == ["b1", "b2", "b3", "b4", "b5", "g1", "g2"]
    assert result.rejects.num_rows == 0
    assert products["b1"]["title"] == "Brand Men Blue Tshirt"
    assert products["b2"]["description"] == "Soft [31mred[0m cotton."
    assert products["b4"]["title"] == "Brand Men Tshirt b4"
    assert products["g2"]["description"] == "Line one.\n\tIndented line two."
    for product in products.values():
        for value in product.values():
            assert not (isinstance(value, str) and control_character(value)), (product["product_id"], value)


def test_one_definition_of_a_control_character():
    for bad in ("\x00", "\x1b", "\x07", "\x0c", "\x7f", "\x90", "\u202e", "\u2066", "\ud800"):
        assert control_character(f"a{bad}b") is not None, repr(bad)
    for text in ("tab\there", "line\nbreak", "cr\rlf", "next\u0085line", "ไทย", "Tiếng Việt"):
        assert control_character(text) is None, repr(text)

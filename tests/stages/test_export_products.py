"""The export's product rows, built column-wise (stages/export.py): each product's own facts in the attribute
table's order, its images in `image_ids` order with their bytes, its split, products sorted by id."""

import pyarrow as pa
import pytest

from pipelines import schemas
from pipelines.stages.export import _export_products


def _products():
    rows = [("p2", ["i2b", "i2a"]), ("p1", ["i1"]), ("p3", [])]
    return pa.table({"product_id": [p for p, _ in rows], "category": ["bag", "clothing", "bag"],
                     "title": ["t2", "t1", "t3"], "description": [None, "d1", None], "language": ["en"] * 3,
                     "family_id": [None, "f1", None], "image_ids": [i for _, i in rows]})


IMAGES = pa.table({"image_id": ["i1", "i2a", "i2b", "unused"], "bytes": [b"1", b"2a", b"2b", b"x"]})
ATTRIBUTES = pa.table({"product_id": ["p2", "p1", "ghost", "p2", "p1"], "attribute": ["color", "color", "color", "material", "gender"],
                       "value": ["red", "blue", "red", "silk", "men"], "source": ["field", "title", "field", "text", "field"]})


def test_products_carry_their_own_facts_images_and_split():
    splits = pa.table({"product_id": ["p1", "p2"], "split": ["train", "test"]})
    rows = _export_products(_products(), IMAGES, ATTRIBUTES, splits).to_pylist()
    assert [r["product_id"] for r in rows] == ["p1", "p2", "p3"]
    assert rows[0]["attributes"] == [{"name": "color", "value": "blue", "source": "title"},
                                     {"name": "gender", "value": "men", "source": "field"}]
    assert rows[1]["attributes"] == [{"name": "color", "value": "red", "source": "field"},
                                     {"name": "material", "value": "silk", "source": "text"}]
    assert rows[2]["attributes"] == [] and rows[2]["images"] == []
    assert rows[1]["images"] == [{"bytes": b"2b", "path": "i2b.jpg"}, {"bytes": b"2a", "path": "i2a.jpg"}]
    assert rows[1]["image_ids"] == ["i2b", "i2a"] and rows[0]["description"] == "d1" and rows[0]["family_id"] == "f1"
    assert [r["split"] for r in rows] == ["train", "test", None]
    assert _export_products(_products(), IMAGES, ATTRIBUTES).schema.equals(schemas.schema("export_product"))


def test_an_image_without_bytes_is_an_error_naming_it():
    with pytest.raises(KeyError, match="i2a"):
        _export_products(_products(), IMAGES.filter(pa.array([True, False, True, True])), ATTRIBUTES)

"""MERIT's product rows, built column-wise, equal the per-row reference they replaced."""

import json

import pyarrow as pa
import pytest

from pipelines import merit_layout, schemas
from pipelines.merit_layout import IMAGE_TYPE, merit_idx, merit_products


def _reference(products: pa.Table, country: str = "") -> pa.Table:
    """merit_products as it was: every product's images and facts as Python objects at once."""
    ids = products.column("product_id").to_pylist()
    return pa.table({
        "image": pa.array([imgs[0] for imgs in products.column("images").to_pylist()], type=IMAGE_TYPE),
        "title": products.column("title"), "idx": pa.array([str(merit_idx(p)) for p in ids], pa.string()),
        "class": products.column("category"),
        "country": pa.array([country or None] * len(ids), pa.string()), "language": products.column("language"),
        "attribute": pa.array([json.dumps({a["name"]: a["value"] for a in row}, ensure_ascii=False)
                               for row in products.column("attributes").to_pylist()], pa.string()),
        "product_id": products.column("product_id"),
    })


def _products(images_per_product: list[int]) -> pa.Table:
    rows = []
    for i, n in enumerate(images_per_product):
        facts = [{"name": "color", "value": "đỏ" if i % 2 else "red", "source": "field"},
                 {"name": "material", "value": "ผ้าไหม", "source": "title"}]
        if i % 3 == 0:
            facts.append({"name": "color", "value": "navy", "source": "title"})  # a later name wins, as a dict does
        rows.append({"product_id": f"{i}" if i % 2 else f"p-{i}", "category": "clothing", "title": f"Shirt {i}",
                     "description": None, "language": "en", "family_id": None, "attributes": facts if i != 4 else [],
                     "images": [{"bytes": bytes([i, k]), "path": f"img{i}-{k}.jpg"} for k in range(n)],
                     "image_ids": [f"img{i}-{k}" for k in range(n)], "split": "train"})
    return pa.Table.from_pylist(rows, schema=schemas.schema("export_product"))


@pytest.mark.parametrize("images", [[1] * 7, [1, 3, 1, 2, 1, 1, 4]], ids=["one image each", "several images"])
def test_merit_products_equal_the_per_row_reference_across_json_batches(monkeypatch, images):
    monkeypatch.setattr(merit_layout, "JSON_BATCH_ROWS", 3)  # 7 products: batches of 3, 3 and 1
    products = _products(images)
    products = pa.concat_tables([products.slice(0, 2), products.slice(2)])  # two chunks, as a stream gives them
    built = merit_products(products, "VN")
    assert built.equals(_reference(products, "VN"))
    assert built.column("attribute").num_chunks == 3  # facts became Python objects 3 products at a time, never all 7

import io
import json

import pytest
from PIL import Image

from pipelines.config import CatalogConfig, IngestConfig
from pipelines.errors import CatalogError
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog
from tests.conftest import jpeg_bytes


def _write_catalog(tmp_path, rows, images):
    (tmp_path / "img").mkdir()
    for name, data in images.items():
        (tmp_path / "img" / name).write_bytes(data)
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def _row(pid, **over):
    row = {"product_id": pid, "category": "Tshirts", "title": f"Brand Men Blue Tshirt {pid}", "images": [f"img/{pid}.jpg"]}
    row.update(over)
    return row


def _ingest(path, vocab, **cfg):
    return validate_catalog(read_catalog(path, CatalogConfig()), IngestParams(IngestConfig(**cfg), vocab))


def test_planted_bad_rows_are_rejected_with_reason_and_good_rows_kept(tmp_path, vocab):
    good = jpeg_bytes()
    big = io.BytesIO()
    Image.new("RGB", (300, 300)).save(big, format="PNG")
    rows = [
        _row("g1"), _row("g2"),
        {"product_id": "m1", "category": "Tshirts", "images": ["img/m1.jpg"]},  # no title
        _row("w1", title=12345),
        _row("g1"),  # duplicate of the first
        _row("u1"), _row("t1"), _row("z1"), _row("b1"),
        _row("c1", category="spaceships"),
    ]
    images = {"g1.jpg": good, "g2.jpg": jpeg_bytes((0, 0, 200)), "m1.jpg": good, "w1.jpg": good,
              "u1.jpg": b"this is not an image", "t1.jpg": good[: len(good) // 2], "z1.jpg": b"",
              "b1.jpg": big.getvalue(), "c1.jpg": good}
    result = _ingest(_write_catalog(tmp_path, rows, images), vocab, max_pixels=250 * 250)
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    rejects = {(r["source_row"], r["reason"], r["field"]) for r in result.rejects.to_pylist()}
    assert rejects == {
        (3, "missing_field", "title"), (4, "wrong_type", "title"), (5, "duplicate_id", "product_id"),
        (6, "image_unreadable", "images"), (7, "image_truncated", "images"), (8, "image_empty", "images"),
        (9, "image_too_large", "images"), (10, "unknown_category", "category"),
    }
    for r in result.rejects.to_pylist():
        assert "catalog.jsonl" in r["source_file"] and f"row {r['source_row']}" in r["message"]


def test_images_are_normalised_rgb_bounded_and_keyed_by_content(tmp_path, vocab):
    rgba = io.BytesIO()
    Image.new("RGBA", (1200, 600), (0, 255, 0, 128)).save(rgba, format="PNG")
    path = _write_catalog(tmp_path, [_row("a"), _row("b", images=["img/a.jpg"])], {"a.jpg": rgba.getvalue()})
    result = _ingest(path, vocab, max_side=256)
    images = result.outputs["images"].to_pylist()
    assert len(images) == 1  # the same bytes are stored once
    img = Image.open(io.BytesIO(images[0]["bytes"]))
    assert img.mode == "RGB" and max(img.size) == 256 and (images[0]["width"], images[0]["height"]) == img.size
    ids = result.outputs["products"].column("image_ids").to_pylist()
    assert ids[0] == ids[1] == [images[0]["image_id"]]


def test_csv_with_column_mapping_and_attribute_columns(tmp_path, vocab):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "1.jpg").write_bytes(jpeg_bytes())
    (tmp_path / "c.csv").write_text("id,name,articleType,baseColour,image\n1,Nike Men Red Tshirt,Tshirts,Red,images/1.jpg\n")
    cfg = CatalogConfig(id_column="id", title_column="name", category_column="articleType", images_column="image",
                        attribute_columns={"baseColour": "color"})
    result = validate_catalog(read_catalog(tmp_path / "c.csv", cfg), IngestParams(IngestConfig(), vocab))
    product = result.outputs["products"].to_pylist()[0]
    assert product["category"] == "clothing"
    assert {"name": "color", "value": "Red"} in product["attributes"]


def test_catalog_without_any_valid_row_fails_with_one_clear_message(tmp_path, vocab):
    path = _write_catalog(tmp_path, [_row("a", category="spaceships")], {"a.jpg": jpeg_bytes()})
    with pytest.raises(CatalogError, match=r"no valid product in .*catalog.jsonl.*unknown_category \(1\)"):
        _ingest(path, vocab)


def test_unreadable_jsonl_line_is_a_reject_not_a_crash(tmp_path, vocab):
    path = _write_catalog(tmp_path, [_row("a")], {"a.jpg": jpeg_bytes()})
    path.write_text(path.read_text() + "{not json\n")
    result = _ingest(path, vocab)
    assert result.outputs["products"].num_rows == 1
    assert result.rejects.to_pylist()[0]["reason"] == "unreadable_row"

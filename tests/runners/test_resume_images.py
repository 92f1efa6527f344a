"""Resume must not keep stale pixels: a replaced local image reruns ingest (issue #11, point 7)."""

import io
import json
import shutil
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from PIL import Image

from pipelines.config import load_config
from pipelines.runners.local import run_build

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def _jpeg(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, format="JPEG")
    return out.getvalue()


def _exported_colour(run_dir: Path, product_id: str) -> tuple:
    products = pads.dataset(run_dir / "export" / "data" / "products", format="parquet").to_table().to_pylist()
    data = next(p for p in products if p["product_id"] == product_id)["images"][0]["bytes"]
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((32, 32))


def test_replacing_a_local_image_reruns_ingest_and_exports_the_new_pixels(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(BAD / "images", folder, ignore=shutil.ignore_patterns("bomb.png"))  # images next to the catalog
    (folder / "catalog.jsonl").write_text(
        json.dumps({"product_id": "g1", "category": "Tshirts", "title": "Nike Men Red Striped Tshirt", "images": ["good1.jpg"]})
        + "\n" + json.dumps({"product_id": "g2", "category": "Casual Shoes", "title": "Puma Men Black Sneakers",
                             "images": ["good2.jpg"]}) + "\n")
    first = run_build(folder / "catalog.jsonl", tmp_path / "runs", load_config(), run_id="r", progress=False)
    assert _exported_colour(first.run_dir, "g1")[0] > 150  # red

    (folder / "good1.jpg").write_bytes(_jpeg((20, 20, 200)))  # same name, blue pixels
    second = run_build(folder / "catalog.jsonl", tmp_path / "runs", load_config(), run_id="r", progress=False)
    assert not next(s for s in second.steps if s.name == "ingest").skipped
    colour = _exported_colour(second.run_dir, "g1")
    assert colour[2] > 150 and colour[0] < 100, f"the new image must be exported, got {colour}"

    third = run_build(folder / "catalog.jsonl", tmp_path / "runs", load_config(), run_id="r", progress=False)
    assert next(s for s in third.steps if s.name == "ingest").skipped, "nothing changed: ingest is done"

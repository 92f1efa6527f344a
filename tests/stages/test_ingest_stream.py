"""Ingest in batches (#26 item 4): the catalog is read and validated a batch of rows at a time, so no
more than one batch's rows and image bytes are held, and the batches give exactly the whole call's
products, images, rejects and counters. What one row's fate depends on in earlier rows crosses the
batch boundary: an id accepted before (duplicate_id), a file whose bytes came in an earlier batch
(the reader gives them once), an image already output, a file that failed to load."""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import CatalogConfig, IngestConfig
from pipelines.errors import NoValidProducts
from pipelines.io import image_source
from pipelines.io.catalog_images import ImageLoader
from pipelines.io.catalog_reader import read_catalog, read_catalog_batches
from pipelines.shards import collect
from pipelines.stages.ingest import IngestParams, validate_catalog, validate_stream
from tests.conftest import jpeg_bytes


def _row(pid, images, **over):
    return {"product_id": pid, "category": "Tshirts", "title": f"Brand Men Blue Tshirt {pid}", "images": images, **over}


# Row by row: what each one tests across a batch boundary.
ROWS = [
    _row("a1", ["img/shared.jpg"], category="spaceships"),  # the first row naming shared.jpg is rejected...
    _row("a2", ["img/a2.jpg"]),
    _row("A1 ", ["img/a1.jpg"]),  # not a duplicate: a1 was rejected, so this id is first accepted here
    _row("b1", ["img/shared.jpg"]),  # ...a later batch's row still gets shared.jpg (its bytes came in row 1)
    _row("a1", ["img/b2.jpg"]),  # duplicate of "A1 " ignoring case and spaces, in another batch
    _row("b3", ["img/missing.jpg"]),  # a file that is not there: rejected
    _row("b4", ["img/missing.jpg", "img/shared.jpg"]),  # the same missing file in a later batch, and shared.jpg again
    _row("b5", ["img/a2.jpg"]),  # the same photo as row 2: one image row, output once
    _row("b6", ["img/same-as-a2.jpg"]),  # another file, same bytes: the same image id, output once
]


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "img").mkdir()
    colours = {"shared": (200, 0, 0), "a2": (0, 200, 0), "a1": (0, 0, 200), "b2": (90, 90, 0), "same-as-a2": (0, 200, 0)}
    for name, colour in colours.items():
        (tmp_path / "img" / f"{name}.jpg").write_bytes(jpeg_bytes(colour))
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def _params(vocab):
    return IngestParams(IngestConfig(), vocab)


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 4, 100])
def test_batches_give_the_whole_calls_products_images_rejects_and_counters(catalog, vocab, batch_rows):
    whole = validate_catalog(read_catalog(catalog, CatalogConfig()), _params(vocab))
    batches = list(read_catalog_batches(catalog, CatalogConfig(), batch_rows))
    assert [b.num_rows for b in batches][:-1] == [batch_rows] * (len(batches) - 1)
    streamed = collect(validate_stream(batches, _params(vocab)))
    for name in ("products", "images"):
        assert streamed.outputs[name].equals(whole.outputs[name]), name
    assert streamed.rejects.equals(whole.rejects)
    assert streamed.counters == whole.counters
    products = {p["product_id"]: p for p in whole.outputs["products"].to_pylist()}
    assert sorted(products) == ["A1", "a2", "b1", "b4", "b5", "b6"]  # the test's premises, read off the whole call
    assert products["b1"]["image_ids"] == products["b4"]["image_ids"]
    assert products["b5"]["image_ids"] == products["b6"]["image_ids"] == products["a2"]["image_ids"]
    assert whole.outputs["images"].num_rows == 3
    reasons = {r["record_id"]: r["reason"] for r in whole.rejects.to_pylist() if r["field"] != "images" or r["record_id"] == "b3"}
    assert reasons == {"a1": "duplicate_id", "b3": "image_unavailable"}


def test_a_photo_decoded_in_an_earlier_batch_is_kept_without_its_bytes(catalog, vocab):
    """The stream's memory is a batch: an image output by batch k is held as its id alone afterwards."""
    from pipelines.stages import ingest

    state = ingest.BatchState(IngestConfig())
    batches = list(read_catalog_batches(catalog, CatalogConfig(), 4))
    for raw in batches:
        ingest.validate_rows(raw.to_pylist(), _params(vocab), ingest.RejectLog("ingest"), state=state)
    state.files.next_batch([], state.image_ids)
    held = [ref for ref, image in state.files.decoded.items() if getattr(image, "jpeg", b"")]
    assert held == []
    # by ref; b2.jpg only a rejected row named, missing.jpg never loaded
    assert sorted(state.files.decoded) == ["img/a1.jpg", "img/a2.jpg", "img/same-as-a2.jpg", "img/shared.jpg"]


def test_a_stream_where_every_row_is_rejected_raises_with_every_batchs_rejects(tmp_path, vocab):
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(_row(f"p{i}", [], category="spaceships")) + "\n" for i in range(5)))
    with pytest.raises(NoValidProducts) as caught:
        list(validate_stream(read_catalog_batches(path, CatalogConfig(), 2), _params(vocab)))
    assert "5 rows, all rejected" in str(caught.value) and "unknown_category (5)" in str(caught.value)
    assert caught.value.rejects.num_rows == 5


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_the_reader_batches_add_up_to_the_whole_table_in_every_format(tmp_path, fmt, monkeypatch):
    from pipelines.io import catalog_reader

    monkeypatch.setattr(catalog_reader, "PARQUET_READ_ROWS", 3)  # record batches cut across reader batches
    rows = [{"product_id": f"p{i}", "category": "Tshirts", "title": f"T {i}\u2028x", "images": ""} for i in range(11)]
    path = tmp_path / f"catalog.{fmt}"
    if fmt == "csv":
        path.write_text("\ufeffproduct_id,category,title,images\n" + "".join(
            f'{r["product_id"]},{r["category"]},"{r["title"]}",\n' for r in rows), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_bytes(b"\xef\xbb\xbf" + "\n\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + b"\r\n")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    whole = read_catalog(path, CatalogConfig())
    batches = list(read_catalog_batches(path, CatalogConfig(), 4))
    assert [b.num_rows for b in batches] == [4, 4, 3]
    assert pa.concat_tables(batches).equals(whole)
    assert whole.column("source_row").to_pylist() == (list(range(1, 22, 2)) if fmt == "jsonl" else list(range(1, 12)))
    assert {json.loads(r)["title"] for r in whole.column("record_json").to_pylist()} == {r["title"] for r in rows}


def test_the_image_deadline_runs_from_the_first_batch_not_per_batch(tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg_bytes())
    (tmp_path / "b.jpg").write_bytes(jpeg_bytes((0, 0, 200)))
    loader = ImageLoader(image_source.policy_for(tmp_path, CatalogConfig()), deadline_s=0.2)
    [[first]] = loader.load([(["a.jpg"], [])])
    assert first["bytes"] and first["error"] is None
    time.sleep(0.3)
    [[late]] = loader.load([(["b.jpg"], [])])
    assert late["bytes"] is None and "catalog.ingest_deadline_s" in late["error"]
    [[again]] = loader.load([(["a.jpg"], [])])  # read in time before: read again, past the deadline too
    assert again == first

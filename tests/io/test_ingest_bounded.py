"""Ingest's memory and time are bounded (#24): each distinct image file is read and decoded once,
however many rows name it; a row's URLs load in parallel; `catalog.ingest_deadline_s` caps the whole
catalog's image loading with a clear reject per image it cut off. URLs are served on loopback only."""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

import pipelines.images as images_module
import pipelines.io.image_source as image_source
from pipelines.config import CatalogConfig, IngestConfig
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog


def _photo(size=(900, 700)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 90).convert("RGB").save(out, format="JPEG", quality=95)  # noise: does not compress
    return out.getvalue()


def _catalog(folder: Path, refs_per_row: list[list[str]]) -> Path:
    rows = [{"product_id": f"p{i}", "category": "Tshirts", "title": f"Brand Tshirt {i}", "images": refs}
            for i, refs in enumerate(refs_per_row)]
    path = folder / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_one_file_named_by_300_rows_is_read_once_and_held_once(tmp_path, vocab, monkeypatch):
    photo = _photo()
    (tmp_path / "shared.jpg").write_bytes(photo)
    path = _catalog(tmp_path, [["shared.jpg"]] * 300)
    reads, decodes = [], []
    real_read, real_decode = image_source.read_local, images_module.normalise_image

    monkeypatch.setattr(image_source, "read_local", lambda ref, policy: reads.append(ref) or real_read(ref, policy))
    import pipelines.stages.image_files as image_files

    monkeypatch.setattr(image_files, "normalise_image", lambda data, **kw: decodes.append(1) or real_decode(data, **kw))
    raw = read_catalog(path, CatalogConfig())
    assert reads == ["shared.jpg"]
    assert raw.nbytes < 3 * len(photo), f"{raw.nbytes} bytes for 300 rows of one {len(photo)}-byte file"
    result = validate_catalog(raw, IngestParams(IngestConfig(), vocab))
    assert decodes == [1]
    products = result.outputs["products"].to_pylist()
    assert len(products) == 300 and len({tuple(p["image_ids"]) for p in products}) == 1
    assert result.outputs["images"].num_rows == 1


def test_a_file_first_named_by_a_rejected_row_still_serves_the_later_rows(tmp_path, vocab):
    (tmp_path / "shared.jpg").write_bytes(_photo((64, 64)))
    rows = [{"product_id": "bad", "category": "No Such Category", "title": "x", "images": ["shared.jpg"]},
            {"product_id": "ok", "category": "Tshirts", "title": "Brand Tshirt", "images": ["shared.jpg"]}]
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = validate_catalog(read_catalog(path, CatalogConfig()), IngestParams(IngestConfig(), vocab))
    assert result.outputs["products"].column("product_id").to_pylist() == ["ok"]


class _Slow(http.server.BaseHTTPRequestHandler):
    body = b""
    delay = 1.0

    def do_GET(self):
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        try:
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up at its deadline: that is the test

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    _Slow.body = _photo((48, 48))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_one_rows_urls_load_in_parallel(tmp_path, vocab, slow_server):
    path = _catalog(tmp_path, [[f"{slow_server}/img{i}.jpg" for i in range(8)]])
    started = time.monotonic()
    raw = read_catalog(path, CatalogConfig(allow_private_image_urls=True))
    assert time.monotonic() - started < 4, "8 URLs of 1 s each, one after another, would take 8 s"
    assert all(b["error"] is None for b in raw.column("image_blobs").to_pylist()[0])


def test_the_ingest_deadline_cuts_off_the_rest_with_a_reject_naming_it(tmp_path, vocab, slow_server):
    _Slow.delay = 3.0
    try:
        path = _catalog(tmp_path, [[f"{slow_server}/r{r}-{i}.jpg"] for r in range(40) for i in range(1)])
        started = time.monotonic()
        raw = read_catalog(path, CatalogConfig(allow_private_image_urls=True, ingest_deadline_s=1.0))
        assert time.monotonic() - started < 2.5
    finally:
        _Slow.delay = 1.0
    errors = {b["error"] for row in raw.column("image_blobs").to_pylist() for b in row}
    assert errors == {"not loaded: the catalog's images took longer than catalog.ingest_deadline_s (1 s)"}

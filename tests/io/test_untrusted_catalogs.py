"""Issue #11: what an untrusted catalog's image references may reach, built per test in a temp folder.

Links, FIFOs and device files cannot be committed to tests/data/bad, and URLs need a live
server, so these catalogs are made here; each keeps two good rows that must still be ingested.
"""

import http.server
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.config import CatalogConfig, IngestConfig, load_config
from pipelines.io.catalog_reader import read_catalog
from pipelines.runners.local import run_build
from pipelines.stages.ingest import IngestParams, validate_catalog

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
GOOD = [{"product_id": "g1", "category": "Tshirts", "title": "Nike Men Red Striped Tshirt", "images": ["images/good1.jpg"]},
        {"product_id": "g2", "category": "Casual Shoes", "title": "Puma Men Black Sneakers", "images": ["images/good2.jpg"]}]


def _catalog(folder: Path, refs: list) -> Path:
    """A catalog in folder/: the two good rows, then one Tshirt row per ref (rows 3, 4, ...)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for name in ("good1.jpg", "good2.jpg"):
        shutil.copy(BAD / "images" / name, folder / "images" / name)
    rows = GOOD + [{"product_id": f"b{i}", "category": "Tshirts", "title": f"Brand Tshirt {i}", "images": [ref]}
                   for i, ref in enumerate(refs, 1)]
    path = folder / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _ingest(path: Path, vocab, **catalog) -> tuple[list[str], list[dict]]:
    result = validate_catalog(read_catalog(path, CatalogConfig(**catalog)), IngestParams(IngestConfig(), vocab))
    return sorted(result.outputs["products"].column("product_id").to_pylist()), result.rejects.to_pylist()


def _reasons(rejects: list[dict]) -> dict[int, str]:
    return {r["source_row"]: r["message"].rsplit("': ", 1)[1] for r in rejects if r["reason"] == "image_unavailable"}


def test_symlink_leaving_the_folder_is_refused_unless_its_root_is_listed(tmp_path, vocab):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(BAD / "images" / "good1.jpg", outside / "secret.jpg")
    folder = tmp_path / "cat"
    path = _catalog(folder, ["images/link.jpg", str(outside / "secret.jpg")])
    (folder / "images" / "link.jpg").symlink_to(outside / "secret.jpg")
    products, rejects = _ingest(path, vocab)
    assert products == ["g1", "g2"]
    assert all("outside the catalog's image folder" in m for m in _reasons(rejects).values()) and len(rejects) == 2
    products, rejects = _ingest(path, vocab, extra_image_roots=(str(outside),))
    assert products == ["b1", "b2", "g1", "g2"] and rejects == []


def test_fifo_directory_and_device_are_not_read(tmp_path, vocab):
    path = _catalog(tmp_path, ["images/pipe.jpg", "images", "/dev/zero", "/dev/zero"])
    os.mkfifo(tmp_path / "images" / "pipe.jpg")  # opening it for reading would wait for a writer forever
    started = time.monotonic()
    products, rejects = _ingest(path, vocab)
    assert products == ["g1", "g2"] and time.monotonic() - started < 10
    reasons = _reasons(rejects)
    assert reasons[3] == "image path is not a regular file (a FIFO)"
    assert reasons[4] == "image path is not a regular file (a directory)"
    assert "outside the catalog's image folder" in reasons[5]
    _, rejects = _ingest(path, vocab, extra_image_roots=("/dev",))  # even inside a listed root
    assert _reasons(rejects)[6] == "image path is not a regular file (a character device)"


class _Handler(http.server.BaseHTTPRequestHandler):
    body = (BAD / "images" / "good1.jpg").read_bytes()
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (stdlib name)
        route = {"/good.jpg": self._good, "/big": self._big, "/big-stream": self._big_stream, "/slow": self._slow,
                 "/loop": lambda: self._redirect("/loop"), "/to-good": lambda: self._redirect("/good.jpg")}
        route.get(self.path, lambda: self.send_error(404))()

    def _headers(self, length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()

    def _good(self):
        self._headers(len(self.body))
        self.wfile.write(self.body)

    def _big(self):  # declares its size: refused before the body is read
        self._headers(200_000)
        self.wfile.write(b"\xff" * 200_000)

    def _big_stream(self):  # no Content-Length: refused while streaming
        self._headers(None)
        for _ in range(50):
            self.wfile.write(b"\xff" * 10_000)

    def _slow(self):  # a byte every 0.2 s: never trips a per-read timeout
        self._headers(1000)
        for _ in range(100):
            self.wfile.write(b"\xff")
            self.wfile.flush()
            time.sleep(0.2)

    def _redirect(self, where: str):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_caps_deadline_and_redirects(tmp_path, server, vocab):
    path = _catalog(tmp_path, [f"{server}/{p}" for p in ("big", "big-stream", "slow", "loop", "to-good", "good.jpg")])
    started = time.monotonic()
    products, rejects = _ingest(path, vocab, allow_private_image_urls=True, max_image_bytes=100_000,
                                image_url_deadline_s=1.0, image_url_max_redirects=2)
    assert time.monotonic() - started < 6, "the slow server must be cut off by the total deadline"
    assert products == ["b5", "b6", "g1", "g2"]
    reasons = _reasons(rejects)
    assert reasons[3] == reasons[4] == "cannot fetch image: body over 100000 bytes"
    assert reasons[5] == "cannot fetch image: no complete answer within 1 s"
    assert reasons[6] == "cannot fetch image: more than 2 redirects"


def test_loopback_and_private_urls_are_refused_by_default(tmp_path, server, vocab):
    refs = [f"{server}/good.jpg", "http://10.0.0.1/a.jpg", "http://169.254.169.254/latest", "http://[::1]/a.jpg",
            "ftp://example.com/a.jpg"]
    products, rejects = _ingest(_catalog(tmp_path, refs), vocab)
    assert products == ["g1", "g2"]
    reasons = _reasons(rejects)
    assert all("loopback, link-local, private or reserved" in reasons[row] for row in (3, 4, 5, 6))
    assert reasons[7] == "cannot fetch image: only http(s) URLs with a host are allowed"


def test_two_identical_runs_write_byte_identical_rejects(tmp_path):
    path = _catalog(tmp_path / "cat", ["images", "../../etc/passwd", "http://[::1", "x\x00.jpg", "../catalog.jsonl"])
    shutil.copy(BAD / "make_corpus.py", tmp_path / "cat" / "images" / "not_an_image.jpg")
    with path.open("a") as fh:
        fh.write(json.dumps({**GOOD[0], "product_id": "b9", "images": ["images/not_an_image.jpg"]}) + "\n")
    files = []
    for run in ("one", "two"):
        report = run_build(path, tmp_path / run, load_config(), run_id="r", progress=False)
        files.append((report.run_dir / "ingest" / "rejects.parquet").read_bytes())
    assert files[0] == files[1]
    messages = pq.read_table(tmp_path / "one" / "r" / "ingest" / "rejects.parquet").column("message").to_pylist()
    assert len(messages) == 6 and not any(" at 0x" in m for m in messages)


@pytest.mark.parametrize("address,public", [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False),
    ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False), ("fe80::1%eth0", False),
    ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False), ("::ffff:127.0.0.1", False),
    ("64:ff9b::7f00:1", False), ("2002:7f00:1::", False), ("fc00::1", False),
])
def test_which_addresses_count_as_public(address, public):
    from pipelines.io.url_guard import is_public as _is_public

    assert _is_public(address) is public

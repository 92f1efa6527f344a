"""Red-team pass on untrusted catalogs: image paths and URLs, hostile images, structural text.

Rule under test: catalog content is data, never structure (not a placeholder, not a chat role, not a
path outside the catalog folder); a bad row is a reject naming file, row and field, good rows stay.
Every catalog here keeps two good rows (g1, g2) that must survive; a "secret" valid JPEG sits just
outside the catalog folder, so a path that reached it would turn its row into an accepted product.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.config import CatalogConfig, IngestConfig
from pipelines.errors import CatalogError
from pipelines.images import ImageRejected, normalise_image
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog
from pipelines.text.structure import first_structural_field, structural_text
from tests.conftest import jpeg_bytes

GOOD = [{"product_id": "g1", "category": "Tshirts", "title": "Nike Men Red Striped Tshirt", "images": ["images/good1.jpg"]},
        {"product_id": "g2", "category": "Casual Shoes", "title": "Puma Men Black Sneakers", "images": ["images/good2.jpg"]}]


def _folder(tmp_path: Path) -> Path:
    """tmp/cat/ with images/good1.jpg, good2.jpg; tmp/secret.jpg and tmp/outside/secret.jpg are outside it."""
    folder = tmp_path / "cat"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "images" / "good1.jpg").write_bytes(jpeg_bytes((200, 30, 30)))
    (folder / "images" / "good2.jpg").write_bytes(jpeg_bytes((20, 30, 30)))
    (tmp_path / "outside").mkdir(exist_ok=True)
    for secret in (tmp_path / "secret.jpg", tmp_path / "outside" / "secret.jpg"):
        secret.write_bytes(jpeg_bytes((1, 2, 3)))
    return folder


def _jsonl(folder: Path, bad_rows: list[dict], name: str = "catalog.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GOOD + bad_rows), encoding="utf-8")
    return path


def _image_rows(refs: list) -> list[dict]:
    return [{"product_id": f"b{i}", "category": "Tshirts", "title": f"Brand Tshirt {i}", "images": [ref]}
            for i, ref in enumerate(refs, 1)]


def _ingest(path: Path, vocab, ingest: IngestConfig | None = None, **catalog):
    return validate_catalog(read_catalog(path, CatalogConfig(**catalog)), IngestParams(ingest or IngestConfig(), vocab))


def _ids(result) -> list[str]:
    return sorted(result.outputs["products"].column("product_id").to_pylist())


def _by_row(result) -> dict[int, dict]:
    return {r["source_row"]: r for r in result.rejects.to_pylist()}


# ---- image paths --------------------------------------------------------------------------------


def _path_attacks(tmp_path: Path) -> list[str]:
    secret = str(tmp_path / "secret.jpg")
    return [
        "../secret.jpg", "images/../../secret.jpg", "./images/./../../secret.jpg",
        "%2e%2e/secret.jpg", "%2E%2E%2Fsecret.jpg", "..%2fsecret.jpg", "images/%2e%2e/%2e%2e/secret.jpg",
        "..\\secret.jpg", "images\\..\\..\\secret.jpg", "images/..\\../secret.jpg", ".\\../secret.jpg",
        secret, "/" + secret, secret.replace("/", "\\"),
        "~/secret.jpg", "~root/secret.jpg", "$HOME/secret.jpg",
        f"file://{secret}", f"file:{secret}", f"FILE://{secret}", f"file://localhost{secret}", f"jar:file://{secret}!/",
        f"\\\\localhost\\{secret}", f"\\\\?\\{secret}", f"//localhost{secret}",
        "images/good1.jpg\x00../../secret.jpg",
        "./" * 3000 + "../secret.jpg", "a" * 300 + "/../../secret.jpg", "images/" + "x" * 5000 + ".jpg",
        "\uff0e\uff0e/secret.jpg", "images/\u202e..\u202c/../secret.jpg", "images/.\u200b./../secret.jpg",
        "\u2025/secret.jpg",  # one-dot leader pair
        "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes((1, 2, 3))).decode(),
    ]


def test_traversal_in_every_spelling_never_reads_outside(tmp_path, vocab, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # "~" expanded would reach tmp/secret.jpg
    folder = _folder(tmp_path)
    refs = _path_attacks(tmp_path)
    result = _ingest(_jsonl(folder, _image_rows(refs)), vocab)
    assert _ids(result) == ["g1", "g2"], "a path reached the secret image outside the catalog folder"
    rejects = _by_row(result)
    assert sorted(rejects) == list(range(3, 3 + len(refs)))
    for row, reject in rejects.items():
        assert (reject["reason"], reject["field"]) == ("image_unavailable", "images"), (refs[row - 3], reject)
        assert str(folder / "catalog.jsonl") in reject["message"] and f"row {row}" in reject["message"]


def test_symlinked_directory_and_link_chains_are_confined(tmp_path, vocab):
    folder = _folder(tmp_path)
    (folder / "images" / "linkdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (folder / "images" / "up").symlink_to("..", target_is_directory=True)  # images/up -> cat/ (inside)
    (folder / "images" / "hop2").symlink_to(tmp_path / "secret.jpg")
    (folder / "images" / "hop1").symlink_to("hop2")  # inside -> inside -> outside
    (folder / "images" / "dangling").symlink_to(tmp_path / "gone.jpg")
    (folder / "images" / "inner").symlink_to("good1.jpg")  # a link staying inside is fine
    refs = ["images/linkdir/secret.jpg", "images/up/../secret.jpg", "images/up/up/../secret.jpg",
            "images/hop1", "images/dangling", "images/inner"]
    result = _ingest(_jsonl(folder, _image_rows(refs)), vocab)
    assert _ids(result) == ["b6", "g1", "g2"]
    assert {r["reason"] for r in _by_row(result).values()} == {"image_unavailable"}
    assert sorted(_by_row(result)) == [3, 4, 5, 6, 7]


def test_csv_and_parquet_image_refs_are_confined_too(tmp_path, vocab):
    folder = _folder(tmp_path)
    bad = ["../secret.jpg", "images/good1.jpg;../secret.jpg", '["../secret.jpg"]', "images/good1.jpg|/etc/passwd"]
    csv_path = folder / "catalog.csv"
    lines = ["product_id,category,title,images"] + [f"{r['product_id']},{r['category']},{r['title']},{r['images'][0]}"
                                                     for r in GOOD]
    lines += [f'b{i},Tshirts,Brand Tshirt {i},"{ref.replace(chr(34), chr(34) * 2)}"' for i, ref in enumerate(bad, 1)]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pq_path = folder / "catalog.parquet"
    pq.write_table(pa.Table.from_pylist(GOOD + _image_rows(["../secret.jpg", str(tmp_path / "secret.jpg")])),
                   pq_path)
    for path, good_extra in ((csv_path, ["b2", "b4"]), (pq_path, [])):
        result = _ingest(path, vocab)
        # b2 and b4 keep their good first image; the escaping second one is dropped with its own reject
        assert _ids(result) == sorted(["g1", "g2", *good_extra])
        assert all(r["field"] == "images" and r["reason"] == "image_unavailable" for r in result.rejects.to_pylist())
        secret_id = normalise_image(jpeg_bytes((1, 2, 3)), max_pixels=10**7, max_side=512, quality=90).image_id
        assert secret_id not in result.outputs["images"].column("image_id").to_pylist()


# ---- image URLs ---------------------------------------------------------------------------------


class _Counting(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str] = []
    body = jpeg_bytes((9, 9, 9))

    def do_GET(self):  # noqa: N802 (stdlib name)
        type(self).hits.append(f"{self.headers.get('Host')}{self.path}")
        if self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/to/"):].replace("PORT", str(self.server.server_address[1])))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    _Counting.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_loopback_in_every_notation_is_refused_without_a_request(tmp_path, vocab, counting_server):
    p = counting_server
    refs = [f"http://{host}:{p}/a.jpg" for host in (
        "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "127.0.1", "0", "0.0.0.0",
        "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:0:0:1]", "[::1]", "[::]", "localhost", "localhost.",
        "LOCALHOST", "LocalHost.", "evil.example@127.0.0.1", "127.0.0.1%2e", "127.0.0.1.", "[::ffff:0:7f00:1]")]
    refs += [f"HTTP://127.0.0.1:{p}/a.jpg", f"http:\\\\127.0.0.1:{p}\\a.jpg", f"http:/127.0.0.1:{p}/a.jpg",
             f"http:127.0.0.1:{p}/a.jpg", f"//127.0.0.1:{p}/a.jpg", f"https://127.0.0.1:{p}/a.jpg",
             f"gopher://127.0.0.1:{p}/_GET", f"dict://127.0.0.1:{p}/", f" http://127.0.0.1:{p}/a.jpg",
             f"http://127.0.0.1:{p}\\@example.com/a.jpg", "http://169.254.169.254/latest/meta-data",
             "http://[fd00:ec2::254]/latest", "http://metadata.google.internal./"]
    result = _ingest(_jsonl(_folder(tmp_path), _image_rows(refs)), vocab)
    assert _Counting.hits == [], "a private-address URL was fetched"
    assert _ids(result) == ["g1", "g2"]
    assert sorted(_by_row(result)) == list(range(3, 3 + len(refs)))
    assert {r["reason"] for r in result.rejects.to_pylist()} == {"image_unavailable"}


def test_redirect_to_a_private_address_or_another_scheme_is_refused(tmp_path, vocab, counting_server, monkeypatch):
    # Only 127.0.0.1 counts as public here, so the first hop is allowed and 127.0.0.2 plays the private host.
    import pipelines.io.image_source as image_source
    import pipelines.io.url_guard as url_guard

    monkeypatch.setattr(image_source, "is_public", lambda a: a == "127.0.0.1")
    monkeypatch.setattr(url_guard, "is_public", lambda a: a == "127.0.0.1")
    p = counting_server
    refs = [f"http://127.0.0.1:{p}/to/http://127.0.0.2:PORT/a.jpg", f"http://127.0.0.1:{p}/to///127.0.0.2:PORT/a.jpg",
            f"http://127.0.0.1:{p}/to/file:///etc/passwd", f"http://127.0.0.1:{p}/to/http://[::1]:PORT/a.jpg",
            f"http://127.0.0.1:{p}/ok.jpg"]
    result = _ingest(_jsonl(_folder(tmp_path), _image_rows(refs)), vocab)
    assert not any(h.startswith(("127.0.0.2", "[::1]")) for h in _Counting.hits), _Counting.hits
    assert _ids(result) == ["b5", "g1", "g2"]
    assert sorted(_by_row(result)) == [3, 4, 5, 6]


# ---- hostile images -----------------------------------------------------------------------------


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **kw)
    return out.getvalue()


def _gif_bomb() -> bytes:
    data = bytearray(_save(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = b"\xff\xff\xff\xff"  # logical screen 65535x65535
    return bytes(data)


def _png_bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 10_000)) + chunk(b"IEND", b""))


def _text_bomb() -> bytes:  # a small PNG whose zTXt chunk inflates to 100 MB
    import struct
    import zlib

    png = _save(Image.new("RGB", (4, 4), "red"), "PNG")
    body = b"Comment\0\0" + zlib.compress(b"A" * 100_000_000, 9)
    ztxt = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    return png[:33] + ztxt + png[33:]


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "green", "blue")]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50, loop=0)


def _eps() -> bytes:
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n"
            b"(/etc/passwd) (r) file pop\nshowpage\n")


def _rotated_tall() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: the stored 2000x100 is shown as 100x2000
    return _save(Image.new("RGB", (2000, 100), "red"), "JPEG", exif=exif)


def _polyglot_gif() -> bytes:  # a real GIF that is also HTML with a script
    return _save(Image.new("RGB", (8, 8), "red"), "GIF", comment=b"<script>alert(1)</script><svg onload=alert(1)>")


IMAGE_ATTACKS = [  # (name, bytes, accepted?)
    ("gif_bomb", _gif_bomb(), False),
    ("png_bomb", _png_bomb(), False),
    ("png_ztxt_bomb", _text_bomb(), False),  # Pillow stops inflating text at MAX_TEXT_CHUNK: rejected, bounded
    ("animated_gif", _animated("GIF"), True),
    ("animated_webp", _animated("WEBP"), True),
    ("cmyk_jpeg", _save(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"), True),
    ("rgb16_png", _save(Image.new("I;16", (16, 16), 40000), "PNG"), True),
    ("palette_trns", _save(Image.new("P", (16, 16), 0), "PNG", transparency=0), True),
    ("truncated_png", _save(Image.new("RGB", (64, 64), "red"), "PNG")[:60], False),
    ("html_as_jpg", b"<!doctype html><script>alert(1)</script>", False),
    ("svg_as_jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><image href="file:///etc/passwd"/></svg>',
     False),
    ("eps_as_jpg", _eps(), False),  # Pillow hands EPS to Ghostscript: never open it
    ("ico_as_jpg", _save(Image.new("RGB", (16, 16), "red"), "ICO"), False),
    ("pdf_as_jpg", _save(Image.new("RGB", (16, 16), "red"), "PDF"), False),
    ("exif_rotated_tall", _rotated_tall(), True),
    ("gif_html_polyglot", _polyglot_gif(), True),
]


def test_hostile_images_are_rejected_or_reencoded_inert(tmp_path, vocab):
    folder = _folder(tmp_path)
    for name, data, _ in IMAGE_ATTACKS:
        (folder / "images" / f"{name}.jpg").write_bytes(data)
    result = _ingest(_jsonl(folder, _image_rows([f"images/{n}.jpg" for n, _, _ in IMAGE_ATTACKS])), vocab)
    accepted = {f"b{i}" for i, (_, _, ok) in enumerate(IMAGE_ATTACKS, 1) if ok}
    assert _ids(result) == sorted(accepted | {"g1", "g2"})
    for row, reject in _by_row(result).items():
        assert reject["field"] == "images" and f"row {row}" in reject["message"], reject
        assert reject["reason"] in {"image_too_large", "image_truncated", "image_unreadable"}, reject
    for image in result.outputs["images"].to_pylist():
        assert image["bytes"][:2] == b"\xff\xd8" and b"<script" not in image["bytes"]  # re-encoded JPEG only
        assert max(image["width"], image["height"]) <= IngestConfig().max_side
    products = {p["product_id"]: p["image_ids"][0] for p in result.outputs["products"].to_pylist()}
    images = {i["image_id"]: i for i in result.outputs["images"].to_pylist()}
    tall = images[products[f"b{[n for n, _, _ in IMAGE_ATTACKS].index('exif_rotated_tall') + 1}"]]
    assert (tall["width"], tall["height"]) == (26, 512) or tall["height"] == 512 and tall["width"] < 30


def test_only_photo_formats_are_decoded():
    """EPS (Ghostscript), ICO, PDF and other exotic decoders are never reached from catalog bytes."""
    for name in ("eps_as_jpg", "ico_as_jpg"):
        data = dict((n, d) for n, d, _ in IMAGE_ATTACKS)[name]
        with pytest.raises(ImageRejected) as info:
            normalise_image(data, max_pixels=10**7, max_side=512, quality=90)
        assert info.value.reason == "image_unreadable"
        assert "unknown or unsupported image format" in info.value.message


# ---- structural text ----------------------------------------------------------------------------


@pytest.mark.parametrize("text,reason", [
    ("＜image_1＞", "placeholder_text"), ("<IMAGE_1>", "placeholder_text"), ("<image\u200b_1>", "placeholder_text"),
    ("<ima\u00adge_1>", "placeholder_text"), ("﹤image_1﹥", "placeholder_text"), ("< image 1 >", "placeholder_text"),
    ("&lt;image_1&gt;", "placeholder_text"), ("&#60;image_1&#62;", "placeholder_text"),
    ("&#x3C;image_2&#x3E;", "placeholder_text"), ("&LT;Image_1&GT;", "placeholder_text"),
    ("&amp;lt;image_1&amp;gt;", "placeholder_text"),
    ("‹image_1›", "placeholder_text"), ("〈image_1〉", "placeholder_text"), ("⟨image_1⟩", "placeholder_text"),
    ("<|im_start|>system", "role_marker_text"), ("<|endoftext|>", "role_marker_text"), ("[INST] hi", "role_marker_text"),
    ("[/INST]", "role_marker_text"), ("<<SYS>>", "role_marker_text"), ("<start_of_turn>user", "role_marker_text"),
    ("<｜begin▁of▁sentence｜>", "role_marker_text"), ("&lt;|im_start|&gt;", "role_marker_text"),
    ("<s>[INST]", "role_marker_text"), ("[SYSTEM_PROMPT]", "role_marker_text"), ("</eos>", "role_marker_text"),
    ("[TOOL_CALLS]", "role_marker_text"), ("<eos>", "role_marker_text"),
])
def test_structural_look_alikes_are_caught(text, reason):
    found = structural_text(f"Cotton tee {text} red")
    assert found is not None and found[0] == reason, found


@pytest.mark.parametrize("text", [
    "{{ 7*7 }}", "{% raw %}x{% endraw %}", "{0.__class__}", "${7*7}", "#{7*7}", "%s%n", "Size < 10 and > 5",
    "AT&T tee", "Tom & Jerry &amp; friends", "[SALE] 50% off", "<b>bold</b> & <br>", "a | b | c", "Men's 100% cotton",
    "\u202eevil\u202c", "emoji 👕", "ใส่สบาย", "Áo thun nữ",
    "<s>Rs. 999</s> Rs. 799",  # HTML strikethrough, common in scraped descriptions: a product, not a chat token
])
def test_ordinary_or_inert_text_is_not_structure(text):
    assert structural_text(text) is None


def test_deeply_nested_attributes_are_one_reject_naming_the_field(tmp_path, vocab):
    folder = _folder(tmp_path)
    nested: object = "x"
    for _ in range(900):
        nested = {"k": nested}
    lines = [json.dumps(r) for r in GOOD] + [
        '{"product_id": "b1", "category": "Tshirts", "title": "Tee", "images": ["images/good1.jpg"], "attributes": '
        + json.dumps(nested) + "}"]
    path = folder / "catalog.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = _ingest(path, vocab)
    assert _ids(result) == ["g1", "g2"]
    reject = _by_row(result)[3]
    assert reject["field"] == "attributes" and "row 3" in reject["message"], reject
    assert first_structural_field({"a": nested}) is None  # the walk itself survives any depth


def test_overlong_attribute_value_is_rejected_naming_it(tmp_path, vocab):
    folder = _folder(tmp_path)
    path = _jsonl(folder, [{**GOOD[0], "product_id": "b1", "attributes": {"brand": "N" * 200_000}},
                           {**GOOD[0], "product_id": "b2", "attributes": {"x" * 5000: "Nike"}}])
    result = _ingest(path, vocab)
    assert _ids(result) == ["g1", "g2"]
    rejects = _by_row(result)
    assert (rejects[3]["reason"], rejects[3]["field"]) == ("field_too_long", "attributes")
    assert "'brand'" in rejects[3]["message"] and "row 3" in rejects[3]["message"]
    assert (rejects[4]["reason"], rejects[4]["field"]) == ("field_too_long", "attributes")


def test_jinja_and_format_syntax_stays_literal_in_llm_prompts():
    from pipelines.llm.prompts import load_prompt, render_messages

    title = "{{ 7*7 }} {% raw %} {0.__class__} <|im_start|>x \x00img0\x00 ${7*7}"
    messages = render_messages(load_prompt("mine_attributes"), {
        "title": title, "category": "tshirts", "images": [], "options": {"brand": None}})
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert isinstance(user, str), "a NUL-delimited image mark in catalog text must not become an image part"
    assert "{{ 7*7 }} {% raw %} {0.__class__}" in user and "49" not in user and "img0" in user


# ---- reading: encodings, line ends, CSV quirks ---------------------------------------------------


def _csv(folder: Path, body: bytes, name: str = "catalog.csv") -> Path:
    path = folder / name
    head = b"product_id,category,title,images\n"
    good = b"g1,Tshirts,Nike Men Red Striped Tshirt,images/good1.jpg\ng2,Casual Shoes,Puma Men Black Sneakers,images/good2.jpg\n"
    path.write_bytes(head + good + body)
    return path


def test_csv_quoted_newline_crlf_and_latin1_rows(tmp_path, vocab):
    folder = _folder(tmp_path)
    body = (b'b1,Tshirts,"Two\nline <image_1> title",images/good1.jpg\r\n'
            b"b2,Tshirts,Caf\xe9 tee,images/good1.jpg\r\n"  # Latin-1 byte
            b'b3,Tshirts,"=HYPERLINK(""http://x"",""y"")",images/good1.jpg\r\n'
            b"b4,Tshirts,Tee\x00with NUL,images/good1.jpg\n"
            b"b5,Tshirts,Fine tee,images/good1.jpg\n")
    result = _ingest(_csv(folder, body), vocab)
    rejects = _by_row(result)
    assert (rejects[3]["reason"], rejects[3]["field"]) == ("placeholder_text", "title")
    assert rejects[4]["reason"] == "unreadable_row" and "'title'" in rejects[4]["message"]
    assert {"g1", "g2", "b3", "b5"} <= set(_ids(result))  # formula text is data here; b5 after the quirks survives
    titles = {p["product_id"]: p["title"] for p in result.outputs["products"].to_pylist()}
    assert titles["b3"].startswith("=HYPERLINK")


def test_csv_cell_over_the_field_limit_is_one_reject_not_a_traceback(tmp_path, vocab):
    import csv

    old = csv.field_size_limit()
    csv.field_size_limit(1000)  # the reader's 64 MiB limit, scaled down
    try:
        path = _csv(_folder(tmp_path), b"b1,Tshirts," + b"x" * 5000 + b",images/good1.jpg\nb2,Tshirts,Tee,images/good1.jpg\n")
        result = _ingest(path, vocab)
    finally:
        csv.field_size_limit(old)
    assert _ids(result) == ["b2", "g1", "g2"]
    reject = _by_row(result)[3]
    assert reject["reason"] == "unreadable_row" and "field larger than field limit" in reject["message"]
    assert str(path) in reject["message"] and "row 3" in reject["message"]
    big_header = _folder(tmp_path) / "big_header.csv"
    big_header.write_text("product_id,category,title," + "h" * 5000 + "\n")
    csv.field_size_limit(1000)
    try:
        with pytest.raises(CatalogError, match="big_header.csv: cannot parse the CSV header"):
            read_catalog(big_header, CatalogConfig())
    finally:
        csv.field_size_limit(old)


def test_jsonl_bom_crlf_latin1_and_utf16(tmp_path, vocab):
    folder = _folder(tmp_path)
    lines = [json.dumps(r).encode() for r in GOOD]
    bad = b'{"product_id": "b1", "category": "Tshirts", "title": "Caf\xe9", "images": ["images/good1.jpg"]}'
    path = folder / "catalog.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join([*lines, bad]) + b"\r\n")
    result = _ingest(path, vocab)
    assert _ids(result) == ["g1", "g2"] and _by_row(result)[3]["reason"] == "unreadable_row"
    utf16 = folder / "utf16.csv"
    utf16.write_bytes("product_id,category,title,images\ng1,Tshirts,Tee,images/good1.jpg\n".encode("utf-16"))
    with pytest.raises(CatalogError, match="utf16.csv"):
        read_catalog(utf16, CatalogConfig())


def test_confusable_duplicate_ids(tmp_path, vocab):
    folder = _folder(tmp_path)
    rows = [{**GOOD[0], "product_id": pid} for pid in ("Ｇ1", "G1 ", "g\u200b1", "g1\u0000", "\u202eg1")]
    result = _ingest(_jsonl(folder, rows), vocab)
    assert _ids(result) == ["g1", "g2"]
    reasons = [(r["source_row"], r["reason"]) for r in result.rejects.to_pylist()]
    assert reasons == [(3, "duplicate_id"), (4, "duplicate_id"), (5, "invalid_value"), (6, "invalid_value"),
                       (7, "invalid_value")]


# ---- outputs: rating sheet ------------------------------------------------------------------------


def test_rating_sheet_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    import csv
    import importlib.util

    spec = importlib.util.spec_from_file_location("rate_queries", Path(__file__).resolve().parents[2] / "benchmarks"
                                                  / "rate_queries.py")
    rate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rate)
    evil = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    rows = [{"query_id": f"q{i}", "language": "en", "text": t, "source_text_en": t, "provenance": {"template_id": "t"},
             "conditions": [{"attribute": "brand", "value": t, "carried_by": "text"}]} for i, t in enumerate(evil)]
    out = tmp_path / "sheet.tsv"
    rate.write_sheet(rows, out)
    with out.open(encoding="utf-8", newline="") as fh:
        cells = [v for row in csv.DictReader(fh, delimiter="\t") for v in row.values()]
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]
    assert os.path.getsize(out) > 0


# ---- outputs: data card and MERIT layout ---------------------------------------------------------

EVIL = '| x |\n## Pwned ](javascript:alert(1)) <script>alert(1)</script> =HYPERLINK("http://x") {{ 7*7 }}'
# Issue #24: a bidi override is a control character now, rejected at ingest (no longer exported as given).
BIDI = "\u202e"


def test_catalog_text_never_becomes_card_markup(tmp_path):
    """Titles and brands full of Markdown/HTML/template syntax: the card holds none of it, the MERIT
    query lines stay one JSON object each, and the text that is exported is the text as given."""
    from pipelines.config import load_config
    from pipelines.resources import DEMO_DIR
    from pipelines.runners.local import run_build

    rows = [json.loads(line) for line in (DEMO_DIR / "catalog.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in rows:
        if r["title"].startswith("Nike"):
            r["attributes"]["brand"] = f"Nike {EVIL}"
        if int(r["product_id"]) % 7 == 0:
            r["title"] = f"{r['title']} {EVIL}"
        elif int(r["product_id"]) % 11 == 0:
            r["title"] = f"{r['title']} {BIDI}"
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    overrides = {"compose.max_queries": 60, "catalog.images_dir": str(DEMO_DIR)}
    report = run_build(catalog, tmp_path / "out", load_config(None, overrides), run_id="r", progress=False)
    export = report.run_dir / "export"
    card = (export / "README.md").read_text(encoding="utf-8")
    for bad in ("<script", "javascript:", "Pwned", "HYPERLINK", "{{ 7*7 }}", "\u202e"):
        assert bad not in card, bad
    products = pq.read_table(next((export / "data" / "products").glob("*.parquet"))).to_pylist()
    # #24: bidi overrides (U+202E) are control characters ingest strips; the rest is exported as given
    assert any(EVIL.replace("\u202e", "").rstrip() in p["title"] for p in products), "evil titles are inert data, exported as given"
    for path in (export / "merit").glob("queries-*.json"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert isinstance(json.loads(line), dict)


def test_a_row_listing_too_many_images_is_refused_before_loading(tmp_path, vocab, counting_server):
    folder = _folder(tmp_path)
    many_local = {**GOOD[0], "product_id": "b1", "images": ["images/good1.jpg"] * 50_000}
    many_urls = {**GOOD[0], "product_id": "b2", "images": [f"http://127.0.0.1:{counting_server}/{i}.jpg"
                                                            for i in range(40)]}
    result = _ingest(_jsonl(folder, [many_local, many_urls]), vocab, allow_private_image_urls=True)
    assert _ids(result) == ["g1", "g2"] and _Counting.hits == []
    for row in (3, 4):
        reject = _by_row(result)[row]
        assert "field 'images' lists" in reject["message"] and f"row {row}" in reject["message"]
        assert reject["record_id"] == f"b{row - 2}"

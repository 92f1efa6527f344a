"""The bad-input corpus (tests/data/bad): a clear message naming file, row and field, good rows kept."""

import http.server
import threading
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from pipelines.config import CatalogConfig, IngestConfig, load_config
from pipelines.errors import CatalogError
from pipelines.io.catalog_reader import read_catalog
from pipelines.runners.local import run_build
from pipelines.stages.ingest import IngestParams, validate_catalog

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

CASES = [
    ("truncated_jpeg.jsonl", 3, "image_truncated", "images"),
    ("zero_byte_image.jsonl", 3, "image_empty", "images"),
    ("decompression_bomb.jsonl", 3, "image_too_large", "images"),
    ("duplicate_ids.jsonl", 3, "duplicate_id", "product_id"),
    ("long_title.jsonl", 3, "field_too_long", "title"),
    ("unknown_category.jsonl", 3, "unknown_category", "category"),
    ("non_utf8.csv", 3, "unreadable_row", None),
]


def _ingest(path, vocab, **catalog):
    return validate_catalog(read_catalog(path, CatalogConfig(**catalog)), IngestParams(IngestConfig(), vocab))


def _check(result, path, row, reason, field):
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    rejects = [r for r in result.rejects.to_pylist() if r["source_row"] == row]
    assert [(r["reason"], r["field"]) for r in rejects] == [(reason, field)]
    message = rejects[0]["message"]
    assert str(path) in message and f"row {row}" in message
    if field:
        assert repr(field) in message


@pytest.mark.parametrize("name,row,reason,field", CASES, ids=[c[0] for c in CASES])
def test_bad_row_is_reported_and_good_rows_kept(name, row, reason, field, vocab):
    path = BAD / name
    _check(_ingest(path, vocab), path, row, reason, field)


def test_non_utf8_message_names_the_field(vocab):
    result = _ingest(BAD / "non_utf8.csv", vocab)
    assert "'title' is not valid UTF-8" in result.rejects.to_pylist()[0]["message"]


def test_wrong_types_each_rejected_with_their_field(vocab):
    result = _ingest(BAD / "wrong_types.jsonl", vocab)
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    got = {(r["source_row"], r["reason"], r["field"]) for r in result.rejects.to_pylist()}
    assert got == {(3, "wrong_type", "title"), (4, "wrong_type", "attributes"), (5, "wrong_type", "category")}


def test_bom_csv_reads_every_row(vocab):
    result = _ingest(BAD / "bom.csv", vocab)
    assert result.outputs["products"].num_rows == 2 and result.rejects.num_rows == 0


def test_missing_required_column_fails_once_naming_it(vocab):
    with pytest.raises(CatalogError, match=r"missing_columns.csv: header row lacks required column\(s\) 'title'"):
        _ingest(BAD / "missing_columns.csv", vocab)


@pytest.fixture
def image_server():
    """A local HTTP server that serves good1.jpg at /good.jpg and 404 for everything else."""
    body = (BAD / "images" / "good1.jpg").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (stdlib name)
            if self.path == "/good.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_image_url_that_404s(tmp_path, image_server, vocab):
    text = (BAD / "url_404.jsonl.tmpl").read_text().replace("{BASE}", image_server)
    text = text.replace("images/good1.jpg", f"{image_server}/good.jpg", 1)  # one good row loads by URL
    path = tmp_path / "url_404.jsonl"
    path.write_text(text)
    (tmp_path / "images").mkdir()
    for name in ("good1.jpg", "good2.jpg"):
        (tmp_path / "images" / name).write_bytes((BAD / "images" / name).read_bytes())
    result = _ingest(path, vocab, allow_private_image_urls=True)  # the test server is on loopback
    _check(result, path, 3, "image_unavailable", "images")
    assert "HTTP 404" in result.rejects.to_pylist()[0]["message"]


def test_every_good_row_is_exported_by_a_full_build(tmp_path):
    report = run_build(BAD / "duplicate_ids.jsonl", tmp_path, load_config(), run_id="bad", progress=False)
    products = pads.dataset(report.run_dir / "export" / "data" / "products", format="parquet").to_table()
    assert sorted(products.column("product_id").to_pylist()) == ["g1", "g2"]
    rejects = pads.dataset(report.run_dir / "ingest" / "rejects.parquet").to_table().to_pylist()
    assert [r["reason"] for r in rejects] == ["duplicate_id"]


# Issue #11, untrusted catalogs: one bad row per file, with the words its reject message must hold.
UNTRUSTED = [
    ("path_absolute.jsonl", 3, "image_unavailable", "images", "outside the catalog's image folder"),
    ("path_dotdot.jsonl", 3, "image_unavailable", "images", "outside the catalog's image folder"),
    ("path_nul.jsonl", 3, "image_unavailable", "images", "contains a NUL byte"),
    ("url_invalid.jsonl", 3, "image_unavailable", "images", "invalid URL"),
    ("not_an_image.jsonl", 3, "image_unreadable", "images", "unknown or unsupported image format"),
    ("jsonl_line_separators.jsonl", 4, "unreadable_row", None, "invalid JSON"),  # line 3 is blank
    ("csv_json_attributes.csv", 3, "unreadable_row", None, "field 'attributes' is not valid JSON"),
]


@pytest.mark.parametrize("name,row,reason,field,words", UNTRUSTED, ids=[c[0] for c in UNTRUSTED])
def test_untrusted_row_is_reported_and_good_rows_kept(name, row, reason, field, words, vocab):
    path = BAD / name
    result = _ingest(path, vocab)
    _check(result, path, row, reason, field)
    message = result.rejects.to_pylist()[0]["message"]
    assert words in message and " at 0x" not in message


def test_line_separators_inside_json_strings_are_text(vocab):
    products = _ingest(BAD / "jsonl_line_separators.jsonl", vocab).outputs["products"].to_pylist()
    assert products[0]["title"] == "Nike Men Red\u2028Striped Tshirt"
    assert products[1]["description"] == "a\u2029b\u0085c" and products[1]["source_row"] == 2


def test_csv_attributes_column_is_parsed_as_json(vocab):
    products = _ingest(BAD / "csv_json_attributes.csv", vocab).outputs["products"].to_pylist()
    attrs = {p["product_id"]: {a["name"]: a["value"] for a in p["attributes"]} for p in products}
    assert attrs["g1"]["brand"] == "Nike" and attrs["g1"]["color"] == "Red" and attrs["g2"]["brand"] == "Puma"


def test_id_title_and_language_variants_are_rejected(vocab):
    result = _ingest(BAD / "id_variants.jsonl", vocab)
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    got = [(r["source_row"], r["reason"], r["field"]) for r in result.rejects.to_pylist()]
    assert got == [(3, "duplicate_id", "product_id"), (4, "duplicate_id", "product_id"), (5, "duplicate_id", "product_id"),
                   (6, "missing_field", "product_id"), (7, "missing_field", "product_id"),
                   (8, "invalid_value", "product_id"), (9, "invalid_value", "product_id"),
                   (10, "invalid_value", "product_id"), (11, "missing_field", "title"), (12, "invalid_value", "language")]
    assert "same as 'g1' ignoring case" in result.rejects.to_pylist()[1]["message"]


def test_csv_null_like_and_case_variant_ids(vocab):
    result = _ingest(BAD / "id_variants.csv", vocab)
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["casea", "g1", "g2"]
    got = [(r["source_row"], r["reason"]) for r in result.rejects.to_pylist()]
    assert got == [(3, "invalid_value"), (4, "invalid_value"), (5, "invalid_value"), (6, "missing_field"),
                   (8, "duplicate_id")]


@pytest.mark.parametrize("name,reason,fields", [
    ("placeholder_injection.jsonl", "placeholder_text",
     ["attributes.brand", "title", "description", "attributes.brand", "title", "attributes[0].value"]),
    ("role_injection.jsonl", "role_marker_text", ["description", "title", "attributes.brand", "description"]),
])
def test_catalog_text_that_reads_as_structure_is_rejected(name, reason, fields, vocab):
    result = _ingest(BAD / name, vocab)
    assert sorted(result.outputs["products"].column("product_id").to_pylist()) == ["g1", "g2"]
    rejects = result.rejects.to_pylist()
    assert [(r["source_row"], r["reason"], r["field"]) for r in rejects] == [
        (row, reason, field) for row, field in enumerate(fields, 3)]
    assert all(repr(r["field"]) in r["message"] and f"row {r['source_row']}" in r["message"] for r in rejects)


def test_image_modes_are_normalised(vocab):
    import io

    from PIL import Image

    result = _ingest(BAD / "image_modes.jsonl", vocab)
    assert result.rejects.num_rows == 0
    products = {p["product_id"]: p["image_ids"][0] for p in result.outputs["products"].to_pylist()}
    images = {i["image_id"]: Image.open(io.BytesIO(i["bytes"])) for i in result.outputs["images"].to_pylist()}
    grey16, rotated, *transparent = (images[products[f"m{i}"]] for i in range(1, 7))
    assert abs(grey16.getpixel((4, 4))[0] - 128) <= 2, "16-bit mid grey must stay mid grey"
    assert rotated.size == (40, 80), "EXIF orientation 6 turns the 80x40 pixels upright"
    for img in transparent:  # L+tRNS, RGBA, LA, P+transparency: all transparent black -> white
        assert min(img.getpixel((4, 4))) >= 250

"""Beam ingest equals the local ingest stage: duplicates, bad rows, Parquet row groups."""

import io
import json
import re
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.beam.adapter import REJECTS
from pipelines.beam.ingest import IngestCatalog
from pipelines.config import CatalogConfig, IngestConfig
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages.ingest import IngestParams, validate_catalog
from tests.beam.helpers import collect, read_rows
from tests.conftest import jpeg_bytes

REJECT_KEY = ("source_row", "reason", "field", "message", "record_id")


def _row(pid, **over):
    row = {"product_id": pid, "category": "Tshirts", "title": f"Brand Men Blue Tshirt {pid}", "images": [f"img/{pid}.jpg"]}
    row.update(over)
    return row


def _planted(tmp_path):
    """Bad rows of every kind, and duplicates whose first occurrence is itself rejected."""
    big = io.BytesIO()
    Image.new("RGB", (300, 300)).save(big, format="PNG")
    rows = [
        _row("g1"), _row("g2"), {"product_id": "m1", "category": "Tshirts", "images": ["img/m1.jpg"]},
        _row("w1", title=12345), _row("g1"), _row("u1"), _row("t1"), _row("z1"), _row("b1"),
        _row("c1", category="spaceships"), _row("c1"),  # first c1 rejected: the second is not a duplicate
        _row("g2", category="spaceships"),  # a later duplicate is duplicate_id whatever else is wrong
        _row(7), _row("7"), _row("s1", images=["img/g1.jpg", "img/missing.jpg"]),
    ]
    images = {"g1.jpg": jpeg_bytes(), "g2.jpg": jpeg_bytes((0, 0, 200)), "m1.jpg": jpeg_bytes(), "w1.jpg": jpeg_bytes(),
              "u1.jpg": b"not an image", "t1.jpg": jpeg_bytes()[:300], "z1.jpg": b"", "b1.jpg": big.getvalue(),
              "c1.jpg": jpeg_bytes((9, 9, 9)), "7.jpg": jpeg_bytes((1, 2, 3))}
    (tmp_path / "img").mkdir()
    for name, data in images.items():
        (tmp_path / "img" / name).write_bytes(data)
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    return path


def _beam_ingest(catalog, params, out, batch=2):
    with beam.Pipeline() as p:
        result = p | IngestCatalog(str(catalog), params, CatalogConfig(), groups_per_batch=batch, batch_rows=batch)
        for name in ("products", "images", REJECTS):
            collect(result[name], out / name, f"Collect_{name}")
    return {name: read_rows(out / name) for name in ("products", "images", REJECTS)}


def _local(catalog, params):
    result = validate_catalog(read_catalog(catalog, CatalogConfig()), params)
    return {"products": result.outputs["products"].to_pylist(), "images": result.outputs["images"].to_pylist(),
            REJECTS: result.rejects.to_pylist()}


def _assert_same(beam_out, local):
    key = ("source_file", "source_row")
    assert sorted(beam_out["products"], key=lambda r: [r[k] for k in key]) == local["products"]
    assert sorted(beam_out["images"], key=lambda r: r["image_id"]) == sorted(local["images"], key=lambda r: r["image_id"])
    assert _rejects(beam_out[REJECTS]) == _rejects(local[REJECTS])


def _rejects(rows):
    # Pillow names the BytesIO it failed on by address: the only part that differs between runs.
    return sorted(tuple(re.sub(r"0x[0-9a-f]+", "0x", str(r[k])) for k in REJECT_KEY) for r in rows)


def test_grouped_ingest_equals_the_local_stage_on_planted_bad_rows(tmp_path, vocab):
    catalog = _planted(tmp_path)
    params = IngestParams(IngestConfig(max_pixels=250 * 250), vocab)
    local = _local(catalog, params)
    assert {r["reason"] for r in local[REJECTS]} >= {"duplicate_id", "unknown_category", "image_unreadable"}
    _assert_same(_beam_ingest(catalog, params, tmp_path / "out"), local)


@pytest.mark.parametrize("row_group_size", [3, 100])
def test_parquet_catalog_is_read_by_row_group_with_global_row_numbers(tmp_path, vocab, row_group_size):
    rows = [{"product_id": f"p{i % 7}", "category": "Tshirts", "title": f"Brand Men Red Tshirt {i}",
             "image_bytes": [jpeg_bytes((i * 20 % 255, 0, 0))]} for i in range(10)]  # p0..p2 appear twice
    catalog = tmp_path / "catalog.parquet"
    pq.write_table(pa.Table.from_pylist(rows), catalog, row_group_size=row_group_size)
    params = IngestParams(IngestConfig(), vocab)
    local = _local(catalog, params)
    assert sum(r["reason"] == "duplicate_id" for r in local[REJECTS]) == 3
    _assert_same(_beam_ingest(catalog, params, tmp_path / "out"), local)


UNTRUSTED = ["id_variants.jsonl", "id_variants.csv", "placeholder_injection.jsonl", "path_dotdot.jsonl",
             "path_nul.jsonl", "jsonl_line_separators.jsonl"]


@pytest.mark.parametrize("name", UNTRUSTED)
def test_untrusted_catalogs_give_the_same_result_on_beam(tmp_path, vocab, name):
    """Issue #11 on Beam: case-variant ids meet in one group, refs stay confined, line numbers match."""
    catalog = Path(__file__).resolve().parents[1] / "data" / "bad" / name
    params = IngestParams(IngestConfig(), vocab)
    local = _local(catalog, params)
    assert local[REJECTS]
    _assert_same(_beam_ingest(catalog, params, tmp_path / "out", batch=3), local)

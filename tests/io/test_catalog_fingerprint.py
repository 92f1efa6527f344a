"""The catalog fingerprint (ingest's input digest) follows the catalog's bytes and every local image it names."""

import csv
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import CatalogConfig
from pipelines.io.catalog_reader import _iter_rows, _state_of, catalog_state, mapped_row

ROWS = [
    {"product_id": "1", "category": "shirts", "title": "Red shirt", "images": "img/a.jpg;img/b.jpg"},
    {"product_id": "2", "category": "shirts", "title": "Blue shirt", "images": '["img/b.jpg", "https://shop.example/c.jpg"]'},
    {"product_id": "3", "category": "shirts", "title": "Plain shirt", "images": ""},
    {"product_id": "4", "category": "shirts", "title": "Green shirt", "images": "img/d.jpg"},
]


def _write(folder, fmt: str) -> os.PathLike:
    (folder / "img").mkdir(exist_ok=True)
    for name in "abd":
        (folder / "img" / f"{name}.jpg").write_bytes(b"jpeg " + name.encode())
    path = folder / f"catalog.{fmt}"
    if fmt == "csv":
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
            writer.writeheader()
            writer.writerows(ROWS)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS) + "not json\n")
    else:
        pq.write_table(pa.Table.from_pylist([{**r, "price": 1.0} for r in ROWS]), path)
    return path


def _state_from_full_rows(path, cfg: CatalogConfig) -> tuple[str, bool]:
    """The fingerprint as the build read it before: every row mapped whole, its refs in row order."""
    return _state_of(path, cfg, (ref for _, row, error in _iter_rows(path, cfg) for ref in mapped_row(row, error, cfg)[1]))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_the_fingerprint_reads_only_image_refs_and_equals_the_full_row_walk(tmp_path, fmt):
    path, cfg = _write(tmp_path, fmt), CatalogConfig()
    state = catalog_state(path, cfg)
    assert state == _state_from_full_rows(path, cfg) and state[1] is True  # row 2 names a URL
    (tmp_path / "img" / "d.jpg").write_bytes(b"another photo, another size")  # the last row's image changes
    assert catalog_state(path, cfg)[0] != state[0]


def test_a_parquet_catalog_of_image_bytes_names_no_image_file(tmp_path):
    path = tmp_path / "catalog.parquet"
    pq.write_table(pa.table({"product_id": ["1"], "category": ["shirts"], "title": ["Red shirt"], "image_bytes": [[b"jpeg"]]}), path)
    fingerprint, urls = catalog_state(path, CatalogConfig())
    (tmp_path / "unrelated.jpg").write_bytes(b"x")
    assert catalog_state(path, CatalogConfig()) == (fingerprint, False)

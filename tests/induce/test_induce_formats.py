"""`meritgen vocab induce` sees the same unmapped flat columns in a Parquet catalog as in a CSV or JSONL one
(a build reads only the mapped Parquet columns; induce must also read the candidate attributes), without
reading image bytes, nested columns or long texts."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import CatalogConfig
from pipelines.io.catalog_reader import catalog_records, read_catalog
from pipelines.runners.cli import main


def _rows() -> list[dict]:
    rows = []
    for i in range(24):
        category = ["Kettles", "Toasters"][i % 2]
        rows.append({"product_id": f"p{i}", "category": category, "title": f"Acme {category} {i}",
                     "Finish": ["Matte", "Gloss", "Brushed Steel"][i % 3], "Capacity": ["1 L", "1.5 L"][(i // 2) % 2],
                     "Price": 10 + i})
    return rows


def _write(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{**r, "html": f"<p>{i} " + "long text " * 300 + "</p>"} for i, r in enumerate(rows)]  # no attribute
    with (folder / "catalog.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "catalog.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    # What a Parquet export also carries: image bytes, a list (none of them an attribute).
    extra = {"photo": [b"\xff\xd8" + bytes(4000)] * len(rows), "tags": [["a", "b"]] * len(rows)}
    pq.write_table(pa.Table.from_pylist([{**r, **{k: v[i] for k, v in extra.items()}} for i, r in enumerate(rows)]),
                   folder / "catalog.parquet")
    return folder


def _columns(path) -> list[dict]:
    return [{k: str(v) for k, v in r["columns"].items()} for r in catalog_records(path, CatalogConfig())]


def test_parquet_unmapped_flat_columns_are_read_like_csv_and_jsonl(tmp_path):
    folder = _write(tmp_path, _rows())
    csv_columns = _columns(folder / "catalog.csv")
    assert csv_columns[0] == {"Finish": "Matte", "Capacity": "1 L", "Price": "10"}
    assert _columns(folder / "catalog.jsonl") == csv_columns
    assert _columns(folder / "catalog.parquet") == csv_columns  # no photo bytes, tags list or html body (any format)


def test_a_parquet_build_still_reads_only_the_mapped_columns(tmp_path):
    folder = _write(tmp_path, _rows())
    record = json.loads(read_catalog(folder / "catalog.parquet", CatalogConfig()).column("record_json")[0].as_py())
    assert set(record) == {"product_id", "category", "title", "images"}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_induce_proposes_the_same_vocabulary_from_every_format(tmp_path, fmt, monkeypatch):
    for key in ("MERITGEN_LLM_URL", "MERITGEN_LLM_MODEL", "MERITGEN_LLM_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    folder = _write(tmp_path / "catalog", _rows())
    for name in ("csv", fmt):
        assert main(["vocab", "induce", "--catalog", str(folder / f"catalog.{name}"), "--out", str(tmp_path / name)]) == 0
    proposed = json.loads((tmp_path / fmt / "vocabulary.json").read_text())
    assert {"finish", "capacity"} <= set(proposed["attributes"])
    assert proposed == json.loads((tmp_path / "csv" / "vocabulary.json").read_text())
    assert '"Finish" = "finish"' in (tmp_path / fmt / "config.toml").read_text()


def test_induce_names_a_field_after_the_shipped_attribute_it_spells():
    """"Colour" (a flat column) and "Brand Name" (an attribute) are v2's color and brand: shipped values and
    translations are reused, and config.toml maps the column onto that name, which mine fills."""
    from pipelines.induce.propose import propose
    from pipelines.vocab.vocabulary import load_vocabulary

    records = [{"category": ["Kettles", "Toasters"][i % 2], "title": f"Acme thing {i}",
                "attributes": {"Brand Name": ["Acme", "Zeta"][i % 2]},
                "columns": {"Colour": ["Black", "White", "Red"][i % 3], "Finish": ["Matte", "Gloss"][(i // 2) % 2]}}
               for i in range(24)]
    proposal = propose(records, load_vocabulary("v2"), 92.0)
    attributes = proposal.vocabulary["attributes"]
    assert "colour" not in attributes and "brand name" not in attributes
    assert sorted(attributes["color"]["values"]) == ["black", "red", "white"] and attributes["brand"]["open"]
    assert proposal.columns == {"Colour": "color", "Finish": "finish"}

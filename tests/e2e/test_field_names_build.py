"""One small `meritgen build` of an electronics catalog whose fields are named as shops name them: JSON
attributes ("Colour", "RAM") and flat columns ("Screen Size", "Storage Capacity") fill v2's attributes, and
only a name that fills nothing is reported as unmapped."""

from __future__ import annotations

import csv
import json
import random

import duckdb
import pyarrow.dataset as pads
import pytest

from pipelines.runners.cli import main
from tests.synthetic_catalog import COLOURS, _image

PHONES = [("6.1 in", "128 GB", "8GB"), ("6.7 inch", "256GB", "12 GB")]
LAPTOPS = [('15.6"', "512 GB", "16GB"), ("14 in", "1 TB", "8 GB")]


def _catalog(folder):
    rng = random.Random(3)
    (folder / "images").mkdir(parents=True)
    rows = []
    for i in range(24):
        category, specs = ("Mobile Phones", PHONES) if i % 2 else ("Laptops", LAPTOPS)
        screen, storage, ram = specs[(i // 2) % 2]
        colour = ["Black", "Blue", "Grey"][i % 3]
        _image(folder / "images" / f"{i}.jpg", COLOURS[colour], rng)
        rows.append({"product_id": f"e{i}", "category": category, "title": f"Acme {category[:-1]} {i}",
                     "images": f"images/{i}.jpg", "attributes": json.dumps({"Colour": colour, "RAM": ram}),
                     "Screen Size": screen, "Storage Capacity": storage, "Widget Count": str(i % 4)})
    with (folder / "catalog.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "config.toml").write_text(
        '[catalog]\nattribute_columns = {"Screen Size" = "Screen Size", "Storage Capacity" = "storage capacity", '
        '"Widget Count" = "Widget Count"}\n'
        "[compose]\nmax_positive_share = 1.0\n", encoding="utf-8")  # 24 products: every value is frequent
    return folder


@pytest.mark.slow
def test_shop_spelled_field_names_fill_v2_attributes_in_a_build(tmp_path):
    folder = _catalog(tmp_path / "shop")
    out = tmp_path / "runs"
    assert main(["build", "--catalog", str(folder / "catalog.csv"), "--config", str(folder / "config.toml"),
          "--out", str(out), "--no-progress"]) == 0
    run = out / "catalog"
    mine = next(s for s in json.loads((run / "report.json").read_text())["steps"] if s["name"] == "mine")
    assert {k: v for k, v in mine["counters"].items() if k.startswith("unmapped_attribute.")} == {
        "unmapped_attribute.widget count": 24}
    with duckdb.connect(str(run / "run.duckdb"), read_only=True) as con:
        filled = dict(con.execute("SELECT attribute, count(*) FROM mine__attributes WHERE source = 'field' "
                                  "GROUP BY 1").fetchall())
        facts = dict(con.execute("SELECT attribute, value FROM mine__attributes WHERE product_id = 'e1'").fetchall())
    assert filled == {"color": 24, "ram": 24, "screen_size": 24, "storage": 24}
    assert facts == {"color": "blue", "ram": "8 GB", "screen_size": "6.1 inch", "storage": "128 GB"} | (
        {"type": facts["type"]} if "type" in facts else {})
    english = [r["text"] for r in pads.dataset(run / "export" / "data" / "queries").to_table(
        columns=["language", "text"]).to_pylist() if r["language"] == "en"]
    assert any("6.1-inch phone" in t for t in english) and any("256 GB phone" in t for t in english)

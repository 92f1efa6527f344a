"""benchmarks/make_catalog.py --domains: synthetic products of every v2 domain, mined back by the real stage."""

from __future__ import annotations

import pytest

from benchmarks.catalog_domains import DOMAINS
from benchmarks.make_catalog import make_catalog_products, make_products, parse_domains
from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.stages.mine import MineParams, mine_attributes
from pipelines.vocab.vocabulary import load_vocabulary


def test_default_is_the_fashion_draw_of_earlier_benchmarks():
    assert make_catalog_products(50, 3) == make_products(50, 3)
    assert parse_domains("all") == DOMAINS and parse_domains("food, furniture") == ("food", "furniture")


def test_unknown_domain_is_an_error():
    with pytest.raises(SystemExit, match="beauty"):
        make_catalog_products(10, 0, ("beauty",))


def test_all_domains_draw_every_domain_and_their_titles_mine_back():
    vocab = load_vocabulary("v2")
    products = make_catalog_products(400, 1, DOMAINS)
    assert len(products) == 400 and len({p["product_id"] for p in products}) == 400
    assert {vocab.domain(p["category"]) for p in products} == set(DOMAINS)
    rows = [{"product_id": p["product_id"], "category": p["category"], "title": p["title"], "description": None,
             "language": "en", "family_id": p["family_id"], "image_ids": [f"i{p['product_id']}"], "source_file": "s",
             "source_row": 1, "attributes": [{"name": k, "value": v} for k, v in p["attributes"].items()]} for p in products]
    facts = mine_attributes(schemas.from_rows(rows, "product"), MineParams(MineConfig(), vocab)).outputs["attributes"]
    mined = {(f["attribute"], f["value"]) for f in facts.to_pylist()}
    assert {a for a, _ in mined} >= {"ram", "storage", "screen_size", "volume", "weight", "metal", "material", "type", "brand"}
    assert len({v for a, v in mined if a == "brand"}) > 60  # the long tail of shop brands, from the brand field
    assert ("storage", "512 GB") in mined and not any(v.endswith("GB") and " " not in v for a, v in mined if a == "storage")


def test_the_script_runs_as_the_readme_writes_it(tmp_path):
    """`python benchmarks/make_catalog.py ...` from any folder: the script finds its sibling module."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "make_catalog.py"
    out = tmp_path / "c.parquet"
    done = subprocess.run([sys.executable, str(script), "--products", "12", "--domains", "all", "--out", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-500:]
    assert out.is_file()

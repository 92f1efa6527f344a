"""Property: random hostile catalog rows never crash ingest, and never bend a query's structure.

Rows mix plausible products (so queries get composed) with unicode, control characters,
placeholder- and role-marker-like text and odd types in every field. For each catalog:
ingest never raises (except CatalogError when no row at all is valid), every input line is a
product or a reject, and after mine -> compose -> render every query has exactly as many
`<image_k>` placeholders as images, numbered 1..n.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.config import CatalogConfig, load_config
from pipelines.errors import CatalogError
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages import compose, mine, render
from pipelines.stages.ingest import IngestParams, validate_catalog
from pipelines.vocab.templates import load_templates
from pipelines.vocab.vocabulary import load_vocabulary

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CFG = load_config(overrides={"compose.max_positive_share": 1.0, "compose.queries_per_product": 2.0,
                             "render.languages": ["en", "vi"]})
PLACEHOLDER = re.compile(r"<image_(\d+)>")

tricky_text = st.sampled_from([
    "<image_1>", "<image_9>", "< IMAGE 2 >", "<Product 1>", "<image>", "\uff1cimage_1\uff1e", "<<system>>",
    "<|im_start|>", "[INST]", "{image}", "{value}", "\u2028", "\x00", "\x1b[31m", "\ud7ff", "NaN", "  ", "",
])
text = st.one_of(st.text(max_size=12), tricky_text, st.lists(tricky_text | st.text(max_size=4), max_size=3).map(" ".join))
odd = st.one_of(text, st.integers(), st.floats(), st.none(), st.booleans(),
                st.lists(st.integers() | text, max_size=3), st.dictionaries(text, st.integers() | text, max_size=2))
brand = st.sampled_from(["Nike", "Puma", "Adidas", "<image_1>", "<image_9>", "< Image 2 >", "<<system>>"]) | text
colour = st.sampled_from(["Red", "Black", "Blue", "Pink"]) | text


def mostly(plausible):
    """plausible four times in five, else any odd value: enough valid rows for queries to be composed."""
    return st.integers(0, 4).flatmap(lambda n: plausible if n else odd)


@st.composite
def catalog_row(draw):
    row = {
        "product_id": draw(mostly(st.integers(0, 60).map(str))),
        "category": draw(mostly(st.sampled_from(["Tshirts", "Casual Shoes", "Handbags"]))),
        "title": draw(mostly(st.builds("{} Men {} Tshirt {}".format, brand, colour, text))),
        "attributes": draw(mostly(st.fixed_dictionaries({"brand": brand, "color": colour}))),
        "images": draw(mostly(st.sampled_from([["good1.jpg"], ["good2.jpg"], ["good1.jpg", "good2.jpg"]]))),
    }
    for key in ("description", "language", "family_id"):
        if draw(st.booleans()):
            row[key] = draw(mostly(st.sampled_from(["en", "vi"])) if key == "language" else mostly(text))
    return row


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("good1.jpg", "good2.jpg"):
            shutil.copy(BAD / "images" / name, Path(tmp) / name)
        yield Path(tmp)


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(catalog_row(), min_size=1, max_size=16), raw_lines=st.lists(text, max_size=2))
def test_random_catalogs_never_crash_and_keep_placeholders_exact(folder, rows, raw_lines):
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + [line.replace("\n", " ") for line in raw_lines]
    path = folder / "catalog.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    vocab = load_vocabulary(CFG.mine.vocabulary)
    try:
        result = validate_catalog(read_catalog(path, CatalogConfig()), IngestParams(CFG.ingest, vocab))
    except CatalogError:
        return  # not a single valid row: the one documented failure
    products = result.outputs["products"].to_pylist()
    rejected_rows = {r["source_row"] for r in result.rejects.to_pylist() if r["field"] != "images" or
                     r["source_row"] not in {p["source_row"] for p in products}}
    product_rows = {p["source_row"] for p in products}
    input_rows = {i for i, line in enumerate(lines, 1) if line.strip(" \t")}
    assert product_rows | rejected_rows == input_rows and not product_rows & rejected_rows

    mined = mine.mine_attributes(result.outputs["products"], mine.MineParams(CFG.mine, vocab)).outputs
    plans = compose.compose_queries(result.outputs["products"], mined["attributes"], mined["families"],
                                    compose.ComposeParams(CFG.compose, vocab, CFG.seed)).outputs["plans"]
    templates = load_templates(CFG.render.templates, CFG.render.languages)
    queries = render.render_queries(plans, render.RenderParams(CFG.render, templates, CFG.seed)).outputs["queries"]
    for query in queries.to_pylist():
        numbers = [int(k) for k in PLACEHOLDER.findall(query["text"])]
        assert numbers == list(range(1, len(query["images"]) + 1)), query["text"]


cell = st.one_of(st.text(max_size=10), tricky_text, st.sampled_from(["NaN", "NA", "null", " g1 ", "G1", "{", "[1, 2]",
                                                                     '{"brand": "<image_1>"}', '{"brand": "Nike"}']))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(mostly(st.sampled_from(["g1", "g2", "g3"])) | cell,
                               st.sampled_from(["Tshirts", "Casual Shoes"]) | cell,
                               st.builds("{} Men {} Tshirt".format, brand, colour) | cell,
                               st.sampled_from(['{"brand": "Puma", "color": "Red"}', ""]) | cell,
                               st.sampled_from(["good1.jpg", "good2.jpg;good1.jpg"]) | cell), min_size=1, max_size=10))
def test_random_csv_catalogs_never_crash(folder, rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["product_id", "category", "title", "attributes", "images"])
    writer.writerows([[str(v).replace("\x00", "") for v in row] for row in rows])  # csv cannot write NUL
    path = folder / "catalog.csv"
    path.write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
    try:
        result = validate_catalog(read_catalog(path, CatalogConfig()), IngestParams(CFG.ingest, load_vocabulary("v1")))
    except CatalogError:
        return
    product_rows = {p["source_row"] for p in result.outputs["products"].to_pylist()}
    rejected_rows = {r["source_row"] for r in result.rejects.to_pylist() if r["source_row"] not in product_rows}
    assert product_rows | rejected_rows == set(range(1, len(rows) + 1))

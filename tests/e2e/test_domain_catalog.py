"""A catalog of MERIT's non-fashion product types builds with the defaults in all five languages (#21).

tests/data/domains/ is a small hand-written catalog (phones, laptops, headphones, chairs, tables,
drinks, snacks, fruit, jewellery) titled as real shops title them ("Samsung Galaxy A15 5G 8GB+256GB",
"Coca-Cola Zero Sugar 330ml x 24", "IKEA INGATORP extendable table, black"), with generated images and
the category names shops use ("Mobile Phones", "Laptops & Notebooks", "Soft Drinks", "Rings").
Regenerate it with `python tools/make_domain_catalog.py`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from pipelines.config import load_config
from pipelines.resources import PROMPTS_DIR
from pipelines.runners.local import run_build

pytestmark = pytest.mark.slow  # a whole build (about 15 s)

CATALOG = Path(__file__).resolve().parents[1] / "data" / "domains" / "catalog.jsonl"
LANGUAGES = ("en", "ms", "id", "vi", "th")


def _english_words() -> set[str]:
    """Every word the English phrasing files can write: the words a leak would bring into another language."""
    lex = json.loads((PROMPTS_DIR / "lexicon" / "v3" / "en.json").read_text(encoding="utf-8"))
    tpl = json.loads((PROMPTS_DIR / "templates" / "v3" / "en.json").read_text(encoding="utf-8"))
    texts = [n["head"] for kind in lex["nouns"].values() for n in kind.values()]
    texts += [v for table in lex["values"].values() for v in table.values()] + list(lex["attributes"].values())
    texts += [*tpl["frames"], *tpl["clauses"], tpl["type_image"], *tpl["image_items"].values(), *tpl["value_patterns"].values()]
    return {w.casefold() for t in texts for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", " ", t))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("domains")
    report = run_build(CATALOG, out, load_config(), run_id="domains", progress=False)
    queries = pads.dataset(report.run_dir / "export" / "data" / "queries", format="parquet").to_table().to_pylist()
    return report, queries


def test_every_row_resolves_to_a_v2_category_and_the_audit_passes(built):
    report, _ = built
    steps = {s.name: s for s in report.steps}
    assert steps["ingest"].counters["products"] == sum(1 for _ in CATALOG.open())  # no unknown_category
    assert json.loads((report.run_dir / "audit.json").read_text())["passed"] is True


def test_queries_in_every_language_and_every_domain(built):
    _, queries = built
    by_language = {lang: [q for q in queries if q["language"] == lang] for lang in LANGUAGES}
    assert all(len(rows) >= 12 for rows in by_language.values()), {k: len(v) for k, v in by_language.items()}
    categories = {q["category"] for q in queries}
    assert {"phone", "laptop", "chair", "table", "drink"} <= categories, categories
    attributes = {c["attribute"] for q in queries for c in q["conditions"]}
    assert {"storage", "ram", "volume"} & attributes  # technical values mined from titles reach the queries


def test_no_english_word_leaks_into_another_language(built):
    """Brands, model names and units ("Apple", "Intel Core i5", "GB") are the same words in every language;
    any other English phrasing word in a non-English row is a leak, unless that language lists it as a loanword."""
    _, queries = built
    english = _english_words()
    for q in queries:
        if q["language"] == "en":
            continue
        lex = json.loads((PROMPTS_DIR / "lexicon" / "v3" / f"{q['language']}.json").read_text(encoding="utf-8"))
        allowed = {w.casefold() for w in lex["loanwords"]}
        allowed |= {w.casefold() for c in q["conditions"] for w in re.findall(r"[A-Za-z]{2,}", c["value"])
                    if c["attribute"] in ("brand", "processor", "network") or re.search(r"\d", c["value"])}
        words = {w.casefold() for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"<image_\d+>", " ", q["text"]))}
        leaked = (words & english) - allowed
        assert not leaked, f"{q['language']}: {leaked} in {q['text']!r}"

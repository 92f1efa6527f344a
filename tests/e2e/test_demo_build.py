"""End to end on the bundled demo catalog: languages, condition counts, exact positives, loading."""

from collections import defaultdict

import datasets
import pyarrow.dataset as pads
from PIL import Image

from pipelines.config import LANGUAGES
from pipelines.stages.matching import NEGATIVE, POSITIVE, UNVERIFIED, Matcher
from pipelines.vocab.vocabulary import load_vocabulary


def _export(report):
    return report.run_dir / "export"


def _queries(report):
    return pads.dataset(_export(report) / "data" / "queries", format="parquet").to_table().to_pylist()


def test_demo_has_every_language_and_condition_count(demo_build):
    queries = _queries(demo_build)
    assert {q["language"] for q in queries} == set(LANGUAGES)
    for lang in LANGUAGES:
        assert {q["n_conditions"] for q in queries if q["language"] == lang} == {2, 3, 4}
    by_base = defaultdict(set)
    for q in queries:
        by_base[q["base_query_id"]].add(q["language"])
    assert all(langs == set(LANGUAGES) for langs in by_base.values())


def test_every_exported_positive_set_is_exact_against_the_catalog(demo_build):
    products = pads.dataset(_export(demo_build) / "data" / "products", format="parquet").to_table(
        columns=["product_id", "category", "attributes"]).to_pylist()
    values = {p["product_id"]: (p["category"], {a["name"]: a["value"] for a in p["attributes"]}) for p in products}
    matcher = Matcher.from_vocabulary(load_vocabulary("v1"))  # issue #10: unisex meets men and women
    for q in _queries(demo_build):
        conditions = [(c["attribute"], c["value"]) for c in q["conditions"]]
        labels = {pid: matcher.label(conditions, attrs) for pid, (cat, attrs) in values.items() if cat == q["category"]}
        expected = sorted(pid for pid, label in labels.items() if label == POSITIVE)
        assert sorted(q["positive_ids"]) == expected, q["query_id"]
        assert q["n_unverified"] == sum(label == UNVERIFIED for label in labels.values()), q["query_id"]
        shown = {i["product_id"] for i in q["images"]}
        assert not shown & set(expected), "a positive's own image must never appear in its query"
        assert all(labels.get(n, NEGATIVE) == NEGATIVE for n in q["hard_negative_ids"]), "only known violations are negatives"


def test_placeholders_match_images_in_every_language(demo_build):
    for q in _queries(demo_build):
        k = len(q["images"])
        assert all(q["text"].count(f"<image_{i}>") == 1 for i in range(1, k + 1)), q["text"]
        assert f"<image_{k + 1}>" not in q["text"]


def test_shards_load_with_datasets_and_images_decode(demo_build, tmp_path):
    export = _export(demo_build)
    queries = datasets.load_dataset(str(export), "queries", cache_dir=str(tmp_path))
    assert set(queries) == {"train", "test"}
    assert queries["train"][0]["segments"][0]["kind"] in ("text", "image")
    products = datasets.load_dataset(str(export), "products", cache_dir=str(tmp_path))["catalog"]
    assert isinstance(products[0]["images"][0], Image.Image)


def test_card_reports_counts_and_licence_caveat(demo_build):
    card = (_export(demo_build) / "README.md").read_text()
    assert card.startswith("---\n") and "config_name: queries" in card
    assert "## Queries by language" in card and "Thai (th)" in card
    assert "licence was not" in card.lower() or "license was not" in card.lower()


def test_card_is_a_valid_hf_card_with_plots_that_show_data(demo_build):
    from huggingface_hub import DatasetCard

    export = _export(demo_build)
    card = DatasetCard((export / "README.md").read_text())
    meta = card.data.to_dict()
    assert set(meta["language"]) == set(LANGUAGES)
    assert {c["config_name"] for c in meta["configs"]} == {"queries", "products", "merit"}  # merit: #25
    info = {c["config_name"]: c for c in meta["dataset_info"]}
    assert {s["name"] for s in info["queries"]["splits"]} == {"train", "test"}
    assert sum(s["num_examples"] for s in info["queries"]["splits"]) == len(_queries(demo_build))
    (images,) = [f for f in info["products"]["features"] if f["name"] == "images"]
    # a list of datasets.Image (YAML spells it `image`, JSON `{"_type": "Image"}`): images decode on load
    assert images.get("list", images.get("sequence")) in ("image", {"_type": "Image"}, {"dtype": "image"}), images
    for name in ("language_by_category.png", "conditions.png", "funnel.png"):
        assert f"](plots/{name})" in card.text
        img = Image.open(export / "plots" / name).convert("L")
        lo, hi = img.getextrema()
        assert img.size[0] > 300 and hi - lo > 100, f"{name} looks blank"


def test_card_command_regenerates_the_card(demo_build, tmp_path):
    from pipelines.runners.cli import main

    out = tmp_path / "card" / "README.md"
    assert main(["card", "--run", str(demo_build.run_dir), "--out", str(out)]) == 0
    again = tmp_path / "again" / "README.md"
    main(["card", "--run", str(demo_build.run_dir), "--out", str(again)])
    assert out.read_text() == again.read_text()  # generated from files only: deterministic
    built = (_export(demo_build) / "README.md").read_text()
    # the whole card, funnel included: the export step's counts are the Summary's, so the funnel leaves
    # it out and the card written during the build equals the one regenerated after it (and Beam's)
    assert out.read_text() == built
    assert (out.parent / "plots" / "funnel.png").exists()

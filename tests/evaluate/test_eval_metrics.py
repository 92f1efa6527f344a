"""MERIT's metrics and the per-condition report on inline rankings whose answers are known."""

from __future__ import annotations

import json

import pytest
from tiny_export import EXPECTED_SHARE, RANKINGS, cond, neg, query, write_export, write_jsonl

from pipelines.evaluate.command import evaluate
from pipelines.evaluate.metrics import EvalTally, minimal_pairs, pair_outcome
from pipelines.runners.cli import main

POOLS = {p: "test" for p in ("a", "b", "c", "p1", "p2", *(f"d{i}" for i in range(20)))}


def _metrics(rankings: dict, queries: list[dict]) -> dict:
    tally = EvalTally()
    tally.add(queries, rankings, POOLS)
    return next(r for r in tally.metric_rows() if r["split"] == "all" and r["language"] == "all")


def test_recall_counts_a_query_when_any_of_its_positives_is_in_the_top_k():
    q = query("q", "en", ["p1", "p2"], [cond("color")], [])
    row = _metrics({"q": ["a", "b", "p2", "c", "p1"]}, [q])  # p2 (rank 3) is the best positive
    assert (row["r1"], row["r5"], row["r10"], row["mrr10"]) == (0.0, 1.0, 1.0, pytest.approx(1 / 3))


def test_mrr_is_cut_at_10_and_recall_at_k_is_a_hit_rate():
    fillers = [f"d{i}" for i in range(20)]
    queries = [query("at10", "en", ["p1"], [], []), query("at11", "en", ["p1"], [], []),
               query("first", "en", ["p1"], [], [])]
    rankings = {"at10": fillers[:9] + ["p1"], "at11": fillers[:10] + ["p1"], "first": ["p1"]}
    row = _metrics(rankings, queries)
    assert row["r1"] == pytest.approx(1 / 3) and row["r5"] == pytest.approx(1 / 3)
    assert row["r10"] == pytest.approx(2 / 3)  # rank 10 is in, rank 11 is not
    assert row["mrr10"] == pytest.approx((1 + 0.1 + 0) / 3)


def test_repeated_ids_keep_their_first_place_and_are_counted():
    tally = EvalTally()
    tally.add([query("q", "en", ["p1"], [], [])], {"q": ["a", "a", "a", "p1", "nope"]}, POOLS)
    row = next(r for r in tally.metric_rows() if r["split"] == "all" and r["language"] == "all")
    assert row["r1"] == 0.0 and row["mrr10"] == pytest.approx(1 / 2)  # p1 moves up to rank 2
    assert tally.counters["duplicate_product_ids"] == 2 and tally.counters["unknown_product_ids"] == 1


def test_a_missing_query_is_a_miss_and_counted():
    tally = EvalTally()
    tally.add([query("q", "en", ["p1"], [], []), query("r", "th", ["p1"], [], [])], {"q": ["p1"]}, POOLS)
    rows = {(r["split"], r["language"]): r for r in tally.metric_rows()}
    assert rows[("all", "all")]["r1"] == 0.5 and rows[("test", "th")]["missing"] == 1
    assert tally.counters["missing_queries"] == 1


def test_minimal_pairs_prefer_the_minimal_pair_source_and_need_exactly_one_violation():
    conditions = [cond("color"), cond("brand"), cond("type", "image")]
    negatives = [neg("o", "color"), neg("m", "color", source="minimal_pair"), neg("two", "color", "brand"),
                 neg("b", "brand"), neg("c", "category")]
    assert minimal_pairs(conditions, negatives) == [("color", "text", ["m"]), ("brand", "text", ["b"]),
                                                   ("type", "image", [])]


def test_absent_products_rank_below_everything_and_two_absent_decide_nothing():
    assert pair_outcome(3, None) == "positive_above"
    assert pair_outcome(None, 7) == "negative_above"
    assert pair_outcome(None, None) == "neither_ranked"
    assert pair_outcome(2, 1) == "negative_above" and pair_outcome(1, 2) == "positive_above"


def test_per_condition_figures_on_a_hand_made_ranking(tmp_path):
    run = write_export(tmp_path / "run")
    result = evaluate(run, RANKINGS, "hand-made")
    rows = {(r["attribute"], r["carrier"]): r for r in result["conditions"]
            if r["split"] == "test" and r["language"] == "all"}
    assert {key: rows[key]["share"] for key in EXPECTED_SHARE} == pytest.approx(EXPECTED_SHARE)
    color = rows[("color", "text")]
    assert (color["conditions"], color["tested"], color["positive_above"], color["negative_above"],
            color["neither_ranked"]) == (4, 4, 1, 2, 1)
    assert (rows[("pattern", "image")]["conditions"], rows[("pattern", "image")]["tested"]) == (2, 1)
    assert result["splits"] == ["test"]  # the predictions name test queries only
    counters = result["counters"]
    assert (counters["unknown_query_ids"], counters["missing_queries"], counters["duplicate_product_ids"],
            counters["unknown_product_ids"], counters["other_split_product_ids"]) == (1, 1, 1, 1, 1)
    metrics = {(r["split"], r["language"]): r for r in result["metrics"]}
    assert metrics[("test", "en")]["r5"] == 1.0 and metrics[("test", "en")]["mrr10"] == 0.5
    assert metrics[("test", "all")]["r5"] == 0.75 and metrics[("test", "ms")]["missing"] == 1


def test_the_cli_prints_and_writes_the_same_figures(tmp_path, capsys):
    run = write_export(tmp_path / "run")
    predictions = write_jsonl(tmp_path / "mine.jsonl", RANKINGS)
    assert main(["eval", str(run), "--predictions", str(predictions)]) == 0
    out = capsys.readouterr().out
    assert "R@k and MRR@10" in out and "Per condition" in out and "33.3%" in out and "query ids not in the export: 1" in out
    written = json.loads((run / "eval" / "mine" / "eval.json").read_text())
    color = next(r for r in written["conditions"] if (r["split"], r["language"], r["attribute"]) == ("test", "all", "color"))
    assert color["share"] == pytest.approx(1 / 3)
    assert main(["eval", str(run), "--predictions", str(predictions), "--split", "train", "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["splits"] == ["train"] and scored["counters"]["unscored_query_ids"] == 3

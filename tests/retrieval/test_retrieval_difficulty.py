"""Difficulty metrics on a hand-computed example, grouping and markdown."""

import pyarrow as pa
import pytest
from retrieval_tables import hits, queries, query

from pipelines.stages.difficulty import DifficultyConfig, difficulty_report, query_scores, render_markdown, tag_hits

QUERIES = queries(
    query("q1", positives=("p1",)),
    query("q2", positives=("p2", "p9"), conditions=(("color", "red"), ("material", "cotton"), ("fit", "slim"))),
    query("q3", positives=("p3",), language="th"),
    query("q4", positives=("p4",), split="train"),
)
FILLER = [f"x{i}" for i in range(9)]
RUN = hits({
    "q1": ["p1", *FILLER],  # rank 1
    "q2": ["x", "p9", "p2", *FILLER],  # best positive at rank 2
    "q3": [*FILLER[:6], "p3"],  # rank 7
    "q4": ["p4"],  # train split: ignored
})


def _report():
    hits_all = pa.concat_tables([tag_hits(RUN, "bm25", "captions"), tag_hits(hits({"q1": ["p1"]}), "dense", "no_images")])
    return difficulty_report(QUERIES, hits_all, DifficultyConfig())


def test_query_scores():
    assert query_scores(["a", "b", "c"], ["c"]) == {"r1": 0.0, "r5": 1.0, "r10": 1.0, "mrr": pytest.approx(1 / 3)}
    assert query_scores(None, ["c"]) == {"r1": 0.0, "r5": 0.0, "r10": 0.0, "mrr": 0.0}


def test_hand_computed_metrics_per_group():
    result = _report()
    rows = {(r["baseline"], r["group_kind"], r["group"]): r for r in result.outputs["report"].to_pylist()}
    overall = rows[("bm25", "all", "all")]
    assert overall["n"] == 3
    assert (overall["r1"], overall["r5"], overall["r10"]) == pytest.approx((1 / 3, 2 / 3, 1.0))
    assert overall["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 7) / 3)
    en = rows[("bm25", "language", "en")]
    assert (en["n"], en["r1"], en["r5"], en["mrr"]) == (2, 0.5, 1.0, pytest.approx(0.75))
    three = rows[("bm25", "n_conditions", "3")]
    assert (three["n"], three["r1"], three["mrr"]) == (1, 0.0, 0.5)
    # a run missing queries scores them as misses and says so
    dense = rows[("dense", "all", "all")]
    assert (dense["n"], dense["r1"]) == (3, pytest.approx(1 / 3))
    assert result.counters["missing_hits_dense_no_images"] == 2 and result.counters["queries"] == 3


def test_report_order_and_markdown():
    report = _report().outputs["report"]
    assert report.column_names == ["baseline", "variant", "group_kind", "group", "n", "r1", "r5", "r10", "mrr"]
    assert report.column("group_kind").to_pylist()[:4] == ["all", "language", "language", "n_conditions"]
    md = render_markdown(report)
    assert "| bm25 | captions | all | 3 | 33.3 | 66.7 | 100.0 | 54.8 |" in md
    assert "| bm25 | captions | language=th | 1 | 0.0 | 0.0 | 100.0 | 14.3 |" in md

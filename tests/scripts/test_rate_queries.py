"""benchmarks/rate_queries.py: a reproducible rating sheet and per-language scores (#13.2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("rate_queries", ROOT / "benchmarks" / "rate_queries.py")
rate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rate)


def _queries():
    out = []
    for b in range(30):
        for lang in ("en", "ms"):
            out.append({"query_id": f"q{b:02d}-{lang}", "base_query_id": f"q{b:02d}", "language": lang,
                        "text": f"text {b} <image_1>", "source_text_en": f"english {b} <image_1>",
                        "conditions": [{"attribute": "color", "value": "red", "carried_by": "image"}],
                        "provenance": {"template_id": "offline/v3/en/f1c1"}})
    return out


def test_sample_is_fixed_by_seed_and_independent_of_row_order():
    rows = _queries()
    first = rate.sample(rows, 5, seed=7)
    assert [q["query_id"] for q in first] == [q["query_id"] for q in rate.sample(rows[::-1], 5, seed=7)]
    assert sum(q["language"] == "en" for q in first) == 5 and sum(q["language"] == "ms" for q in first) == 5
    assert [q["query_id"] for q in first] != [q["query_id"] for q in rate.sample(rows, 5, seed=8)]


def _filled(tmp_path, ratings):
    sheet = tmp_path / "sheet.tsv"
    rate.write_sheet(rate.sample(_queries(), 2, seed=1), sheet)
    lines = sheet.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == list(rate.COLUMNS)
    body = []
    for line, (score, reason) in zip(lines[1:], ratings):
        cells = line.split("\t")
        cells[-2:] = [score, reason]
        body.append("\t".join(cells))
    sheet.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    return sheet


def test_scores_per_language_and_worst_examples(tmp_path):
    sheet = _filled(tmp_path, [("2", ""), ("1", "stiff"), ("2", ""), ("0", "wrong noun")])
    summary = rate.summarise(rate.read_ratings(sheet))
    assert summary["en"]["mean"] == 1.5 and summary["en"]["zeros"] == 0
    assert summary["ms"]["mean"] == 1.0 and summary["ms"]["zeros"] == 1
    assert summary["ms"]["worst"][0]["reason"] == "wrong noun"
    assert "| ms | 2 | 1.00 | 1 |" in rate.markdown(summary)


@pytest.mark.parametrize("ratings", [[("2", ""), ("1", ""), ("2", ""), ("2", "")],  # low rating, no reason
                                     [("2", ""), ("", ""), ("2", ""), ("2", "")],  # unrated
                                     [("3", "x"), ("2", ""), ("2", ""), ("2", "")]])  # off the scale
def test_an_unfinished_or_invalid_sheet_is_refused(tmp_path, ratings):
    with pytest.raises(ValueError, match="sheet.tsv:"):
        rate.read_ratings(_filled(tmp_path, ratings))

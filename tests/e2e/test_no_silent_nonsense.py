"""Nothing goes wrong silently (issue #21): a build with no query fails loudly, an audit of nothing does
not pass, every-row-rejected still leaves a `rejects` view, unmapped catalog attributes are counted."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.card.vocabulary import vocabulary_sections
from pipelines.resources import PROJECT_ROOT
from pipelines.runners.cli import main

EXAMPLE = PROJECT_ROOT / "examples" / "garden-tools"
CATALOG = EXAMPLE / "catalog.jsonl"


def _one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_unknown_categories_with_the_defaults_point_to_vocab_induce_and_leave_a_rejects_view(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["build", "--catalog", str(CATALOG), "--out", str(out), "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "no valid product" in line and "unknown_category (60)" in line
    assert "meritgen vocab induce --catalog FILE --out DIR" in line and "mine.vocabulary" in line
    run = out / "catalog"
    assert main(["inspect", "--run", str(run)]) == 0
    captured = capsys.readouterr()
    assert "rejects" in captured.out and "FROM rejects" in captured.err  # the footer suggests a rejects query
    with duckdb.connect(str(run / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1").fetchall() == [("unknown_category", 60)]
    assert main(["inspect", "--run", str(run), "--sql", "SELECT * FROM rejects"]) == 0


def test_rejects_view_exists_when_no_stage_rejected_anything(tmp_path):
    from pipelines.store import RunStore

    store = RunStore(tmp_path / "run")
    assert "rejects" in store.refresh_views()
    with duckdb.connect(str(store.duckdb_path), read_only=True) as con:
        assert con.execute("SELECT count(*), count(reason) FROM rejects").fetchone() == (0, 0)


def test_unmapped_catalog_attributes_are_counted_for_the_card():
    report = {"steps": [{"name": "mine", "counters": {"facts": 3, "unmapped_attribute.price": 60,
                                                      "unmapped_attribute.series": 7}}]}
    card = "\n".join(vocabulary_sections(report))
    assert "## Catalog attributes the vocabulary does not map" in card
    assert "| price | 60 |" in card and "| series | 7 |" in card


@pytest.mark.slow
def test_a_build_without_queries_fails_with_its_top_reasons_and_its_audit_does_not_pass(tmp_path, capsys):
    out = tmp_path / "runs"
    argv = ["build", "--catalog", str(CATALOG), "--config", str(EXAMPLE / "config.toml"), "--out", str(out),
            "--no-progress", "--set", "compose.max_positives=0"]
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: the build exported 0 queries; top reject reasons: compose too_many_positives (")
    assert "compose.max_positive_share" in line
    run = out / "catalog"
    report = json.loads((run / "report.json").read_text())
    mine = next(s for s in report["steps"] if s["name"] == "mine")
    assert mine["counters"]["unmapped_attribute.price"] == 60 and mine["counters"]["unmapped_attribute.weight"] == 60
    assert "| price | 60 |" in (run / "export" / "README.md").read_text()
    assert main(["audit", str(run)]) == 1
    captured = capsys.readouterr()
    assert "PASSED" not in captured.out + captured.err
    audit = json.loads((run / "audit.json").read_text())
    assert not audit["passed"] and audit["checks"][0]["name"] == "has_queries"

"""The predictions file: what it may hold, and a one-line error naming file, line and field when it is wrong."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tiny_export import RANKINGS, write_export, write_jsonl

from pipelines.evaluate.predictions import read_predictions, write_predictions
from pipelines.runners.cli import main

BAD_LINES = [
    ('{"query_id": "qA-en", "product_ids": ["p1"]}\n{"query_id": "qB-en", "product_ids": [\n', "line 2: not JSON"),
    ('{"query_id": "qA-en", "product_ids": "p1 p2"}\n', 'line 1, field product_ids: expected a list of product ids, got "p1 p2"'),
    ('\n{"query_id": "qA-en", "product_ids": ["p1", null]}\n', "line 2, field product_ids[1]: expected a product id"),
    ('{"product_ids": ["p1"]}\n', "line 1, field query_id: expected a non-empty string, got null"),
    ('["qA-en", ["p1"]]\n', "line 1: expected an object with query_id and product_ids, got list"),
    (b'{"query_id": "qA-en", "product_ids": []}\n{"query_id": "q\xff"}\n', "line 2: not UTF-8 text"),
]


@pytest.mark.parametrize("content, expected", BAD_LINES, ids=["json", "not-a-list", "null-id", "no-query-id", "array", "bytes"])
def test_a_bad_jsonl_line_is_one_error_line_naming_file_line_and_field(tmp_path, capsys, content, expected):
    run = write_export(tmp_path / "run")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert main(["eval", str(run), "--predictions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {bad} ") and expected in err


def test_a_bad_parquet_row_or_column_names_row_and_field(tmp_path, capsys):
    run = write_export(tmp_path / "run")
    no_column = tmp_path / "no_column.parquet"
    pq.write_table(pa.table({"query_id": ["qA-en"], "ranking": [["p1"]]}), no_column)
    assert main(["eval", str(run), "--predictions", str(no_column)]) == 2
    assert "no_column.parquet: no column 'product_ids' (columns: query_id, ranking)" in capsys.readouterr().err
    null_id = tmp_path / "null_id.parquet"
    pq.write_table(pa.table({"query_id": ["qA-en", None], "product_ids": [["p1"], ["p2"]]}), null_id)
    assert main(["eval", str(run), "--predictions", str(null_id)]) == 2
    assert "null_id.parquet row 2, field query_id" in capsys.readouterr().err
    other = tmp_path / "ranks.csv"
    other.write_text("qA-en,p1\n")
    assert main(["eval", str(run), "--predictions", str(other)]) == 2
    assert "unknown predictions format '.csv'" in capsys.readouterr().err


def test_parquet_and_jsonl_read_the_same_rankings_and_integer_ids_become_text(tmp_path):
    parquet = tmp_path / "p.parquet"
    pq.write_table(pa.table({"query_id": list(RANKINGS), "product_ids": list(RANKINGS.values())}), parquet)
    jsonl = write_jsonl(tmp_path / "p.jsonl", RANKINGS)
    assert read_predictions(parquet)[0] == read_predictions(jsonl)[0] == RANKINGS
    ints = tmp_path / "ints.jsonl"
    ints.write_text('{"query_id": "q", "product_ids": [11466, "12"], "scores": [0.9, 0.1]}\n'
                    '{"query_id": "q", "product_ids": []}\n', encoding="utf-8")
    rankings, counts = read_predictions(ints)
    assert rankings == {"q": ["11466", "12"]} and counts["duplicate_query_rows"] == 1


def test_written_predictions_read_back(tmp_path):
    path = write_predictions(tmp_path / "out" / "predictions.jsonl", RANKINGS.items())
    assert read_predictions(path)[0] == RANKINGS


def test_the_cli_asks_for_exactly_one_source_and_a_finished_run(tmp_path, capsys):
    run = write_export(tmp_path / "run")
    assert main(["eval", str(run)]) == 2
    assert "give exactly one of --predictions FILE or --baseline NAME" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "nowhere"), "--baseline", "bm25"]) == 2
    assert "has no finished export" in capsys.readouterr().err

"""The audit's text checks give the same rows in a process of their own (large exports) as inline (small
ones), failures included: a planted image-value word and a planted control character fail both ways."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

import pipelines.audit.text_process as text_process
from pipelines.audit.run import audit_run


def _plant(run) -> None:
    path = sorted((run / "export" / "data" / "queries").glob("*.parquet"))[0]
    table = pq.read_table(path)
    rows = table.to_pylist()
    english = next(q for q in rows if q["language"] == "en" and
                   any(c["carried_by"] == "image" and c["attribute"] == "color" for c in q["conditions"]))
    color = next(c["value"] for c in english["conditions"] if c["carried_by"] == "image" and c["attribute"] == "color")
    english["text"] += f" in {color}"
    rows[-1]["text"] += "\x1b[31m"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def _rows(result: dict) -> dict[str, dict]:
    return {c["name"]: c for c in result["checks"]}


def test_text_checks_in_a_process_of_their_own_equal_inline(demo_run_copy, monkeypatch):
    _plant(demo_run_copy)
    inline = audit_run(demo_run_copy)
    monkeypatch.setattr(text_process, "BACKGROUND_ROWS", 0)
    started = []
    real = text_process.ProcessPoolExecutor
    monkeypatch.setattr(text_process, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or real(*a, **k))
    background = audit_run(demo_run_copy)
    assert started == [1]
    assert background == inline
    assert [c["name"] for c in background["checks"]] == [c["name"] for c in inline["checks"]]
    checks = _rows(background)
    assert checks["no_image_value_in_text"]["failed"] >= 1 and checks["text_is_plain"]["failed"] >= 1
    assert not background["passed"]


def test_a_small_export_checks_its_texts_once(demo_run_copy, monkeypatch):
    """Inline (no process of its own), the two text checks run once per audit, not once per row asked for."""
    calls = []
    real = text_process.text_check_rows
    monkeypatch.setattr(text_process, "text_check_rows", lambda *a: calls.append(1) or real(*a))
    audit_run(demo_run_copy)
    assert calls == [1]

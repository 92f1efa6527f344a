"""The local build renders the data card before the export's marker (#24: a finished export always has
one) and again after the audit, with its Audit section (#14); a build killed between the export and the
audit keeps its card, and the rerun adds the Audit section (the export step is then skipped)."""

import pytest

import pipelines.audit.run as audit
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build


def _build(out):
    return run_build(DEMO_DIR / "catalog.jsonl", out, load_config(), run_id="demo", progress=False)


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_killed_before_the_audit_the_rerun_writes_the_card(tmp_path, monkeypatch):
    real = audit.audit_run
    export = tmp_path / "demo" / "export"

    def killed(run_dir):
        raise KeyboardInterrupt  # the process dies right after the export step

    monkeypatch.setattr(audit, "audit_run", killed)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path)
    assert (export / "_SUCCESS.json").exists()
    card = (export / "README.md").read_text(encoding="utf-8")  # written before the marker (#24)
    assert "## Summary" in card and "## Audit" not in card
    finished = (export / "_SUCCESS.json").stat().st_mtime_ns

    def crashed(run_dir):
        raise RuntimeError("audit bug")

    monkeypatch.setattr(audit, "audit_run", crashed)
    with pytest.raises(RuntimeError, match="audit bug"):
        _build(tmp_path)
    card = (export / "README.md").read_text(encoding="utf-8")  # a crashing audit still leaves a card
    assert "## Summary" in card and "## Audit" not in card

    monkeypatch.setattr(audit, "audit_run", real)
    report = _build(tmp_path)
    assert all(s.skipped for s in report.steps)
    assert (export / "_SUCCESS.json").stat().st_mtime_ns == finished  # the export was not redone
    card = (export / "README.md").read_text(encoding="utf-8")
    assert "## Summary" in card and "## Audit" in card and (export / "plots" / "funnel.png").exists()


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_the_local_export_step_renders_the_card_before_its_marker_and_the_audit_once_more(tmp_path, monkeypatch):
    """Two renderings per build (#24 changed #14's one): in the export's temp folder, before its marker,
    then after the audit, with the Audit section."""
    import pipelines.card.writer as card_writer
    import pipelines.io.export_writer as export_writer

    calls = []
    real = card_writer.write_card

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(card_writer, "write_card", counted)
    monkeypatch.setattr(export_writer, "write_card", counted)
    _build(tmp_path)
    assert len(calls) == 2 and calls[0].name.startswith(".export.tmp-") and calls[1] == tmp_path / "demo" / "export"


@pytest.mark.slow  # builds the demo
def test_the_second_card_reuses_the_costly_facts_and_a_rewritten_export_recomputes_them(tmp_path, monkeypatch):
    """The card's BM25 baseline, language ID sample and sizes are computed once per export content:
    the build's second rendering (same files, renamed folder) reuses them; `meritgen card` after the
    export's files change (as `qa apply` rewrites them) computes them again, never a stale figure."""
    import pyarrow.parquet as pq

    import pipelines.card.writer as card_writer
    from pipelines.last_value import LastValue

    calls = []
    real = card_writer.condition_rows
    monkeypatch.setattr(card_writer, "condition_rows", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(card_writer, "_FACTS", LastValue())  # an earlier demo build in this process left the same export's
    _build(tmp_path)
    assert len(calls) == 1  # two renderings, one computation
    card_writer.regenerate_card(tmp_path / "demo")
    assert len(calls) == 1  # same files: reused
    shard = sorted((tmp_path / "demo" / "export").rglob("queries/**/*.parquet"))[0]
    table = pq.read_table(shard)
    pq.write_table(table.slice(0, table.num_rows - 1), shard)  # one query row fewer
    card_writer.regenerate_card(tmp_path / "demo")
    assert len(calls) == 2

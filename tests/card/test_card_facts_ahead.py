"""The card's costly facts (BM25 per condition, language-ID sample) are computed beside the audit for a large
export, in a process of their own, and the card after the audit is the card computed inline; the export
step's card (before the marker) leaves them out, and a build's facts are computed once."""

from __future__ import annotations

import json

import pipelines.audit.run as audit_run
import pipelines.card.facts_ahead as facts_ahead
import pipelines.card.writer as card_writer
from pipelines.last_value import LastValue
from pipelines.runners.local import audit_with_card


def _card(run) -> str:
    return (run / "export" / "README.md").read_text(encoding="utf-8")


def test_facts_from_their_own_process_give_the_inline_card(demo_run_copy, monkeypatch):
    monkeypatch.setattr(card_writer, "_FACTS", LastValue())
    audit_with_card(demo_run_copy)  # small export: the facts computed here, when the card asks
    inline = _card(demo_run_copy)
    assert "Per condition" in inline and "hash-random sample" in inline

    monkeypatch.setattr(card_writer, "_FACTS", LastValue())
    monkeypatch.setattr(facts_ahead, "BACKGROUND_ROWS", 0)
    started, computed_here = [], []
    real_pool, real_rows = facts_ahead.ProcessPoolExecutor, card_writer.condition_rows
    monkeypatch.setattr(facts_ahead, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or real_pool(*a, **k))
    monkeypatch.setattr(card_writer, "condition_rows", lambda *a, **k: computed_here.append(1) or real_rows(*a, **k))
    audit_with_card(demo_run_copy)
    assert started == [1] and computed_here == []  # computed in the other process, none here
    assert _card(demo_run_copy) == inline


def test_a_large_product_pool_gets_its_facts_after_the_audit_not_beside_it(demo_run_copy, monkeypatch):
    """Both passes hold the whole product pool: beside each other they were a million-product build's
    peak (6.5 GB). Above the run's pool_max_products no second process starts; the card computes them after."""
    monkeypatch.setattr(card_writer, "_FACTS", LastValue())
    monkeypatch.setattr(facts_ahead, "BACKGROUND_ROWS", 0)
    _set_config(demo_run_copy, pool_max_products=5)  # the demo exports more products than this
    started, order = [], []
    real_pool, real_rows, real_audit = facts_ahead.ProcessPoolExecutor, card_writer.condition_rows, audit_run.audit_run
    monkeypatch.setattr(facts_ahead, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or real_pool(*a, **k))
    monkeypatch.setattr(card_writer, "condition_rows", lambda *a, **k: order.append("facts") or real_rows(*a, **k))
    monkeypatch.setattr(audit_run, "audit_run", lambda *a, **k: order.append("audit") or real_audit(*a, **k))
    audit_with_card(demo_run_copy)
    assert started == [] and order == ["audit", "facts"] and "Per condition" in _card(demo_run_copy)


def test_facts_of_another_export_are_never_reused(demo_run_copy, monkeypatch):
    """The cache is keyed by the export's content: facts remembered for other files are recomputed."""
    monkeypatch.setattr(card_writer, "_FACTS", LastValue())
    card_writer.remember(("another export",), {"conditions": None, "langid": None, "sizes": {}})
    computed = []
    real_rows = card_writer.condition_rows
    monkeypatch.setattr(card_writer, "condition_rows", lambda *a, **k: computed.append(1) or real_rows(*a, **k))
    audit_with_card(demo_run_copy)
    assert computed == [1] and "Per condition" in _card(demo_run_copy)


def test_the_export_step_card_leaves_the_costly_facts_out(demo_run_copy, monkeypatch):
    import json

    from pipelines.config import config_from_dict

    computed = []
    monkeypatch.setattr(card_writer, "condition_rows", lambda *a, **k: computed.append(1))
    monkeypatch.setattr(card_writer, "language_agreement", lambda *a, **k: computed.append(1))
    cfg = config_from_dict(json.loads((demo_run_copy / "config.json").read_text(encoding="utf-8")))
    report = json.loads((demo_run_copy / "report.json").read_text(encoding="utf-8"))
    card_writer.write_card(demo_run_copy / "export", report, cfg, demo_run_copy, costly=False)
    card = _card(demo_run_copy)
    assert computed == [] and "## Summary" in card and "Per condition" not in card


def _set_config(run_dir, **values):
    path = run_dir / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **values}))


def test_pool_max_products_0_lets_the_facts_run_beside_the_audit_at_any_size(demo_run_copy, monkeypatch):
    _set_config(demo_run_copy, pool_max_products=0)
    assert facts_ahead.fits_beside(demo_run_copy, 10**9)
    _set_config(demo_run_copy, pool_max_products=5)
    assert not facts_ahead.fits_beside(demo_run_copy, 6) and facts_ahead.fits_beside(demo_run_copy, 5)

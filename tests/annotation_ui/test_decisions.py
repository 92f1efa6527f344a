"""Decision validation, item resolution and Cohen's kappa (pure functions)."""

import pytest

from annotation_ui.decisions import (
    cohen_kappa,
    current_decisions,
    progress,
    resolve,
    resolve_round,
    round_agreement,
    validate_decision,
)
from annotation_ui.errors import DecisionError


def d(annotator, action, reason=None, text=None, role="annotator", qid="q1"):
    return {"query_id": qid, "annotator": annotator, "role": role, "action": action, "reason": reason,
            "note": None, "text": text}


def test_kappa_matches_a_hand_computed_example():
    # 10 items: both accept 4, both reject 3, A accepts/B rejects 2, A rejects/B accepts 1.
    # p_o = 7/10; A accepts 6/10, B accepts 5/10: p_e = .6*.5 + .4*.5 = .5; kappa = (.7-.5)/(1-.5) = .4
    pairs = [("accept", "accept")] * 4 + [("reject", "reject")] * 3 + [("accept", "reject")] * 2 + [("reject", "accept")]
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_kappa_edge_cases():
    assert cohen_kappa([]) is None
    assert cohen_kappa([("accept", "accept")] * 5) is None  # chance agreement 1: undefined
    assert cohen_kappa([("accept", "reject"), ("reject", "accept")]) == pytest.approx(-1.0)
    assert cohen_kappa([("accept", "accept"), ("reject", "reject")]) == pytest.approx(1.0)


def test_validate_decision():
    assert validate_decision("accept", "ignored", " ") == (None, None)
    assert validate_decision("reject", "bad_translation", "") == ("bad_translation", None)
    assert validate_decision("reject", "other", " typo ") == ("other", "typo")
    for action, reason, note, message in [("maybe", None, None, "unknown action"), ("reject", None, None, "needs a reason"),
                                          ("reject", "ugly", None, "needs a reason"), ("reject", "other", "", "needs a note")]:
        with pytest.raises(DecisionError, match=message):
            validate_decision(action, reason, note)


def test_current_decision_is_the_latest_per_annotator():
    log = [d("a", "accept"), d("b", "reject", "other"), d("a", "reject", "bad_translation")]
    current = current_decisions(log)
    assert current["q1"]["a"]["action"] == "reject" and current["q1"]["b"]["action"] == "reject"


def test_resolve_single_double_disagreement_and_adjudication():
    assert resolve(("a",), {}).status == "pending"
    assert resolve(("a", "b"), {"a": d("a", "accept")}).status == "pending"
    agreed = resolve(("a", "b"), {"a": d("a", "accept"), "b": d("b", "edit", text="new <image_1>")})
    assert (agreed.status, agreed.action, agreed.text) == ("agreed", "edit", "new <image_1>")
    assert resolve(("a", "b"), {"a": d("a", "accept"), "b": d("b", "reject", "other")}).status == "disagreement"
    assert resolve(("a", "b"), {"a": d("a", "edit", text="x"), "b": d("b", "edit", text="y")}).status == "disagreement"
    settled = resolve(("a", "b"), {"a": d("a", "accept"), "b": d("b", "reject", "other"),
                                   "adjudicator": d("adjudicator", "reject", "needs_no_image", role="adjudicator")})
    assert (settled.status, settled.action, settled.scope) == ("adjudicated", "reject", "base")


def test_rejection_scope_is_language_only_for_bad_translation():
    assert resolve(("a",), {"a": d("a", "reject", "bad_translation")}).scope == "language"
    mixed = resolve(("a", "b"), {"a": d("a", "reject", "bad_translation"), "b": d("b", "reject", "condition_not_visible")})
    assert (mixed.scope, mixed.reasons) == ("base", ("bad_translation", "condition_not_visible"))


def test_round_agreement_and_progress():
    assignments = {"q1": ("a", "b"), "q2": ("a", "b"), "q3": ("a",), "q4": ("a", "b")}
    log = [d("a", "accept", qid="q1"), d("b", "edit", text="t", qid="q1"),      # agree (edit keeps the query)
           d("a", "accept", qid="q2"), d("b", "reject", "other", qid="q2"),    # disagree
           d("a", "reject", "other", qid="q3"), d("a", "accept", qid="q4")]    # q3 single, q4 half done
    agreement = round_agreement(assignments, log)
    assert (agreement.pairs, agreement.observed) == (2, 0.5)
    assert agreement.kappa == pytest.approx(0.0)  # p_o .5, p_e = 1*.5 + 0*.5 = .5
    assert progress(assignments, log) == {"a": {"done": 4, "total": 4}, "b": {"done": 2, "total": 3}}
    statuses = {q: r.status for q, r in resolve_round(assignments, log).items()}
    assert statuses == {"q1": "agreed", "q2": "disagreement", "q3": "agreed", "q4": "pending"}

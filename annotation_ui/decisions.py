"""Pure decision logic: valid decisions, the current decision per annotator, item resolution, kappa.

A decision is a dict with annotator, role ("annotator" | "adjudicator"), action ("accept" |
"reject" | "edit"), reason, note and text. For agreement an edit counts as an accept: the
annotator keeps the query, only with better wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotation_ui.errors import DecisionError

ACTIONS = ("accept", "reject", "edit")
REASONS = ("condition_not_visible", "positive_wrong_or_not_unique", "bad_translation", "needs_no_image", "other")
LANGUAGE_ONLY_REASONS = frozenset({"bad_translation"})  # every other reason rejects the base query
MAX_NOTE = 2000


@dataclass(frozen=True)
class Resolution:
    """What a round concluded about one item.

    status: pending | disagreement | agreed | adjudicated; action/reasons/text/scope are set
    once the item is agreed or adjudicated (scope: "language" or "base" for rejections).
    """

    status: str
    action: str | None = None
    reasons: tuple[str, ...] = ()
    text: str | None = None
    scope: str | None = None

    @property
    def final(self) -> bool:
        return self.status in ("agreed", "adjudicated")


@dataclass(frozen=True)
class Agreement:
    """Agreement on accept/reject over the double-annotated items both annotators decided."""

    pairs: int
    observed: float | None
    kappa: float | None


def validate_decision(action: str, reason: str | None, note: str | None) -> tuple[str | None, str | None]:
    """(reason, note) cleaned, or DecisionError saying what is missing."""
    if action not in ACTIONS:
        raise DecisionError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise DecisionError(f"the note is too long ({len(note)} characters, at most {MAX_NOTE})")
    if action != "reject":
        return None, note
    if reason not in REASONS:
        raise DecisionError(f"a rejection needs a reason from: {', '.join(REASONS)} (got {reason!r})")
    if reason == "other" and not note:
        raise DecisionError("reason 'other' needs a note saying what is wrong")
    return reason, note


def outcome(action: str) -> str:
    """accept | reject: the binary label agreement is measured on (an edit keeps the query)."""
    return "reject" if action == "reject" else "accept"


def current_decisions(log: list[dict]) -> dict[str, dict[str, dict]]:
    """query_id -> annotator -> latest decision, from a log ordered oldest first (undone rows excluded)."""
    out: dict[str, dict[str, dict]] = {}
    for row in log:
        out.setdefault(row["query_id"], {})[row["annotator"]] = row
    return out


def resolve(assigned: tuple[str, ...], decisions: dict[str, dict]) -> Resolution:
    """Resolve one item from its assigned annotators and their current decisions.

    An adjudicator's decision wins; otherwise the item is final once every assigned annotator
    decided the same accept/reject and no two edits conflict.
    """
    adjudicated = [d for d in decisions.values() if d["role"] == "adjudicator"]
    if adjudicated:
        return _conclude([adjudicated[-1]], "adjudicated")
    if any(a not in decisions for a in assigned):
        return Resolution("pending")
    mine = [decisions[a] for a in assigned]
    edits = {d["text"] for d in mine if d["action"] == "edit"}
    if len({outcome(d["action"]) for d in mine}) > 1 or len(edits) > 1:
        return Resolution("disagreement")
    return _conclude(mine, "agreed")


def _conclude(decisions: list[dict], status: str) -> Resolution:
    if decisions[0]["action"] == "reject":
        reasons = tuple(sorted({d["reason"] for d in decisions}))
        scope = "language" if set(reasons) <= LANGUAGE_ONLY_REASONS else "base"
        return Resolution(status, "reject", reasons, None, scope)
    edits = [d["text"] for d in decisions if d["action"] == "edit"]
    return Resolution(status, "edit", (), edits[0], None) if edits else Resolution(status, "accept")


def resolve_round(assignments: dict[str, tuple[str, ...]], log: list[dict]) -> dict[str, Resolution]:
    """query_id -> Resolution for every item of a round."""
    current = current_decisions(log)
    return {qid: resolve(assigned, current.get(qid, {})) for qid, assigned in assignments.items()}


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None when undefined (no pairs, or chance agreement is 1)."""
    if not pairs:
        return None
    n = len(pairs)
    labels = {label for pair in pairs for label in pair}
    observed = sum(a == b for a, b in pairs) / n
    expected = sum((sum(a == k for a, _ in pairs) / n) * (sum(b == k for _, b in pairs) / n) for k in labels)
    if expected == 1:
        return None  # both raters used one label only: kappa is 0/0
    return (observed - expected) / (1 - expected)


def round_agreement(assignments: dict[str, tuple[str, ...]], log: list[dict]) -> Agreement:
    """Kappa over double-annotated items; with more than two annotators it pools all pairs.

    Rater A is the alphabetically first annotator of each pair, rater B the second.
    """
    current = current_decisions(log)
    pairs = []
    for qid, assigned in assignments.items():
        if len(assigned) == 2 and all(a in current.get(qid, {}) for a in assigned):
            a, b = sorted(assigned)
            pairs.append((outcome(current[qid][a]["action"]), outcome(current[qid][b]["action"])))
    observed = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return Agreement(len(pairs), observed, cohen_kappa(pairs))


def progress(assignments: dict[str, tuple[str, ...]], log: list[dict]) -> dict[str, dict[str, int]]:
    """annotator -> {"done", "total"}: items assigned to them that they have a live decision on."""
    current = current_decisions(log)
    out: dict[str, dict[str, int]] = {}
    for qid, assigned in assignments.items():
        for a in assigned:
            slot = out.setdefault(a, {"done": 0, "total": 0})
            slot["total"] += 1
            slot["done"] += a in current.get(qid, {})
    return dict(sorted(out.items()))

"""The data card's human-QA section, rendered from a round summary (pure: dict in, Markdown out).

The summary is what `annotation_ui.apply_logic.summarize` returns; `meritgen qa apply` appends
one section per applied round when it regenerates the card.
"""

from __future__ import annotations

from pipelines.card.parts import md_table

REASON_LABELS = {
    "condition_not_visible": "a condition is not visible in its image",
    "positive_wrong_or_not_unique": "positive wrong or not unique",
    "bad_translation": "bad translation (only that language removed)",
    "needs_no_image": "the image is not needed",
    "other": "other",
}


def _rate(accepted: int, reviewed: int) -> str:
    return f"{accepted / reviewed:.0%}" if reviewed else "n/a"


def _rate_rows(groups: dict[str, dict[str, int]]) -> list[list]:
    return [[k, v["reviewed"], v["accepted"], _rate(v["accepted"], v["reviewed"])] for k, v in sorted(groups.items())]


def _agreement_text(agreement: dict) -> str:
    if not agreement.get("pairs"):
        return "No item was decided by two annotators, so agreement was not measured."
    kappa = agreement.get("kappa")
    kappa_text = f"{kappa:.2f}" if kappa is not None else "undefined (both annotators used one label only)"
    return (f"Cohen's kappa on accept/reject over {agreement['pairs']} double-annotated queries: **{kappa_text}** "
            f"(raw agreement {agreement['observed']:.0%}). Disagreements went to an adjudicator.")


def qa_section(summary: dict) -> str:
    """Markdown for one QA round: acceptance per language and category, reasons, agreement."""
    reviewed, accepted = summary["reviewed"], summary["accepted"]
    reasons = summary.get("reasons", {})
    parts = [
        f"## Human QA: round `{summary['round']}`",
        f"A stratified sample of {summary['items']} queries (language x category x number of conditions) was "
        f"reviewed by annotators; {reviewed} reached a final decision, {accepted} were accepted "
        f"({_rate(accepted, reviewed)}, of which {summary['edited']} after a text edit). Rejected queries were "
        "removed from this export: a bad translation removes that language only, any other reason the query in "
        "every language.",
        "### Acceptance by language",
        md_table(["language", "reviewed", "accepted", "rate"], _rate_rows(summary["by_language"])),
        "### Acceptance by category",
        md_table(["category", "reviewed", "accepted", "rate"], _rate_rows(summary["by_category"])),
        "### Rejections by reason",
        md_table(["reason", "queries", "share of reviewed"],
                  [[REASON_LABELS.get(k, k), n, _rate(n, reviewed)] for k, n in sorted(reasons.items())])
        if reasons else "No query was rejected.",
        "### Agreement",
        _agreement_text(summary.get("agreement", {})),
    ]
    if summary.get("pending") or summary.get("disagreements"):
        parts.append(f"Applied with {summary['pending']} queries undecided and {summary['disagreements']} "
                     "unresolved disagreements; those queries were kept unchanged.")
    return "\n\n".join(parts)

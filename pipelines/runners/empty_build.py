"""A build that exports no query is a failure the user hears about in one line, with its top reject reasons."""

from __future__ import annotations

# What to try when a reason dominates (the rest is in `meritgen inspect` and the card).
HINTS = {
    "too_many_positives": "a small catalog leaves few products per value: raise compose.max_positive_share / "
                          "compose.max_positives",
    "unknown_category": "the vocabulary knows few of the catalog's categories: `meritgen vocab induce`",
    "value_not_in_vocabulary": "catalog values map onto no vocabulary value: `meritgen vocab induce`",
}


def exported_queries(report: dict) -> int | None:
    export = next((s for s in report.get("steps", []) if s["name"] == "export"), None)
    return None if export is None else int(export["rows_out"].get("queries", 0))


def no_queries_message(report: dict, reasons: list[list]) -> str | None:
    """The error line for a build that exported 0 queries (None otherwise); `reasons`: [stage, reason, rows]."""
    if exported_queries(report) != 0:
        return None
    top = sorted(reasons, key=lambda r: -int(r[2]))[:3]
    listed = ", ".join(f"{stage} {reason} ({rows})" for stage, reason, rows in top) or "no reject rows"
    hint = next((HINTS[r[1]] for r in top if r[1] in HINTS), "")
    return (f"the build exported 0 queries; top reject reasons: {listed}" + (f"; try: {hint}" if hint else "")
            + f"; see meritgen inspect --run {report['run_dir']} --sql "
            "'SELECT stage, reason, count(*) AS n FROM rejects GROUP BY ALL ORDER BY n DESC'")

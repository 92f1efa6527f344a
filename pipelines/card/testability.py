"""The card's "Testability" section: per split, how many conditions a retriever cannot ignore for free.

Read from `meritgen audit`'s figures (audit/testability.py), so the card states what the independent
audit found on the exported files.
"""

from __future__ import annotations

from pipelines.card.parts import md_table


def share_text(n: int, d: int) -> str:
    return f"{n:,} / {d:,} ({n / d:.0%})" if d else "n/a"


def testability_section(audit: dict) -> str | None:
    """The section, or None when the audit predates these figures."""
    figures = audit.get("figures", {}).get("testability")
    if not figures:
        return None
    rows = [[split, f"{f['queries']:,}", share_text(f["testable"], f["conditions"]), share_text(f["with_negative"], f["conditions"]),
             share_text(f["queries_all_testable"], f["queries"]), f"{f['vacuous']:,}", f"{f['one_sided']:,}"]
            for split, f in figures.items()]
    return "\n\n".join([
        "## Testability",
        "A condition is testable when the query's own split pool holds a *minimal pair*: a product that meets "
        "every other condition and violates this one, on known values. Only then does a retriever that ignores "
        "the condition rank a wrong product above the answer. Each such pair is exported as a hard negative with "
        "`source = \"minimal_pair\"` and `violates = [the attribute]`. A vacuous condition (met by every known "
        "product of its category) and a one-sided query (its image conditions remove nothing its text conditions "
        "admit, or the reverse) should never appear. Counted per base query by `meritgen audit`.",
        md_table(["split", "base queries", "conditions with a minimal pair", "with a minimal-pair negative",
                  "queries with one for every condition", "vacuous conditions", "one-sided queries"], rows)])

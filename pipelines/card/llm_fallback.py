"""Which LLM steps fell back because the server gave no answer, and the build's gate on it.

A request the server never answered (in time) is a reject of reason `llm_request_failed` or
`llm_deadline` (pipelines/llm/failures.py); its row keeps its offline result (template text, the
field/title facts, the unpersonalised plan) or, for the judge, is dropped. A few such rows are
a flaky server; many are a dead one, and an export that quietly fell back to templates must not
pass as an LLM build: past `llm.max_failed_share` of a step's rows the build exits non-zero
(`LLMFallbackError`, one line naming the steps and counts), and the card lists every step that
fell back. Pure: it reads the build report's step counters only.
"""

from __future__ import annotations

from pipelines.errors import MeritgenError
from pipelines.llm.failures import UNANSWERED

# What a step's row without an answer becomes; steps not listed keep their offline result.
_FALLBACK = {"rewrite": "keep their template text", "translate": "keep their template text",
             "llm_mine": "keep only the facts mined from fields and titles",
             "personalize": "stay unpersonalised", "judge": "were dropped (not judged)"}


class LLMFallbackError(MeritgenError):
    """LLM steps got no answer for more than `llm.max_failed_share` of their rows."""


def llm_steps(report: dict) -> dict[str, dict]:
    """{step name: counters} of the steps that asked an LLM (they count `llm_requests`)."""
    return {s["name"]: s["counters"] for s in report.get("steps", []) if "llm_requests" in s.get("counters", {})}


def fallbacks(report: dict) -> list[dict]:
    """One entry per LLM step with unanswered rows: step, rows, unanswered, by reason, what they became."""
    out = []
    for name, counters in llm_steps(report).items():
        by_reason = {r: counters.get(f"rejected_{r}", 0) for r in sorted(UNANSWERED) if counters.get(f"rejected_{r}")}
        if by_reason:
            out.append({"step": name, "rows": counters.get("rows", 0), "unanswered": sum(by_reason.values()),
                        "by_reason": by_reason, "became": _FALLBACK.get(name, "keep their offline result")})
    return out


def describe(entry: dict) -> str:
    reasons = ", ".join(f"{r} {n:,}" for r, n in entry["by_reason"].items())
    return f"{entry['step']}: {entry['unanswered']:,} of {entry['rows']:,} rows unanswered ({reasons})"


def gate_error(report: dict, max_share: float) -> LLMFallbackError | None:
    """The error for a build whose LLM steps lost more than `max_share` of their rows, else None."""
    over = [f for f in fallbacks(report) if f["rows"] and f["unanswered"] / f["rows"] > max_share]
    if not over:
        return None
    return LLMFallbackError(f"the LLM server gave no answer for more than {max_share:.0%} of the rows of "
                            f"{'; '.join(describe(f) for f in over)}; the export fell back (see the card's LLM "
                            "section); rerun the build when the server is healthy: only unanswered rows are asked again")


def card_lines(report: dict) -> list[str]:
    """The card's statement of which LLM steps fell back (empty when no LLM step ran)."""
    if not llm_steps(report):
        return []
    found = fallbacks(report)
    if not found:
        return ["No LLM step fell back for lack of an answer: the server answered every request (rows whose "
                "answer failed the checks keep their offline result; see Rejects by reason)."]
    return ["Steps that fell back because the LLM server gave no answer:",
            "\n".join(f"- {describe(f)}: those rows {f['became']}" for f in found)]

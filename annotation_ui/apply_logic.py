"""Pure application of a round's resolutions to the exported query table, and its summary.

Policy (documented in the README of annotation_ui): a `bad_translation` rejection removes only
that language's query; any other reason removes the base query in every language, because the
problem (an invisible condition, a wrong positive set, a needless image) is shared by all of
them. Edits replace text and rebuild segments; an edit of the English query also updates
`source_text_en` of its translations. A rejection wins over an edit of the same base query.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from annotation_ui.decisions import Agreement, Resolution, outcome
from annotation_ui.edits import edited_row
from pipelines import schemas


@dataclass(frozen=True)
class Plan:
    """Which query ids / base ids to drop, which query ids get new text, and which base queries
    get a new `source_text_en` (their English query was edited)."""

    drop_queries: frozenset[str] = frozenset()
    drop_bases: frozenset[str] = frozenset()
    edits: dict[str, str] = field(default_factory=dict)
    source_edits: dict[str, str] = field(default_factory=dict)


def plan_changes(items: list[dict], resolutions: dict[str, Resolution]) -> Plan:
    """Turn final resolutions into a Plan; items carry query_id, base_query_id and language."""
    drop_q, drop_b, edits, source_edits = set(), set(), {}, {}
    for item in items:
        res = resolutions.get(item["query_id"])
        if res is None or not res.final:
            continue
        if res.action == "reject" and res.scope == "language":
            drop_q.add(item["query_id"])
        elif res.action == "reject":
            drop_b.add(item["base_query_id"])
        elif res.action == "edit":
            edits[item["query_id"]] = res.text
            if item["language"] == "en":
                source_edits[item["base_query_id"]] = res.text
    return Plan(frozenset(drop_q), frozenset(drop_b), edits, source_edits)


def apply_plan(queries: pa.Table, plan: Plan) -> tuple[pa.Table, dict[str, int]]:
    """The query table without dropped rows and with edits applied, plus counts of what changed."""
    drop = pc.or_(pc.is_in(queries["query_id"], pa.array(sorted(plan.drop_queries), pa.string())),
                  pc.is_in(queries["base_query_id"], pa.array(sorted(plan.drop_bases), pa.string())))
    kept = queries.filter(pc.invert(drop))
    touched = pc.or_(pc.is_in(kept["query_id"], pa.array(sorted(plan.edits), pa.string())),
                     pc.is_in(kept["base_query_id"], pa.array(sorted(plan.source_edits), pa.string())))
    indexed = kept.append_column("__row", pa.array(range(kept.num_rows), pa.int64()))
    unchanged, changed = indexed.filter(pc.invert(touched)), indexed.filter(touched)
    rows = [_edit(r, plan) for r in changed.to_pylist()]
    rebuilt = pa.Table.from_pylist(rows, schema=changed.schema) if rows else changed
    merged = pa.concat_tables([unchanged, rebuilt]).sort_by("__row").drop_columns(["__row"])
    counts = {"queries_before": queries.num_rows, "queries_after": merged.num_rows,
              "removed": queries.num_rows - merged.num_rows, "edited": sum(r["query_id"] in plan.edits for r in rows)}
    return schemas.conform(merged, "query"), counts


def _edit(row: dict, plan: Plan) -> dict:
    if row["query_id"] in plan.edits:
        row = edited_row(row, plan.edits[row["query_id"]])
    if row["base_query_id"] in plan.source_edits:
        row = {**row, "source_text_en": plan.source_edits[row["base_query_id"]]}
    return row


def summarize(round_name: str, items: list[dict], resolutions: dict[str, Resolution], agreement: Agreement) -> dict:
    """Round statistics for the data card: acceptance per language/category, reasons, agreement."""
    final = [(i, resolutions[i["query_id"]]) for i in items if resolutions[i["query_id"]].final]
    status = Counter(r.status for r in resolutions.values())
    return {
        "round": round_name,
        "items": len(items),
        "reviewed": len(final),
        "pending": status["pending"],
        "disagreements": status["disagreement"],
        "adjudicated": status["adjudicated"],
        "accepted": sum(outcome(r.action) == "accept" for _, r in final),
        "edited": sum(r.action == "edit" for _, r in final),
        "by_language": _rates(final, "language"),
        "by_category": _rates(final, "category"),
        "reasons": dict(sorted(Counter(reason for _, r in final for reason in r.reasons).items())),
        "agreement": {"pairs": agreement.pairs, "observed": agreement.observed, "kappa": agreement.kappa},
    }


def _rates(final: list[tuple[dict, Resolution]], key: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item, res in final:
        slot = out.setdefault(str(item[key]), {"reviewed": 0, "accepted": 0})
        slot["reviewed"] += 1
        slot["accepted"] += outcome(res.action) == "accept"
    return dict(sorted(out.items()))

"""Card sections whose facts come from the run itself (pure; `card/writer.py` gathers them).

The source note names the catalog the run read (the bundled demo gets its own caveat), the
language-ID table is computed on the exported texts, and the rejects table counts every stage's
reject rows, so the card cannot describe a different build than the one it ships with.
"""

from __future__ import annotations

from pathlib import Path

from pipelines import reject_reasons
from pipelines.resources import DEMO_DIR

DEMO_SOURCE_NOTE = (
    "Built from the bundled demo catalog: {products:,} products sampled from the public *Fashion Product Images* "
    "catalog (Myntra listings, collected by Param Aggarwal and published on Kaggle). **Its licence was not "
    "verified**: use the demo for development and tests only."
)
CATALOG_SOURCE_NOTE = (
    "Built from the catalog `{catalog}` ({products:,} products ingested). The licence was not recorded for this "
    "catalog: set export.source_note, export.license and export.license_name in the config to state its source "
    "and terms."
)


def ingested_products(report: dict, default: int) -> int:
    ingest = next((s for s in report.get("steps", []) if s["name"] == "ingest"), None)
    return int((ingest or {}).get("counters", {}).get("products", default))


def source_note(note: str, report: dict, exported_products: int) -> str:
    """The config's note, or one that names the run's own catalog and its size."""
    if note:
        return note
    catalog = report.get("catalog", "")
    products = ingested_products(report, exported_products)
    try:
        is_demo = bool(catalog) and Path(catalog).resolve().is_relative_to(DEMO_DIR.resolve())
    except (OSError, ValueError):
        is_demo = False
    if is_demo:
        return DEMO_SOURCE_NOTE.format(products=products)
    # The file name only: the build machine's folders are no business of the card's readers.
    return CATALOG_SOURCE_NOTE.format(catalog=Path(catalog).name if catalog else "unknown", products=products)


def reject_rows(counted: list[list] | None, counter_rows: list[list]) -> list[list]:
    """[stage, reason, rows]: reject rows counted per stage and reason, plus counter-only reasons."""
    if counted is None:
        return counter_rows
    seen = {(stage, reason) for stage, reason, _ in counted}
    return sorted(counted + [r for r in counter_rows if (r[0], r[1]) not in seen])


def rejects_table(rows: list[list]) -> str:
    """The card's "Rejects by reason" table: [stage, reason, rows] with each reason's line (pipelines/reject_reasons.py)."""
    return md_table(["stage", "reason", "rows", "what it means, what to do"],
                    [[*r, reject_reasons.line(r[1])] for r in rows])


def langid_rows(agreement: list[dict]) -> list[list]:
    """[language, checked, agreement] rows of a `language_agreement` table."""
    return [[r["language"], f"{r['checked']:,}", f"{r['agreement']:.1%}"] for r in agreement]


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value) -> str:
    """Counts with thousands separators, as the card's pre-formatted figures have them (2,350, not 2350)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)

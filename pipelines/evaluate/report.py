"""The tables of `meritgen eval` (rich, on stdout) and the card's per-condition table (markdown)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipelines.card.parts import md_table
from pipelines.evaluate.metrics import ALL, NEGATIVE_ABOVE, NEITHER, POSITIVE_ABOVE

METRIC_HEADER = ["split", "language", "queries", "R@1", "R@5", "R@10", "MRR@10", "missing"]
CONDITION_HEADER = ["split", "attribute", "carrier", "conditions", "tested", "positive above", "negative above",
                    "neither ranked", "share"]
COUNTERS = {  # what the eval counted, in the order printed
    "prediction_rows": "prediction rows", "duplicate_query_rows": "query ids given twice (first row kept)",
    "unknown_query_ids": "query ids not in the export", "unscored_query_ids": "query ids of splits not scored",
    "missing_queries": "scored queries without a ranking (misses)", "duplicate_product_ids": "repeated product ids dropped",
    "unknown_product_ids": "product ids not in the catalog", "other_split_product_ids": "product ids of the other split's pool",
}


def metric_cells(row: dict) -> list[str]:
    return [row["split"], row["language"], str(row["queries"]),
            *(f"{100 * row[m]:.1f}" for m in ("r1", "r5", "r10", "mrr10")), str(row["missing"])]


def condition_cells(row: dict) -> list[str]:
    share = "n/a" if row["share"] is None else f"{100 * row['share']:.1f}%"
    return [row["split"], row["attribute"], row["carrier"], str(row["conditions"]), str(row["tested"]),
            str(row[POSITIVE_ABOVE]), str(row[NEGATIVE_ABOVE]), str(row[NEITHER]), share]


def every_language(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["language"] == ALL]


def print_tables(result: dict, console: Console) -> None:
    """Metrics per split x language, the per-condition report (all languages) and the counts."""
    console.print(f"meritgen eval: {result['retriever']} on {result['run']} (splits: {', '.join(result['splits'])})",
                  markup=False, highlight=False)
    # With one split scored, its `all` rows repeat it
    shown = (lambda rows: [r for r in rows if r["split"] != ALL]) if len(result["splits"]) == 1 else (lambda rows: rows)
    console.print(_table("R@k and MRR@10 (%) per split and language", METRIC_HEADER,
                         [metric_cells(r) for r in shown(result["metrics"])], left=2))
    console.print(_table("Per condition: the best positive ranked above the condition's minimal-pair negative "
                         "(share of the pairs where either is ranked)", CONDITION_HEADER,
                         [condition_cells(r) for r in every_language(shown(result["conditions"]))], left=3))
    counts = result["counters"]
    console.print("; ".join(f"{label}: {counts.get(key, 0)}" for key, label in COUNTERS.items()), markup=False,
                  highlight=False)


def _table(title: str, header: list[str], rows: list[list[str]], left: int) -> Table:
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i < left else "right")
    for row in rows:
        table.add_row(*row)
    return table


def condition_markdown(rows: list[dict]) -> str:
    """The per-condition report (all languages) as a markdown table, for the data card."""
    return md_table(CONDITION_HEADER, [condition_cells(r) for r in every_language(rows)])

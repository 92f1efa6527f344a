"""Testability of a built export (issue #22): the table of minimal pairs, vacuous and one-sided queries.

    python benchmarks/testability.py RUN_DIR [RUN_DIR ...]

Reads only the export (through `meritgen audit`'s own module, pipelines/audit/testability.py), so
it measures any build, old or new. Counts are per base query (its language rows counted once).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipelines.audit.run import audit_run
from pipelines.card.testability import share_text


def table_rows(figures: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    test, train = figures.get("test", {}), figures.get("train", {})
    every = {k: sum(f[k] for f in figures.values()) for k in ("queries", "vacuous", "one_sided")}
    return [("test conditions with a minimal pair in the own pool", share_text(test.get("testable", 0), test.get("conditions", 0))),
            ("test queries with one for every condition", share_text(test.get("queries_all_testable", 0), test.get("queries", 0))),
            ("train conditions with a minimal pair", share_text(train.get("testable", 0), train.get("conditions", 0))),
            ("test conditions with an exported minimal-pair negative",
             share_text(test.get("with_negative", 0), test.get("conditions", 0))),
            ("train conditions with an exported minimal-pair negative",
             share_text(train.get("with_negative", 0), train.get("conditions", 0))),
            ("vacuous conditions", f"{every['vacuous']:,}"),
            ("one-sided queries", f"{every['one_sided']:,}"),
            ("base queries (test + train)", f"{every['queries']:,}")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (<out>/<run_id>) with a finished export")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for run in args.runs:
        figures = audit_run(run)["figures"]["testability"]
        if args.json:
            print(json.dumps({"run": str(run), **figures}))
            continue
        print(f"\n{run}\n| figure | value |\n|---|---|")
        for name, value in table_rows(figures):
            print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()

"""Audit checks on the export as files: every file its marker lists is there, and the card loads.

An export whose card or a data shard went missing after it was finished (a kill between writes,
a full disk, a careless copy) must fail the audit, not pass on what is left."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.audit.checks import MAX_EXAMPLES, Check
from pipelines.io import layout
from pipelines.io.export_files import missing_files


def export_files_check(export: Path) -> dict:
    marker = json.loads(layout.marker_path(export).read_text(encoding="utf-8"))
    check = Check("export_files", "every file the export's marker lists is there (same size), and the data card "
                                  "names existing data files")
    # One export checked (not one per file: runners lay out different file counts for the same data, and
    # the card, which shows this row, must not differ); each problem is an example.
    check.checked = 1
    problems = missing_files(export, marker)
    check.failed = 1 if problems else 0
    check.examples = [{"problem": p} for p in problems[:MAX_EXAMPLES]]
    return check.as_dict()


def add_checks(result: dict, checks: list[dict]) -> dict:
    """`result` with `checks` appended and its verdict recomputed."""
    result["checks"] = [*result["checks"], *checks]
    result["passed"] = all(c["status"] != "fail" for c in result["checks"])
    return result

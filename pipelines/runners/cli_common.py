"""What the CLI's command modules share (`runners/cli.py`, `beam/cli.py`, `runners/vocab_cli.py`): the
stderr console, `--set` parsing, the LLM server the environment names, the build summary and the audit's
exit code. Its own module so that the command modules import it and `runners/cli.py` imports them,
without an import circle."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipelines.errors import MeritgenError
from pipelines.io import layout
from pipelines.runners.consoles import results_console

console = Console(stderr=True)
SET_HELP = ("override one config key (README, Configuration); repeatable, default: none. VALUE is read as JSON and "
            "must have the TOML key's type: a number (50), true/false, a quoted or bare-word string, a list "
            "(e.g. --set compose.max_queries=50 --set 'render.languages=[\"en\",\"th\"]')")


def overrides_of(pairs: list[str]) -> dict:
    """`--set compose.max_queries=50` pairs; values parse as JSON when they can."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise MeritgenError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def llm_endpoint():
    """The LLM server named by MERITGEN_LLM_URL / _MODEL / _API_KEY: the environment is read here, at
    the edge (and by the Prefect flows and the Beam launcher), then passed down as a value."""
    from pipelines.llm.client import LLMEndpoint

    return LLMEndpoint.from_environ(os.environ)


def report_audit(audit: dict, fail: bool = True) -> int:
    from pipelines.audit.run import print_audit

    out = results_console()
    print_audit(audit, out)
    out.print(f"audit: {Path(audit['run_dir']) / layout.AUDIT_FILE}", markup=False)
    return 0 if audit["passed"] or not fail else 1


def summary_rejects(report: dict) -> list[list]:
    """Every stage's reject rows by reason (as the card counts them), counter-only reasons added."""
    from pipelines.card.parts import reject_rows
    from pipelines.card.render import rejects_rows
    from pipelines.card.writer import reject_reasons

    run_dir = Path(report["run_dir"])
    counted = reject_reasons(run_dir, layout.export_dir(run_dir)) if run_dir.is_dir() else None
    return reject_rows(counted, rejects_rows(report))


def print_summary(report: dict) -> None:
    console = results_console()  # the summary is the build's result: stdout
    table = Table(title="meritgen build")
    for col in ("stage", "status", "rows in", "rows out", "rejects", "seconds"):
        table.add_column(col, justify="right" if col not in ("stage", "status", "rows out") else "left")
    for s in report["steps"]:
        outs = ", ".join(f"{k}={v}" for k, v in s["rows_out"].items())
        table.add_row(s["name"], "skipped (done)" if s["skipped"] else "ran", str(s["rows_in"]), outs,
                      str(s["rejects"]), f"{s['wall_s']:.2f}")
    console.print(table)
    reasons = summary_rejects(report)
    if reasons:
        rt = Table(title="rejects by reason")
        for col in ("stage", "reason", "rows"):
            rt.add_column(col)
        for row in reasons:
            rt.add_row(*map(str, row))
        console.print(rt)
    run_dir = Path(report["run_dir"])
    export = layout.export_dir(run_dir)
    console.print(f"dataset: {export}  (card: {export / layout.CARD_FILE})")
    console.print(f"inspect: meritgen inspect --run {run_dir}")

"""Where the CLI writes: results (summary tables, audit, query output) to stdout, diagnostics
(progress, notes, errors) to stderr, as Unix tools do, so `meritgen inspect ... > out.txt` or
`| less` keeps the results and a terminal still shows the rest.

Rich lays tables out for 80 columns when its stream is not a terminal and shortens cells to fit;
piped results are never cut: they get the width their rows need.
"""

from __future__ import annotations

import sys

from rich.console import Console

PIPED_WIDTH = 10_000  # wide enough for any table row; rich still prints each row at its own width


def results_console() -> Console:
    """A console on stdout (looked up now, so a redirected or captured stdout is honoured)."""
    return _console(sys.stdout, stderr=False)


def diagnostics_console() -> Console:
    """A console on stderr, for what is not the command's result."""
    return _console(sys.stderr, stderr=True)


def _console(stream, stderr: bool) -> Console:
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return Console(stderr=stderr, width=None if terminal else PIPED_WIDTH, soft_wrap=not terminal)

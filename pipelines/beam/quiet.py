"""Beam's log noise off by default for `meritgen beam run`: warnings and errors still reach
stderr, but not Beam's import-time "apitools not found" note (there is no BigQuery step) nor its
"Discarding unparseable args" (meritgen's own options, which Beam re-parses in places where they
are not registered). Worker processes (`--direct_running_mode multi_processing`) log on the
stderr they inherit, before any option of ours applies: while the pipeline runs, that stderr is a
log file (`workers_log`), and the progress lines go to the terminal's stderr. `--verbose` keeps
Python's default logging and the workers' output on stderr."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOISE = ("apitools not found", "Discarding unparseable args")


class DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(NOISE)


def quiet_logs(verbose: bool = False) -> None:
    """Call before Apache Beam is imported: its import-time warning would install a root handler."""
    root = logging.getLogger()
    if verbose:
        logging.basicConfig(level=logging.INFO)
        return
    if not any(isinstance(f, DropNoise) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        handler.addFilter(DropNoise())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


@contextmanager
def workers_log(path: Path | None) -> Iterator:
    """Inside the block, file descriptor 2 (inherited by Beam's worker processes) writes to `path`;
    yields a stream on the original stderr for what the user should see. `None`: nothing moves."""
    if path is None:
        yield sys.stderr
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log_file:
        os.dup2(log_file.fileno(), 2)
        terminal = os.fdopen(os.dup(saved), "w", buffering=1)
        try:
            yield terminal
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            terminal.close()

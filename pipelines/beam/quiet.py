"""Beam's log noise off by default for `meritgen beam run`: warnings and errors still reach
stderr, but not Beam's import-time "apitools not found" note (there is no BigQuery step) nor its
"Discarding unparseable args" (meritgen's own options, which Beam re-parses in places where they
are not registered). `--verbose` keeps Python's default logging, everything at INFO."""

from __future__ import annotations

import logging

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

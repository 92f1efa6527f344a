"""Beam's log noise off by default for `meritgen beam run`: warnings and errors still reach
stderr, but not Beam's import-time "apitools not found" note (there is no BigQuery step) nor its
"Discarding unparseable args" about Beam's own flags (`--pipeline_type_check`, ...: options whose
flag differs from their name, which Beam ships and cannot parse back). That warning still shows when
it names a meritgen option: those never reach Beam's runner (`options.split_llm_args`). Worker processes (`--direct_running_mode multi_processing`) log on the
stderr they inherit, before any option of ours applies: while the pipeline runs, that stderr is a
pipe (`workers_log`) whose progress lines go on to the terminal and the rest to a log file. `--verbose` keeps
Python's default logging and the workers' output on stderr."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOISE = ("apitools not found", "Discarding unparseable args")
OURS = "--llm_"  # the prefix of meritgen's own pipeline options (pipelines/beam/options.py)


class DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Discarding unparseable args") and OURS in record.getMessage():
            return True  # one of meritgen's options was lost: a bug to see, not noise
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
    relay = logging.getLogger(RELAY_LOGGER)
    if not any(isinstance(h, RelayedProgress) for h in relay.handlers):
        relay.addHandler(RelayedProgress())
        relay.setLevel(logging.INFO)  # its INFO records reach RelayedProgress; the root handler still drops them


class RelayedProgress(logging.Handler):
    """Beam's portable runner relays a worker's log records as its own INFO records (`Worker: severity: INFO
    ... message: "meritgen beam [3/13] ..." ...`): so do multi_processing workers when Beam's GCP packages are
    installed, instead of writing to their stderr. The progress text of such a record goes to stderr as a
    plain line (`workers_log` forwards it to the terminal); every other relayed record stays quiet."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        found = _RELAYED_PROGRESS.search(record.getMessage())
        if found:
            os.write(2, (found.group(1) + "\n").encode())  # file descriptor 2: `workers_log`'s pipe, when it runs


PROGRESS_MARK = "meritgen beam ["  # pipelines/beam/progress.py's lines, wherever a worker logs them
RELAY_LOGGER = "apache_beam.runners.portability.local_job_service"  # logs what workers send over the Fn API
_RELAYED_PROGRESS = re.compile(r'message: "(' + re.escape(PROGRESS_MARK) + r'[^"]*)"')


@contextmanager
def workers_log(path: Path | None) -> Iterator:
    """Inside the block, file descriptor 2 (inherited by Beam's worker processes) is a pipe: the
    progress lines read from it go on to the original stderr, every other line to `path`. Yields a
    stream on the original stderr for what the user should see. `None`: nothing moves."""
    if path is None:
        yield sys.stderr
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    sorter = threading.Thread(target=_sort_lines, args=(read_end, terminal, path), daemon=True)
    sorter.start()
    try:
        yield terminal
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer in this process closes: the sorter sees its end
        os.close(saved)
        sorter.join(timeout=10)  # a worker still holding the pipe must not hang the CLI
        terminal.flush()


def _sort_lines(read_end: int, terminal, path: Path) -> None:
    shown: set[str] = set()  # a worker's line can arrive twice (its stderr and the runner's relay): shown once
    with os.fdopen(read_end, "rb") as pipe, open(path, "ab") as log_file:
        for raw in pipe:
            line = raw.decode("utf-8", errors="replace")
            if PROGRESS_MARK in line:
                progress = line[line.index(PROGRESS_MARK):]
                if progress not in shown:
                    shown.add(progress)
                    terminal.write(progress)
            else:
                log_file.write(raw)

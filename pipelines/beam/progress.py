"""Progress on Beam: one log line per plan step when its outputs are complete.

Each step's output tables are counted (rows per output, and the step's reject rows), summed
once the step's last batch is through (a global combine fires when its input is complete) and
logged as `[i/n] <step> done: <output>=<rows> ...`. The same counts are Beam Metrics
(`meritgen_progress` namespace, `<step>.<output>` counters and a `steps_done` counter), so the
Dataflow console shows them while the job runs; the line is visible on DirectRunner too.
"""

from __future__ import annotations

import logging

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics

from pipelines.beam.batch_files import BatchFile, rows_of

log = logging.getLogger(__name__)
NAMESPACE = "meritgen_progress"


def _rows(element) -> int:
    return rows_of(element) if isinstance(element, (pa.Table, BatchFile)) else 1


def progress_line(counts: list[tuple[str, int]], step: str, position: int, total: int) -> str:
    """`[3/17] compose done: plans=40, rejects=12` (outputs in name order, rejects last)."""
    by_name = dict(counts)
    rejects = by_name.pop("rejects", 0)
    parts = [f"{name}={rows}" for name, rows in sorted(by_name.items())] + [f"rejects={rejects}"]
    return f"[{position}/{total}] {step} done: " + ", ".join(parts)


def report_done(counts: list[tuple[str, int]], step: str, position: int, total: int) -> str:
    line = progress_line(counts, step, position, total)
    Metrics.counter(NAMESPACE, "steps_done").inc()
    log.info("meritgen beam %s", line)
    return line


class StepProgress(beam.PTransform):
    """{output name: PCollection of tables} of one step -> its progress line (logged, one element)."""

    def __init__(self, step: str, position: int, total: int) -> None:
        super().__init__()
        self.step, self.position, self.total = step, position, total

    def expand(self, outputs: dict):
        counted = []
        for name, pcoll in sorted(outputs.items()):
            counted.append(pcoll
                           | f"Rows_{name}" >> beam.Map(_rows)
                           | f"Sum_{name}" >> beam.CombineGlobally(sum)
                           | f"Name_{name}" >> beam.Map(_counted, self.step, name))
        return (counted
                | "Outputs" >> beam.Flatten()
                | "Together" >> beam.combiners.ToList()
                | "Done" >> beam.Map(report_done, self.step, self.position, self.total))


def _counted(rows: int, step: str, name: str) -> tuple[str, int]:
    Metrics.counter(NAMESPACE, f"{step}.{name}").inc(rows)
    return name, rows


def show_progress(stream=None) -> None:
    """Print the progress lines on `stream`, default stderr (the CLI's choice; Dataflow shows them in
    the worker logs)."""
    if stream is not None:
        for old in list(log.handlers):
            log.removeHandler(old)
    if not log.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # Beam gives the root logger a handler of its own while running: one line, not two

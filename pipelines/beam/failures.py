"""The failure-ratio check: fail the pipeline when a step lost too large a share of its records.

Every step emits tallies `(step, (rows_in, rows_failed))`. Failed rows are rows lost to a data
problem or an unexpected error: catalog rows that gave no product at ingest, and rows of
dead-lettered elements in any step. Compose attempts that find no valid query are not
failures (most catalogs reject a share of attempts by design); their reject rows are kept all
the same. The data outputs are written only after the check passes (it is their side input).
"""

from __future__ import annotations

import apache_beam as beam

from pipelines.errors import CatalogError, MeritgenError


class FailureRatioExceeded(MeritgenError):
    """A step rejected or lost more than the allowed share of its input records."""


def add_pairs(pairs) -> tuple[int, int]:
    rows_in = failed = 0
    for a, b in pairs:
        rows_in, failed = rows_in + a, failed + b
    return rows_in, failed


def check_failures(tallies: dict[str, tuple[int, int]], max_ratio: float) -> dict[str, dict]:
    """The per-step summary, or an exception when a step is over `max_ratio` (or ingest kept nothing)."""
    rows_in, failed = tallies.get("ingest", (0, 0))
    if failed == rows_in:
        raise CatalogError(f"no valid product in the catalog: {rows_in} rows, all rejected (see the rejects output)")
    summary = {step: {"rows_in": n, "failed": f, "ratio": round(f / n, 6) if n else 0.0}
               for step, (n, f) in sorted(tallies.items())}
    over = [f"{step}: {s['failed']}/{s['rows_in']} = {s['ratio']:.2%}" for step, s in summary.items()
            if s["ratio"] > max_ratio]
    if over:
        raise FailureRatioExceeded(f"failure ratio above {max_ratio:.2%} in {'; '.join(over)} (see the rejects output)")
    return summary


class CheckFailures(beam.PTransform):
    """Tallies -> one element: the per-step summary (the pipeline fails here when over the threshold).

    `after`: a PCollection that must be complete before the check runs.
    """

    def __init__(self, max_ratio: float, after=None) -> None:
        super().__init__()
        self.max_ratio, self.after = max_ratio, after

    def expand(self, tallies):
        summary = (tallies
                   | "SumPerStep" >> beam.CombinePerKey(add_pairs)
                   | "AllSteps" >> beam.combiners.ToDict())
        if self.after is not None:  # e.g. the rejects' written files: a failing run still leaves them
            summary = summary | "AfterRejects" >> beam.Map(lambda s, _: s, beam.pvalue.AsList(self.after))
        return summary | "Check" >> beam.Map(check_failures, self.max_ratio)


def gated(pcoll, gate, label: str):
    """`pcoll` unchanged, but not before `gate` (a one-element PCollection) exists."""
    return pcoll | label >> beam.Map(lambda element, _: element, beam.pvalue.AsSingleton(gate))

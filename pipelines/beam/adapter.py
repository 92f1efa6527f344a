"""The generic Beam adapter for a step of the build plan, and its dead-letter path.

A step with `shard_by` runs once per batch of its sharded input, its other inputs arriving
as whole-table side inputs; `plan/step.py` promises that the concatenated batch outputs equal the
whole-table call. Every step's outputs are conformed to their contracts exactly as the local
runner does, its reject tables go to the `rejects` output and its counters to Beam metrics.

An element whose processing raises is retried piece by piece (a batch row by row), so one
poison row costs one row, not its batch; pieces that fail again become reject rows with
reason `unexpected_error` and count as failed records for the failure-ratio check.
"""

from __future__ import annotations

import time
import traceback
import typing
from collections.abc import Callable, Iterable, Iterator

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics
from apache_beam.pvalue import AsSingleton, TaggedOutput

from pipelines import schemas
from pipelines.beam.batch_files import in_file
from pipelines.beam.tables import Rebatch, record_ids, single_rows
from pipelines.beam.whole_files import loaded
from pipelines.beam.worker_cache import ReleasingDoFn, prepared
from pipelines.plan import Step
from pipelines.plan.step import conform_result, file_tables
from pipelines.results import RejectLog, StageResult

REJECTS, TALLY, DEAD, MAIN = "rejects", "tally", "dead_letter", "main"
UNEXPECTED = "unexpected_error"

# A dead element's rows as (record_id, source_file, source_row), for its reject rows.
Describe = Callable[[object], list[tuple[str | None, str | None, int | None]]]


def emit_result(stage: str, result: StageResult, rows_in: int, outputs: list[str] | None = None) -> Iterator[TaggedOutput]:
    """A (conformed: `plan.step.conform_result`) result as Beam outputs: non-empty outputs on their own
    tags (`outputs` named: each of those exactly once, empty or not, for consumers that take it as
    is), rejects, a tally of rows in; rows out and counters to metrics."""
    for name in result.outputs if outputs is None else outputs:
        table = result.outputs[name]
        if table.num_rows:
            Metrics.counter(f"meritgen.{stage}", f"rows_out.{name}").inc(table.num_rows)
        if table.num_rows or outputs is not None:
            yield TaggedOutput(name, table)
    if result.rejects.num_rows:
        yield TaggedOutput(REJECTS, result.rejects)
    yield TaggedOutput(TALLY, (stage, (rows_in, 0)))
    count_metrics(stage, result.counters)


WALL_MS = "wall_ms"  # a step's processing time, summed over its batches and workers (the report's seconds)
PREPARED = "prepared"  # times a `per_shard` step prepared its batch call (indexes loaded): once per worker


def count_wall(stage: str, started: float) -> None:
    """Add the time since `started` (time.perf_counter) to the step's processing time."""
    Metrics.counter(f"meritgen.{stage}", WALL_MS).inc(round((time.perf_counter() - started) * 1000))


def count_metrics(stage: str, counters: dict) -> None:
    for name, value in counters.items():
        if isinstance(value, int):  # Beam counters are integers; shares and ratios stay local-only
            Metrics.counter(f"meritgen.{stage}", name).inc(value)


class CallStep(ReleasingDoFn, beam.DoFn):
    """Run `step.call` on one batch of its `shard_by` input; `empty` inputs get empty tables.

    A step with `per_shard` runs its prepared batch call instead: prepared (indexes loaded) once
    per worker and reused while the side inputs are the same objects (`whole_files` keeps each per process);
    the worker holds one step's prepared call at a time (`worker_cache`)."""

    def __init__(self, step: Step, shard_by: str, empty: dict[str, str] | None = None) -> None:
        self.step, self.shard_by, self.empty = step, shard_by, dict(empty or {})

    def _batch_call(self, side_tables: dict, empties: dict) -> Callable[[pa.Table], StageResult]:
        def prepare():
            Metrics.counter(f"meritgen.{self.step.name}", PREPARED).inc()
            return self.step.per_shard.prepare(**side_tables, **empties, **file_tables(self.step))

        return prepared(self.step.name, tuple(side_tables.values()), prepare)

    def process(self, batch: pa.Table, **side_tables):
        side_tables = loaded(side_tables)
        empties = {arg: schemas.empty(contract) for arg, contract in self.empty.items()}
        started = time.perf_counter()
        if self.step.per_shard is not None:
            result = self._batch_call(side_tables, empties)(batch)
        else:
            result = self.step.call(**{self.shard_by: batch}, **side_tables, **empties, **file_tables(self.step))
        count_wall(self.step.name, started)
        yield from emit_result(self.step.name, conform_result(self.step, result), batch.num_rows)


def describe_table(table: pa.Table) -> list[tuple[str | None, None, None]]:
    return [(rid, None, None) for rid in record_ids(table)]


def dead_letter_rejects(dead, stage: str, describe: Describe) -> Iterator[pa.Table]:
    """Reject rows for every row of a dead element (its exception and traceback attached)."""
    element, (exc_type, exc_repr, tb_lines) = dead
    log = RejectLog(stage)
    message = f"unexpected {getattr(exc_type, '__name__', exc_type)} in stage {stage}: {exc_repr}"[:2000]
    trace = "".join(tb_lines) if isinstance(tb_lines, list) else str(tb_lines)
    for record_id, source_file, source_row in describe(element):
        log.add(UNEXPECTED, message, record_id=record_id, source_file=source_file, source_row=source_row, raw=trace)
    if log.rows:
        yield log.table()


def dead_letter_tally(dead, stage: str, describe: Describe) -> tuple[str, tuple[int, int]]:
    n = len(describe(dead[0]))
    return stage, (n, n)


class Resilient(beam.PTransform):
    """ParDo(fn) with tagged outputs and a dead-letter path (retry pieces, then reject).

    Returns a dict tag -> PCollection for `tags`; REJECTS and TALLY include the dead letters'.
    `folder`: the other tags' tables leave as `batch_files.BatchFile`s (the DirectRunner buffers a
    Flatten's output in its own process until every consumer has run).
    """

    def __init__(self, fn: beam.DoFn, tags: Iterable[str], stage: str, split: Callable[[object], list],
                 describe: Describe, side_inputs: dict | None = None, folder: str | None = None) -> None:
        super().__init__()
        self.fn, self.tags, self.stage = fn, list(dict.fromkeys([*tags, REJECTS, TALLY])), stage
        self.split, self.describe, self.sides, self.folder = split, describe, dict(side_inputs or {}), folder

    def _pardo(self):
        # Declaring every tag keeps Beam from warning that they are missing from the type hints.
        fn = self.fn.with_output_types(typing.Any, **{tag: typing.Any for tag in self.tags})
        return (beam.ParDo(fn, **self.sides)
                .with_outputs(*self.tags, main=MAIN)
                .with_exception_handling(main_tag=MAIN, dead_letter_tag=DEAD))

    def expand(self, elements):
        first = elements | "Run" >> self._pardo()
        retry = (first[DEAD]
                 | "SplitFailed" >> beam.FlatMap(lambda dead, split: split(dead[0]), self.split)
                 | "RetryPieces" >> self._pardo())
        dead = retry[DEAD]
        extra = {
            REJECTS: dead | "DeadLetterRejects" >> beam.FlatMap(dead_letter_rejects, self.stage, self.describe),
            TALLY: dead | "DeadLetterTally" >> beam.Map(dead_letter_tally, self.stage, self.describe),
        }
        out = {}
        for tag in self.tags:
            parts = (first[tag], retry[tag]) + ((extra[tag],) if tag in extra else ())
            if self.folder is not None and tag not in extra:  # data tables: the Flatten's buffer holds paths
                parts = tuple(part | f"{name}Files_{tag}" >> beam.Map(in_file, self.folder)
                              for name, part in zip(("Run", "Retry"), parts))
            out[tag] = parts | f"Merge_{tag}" >> beam.Flatten()
        return out


class RunStep(beam.PTransform):
    """A sharded step: batches of its `shard_by` input, whole-table side inputs for the rest.

    `sides` maps each other input argument to a one-element PCollection holding its table;
    `outputs` names the stage outputs to keep (default: those with a contract); `folder`: where
    batches are written to cross the Reshuffle (`batch_files`). Returns a dict: each of the step's outputs, REJECTS and TALLY.
    """

    def __init__(self, step: Step, batch_rows: int, sides: dict, outputs: list[str] | None = None,
                 folder: str | None = None) -> None:
        super().__init__()
        self.outputs, self.folder = list(outputs or step.contracts), folder
        if step.shard_by is None:
            raise ValueError(f"step {step.name} is global: it has no sharded input")
        missing = set(step.inputs) - {step.shard_by} - set(sides)
        if missing:
            raise ValueError(f"step {step.name} needs side inputs {sorted(missing)}")
        self.step, self.batch_rows, self.sides = step, batch_rows, sides

    def expand(self, batches):
        side_inputs = {arg: AsSingleton(pcoll) for arg, pcoll in self.sides.items()}
        return (batches
                | "Batch" >> Rebatch(self.batch_rows, self.folder)
                | "Call" >> Resilient(CallStep(self.step, self.step.shard_by), self.outputs, self.step.name,
                                      single_rows, describe_table, side_inputs, self.folder))


class CallGlobal(ReleasingDoFn, beam.DoFn):
    """Run a global step once: every input a whole-table side input, every output one whole table.

    Each named output is emitted exactly once (empty or not), so consumers may use it as is.
    """

    def __init__(self, step: Step, outputs: list[str], empty: dict[str, str] | None = None) -> None:
        self.step, self.outputs, self.empty = step, outputs, dict(empty or {})

    def process(self, _, **tables):
        tables = loaded(tables)
        empties = {arg: schemas.empty(contract) for arg, contract in self.empty.items()}
        started = time.perf_counter()
        result = conform_result(self.step, self.step.call(**tables, **empties, **file_tables(self.step)))
        count_wall(self.step.name, started)
        yield from emit_result(self.step.name, result, sum(t.num_rows for t in tables.values()), self.outputs)


class RunGlobal(beam.PTransform):
    """A global step without a transform of its own, on one worker (its inputs must fit one worker).

    `sides` maps each input argument to a one-element PCollection holding its table. A failure
    fails the pipeline: a step that sees all rows at once cannot lose just some of them.
    """

    def __init__(self, step: Step, outputs: list[str], sides: dict, empty: dict[str, str] | None = None) -> None:
        super().__init__()
        self.step, self.outputs, self.sides, self.empty = step, outputs, sides, empty

    def expand(self, pbegin):
        tags = list(dict.fromkeys([*self.outputs, REJECTS, TALLY]))
        side_inputs = {arg: AsSingleton(pcoll) for arg, pcoll in self.sides.items()}
        fn = CallGlobal(self.step, self.outputs, self.empty).with_output_types(typing.Any, **{t: typing.Any for t in tags})
        result = (pbegin
                  | "Once" >> beam.Create([None])
                  | "Call" >> beam.ParDo(fn, **side_inputs).with_outputs(*tags, main=MAIN))
        return {tag: result[tag] for tag in tags}


def format_exception(exc: BaseException) -> tuple[type, str, list[str]]:
    """The dead-letter payload Beam builds, for code that catches on its own (inference)."""
    return type(exc), repr(exc), traceback.format_exception(type(exc), exc, exc.__traceback__)

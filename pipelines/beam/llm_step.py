"""An LLM step of the plan as Beam transforms: rows -> RunInference -> answers applied.

The step's call is an `LLMStepCall` (`pipelines/llm/step.py`): its pure `rows` half runs once
on the whole input tables, the rows are spread over the workers (`Reshuffle`) and asked
through `RunLLMTask` (RunInference with the handler of `[llm] backend`: the external server,
or a vLLM server per GPU worker), and its pure `apply` half folds every accepted answer back
into the whole tables on one worker, as the local runner's call does. Prompts, parsers, the
strict retry, reject rows and request-cache keys are the shared runner's on every batch.

Answers are put back in the rows' order before `apply` (a PCollection has none), so the
outputs equal the local runner's.
"""

from __future__ import annotations

import typing

import apache_beam as beam
from apache_beam.pvalue import AsSingleton, TaggedOutput

from pipelines.beam.adapter import MAIN, REJECTS, TALLY, emit_result
from pipelines.beam.inference import ANSWERS, RunLLMTask
from pipelines.beam.whole_files import loaded
from pipelines.llm.runner import TaskRun
from pipelines.llm.step import LLMStepCall
from pipelines.plan.step import conform_result
from pipelines.results import StageResult

ORDER = "order"


class RequestRows(beam.DoFn):
    """The `rows` half on the whole inputs: each row, and the record ids in row order (once)."""

    def __init__(self, call: LLMStepCall) -> None:
        self.call = call

    def process(self, _, **tables):
        rows = self.call.rows(**loaded(tables))
        ids = [row["record_id"] for row in rows]
        if len(set(ids)) != len(ids):  # answers are matched to rows by record_id
            raise ValueError(f"LLM task {self.call.task.name}: record_id is not unique among its rows")
        yield TaggedOutput(ORDER, ids)
        yield from rows


class ApplyAnswers(beam.DoFn):
    """The `apply` half: every accepted answer (in row order) into the whole inputs, on one worker."""

    def __init__(self, step, outputs: list[str]) -> None:
        self.step, self.outputs = step, outputs

    def process(self, parsed: list[dict], order: list[str], **tables):
        position = {record_id: i for i, record_id in enumerate(order)}
        parsed = sorted(parsed, key=lambda answer: position[answer["record_id"]])
        call: LLMStepCall = self.step.call
        run = TaskRun(parsed, [], {})  # the runner's rejects and counters left per batch already
        result = conform_result(self.step, call.result(run, call.apply(parsed, **loaded(tables))))
        counters = {k: v for k, v in result.counters.items() if k not in run.counters}
        # rows in 0: RunLLMTask tallies the rows asked
        yield from emit_result(self.step.name, StageResult(result.outputs, result.rejects, counters), 0, self.outputs)


class RunLLMStep(beam.PTransform):
    """A plan step whose call is an `LLMStepCall`, its requests spread over workers.

    `sides` maps each input argument to a one-element PCollection holding its table; `handler`
    is the RunInference handler (`inference.task_handler`). Returns a dict: each of `outputs`
    (one whole table each), REJECTS and TALLY.
    """

    def __init__(self, step, handler, sides: dict, outputs: list[str] | None = None) -> None:
        super().__init__()
        if not isinstance(step.call, LLMStepCall):
            raise TypeError(f"step {step.name} is not an LLM step (its call is {type(step.call).__name__})")
        self.step, self.handler, self.sides = step, handler, sides
        self.outputs = list(outputs or step.contracts)

    def expand(self, pbegin):
        step, call = self.step, self.step.call
        side = {arg: AsSingleton(pcoll) for arg, pcoll in self.sides.items()}
        rows = (pbegin
                | "Once" >> beam.Create([None])
                | "Rows" >> beam.ParDo(RequestRows(call), **side).with_outputs(ORDER, main=MAIN))
        asked = (rows[MAIN]
                 | "Spread" >> beam.Reshuffle()
                 | "Ask" >> RunLLMTask(call.task.name, self.handler, stage=step.name))
        parsed = (asked[ANSWERS]
                  | "Answer" >> beam.Map(lambda routed: routed["answer"])
                  | "AllAnswers" >> beam.combiners.ToList())
        tags = list(dict.fromkeys([*self.outputs, REJECTS, TALLY]))
        fn = ApplyAnswers(step, self.outputs).with_output_types(typing.Any, **{t: typing.Any for t in tags})
        applied = parsed | "Apply" >> beam.ParDo(fn, AsSingleton(rows[ORDER]), **side).with_outputs(*tags, main=MAIN)
        out = {name: applied[name] for name in self.outputs}
        out[REJECTS] = (asked[REJECTS], applied[REJECTS]) | "Rejects" >> beam.Flatten()
        out[TALLY] = (asked[TALLY], applied[TALLY]) | "Tally" >> beam.Flatten()
        return out

"""What a Prefect run shows beyond state changes: each stage's counters in its task's log and
result (a skipped stage says so), the data card as a markdown artifact, and task options that
retry only the steps whose failures can be a passing network fault (LLM calls, image URL fetches).

Used by `prefect_build.py`; the audit table's artifact is `outcome.py`'s.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.errors import MeritgenError
from pipelines.io import layout
from pipelines.llm.step import LLMStepCall
from pipelines.stages.ingest import IngestParams

# Steps whose failures can be a passing network fault, by their params' type (never by name):
# ingest fetches image URLs, an LLM step asks a server.
TRANSPORT_PARAMS = (IngestParams, LLMStepCall)
RETRIES, RETRY_DELAY_S = 2, 10  # a step reruns from its inputs; finished ones skip by their markers
CARD_ARTIFACT_KEY = "data-card"  # Prefect keys: lowercase letters, digits, dashes


def stage_line(report) -> str:
    """`compose: ran in 0.39 s, rows in 2,730 -> plans=283, rejects 52 (attempts=335, ...)`, or skipped."""
    if report.skipped:
        return f"{report.name}: skipped (finished earlier with the same inputs and settings; marker kept)"
    outs = ", ".join(f"{k}={v:,}" for k, v in sorted(report.rows_out.items()))
    counters = ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in sorted(report.counters.items()))
    return (f"{report.name}: ran in {report.wall_s:.2f} s, rows in {report.rows_in:,} -> {outs or 'nothing'}, "
            f"rejects {report.rejects:,}" + (f" ({counters})" if counters else ""))


def retries_step(task, task_run, state) -> bool:
    """Prefect's retry condition for the stage task, evaluated inside the failed task run: the
    step is its `step` parameter (`retries`)."""
    from prefect.context import TaskRunContext

    return retries(TaskRunContext.get().parameters["step"], state)


def retries(step, state) -> bool:
    """Only transport-bound steps retry (`TRANSPORT_PARAMS`), and never on a user error."""
    if isinstance(getattr(state, "data", None), MeritgenError):  # a bad input fails the same way again
        return False
    return isinstance(step.params, TRANSPORT_PARAMS)


def publish_card(run_dir: Path) -> str | None:
    """The run's data card as a markdown artifact (key `data-card`); None when there is no card."""
    from prefect.artifacts import create_markdown_artifact

    card = layout.export_dir(Path(run_dir)) / layout.CARD_FILE
    if not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    body = text.split("---", 2)[2] if text.startswith("---") else text  # the YAML header is for the Hub
    create_markdown_artifact(markdown=body, key=CARD_ARTIFACT_KEY, description=f"data card of {run_dir}")
    return CARD_ARTIFACT_KEY

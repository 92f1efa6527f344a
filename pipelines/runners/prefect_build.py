"""Prefect wiring: a flow whose tasks are the build's steps. No stage logic lives here.

The flow drives the same `run_build` loop as the CLI, with each step wrapped in a Prefect
task, so a Prefect run and a CLI run of one catalog and config write the same files and skip
the same finished stages.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli import llm_endpoint
from pipelines.runners.local import execute_step, run_build
from pipelines.runners.prefect_report import RETRIES, RETRY_DELAY_S, publish_card, retries_step, stage_line
from pipelines.runners.qa_guard import refuse_replacing_qa_export


@task(name="stage", task_run_name="{step.name}", cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=RETRY_DELAY_S, retry_condition_fn=retries_step)  # transport-bound steps only
def run_stage(step, store, upstream, write):
    """One build step; its completion marker, not Prefect's cache, decides whether it reruns."""
    fingerprint, report = execute_step(step, store, upstream, write)
    get_run_logger().info(stage_line(report))  # counters in the log; a skipped step says so
    return fingerprint, report


@flow(name="build_dataset")
def build_dataset(catalog: str = "", out: str = "runs", config: str | None = None, run_id: str | None = None,
                  demo: bool = False, force: bool = False) -> dict:
    """Build a meritgen dataset: ingest -> mine -> compose -> render -> negatives -> split -> export.

    Like `meritgen build`, it refuses to replace an export QA rounds were applied to unless `force`."""
    catalog_path = DEMO_DIR / "catalog.jsonl" if demo else Path(catalog)
    cfg, endpoint = load_config(config), llm_endpoint()
    run_id = run_id or ("demo" if demo else catalog_path.stem)
    if not force:
        refuse_replacing_qa_export(catalog_path, Path(out), run_id, cfg, endpoint)
    report = run_build(catalog_path, out, cfg, run_id=run_id, progress=False, execute=run_stage, endpoint=endpoint)
    publish_card(report.run_dir)
    return report.to_dict()


if __name__ == "__main__":
    build_dataset(demo=True)

"""Prefect wiring: a flow whose tasks are the build's steps. No stage logic lives here.

The flow drives the same `run_build` loop as the CLI, with each step wrapped in a Prefect
task, so a Prefect run and a CLI run of one catalog and config write the same files and skip
the same finished stages.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli import llm_endpoint
from pipelines.runners.local import execute_step, run_build


@task(name="stage", task_run_name="{step.name}", cache_policy=NO_CACHE)
def run_stage(step, store, upstream, write):
    """One build step; its completion marker, not Prefect's cache, decides whether it reruns."""
    return execute_step(step, store, upstream, write)


@flow(name="build_dataset")
def build_dataset(catalog: str = "", out: str = "runs", config: str | None = None, run_id: str | None = None,
                  demo: bool = False) -> dict:
    """Build a meritgen dataset: ingest -> mine -> compose -> render -> negatives -> split -> export."""
    catalog_path = DEMO_DIR / "catalog.jsonl" if demo else Path(catalog)
    report = run_build(catalog_path, out, load_config(config), run_id=run_id or ("demo" if demo else None),
                       progress=False, execute=run_stage, endpoint=llm_endpoint())
    return report.to_dict()


if __name__ == "__main__":
    build_dataset(demo=True)

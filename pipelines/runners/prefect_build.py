"""Prefect wiring: a flow whose tasks are the build's steps. No stage logic lives here.

The flow drives the same `run_build` loop as the CLI, with each step wrapped in a Prefect
task, so a Prefect run and a CLI run of one catalog and config write the same files and skip
the same finished stages. Its outcome follows the audit (`runners/outcome.py`): a failed audit
ends the flow Failed, the audit table published as an artifact; a user error (missing catalog,
full disk) ends it Failed with a one-line error instead of a traceback.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines.card.llm_fallback import gate_error
from pipelines.config import load_config
from pipelines.errors import CatalogError
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli_common import llm_endpoint
from pipelines.runners.local import execute_step, run_build
from pipelines.runners.outcome import audit_failure, publish_audit_artifact, reported
from pipelines.runners.prefect_report import RETRIES, RETRY_DELAY_S, publish_card, retries_step, stage_line
from pipelines.runners.qa_guard import refuse_replacing_qa_export


@task(name="stage", task_run_name="{step.name}", cache_policy=NO_CACHE, retries=RETRIES,
      retry_delay_seconds=RETRY_DELAY_S, retry_condition_fn=retries_step)  # transport-bound steps only
@reported
def run_stage(step, store, upstream, write):
    """One build step; its completion marker, not Prefect's cache, decides whether it reruns."""
    fingerprint, report = execute_step(step, store, upstream, write)
    get_run_logger().info(stage_line(report))  # counters in the log; a skipped step says so
    return fingerprint, report


@flow(name="build_dataset")
@reported
def build_dataset(catalog: str = "", out: str = "runs", config: str | None = None, run_id: str | None = None,
                  demo: bool = False, force: bool = False) -> dict:
    """Build a meritgen dataset: ingest -> mine -> compose -> render -> negatives -> split -> export.

    Like `meritgen build`, it refuses to replace an export QA rounds were applied to unless `force`,
    and ends Failed (the audit table published as an artifact) when the export's audit fails."""
    catalog_path = DEMO_DIR / "catalog.jsonl" if demo else Path(catalog)
    if not demo and not catalog_path.is_file():
        raise CatalogError(f"catalog {catalog or '(none given)'} does not exist (flow parameter `catalog`, or demo=true)")
    cfg, endpoint = load_config(config), llm_endpoint()
    run_id = run_id or ("demo" if demo else catalog_path.stem)
    if not force:
        refuse_replacing_qa_export(catalog_path, Path(out), run_id, cfg, endpoint)
    report = run_build(catalog_path, out, cfg, run_id=run_id, progress=False, execute=run_stage, endpoint=endpoint)
    publish_card(report.run_dir)
    publish_audit_artifact(report.audit)
    failure = audit_failure(report.audit, cfg.audit.fail_build)
    if failure is not None:
        raise failure
    fell_back = gate_error(report.to_dict(), cfg.llm.max_failed_share)  # as `meritgen build` exits 1
    if fell_back is not None:
        raise fell_back
    return {**report.to_dict(), "audit": report.audit}


def main(argv: list[str] | None = None) -> None:
    """`python -m pipelines.runners.prefect_build`: one flow run from the command line (default: the demo)."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.runners.prefect_build",
                                     description="Run the build_dataset Prefect flow once (the same build as "
                                     "`meritgen build`); with no --catalog it builds the bundled demo catalog.")
    parser.add_argument("--catalog", default="", help="catalog file (default: the demo catalog)")
    parser.add_argument("--out", default="runs", help="output folder (default: runs)")
    parser.add_argument("--config", help="TOML config file (default: built-in defaults)")
    parser.add_argument("--run-id", help="run folder name (default: the catalog's stem, or demo)")
    parser.add_argument("--force", action="store_true", help="replace an export QA rounds were applied to")
    args = parser.parse_args(argv)
    build_dataset(catalog=args.catalog, out=args.out, config=args.config, run_id=args.run_id,
                  demo=not args.catalog, force=args.force)


if __name__ == "__main__":
    main()

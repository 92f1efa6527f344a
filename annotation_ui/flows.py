"""Prefect wiring for human QA: open a round after a build, apply a finished round.

Lives here, above pipelines (which never imports annotation_ui). Thin like pipelines/runners/prefect_build.py: the tasks call the same functions as `meritgen qa sample|apply`,
so a Prefect run and a CLI run do the same thing; a user error (unknown round, no export) ends a run
Failed with one line (`runners/outcome.reported`), not a traceback. Tokens are secrets: flows log and return
the path of the owner-only tokens file, never the tokens.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from annotation_ui.apply import apply_round
from annotation_ui.rounds import open_round
from pipelines.runners.outcome import reported
from pipelines.runners.prefect_build import build_dataset


@task(name="open_qa_round", cache_policy=NO_CACHE)
@reported
def open_round_task(run_dir: str, round_name: str | None, size: int, annotators: list[str], double_share: float,
                    seed: int) -> dict:
    """Sample, assign and snapshot a round; returns its name, counts and tokens file."""
    opened = open_round(Path(run_dir), round_name or None, size, annotators, double_share, seed)
    return {"round": opened.name, "counts": opened.counts, "tokens_file": str(opened.tokens_path)}


@task(name="apply_qa_round", cache_policy=NO_CACHE)
@reported
def apply_round_task(run_dir: str, round_name: str, partial: bool) -> dict:
    return apply_round(Path(run_dir), round_name, partial=partial)


@flow(name="build_and_open_qa_round")
@reported
def build_and_open_qa_round(catalog: str = "", out: str = "runs", config: str | None = None, run_id: str | None = None,
                            demo: bool = False, round_name: str = "", size: int = 200,
                            annotators: list[str] | None = None, double_share: float = 0.2, seed: int = 13) -> dict:
    """Build (finished stages are skipped, so after a build this costs little), then open a QA round."""
    report = build_dataset(catalog=catalog, out=out, config=config, run_id=run_id, demo=demo)
    opened = open_round_task(report["run_dir"], round_name, size, annotators or ["annotator1", "annotator2"],
                             double_share, seed)
    get_run_logger().info("QA round %s opened: %s; tokens in %s", opened["round"], opened["counts"],
                          opened["tokens_file"])
    return opened


@flow(name="apply_qa_round")
@reported
def apply_qa_round(run_dir: str, round_name: str, partial: bool = False) -> dict:
    """Apply a finished QA round to the run's export and data card."""
    summary = apply_round_task(run_dir, round_name, partial)
    get_run_logger().info("QA round %s applied: %s", round_name, summary["applied"])
    return summary


if __name__ == "__main__":
    build_and_open_qa_round(demo=True, size=20)

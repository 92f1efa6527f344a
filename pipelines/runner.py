"""The local runner: executes the build plan against a run store, skipping finished steps.

A step is skipped when its completion marker holds the same fingerprint: a hash of the
step's version, its parameters (config section, resource digests, catalog fingerprint) and
the fingerprints of the steps it reads. Killing a build and rerunning it redoes only the
step that was running.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from pipelines import schemas
from pipelines.config import BuildConfig
from pipelines.io.export_writer import write_export
from pipelines.io.verify import verify_positive_sets
from pipelines.results import StageResult
from pipelines.steps import Step, input_tables, plan_build
from pipelines.store import RunStore, write_json


@dataclass
class StepReport:
    name: str
    skipped: bool
    wall_s: float
    rows_in: int
    rows_out: dict[str, int]
    counters: dict
    rejects: int


@dataclass
class BuildReport:
    run_dir: Path
    steps: list[StepReport] = field(default_factory=list)
    catalog: str = ""  # the card's default source note names it

    def to_dict(self) -> dict:
        return {"run_dir": str(self.run_dir), "catalog": self.catalog, "steps": [s.__dict__ for s in self.steps]}


def fingerprint(step: Step, upstream: dict[str, str]) -> str:
    parts = [step.name, step.version, step.params_digest] + [upstream[s] for s, _ in sorted(step.inputs.values())]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def execute_step(step: Step, store: RunStore, upstream: dict[str, str],
                 write: Callable[[Path, StageResult], None] | None = None) -> tuple[str, StepReport]:
    """Run one step unless it is already complete; returns its fingerprint and report."""
    fp = fingerprint(step, upstream)
    marker = store.marker(step.name)
    if marker is not None and marker.get("fingerprint") == fp:
        return fp, StepReport(step.name, True, 0.0, marker["rows_in"], marker["rows_out"], marker["counters"], marker["rejects"])
    inputs = input_tables(step, store.read)
    started = time.perf_counter()
    result = step.call(**inputs)
    outputs = {name: schemas.conform(table, step.contracts[name]) if name in step.contracts else table
               for name, table in result.outputs.items()}
    rejects = schemas.conform(result.rejects, "reject")
    wall = time.perf_counter() - started
    rows_in = sum(t.num_rows for t in inputs.values()) if inputs else int(result.counters.get("rows_in", 0))
    report = StepReport(step.name, False, round(wall, 3), rows_in,
                        {k: v.num_rows for k, v in outputs.items()}, result.counters, rejects.num_rows)
    marker = {"fingerprint": fp, "version": step.version, **{k: v for k, v in report.__dict__.items() if k != "skipped"}}
    if write is None:
        store.write_stage(step.name, {**outputs, "rejects": rejects}, marker)
    else:
        store.write_dir(step.name, lambda tmp: write(tmp, StageResult(outputs, rejects, result.counters)), marker)
    return fp, report


def run_build(catalog: str | Path, out: str | Path, cfg: BuildConfig, run_id: str | None = None,
              progress: bool = True, execute: Callable = execute_step) -> BuildReport:
    """Build the dataset for `catalog` under `<out>/<run_id>/` and return the build report.

    `execute` runs one step; the Prefect flow passes a task-wrapped `execute_step`.
    """
    run_id = run_id or Path(catalog).stem
    store = RunStore(Path(out) / run_id)
    store.remove_stale_temp()
    steps = plan_build(catalog, cfg, llm_cache=Path(out) / "llm_cache.sqlite")
    report = BuildReport(store.root, catalog=str(catalog))
    write_json(store.root / "config.json", cfg.to_dict())
    fingerprints: dict[str, str] = {}
    bar = tqdm(steps, desc="meritgen build", unit="stage", disable=not progress)
    for step in bar:
        bar.set_postfix_str(step.name)
        writer = _export_writer(cfg, report) if step.name == "export" else None
        fingerprints[step.name], step_report = execute(step, store, fingerprints, writer)
        report.steps.append(step_report)
        if step.name == "export" and not step_report.skipped:
            verify_positive_sets(store)
    store.refresh_views()
    write_json(store.root / "report.json", report.to_dict())
    return report


def _export_writer(cfg: BuildConfig, report: BuildReport):
    def write(tmp: Path, result: StageResult) -> None:
        write_export(tmp, result, cfg, report.to_dict())

    return write

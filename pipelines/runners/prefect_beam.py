"""Prefect wiring for the Beam build: a flow that submits it to a runner. No stage logic here.

`submit_beam_build` runs the same `run_beam_build` as `meritgen beam run`: locally on the
DirectRunner (worker processes on this machine) or on Dataflow, where the flow only submits
and, when `wait` is set, follows the job to its end. Deployments live in `prefect.yaml`.
"""

from __future__ import annotations

import re

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipelines.config import load_config
from pipelines.errors import ConfigError
from pipelines.resources import DEMO_DIR
from pipelines.runners.outcome import audit_failure, publish_audit_artifact, reported

RUNNERS = ("DirectRunner", "DataflowRunner")


def pipeline_args_for(runner: str = "DirectRunner", *, project: str | None = None, region: str | None = None,
                      temp_location: str | None = None, sdk_container_image: str | None = None,
                      direct_num_workers: int = 2, extra_args: list[str] | None = None) -> list[str]:
    """Beam pipeline options for `runner`; Dataflow needs project, region and a gs:// temp_location."""
    if runner not in RUNNERS:
        raise ConfigError(f"runner must be one of {RUNNERS}, not {runner!r}")
    args = ["--runner", runner]
    if runner == "DirectRunner":
        args += ["--direct_num_workers", str(direct_num_workers), "--direct_running_mode", "multi_processing"]
    else:
        missing = [n for n, v in (("project", project), ("region", region), ("temp_location", temp_location))
                   if _unset(v)]
        if missing:
            raise ConfigError(f"DataflowRunner needs {', '.join(missing)}")
        args += ["--project", project, "--region", region, "--temp_location", temp_location]
        if sdk_container_image:  # workers need the repo's resources: see pipelines/beam/ARCHITECTURE.md
            args += ["--sdk_container_image", sdk_container_image, "--sdk_location", "container"]
    return args + list(extra_args or [])


def _unset(value: str | None) -> bool:
    # blank, or a path rendered from a template whose bucket variable was empty (gs:///catalog/...)
    return not (value or "").strip() or bool(re.match(r"^\w+:///", value))


def catalog_for(catalog: str, demo: bool) -> str:
    """The catalog the build reads: the bundled demo's, or `catalog`, refused when it names nothing."""
    if demo:
        return str(DEMO_DIR / "catalog.jsonl")
    if _unset(catalog):
        raise ConfigError(f"catalog is missing (got {catalog!r}): pass catalog=gs://BUCKET/... or demo=true")
    return catalog


@task(name="beam_build", cache_policy=NO_CACHE)
@reported
def run_beam(catalog: str, out: str, config: str | None, run_id: str | None, pipeline_args: list[str],
             max_failure_ratio: float, wait: bool) -> dict:
    """One Beam build (the runner decides where its work runs)."""
    from pipelines.beam.pipeline import BeamSettings
    from pipelines.beam.run import run_beam_build
    from pipelines.runners.cli_common import llm_endpoint

    run = run_beam_build(catalog, out, load_config(config), pipeline_args, run_id,
                         BeamSettings(max_failure_ratio=max_failure_ratio, llm_endpoint=llm_endpoint()), wait=wait)
    audit = (run.report or {}).get("audit")
    publish_audit_artifact(audit)
    failure = audit_failure(audit, load_config(config).audit.fail_build)
    if failure is not None:
        raise failure
    return {"run_root": run.run_root, "state": run.state, "report": run.report}


@flow(name="submit_beam_build")
@reported
def submit_beam_build(catalog: str = "", out: str = "runs", config: str | None = None, run_id: str | None = None,
                      demo: bool = False, runner: str = "DirectRunner", project: str | None = None,
                      region: str | None = None, temp_location: str | None = None,
                      sdk_container_image: str | None = None, direct_num_workers: int = 2,
                      extra_args: list[str] | None = None, max_failure_ratio: float = 0.1, wait: bool = True) -> dict:
    """Build a meritgen dataset with the Beam pipeline on the DirectRunner or Dataflow."""
    source = catalog_for(catalog, demo)
    args = pipeline_args_for(runner, project=project, region=region, temp_location=temp_location,
                             sdk_container_image=sdk_container_image, direct_num_workers=direct_num_workers,
                             extra_args=extra_args)
    return run_beam(source, out, config, run_id or ("demo" if demo else None), args, max_failure_ratio, wait)


if __name__ == "__main__":
    submit_beam_build(demo=True)

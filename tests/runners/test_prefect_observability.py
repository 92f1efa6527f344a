"""A Prefect run shows stage counters, the card as an artifact, retries where a network can fail,
and a Dataflow deployment that refuses empty settings at deploy time (#25)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from pipelines.runners.deploy_check import main as deploy_check
from pipelines.runners.local import StepReport
from pipelines.runners.prefect_report import retries, retries_step, stage_line

ROOT = Path(__file__).resolve().parents[2]


def test_stage_line_shows_counters_and_says_when_a_stage_was_skipped():
    ran = StepReport("compose", False, 0.391, 2730, {"plans": 283}, {"attempts": 335, "share": 0.5}, 52)
    assert stage_line(ran) == ("compose: ran in 0.39 s, rows in 2,730 -> plans=283, rejects 52 "
                               "(attempts=335, share=0.5)")
    assert "skipped" in stage_line(StepReport("compose", True, 0.0, 0, {}, {}, 0))


def test_only_transport_bound_steps_retry():
    """Chosen by the step's params type, never by its name: a renamed ingest step still retries."""
    import dataclasses

    from pipelines.config import load_config
    from pipelines.io.build_resources import load_resources
    from pipelines.plan import plan_build
    from pipelines.runners.prefect_build import run_stage

    cfg = load_config(None, {"llm.url": "http://127.0.0.1:9/v1", "llm.translate": True})
    steps = {s.name: s for s in plan_build(ROOT / "catalog.jsonl", cfg, load_resources(cfg))}
    assert run_stage.retries > 0 and run_stage.retry_condition_fn is retries_step
    assert retries(steps["ingest"], None) and retries(steps["translate"], None)
    assert retries(dataclasses.replace(steps["ingest"], name="read_catalog"), None)
    assert not retries(steps["compose"], None)
    from pipelines.errors import CatalogError

    assert not retries(steps["ingest"], SimpleNamespace(data=CatalogError("no rows")))


def test_the_retry_condition_reads_the_failed_runs_step(monkeypatch):
    """Inside a failed task run Prefect's context holds the run's parameters: the step is read from there."""
    from prefect.context import TaskRunContext

    step = SimpleNamespace(params=object())
    monkeypatch.setattr(TaskRunContext, "get", classmethod(lambda cls: SimpleNamespace(parameters={"step": step})))
    assert not retries_step(None, SimpleNamespace(name="ingest"), None)  # named like ingest, but not ingest's params


def test_deploy_check_names_each_unset_variable(monkeypatch, capsys):
    monkeypatch.setenv("MERITGEN_GCP_PROJECT", "p")
    monkeypatch.setenv("MERITGEN_GCP_REGION", " ")
    monkeypatch.delenv("MERITGEN_GCS_BUCKET", raising=False)
    assert deploy_check(["MERITGEN_GCP_PROJECT", "MERITGEN_GCP_REGION", "MERITGEN_GCS_BUCKET"]) == 1
    assert "MERITGEN_GCP_REGION, MERITGEN_GCS_BUCKET are not set" in capsys.readouterr().err
    assert deploy_check(["MERITGEN_GCP_PROJECT"]) == 0


def test_the_dataflow_deployment_checks_every_variable_it_renders_and_all_capture_pipelines_logs():
    deployments = {d["name"]: d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]}
    dataflow = deployments["weekly-catalog-build-dataflow"]
    (step,) = dataflow["build"]
    script = step["prefect.deployments.steps.run_shell_script"]["script"]
    import re

    used = set(re.findall(r"\$(MERITGEN_\w+)", yaml.safe_dump(dataflow["parameters"])))
    assert used and used <= set(script.split()[3:])
    for deployment in deployments.values():
        assert deployment["work_pool"]["job_variables"]["env"]["PREFECT_LOGGING_EXTRA_LOGGERS"] == "pipelines"


@pytest.mark.slow
def test_a_flow_run_logs_stage_counters_and_publishes_the_card(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.logging.handlers import APILogHandler
    from prefect.testing.utilities import prefect_test_harness

    from pipelines.runners.prefect_build import build_dataset

    config = tmp_path / "small.toml"
    config.write_text("[compose]\nmax_queries = 30\n[render]\nlanguages = [\"en\"]\n")
    with prefect_test_harness(server_startup_timeout=120):
        build_dataset(demo=True, out=str(tmp_path / "runs"), config=str(config))
        build_dataset(demo=True, out=str(tmp_path / "runs"), config=str(config))  # every stage skips
        APILogHandler().flush()  # logs reach the server on a worker thread: on a loaded machine, after the flow ends
        with get_client(sync_client=True) as client:
            cards = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["data-card"])))
            logged = "\n".join(entry.message for entry in client.read_logs(limit=200))  # what the UI shows
    assert cards and "## Load" in cards[0].data and "configs:" not in cards[0].data
    assert "compose: ran in" in logged and "rows in" in logged
    assert "compose: skipped" in logged


@pytest.mark.slow  # a real Prefect flow run (ephemeral API): seconds
def test_a_real_flow_retries_an_ingest_step_and_not_a_compose_step(monkeypatch):
    """Renamed steps, so only their params' type can tell them apart."""
    import dataclasses

    from prefect import flow

    from pipelines.config import load_config
    from pipelines.io.build_resources import load_resources
    from pipelines.plan import plan_build
    from pipelines.runners import prefect_build

    calls = []

    def failing(step, store, upstream, write):
        calls.append(step.name)
        raise ConnectionError("server went away")

    monkeypatch.setattr(prefect_build, "execute_step", failing)
    stage = prefect_build.run_stage.with_options(retry_delay_seconds=0)

    @flow
    def one(step):
        try:
            stage(step, None, {}, None)
        except ConnectionError:
            pass

    cfg = load_config()
    steps = {s.name: s for s in plan_build(ROOT / "catalog.jsonl", cfg, load_resources(cfg))}
    one(dataclasses.replace(steps["ingest"], name="step_a"))
    one(dataclasses.replace(steps["compose"], name="step_b"))
    assert calls.count("step_a") == 1 + prefect_build.RETRIES and calls.count("step_b") == 1

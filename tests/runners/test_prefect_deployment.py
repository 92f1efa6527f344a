"""prefect.yaml's deployments run as README "Scheduled builds" says: a temporary local Prefect
API, the `meritgen` process work pool, `prefect deploy`, one deployment run through a worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [str(Path(sys.executable).parent / "prefect")]


def _deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def test_prefect_yaml_names_only_files_that_exist_and_no_undocumented_variables():
    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in set(re.findall(r"\{\{\s*\$(\w+)\s*\}\}", text)):
        assert variable in readme, f"prefect.yaml uses ${variable}, which README.md never mentions"
    for deployment in _deployments():
        config = deployment.get("parameters", {}).get("config")
        if config:
            assert (ROOT / config).is_file(), f"{deployment['name']} names {config}, which does not exist"
        assert (ROOT / deployment["entrypoint"].split(":")[0]).is_file()
    assert "configs/production.toml" in readme and (ROOT / "configs" / "production.toml").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prefect(args: list[str], env: dict, cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    done = subprocess.run(PREFECT + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture
def prefect_api(tmp_path):
    """`prefect server start` on a free 127.0.0.1 port with its own PREFECT_HOME; stopped after."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(PREFECT + ["server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the Prefect server did not start in 180 s"
            time.sleep(1)
        yield env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_nightly_demo_deployment_runs_through_a_process_worker(prefect_api, tmp_path):
    env, out = prefect_api, tmp_path / "out"
    _prefect(["work-pool", "create", "meritgen", "--type", "process"], env, ROOT)
    _prefect(["--no-prompt", "deploy", "--name", "nightly-demo-build"], env, ROOT)
    _prefect(["deployment", "run", "build_dataset/nightly-demo-build", "-p", f"out={out}"], env, ROOT)
    worker = subprocess.run(PREFECT + ["worker", "start", "--pool", "meritgen", "--run-once"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, start_new_session=True)
    logs = worker.stdout + worker.stderr
    assert worker.returncode == 0 and "Finished in state Completed()" in logs, logs[-4000:]
    export = out / "demo" / "export"
    assert (export / "_SUCCESS.json").is_file() and (export / "README.md").is_file()
    assert list((export / "data" / "queries").glob("test-*.parquet"))
    assert (export / "merit" / "queries-test.json").stat().st_size > 0
    assert "Traceback" not in logs, logs[logs.find("Traceback") - 500:][:6000]
    # What the run shows (#25): stage counters in its logs, the card as an artifact, no telemetry noise.
    assert "compose: ran in" in logs, logs[-4000:]
    found = httpx.post(f"{env['PREFECT_API_URL']}/artifacts/filter",
                       json={"artifacts": {"key": {"any_": ["data-card"]}}}, timeout=30).json()
    assert found and "## Load" in found[0]["data"]
    assert "Failed to send telemetry" not in (tmp_path / "server.log").read_text()
    # The Dataflow deployment refuses unset settings at deploy time, naming them.
    bare = {k: v for k, v in env.items() if not k.startswith("MERITGEN_")}
    done = subprocess.run(PREFECT + ["--no-prompt", "deploy", "--name", "weekly-catalog-build-dataflow"], env=bare,
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0 and "MERITGEN_GCP_PROJECT" in done.stdout + done.stderr, done.stdout[-2000:]


DATAFLOW_DEPLOYMENT = "weekly-catalog-build-dataflow"
DATAFLOW_SETTINGS = ("project", "region", "catalog")  # what a Dataflow build cannot run without (#26)


def _dataflow_deployment() -> dict:
    return next(d for d in _deployments() if d["name"] == DATAFLOW_DEPLOYMENT)


def _variable_of(setting: str) -> str:
    """The environment variable prefect.yaml renders the Dataflow deployment's `setting` from."""
    (variable,) = re.findall(r"\{\{\s*\$(\w+)\s*\}\}", _dataflow_deployment()["parameters"][setting])
    return variable


def _deploy_check_argv() -> list[str]:
    """The deployment's build step, the command `prefect deploy` runs before it registers anything."""
    (step,) = _dataflow_deployment()["build"]
    script = step["prefect.deployments.steps.run_shell_script"]["script"]
    assert script.startswith("python -m pipelines.runners.deploy_check ")
    return [sys.executable, *script.split()[1:]]


def _dataflow_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERITGEN_")}
    env.update(MERITGEN_GCP_PROJECT="my-project-123", MERITGEN_GCP_REGION="europe-west4",
               MERITGEN_GCS_BUCKET="my-bucket-123", MERITGEN_BEAM_IMAGE="europe-west4-docker.pkg.dev/p/meritgen/beam:0.1.0",
               PYTHONPATH=str(ROOT))
    return env


@pytest.mark.parametrize("setting", DATAFLOW_SETTINGS)
def test_the_dataflow_deployment_is_refused_at_deploy_time_without_each_setting(setting):
    variable = _variable_of(setting)
    for unset in ({}, {variable: ""}, {variable: "  "}):  # absent, empty, blank
        env = _dataflow_env()
        env.pop(variable)
        env.update(unset)
        done = subprocess.run(_deploy_check_argv(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and variable in done.stderr, (setting, unset, done.stderr)
    everything = subprocess.run(_deploy_check_argv(), cwd=ROOT, env=_dataflow_env(), capture_output=True, text=True,
                                timeout=60)
    assert everything.returncode == 0, everything.stderr  # the refusal is about the missing setting only


@pytest.mark.slow  # a Prefect server and three `prefect deploy` runs: ~20 s here
def test_prefect_deploy_itself_refuses_the_dataflow_deployment_without_project_region_or_catalog(prefect_api):
    _prefect(["work-pool", "create", "meritgen", "--type", "process"], prefect_api, ROOT)
    for setting in DATAFLOW_SETTINGS:
        env = {**prefect_api, **_dataflow_env()}
        env.pop(_variable_of(setting))
        done = subprocess.run(PREFECT + ["--no-prompt", "deploy", "--name", DATAFLOW_DEPLOYMENT], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode != 0 and _variable_of(setting) in done.stdout + done.stderr, done.stdout[-2000:]
    found = httpx.post(f"{prefect_api['PREFECT_API_URL']}/deployments/filter", json={}, timeout=30).json()
    assert [d["name"] for d in found] == []  # nothing was registered

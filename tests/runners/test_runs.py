"""CLI, resume after a kill, inspection views, Prefect flow parity."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pytest

from pipelines.config import load_config
from pipelines.io.build_resources import load_resources
from pipelines.plan import plan_build
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli import main
from pipelines.store import RunStore

ROOT = Path(__file__).resolve().parents[2]


def _queries(run_dir):
    return pads.dataset(run_dir / "export" / "data" / "queries", format="parquet").to_table().sort_by("query_id")


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_cli_build_then_rerun_skips_every_stage(tmp_path):
    assert main(["build", "--demo", "--out", str(tmp_path), "--no-progress"]) == 0
    first = _queries(tmp_path / "demo")
    markers = {p.parent.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").glob("*/_SUCCESS.json")}
    assert main(["build", "--demo", "--out", str(tmp_path), "--no-progress"]) == 0
    assert {p.parent.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").glob("*/_SUCCESS.json")} == markers
    assert _queries(tmp_path / "demo").equals(first)


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_config_change_reruns_only_downstream_stages(tmp_path):
    main(["build", "--demo", "--out", str(tmp_path), "--no-progress"])
    before = {p.parent.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").glob("*/_SUCCESS.json")}
    main(["build", "--demo", "--out", str(tmp_path), "--no-progress", "--set", "negatives.per_query=3"])
    after = {p.parent.name: p.stat().st_mtime_ns for p in (tmp_path / "demo").glob("*/_SUCCESS.json")}
    assert {s for s in before if before[s] == after[s]} == {"ingest", "mine", "compose", "render", "language_check", "index"}
    negatives = _queries(tmp_path / "demo").column("hard_negatives").to_pylist()
    # per_query=3 reaches the output. Since #22 the negatives step keeps every minimal pair whatever
    # per_query says and fills with overlap negatives up to per_query, so: a query's negatives from
    # that step number at most max(3, its minimal pairs), and where overlap ones fill, exactly 3.
    counts = [(sum(n["source"] == "minimal_pair" for n in row), sum(n["source"] == "overlap" for n in row),
               sum(n["source"] == "personalization" for n in row)) for row in negatives]
    assert all(pairs + overlap + former <= max(3, pairs) for pairs, overlap, former in counts)
    assert max(pairs + overlap + former for pairs, overlap, former in counts if overlap) == 3


KILLABLE = """
import sys, time, pathlib
import pipelines.stages.render as render
real = render.render_queries
def slow(*a, **k):
    pathlib.Path(sys.argv[2]).write_text("render started")
    time.sleep(600)
render.render_queries = slow
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build
run_build(DEMO_DIR / "catalog.jsonl", sys.argv[1], load_config(), run_id="demo", progress=False)
"""


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_killed_build_resumes_without_redoing_finished_stages(tmp_path):
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(tmp_path / "runs"), str(flag)], cwd=ROOT)
    deadline = time.time() + 120
    while not flag.exists():
        assert proc.poll() is None and time.time() < deadline, "build died or hung before render"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    run_dir = tmp_path / "runs" / "demo"
    assert not (run_dir / "render").exists()
    done = {p.parent.name: p.stat().st_mtime_ns for p in run_dir.glob("*/_SUCCESS.json")}
    assert set(done) == {"ingest", "mine", "compose"}
    assert main(["build", "--demo", "--out", str(tmp_path / "runs"), "--no-progress"]) == 0
    assert all((run_dir / s / "_SUCCESS.json").stat().st_mtime_ns == t for s, t in done.items())
    main(["build", "--demo", "--out", str(tmp_path / "fresh"), "--no-progress"])
    assert _queries(run_dir).equals(_queries(tmp_path / "fresh" / "demo"))


def test_inspect_exposes_every_stage_output_and_rejects_in_duckdb(tmp_path, capsys):
    main(["build", "--demo", "--out", str(tmp_path), "--no-progress"])
    assert main(["inspect", "--run", str(tmp_path / "demo")]) == 0
    with duckdb.connect(str(RunStore(tmp_path / "demo").duckdb_path), read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert {"ingest__products", "mine__attributes", "compose__plans", "export__queries", "rejects"} <= views
        n = con.execute("SELECT count(*) FROM export__queries").fetchone()[0]
        assert n == _queries(tmp_path / "demo").num_rows
        assert con.execute("SELECT count(*) FROM rejects WHERE stage = 'compose'").fetchone()[0] > 0


def test_bad_catalog_gives_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"product_id": "1", "category": "rockets", "title": "x", "images": []}\n')
    assert main(["build", "--catalog", str(bad), "--out", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no valid product" in err and "c.jsonl" in err


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_prefect_flow_builds_the_same_dataset_as_the_cli(tmp_path, prefect_harness):
    from pipelines.runners.prefect_build import build_dataset

    result = build_dataset(demo=True, out=str(tmp_path / "flow"))
    assert [s["name"] for s in result["steps"]] == [s.name for s in plan_build(DEMO_DIR / "catalog.jsonl", load_config(), load_resources(load_config()))]
    main(["build", "--demo", "--out", str(tmp_path / "cli"), "--no-progress"])
    assert _queries(tmp_path / "flow" / "demo").equals(_queries(tmp_path / "cli" / "demo"))


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_prefect_flow_builds_20_times_in_a_row_without_hanging(tmp_path, prefect_harness, monkeypatch, capfd):
    """Each build runs compose and negatives on a process pool from inside a Prefect task thread,
    where a forked pool once deadlocked; 20 small builds in a row must all finish."""
    from pipelines.runners import parallel
    from pipelines.runners.prefect_build import build_dataset

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)  # the pool even for tiny inputs
    config = tmp_path / "small.toml"
    config.write_text("workers = 2\n[compose]\nmax_queries = 30\n[render]\nlanguages = [\"en\", \"ms\"]\n")
    started = time.time()
    for i in range(20):
        result = build_dataset(demo=True, out=str(tmp_path / "runs"), config=str(config), run_id=f"build{i:02d}")
        assert result["steps"][-1]["name"] == "export" and not result["steps"][-1]["skipped"]
    assert len(list((tmp_path / "runs").glob("build*/export/_SUCCESS.json"))) == 20
    err = capfd.readouterr().err
    assert "ForkPoolWorker" not in err and "TerminationSignal" not in err
    print(f"20 Prefect builds in {time.time() - started:.0f} s")

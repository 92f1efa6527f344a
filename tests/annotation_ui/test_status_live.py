"""`qa status` while `meritgen annotate` runs (and holds the DuckDB file) shows live progress."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from annotation_ui.rounds import open_round, open_store
from pipelines.runners.cli import main
from tests.annotation_ui.conftest import build_tiny_run, csrf_of, login

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_status_reads_the_servers_snapshot_while_annotate_holds_the_database(tmp_path, capsys):
    run = build_tiny_run(tmp_path)
    opened = open_round(run, None, 6, ["a1"], 0.0, seed=3)
    assert opened.name == "round-1"
    store = open_store(run)
    item = sorted(store.assignments("round-1"))[0]
    store.close()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-m", "pipelines.runners.cli", "annotate", "--run", str(run), "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/login", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "annotate did not start"
                time.sleep(0.3)
        client = login(url, opened.tokens["a1"])
        csrf = csrf_of(client.get("/").text)
        assert client.post(f"/items/{item}/decision", data={"action": "accept", "csrf": csrf},
                           headers={"Origin": url}).status_code == 303
        capsys.readouterr()
        assert main(["qa", "status", "--run", str(run), "--json"]) == 0
        out = capsys.readouterr().out
        assert '"done": 1' in out and '"round": "round-1"' in out, out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

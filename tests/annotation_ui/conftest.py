"""Tiny runs with open QA rounds, and the real app served by uvicorn on an ephemeral port."""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from annotation_ui.rounds import open_round
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build

XSS = '<script>alert("xss")</script>'
ROUNDS = {  # name: (size, annotators, double share)
    "r1": (30, ["a1", "a2", "a3"], 0.5),
    "load": (60, [f"c{i:02d}" for i in range(20)], 0.0),
    "browser": (10, ["ann"], 0.0),
}


TINY_OVERRIDES = {"compose.max_queries": 60}


def build_tiny_run(out: Path, plant_xss: bool = False) -> Path:
    """The demo catalog, 60 compose attempts (about 30 base queries x 5 languages survive the label, split and image-blind filters); optionally some titles carry a script tag."""
    catalog, overrides = DEMO_DIR / "catalog.jsonl", dict(TINY_OVERRIDES)
    if plant_xss:
        rows = [json.loads(line) for line in catalog.read_text(encoding="utf-8").splitlines()]
        for r in rows:
            if int(r["product_id"]) % 10 == 0:
                r["title"] = f"{XSS} {r['title']}"
        catalog = out / "catalog.jsonl"
        catalog.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        overrides["catalog.images_dir"] = str(DEMO_DIR)
    run_build(catalog, out, load_config(None, overrides), run_id="run", progress=False)
    return out / "run"


@contextmanager
def live_server(app):
    """Serve `app` with uvicorn in a thread on 127.0.0.1:<free port>; yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@pytest.fixture(scope="session")
def qa_run(tmp_path_factory):
    """(run dir, {round: {account: token}}): a tiny run with planted XSS titles and three rounds."""
    run = build_tiny_run(tmp_path_factory.mktemp("qa"), plant_xss=True)
    tokens = {}
    for name, (size, annotators, share) in ROUNDS.items():
        tokens[name] = open_round(run, name, size, annotators, share, seed=5).tokens
    return run, tokens


@pytest.fixture(scope="session")
def server(qa_run):
    """(base URL, app) of the live annotation server over `qa_run`."""
    from annotation_ui.app import create_app

    app = create_app(qa_run[0])
    with live_server(app) as url:
        yield url, app


def login(url: str, token: str) -> httpx.Client:
    """An HTTP client logged in with `token` (cookie set by the real /login)."""
    client = httpx.Client(base_url=url, timeout=30)
    response = client.post("/login", data={"token": token})
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)

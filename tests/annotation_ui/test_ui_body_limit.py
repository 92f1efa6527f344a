"""An oversized request body is refused (413) before the app buffers it or looks at the login (#24)."""

from __future__ import annotations

import socket
import time

import pytest
from fastapi import FastAPI, Form

from annotation_ui.body_limit import BodyLimit
from tests.annotation_ui.conftest import live_server

HEADERS = ("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xx\r\n"
           "{length}\r\n")


def _raw_post(url: str, path: str, head: str, chunks: list[bytes], pause: float = 0.0) -> str:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(HEADERS.format(path=path, length=head).encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the client finished: that is the point
        return sock.recv(4096).decode("latin-1")


def _toy_app(seen: list) -> FastAPI:
    app = FastAPI()

    @app.post("/form")
    def form(text: str = Form("")) -> dict:
        seen.append(len(text))
        return {"n": len(text)}

    app.add_middleware(BodyLimit, limit=1000)
    return app


def test_a_declared_300_mb_body_is_refused_before_it_is_sent():
    seen: list = []
    with live_server(_toy_app(seen)) as url:
        started = time.monotonic()
        answer = _raw_post(url, "/form", "Content-Length: 314572800\r\n", [b"--xx\r\n" + b"a" * 500])
        assert answer.startswith("HTTP/1.1 413") and time.monotonic() - started < 5
    assert seen == []


def test_a_chunked_body_over_the_cap_is_cut_off_at_the_cap():
    seen: list = []
    chunk = b"400\r\n" + b"a" * 0x400 + b"\r\n"
    with live_server(_toy_app(seen)) as url:
        answer = _raw_post(url, "/form", "Transfer-Encoding: chunked\r\n", [chunk] * 50, pause=0.01)
    assert answer.startswith("HTTP/1.1 413") and seen == []


def test_a_small_form_still_passes():
    import httpx

    seen: list = []
    with live_server(_toy_app(seen)) as url:
        assert httpx.post(f"{url}/form", data={"text": "hello"}).json() == {"n": 5}


@pytest.mark.slow
def test_the_real_app_answers_413_before_401(tmp_path):
    from annotation_ui.app import create_app
    from annotation_ui.rounds import open_round
    from tests.annotation_ui.conftest import build_tiny_run

    run = build_tiny_run(tmp_path)
    open_round(run, "r1", 5, ["a"], 0.0, seed=5)
    with live_server(create_app(run)) as url:
        assert _raw_post(url, "/login", "Content-Length: 314572800\r\n", [b"--xx\r\n"]).startswith("HTTP/1.1 413")
        small = _raw_post(url, "/login", "Content-Length: 9\r\n", [b"token=abc"])
        assert small.startswith("HTTP/1.1 4") and not small.startswith("HTTP/1.1 413")  # refused for what it says

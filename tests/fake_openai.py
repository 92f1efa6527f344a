"""A real HTTP server speaking the OpenAI chat-completions protocol, scripted per test.

    with FakeOpenAI(responder) as server:
        settings = LLMSettings(base_url=server.base_url, ...)

It listens on 127.0.0.1 on an ephemeral port, in a background thread (stdlib
ThreadingHTTPServer: one thread per connection, so a responder may block or sleep without
stalling other requests). `responder(request_json)` returns one of:

- a str: the assistant's answer, wrapped by `chat_response`;
- a dict: the response JSON, sent with status 200;
- a (status, body) tuple: body is a dict (sent as JSON) or a str;
- Delay(seconds, then): sleep, then answer `then` (or drop the connection when `then` is None).

Every chat request body is recorded in `requests` (arrival order) and counted; `max_in_flight`
is the most requests the server held at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict], Any]


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Any = None


def chat_response(
    text: str, *, finish_reason: str = "stop", prompt_tokens: int = 10, completion_tokens: int | None = None
) -> dict:
    """A chat-completions response body with one choice."""
    completion_tokens = len(text.split()) if completion_tokens is None else completion_tokens
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def user_text(request: dict) -> str:
    """All text of the last user message of a recorded request (image parts skipped)."""
    content = [m for m in request["messages"] if m["role"] == "user"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p.get("type") == "text")


class _Server(ThreadingHTTPServer):
    # The stdlib default backlog of 5 drops SYNs when a client opens many connections at
    # once, and each dropped SYN costs a 1 s retransmit.
    request_queue_size = 1024
    daemon_threads = True  # a test may leave a responder blocked; never wait for it


class FakeOpenAI:
    """The server; use as a context manager or call start()/stop()."""

    def __init__(self, responder: Responder | None = None, port: int = 0) -> None:
        self.responder: Responder = responder or (lambda request: "ok")
        self.port = port  # 0: an ephemeral port
        self.requests: list[dict] = []
        self.responses_sent = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", self.port), handler)
        # A short poll interval keeps stop() (which waits for one poll) fast.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forget recorded requests and counts (keeps the responder and the port)."""
        with self.lock:
            self.requests.clear()
            self.responses_sent = 0
            self.max_in_flight = self.in_flight

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, request: dict) -> None:
        with self.lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _done(self, sent: bool) -> None:
        with self.lock:
            self.in_flight -= 1
            self.responses_sent += int(sent)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real client expects
    disable_nagle_algorithm = True  # headers and body go out in two writes; do not stall the second
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the per-request stderr log."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = json.loads(body)
        self.fake._record(request)
        sent = False
        try:
            sent = self._answer(self.fake.responder(request))
        finally:
            self.fake._done(sent)

    def _answer(self, answer: Any) -> bool:
        while isinstance(answer, Delay):
            time.sleep(answer.seconds)
            if answer.then is None:
                self.close_connection = True
                return False
            answer = answer.then
        if isinstance(answer, str):
            return self._send(200, chat_response(answer))
        if isinstance(answer, tuple):
            return self._send(*answer)
        return self._send(200, answer)

    def _send(self, status: int, body: Any) -> bool:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, kill)
            self.close_connection = True
            return False

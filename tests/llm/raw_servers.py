"""Byte-level HTTP servers on 127.0.0.1 for what FakeOpenAI cannot do: trickle, chunk, misbehave.

    with RawServer(handler) as server:      # handler(request_bytes, socket) writes the answer
        server.base_url                     # http://127.0.0.1:<port>/v1

Each connection runs in its own thread and may carry several requests (keep-alive) until the
handler returns False or the client closes. `connections` counts accepted connections.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable

from tests.fake_openai import chat_response

Handler = Callable[[bytes, socket.socket], bool]  # returns whether to keep the connection open


def read_request(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """One full HTTP request (head + content-length body) from `sock`, or None at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end]).lower()
    length = int(head.split(b"content-length:")[1].split(b"\r\n")[0]) if b"content-length:" in head else 0
    while len(buffer) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    request = bytes(buffer[: end + length])
    del buffer[: end + length]
    return request


def completion_bytes(text: str = "ok") -> bytes:
    return json.dumps(chat_response(text)).encode()


def fixed_length(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode()
        + body
    )


class RawServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> RawServer:
        outer = self

        class _Conn(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                buffer = bytearray()
                try:
                    while (request := read_request(self.request, buffer)) is not None:
                        outer.requests.append(request)
                        if not outer.handler(request, self.request):
                            return
                except OSError:  # the client went away (deadline hit): nothing to do
                    return

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Conn)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class TricklingServer(RawServer):
    """Sends the status line and headers at once, then the body one byte every `byte_every_s`."""

    def __init__(self, byte_every_s: float, body_bytes: int) -> None:
        def trickle(request: bytes, sock: socket.socket) -> bool:
            sock.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % body_bytes
            )
            for _ in range(body_bytes):
                time.sleep(byte_every_s)
                sock.sendall(b" ")
            return False

        super().__init__(trickle)

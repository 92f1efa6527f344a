"""A lean keep-alive HTTP/1.1 POST client for one origin: asyncio protocols + httptools.

Why not httpx or aiohttp: on a 2-core box against a null server, httpx served ~600 and aiohttp
~3,500 requests/s at 256 in flight, most of it in their connection pools and header handling.
This pool does one thing, POST a body to one URL, and parses answers with httptools (llhttp,
the parser behind uvicorn and Node.js), so the LLM client is not the bottleneck of a run.

Each `post` has a total deadline (connect + send + the whole answer), not a per-read timeout:
a server that trickles one byte at a time cannot hold a request past it. https goes through
the stdlib ssl module; proxies are not supported.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from pipelines.errors import ConfigError


class TransportError(Exception):
    """No complete HTTP answer arrived: connect/read failure, closed connection, deadline, bad HTTP."""


class AnswerTooLarge(TransportError):
    """The answer's body is over the pool's byte cap: reading stopped there (announced or received)."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    retry_after: float | None


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request at a time (no pipelining)."""

    def __init__(self, max_body_bytes: int | None = None) -> None:
        self.max_body_bytes = max_body_bytes
        self._body_bytes = 0
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._reply: asyncio.Future[HttpReply] | None = None
        self._body: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._headers_done = False

    # asyncio.Protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._reply is None or self._reply.done():
            self.close()  # bytes nobody asked for: the connection is out of step, never reuse it
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._reply is None or self._reply.done():
            return
        if self._headers_done and self._reads_until_close():
            self._finish()  # a body delimited by the end of the connection is complete now
        else:
            self._fail(TransportError(f"connection closed before a complete answer ({exc or 'EOF'})"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        self._headers_done = True
        announced = self._headers.get(b"content-length", b"")
        if self.max_body_bytes is not None and announced.isdigit() and int(announced) > self.max_body_bytes:
            self._too_large(f"announces {int(announced):,} bytes")

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self.max_body_bytes is not None and self._body_bytes > self.max_body_bytes:
            self._too_large(f"sent over {self._body_bytes:,} bytes")  # chunked or lying: stop reading now
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._parser.should_keep_alive():
            self.close()
        self._finish()

    # the client side
    async def roundtrip(self, request: bytes) -> HttpReply:
        self._reply = asyncio.get_running_loop().create_future()
        self._body, self._headers, self._headers_done, self._body_bytes = [], {}, False, 0
        self.transport.write(request)
        try:
            return await self._reply
        finally:
            self._reply = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _reads_until_close(self) -> bool:
        return b"content-length" not in self._headers and b"transfer-encoding" not in self._headers

    def _finish(self) -> None:
        if self._reply is not None and not self._reply.done():
            status = self._parser.get_status_code()
            self._reply.set_result(HttpReply(status, b"".join(self._body), _seconds(self._headers.get(b"retry-after"))))

    def _too_large(self, what: str) -> None:
        self._body = []
        self._fail(AnswerTooLarge(f"the answer {what}, over the {self.max_body_bytes:,}-byte cap (llm.max_answer_bytes)"))

    def _fail(self, exc: TransportError) -> None:
        self.close()
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(exc)


def _seconds(value: bytes | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the client's own backoff applies


class HttpPool:
    """POSTs to one URL over reused connections; the caller bounds how many run at once."""

    def __init__(self, url: str, headers: Mapping[str, str], ssl_context: ssl.SSLContext | None = None,
                 max_body_bytes: int | None = None) -> None:
        parts = urlsplit(url)
        self._max_body_bytes = max_body_bytes  # an answer body over this fails as AnswerTooLarge, unread
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"LLM URL must be http:// or https:// with a host, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = (ssl_context or ssl.create_default_context()) if parts.scheme == "https" else None
        if any(c in f"{k}{v}" for k, v in headers.items() for c in "\r\n"):
            raise ConfigError("HTTP header names and values (the API key) must not contain line breaks")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]  # never send userinfo in the Host header
        lines = [f"POST {target} HTTP/1.1", f"host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\ncontent-length: ").encode("latin-1")
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, body: bytes, timeout_s: float) -> HttpReply:
        """One request with a total deadline; raises TransportError when no full answer came."""
        request = b"%s%d\r\n\r\n%s" % (self._head, len(body), body)
        if self._loop is not asyncio.get_running_loop():  # connections die with their event loop
            self._loop, self._idle, self._open = asyncio.get_running_loop(), [], set()
        conn = None
        try:
            async with asyncio.timeout(timeout_s):
                conn = self._take_idle() or await self._connect()
                reply = await conn.roundtrip(request)
        except TimeoutError:
            # Named like httpx's errors: which phase the deadline caught.
            phase = "ConnectTimeout: no connection" if conn is None else "ReadTimeout: no complete answer"
            if conn is not None:
                conn.close()
            raise TransportError(f"{phase} within the {timeout_s:g} s deadline") from None
        except OSError as exc:
            if conn is not None:
                conn.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:  # cancelled or failed mid-request: its state is unknown, never reuse
            if conn is not None:
                conn.close()
            raise
        finally:
            if conn is not None and conn.closed:
                self._open.discard(conn)
        if not conn.closed:
            self._idle.append(conn)  # LIFO: the warmest connection is reused first
        return reply

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
            self._open.discard(conn)
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        server_hostname = self._host if self._ssl is not None else None
        _, conn = await loop.create_connection(
            lambda: _Connection(self._max_body_bytes), self._host, self._port, ssl=self._ssl, server_hostname=server_hostname
        )
        self._open.add(conn)
        return conn

    async def aclose(self) -> None:
        """Close every connection (idle or not)."""
        for conn in self._open:
            conn.close()
        self._open.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports run their close callbacks

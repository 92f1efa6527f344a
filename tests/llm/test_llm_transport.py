"""The HTTP/1.1 pool under the client: framing, keep-alive, broken servers, deadlines, https."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl
import time

import pytest

from pipelines.errors import ConfigError
from pipelines.llm.client import ChatRequest, LLMClient
from pipelines.llm.transport import HttpPool, TransportError
from tests.llm.llm_helpers import settings_for
from tests.llm.raw_servers import RawServer, TricklingServer, completion_bytes, fixed_length


def _post_all(url: str, bodies: list[bytes], timeout_s: float = 5.0, in_flight: int = 1, ssl_context=None):
    """Replies (or TransportErrors) for each body, at most `in_flight` at once, one pool."""

    async def main():
        pool = HttpPool(url + "/chat/completions", {"content-type": "application/json"}, ssl_context)
        slots = asyncio.Semaphore(in_flight)

        async def one(body):
            async with slots:
                try:
                    return await pool.post(body, timeout_s)
                except TransportError as exc:
                    return exc

        try:
            return await asyncio.gather(*(one(b) for b in bodies))
        finally:
            await pool.aclose()

    return asyncio.run(main())


def _answer(response: bytes, keep_open: bool = True):
    def handler(request: bytes, sock: socket.socket) -> bool:
        sock.sendall(response)
        return keep_open

    return handler


def test_keep_alive_reuses_one_connection_for_sequential_requests():
    with RawServer(_answer(fixed_length(completion_bytes("hi")))) as server:
        replies = _post_all(server.base_url, [b"{}"] * 20)
    assert [r.status for r in replies] == [200] * 20 and json.loads(replies[0].body)["choices"][0]["message"][
        "content"
    ] == "hi"
    assert server.connections == 1
    head = server.requests[0].split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"post /v1/chat/completions http/1.1") and b"content-length: 2" in head


def test_concurrent_answers_go_to_their_own_requests():
    def echo(request: bytes, sock: socket.socket) -> bool:
        sock.sendall(fixed_length(request.split(b"\r\n\r\n", 1)[1]))
        return True

    with RawServer(echo) as server:
        bodies = [json.dumps({"n": i}).encode() for i in range(200)]
        replies = _post_all(server.base_url, bodies, in_flight=16)
    assert [r.body for r in replies] == bodies and server.connections <= 16


def test_chunked_and_close_delimited_bodies():
    body = completion_bytes("chunked")
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7))
        + b"0\r\n\r\n"
    )
    with RawServer(_answer(chunked)) as server:
        assert [r.body for r in _post_all(server.base_url, [b"{}"] * 3)] == [body] * 3
        assert server.connections == 1
    until_close = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n" + body
    with RawServer(_answer(until_close, keep_open=False)) as server:
        assert [r.body for r in _post_all(server.base_url, [b"{}"] * 3)] == [body] * 3
        assert server.connections == 3  # the end of the body is the end of the connection


def test_connection_close_header_and_idle_close_open_a_new_connection():
    closing = fixed_length(completion_bytes(), extra="connection: close\r\n")
    with RawServer(_answer(closing, keep_open=False)) as server:
        assert all(r.status == 200 for r in _post_all(server.base_url, [b"{}"] * 4))
        assert server.connections == 4

    async def idle_then_post(url: str):
        pool = HttpPool(url + "/chat/completions", {})
        first = await pool.post(b"{}", 5)
        await asyncio.sleep(0.2)  # the server has closed the idle connection by now
        second = await pool.post(b"{}", 5)
        await pool.aclose()
        return first.status, second.status

    with RawServer(_answer(fixed_length(completion_bytes()), keep_open=False)) as server:
        assert asyncio.run(idle_then_post(server.base_url)) == (200, 200)


def test_retry_after_and_error_statuses_are_passed_up():
    busy = fixed_length(b'{"error": "busy"}', status="429 Too Many Requests", extra="retry-after: 2.5\r\n")
    with RawServer(_answer(busy)) as server:
        (reply,) = _post_all(server.base_url, [b"{}"])
    assert reply.status == 429 and reply.retry_after == 2.5 and reply.body == b'{"error": "busy"}'


@pytest.mark.parametrize(
    "response, words",
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b", "closed before a complete answer"),
        (b"SMTP ready\r\n\r\n", "invalid HTTP response"),
        (b"", "closed before a complete answer"),
    ],
)
def test_broken_answers_are_transport_errors(response, words):
    with RawServer(_answer(response, keep_open=False)) as server:
        (reply,) = _post_all(server.base_url, [b"{}"])
    assert isinstance(reply, TransportError) and words in str(reply)


def test_refused_connection_and_bad_urls():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (reply,) = _post_all(f"http://127.0.0.1:{port}/v1", [b"{}"])
    assert isinstance(reply, TransportError) and "ConnectionRefused" in str(reply)
    for url in ("ftp://host/v1", "127.0.0.1:8000/v1", "http:///v1"):
        with pytest.raises(ConfigError, match="http"):
            HttpPool(url, {})


def test_deadline_covers_the_whole_answer_not_each_read():
    with TricklingServer(byte_every_s=0.05, body_bytes=100) as server:
        started = time.monotonic()
        (reply,) = _post_all(server.base_url, [b"{}"], timeout_s=0.5)
        elapsed = time.monotonic() - started
    assert isinstance(reply, TransportError) and "ReadTimeout" in str(reply) and elapsed < 1.5  # trickling takes 5 s


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 signed by its own key (cryptography ships with the venv)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "meritgen test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_with_a_verified_certificate(tmp_path, monkeypatch):
    cert_path, key_path = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the default context trusts our certificate

    async def main():
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(fixed_length(completion_bytes("over tls")))
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
        async with LLMClient(settings_for(url, max_retries=0)) as client:
            results = await client.complete_many(
                [ChatRequest(({"role": "user", "content": f"q{i}"},)) for i in range(5)]
            )
        monkeypatch.delenv("SSL_CERT_FILE")  # now the certificate is untrusted: the handshake must fail
        pool = HttpPool(url + "/chat/completions", {})
        try:
            refused = await pool.post(b"{}", 5)
        except TransportError as exc:
            refused = exc
        await pool.aclose()
        server.close()
        return results, refused

    results, refused = asyncio.run(main())
    assert [r.text for r in results] == ["over tls"] * 5
    assert isinstance(refused, TransportError) and "CERTIFICATE_VERIFY_FAILED" in str(refused)


def test_a_pool_is_reusable_from_a_new_event_loop_without_closing():
    with RawServer(_answer(fixed_length(completion_bytes()))) as server:
        pool = HttpPool(server.base_url + "/chat/completions", {})
        first = asyncio.run(pool.post(b"{}", 5))  # its connection stays idle, tied to a dead loop
        second = asyncio.run(pool.post(b"{}", 5))
    assert (first.status, second.status) == (200, 200) and server.connections == 2

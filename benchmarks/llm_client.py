"""Throughput of the LLM client: network requests/s (cache off) and cache hits/s.

    python benchmarks/llm_client.py [--requests 20000] [--in-flight 256]

The server is a null OpenAI endpoint (a minimal asyncio HTTP/1.1 responder returning one
fixed chat completion) in a separate process, so it does not share the client's event loop.
Goals on a 2-core machine: >= 2,000 requests/s through the client, >= 20,000 cache hits/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from pipelines.llm.cache import RequestCache  # noqa: E402
from pipelines.llm.client import ChatRequest, LLMClient, LLMSettings, image_part  # noqa: E402

_BODY = (
    b'{"id":"x","object":"chat.completion","model":"null","choices":[{"index":0,"message":'
    b'{"role":"assistant","content":"Saya mahu kasut <image_1>"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":42,"completion_tokens":6,"total_tokens":48}}'
)
_RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(_BODY), _BODY)


class _NullProtocol(asyncio.Protocol):
    """Answers every request on a keep-alive connection with the same completion."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return  # body not complete yet
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(_RESPONSE)


def _serve(port_queue: multiprocessing.Queue) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_NullProtocol, "127.0.0.1", 0, backlog=4096)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _requests(n: int, image: bytes | None = None, tag: str = "") -> list[ChatRequest]:
    """n distinct requests shaped like the translate task (with one image part if given)."""
    hashes: tuple[str, ...] = ()
    parts: list[dict] = []
    if image is not None:
        part, digest = image_part(image)
        parts, hashes = [part], (digest,)
    system = {"role": "system", "content": "You translate online shopping search queries."}
    out = []
    for i in range(n):
        text = f"Translate: red shoes like <image_1> #{tag}{i}"
        user = {"role": "user", "content": [{"type": "text", "text": text}, *parts] if parts else text}
        out.append(
            ChatRequest(
                (system, user), {"temperature": 0.0, "max_tokens": 64}, None, "answer", "translate/v1", 1, hashes
            )
        )
    return out


async def _timed(settings: LLMSettings, requests: list[ChatRequest], cache: RequestCache | None) -> tuple[float, dict]:
    """Seconds for all but the first 256 requests (those warm connections up), and counters."""
    async with LLMClient(settings, cache) as client:
        await client.complete_many(requests[:256])
        start = time.perf_counter()
        results = await client.complete_many(requests[256:])
        elapsed = time.perf_counter() - start
        failures = sum(1 for r in results if not hasattr(r, "text"))
        return elapsed, {**client.counters, "failed_results": failures}


async def _plain_httpx(url: str, n: int, in_flight: int) -> float:
    """Reference: one httpx.AsyncClient whose single pool holds every connection."""
    import httpx

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    body = b'{"model":"null","messages":[{"role":"user","content":"hi"}]}'
    slots = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:

        async def one() -> None:
            async with slots:
                (await http.post(url, content=body)).json()

        await asyncio.gather(*(one() for _ in range(256)))
        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - start


async def _raw_asyncio(port: int, n: int, connections: int = 64) -> float:
    """Reference ceiling: hand-written keep-alive HTTP/1.1 over asyncio streams, no library."""
    body = b'{"model":"null","messages":[{"role":"user","content":"hi"}]}'
    request = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    async def worker(count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n // connections) for _ in range(connections)))
    return time.perf_counter() - start


def _row(name: str, n: int, seconds: float, note: str = "") -> str:
    return f"| {name:<44} | {n:>7} | {seconds:>7.2f} | {n / seconds:>9,.0f} | {note} |"


def _client_rows(settings: LLMSettings, n: int) -> list[str]:
    rows = []
    elapsed, c = asyncio.run(_timed(settings, _requests(n + 256), None))
    rows.append(
        _row("LLMClient, network, cache off", n, elapsed, f"requests={c['requests']} failed={c['failed_results']}")
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.sqlite"
        text, image = _requests(n + 256, tag="t"), _requests(n + 256, os.urandom(30_000), tag="i")
        with RequestCache(path) as cache:
            elapsed, c = asyncio.run(_timed(settings, text, cache))
            rows.append(_row("LLMClient, network, cache on (misses+writes)", n, elapsed, f"requests={c['requests']}"))
            asyncio.run(_timed(settings, image, cache))  # fill: not timed
        for name, requests in (("text", text), ("30 KB image each", image)):
            with RequestCache(path) as cache:  # reopened: hits come from the file
                elapsed, c = asyncio.run(_timed(settings, requests, cache))
                note = f"hits={c['cache_hits']} requests={c['requests']}"
                rows.append(_row(f"LLMClient, cache hits ({name})", n, elapsed, note))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=256)
    args = parser.parse_args()
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    url = f"http://127.0.0.1:{port}/v1"
    n = args.requests
    load_before = os.getloadavg()[0]
    try:
        rows = _client_rows(LLMSettings(base_url=url, model="null", max_in_flight=args.in_flight), n)
        ref = min(n, 2_000)  # the plain pool is slow at high concurrency; fewer requests suffice
        rows.append(
            _row(
                f"reference: plain httpx, one {args.in_flight}-conn pool",
                ref,
                asyncio.run(_plain_httpx(url + "/chat/completions", ref, args.in_flight)),
            )
        )
        rows.append(_row("reference: raw asyncio HTTP/1.1, 64 conns", n, asyncio.run(_raw_asyncio(port, n))))
    finally:
        server.terminate()
    lines = [
        f"command: python benchmarks/llm_client.py --requests {n} --in-flight {args.in_flight}",
        f"machine: {os.cpu_count()} CPUs; 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; null server in its own process",
        f"| {'scenario':<44} | {'n':>7} | {'seconds':>7} | {'per s':>9} | notes |",
        f"|{'-' * 46}|{'-' * 9}|{'-' * 9}|{'-' * 11}|-------|",
        *rows,
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

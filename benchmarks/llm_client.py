"""Throughput of the LLM client beside the clients a user would pick instead.

    pip install -e .[bench]   # aiohttp and openai, for the reference rows only
    python benchmarks/llm_client.py [--requests 20000] [--in-flight 256] [--repeat 3]

The server is a null OpenAI endpoint (a minimal asyncio HTTP/1.1 responder returning one
fixed chat completion) in a separate process, so it does not share the client's event loop.
Every client runs with `--in-flight` requests in flight; each configuration runs `--repeat`
times and the best run is reported (other work on a shared machine only ever slows a run).
LLMClient rows run with retries on (max_retries=5) and bounded concurrency, as in a build.
Goals on a 2-core machine: >= 4,000 requests/s through LLMClient with its cache on, cache
hits unchanged or faster (>= 20,000/s).
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

from pipelines.llm.cache import RequestCache, request_key  # noqa: E402
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
        before = client.counters
        start = time.perf_counter()
        results = await client.complete_many(requests[256:])
        elapsed = time.perf_counter() - start
        after = client.counters
    failures = sum(1 for r in results if not hasattr(r, "text"))
    return elapsed, {k: after[k] - before.get(k, 0) for k in after} | {"failed_results": failures}


_BODY_JSON = {"model": "null", "messages": [{"role": "user", "content": "hi"}]}


async def _bounded(n: int, in_flight: int, one) -> float:
    """Seconds for n calls of `one()` with at most in_flight at once, after 256 warm-up calls."""
    slots = asyncio.Semaphore(in_flight)

    async def bounded() -> None:
        async with slots:
            await one()

    await asyncio.gather(*(bounded() for _ in range(256)))
    start = time.perf_counter()
    await asyncio.gather(*(bounded() for _ in range(n)))
    return time.perf_counter() - start


async def _plain_httpx(url: str, n: int, in_flight: int) -> float:
    """Reference: one httpx.AsyncClient whose single pool holds every connection."""
    import httpx

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        return await _bounded(n, in_flight, lambda: _httpx_one(http, url))


async def _httpx_one(http, url: str) -> None:
    (await http.post(url, json=_BODY_JSON)).json()


async def _aiohttp(url: str, n: int, in_flight: int) -> float:
    """Reference: one aiohttp.ClientSession with an in_flight-connection pool."""
    import aiohttp

    async def one() -> None:
        async with session.post(url, json=_BODY_JSON) as response:
            await response.json()

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        return await _bounded(n, in_flight, one)


async def _openai(base_url: str, n: int, in_flight: int) -> float:
    """Reference: the official openai.AsyncOpenAI client with its default settings, retries off."""
    import openai

    async with openai.AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0, timeout=60) as client:

        async def one() -> None:
            await client.chat.completions.create(model="null", messages=_BODY_JSON["messages"])

        return await _bounded(n, in_flight, one)


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


def _row(name: str, n: int, seconds: list[float], hit_rate: str = "", note: str = "") -> str:
    best = min(seconds)
    runs = " / ".join(f"{n / s:,.0f}" for s in seconds)
    return f"| {name:<46} | {n:>7} | {n / best:>9,.0f} | {runs:<26} | {hit_rate:>8} | {note} |"


def _hit_rate(c: dict) -> str:
    asked = c["cache_hits"] + c["requests"] - c["retries"]
    return f"{c['cache_hits'] / asked:.0%}" if asked else "-"


def _client_rows(settings: LLMSettings, n: int, repeat: int) -> list[str]:
    rows = []
    runs = [asyncio.run(_timed(settings, _requests(n + 256, tag=f"off{r}-"), None)) for r in range(repeat)]
    note = f"failed={runs[-1][1]['failed_results']} retries={runs[-1][1]['retries']}"
    rows.append(_row("LLMClient, network, cache off", n, [t for t, _ in runs], "-", note))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.sqlite"
        first: list[ChatRequest] = []
        for every in (1, 256):  # 1: a build commits every answer before its slot is freed
            runs = []
            for r in range(repeat):
                batch = _requests(n + 256, tag=f"c{every}-{r}-")
                first = first or batch
                with RequestCache(path, commit_every=every) as cache:
                    runs.append(asyncio.run(_timed(settings, batch, cache)))
                with RequestCache(path) as cache:
                    written = len(cache.get_many(request_key(settings.model, q) for q in batch))
                assert written == len(batch), f"only {written} of {len(batch)} answers were cached"
            name = f"LLMClient, cache on, misses, commit_every={every}"
            rows.append(_row(name, n, [t for t, _ in runs], _hit_rate(runs[-1][1]), "every answer written"))
        image = _requests(n + 256, os.urandom(30_000), tag="i")
        with RequestCache(path) as cache:
            asyncio.run(_timed(settings, image, cache))  # fill: not timed
        for name, requests in (("text", first), ("30 KB image each", image)):
            runs = []
            for _ in range(repeat):
                with RequestCache(path) as cache:  # reopened: hits come from the file
                    runs.append(asyncio.run(_timed(settings, requests, cache)))
            c = runs[-1][1]
            rows.append(
                _row(
                    f"LLMClient, cache hits ({name})",
                    n,
                    [t for t, _ in runs],
                    _hit_rate(c),
                    f"requests={c['requests']}",
                )
            )
    return rows


def _reference_rows(url: str, port: int, n: int, in_flight: int, repeat: int) -> list[str]:
    slow = min(n, 2_000)  # httpx-based clients are slow at high concurrency; fewer requests suffice
    chat = url + "/chat/completions"
    cases = [
        (f"reference: aiohttp, one {in_flight}-conn session", n, lambda: _aiohttp(chat, n, in_flight)),
        ("reference: openai.AsyncOpenAI (httpx inside)", slow, lambda: _openai(url, slow, in_flight)),
        (f"reference: plain httpx, one {in_flight}-conn pool", slow, lambda: _plain_httpx(chat, slow, in_flight)),
        ("reference: raw asyncio HTTP/1.1, 64 conns", n, lambda: _raw_asyncio(port, n)),
    ]
    rows = []
    for name, count, run in cases:
        try:
            rows.append(_row(name, count, [asyncio.run(run()) for _ in range(repeat)]))
        except ImportError as exc:
            rows.append(f"| {name} | - | - | - | - | not installed ({exc.name}): pip install -e .[bench] |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; the best is reported")
    args = parser.parse_args()
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    url = f"http://127.0.0.1:{port}/v1"
    n, repeat = args.requests, args.repeat
    load_before = os.getloadavg()[0]
    try:
        settings = LLMSettings(base_url=url, model="null", max_in_flight=args.in_flight, max_retries=5)
        rows = [*_client_rows(settings, n, repeat), *_reference_rows(url, port, n, args.in_flight, repeat)]
    finally:
        server.terminate()
    lines = [
        f"command: python benchmarks/llm_client.py --requests {n} --in-flight {args.in_flight} --repeat {repeat}",
        f"machine: {os.cpu_count()} CPUs; 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; null server in its own process",
        f"| {'scenario':<46} | {'n':>7} | {'best /s':>9} | {'each run /s':<26} | {'hit rate':>8} | notes |",
        f"|{'-' * 48}|{'-' * 9}|{'-' * 11}|{'-' * 28}|{'-' * 10}|-------|",
        *rows,
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

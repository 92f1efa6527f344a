"""One async client for any OpenAI-compatible chat-completions server (vLLM, OpenAI, ...).

The client owns transport concerns only: bounded concurrency, retries with backoff on
transient failures, the structured-output parameter (and falling back when a server rejects
it), the request cache, and token counters. What a prompt says and what an answer means live
in `pipelines.llm.prompts`; turning failures into reject rows lives in `pipelines.llm.runner`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import random
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
from tqdm import tqdm

from pipelines.errors import ConfigError, MeritgenError
from pipelines.llm.cache import RequestCache, request_key

StructuredMode = Literal["json_schema", "guided_json", "structured_outputs", "none"]
_STRUCTURED_MODES = ("json_schema", "guided_json", "structured_outputs", "none")
# Words a server uses when it refuses the structured-output parameter itself (vLLM without a
# guided-decoding backend, servers that predate json_schema) rather than the request content.
_STRUCTURED_REJECTION_WORDS = ("response_format", "guided", "structured_output", "json_schema")


class LLMRequestError(MeritgenError):
    """A chat request failed for good: a 4xx, or retries exhausted on a transient failure."""

    def __init__(self, message: str, *, status: int | None, body: str, attempts: int) -> None:
        super().__init__(message)
        self.status = status  # None when no HTTP response arrived (connect error, timeout)
        self.body = body
        self.attempts = attempts


@dataclass(frozen=True)
class LLMSettings:
    """Where the server is and how hard to drive it. None of this is part of a cache key."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "Qwen/Qwen2.5-7B-Instruct"
    api_key: str = "EMPTY"
    max_in_flight: int = 256
    timeout_s: float = 300.0
    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    structured_output: StructuredMode = "json_schema"

    def __post_init__(self) -> None:
        if self.structured_output not in _STRUCTURED_MODES:
            raise ConfigError(f"structured_output must be one of {_STRUCTURED_MODES}, not {self.structured_output!r}")
        if self.max_in_flight < 1 or self.max_retries < 0 or self.timeout_s <= 0:
            raise ConfigError("max_in_flight must be >= 1, max_retries >= 0 and timeout_s > 0")

    @staticmethod
    def url_from_env(env: Mapping[str, str] | None = None) -> str | None:
        """MERITGEN_LLM_URL, if set: with no URL in config or env, a build stays offline."""
        return (os.environ if env is None else env).get("MERITGEN_LLM_URL") or None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> LLMSettings:
        """Settings from MERITGEN_LLM_URL / _MODEL / _API_KEY (the only environment lookup)."""
        env = os.environ if env is None else env
        found = {
            "base_url": env.get("MERITGEN_LLM_URL"),
            "model": env.get("MERITGEN_LLM_MODEL"),
            "api_key": env.get("MERITGEN_LLM_API_KEY"),
        }
        return cls(**{**{k: v for k, v in found.items() if v}, **overrides})  # explicit settings win


@dataclass(frozen=True)
class ChatRequest:
    """A fully rendered chat request; `image_hashes[k]` is the sha256 of the k-th image part."""

    messages: tuple[dict, ...]
    sampling: Mapping[str, Any] = field(default_factory=dict)  # temperature, max_tokens, seed...
    json_schema: Mapping[str, Any] | None = None
    schema_name: str = "answer"
    prompt_id: str = ""
    prompt_version: int = 0
    image_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    cached: bool = False


class ChatClient(Protocol):
    """What the runner needs; `LLMClient` and test fakes implement it."""

    async def complete_many(
        self, reqs: list[ChatRequest], *, progress: bool = False
    ) -> list[Completion | LLMRequestError]: ...


def image_part(data: bytes) -> tuple[dict, str]:
    """An OpenAI image content part (data URI) for encoded image bytes, and its sha256."""
    mime = _sniff_mime(data)
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": url}}, hashlib.sha256(data).hexdigest()


def _sniff_mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "image/jpeg"  # ingest normalises every image to JPEG


def _backoff_s(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    delay = random.uniform(0.0, min(cap, base * 2**attempt))
    return min(cap, max(delay, retry_after or 0.0))


def _retry_after_s(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _parse_completion(body: bytes) -> Completion:
    """The first choice of a chat-completions response body."""
    doc = json.loads(body)
    choice = doc["choices"][0]
    usage = doc.get("usage") or {}
    return Completion(
        text=(choice.get("message") or {}).get("content") or "",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=str(choice.get("finish_reason") or ""),
    )


class LLMClient:
    """Async chat-completions client with a cache in front and bounded concurrency.

    Why several small httpx clients: httpcore's pool scans every connection for every request,
    so one pool of 256 connections served ~300 req/s on a 2-core box where 256 one-connection
    pools serve ~1,500. Together they still hold `max_in_flight` connections, and the
    semaphore guarantees a free one whenever a request holds a slot.
    """

    def __init__(self, settings: LLMSettings, cache: RequestCache | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self._counters: Counter[str] = Counter()
        self._structured = settings.structured_output
        self._url = settings.base_url.rstrip("/") + "/chat/completions"
        self._headers = {"authorization": f"Bearer {settings.api_key}", "content-type": "application/json"}
        self._ssl = ssl.create_default_context()  # built once: each build reads the CA bundle
        self._free: list[httpx.AsyncClient] = []
        self._slots: asyncio.Semaphore | None = None

    @property
    def counters(self) -> dict[str, int]:
        """requests, retries, failures, cache_hits, prompt_tokens, completion_tokens, ..."""
        base = dict.fromkeys(("requests", "retries", "failures", "cache_hits", "prompt_tokens", "completion_tokens"), 0)
        return {**base, **self._counters}

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close connections and make every cached answer durable."""
        clients, self._free = self._free, []
        self._slots = None  # a later run may use another event loop (the sync wrapper does)
        await asyncio.gather(*(c.aclose() for c in clients))
        if self.cache is not None:
            self.cache.flush()

    async def complete(self, req: ChatRequest) -> Completion:
        """One completion; raises LLMRequestError when it fails for good."""
        (result,) = await self.complete_many([req])
        if isinstance(result, LLMRequestError):
            raise result
        return result

    async def complete_many(
        self, reqs: list[ChatRequest], *, progress: bool = False
    ) -> list[Completion | LLMRequestError]:
        """Completions in request order; failures come back in place as LLMRequestError.

        Cached answers are looked up in one batch before any network call, and identical
        requests in one call are sent once.
        """
        keys = [request_key(self.settings.model, r) for r in reqs]
        stored = self.cache.get_many(keys) if self.cache is not None else {}
        hits = {k: Completion(**fields, cached=True) for k, fields in stored.items()}
        todo: dict[str, ChatRequest] = {}
        misses = 0
        for key, req in zip(keys, reqs):
            if key not in hits:
                misses += 1
                todo.setdefault(key, req)
        self._counters["cache_hits"] += len(reqs) - misses
        self._counters["deduplicated"] += misses - len(todo)
        fetched = await self._fetch_all(todo, progress)
        return [hits[k] if k in hits else fetched[k] for k in keys]

    async def _fetch_all(self, todo: dict[str, ChatRequest], progress: bool) -> dict[str, Completion | LLMRequestError]:
        if not todo:
            return {}
        bar = tqdm(total=len(todo), disable=not progress, desc="llm", unit="req")
        flusher = asyncio.create_task(self._flush_periodically()) if self.cache is not None else None
        try:
            results = await asyncio.gather(*(self._fetch_one(key, req, bar) for key, req in todo.items()))
        finally:
            bar.close()
            if flusher is not None:
                flusher.cancel()
        return dict(zip(todo, results))

    async def _flush_periodically(self) -> None:
        """Commit cached answers at least once per interval even while every request waits."""
        while True:
            await asyncio.sleep(self.cache.commit_interval_s)
            self.cache.flush()

    async def _fetch_one(self, key: str, req: ChatRequest, bar: Any) -> Completion | LLMRequestError:
        try:
            completion = await self._send_with_retries(req)
        except LLMRequestError as exc:
            self._counters["failures"] += 1
            return exc
        finally:
            bar.update(1)
        self._counters["prompt_tokens"] += completion.prompt_tokens
        self._counters["completion_tokens"] += completion.completion_tokens
        if self.cache is not None:
            self.cache.put(key, completion)  # only successes: an error must be asked again
        return completion

    async def _send_with_retries(self, req: ChatRequest) -> Completion:
        s = self.settings
        attempt = 0
        while True:
            status, body, retry_after, constrained = await self._post(req)
            if status == 200:
                return _completion_or_error(body, attempt + 1)
            if status == 400 and constrained and _mentions_structured_output(body):
                # Remembered for every later request; the caller parses and validates instead.
                self._counters["structured_fallbacks"] += int(self._structured != "none")
                self._structured = "none"
                continue
            transient = status is None or status == 429 or status >= 500
            if not transient or attempt >= s.max_retries:
                raise _failure(status, body, attempt + 1)
            self._counters["retries"] += 1
            await asyncio.sleep(_backoff_s(attempt, s.backoff_base_s, s.backoff_cap_s, retry_after))
            attempt += 1

    async def _post(self, req: ChatRequest) -> tuple[int | None, bytes, float | None, bool]:
        """One attempt: (status, None on a transport error; body; Retry-After; constrained?)."""
        constrained = req.json_schema is not None and self._structured != "none"
        data = json.dumps(self._payload(req), ensure_ascii=False).encode("utf-8")
        async with self._connection() as http:
            self._counters["requests"] += 1
            try:
                response = await http.post(self._url, content=data, headers=self._headers)
            except httpx.TransportError as exc:  # connect/read/write errors and timeouts
                return None, f"{type(exc).__name__}: {exc}".encode(), None, constrained
            return response.status_code, response.content, _retry_after_s(response), constrained

    def _payload(self, req: ChatRequest) -> dict:
        payload = {"model": self.settings.model, "messages": list(req.messages), **req.sampling}
        schema, mode = req.json_schema, self._structured
        if schema is None or mode == "none":
            return payload
        if mode == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": req.schema_name, "schema": schema},
            }
        elif mode == "guided_json":
            payload["guided_json"] = schema
        else:
            payload["structured_outputs"] = {"json": schema}
        return payload

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[httpx.AsyncClient]:
        """One concurrency slot and a free single-connection client for one attempt."""
        if self._slots is None:  # created lazily: it must belong to the running event loop
            self._slots = asyncio.Semaphore(self.settings.max_in_flight)
        async with self._slots:
            http = self._free.pop() if self._free else self._new_http()
            try:
                yield http
            finally:
                self._free.append(http)  # LIFO: a warm connection is reused first

    def _new_http(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        return httpx.AsyncClient(limits=limits, timeout=self.settings.timeout_s, verify=self._ssl)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _mentions_structured_output(body: bytes) -> bool:
    text = _text(body).lower()
    return any(word in text for word in _STRUCTURED_REJECTION_WORDS)


def _completion_or_error(body: bytes, attempts: int) -> Completion:
    try:
        return _parse_completion(body)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMRequestError(f"malformed response: {exc}", status=200, body=_text(body), attempts=attempts) from exc


def _failure(status: int | None, body: bytes, attempts: int) -> LLMRequestError:
    what = f"HTTP {status}" if status is not None else "transport error"
    message = f"chat request failed after {attempts} attempt(s): {what}: {_text(body)[:300]}"
    return LLMRequestError(message, status=status, body=_text(body), attempts=attempts)

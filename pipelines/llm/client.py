"""One async client for any OpenAI-compatible chat-completions server (vLLM, OpenAI, ...).

The client owns transport concerns only: bounded concurrency, retries with backoff on
transient failures, the structured-output parameter (and falling back when a server rejects
it), the request cache, and token counters. What a prompt says and what an answer means live
in `pipelines.llm.prompts`; turning failures into reject rows lives in `pipelines.llm.runner`.
The bytes on the wire are built and read in `wire.py`; HTTP itself is `transport.HttpPool`.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pipelines import progress as progress_report
from pipelines.errors import ConfigError
from pipelines.llm.cache import CacheWriter, RequestCache, request_key
from pipelines.llm.failures import (
    LLMRequestError,
    StepDeadline,
    deadline_passed,
    failure,
    malformed,
    mentions_structured_output,
    transient,
)
from pipelines.llm.request import ChatRequest
from pipelines.llm.transport import AnswerTooLarge, HttpPool, TransportError
from pipelines.llm.wire import MALFORMED, completion_fields, request_body
from pipelines.llm.wire import image_part as image_part  # re-exported: callers build requests with it

StructuredMode = Literal["json_schema", "guided_json", "structured_outputs", "none"]
_STRUCTURED_MODES = ("json_schema", "guided_json", "structured_outputs", "none")
__all__ = ["ChatRequest", "LLMRequestError", "StepDeadline", "image_part"]  # homes: request.py, failures.py, wire.py; imported from here too


@dataclass(frozen=True)
class LLMSettings:
    """Where the server is and how hard to drive it. None of this is part of a cache key."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "Qwen/Qwen2.5-7B-Instruct"
    api_key: str = "EMPTY"
    max_in_flight: int = 256
    timeout_s: float = 300.0  # total deadline of one attempt: connect, send and the whole answer
    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    structured_output: StructuredMode = "json_schema"
    max_answer_bytes: int = 256 * 1024  # an answer body over this is read no further: a malformed answer
    step_deadline_s: float = 0.0  # a whole step's budget (the task runner starts the clock); 0 = none

    def __post_init__(self) -> None:
        if self.structured_output not in _STRUCTURED_MODES:
            raise ConfigError(f"structured_output must be one of {_STRUCTURED_MODES}, not {self.structured_output!r}")
        if self.max_in_flight < 1 or self.max_retries < 0 or self.timeout_s <= 0:
            raise ConfigError("max_in_flight must be >= 1, max_retries >= 0 and timeout_s > 0")
        if self.max_answer_bytes < 1 or self.step_deadline_s < 0:
            raise ConfigError("max_answer_bytes must be >= 1 and step_deadline_s >= 0 (0: no deadline)")

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> LLMSettings:
        """Settings from MERITGEN_LLM_URL / _MODEL / _API_KEY in `env` (a mapping the edge passes in)."""
        return LLMEndpoint.from_environ(env).settings(**overrides)


@dataclass(frozen=True)
class LLMEndpoint:
    """The LLM server the environment names (MERITGEN_LLM_URL / _MODEL / _API_KEY), read once at the
    edge (CLI, Prefect flows, Beam launcher) and passed in: nothing below the edge reads os.environ.
    Not config: the key is a secret and never goes into config.json; none of it is in a fingerprint."""

    url: str = ""
    model: str = ""
    api_key: str = field(default="", repr=False)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> LLMEndpoint:
        return cls(url=env.get("MERITGEN_LLM_URL") or "", model=env.get("MERITGEN_LLM_MODEL") or "",
                   api_key=env.get("MERITGEN_LLM_API_KEY") or "")

    def settings(self, **overrides: Any) -> LLMSettings:
        """LLMSettings from these values, explicit `overrides` winning over them."""
        found = {"base_url": self.url, "model": self.model, "api_key": self.api_key}
        return LLMSettings(**{**{k: v for k, v in found.items() if v}, **overrides})


NO_ENDPOINT = LLMEndpoint()  # nothing in the environment: a build without a configured URL stays offline


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    cached: bool = False


# accept(index, completion): whether the answer to request `index` is usable (the task runner's
# answer checks and parser); only accepted answers are cached, a refused cached one is asked again.
Accept = Callable[[int, "Completion"], bool]


class ChatClient(Protocol):
    """What the runner needs; `LLMClient` and test fakes implement it."""

    async def complete_many(
        self, reqs: list[ChatRequest], *, progress: bool = False, accept: Accept | None = None,
        deadline: StepDeadline | None = None,
    ) -> list[Completion | LLMRequestError]: ...


def _backoff_s(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    delay = random.uniform(0.0, min(cap, base * 2**attempt))
    return min(cap, max(delay, retry_after or 0.0))


class LLMClient:
    """Async chat-completions client with a cache in front and bounded concurrency.

    The transport is `HttpPool` (keep-alive HTTP/1.1 on asyncio + httptools; see transport.py
    for why not httpx). The semaphore bounds requests in flight, so the pool never holds more
    than `max_in_flight` connections. `transport` replaces the pool (anything with HttpPool's
    `post(body, timeout_s)` and `aclose()`): a model served in-process answers through it, so
    wire format, retries and cache keys stay this client's.
    """

    def __init__(self, settings: LLMSettings, cache: RequestCache | None = None, transport: Any = None) -> None:
        self.settings = settings
        self.cache = cache
        self._counters: Counter[str] = Counter()
        self._structured = settings.structured_output
        headers = {"authorization": f"Bearer {settings.api_key}", "content-type": "application/json"}
        self._pool = transport or HttpPool(settings.base_url.rstrip("/") + "/chat/completions", headers,
                                            max_body_bytes=settings.max_answer_bytes)
        self._slots: asyncio.Semaphore | None = None
        self._writer = CacheWriter(cache) if cache is not None else None

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
        self._slots = None  # a later run may use another event loop (the sync wrapper does)
        await self._pool.aclose()
        if self._writer is not None:
            await self._writer.drain()
            self.cache.flush()

    async def complete(self, req: ChatRequest) -> Completion:
        """One completion; raises LLMRequestError when it fails for good."""
        (result,) = await self.complete_many([req])
        if isinstance(result, LLMRequestError):
            raise result
        return result

    async def complete_many(
        self, reqs: list[ChatRequest], *, progress: bool = False, accept: Accept | None = None,
        deadline: StepDeadline | None = None,
    ) -> list[Completion | LLMRequestError]:
        """Completions in request order; failures come back in place as LLMRequestError.

        Cached answers are looked up in one batch before any network call, and identical
        requests in one call are sent once. `accept(index, completion)` judges each answer as it
        arrives (for identical requests, at the first one's index): only accepted answers are
        cached, and a cached answer it refuses is asked again. `progress` reports the requests
        sent through `pipelines.progress` (drawn only where a runner installed a reporter).
        Past `deadline` no attempt starts and in-flight ones are cut: LLMRequestError("llm_deadline").
        """
        keys = [request_key(self.settings.model, r) for r in reqs]
        first = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        stored = self.cache.get_many(keys) if self.cache is not None else {}
        hits = {}
        for key, fields in stored.items():
            completion = Completion(**fields, cached=True)
            if accept is None or accept(first[key], completion):
                hits[key] = completion
            else:
                self._counters["cache_refused"] += 1
        todo = {key: reqs[i] for key, i in first.items() if key not in hits}
        misses = sum(1 for key in keys if key not in hits)
        self._counters["cache_hits"] += len(reqs) - misses
        self._counters["deduplicated"] += misses - len(todo)
        check = None if accept is None else (lambda key, completion: accept(first[key], completion))
        fetched = await self._fetch_all(todo, progress, check, deadline)
        return [hits[k] if k in hits else fetched[k] for k in keys]

    async def _fetch_all(self, todo: dict[str, ChatRequest], progress: bool, check, deadline) -> dict:
        if not todo:
            return {}
        if progress:
            progress_report.add_total(len(todo))
        ticker = asyncio.create_task(self._writer.kick_periodically()) if self._writer is not None else None
        try:
            results = await asyncio.gather(*(self._fetch_one(key, req, progress, check, deadline)
                                             for key, req in todo.items()))
        finally:
            if ticker is not None:
                ticker.cancel()
                await self._writer.drain()  # raises a CacheError from the writer thread
        return dict(zip(todo, results))

    async def _fetch_one(self, key: str, req: ChatRequest, progress: bool, check, deadline) -> Completion | LLMRequestError:
        try:
            completion = await self._send_with_retries(key, req, check, deadline)
        except LLMRequestError as exc:
            self._counters["failures" if exc.reason != "llm_deadline" else "deadline_failures"] += 1
            return exc
        finally:
            if progress:
                progress_report.advance(1)
        self._counters["prompt_tokens"] += completion.prompt_tokens
        self._counters["completion_tokens"] += completion.completion_tokens
        return completion

    async def _send_with_retries(self, key: str, req: ChatRequest, check, deadline) -> Completion:
        s = self.settings
        attempt = 0
        while True:
            async with self._slot():
                timeout = s.timeout_s if deadline is None else min(s.timeout_s, deadline.remaining())
                if timeout <= 0:
                    raise deadline_passed(deadline.seconds, attempt)
                status, body, retry_after, constrained, completion = await self._post(req, timeout)
                if isinstance(completion, Completion):
                    if check is None or check(key, completion):  # only usable answers: the rest is asked again
                        if self._writer is not None:
                            await self._writer.put(key, completion)  # slot held: bounds unsaved answers
                    else:
                        self._counters["answers_refused"] += 1
                    return completion
            if status == 200:  # a malformed (or oversized) body from a sick server: ask again
                if attempt >= s.max_retries:
                    raise malformed(completion, body, attempt + 1) from completion
            elif status == 400 and constrained and mentions_structured_output(body):
                # Remembered for every later request; the caller parses and validates instead.
                self._counters["structured_fallbacks"] += int(self._structured != "none")
                self._structured = "none"
                continue
            elif not transient(status) or attempt >= s.max_retries:
                raise failure(status, body, attempt + 1)
            self._counters["retries"] += 1
            pause = _backoff_s(attempt, s.backoff_base_s, s.backoff_cap_s, retry_after)
            await asyncio.sleep(pause if deadline is None else max(0.0, min(pause, deadline.remaining())))
            attempt += 1

    def _slot(self) -> asyncio.Semaphore:
        if self._slots is None:  # created lazily: it must belong to the running event loop
            self._slots = asyncio.Semaphore(self.settings.max_in_flight)
        return self._slots

    async def _post(self, req: ChatRequest, timeout_s: float):
        """One attempt: (status, None on a transport error; body; Retry-After; constrained?; the
        completion of a 200, or what was wrong with its body)."""
        constrained = req.json_schema is not None and self._structured != "none"
        data = request_body(self.settings.model, req, self._structured)
        self._counters["requests"] += 1
        try:
            reply = await self._pool.post(data, timeout_s)
        except AnswerTooLarge as exc:  # read no further than the cap: malformed, never buffered whole
            return 200, str(exc).encode(), None, constrained, exc
        except TransportError as exc:  # connect/read/write errors, the deadline, bad HTTP
            return None, str(exc).encode(), None, constrained, None
        completion = _completion(reply.body) if reply.status == 200 else None
        return reply.status, reply.body, reply.retry_after, constrained, completion


def _completion(body: bytes) -> Completion | Exception:
    """The completion in a 200 body, or what was wrong with it."""
    try:
        return Completion(**completion_fields(body))
    except MALFORMED as exc:
        return exc

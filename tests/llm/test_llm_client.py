"""The client against a real local HTTP server: cache, retries, errors, structured output."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import replace
from unittest.mock import patch

import pytest

from pipelines.errors import ConfigError
from pipelines.llm.cache import CacheError, RequestCache
from pipelines.llm.client import ChatRequest, LLMClient, LLMRequestError, LLMSettings, image_part
from pipelines.llm.runner import run_llm_task_sync
from pipelines.stages.llm_tasks import task as llm_task
from tests.fake_openai import Delay, chat_response, user_text
from tests.llm.llm_helpers import settings_for, translation_rows
from tests.llm.raw_servers import TricklingServer

SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"]}


def _request(i: int, image: bytes = b"\xff\xd8img", version: int = 1, temperature: float = 0.0) -> ChatRequest:
    part, digest = image_part(image)
    messages = ({"role": "user", "content": [{"type": "text", "text": f"question {i}"}, part]},)
    return ChatRequest(
        messages, {"temperature": temperature, "max_tokens": 16}, None, "answer", "judge/v1", version, (digest,)
    )


def _run(settings: LLMSettings, requests: list[ChatRequest], cache: RequestCache | None = None):
    async def main():
        async with LLMClient(settings, cache) as client:
            return await client.complete_many(requests), client.counters

    return asyncio.run(main())


def test_completion_fields_and_token_counters(fake_openai):
    fake_openai.responder = lambda r: chat_response(f"answer to {user_text(r)}", prompt_tokens=7, completion_tokens=3)
    results, counters = _run(settings_for(fake_openai), [_request(0), _request(1)])
    assert [r.text for r in results] == ["answer to question 0", "answer to question 1"]
    assert results[0].finish_reason == "stop" and not results[0].cached
    assert counters["requests"] == 2 and counters["prompt_tokens"] == 14 and counters["completion_tokens"] == 6
    sent = fake_openai.requests[0]
    assert sent["model"] == "test-model" and sent["max_tokens"] == 16
    assert sent["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_rerun_is_served_from_cache_without_requests(fake_openai, tmp_path):
    requests = [_request(i) for i in range(20)]
    with RequestCache(tmp_path / "c.sqlite") as cache:
        _run(settings_for(fake_openai), requests, cache)
    fake_openai.reset()
    with RequestCache(tmp_path / "c.sqlite") as cache:
        results, counters = _run(settings_for(fake_openai), requests, cache)
    assert fake_openai.requests == [] and all(r.cached for r in results)
    assert counters["cache_hits"] == 20 and counters["requests"] == 0


def test_only_changed_requests_are_asked_again(fake_openai, tmp_path):
    requests = [_request(i) for i in range(6)]
    cache = RequestCache(tmp_path / "c.sqlite")
    _run(settings_for(fake_openai), requests, cache)
    cases = [
        (
            "concurrency, timeout, retries, url path",
            settings_for(fake_openai, max_in_flight=1, timeout_s=9, max_retries=0, base_url=fake_openai.base_url + "/"),
            requests,
            0,
        ),
        ("model", settings_for(fake_openai, model="another-model"), requests[:1], 1),
        ("prompt version", settings_for(fake_openai), [*requests[:5], _request(5, version=2)], 1),
        ("sampling", settings_for(fake_openai), [*requests[:4], _request(4, temperature=0.5), requests[5]], 1),
        ("image bytes", settings_for(fake_openai), [_request(0, image=b"\xff\xd8other"), *requests[1:]], 1),
    ]
    for what, settings, batch, expected in cases:
        fake_openai.reset()
        _run(settings, batch, cache)
        assert len(fake_openai.requests) == expected, what
    cache.close()


def test_identical_requests_in_one_call_are_sent_once(fake_openai):
    results, counters = _run(settings_for(fake_openai), [_request(0)] * 5)
    assert len(fake_openai.requests) == 1 and len(results) == 5 and counters["deduplicated"] == 4


def test_concurrency_is_bounded(fake_openai):
    fake_openai.responder = lambda r: Delay(0.05, "ok")
    _run(settings_for(fake_openai, max_in_flight=3), [_request(i) for i in range(12)])
    assert fake_openai.max_in_flight == 3


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_status_is_retried_until_success(fake_openai, status):
    seen = []

    def flaky(request):
        seen.append(1)
        return (status, {"error": {"message": "busy"}}) if len(seen) < 3 else "fine"

    fake_openai.responder = flaky
    results, counters = _run(settings_for(fake_openai, max_retries=3), [_request(0)])
    assert results[0].text == "fine" and counters["retries"] == 2 and len(fake_openai.requests) == 3


def test_500_after_retries_is_a_typed_error_with_status_and_body(fake_openai, tmp_path):
    fake_openai.responder = lambda r: (500, {"error": {"message": "engine dead"}})
    with RequestCache(tmp_path / "c.sqlite") as cache:
        (result,), counters = _run(settings_for(fake_openai, max_retries=2), [_request(0)], cache)
        assert len(cache) == 0  # errors are never cached
    assert isinstance(result, LLMRequestError) and result.status == 500 and "engine dead" in result.body
    assert result.attempts == 3 and counters["failures"] == 1 and len(fake_openai.requests) == 3


def test_timeouts_and_dropped_connections_are_retried(fake_openai):
    calls = []

    def slow_then_fast(request):
        calls.append(1)
        if len(calls) == 1:
            return Delay(1.0, "too late")
        if len(calls) == 2:
            return Delay(0.0, None)  # connection closed without an answer
        return "in time"

    fake_openai.responder = slow_then_fast
    results, counters = _run(settings_for(fake_openai, timeout_s=0.3, max_retries=3), [_request(0)])
    assert results[0].text == "in time" and counters["retries"] == 2


def test_timeout_after_retries_fails_with_no_status(fake_openai):
    fake_openai.responder = lambda r: Delay(1.0, "too late")
    (result,), _ = _run(settings_for(fake_openai, timeout_s=0.2, max_retries=1), [_request(0)])
    assert isinstance(result, LLMRequestError) and result.status is None and "Timeout" in result.body


def test_400_fails_at_once(fake_openai):
    fake_openai.responder = lambda r: (400, {"error": {"message": "prompt is too long for the context"}})
    (result,), counters = _run(settings_for(fake_openai, max_retries=5), [_request(0)])
    assert isinstance(result, LLMRequestError) and result.status == 400 and result.attempts == 1
    assert len(fake_openai.requests) == 1 and counters["retries"] == 0


def test_complete_raises_the_typed_error(fake_openai):
    fake_openai.responder = lambda r: (404, "no such model")

    async def main():
        async with LLMClient(settings_for(fake_openai)) as client:
            await client.complete(_request(0))

    with pytest.raises(LLMRequestError, match="HTTP 404"):
        asyncio.run(main())


def test_malformed_200_body_is_an_error(fake_openai):
    fake_openai.responder = lambda r: {"unexpected": True}
    (result,), _ = _run(settings_for(fake_openai), [_request(0)])
    assert isinstance(result, LLMRequestError) and "malformed" in str(result)


@pytest.mark.parametrize(
    "mode, field, value",
    [
        (
            "json_schema",
            "response_format",
            {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}},
        ),
        ("guided_json", "guided_json", SCHEMA),
        ("structured_outputs", "structured_outputs", {"json": SCHEMA}),
    ],
)
def test_structured_output_modes(fake_openai, mode, field, value):
    _run(settings_for(fake_openai, structured_output=mode), [replace(_request(0), json_schema=SCHEMA)])
    assert fake_openai.requests[0][field] == value


def _no_guided_decoding(request):
    if "response_format" in request:
        return Delay(0.05, (400, {"error": {"message": "response_format json_schema is not supported"}}))
    return '{"verdict": "yes"}'


def test_structured_output_falls_back_when_the_server_rejects_it(fake_openai):
    fake_openai.responder = _no_guided_decoding
    requests = [replace(_request(i), json_schema=SCHEMA) for i in range(3)]

    async def main():
        async with LLMClient(settings_for(fake_openai, max_in_flight=1), None) as client:
            first = await client.complete_many(requests[:1])
            rest = await client.complete_many(requests[1:])
            return first + rest, client.counters

    results, counters = asyncio.run(main())
    assert [r.text for r in results] == ['{"verdict": "yes"}'] * 3
    assert counters["structured_fallbacks"] == 1 and counters["retries"] == 0
    # One refused request, then every request (including later calls) goes without the constraint.
    assert ["response_format" in r for r in fake_openai.requests] == [True, False, False, False]


def test_structured_output_fallback_with_many_requests_in_flight(fake_openai):
    """Refusals that arrive after the switch still count as refusals of their own attempt."""
    fake_openai.responder = _no_guided_decoding
    requests = [replace(_request(i), json_schema=SCHEMA) for i in range(8)]
    results, counters = _run(settings_for(fake_openai, max_in_flight=8), requests)
    assert all(r.text == '{"verdict": "yes"}' for r in results)
    assert counters["structured_fallbacks"] == 1 and counters["failures"] == 0


def test_settings_from_env_and_validation():
    env = {"MERITGEN_LLM_URL": "http://gpu:8000/v1", "MERITGEN_LLM_MODEL": "Qwen/Qwen2.5-VL-7B-Instruct"}
    settings = LLMSettings.from_env(env, max_in_flight=64)
    assert settings.base_url == "http://gpu:8000/v1" and settings.model.endswith("VL-7B-Instruct")
    assert settings.api_key == "EMPTY" and settings.max_in_flight == 64
    with pytest.raises(ConfigError, match="structured_output"):
        LLMSettings(structured_output="grammar")


def test_fake_server_lists_models(fake_openai):
    import httpx

    models = httpx.get(fake_openai.base_url + "/models").json()
    assert models["data"][0]["id"] == "fake"


# --- #11.8: a total deadline per attempt, and malformed 200s retried like transport errors ---


@pytest.mark.parametrize("timeout_s", [0.5, 1.0])
def test_a_trickling_server_is_cut_off_at_the_deadline(timeout_s):
    """One byte every 0.1 s never trips a per-read timeout; the total deadline must end it."""
    with TricklingServer(byte_every_s=0.1, body_bytes=60) as server:
        started = time.monotonic()
        (result,), counters = _run(settings_for(server.base_url, timeout_s=timeout_s, max_retries=0), [_request(0)])
        elapsed = time.monotonic() - started
    assert isinstance(result, LLMRequestError) and result.status is None and "Timeout" in result.body
    assert timeout_s <= elapsed < timeout_s + 1.0, f"took {elapsed:.2f} s with timeout_s={timeout_s}"  # old: >= 6 s
    assert counters["failures"] == 1


def test_each_retry_gets_its_own_deadline():
    with TricklingServer(byte_every_s=0.1, body_bytes=60) as server:
        started = time.monotonic()
        (result,), counters = _run(settings_for(server.base_url, timeout_s=0.4, max_retries=2), [_request(0)])
        elapsed = time.monotonic() - started
    assert isinstance(result, LLMRequestError) and result.attempts == 3 and counters["retries"] == 2
    assert 3 * 0.4 <= elapsed < 3 * 0.4 + 1.0  # a per-read timeout took 3 x 6 s


MALFORMED_200 = {
    "not JSON": "<html>502 Bad Gateway</html>",
    "truncated JSON": '{"choices": [{"message": {"content": "hal',
    "empty choices": {"choices": []},
    "missing choices": {"id": "x", "object": "chat.completion"},
    "null choices": {"choices": None},
    "choice not an object": {"choices": ["ok"]},
    "JSON list": [1, 2],
    "content not text": {"choices": [{"message": {"content": {"nested": 1}}}]},
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_200))
def test_malformed_200_twice_then_a_good_answer_succeeds(fake_openai, kind):
    answers = [(200, MALFORMED_200[kind]), (200, MALFORMED_200[kind]), "fine"]
    fake_openai.responder = lambda r: answers[min(len(fake_openai.requests), 3) - 1]
    (result,), counters = _run(settings_for(fake_openai, max_retries=2), [_request(0)])
    assert not isinstance(result, LLMRequestError), result
    assert result.text == "fine" and counters["retries"] == 2 and len(fake_openai.requests) == 3


def test_malformed_200_backs_off_between_attempts(fake_openai):
    fake_openai.responder = lambda r: (200, {"choices": []})
    settings = settings_for(fake_openai, max_retries=2, backoff_base_s=0.2, backoff_cap_s=0.2)
    started = time.monotonic()
    with patch("pipelines.llm.client.random.uniform", side_effect=lambda lo, hi: hi):  # no jitter
        (result,), _ = _run(settings, [_request(0)])
    assert isinstance(result, LLMRequestError) and time.monotonic() - started >= 0.4  # two backoffs of 0.2 s


def test_always_malformed_ends_in_a_reject_row(fake_openai, tmp_path):
    fake_openai.responder = lambda r: (200, "{not json")
    with RequestCache(tmp_path / "c.sqlite") as cache:
        run = run_llm_task_sync(
            translation_rows(2), llm_task("translate"), LLMClient(settings_for(fake_openai, max_retries=3), cache)
        )
        assert len(cache) == 0  # a malformed answer is never cached
    assert run.parsed == [] and [r["reason"] for r in run.rejects] == ["llm_request_failed"] * 2
    assert all("malformed response after 4 attempt(s)" in r["message"] for r in run.rejects)
    assert all(r["raw"] == "{not json" for r in run.rejects)
    assert len(fake_openai.requests) == 8 and run.counters["llm_retries"] == 6


# --- the cache is written off the event loop (group commit), as durably as before ---


def test_with_commit_every_1_every_answer_is_committed_when_the_call_returns(fake_openai, tmp_path):
    """The build's setting: answers are committed as they arrive, not at close."""
    path = tmp_path / "c.sqlite"
    cache = RequestCache(path, commit_every=1, commit_interval_s=3600)

    async def main():
        client = LLMClient(settings_for(fake_openai, max_in_flight=16), cache)
        await client.complete_many([_request(i) for i in range(200)])
        with sqlite3.connect(path) as other:  # before aclose: only committed rows are visible here
            return other.execute("SELECT count(*) FROM completions").fetchone()[0]

    assert asyncio.run(main()) == 200
    cache.close()


def test_a_cache_write_failure_is_raised_not_swallowed(fake_openai, tmp_path):
    with RequestCache(tmp_path / "c.sqlite", commit_every=1) as cache:

        def broken(batch):
            raise CacheError("disk full")

        with patch.object(cache, "commit_batch", broken), pytest.raises(CacheError, match="disk full"):
            _run(settings_for(fake_openai), [_request(i) for i in range(5)], cache)


def test_environment_is_read_only_at_the_edge(monkeypatch):
    """MERITGEN_LLM_* are read by the CLI (`llm_endpoint`) and passed down; planning never reads them."""
    from pipelines.config import LLMConfig
    from pipelines.plan.llm import llm_settings
    from pipelines.runners.cli import llm_endpoint

    monkeypatch.setenv("MERITGEN_LLM_URL", "http://gpu:8000/v1")
    monkeypatch.setenv("MERITGEN_LLM_API_KEY", "secret")
    assert llm_settings(LLMConfig()) is None
    settings = llm_settings(LLMConfig(model="m"), endpoint=llm_endpoint())
    assert (settings.base_url, settings.api_key, settings.model) == ("http://gpu:8000/v1", "secret", "m")
    assert "secret" not in repr(llm_endpoint())

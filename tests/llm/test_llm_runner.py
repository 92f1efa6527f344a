"""run_llm_task end to end against the local server: parse, strict retry, rejects, resume."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pipelines.llm.cache import RequestCache
from pipelines.llm.client import LLMClient
from pipelines.llm.prompts import PromptError
from pipelines.llm.runner import run_llm_task, run_llm_task_sync
from pipelines.stages.llm_tasks import task as llm_task
from tests.fake_openai import Delay, chat_response, user_text
from tests.llm.llm_helpers import malay_translator, settings_for, translation_rows

ROOT = Path(__file__).resolve().parents[2]
JPEG = b"\xff\xd8\xff\xe0fake"


def _judge_rows(n: int) -> list[dict]:
    return [
        {
            "record_id": f"j{i}",
            "query_text": f"Shoes like <image_1> in black {i}",
            "query_images": [JPEG],
            "positive_image": JPEG,
            "positive_attributes": {"color": "black"},
        }
        for i in range(n)
    ]


def _is_strict(request: dict) -> bool:
    return "previous answer was rejected" in user_text(request)


def _run(server, rows, task, **settings):
    return run_llm_task_sync(rows, llm_task(task), LLMClient(settings_for(server, **settings)))


def test_translate_rows_are_parsed(fake_openai):
    fake_openai.responder = malay_translator
    parsed, rejects, counters = _run(fake_openai, translation_rows(5), "translate")
    assert rejects == [] and [p["record_id"] for p in parsed] == ["q0", "q1", "q2", "q3", "q4"]
    assert parsed[0]["value"]["text"] == "Saya mahu kasut dalam warna <image_1> dan <image_2> nombor 0"
    assert parsed[0]["prompt_id"] == "translate/v2" and not parsed[0]["strict_retry"]
    assert counters["parsed"] == 5 and counters["llm_requests"] == 5 and counters["llm_completion_tokens"] > 0


def test_strict_retry_recovers_a_lost_placeholder(fake_openai):
    def sloppy_first(request):
        answer = malay_translator(request)
        return answer if _is_strict(request) else answer.replace(" dan <image_2>", "")

    fake_openai.responder = sloppy_first
    parsed, rejects, counters = _run(fake_openai, translation_rows(3), "translate")
    assert rejects == [] and all(p["strict_retry"] and p["prompt_id"] == "translate/v2+strict" for p in parsed)
    assert counters["strict_retries"] == 3 and counters["strict_recovered"] == 3
    strict_requests = [r for r in fake_openai.requests if _is_strict(r)]
    assert len(strict_requests) == 3 and "<image_2>" in user_text(strict_requests[0])


def test_wrong_language_is_rejected_after_one_strict_retry_with_raw_kept(fake_openai):
    fake_openai.responder = lambda r: "I want shoes in the colour of <image_1> and <image_2>."
    parsed, rejects, counters = _run(fake_openai, translation_rows(2), "translate")
    assert parsed == [] and len(fake_openai.requests) == 4
    assert {r["reason"] for r in rejects} == {"wrong_language"} and rejects[0]["stage"] == "translate"
    assert rejects[0]["raw"] == "I want shoes in the colour of <image_1> and <image_2>."
    assert rejects[0]["message"].startswith("after a strict retry: expected ms, detected en")
    assert counters["rejected_wrong_language"] == 2


def test_malformed_json_is_rejected_with_raw_output(fake_openai):
    fake_openai.responder = lambda r: '{"verdict": "yes", "reason": '
    parsed, rejects, _ = _run(fake_openai, _judge_rows(2), "judge")
    assert parsed == [] and [r["reason"] for r in rejects] == ["invalid_json", "invalid_json"]
    assert rejects[0]["raw"] == '{"verdict": "yes", "reason": ' and rejects[0]["record_id"] in ("j0", "j1")


def test_judge_verdicts_are_parsed(fake_openai):
    fake_openai.responder = lambda r: '{"verdict": "no", "reason": "the colour differs"}'
    parsed, rejects, _ = _run(fake_openai, _judge_rows(2), "judge")
    assert rejects == [] and parsed[1]["value"] == {"verdict": "no", "reason": "the colour differs"}
    assert fake_openai.requests[0]["response_format"]["type"] == "json_schema"


def test_server_errors_become_rejects_without_a_strict_retry(fake_openai):
    fake_openai.responder = lambda r: (500, {"error": {"message": "CUDA out of memory"}})
    parsed, rejects, counters = _run(fake_openai, translation_rows(2), "translate", max_retries=2)
    assert parsed == [] and [r["reason"] for r in rejects] == ["llm_request_failed"] * 2
    assert "HTTP 500 after 3 attempt(s)" in rejects[0]["message"] and "CUDA out of memory" in rejects[0]["raw"]
    assert len(fake_openai.requests) == 6 and counters["strict_retries"] == 0


def test_timeouts_are_retried_then_rejected(fake_openai):
    fake_openai.responder = lambda r: Delay(1.0, "too late")
    parsed, rejects, counters = _run(fake_openai, translation_rows(1), "translate", timeout_s=0.2, max_retries=1)
    assert parsed == [] and rejects[0]["reason"] == "llm_request_failed" and "ReadTimeout" in rejects[0]["raw"]
    assert len(fake_openai.requests) == 2 and counters["llm_retries"] == 1


def test_truncated_answers_are_retried_then_rejected(fake_openai):
    fake_openai.responder = lambda r: chat_response("Saya mahu kasut", finish_reason="length", completion_tokens=256)
    parsed, rejects, _ = _run(fake_openai, translation_rows(1), "translate")
    assert parsed == [] and rejects[0]["reason"] == "truncated" and len(fake_openai.requests) == 2


def test_unrenderable_rows_are_rejected_before_sending(fake_openai):
    fake_openai.responder = malay_translator
    rows = [*translation_rows(1), {"record_id": "broken", "text": "no language given"}]
    parsed, rejects, _ = _run(fake_openai, rows, "translate")
    assert len(parsed) == 1 and rejects[0]["reason"] == "render_failed" and rejects[0]["record_id"] == "broken"
    assert len(fake_openai.requests) == 1


def test_unknown_task_is_a_typed_error(fake_openai):
    with pytest.raises(PromptError, match="unknown LLM task"):
        _run(fake_openai, [], "summarise")


def test_client_is_reusable_across_sync_runs(fake_openai):
    fake_openai.responder = malay_translator
    client = LLMClient(settings_for(fake_openai))
    assert len(run_llm_task_sync(translation_rows(2), llm_task("translate"), client).parsed) == 2
    assert len(run_llm_task_sync(translation_rows(3), llm_task("translate"), client).parsed) == 3


_CHILD = textwrap.dedent(
    """
    import sys
    from pipelines.llm.cache import RequestCache
    from pipelines.llm.client import LLMClient
    from pipelines.llm.runner import run_llm_task, run_llm_task_sync
    from pipelines.stages.llm_tasks import task as llm_task
    from tests.llm.llm_helpers import settings_for, translation_rows

    client = LLMClient(settings_for(sys.argv[1], max_in_flight=32), RequestCache(sys.argv[2]))
    run_llm_task_sync(translation_rows(int(sys.argv[3])), llm_task("translate"), client)
    """
)


def _committed(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM completions").fetchone()[0]
        except sqlite3.OperationalError:  # table not created yet
            return 0


def test_killed_run_resumes_with_only_the_unanswered_requests(fake_openai, tmp_path):
    total, answer_first = 20, 8
    gate, answered, lock = threading.Event(), [], threading.Lock()

    def answer_some_then_hang(request):
        with lock:
            take = len(answered) < answer_first
            if take:
                answered.append(user_text(request))
        if take:
            return malay_translator(request)
        gate.wait(30)  # the rest hang until the client is dead
        return "too late"

    fake_openai.responder = answer_some_then_hang
    cache_path = tmp_path / "cache.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, fake_openai.base_url, str(cache_path), str(total)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while _committed(cache_path) < answer_first and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert _committed(cache_path) == answer_first, "the child did not commit the answered requests in time"
        assert len(fake_openai.requests) == total
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        gate.set()

    fake_openai.reset()
    fake_openai.responder = malay_translator
    with RequestCache(cache_path) as cache:
        parsed, rejects, counters = run_llm_task_sync(
            translation_rows(total), llm_task("translate"), LLMClient(settings_for(fake_openai), cache)
        )
    resent = {user_text(r) for r in fake_openai.requests}
    assert len(fake_openai.requests) == total - answer_first
    assert resent.isdisjoint(answered) and len(resent | set(answered)) == total
    assert len(parsed) == total and rejects == [] and counters["llm_cache_hits"] == answer_first


def test_cancelled_run_resumes_with_only_the_unanswered_requests(fake_openai, tmp_path):
    """Cancelling (Ctrl-C) mid-run keeps every answer received so far: the rerun skips them."""
    total, fast = 30, 10
    rows = translation_rows(total)
    words = len(malay_translator({"messages": [{"role": "user", "content": rows[0]["text"]}]}).split())
    order, lock = [], threading.Lock()

    def first_fast_then_slow(request):
        with lock:
            order.append(user_text(request))
            rank = len(order)
        return malay_translator(request) if rank <= fast else Delay(5.0, malay_translator(request))

    fake_openai.responder = first_fast_then_slow
    cache_path = tmp_path / "cache.sqlite"

    async def cancel_after_fast_answers():
        async with LLMClient(settings_for(fake_openai, max_in_flight=32), RequestCache(cache_path)) as client:
            task = asyncio.create_task(run_llm_task(rows, llm_task("translate"), client))
            while client.counters["completion_tokens"] < fast * words:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        client.cache.close()

    asyncio.run(cancel_after_fast_answers())
    answered = set(order[:fast])
    fake_openai.reset()
    fake_openai.responder = malay_translator
    with RequestCache(cache_path) as cache:
        kept = len(cache)
        parsed, _, counters = run_llm_task_sync(rows, llm_task("translate"), LLMClient(settings_for(fake_openai), cache))
    # A cancelled request may still reach the server late, so compare sets, not counts.
    resent = {user_text(r) for r in fake_openai.requests}
    assert kept == fast and counters["llm_cache_hits"] == fast and len(parsed) == total
    assert resent.isdisjoint(answered) and len(resent) == total - fast


# Unmistakably Indonesian (mau, sepatu, karena, bagus sekali): the variety asked for is Malay.
_INDONESIAN = "Saya mau mencari sepatu dengan warna {images} karena bagus sekali, nomor {number}"


def _indonesian(request: dict) -> str:
    text = user_text(request).splitlines()[-1]
    number = re.findall(r"number (\d+)", text)
    return _INDONESIAN.format(images=" dan ".join(re.findall(r"<image_\d+>", text)), number=number[0] if number else 0)


def _variety_retry(request: dict) -> bool:
    return "kasut (not sepatu)" in request["messages"][0]["content"]


def test_indonesian_for_malay_is_retried_once_with_the_variety_instruction(fake_openai):
    fake_openai.responder = lambda r: malay_translator(r) if _variety_retry(r) else _indonesian(r)
    parsed, rejects, counters = _run(fake_openai, translation_rows(3), "translate")
    assert rejects == [] and [p["value"]["text"].split()[1] for p in parsed] == ["mahu"] * 3
    assert all(p["strict_retry"] for p in parsed)
    assert len(fake_openai.requests) == 6 and sum(map(_variety_retry, fake_openai.requests)) == 3
    assert counters["language_retries"] == 3 and counters["strict_recovered"] == 3


def test_indonesian_twice_for_malay_is_a_wrong_language_reject(fake_openai):
    fake_openai.responder = _indonesian
    parsed, rejects, counters = _run(fake_openai, translation_rows(2), "translate")
    assert parsed == [] and len(fake_openai.requests) == 4 and sum(map(_variety_retry, fake_openai.requests)) == 2
    assert {r["reason"] for r in rejects} == {"wrong_language"}
    assert all(r["message"].startswith("after a strict retry: expected ms, detected id") for r in rejects)
    assert rejects[0]["raw"].startswith("Saya mau mencari sepatu")

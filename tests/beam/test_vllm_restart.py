"""The `beam_vllm` handler keeps its vLLM server alive and never leaves it behind (#26).

The server is a stand-in (`tests.beam.fake_vllm`: a real OpenAI-compatible HTTP server process)
that the real `VLLMTaskHandler` starts through its injectable command, as it starts vLLM. Each job
runs the translate step on the DirectRunner in a child process, as `meritgen beam run` would, so
the test can look for server processes and Beam's shared-model files after that process is gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("openai", reason="Beam's vLLM handler imports openai (the `dataflow` extra installs it; CI does)")

from pipelines.beam.vllm_handler import VLLMTaskHandler, _merged  # noqa: E402
from pipelines.beam.vllm_server import VLLMServer, model_tag, stop_servers  # noqa: E402
from pipelines.llm import LLMSettings  # noqa: E402
from pipelines.llm.step import LLMStepCall  # noqa: E402
from pipelines.stages.llm_tasks import task as llm_task  # noqa: E402
from tests.beam.test_llm_backend import MODEL, REFUSED, apply_translations, run_translate, translate_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def job(out: str, state: str, batch_size: int, *fake_args: str) -> None:
    """The Beam job (run in a child process): translate through VLLMTaskHandler on the stand-in server."""
    command = [sys.executable, "-m", "tests.beam.fake_vllm", "--port", "{{PORT}}", "--state", state, *fake_args]
    settings = LLMSettings(base_url="http://unused.invalid/v1", model=MODEL, max_retries=0)
    call = LLMStepCall(llm_task("translate"), settings, translate_rows, apply_translations, Path(out) / "cache.sqlite")
    handler = VLLMTaskHandler("translate", settings, batch_size=batch_size, cache_path=str(call.cache_path),
                              stage="translate", server_command=command)
    queries, rejects, tally = run_translate(Path(out), call, handler)
    Path(out, "result.json").write_text(json.dumps({"queries": queries, "rejects": rejects, "tally": tally}))


def _run_job(tmp_path: Path, batch_size: int, *fake_args: str) -> tuple[dict, Path, Path]:
    out, state, temp = tmp_path / "out", tmp_path / "state", tmp_path / "tmp"
    temp.mkdir()
    code = f"from tests.beam.test_vllm_restart import job; job({str(out)!r}, {str(state)!r}, {batch_size}, *{fake_args!r})"
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}  # Beam's shared-model files land in TMPDIR
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((out / "result.json").read_text()), state, temp


def _live_processes_naming(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (the stand-in servers and their guards)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended while we looked
            continue
        if text in line:
            found.append(line)
    return found


@pytest.mark.slow  # a Beam job in a child process with a server start and a restart: ~15 s here
def test_a_server_that_dies_mid_run_is_restarted_and_every_row_is_answered(tmp_path):
    result, state, temp = _run_job(tmp_path, 2, "--die-after", "3")
    assert (state / "died").is_file(), "the stand-in server never died: the test proves nothing"
    assert len(list(state.glob("started-*"))) == 2  # the first start, and one restart
    text = {q["query_id"]: q["text"] for q in result["queries"]}
    assert len(text) == 9
    # Every row was answered: the only rejects are the scripted model's planted refusals, as without a crash.
    assert sorted(r["record_id"] for r in result["rejects"]) == sorted(REFUSED)
    assert not any(r["reason"].startswith("llm_request") for r in result["rejects"])
    assert result["tally"] == [{"step": "translate", "rows_in": 9, "failed": 0}]
    # After the job's process: no server left running, and Beam's shared-model files are gone.
    assert _live_processes_naming(str(state)) == []
    assert [p.name for p in temp.iterdir() if p.name.startswith("meritgen-vllm-")] == []


@pytest.mark.slow  # a dozen server starts in a child process: ~20 s here
def test_a_server_that_a_restart_cannot_fix_fails_the_batch_clearly_after_bounded_restarts(tmp_path):
    result, state, _ = _run_job(tmp_path, 8, "--die-after", "0", "--die-every-start")
    # Bounded: per batch (Beam sizes them, 1 to 8 rows) at most a start and 2 restarts, then the batch fails.
    starts = len(list(state.glob("started-*")))
    assert 3 <= starts <= 3 * 9, starts
    assert {r["reason"] for r in result["rejects"]} == {"unexpected_error"}
    assert len(result["rejects"]) == 9 and all("VLLMServerDown" in r["message"] for r in result["rejects"])
    assert "is down after 2 restart(s)" in result["rejects"][0]["message"]
    assert result["tally"] == [{"step": "translate", "rows_in": 9, "failed": 9}]  # lost rows: the failure check sees them
    assert _live_processes_naming(str(state)) == []


def test_model_tags_are_file_names_and_shared_by_equal_servers():
    tag = model_tag("/opt/models/Qwen/Qwen2.5-VL-7B-Instruct", {"max-model-len": "8192"})
    assert "/" not in tag and tag.startswith("meritgen-vllm-") and "Qwen2.5-VL-7B-Instruct" in tag
    assert tag == model_tag("/opt/models/Qwen/Qwen2.5-VL-7B-Instruct", {"max-model-len": "8192"})
    assert tag != model_tag("/opt/models/Qwen/Qwen2.5-VL-7B-Instruct", {"max-model-len": "4096"})
    handler = VLLMTaskHandler("translate", LLMSettings(model="Qwen/Qwen2.5-VL-7B-Instruct"), weights_dir="/opt/models")
    assert "/" not in handler.model_identifier


def test_rows_asked_again_after_a_restart_count_once():
    class Lost:  # a PredictionResult whose row the dead server never answered
        inference = {"reject": {"reason": "llm_request_failed"}}

    first = {"rows": 4, "parsed": 2, "rejected": 2, "rejected_llm_request_failed": 2, "llm_requests": 4}
    again = {"rows": 2, "parsed": 2, "rejected": 0, "llm_requests": 2}
    assert _merged(first, [Lost(), Lost()], again) == {"rows": 4, "parsed": 4, "rejected": 0, "llm_requests": 6}


def _wait_until_gone(text: str, seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _live_processes_naming(text)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_a_server_whose_starter_is_killed_does_not_outlive_it(tmp_path):
    """An SDK worker killed by its runner runs no atexit: the server guard ends the server anyway."""
    state = tmp_path / "state"
    code = ("import os, signal, sys; from pipelines.beam.vllm_server import VLLMServer; "
            f"VLLMServer([sys.executable, '-m', 'tests.beam.fake_vllm', '--port', '{{{{PORT}}}}', '--state', {str(state)!r}], "
            "poll_s=0.1); os.kill(os.getpid(), signal.SIGKILL)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-3000:]
    assert len(list(state.glob("started-*"))) == 1  # the server was up when its starter died
    assert _wait_until_gone(str(state)) == []


def test_stop_servers_ends_the_server_and_the_next_ask_starts_it_again(tmp_path):
    state = tmp_path / "state"
    server = VLLMServer([sys.executable, "-m", "tests.beam.fake_vllm", "--port", "{{PORT}}", "--state", str(state)],
                        poll_s=0.1)
    try:
        assert server.healthy() and server.starts() == 1
        stop_servers()  # what run_beam_build does when the pipeline is over
        assert _wait_until_gone(str(state)) == [] and not server.healthy()
        assert server.port() > 0 and server.healthy() and server.starts() == 2  # a rerun in this process
        assert len(_live_processes_naming(str(state))) == 2  # one server (and its guard), not two
    finally:
        server.stop()

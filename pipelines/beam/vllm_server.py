"""The vLLM server of a worker for `llm.backend = "beam_vllm"`: started, checked, restarted, stopped.

RunInference shares the loaded "model" between a worker's SDK processes (the handler's
`share_model_across_processes`, as Beam's vLLM handler does): the process that loads it holds the
`VLLMServer`, the others call it through a proxy, so its methods are public and return plain values.

Beam's `_VLLMModelServer` (apache_beam.ml.inference.vllm_inference) also starts the server and
restarts it from its `check_connectivity`, but only when its own `run_inference` sends the chat
calls, which ours cannot use (no images, no structured output, no request cache); and it leaves the
server running when its process goes (an orphan with parent 1 that holds the GPU, so the next run's
server does not fit). Here the server starts through `server_guard` (it ends with the process that
started it), `recover` restarts it after failed requests (once, however many processes saw the
failure), `stop_servers` stops it when the pipeline ends, and at exit Beam's shared-model files of its
tag leave the temp folder.
"""

from __future__ import annotations

import atexit
import collections
import hashlib
import json
import logging
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from apache_beam.utils.subprocess_server import pick_port

from pipelines.errors import MeritgenError

log = logging.getLogger(__name__)

PORT = "{{PORT}}"  # replaced in the command by the port picked for each start (as Beam's handler does)
START_TIMEOUT_S = 1800.0  # loading ~16 GB of weights and compiling CUDA graphs takes minutes
STOP_WAIT_S = 40.0  # the guard gives the server 15 s to free the GPU, then kills its group


class VLLMServerDown(MeritgenError):
    """The vLLM server did not come up, or kept failing after its restarts."""


def vllm_command(model: str, server_kwargs: dict) -> list[str]:
    """vLLM's OpenAI-compatible server for `model`, as Beam's handler runs it (`--key value` flags)."""
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model, "--port", PORT]
    for key, value in server_kwargs.items():
        command.append(f"--{key}")
        if value is not None:  # a flag without a value, e.g. {"enforce-eager": None}
            command.append(str(value))
    return command


def model_tag(source: str, server_kwargs: dict) -> str:
    """RunInference's model tag: equal for the same model and flags (so every LLM step on a worker
    shares one server), and a file name: Beam names its lock and address files after it."""
    digest = hashlib.sha256(json.dumps([source, sorted(server_kwargs.items())], default=str).encode()).hexdigest()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", source).strip("._-")[-48:]
    return f"meritgen-vllm-{slug}-{digest[:16]}"


_SERVERS: set[VLLMServer] = set()  # the servers this process started


class VLLMServer:
    """One model server process: `port()` starts it when needed, `recover` restarts it, `stop` ends it."""

    def __init__(self, command: list[str], *, tag: str | None = None, start_timeout_s: float = START_TIMEOUT_S,
                 poll_s: float = 1.0) -> None:
        self.command, self.tag = list(command), tag
        self.start_timeout_s, self.poll_s = start_timeout_s, poll_s
        self._lock = threading.RLock()  # the SDK processes' proxy calls arrive on threads of their own
        self._process: subprocess.Popen | None = None
        self._port = -1
        self._starts = 0
        self._tail: collections.deque[str] = collections.deque(maxlen=20)  # its last lines, for errors
        _SERVERS.add(self)
        self.port()  # a worker loads the model before its first batch: start now

    def port(self) -> int:
        """The server's port on localhost, started first if it is not running (after `stop`, or dead)."""
        with self._lock:
            if self._process is not None and self._process.poll() is not None:
                log.warning("the vLLM server on port %s exited (status %s); starting it again",
                            self._port, self._process.poll())
                self._stop_process()
            if self._process is None:
                self._start()
            return self._port

    def starts(self) -> int:
        """How many times the server was started; a caller compares it before and after its requests."""
        return self._starts

    def healthy(self) -> bool:
        process, port = self._process, self._port
        return process is not None and process.poll() is None and _lists_models(port)

    def recover(self, seen_starts: int) -> bool:
        """After requests to the server failed: True when asking again can help, because it was
        restarted since the caller's requests began (`seen_starts`) or was down and is restarted
        now; False when it is up and answering, so the failures were the requests' own."""
        with self._lock:
            if self._starts != seen_starts:
                return True
            if self.healthy():
                return False
            status = None if self._process is None else self._process.poll()
            log.warning("the vLLM server on port %s is down (exit status %s); restarting it", self._port, status)
            self._stop_process()
            self._start()
            return True

    def stop(self) -> None:
        with self._lock:
            self._stop_process()

    def _start(self) -> None:
        (port,) = pick_port(None)
        command = [arg.replace(PORT, str(port)) for arg in self.command]
        self._tail.clear()
        process = subprocess.Popen([sys.executable, "-m", "pipelines.beam.server_guard", *command],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._log_lines, args=(process,), daemon=True).start()
        self._process, self._port = process, port
        self._starts += 1
        deadline = time.monotonic() + self.start_timeout_s
        while process.poll() is None and time.monotonic() < deadline:
            if _lists_models(port):
                log.info("vLLM server up on port %s (start %d)", port, self._starts)
                return
            time.sleep(self.poll_s)
        status = process.poll()
        self._stop_process()
        what = f"exited with status {status}" if status is not None else f"did not answer in {self.start_timeout_s:g} s"
        raise VLLMServerDown(f"the vLLM server {what}: {' '.join(command[:8])} ...; its last lines:\n"
                             + "\n".join(self._tail))

    def _log_lines(self, process: subprocess.Popen) -> None:
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="backslashreplace").rstrip()
            self._tail.append(line)
            log.info("vllm: %s", line)

    def _stop_process(self) -> None:
        process, self._process, self._port = self._process, None, -1
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the guard ends the server's whole process group
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lists_models(port: int) -> bool:
    try:
        reply = httpx.get(f"http://localhost:{port}/v1/models", timeout=10)
        return reply.status_code == 200 and bool(reply.json().get("data"))
    except (httpx.HTTPError, ValueError):
        return False


def stop_servers() -> None:
    """Stop every server this process started (the pipeline is over); a later run starts them again."""
    for server in list(_SERVERS):
        server.stop()


def remove_shared_files(tag: str, folder: str | None = None) -> None:
    """Beam's lock and address files of `tag` (and its copies and model status) in the temp folder."""
    for path in Path(folder or tempfile.gettempdir()).glob(f"{tag}*"):
        path.unlink(missing_ok=True)


@atexit.register
def _at_exit() -> None:
    for server in list(_SERVERS):
        server.stop()
        if server.tag:
            remove_shared_files(server.tag)

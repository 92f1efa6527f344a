"""`python -m pipelines.beam.server_guard CMD...`: run a model server so that it never outlives us.

`vllm_server.VLLMServer` starts the vLLM server through this guard. The guard runs CMD in a
process group of its own and ends that whole group (vLLM's API server and its engine process)
when it is told to stop (SIGTERM/SIGINT) or when the process that started it dies without
stopping it (an SDK worker killed by its runner, a launcher that exits): the guard then has a new
parent. A server left running would keep ~90% of the GPU's memory, and the next run's server
would not fit. The guard exits with CMD's exit status, so a crashed server reads as crashed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

POLL_S = 0.5
STOP_GRACE_S = 15.0  # vLLM needs a few seconds to free the GPU and end its engine process


def end_group(child: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to CMD's process group; after `grace_s`, SIGKILL to whatever is left in it."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:  # the group is gone already
        return
    try:
        child.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(child.pid, signal.SIGKILL)  # the leader, or processes it started and left behind
    except ProcessLookupError:
        pass
    child.wait()


def guard(command: list[str]) -> int:
    parent = os.getppid()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    child = subprocess.Popen(command, start_new_session=True)  # its own group: ended as a whole
    while child.poll() is None and not stop.is_set() and os.getppid() == parent:
        stop.wait(POLL_S)
    if child.poll() is None:
        end_group(child)
    return child.returncode if child.returncode is not None else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m pipelines.beam.server_guard COMMAND [ARG ...]")
    sys.exit(guard(sys.argv[1:]))

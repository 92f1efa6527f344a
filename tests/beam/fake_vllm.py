"""`python -m tests.beam.fake_vllm --port P --state DIR`: a stand-in for vLLM's OpenAI server.

`VLLMTaskHandler(server_command=...)` starts it as it starts vLLM (through the server guard, on
the port it picked). It answers chat completions with the scripted model (`tests.llm_scripted`),
lists one model on /v1/models, and records each start as `DIR/started-<pid>`. `--die-after N`:
the first server to receive its (N+1)th chat request exits at once, without answering (as a
crashed vLLM drops its connections), and leaves `DIR/died`; later starts serve normally.
`--die-every-start`: every start dies that way (a server a restart cannot fix).
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from tests.fake_openai import FakeOpenAI
from tests.llm_scripted import responder

EXIT_STATUS = 3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--die-after", type=int, default=None)
    parser.add_argument("--die-every-start", action="store_true")
    args = parser.parse_args(argv)
    args.state.mkdir(parents=True, exist_ok=True)
    (args.state / f"started-{os.getpid()}").write_text("")
    dies = args.die_after is not None and (args.die_every_start or not (args.state / "died").exists())
    lock, served = threading.Lock(), [0]

    def respond(request):
        with lock:
            served[0] += 1
            if dies and served[0] > args.die_after:
                (args.state / "died").write_text(str(os.getpid()))
                os._exit(EXIT_STATUS)
        return responder(request)

    with FakeOpenAI(respond, port=args.port):
        threading.Event().wait()  # until the guard stops it (SIGTERM)


if __name__ == "__main__":
    main()

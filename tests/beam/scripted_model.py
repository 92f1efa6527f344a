"""A fake model for Beam's RunInference: a ModelHandler whose model answers chat completions from
a script, in process (no vllm, no GPU, no network).

`ScriptedChatHandler` differs from `pipelines.beam.vllm_handler.VLLMTaskHandler` only in what
`load_model` returns: instead of a vLLM server it loads a `ScriptedModel` that answers the
client's request bodies with `responder(request_json)` (as `tests.fake_openai` does over HTTP),
so wire format, cache keys, parsing, strict retry and rejects are the production client's.
"""

from __future__ import annotations

import json

from apache_beam.ml.inference.base import ModelHandler

from pipelines.beam.llm_batches import TaskHandler, worker_cache
from pipelines.llm import LLMClient, LLMSettings
from pipelines.llm.transport import HttpReply
from tests.fake_openai import chat_response


class ScriptedModel:
    """The loaded "model": takes chat-completions request bodies, answers with the script."""

    def __init__(self, responder) -> None:
        self.responder = responder

    async def post(self, body: bytes, timeout_s: float) -> HttpReply:
        answer = self.responder(json.loads(body))
        return HttpReply(200, json.dumps(chat_response(answer)).encode("utf-8"), None)

    async def aclose(self) -> None:
        pass


class ScriptedChatHandler(TaskHandler, ModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from a scripted in-process model."""

    def __init__(self, task: str, settings: LLMSettings, responder, *, cache_path: str | None = None,
                 stage: str | None = None, batch_size: int = 4) -> None:
        ModelHandler.__init__(self)
        self.task, self.stage, self.settings, self.cache_path = task, stage, settings, cache_path
        self.responder, self.batch_size = responder, batch_size

    def load_model(self) -> ScriptedModel:
        return ScriptedModel(self.responder)

    def run_inference(self, batch, model, inference_args=None):
        return self.answer(batch, model)

    def client_for(self, model) -> LLMClient:
        return LLMClient(self.settings, worker_cache(self.cache_path), transport=model)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": self.batch_size}

"""The `beam_vllm` LLM backend: Beam's vLLM handler serves the model, the shared client asks it.

`VLLMChatModelHandler.load_model` starts an OpenAI-compatible vLLM server on the worker
(shared by the VM's SDK processes, so one server per GPU worker); this subclass then runs the
shared `run_llm_task` against it on localhost instead of Beam's bare chat call (which sends
text-only messages, no structured output and no cache), so prompts, images, structured output,
request-cache keys, the strict retry and rejects are the same as with an external server.
Imported only when `[llm] backend = "beam_vllm"`: it needs `vllm` and `openai` on the workers
(the `gpu` extra, installed by `pipelines/beam/Dockerfile`).
"""

from __future__ import annotations

import dataclasses

from apache_beam.ml.inference.vllm_inference import VLLMChatModelHandler

from pipelines.beam.inference import TaskHandler, worker_cache
from pipelines.llm import LLMClient, LLMSettings


class VLLMTaskHandler(TaskHandler, VLLMChatModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from a vLLM server on this worker."""

    def __init__(self, task: str, settings: LLMSettings, vllm_server_kwargs: dict | None = None, *,
                 batch_size: int = 32, cache_path: str | None = None, stage: str | None = None,
                 weights_dir: str | None = None) -> None:
        source, kwargs = settings.model, dict(vllm_server_kwargs or {})
        if weights_dir:  # weights baked into the image, served under the configured model name
            source = f"{weights_dir.rstrip('/')}/{settings.model}"
            kwargs.setdefault("served-model-name", settings.model)
        VLLMChatModelHandler.__init__(self, source, vllm_server_kwargs=kwargs, max_batch_size=batch_size)
        self.task, self.stage, self.settings, self.cache_path = task, stage, settings, cache_path
        # Every LLM step asking this model on a worker shares its one vLLM server (RunInference's tag).
        self.model_identifier = f"meritgen-vllm:{source}:{sorted(kwargs.items())}"

    def run_inference(self, batch, model, inference_args=None):
        return self.answer(batch, model)

    def client_for(self, model) -> LLMClient:
        # The model name stays the configured one: it is part of every request-cache key.
        local = dataclasses.replace(self.settings, base_url=f"http://localhost:{model.get_server_port()}/v1",
                                    api_key="EMPTY")
        return LLMClient(local, worker_cache(self.cache_path))

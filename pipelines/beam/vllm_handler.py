"""The `vllm` LLM backend: Beam's vLLM handler serves the model, the shared client asks it.

`VLLMChatModelHandler.load_model` starts an OpenAI-compatible vLLM server on the worker
(shared by the VM's SDK processes, so one server per GPU worker); this subclass then runs the
shared `run_llm_task` against it on localhost instead of Beam's bare chat call, so prompts,
structured output, the strict retry and rejects are the same as with an external endpoint.
Imported only when `--llm_backend vllm` is chosen: it needs `vllm` and `openai` on workers.
"""

from __future__ import annotations

from apache_beam.ml.inference.vllm_inference import VLLMChatModelHandler

from pipelines.beam.inference import run_batch
from pipelines.llm import LLMClient, LLMSettings, RequestCache


class VLLMTaskHandler(VLLMChatModelHandler):
    """RunInference handler: rows -> `run_llm_task` answers from a vLLM server on this worker."""

    def __init__(self, task: str, model_name: str, vllm_server_kwargs: dict | None = None, *,
                 batch_size: int = 32, cache_path: str | None = None) -> None:
        super().__init__(model_name, vllm_server_kwargs=vllm_server_kwargs, max_batch_size=batch_size)
        self.task, self.cache_path = task, cache_path

    def run_inference(self, batch, model, inference_args=None):
        settings = LLMSettings(base_url=f"http://localhost:{model.get_server_port()}/v1", model=self._model_name)
        client = LLMClient(settings, RequestCache(self.cache_path) if self.cache_path else None)
        return run_batch(self.task, batch, client)

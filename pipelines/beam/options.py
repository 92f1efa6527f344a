"""Pipeline options of meritgen's Beam stages, registered with Beam's option parser on import.

Kept apart from `inference.py` so that parsing options never needs the LLM layer installed.
They tune how the LLM steps run, never what they answer: which backend answers is config
(`[llm] backend`), the model names are config too (`llm.model`, `llm.vlm_model`).
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions


class LLMOptions(PipelineOptions):
    """Pipeline options of the LLM steps (`--llm_batch_size`, `--llm_vllm_server_kwargs`, ...)."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--llm_batch_size", type=int, default=32, help="rows per RunInference batch")
        parser.add_argument("--llm_cache_path", default=None,
                            help="SQLite request cache on each worker's disk (default: the plan's cache file)")
        parser.add_argument("--llm_vllm_server_kwargs", default="{}",
                            help='JSON: extra vLLM server flags for llm.backend = "beam_vllm", '
                                 'e.g. {"max-model-len": "8192", "gpu-memory-utilization": "0.9"}')
        parser.add_argument("--llm_weights_dir", default=None,
                            help='beam_vllm: folder on the workers with the weights as <dir>/<model name> (e.g. '
                                 '/opt/models/Qwen/Qwen2.5-VL-7B-Instruct), served under the model name; '
                                 'default: vLLM fetches the model by name')

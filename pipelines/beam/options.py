"""Pipeline options of meritgen's Beam stages, registered with Beam's option parser on import.

Kept apart from `inference.py` so that parsing options never needs the LLM layer installed.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions


class LLMOptions(PipelineOptions):
    """Pipeline options of the LLM stages (`--llm_backend endpoint|vllm`, ...)."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--llm_backend", choices=["endpoint", "vllm"], default="endpoint",
                            help="external OpenAI-compatible endpoint, or a vLLM server per worker")
        parser.add_argument("--llm_base_url", default=None, help="endpoint URL (default: MERITGEN_LLM_URL)")
        parser.add_argument("--llm_model", default=None, help="model name (default: MERITGEN_LLM_MODEL)")
        parser.add_argument("--llm_batch_size", type=int, default=32, help="rows per RunInference batch")
        parser.add_argument("--llm_cache_path", default=None, help="SQLite request cache on each worker's disk")
        parser.add_argument("--llm_vllm_server_kwargs", default="{}", help="JSON: extra vLLM server flags")

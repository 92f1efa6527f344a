"""Pipeline options of meritgen's Beam stages, registered with Beam's option parser on import.

Kept apart from `inference.py` so that parsing options never needs the LLM layer installed.
They tune how the LLM steps run, never what they answer: which backend answers is config
(`[llm] backend`), the model names are config too (`llm.model`, `llm.vlm_model`).
"""

from __future__ import annotations

import argparse

from apache_beam.options.pipeline_options import PipelineOptions

DEFAULT_BATCH_SIZE = 32
DEFAULT_VLLM_SERVER_KWARGS = "{}"


class LLMOptions(PipelineOptions):
    """Pipeline options of the LLM steps (`--llm_batch_size`, `--llm_vllm_server_kwargs`, ...).

    Every default is None (the documented defaults apply where they are read, `inference.task_handler`):
    Beam ships each option it holds that is not None to its worker processes, which rebuild their options
    before any meritgen module is imported there, so a value of ours would be "Discarding unparseable
    args" on every worker. The launcher takes ours out of the runner's options (`split_llm_args`)."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--llm_batch_size", type=int, default=None,
                            help=f"rows per RunInference batch (default {DEFAULT_BATCH_SIZE})")
        parser.add_argument("--llm_cache_path", default=None,
                            help="SQLite request cache on each worker's disk (default: the plan's cache file)")
        parser.add_argument("--llm_vllm_server_kwargs", default=None,
                            help='JSON: extra vLLM server flags for llm.backend = "beam_vllm", '
                                 'e.g. {"max-model-len": "8192", "gpu-memory-utilization": "0.9"}')
        parser.add_argument("--llm_weights_dir", default=None,
                            help='beam_vllm: folder on the workers with the weights as <dir>/<model name> (e.g. '
                                 '/opt/models/Qwen/Qwen2.5-VL-7B-Instruct), served under the model name; '
                                 'default: vLLM fetches the model by name')


def split_llm_args(argv: list[str]) -> tuple[LLMOptions, list[str]]:
    """The launcher's pipeline args -> (meritgen's `--llm_*` options, the rest for Beam's runner).

    Ours are read while the pipeline is built (the RunInference handlers carry their values to the
    workers), so they need not, and must not, travel in the runner's options (see `LLMOptions`)."""
    parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    LLMOptions._add_argparse_args(parser)
    ours, rest = parser.parse_known_args(list(argv))
    return LLMOptions.from_dictionary({k: v for k, v in vars(ours).items() if v is not None}), rest

"""Dataflow pipeline options come from `meritgen beam run` arguments; nothing contacts Google."""

import socket

import pytest
from apache_beam.options.pipeline_options import (
    GoogleCloudOptions,
    PipelineOptions,
    SetupOptions,
    StandardOptions,
    WorkerOptions,
)
from apache_beam.options.pipeline_options_validator import PipelineOptionsValidator

from pipelines.beam.cli import settings_from
from pipelines.beam.options import LLMOptions
from pipelines.errors import ConfigError
from pipelines.runners.cli import build_parser
from pipelines.runners.prefect_beam import catalog_for, pipeline_args_for

IMAGE = "europe-west4-docker.pkg.dev/my-project-123/meritgen/beam:0.1.0"
DATAFLOW = ["--runner", "DataflowRunner", "--project", "my-project-123", "--region=europe-west4",
            "--temp_location", "gs://my-bucket/tmp", "--sdk_container_image", IMAGE, "--sdk_location", "container",
            "--setup_file", "./setup.py", "--max_num_workers", "20", "--llm_batch_size", "16"]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def gcs_unreachable(monkeypatch):
    """With apache-beam[gcp] installed (the launcher's `dataflow` extra), Beam's validator asks GCS
    whether the temp bucket has a soft-delete policy and, for two bad locations, for a default
    bucket: a launcher without credentials gets no answer (after two minutes of retries)."""
    monkeypatch.setattr(GoogleCloudOptions, "_create_default_gcs_bucket", lambda self: None)
    monkeypatch.setattr(GoogleCloudOptions, "_warn_if_soft_delete_policy_enabled", lambda self, arg_name: None)


def _parse(extra):
    return build_parser().parse_args(["beam", "run", "--catalog", "gs://my-bucket/catalog.parquet", "--out",
                                      "gs://my-bucket/runs", "--set", "compose.max_queries=50",
                                      "--max-failure-ratio", "0.25", *extra])


def test_unknown_arguments_become_dataflow_pipeline_options(no_network, gcs_unreachable):
    from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner

    args = _parse(DATAFLOW)
    assert args.pipeline_args == DATAFLOW  # in order, ours taken out
    assert args.set == ["compose.max_queries=50"] and settings_from(args).max_failure_ratio == 0.25
    options = PipelineOptions(args.pipeline_args)
    cloud = options.view_as(GoogleCloudOptions)
    assert (cloud.project, cloud.region, cloud.temp_location) == ("my-project-123", "europe-west4", "gs://my-bucket/tmp")
    assert options.view_as(StandardOptions).runner == "DataflowRunner"
    assert options.view_as(SetupOptions).setup_file == "./setup.py"
    assert options.view_as(SetupOptions).sdk_location == "container"
    assert options.view_as(WorkerOptions).sdk_container_image == IMAGE
    assert options.view_as(WorkerOptions).max_num_workers == 20
    assert options.view_as(LLMOptions).llm_batch_size == 16  # the backend itself is config: [llm] backend
    assert PipelineOptionsValidator(options, DataflowRunner()).validate() == []


def test_validation_names_what_is_wrong_without_asking_google(no_network, gcs_unreachable):
    from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner

    bad = PipelineOptions(["--runner", "DataflowRunner", "--project", "my-project-123", "--region", "europe-west4",
                           "--temp_location", "/local/tmp"])
    errors = PipelineOptionsValidator(bad, DataflowRunner()).validate()
    assert any("temp_location" in e for e in errors)


def test_our_options_are_never_abbreviations_of_beams():
    args = _parse(["--run", "x", "--out_dir", "y"])  # neither is --run-id nor --out
    assert args.run_id is None and args.out == "gs://my-bucket/runs"
    assert args.pipeline_args == ["--run", "x", "--out_dir", "y"]


def test_the_prefect_flow_builds_runner_options():
    direct = pipeline_args_for("DirectRunner", direct_num_workers=3)
    assert direct == ["--runner", "DirectRunner", "--direct_num_workers", "3", "--direct_running_mode", "multi_processing"]
    dataflow = pipeline_args_for("DataflowRunner", project="my-project-123", region="europe-west4",
                                 temp_location="gs://my-bucket/tmp", sdk_container_image=IMAGE, extra_args=["--x", "1"])
    options = PipelineOptions(dataflow)
    assert options.view_as(GoogleCloudOptions).project == "my-project-123"
    assert options.view_as(WorkerOptions).sdk_container_image == IMAGE and dataflow[-2:] == ["--x", "1"]
    with pytest.raises(ConfigError, match="project, region"):
        pipeline_args_for("DataflowRunner", temp_location="gs://my-bucket/tmp")
    with pytest.raises(ConfigError, match="runner must be"):
        pipeline_args_for("SparkRunner")


def test_the_prefect_flow_refuses_blank_settings_and_a_catalog_without_a_bucket():
    with pytest.raises(ConfigError, match="project, region"):
        pipeline_args_for("DataflowRunner", project=" ", region="", temp_location="gs://my-bucket/tmp")
    with pytest.raises(ConfigError, match="temp_location"):  # rendered from an empty MERITGEN_GCS_BUCKET
        pipeline_args_for("DataflowRunner", project="my-project-123", region="europe-west4", temp_location="gs:///tmp")
    for catalog in ("", "  ", "gs:///catalog/catalog.parquet"):
        with pytest.raises(ConfigError, match="catalog is missing"):
            catalog_for(catalog, demo=False)
    assert catalog_for("gs://my-bucket/catalog.parquet", demo=False) == "gs://my-bucket/catalog.parquet"
    assert catalog_for("", demo=True).endswith("catalog.jsonl")


def test_llm_options_come_back_from_the_launchers_argv_and_never_reach_the_runners_options(caplog):
    """Beam's workers rebuild the options the runner ships before importing any meritgen module:
    meritgen's --llm_* must come back to the launcher and not be shipped (no "Discarding unparseable args")."""
    import logging

    from pipelines.beam.options import split_llm_args

    argv = [*DATAFLOW, "--llm_vllm_server_kwargs={\"max-model-len\": \"8192\"}", "--llm_weights_dir", "/opt/models"]
    with caplog.at_level(logging.WARNING):
        llm, beam_args = split_llm_args(argv)
        shipped = PipelineOptions(beam_args).get_all_options()
        rebuilt = PipelineOptions.from_dictionary(shipped).get_all_options()
    opts = llm.view_as(LLMOptions)
    assert (opts.llm_batch_size, opts.llm_vllm_server_kwargs, opts.llm_weights_dir) == (
        16, '{"max-model-len": "8192"}', "/opt/models")
    assert beam_args == DATAFLOW[:-2]  # Beam's own, in order
    assert {k: v for k, v in shipped.items() if k.startswith("llm_") and v is not None} == {}
    assert rebuilt["max_num_workers"] == 20
    assert not [r for r in caplog.records if "--llm_" in r.getMessage()]


@pytest.mark.slow
def test_a_multi_process_run_discards_none_of_meritgens_options(tmp_path):
    """A real DirectRunner worker process (its own Python, its own option parse) given the launcher's args."""
    import os
    import subprocess
    import sys

    script = ("import apache_beam as beam\n"
              "from apache_beam.options.pipeline_options import PipelineOptions\n"
              "from pipelines.beam.options import split_llm_args\n"
              "_, args = split_llm_args(['--direct_num_workers', '1', '--direct_running_mode', 'multi_processing',"
              " '--llm_batch_size', '4', '--llm_vllm_server_kwargs={}'])\n"
              "with beam.Pipeline(options=PipelineOptions(args)) as p:\n"
              "    p | beam.Create([1]) | beam.Map(lambda x: x)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--llm_" not in done.stderr

"""`--dry_run True` on Dataflow: build the job as the service would get it, submit nothing.

Beam's DataflowRunner then translates the pipeline to its job graph (every transform, the workers'
container image and options) and returns without a job; the launcher neither checks the catalog
nor waits for output, so no credentials and no bucket are needed: CI checks the README's recipes
this way (`tests/beam/test_dataflow_recipes.py`).
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TestOptions
from apache_beam.portability.api import beam_runner_api_pb2

from pipelines.errors import ConfigError

DRY_RUN = "DRY_RUN"  # BeamRun.state of a dry run: the graph was built, nothing ran


def is_dry_run(beam_args: list[str]) -> bool:
    """`--dry_run` with the same truth test as Beam's runner (any value given reads as set)."""
    options = PipelineOptions(beam_args)
    if not options.view_as(TestOptions).dry_run:
        return False
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    if "Dataflow" not in str(runner):  # the DirectRunner ignores it and would run the whole build
        raise ConfigError(f"--dry_run builds a Dataflow job graph; {runner} would run the build instead")
    return True


def graph_summary(result) -> dict:
    """What the dry run built: the job graph's transforms and the workers' container images."""
    proto = result.job.proto_pipeline
    images = set()
    for env in proto.components.environments.values():
        if env.urn == "beam:env:docker:v1":
            images.add(beam_runner_api_pb2.DockerPayload.FromString(env.payload).container_image)
    names = [t.unique_name for t in proto.components.transforms.values()]
    return {"transforms": len(names), "run_inference": sum(1 for n in names if n.endswith("BeamML_RunInference")),
            "images": sorted(images)}

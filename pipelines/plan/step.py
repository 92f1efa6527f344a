"""One step of the build plan, its parameter digest and its fingerprint.

A `Step` names a pure stage call, the tables it reads (`(stage, output)` of earlier steps),
the files a runner loads for it (`files`: the catalog, an external corpus), the frozen params
object it was built with (runners pick their own transform for a step by the params' type),
and the contracts of its outputs. Planning reads no file: every value a fingerprint needs
(e.g. the catalog's) is computed by the runner and passed in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType

import pyarrow as pa

from pipelines.results import StageResult


@dataclass(frozen=True)
class Streamed:
    """A step's streamed form, for runners that hold one batch of its big input at a time.

    `call` takes the step's arguments with input `by` as `Shards` (pipelines/shards.py) and
    yields per-batch `StageResult`s whose `shards.collect` equals the step's whole-table call
    (tests/runners/test_streamed_steps.py). `batch_rows` bounds the rows of a batch; it is a runner
    setting, in no fingerprint, because it never changes the output.
    """

    call: Callable[..., Iterator[StageResult]] = field(repr=False)
    by: str
    batch_rows: int


@dataclass(frozen=True)
class PerShard:
    """A `shard_by` step's call split for runners that spread its batches over workers (Beam).

    `prepare` takes the step's other inputs (side tables and files) and returns the call of one
    batch, with what every batch reads (an index) built once per worker rather than per batch.
    `once` gives the outputs named in `once_outputs`, made once from the side tables rather than
    per batch (the caption filter's captions), and handed to `prepare` as side tables of those names. `finish` turns the counters summed over every
    batch into the step's (rates derived from summed counts). Together they equal `Step.call`.
    """

    prepare: Callable[..., Callable[[pa.Table], StageResult]] = field(repr=False)
    once: Callable[..., StageResult] | None = field(default=None, repr=False)
    once_outputs: tuple[str, ...] = ()
    finish: Callable[[dict], dict] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Step:
    """One stage invocation. `inputs` maps the stage function's argument to (stage, output)."""

    name: str
    version: str
    inputs: dict[str, tuple[str, str]]
    call: Callable[..., StageResult] = field(repr=False)
    params_digest: str
    contracts: dict[str, str]
    # The input whose rows can be split into batches, the stage run per batch and the outputs
    # concatenated with the same result (other inputs are then side inputs). None: global step.
    shard_by: str | None = None
    # The frozen params object `call` runs with (a stage's `*Params`, or the config section of a
    # wiring step); runners choose a transform of their own through a table keyed by its type.
    params: object = field(default=None, repr=False)
    # Arguments read from files rather than from a step: argument -> spec with a `load()` (pipelines.io.inputs).
    files: dict[str, object] = field(default_factory=dict)
    # The local runner streams a step that has one (Beam runs `call`, or its `shard_by` batches).
    streamed: Streamed | None = field(default=None, repr=False)
    # Reads something outside the run that can change unseen (a catalog's image URLs): the local runner
    # runs it every build and hands later steps a fingerprint of its outputs' content, so they rerun
    # only when what it read changed. Set by the runner, which knows (planning reads no file).
    volatile: bool = False
    # How a runner with many workers runs its `shard_by` batches (Beam); None: `call` per batch.
    per_shard: PerShard | None = field(default=None, repr=False)


def digest(*parts) -> str:
    text = json.dumps([dataclasses.asdict(p) if dataclasses.is_dataclass(p) else p for p in parts],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(step: Step, upstream: dict[str, str]) -> str:
    """Version + params digest + upstream fingerprints + the content of every file the step reads
    (`Step.files`: a corpus edited in place reruns the step; read when a runner asks, never at planning)."""
    parts = [step.name, step.version, step.params_digest] + [upstream[s] for s, _ in sorted(step.inputs.values())]
    contents = [f"{arg}={spec.content_digest()}" for arg, spec in sorted(step.files.items())
                if hasattr(spec, "content_digest")]
    parts += [c for c in contents if not c.endswith("=")]  # "" (the catalog: in params already) adds nothing
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def stage_version(wiring: str, *stages: ModuleType) -> str:
    """A step's version: its wiring's and each called stage module's `VERSION`, read now.

    Raising any of them changes the step's fingerprint, so it and everything downstream reruns.
    """
    return "+".join([wiring] + [f"{s.__name__.rsplit('.', 1)[-1]}.{s.VERSION}" for s in stages])


def worker_count(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def input_tables(step: Step, read: Callable[[str, str], pa.Table]) -> dict[str, pa.Table]:
    return {arg: read(stage, output) for arg, (stage, output) in step.inputs.items()}


def file_tables(step: Step) -> dict[str, pa.Table]:
    """The step's file arguments, loaded (by the runner, when the step runs)."""
    return {arg: spec.load() for arg, spec in step.files.items()}

"""One step of the build plan, its parameter digest and its fingerprint.

A `Step` names a pure stage call, the tables it reads (`(stage, output)` of earlier steps),
the files a runner loads for it (`files`: the catalog, an external corpus), the frozen params
object it was built with (runners pick their own transform for a step by the params' type),
and the contracts of its outputs. `planned` builds one from the stage modules it calls and its
params: its version, parameter digest and files are derived from them, none written by hand.
Planning reads no file: the runner loads the resources (vocabulary, templates) and computes every
value a fingerprint needs (the catalog's); a file's content is read when the runner fingerprints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pyarrow as pa

from pipelines import schemas
from pipelines.digest_fields import digested
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
    `python_bound`: a batch is Python work on one core (no top-k search, which already runs on every
    core), so the local runner spreads the batches over its pool too (runners/shard_pool.py).
    """

    prepare: Callable[..., Callable[[pa.Table], StageResult]] = field(repr=False)
    once: Callable[..., StageResult] | None = field(default=None, repr=False)
    once_outputs: tuple[str, ...] = ()
    finish: Callable[[dict], dict] | None = field(default=None, repr=False)
    python_bound: bool = False


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
    # Files the call reads by itself (an LLM task's prompt): never loaded by the runner, but their
    # `content_digest()` is part of the fingerprint, read when the runner asks (not while planning).
    reads: dict[str, object] = field(default_factory=dict)


def digest(*parts) -> str:
    """A digest of frozen values: dataclasses by their fields (but `digest_fields.NOT_DIGESTED` ones), resources
    with a content `digest` (vocabulary, templates) by it, file specs by all but their path (their
    content enters `fingerprint`). Anything else that is not plain data is refused, so no object
    id or repr ever reaches a fingerprint."""
    text = json.dumps([_plain(p) for p in parts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(getattr(value, "digest", None), str):  # a resource named by its content
        return {"type": type(value).__name__, "digest": value.digest}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        skip = {"path"} if is_file_spec(value) else set()
        return {"type": type(value).__name__,
                **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if digested(f) and f.name not in skip}}
    raise TypeError(f"{type(value).__name__} is not plain frozen data: it cannot enter a step's digest")


def is_file_spec(value) -> bool:
    """A file a step reads (pipelines/io/inputs.py): `load()` when the step runs, `content_digest()`."""
    return hasattr(value, "load") and hasattr(value, "content_digest")


def planned(name: str, stages: tuple[ModuleType, ...], inputs: dict[str, tuple[str, str]],
            call: Callable[..., StageResult], params, contracts: dict[str, str], *, wiring: str | None = None,
            settings: tuple = (), files: dict[str, object] | None = None, **kw) -> Step:
    """A `Step` that describes itself: version from the stage modules it calls (`stage_version`),
    parameter digest from `params` and `settings` (what its call or its runner's writer reads
    besides params), and its file inputs (`files`, plus every file-spec field of `params`: the
    call gets each loaded, as the argument of that name) described in the digest and fingerprinted
    by content. `wiring`: the plan module's own version, when it has one (the version the export's
    provenance names is the stage module's alone otherwise)."""
    files = {**file_fields(params), **(files or {})}
    version = stage_version(wiring, *stages) if wiring else "+".join(s.VERSION for s in stages)
    return Step(name, version, inputs, call,
                digest(params, *settings, *(files[k] for k in sorted(files))), contracts,
                params=params, files=files, **kw)


def file_fields(params) -> dict[str, object]:
    """The file specs among a params dataclass's fields, by field name (None: not configured)."""
    if not dataclasses.is_dataclass(params):
        return {}
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)
            if is_file_spec(getattr(params, f.name))}


def fingerprint(step: Step, upstream: dict[str, str]) -> str:
    """Version + params digest + upstream fingerprints + the content of every file the step reads
    (`Step.files`, `Step.reads`: a corpus edited in place reruns the step; read when a runner asks,
    never at planning)."""
    parts = [step.name, step.version, step.params_digest] + [upstream[s] for s, _ in sorted(step.inputs.values())]
    contents = [f"{arg}={spec.content_digest()}" for arg, spec in sorted({**step.reads, **step.files}.items())
                if hasattr(spec, "content_digest")]
    parts += [c for c in contents if not c.endswith("=")]  # "" (the catalog: in params already) adds nothing
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def stage_version(wiring: str, *stages: ModuleType) -> str:
    """A step's version: its wiring's and each called stage module's `VERSION`, read now.

    Raising any of them changes the step's fingerprint, so it and everything downstream reruns.
    """
    return "+".join([wiring] + [f"{s.__name__.rsplit('.', 1)[-1]}.{s.VERSION}" for s in stages])


def conform_result(step: Step, result: StageResult) -> StageResult:
    """The stage-boundary check every runner applies to a step's result (local, streamed batch by
    batch, Beam): each output with a contract, and the rejects, cast to their schemas (`schemas.conform`)."""
    outputs = {name: schemas.conform(table, step.contracts[name]) if name in step.contracts else table
               for name, table in result.outputs.items()}
    return StageResult(outputs, schemas.conform(result.rejects, "reject"), result.counters)


def input_tables(step: Step, read: Callable[[str, str], pa.Table]) -> dict[str, pa.Table]:
    return {arg: read(stage, output) for arg, (stage, output) in step.inputs.items()}


def file_tables(step: Step) -> dict[str, pa.Table]:
    """The step's file arguments, loaded (by the runner, when the step runs)."""
    return {arg: spec.load() for arg, spec in step.files.items()}

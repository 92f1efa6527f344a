"""SIGKILL the build at a random point of each stage, rerun, and get the uninterrupted output.

The child process wraps the runner from outside (no test hooks in the product): it dies
before a stage computes, after it computed but before writing, or half-way through writing.
"""

import random
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from pipelines.config import load_config
from pipelines.io.build_resources import load_resources
from pipelines.plan import plan_build
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it

ROOT = Path(__file__).resolve().parents[2]
STAGES = [s.name for s in plan_build(DEMO_DIR / "catalog.jsonl", load_config(), load_resources(load_config()))]
POINTS = ["before_compute", "after_compute", "mid_write"]

CHILD = """
import dataclasses, os, signal, sys
import pyarrow.parquet as pq
from pipelines.runners import local as runner
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR

out, stage, point = sys.argv[1], sys.argv[2], sys.argv[3]
die = lambda *_: os.kill(os.getpid(), signal.SIGKILL)
real_write = pq.write_table

def write_table(table, where, *args, **kwargs):
    real_write(table, where, *args, **kwargs)
    if point == "mid_write" and f".{stage}.tmp" in str(where):
        die()

pq.write_table = write_table
real_append = pq.ParquetWriter.write_table

def append(self, table, *args, **kwargs):  # a streamed step appends its batches through a ParquetWriter
    real_append(self, table, *args, **kwargs)
    if point == "mid_write" and f".{stage}.tmp" in str(self.where):
        die()

pq.ParquetWriter.write_table = append

def execute(step, store, upstream, write=None):
    if step.name == stage and point == "before_compute":
        die()
    if step.name == stage and point == "after_compute":
        call = step.call
        step = dataclasses.replace(step, call=lambda **kw: (call(**kw), die()))
        if step.streamed is not None:  # every batch computed (and written), the stage not yet closed
            stream = step.streamed.call

            def computed_then_die(**kw):
                yield from stream(**kw)
                die()

            step = dataclasses.replace(step, streamed=dataclasses.replace(step.streamed, call=computed_then_die))
    return runner.execute_step(step, store, upstream, write)

runner.run_build(DEMO_DIR / "catalog.jsonl", out, load_config(), run_id="demo", progress=False, execute=execute)
"""


def _tables(run_dir: Path) -> dict:
    export = run_dir / "export" / "data"
    return {name: pads.dataset(export / name, format="parquet").to_table().sort_by(key)
            for name, key in (("queries", "query_id"), ("products", "product_id"))}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    return _tables(run_build(DEMO_DIR / "catalog.jsonl", out, load_config(), run_id="demo", progress=False).run_dir)


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_in_any_stage_then_resume_gives_the_same_dataset(stage, tmp_path, uninterrupted):
    point = random.Random(stage).choice(POINTS)  # a seeded "random" point: reproducible failures
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), stage, point], cwd=ROOT, timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"the child was meant to die in {stage} ({point})"
    run_dir = tmp_path / "demo"
    done_before = {p.parent.name: p.stat().st_mtime_ns for p in run_dir.glob("*/_SUCCESS.json")}
    assert set(done_before) == set(STAGES[: STAGES.index(stage)]), "a killed stage must not look finished"

    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False)
    ran = [s.name for s in report.steps if not s.skipped]
    assert ran == STAGES[STAGES.index(stage):], "finished stages must not be redone"
    assert all((run_dir / s / "_SUCCESS.json").stat().st_mtime_ns == t for s, t in done_before.items())
    resumed = _tables(run_dir)
    for name, table in uninterrupted.items():
        assert resumed[name].equals(table), f"{name} differ after resuming from {stage}/{point}"
    assert not list(run_dir.glob(".*.tmp-*")), "the dead process's half-written folder is cleaned up"


def _downstream(steps, changed: set[str]) -> list[str]:
    """Names of the changed steps and of every step reading (transitively) from them, in plan order."""
    hit = set(changed)
    for step in steps:
        if any(stage in hit for stage, _ in step.inputs.values()):
            hit.add(step.name)
    return [s.name for s in steps if s.name in hit]


@pytest.mark.parametrize("module, changed", [("caption_filter", {"caption_filter", "difficulty"}),
                                             ("difficulty", {"difficulty"}), ("negatives", {"negatives"})])
def test_raising_a_stage_version_reruns_that_step_and_downstream_only(module, changed, tmp_path, monkeypatch):
    import importlib

    run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False)
    stage = importlib.import_module(f"pipelines.stages.{module}")
    monkeypatch.setattr(stage, "VERSION", stage.VERSION + ".1")
    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False)
    steps = plan_build(DEMO_DIR / "catalog.jsonl", load_config(), load_resources(load_config()))
    assert [s.name for s in report.steps if not s.skipped] == _downstream(steps, changed)


def test_export_is_not_done_until_verification_passed(tmp_path, monkeypatch):
    from pipelines.runners import local as runner

    real, calls = runner.verify_export_dir, []

    def dies(path, *args):
        raise KeyboardInterrupt("killed between writing the export and verifying it")

    monkeypatch.setattr(runner, "verify_export_dir", dies)
    with pytest.raises(KeyboardInterrupt):
        run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False)
    assert not (tmp_path / "demo" / "export" / "_SUCCESS.json").exists()
    monkeypatch.setattr(runner, "verify_export_dir", lambda path, *args: calls.append(path) or real(path, *args))
    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False)
    assert [s.name for s in report.steps if not s.skipped] == ["export"] and len(calls) == 1
    assert (tmp_path / "demo" / "export" / "_SUCCESS.json").exists()

"""Progress on Beam: a DirectRunner build logs one line per plan step, with its output row counts."""

import logging
import re

import pytest

from pipelines.beam.pipeline import plan_for
from pipelines.beam.progress import progress_line
from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR


def test_progress_line_names_the_step_its_outputs_and_rejects():
    line = progress_line([("rejects", 4), ("queries", 120), ("plans", 40)], "compose", 3, 17)
    assert line == "[3/17] compose done: plans=40, queries=120, rejects=4"


@pytest.mark.slow  # a Beam build of the demo (~30 s on a shared machine)
def test_a_direct_runner_build_logs_one_line_per_plan_step(tmp_path, caplog):
    cfg = load_config(overrides={"compose.max_queries": 40, "retrieval.enabled": False})
    catalog = str(DEMO_DIR / "catalog.jsonl")
    progress = logging.getLogger("pipelines.beam.progress")
    progress.addHandler(caplog.handler)  # also when the CLI's show_progress stopped propagation
    propagate, progress.propagate = progress.propagate, False  # so each record is captured once
    try:
        with caplog.at_level(logging.INFO, logger="pipelines.beam.progress"):
            run_beam_build(catalog, str(tmp_path), cfg, run_id="demo")
    finally:
        progress.removeHandler(caplog.handler)
        progress.propagate = propagate
    lines = [r.getMessage() for r in caplog.records if r.name == "pipelines.beam.progress"]
    done = [re.search(r"\[(\d+)/(\d+)\] (\w+) done: (.*)", line) for line in lines]
    assert all(done), lines
    steps = [s.name for s in plan_for(catalog, cfg)]
    assert sorted(m.group(3) for m in done) == sorted(steps)  # each step exactly once
    assert {m.group(3): int(m.group(1)) for m in done} == {name: i + 1 for i, name in enumerate(steps)}
    assert {m.group(2) for m in done} == {str(len(steps))}
    export = next(m.group(4) for m in done if m.group(3) == "export")
    queries = dict(part.split("=") for part in export.split(", "))["queries"]
    assert int(queries) > 0

"""Progress inside steps (issue #12): stages report through pipelines.progress and stay unchanged.

Every step of the demo plan (retrieval on) runs twice, once silently and once under a recording
reporter: the outputs, rejects and counters must be equal, the recorded progress must never run
ahead of its total, and the steps that are slow at 135K products must end exactly at their total.
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest

from pipelines import progress
from pipelines.config import load_config
from pipelines.plan.step import file_tables, input_tables
from pipelines.resources import DEMO_DIR
from pipelines.retrieval import BM25Config, BM25Index, search_table
from pipelines.runners.local import local_plan

# Steps that run longer than a few seconds at 135K products (benchmarks/RESULTS.md).
REPORTING = {"ingest", "mine", "compose", "render", "negatives", "passages", "caption_filter",
             "retriever_negatives", "difficulty", "language_check", "export"}


class Recorder:
    """A reporter that keeps every (total, done) state it passes through."""

    def __init__(self) -> None:
        self.total = self.done = 0
        self.states: list[tuple[int, int]] = []

    def add_total(self, n: int) -> None:
        self.total += n
        self.states.append((self.total, self.done))

    def advance(self, n: int) -> None:
        self.done += n
        self.states.append((self.total, self.done))


def assert_monotonic_to_total(rec: Recorder, name: str = "") -> None:
    assert rec.states, f"{name}: nothing was reported"
    assert all(n >= 0 for n in np.diff([d for _, d in rec.states])), "done went backwards"
    assert all(d <= t for t, d in rec.states), f"done ran ahead of total: {rec.states[:5]}"
    assert rec.done == rec.total > 0


def test_each_without_a_reporter_is_the_plain_iteration():
    assert list(progress.each(range(5))) == [0, 1, 2, 3, 4]
    progress.advance(3)  # no reporter: a no-op, no error
    progress.add_total(3)


def test_each_reports_length_then_one_per_item_and_the_reporter_is_scoped():
    rec = Recorder()
    with progress.reporting(rec):
        seen = []
        for item in progress.each(["a", "b", "c"]):
            seen.append((item, rec.done))  # an item counts as done once the loop moves past it
    assert seen == [("a", 0), ("b", 1), ("c", 2)]
    assert rec.states == [(3, 0), (3, 1), (3, 2), (3, 3)]
    progress.advance(1)  # outside the block: the recorder no longer hears anything
    assert rec.done == 3


def test_each_of_an_iterator_without_length_never_runs_ahead():
    rec = Recorder()
    with progress.reporting(rec):
        assert list(progress.each(iter([1, 2]))) == [1, 2]
        assert list(progress.each(iter([3]), total=1)) == [3]
    assert_monotonic_to_total(rec)
    assert rec.total == 3


@pytest.mark.parametrize("backend, threads", [
    ("numpy", 0), ("numpy", 2),
    pytest.param("numba", 0, marks=[pytest.mark.slow,  # numba compiles first: slow (README, Tests)
                                    pytest.mark.skipif(not find_spec("numba"), reason="numba not installed (the scale extra)")])])
def test_search_in_batches_gives_the_same_hits_and_reports_per_batch(monkeypatch, backend, threads):
    index = BM25Index(BM25Config(n_threads=threads, backend=backend))
    index.build([f"p{i}" for i in range(30)], [f"red shirt number {i} cotton {'blue' * (i % 3)}" for i in range(30)])
    queries = [f"shirt {i} blue" for i in range(7)]
    whole = search_table(index, [f"q{i}" for i in range(7)], queries, 5)
    monkeypatch.setattr(BM25Index, "search_batch", 2)
    rec = Recorder()
    with progress.reporting(rec):
        batched = search_table(index, [f"q{i}" for i in range(7)], queries, 5)
    assert batched.equals(whole)
    assert [d for _, d in rec.states] == [0, 2, 4, 6, 7]
    assert_monotonic_to_total(rec)
    assert search_table(index, [], [], 5).num_rows == 0


@pytest.fixture(scope="module")
def demo_steps(tmp_path_factory):
    """Each step of the local runner's demo plan run silently and under a recorder, in plan order
    (one worker: compose and negatives take the process pool's serial path in this process)."""
    cfg = load_config(overrides={"retrieval.enabled": True, "workers": 1})
    tables: dict[tuple[str, str], object] = {}
    runs = []
    for step in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path_factory.mktemp("plan"), cfg):
        inputs = {**input_tables(step, lambda stage, output: tables[(stage, output)]), **file_tables(step)}
        silent = step.call(**inputs)
        rec = Recorder()
        with progress.reporting(rec):
            recorded = step.call(**inputs)
        runs.append((step.name, silent, recorded, rec))
        tables.update({(step.name, name): table for name, table in silent.outputs.items()})
    return runs, tables


def test_steps_give_the_same_result_with_or_without_a_reporter(demo_steps):
    for name, silent, recorded, _ in demo_steps[0]:
        assert silent.outputs.keys() == recorded.outputs.keys(), name
        for output, table in silent.outputs.items():
            assert table.equals(recorded.outputs[output]), f"{name}.{output} changed under a reporter"
        assert silent.rejects.equals(recorded.rejects), name
        assert silent.counters == recorded.counters, name


def test_slow_steps_report_monotonically_up_to_their_total(demo_steps):
    names = {name for name, *_ in demo_steps[0]}
    assert REPORTING <= names, f"the demo plan lacks {REPORTING - names}"
    for name, _, _, rec in demo_steps[0]:
        if name in REPORTING:
            assert_monotonic_to_total(rec, name)
        else:
            assert all(d <= t for t, d in rec.states), name


def test_the_process_pool_reports_each_chunk_from_the_parent(demo_steps, vocab, monkeypatch):
    """Workers have no reporter; the parent advances as each chunk comes back, and the result
    is the serial one."""
    from pipelines.runners import parallel
    from pipelines.stages import compose

    _, tables = demo_steps
    inputs = {"products": tables[("ingest", "products")], "attributes": tables[("mine", "attributes")],
              "families": tables[("mine", "families")]}
    params = compose.ComposeParams(load_config().compose, vocab, 13)
    serial = parallel.compose_queries(**inputs, params=params, workers=1)
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    rec = Recorder()
    with progress.reporting(rec):
        pooled = parallel.compose_queries(**inputs, params=params, workers=2)
    assert pooled.outputs["plans"].equals(serial.outputs["plans"])
    assert_monotonic_to_total(rec, "pooled compose")
    assert len(rec.states) == 1 + 2 * 4  # the total, then one advance per chunk (2 workers x 4 chunks)



def test_the_render_pool_reports_each_piece_from_the_parent(demo_steps, monkeypatch, tmp_path):
    """Render's pooled path (plan batches on processes, as IPC): workers have no reporter, the parent
    advances as each piece comes back, and the result is the serial one."""
    from pipelines.runners import parallel

    plans = demo_steps[1][("compose", "plans")]
    params = next(s for s in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, load_config()) if s.name == "render").params
    serial = parallel.render_queries(plans, params, workers=1)
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    rec = Recorder()
    with progress.reporting(rec):
        pooled = parallel.render_queries(plans, params, workers=2)
    assert pooled.outputs["queries"].equals(serial.outputs["queries"])
    assert_monotonic_to_total(rec, "pooled render")
    assert rec.total == plans.num_rows and len(rec.states) == 1 + 8  # the total, then 2 workers x 4 pieces

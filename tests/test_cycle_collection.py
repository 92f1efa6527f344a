"""The cyclic collector is paused where the audit makes millions of objects, and restored after."""

import gc

import pytest

from pipelines import cycle_collection


def test_paused_restores_the_collector_as_it_was_after_nesting_and_errors():
    assert gc.isenabled()
    with cycle_collection.paused():
        assert not gc.isenabled()
        with cycle_collection.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer one paused
    assert gc.isenabled()
    with pytest.raises(ValueError), cycle_collection.paused():
        raise ValueError("a failing audit")
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collection.paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_the_audit_judges_the_labels_with_the_collector_paused(demo_run_copy, monkeypatch):
    from pipelines.audit import run, stream

    seen, add = [], stream.QueryAudit.add

    def recording_add(self, batch):
        seen.append(gc.isenabled())
        return add(self, batch)

    monkeypatch.setattr(stream.QueryAudit, "add", recording_add)
    assert run.audit_run(demo_run_copy)["passed"]
    assert seen and not any(seen) and gc.isenabled()


@pytest.mark.slow  # a whole demo build
def test_each_step_of_a_build_runs_with_the_collector_paused(tmp_path):
    from pipelines.config import load_config
    from pipelines.runners import local
    from tests.conftest import DEMO_DIR

    seen = {}

    def execute(step, store, upstream, write=None):
        seen[step.name] = gc.isenabled()
        return local.execute_step(step, store, upstream, write)

    local.run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(), run_id="demo", progress=False, execute=execute)
    assert len(seen) > 10 and not any(seen.values()) and gc.isenabled()

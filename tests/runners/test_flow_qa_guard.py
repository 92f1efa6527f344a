"""The Prefect build flow guards a QA-applied export as the CLI does (issue #12): a rebuild that would
replace it is refused unless the flow's `force` parameter is set."""

from __future__ import annotations

import json

import pytest

from pipelines.errors import MeritgenError
from pipelines.io import layout

SMALL = '[compose]\nmax_queries = 30\n[render]\nlanguages = ["en", "ms"]\n'


@pytest.fixture(scope="module")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def _marker(out, run_id: str) -> dict:
    return json.loads(layout.marker_path(layout.export_dir(layout.run_dir(out, run_id))).read_text())


def _mark_qa_applied(out, run_id: str) -> None:
    """What `qa apply` leaves: the export's marker keeps its fingerprint and names the round."""
    path = layout.marker_path(layout.export_dir(layout.run_dir(out, run_id)))
    path.write_text(json.dumps({**_marker(out, run_id), "qa_rounds": ["round-1"]}))


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_flow_refuses_to_replace_a_qa_applied_export_unless_forced(tmp_path, prefect_harness):
    from pipelines.runners.prefect_build import build_dataset

    same, changed = tmp_path / "same.toml", tmp_path / "changed.toml"
    same.write_text(SMALL)
    changed.write_text("seed = 99\n" + SMALL)
    out = tmp_path / "runs"
    build_dataset(demo=True, out=str(out), config=str(same), run_id="run")
    _mark_qa_applied(out, "run")

    result = build_dataset(demo=True, out=str(out), config=str(same), run_id="run")  # same inputs: kept
    assert result["steps"][-1]["skipped"] and _marker(out, "run")["qa_rounds"] == ["round-1"]

    with pytest.raises(MeritgenError, match="round-1"):
        build_dataset(demo=True, out=str(out), config=str(changed), run_id="run")
    assert _marker(out, "run")["qa_rounds"] == ["round-1"]  # nothing was rebuilt

    result = build_dataset(demo=True, out=str(out), config=str(changed), run_id="run", force=True)
    assert not result["steps"][-1]["skipped"] and "qa_rounds" not in _marker(out, "run")

"""The Prefect flow submits the Beam build; its runner comes from the flow's parameters."""

from pathlib import Path

import pytest

from tests.beam.helpers import read_parquet_dir

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it


@pytest.fixture
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_flow_runs_the_beam_build_on_the_direct_runner(tmp_path, prefect_harness, demo_build):
    from pipelines.runners.prefect_beam import submit_beam_build

    result = submit_beam_build(demo=True, out=str(tmp_path), runner="DirectRunner", direct_num_workers=1)
    assert result["state"] == "DONE" and result["run_root"] == str(tmp_path / "demo")
    assert [s["name"] for s in result["report"]["steps"]] == [s.name for s in demo_build.steps]
    queries = read_parquet_dir(Path(result["run_root"]) / "export" / "data" / "queries", "query_id")
    assert queries == read_parquet_dir(Path(demo_build.run_dir) / "export" / "data" / "queries", "query_id")

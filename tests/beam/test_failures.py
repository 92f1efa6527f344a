"""Rejects and dead letters count against a failure-ratio threshold that fails the pipeline."""

import json

import pyarrow.parquet as pq
import pytest

from pipelines.beam.failures import FailureRatioExceeded, check_failures
from pipelines.beam.pipeline import BeamSettings
from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.errors import CatalogError
from tests.conftest import jpeg_bytes


def test_check_passes_under_the_threshold_and_names_the_step_over_it():
    summary = check_failures({"ingest": (100, 5), "render": (50, 0)}, 0.1)
    assert summary["ingest"] == {"rows_in": 100, "failed": 5, "ratio": 0.05}
    with pytest.raises(FailureRatioExceeded, match=r"render: 6/50 = 12.00%"):
        check_failures({"ingest": (100, 5), "render": (50, 6)}, 0.1)
    with pytest.raises(CatalogError, match="all rejected"):
        check_failures({"ingest": (3, 3)}, 1.0)


def _small_catalog_config():
    # Six products: any positive set is over 5% of the catalog, so allow large shares here.
    return load_config(overrides={"render.languages": ["en"], "compose.max_positive_share": 1.0})


def _catalog(tmp_path, good: int, bad: int):
    (tmp_path / "img").mkdir()
    rows = []
    for i in range(good + bad):
        colour = ["Red", "Blue", "Black", "White"][i % 4]
        rows.append({"product_id": f"p{i}", "category": "Tshirts" if i < good else "spaceships",
                     "title": f"Brand{i % 3} Men {colour} Tshirt", "attributes": {"color": colour},
                     "images": [f"img/{i}.jpg"]})
        (tmp_path / "img" / f"{i}.jpg").write_bytes(jpeg_bytes((i * 9 % 255, 40, 90)))
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_too_many_rejected_rows_fail_the_build_but_rejects_are_written(tmp_path):
    catalog = _catalog(tmp_path, good=6, bad=4)
    cfg = _small_catalog_config()
    with pytest.raises(FailureRatioExceeded, match=r"ingest: 4/10"):
        run_beam_build(str(catalog), str(tmp_path / "runs"), cfg, [], run_id="r", settings=BeamSettings(max_failure_ratio=0.2))
    run = tmp_path / "runs" / "r"
    assert not list((run / "export").rglob("*.parquet"))  # data outputs wait for the check
    rejects = [r for f in (run / "rejects").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    assert sorted(r["record_id"] for r in rejects if r["reason"] == "unknown_category") == ["p6", "p7", "p8", "p9"]


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_under_the_threshold_the_build_completes(tmp_path):
    catalog = _catalog(tmp_path, good=6, bad=4)
    run = run_beam_build(str(catalog), str(tmp_path / "runs"), _small_catalog_config(), [], run_id="r",
                         settings=BeamSettings(max_failure_ratio=0.5))
    ingest = next(s for s in run.report["steps"] if s["name"] == "ingest")
    assert (ingest["rows_in"], ingest["failed"], ingest["rows_out"]["products"]) == (10, 4, 6)


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_a_catalog_without_valid_rows_fails_as_locally(tmp_path):
    catalog = _catalog(tmp_path, good=0, bad=2)
    with pytest.raises(CatalogError, match="no valid product"):
        run_beam_build(str(catalog), str(tmp_path / "runs"), load_config(), [], settings=BeamSettings(max_failure_ratio=1))
    with pytest.raises(CatalogError, match="not found"):
        run_beam_build(str(tmp_path / "nope.jsonl"), str(tmp_path / "runs"), load_config(), [])

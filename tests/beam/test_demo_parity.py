"""The Beam pipeline on the DirectRunner (2 worker processes) builds the local build's dataset."""

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from tests.beam.helpers import DIRECT_MULTI, read_parquet_dir

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it


@pytest.fixture(scope="module")
def beam_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("beam")
    return run_beam_build(str(DEMO_DIR / "catalog.jsonl"), str(out), load_config(), DIRECT_MULTI, run_id="demo")


def _export(run_dir) -> Path:
    return Path(run_dir) / "export"


def test_products_are_the_local_builds(beam_run, demo_build):
    local = read_parquet_dir(_export(demo_build.run_dir) / "data" / "products", "product_id")
    beam = read_parquet_dir(_export(beam_run.run_root) / "data" / "products", "product_id")
    assert len(beam) == 335 and beam == local  # images' bytes included


def test_queries_and_their_negatives_are_the_local_builds(beam_run, demo_build):
    local = read_parquet_dir(_export(demo_build.run_dir) / "data" / "queries", "query_id")
    beam = read_parquet_dir(_export(beam_run.run_root) / "data" / "queries", "query_id")
    assert {q["language"] for q in beam} == {"en", "ms", "id", "vi", "th"}
    assert sum(len(q["hard_negatives"]) for q in beam) > 0
    assert beam == local  # ids, text, segments, conditions, positives, negatives, split, provenance
    for split in ("train", "test"):
        files = list((_export(beam_run.run_root) / "data" / "queries").glob(f"{split}-*.parquet"))
        assert files and all(set(pq.read_table(f).column("split").to_pylist()) <= {split} for f in files)


def _merit_lines(run_dir, split: str) -> list[dict]:
    text = (_export(run_dir) / "merit" / f"queries-{split}.json").read_text(encoding="utf-8")
    return sorted((json.loads(line) for line in text.splitlines()), key=lambda q: q["idx"])


def _merit_products(run_dir, split: str) -> list[dict]:
    files = sorted((_export(run_dir) / "merit" / "products").glob(f"{split}-*.parquet"))
    return sorted((r for f in files for r in pq.read_table(f).to_pylist()), key=lambda r: r["idx"])


def test_merit_layout_is_the_local_builds(beam_run, demo_build):
    for split in ("train", "test"):
        assert _merit_lines(beam_run.run_root, split) == _merit_lines(demo_build.run_dir, split)
        assert _merit_products(beam_run.run_root, split) == _merit_products(demo_build.run_dir, split)
    card = (_export(beam_run.run_root) / "merit" / "README.md").read_text(encoding="utf-8")
    assert card.strip() == (_export(demo_build.run_dir) / "merit" / "README.md").read_text(encoding="utf-8").strip()


def test_one_table_exports_are_the_local_builds(beam_run, demo_build):
    local = sorted(p.name for p in _export(demo_build.run_dir).glob("*.parquet"))
    beam = sorted(p.name for p in _export(beam_run.run_root).glob("*.parquet"))
    assert beam == local  # e.g. difficulty.parquet when the retrieval stages are on; rejects.parquet too (#25)
    for name in local:
        assert pq.read_table(_export(beam_run.run_root) / name).equals(pq.read_table(_export(demo_build.run_dir) / name))


def test_rejects_and_report_match_the_local_builds(beam_run, demo_build):
    local_dir = Path(demo_build.run_dir)
    local = Counter((r["stage"], r["reason"], r["record_id"]) for f in local_dir.glob("*/rejects.parquet")
                    for r in pq.read_table(f).to_pylist())
    beam = Counter((r["stage"], r["reason"], r["record_id"])
                   for r in read_parquet_dir(Path(beam_run.run_root) / "rejects", "stage"))
    assert beam == local
    steps = {s["name"]: s for s in beam_run.report["steps"]}
    for step in demo_build.steps:
        assert steps[step.name]["rows_out"] == {k: v for k, v in step.rows_out.items() if v}, step.name
    assert (_export(beam_run.run_root) / "README.md").read_text(encoding="utf-8").startswith("---")


def test_card_is_the_local_builds(beam_run, demo_build):
    """Same data, same card: counts, language ID on the exported texts, rejects, filter shares."""
    beam = (_export(beam_run.run_root) / "README.md").read_text(encoding="utf-8")
    local = (_export(demo_build.run_dir) / "README.md").read_text(encoding="utf-8")
    assert "## Language-ID agreement" in beam and "## Caption-substitutability filter" in beam
    assert beam.replace(str(beam_run.run_root), "RUN") == local.replace(str(demo_build.run_dir), "RUN")


def test_beam_reports_step_seconds_writes_export_rejects_and_names_views_as_locally(beam_run, demo_build):
    import duckdb

    from pipelines.store import RunStore

    steps = {s["name"]: s for s in beam_run.report["steps"]}
    assert steps["compose"]["wall_s"] > 0 and steps["ingest"]["wall_s"] > 0  # not always 0.00 (#25)
    assert "wall_ms" not in steps["compose"]["counters"]
    beam_rejects = pq.read_table(_export(beam_run.run_root) / "rejects.parquet")
    local_rejects = pq.read_table(_export(demo_build.run_dir) / "rejects.parquet")
    assert beam_rejects.schema.names == local_rejects.schema.names
    views = RunStore(beam_run.run_root).refresh_views()
    assert not [v for v in views if "_of_" in v], views  # no shard-named views
    with duckdb.connect(str(RunStore(beam_run.run_root).duckdb_path), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        assert total > 0 and total == con.execute('SELECT count(*) FROM "rejects__rejects"').fetchone()[0]  # no double count
    assert set(beam_rejects.column("stage").to_pylist()) <= {"export"}  # the export stage's own, as locally


def test_the_whole_tables_steps_read_are_files_removed_after_the_run(beam_run):
    from pipelines.beam.whole_files import FOLDER

    assert not (Path(beam_run.run_root) / FOLDER).exists()  # written for the steps' side inputs, then removed
    assert beam_run.report["steps"]  # the run itself finished and reported

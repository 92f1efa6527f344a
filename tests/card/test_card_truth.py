"""The card states the run's own facts: its source, language ID on the exported texts, every
stage's rejects, and a splits header `datasets` accepts without warnings."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import datasets
import pyarrow.dataset as pads

from pipelines.card.parts import reject_rows, source_note
from pipelines.card.render import llm_sections
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli import summary_rejects


def _report(catalog: str, products: int, steps: list[dict] = ()) -> dict:
    return {"catalog": catalog, "steps": [{"name": "ingest", "counters": {"products": products}}, *steps]}


def test_source_note_names_the_runs_catalog_not_the_demo():
    note = source_note("", _report("/data/fashion/catalog.csv", 6583), 6400)
    assert "`catalog.csv`" in note and "6,583 products" in note and "demo" not in note
    assert "/data/fashion" not in note  # the file name only: no path of the build machine (#25)
    assert "licence was not recorded" in note
    demo = source_note("", _report(str(DEMO_DIR / "catalog.jsonl"), 335), 335)
    assert "bundled demo catalog: 335 products" in demo
    assert source_note("Ours, CC-BY-4.0.", _report("/x.csv", 5), 5) == "Ours, CC-BY-4.0."


def test_rejects_count_rows_of_every_stage_and_keep_counter_only_reasons():
    counted = [["judge", "judged_no", 4], ["personalize", "no_distinguishing_attribute", 2]]
    counters = [["compose", "too_many_positives", 7], ["judge", "judged_no", 4]]
    assert reject_rows(counted, counters) == [["compose", "too_many_positives", 7], ["judge", "judged_no", 4],
                                             ["personalize", "no_distinguishing_attribute", 2]]


def test_llm_table_lists_personalize():
    report = {"steps": [{"name": "personalize", "counters": {"rows": 3, "parsed": 2, "rejected": 1}}]}
    assert "| personalize |" in "\n".join(llm_sections(report))


def _card(demo_build) -> str:
    return (Path(demo_build.run_dir) / "export" / "README.md").read_text(encoding="utf-8")


def test_language_id_is_computed_on_the_exported_texts(demo_build):
    queries = pads.dataset(Path(demo_build.run_dir) / "export" / "data" / "queries").to_table(columns=["language"])
    exported = Counter(queries.column("language").to_pylist())
    table = _card(demo_build).split("## Language-ID agreement")[1].split("\n## ")[0]
    checked = {m.group(1): int(m.group(2).replace(",", "")) for m in re.finditer(r"\((\w\w)\) \| ([\d,]+) \|", table)}
    assert checked == {lang: min(n, 2000) for lang, n in exported.items()}
    assert "exported query texts" in table


def test_card_and_summary_show_every_stage_with_reject_rows(demo_build):
    rejects = pads.dataset(list(Path(demo_build.run_dir).glob("*/rejects.parquet"))).to_table(columns=["stage"])
    stages = set(rejects.column("stage").to_pylist())
    card = _card(demo_build).split("## Rejects by reason")[1].split("\n## ")[0]
    assert stages and all(f"| {stage} |" in card for stage in stages)
    assert {row[0] for row in summary_rejects(demo_build.to_dict())} >= stages


def test_datasets_accepts_the_splits_header_without_warnings(demo_build, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="datasets"):
        datasets.load_dataset(str(Path(demo_build.run_dir) / "export"), "queries", cache_dir=str(tmp_path))
    assert not [r for r in caplog.records if "malformed" in r.getMessage()], caplog.text


def test_every_bound_that_rejects_queries_is_in_the_readme_and_card(demo_build):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for key in ("max_positive_share", "max_positives"):
        assert f"{key} =" in readme and f"compose.{key}" in _card(demo_build)



def test_the_card_says_where_the_caption_filter_searched():
    from pipelines import schemas
    from pipelines.card.retrieval import retrieval_sections

    difficulty = schemas.from_rows([{"baseline": "bm25", "variant": "captions", "group_kind": "all", "group": "all",
                                     "n": 10, "r1": 0.0, "r5": 0.3, "r10": 0.5, "mrr": 0.1}], "difficulty")

    def card(category_local: int) -> str:
        report = {"steps": [{"name": "caption_filter", "counters": {"checked": 2, "kept": 1, "category_local": category_local}},
                            {"name": "split", "counters": {"products_test": 5}}]}
        return "\n".join(retrieval_sections(report, difficulty))

    assert "within each query's category" in card(1) and "against the whole catalog" not in card(1)
    assert "against the whole catalog" in card(0) and "within each query's category" not in card(0)

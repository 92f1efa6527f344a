"""`meritgen qa sample|apply|status` end to end on a tiny run: shards, MERIT files and card change."""

from __future__ import annotations

import json
import re

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from annotation_ui.rounds import open_round, open_store
from annotation_ui.store import Annotator
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli import main
from pipelines.runners.local import run_build
from tests.annotation_ui.conftest import TINY_OVERRIDES, build_tiny_run


def _queries(run):
    return {r["query_id"]: r for r in pads.dataset(run / "export" / "data" / "queries").to_table().to_pylist()}


def _pick(items, assignments, used_bases, want):
    item = next(i for i in items if i["base_query_id"] not in used_bases and want(i, assignments[i["query_id"]]))
    used_bases.add(item["base_query_id"])
    return item


@pytest.fixture(scope="module")
def sampled_run(tmp_path_factory):
    run = build_tiny_run(tmp_path_factory.mktemp("apply"))
    code = main(["qa", "sample", "--run", str(run), "--round", "r1", "--size", "25", "--annotators", "a,b",
                 "--double-share", "0.4", "--seed", "3"])
    assert code == 0
    return run


def test_apply_refuses_an_unfinished_round(sampled_run):
    assert main(["qa", "apply", "--run", str(sampled_run), "--round", "r1"]) == 2
    assert main(["qa", "apply", "--run", str(sampled_run), "--round", "nope"]) == 2


def test_apply_rewrites_shards_merit_files_and_card(sampled_run):
    run, before = sampled_run, _queries(sampled_run)
    store = open_store(run)
    items, assignments = store.items("r1"), store.assignments("r1")
    used: set[str] = set()
    base_reject = _pick(items, assignments, used, lambda i, a: len(a) == 1)
    translation = _pick(items, assignments, used, lambda i, a: i["language"] != "en" and len(a) == 1)
    edit = _pick(items, assignments, used, lambda i, a: i["language"] == "en" and len(a) == 1)
    disputed = _pick(items, assignments, used, lambda i, a: len(a) == 2)
    plan = {base_reject["query_id"]: ("reject", "condition_not_visible", None),
            translation["query_id"]: ("reject", "bad_translation", None),
            edit["query_id"]: ("edit", None, "Edited: " + before[edit["query_id"]]["text"])}
    for item in items:
        qid = item["query_id"]
        for name in assignments[qid]:
            action, reason, text = ("reject", "other", None) if qid == disputed["query_id"] and name == "b" \
                else plan.get(qid, ("accept", None, None))
            store.record("r1", Annotator("r1", name, "annotator"), qid, action, reason, "n" if reason else None, text)
    store.record("r1", Annotator("r1", "adjudicator", "adjudicator"), disputed["query_id"], "accept", None, None, None)
    store.close()

    assert main(["qa", "status", "--run", str(run), "--round", "r1"]) == 0
    assert main(["qa", "apply", "--run", str(run), "--round", "r1"]) == 0
    after = _queries(run)

    assert not any(r["base_query_id"] == base_reject["base_query_id"] for r in after.values())
    assert translation["query_id"] not in after
    assert sum(r["base_query_id"] == translation["base_query_id"] for r in after.values()) == \
        sum(r["base_query_id"] == translation["base_query_id"] for r in before.values()) - 1
    edited = after[edit["query_id"]]
    assert edited["text"].startswith("Edited: ")
    rebuilt = "".join(s["text"] if s["kind"] == "text" else f"<image_{s['image_index']}>" for s in edited["segments"])
    assert rebuilt == edited["text"]
    siblings = [r for r in after.values() if r["base_query_id"] == edit["base_query_id"]]
    assert len(siblings) > 1 and all(r["source_text_en"] == edited["text"] for r in siblings)
    removed = len(before) - len(after)
    assert removed == sum(r["base_query_id"] == base_reject["base_query_id"] for r in before.values()) + 1

    merit = [json.loads(line) for f in sorted((run / "export" / "merit").glob("queries-*.json"))
             for line in f.read_text(encoding="utf-8").splitlines()]
    assert {m["idx"] for m in merit} == set(after)
    # MERIT's markup of the edited text: <image_k> -> <Product k> <image>\n<title> </Product k>
    instruction = next(m for m in merit if m["idx"] == edit["query_id"])["query instruction"]
    assert instruction.startswith("Edited: ") and "<image_" not in instruction
    assert re.sub(r"<Product (\d+)> <image>\n.*? </Product \1>", r"<image_\1>", instruction, flags=re.S) == edited["text"]

    marker = json.loads((run / "export" / "_SUCCESS.json").read_text())
    assert marker["qa_rounds"] == ["r1"] and marker["counters"]["queries"] == len(after)
    card = (run / "export" / "README.md").read_text(encoding="utf-8")
    assert "## Human QA: round `r1`" in card and "### Acceptance by language" in card
    assert "condition is not visible" in card and "Cohen's kappa" in card
    summary = json.loads((run / "qa" / "r1" / "summary.json").read_text())
    assert summary["reviewed"] == 25 and summary["accepted"] == 23 and summary["adjudicated"] == 1
    assert pq.read_table(run / "qa" / "r1" / "decisions.parquet").num_rows == sum(map(len, assignments.values())) + 1

    # Applying again changes nothing; a rebuild with the same inputs keeps the QA'd export.
    assert main(["qa", "apply", "--run", str(run), "--round", "r1"]) == 0
    assert _queries(run) == after
    report = run_build(DEMO_DIR / "catalog.jsonl", run.parent, load_config(None, TINY_OVERRIDES),
                       run_id="run", progress=False)
    assert next(s for s in report.steps if s.name == "export").skipped
    assert _queries(run) == after


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_rebuild_refuses_to_replace_a_qa_applied_export(tmp_path, capsys):
    """A changed config would replace the export `qa apply` rewrote: refused unless --force."""
    run = build_tiny_run(tmp_path)
    opened = open_round(run, None, 4, ["a"], 0.0, seed=1)
    store = open_store(run)
    for qid in store.assignments(opened.name):
        store.record(opened.name, Annotator(opened.name, "a", "annotator"), qid, "accept", None, None, None)
    store.close()
    assert main(["qa", "apply", "--run", str(run), "--round", opened.name]) == 0
    base = ["build", "--demo", "--out", str(tmp_path), "--run-id", "run", "--no-progress",
            "--set", f"compose.max_queries={TINY_OVERRIDES['compose.max_queries']}"]
    assert main(base) == 0  # same inputs: the export is kept, QA changes included
    capsys.readouterr()
    assert main(base + ["--set", "seed=99"]) == 2
    assert "round-1 applied" in capsys.readouterr().err
    assert json.loads((run / "export" / "_SUCCESS.json").read_text())["qa_rounds"] == [opened.name]
    assert main(base + ["--set", "seed=99", "--force"]) == 0
    assert "qa_rounds" not in json.loads((run / "export" / "_SUCCESS.json").read_text())
    capsys.readouterr()
    assert main(["qa", "apply", "--run", str(run), "--round", opened.name]) == 2  # ids changed: says so
    assert "rebuilt after the round was sampled" in capsys.readouterr().err

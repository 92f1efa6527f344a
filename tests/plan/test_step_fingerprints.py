"""A step's fingerprint is derived from what it reads (plan.step.planned): editing any file a step
reads, in place at the same path, reruns that step and everything downstream of it, and nothing
else; the same inputs give the same fingerprints in any process."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import load_config
from pipelines.resources import PROJECT_ROOT
from pipelines.runners.local import local_plan
from pipelines.runners.qa_guard import planned_fingerprints

EXAMPLE = PROJECT_ROOT / "examples" / "garden-tools"


def _write_corpus(path: Path, word: str) -> None:
    pq.write_table(pa.table({"passage_id": [f"p{i}" for i in range(20)],
                             "text": [f"{word} passage {i} about shovels and pruners" for i in range(20)]}), path)


@pytest.fixture()
def example(tmp_path) -> dict:
    """The worked example (its own vocabulary, lexicons and templates) with retrieval on and a passage corpus."""
    folder = tmp_path / "garden-tools"
    shutil.copytree(EXAMPLE, folder)
    _write_corpus(tmp_path / "corpus.parquet", "oldword")
    overrides = {"retrieval.enabled": True, "retrieval.passage_corpus": str(tmp_path / "corpus.parquet")}
    return {"catalog": folder / "catalog.jsonl", "out": tmp_path / "runs",
            "cfg": load_config(folder / "config.toml", overrides), "folder": folder, "tmp": tmp_path}


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


EDITS = {  # what is edited -> (how, the step that reads it)
    "vocabulary": (lambda e: _edit_json(e["folder"] / "vocabulary.json",
                                        lambda d: d["attributes"]["color"]["values"]["black"].append("jet black")), "ingest"),
    "lexicon": (lambda e: _edit_json(e["folder"] / "lexicon" / "en.json",
                                     lambda d: d["values"]["material"].update(wood="timber")), "render"),
    "templates": (lambda e: _edit_json(e["folder"] / "templates" / "en.json",
                                       lambda d: d["image_items"].update(handle="the grip of {image}")), "render"),
    "passage_corpus": (lambda e: _write_corpus(e["tmp"] / "corpus.parquet", "newword"), "passages"),
}


def _downstream(steps, first: str) -> set[str]:
    """`first` and every step that reads, directly or not, one of its outputs (from the plan's inputs)."""
    reached = {first}
    for step in steps:  # the plan is in dependency order
        if any(stage in reached for stage, _ in step.inputs.values()):
            reached.add(step.name)
    return reached


@pytest.mark.parametrize("edited", sorted(EDITS))
def test_editing_a_file_a_step_reads_reruns_it_and_only_its_downstream(example, edited):
    edit, reader = EDITS[edited]
    args = (example["catalog"], example["out"], example["cfg"])
    steps = local_plan(*args)
    before = planned_fingerprints(*args)
    assert planned_fingerprints(*args) == before  # nothing edited: nothing reruns
    edit(example)  # same path, new content
    after = planned_fingerprints(*args)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == _downstream(steps, reader), edited
    assert changed < set(before) or reader == "ingest"


def test_a_file_read_by_a_step_enters_by_content_not_path(example):
    """A passage corpus moved to another path with the same bytes reruns nothing; its content is read
    when the runner fingerprints, never while planning."""
    args = (example["catalog"], example["out"])
    before = planned_fingerprints(*args, example["cfg"])
    moved = example["tmp"] / "elsewhere.parquet"
    shutil.copy(example["tmp"] / "corpus.parquet", moved)
    cfg = load_config(example["folder"] / "config.toml",
                      {"retrieval.enabled": True, "retrieval.passage_corpus": str(moved)})
    assert planned_fingerprints(*args, cfg) == before


@pytest.mark.slow  # a fresh interpreter: ~5 s
def test_the_same_inputs_give_the_same_fingerprints_in_another_process(example):
    """No object id, set order or hash seed reaches a fingerprint."""
    here = planned_fingerprints(example["catalog"], example["out"], example["cfg"])
    code = ("import json, sys; from pipelines.config import load_config; "
            "from pipelines.runners.qa_guard import planned_fingerprints; "
            "cfg = load_config(sys.argv[3], json.loads(sys.argv[4])); "
            "print(json.dumps(planned_fingerprints(__import__('pathlib').Path(sys.argv[1]), "
            "__import__('pathlib').Path(sys.argv[2]), cfg)))")
    overrides = {"retrieval.enabled": True, "retrieval.passage_corpus": str(example["tmp"] / "corpus.parquet")}
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", code, str(example["catalog"]), str(example["out"]),
                          str(example["folder"] / "config.toml"), json.dumps(overrides)],
                         capture_output=True, text=True, env=env, check=True, cwd=example["tmp"])
    assert json.loads(out.stdout) == here


_OPENED: list[str] = []
_RECORDING: list[bool] = []


def _record_opens(event: str, args) -> None:
    if _RECORDING and event in {"open", "os.listdir", "os.scandir"}:
        path = str(args[0]) if args else ""
        if not path.endswith((".py", ".pyc", ".so")):  # a lazy import is no read of the build's inputs
            _OPENED.append(f"{event} {path}")


sys.addaudithook(_record_opens)  # audit hooks cannot be removed: it records only while _RECORDING


@pytest.mark.parametrize("llm", [False, True], ids=["offline", "llm"])
def test_planning_opens_no_file(example, llm):
    """plan_build reads no vocabulary, lexicon, template, prompt, corpus or catalog file: the runner
    loads the resources before (load_resources) and every file's content is read when it fingerprints."""
    from pipelines.io.build_resources import load_resources
    from pipelines.plan import plan_build

    overrides = {"llm.url": "http://127.0.0.1:9/v1", "llm.mine": True, "llm.personalize": True, "llm.judge": True}
    cfg = load_config(example["folder"] / "config.toml", {
        "retrieval.enabled": True, "retrieval.passage_corpus": str(example["tmp"] / "corpus.parquet"),
        **(overrides if llm else {})})
    resources = load_resources(cfg)
    plan_build(example["catalog"], cfg, resources, llm_cache=example["tmp"] / "cache.sqlite")  # imports done
    _OPENED.clear()
    _RECORDING.append(True)
    try:
        steps = plan_build(example["catalog"], cfg, resources, llm_cache=example["tmp"] / "cache.sqlite")
    finally:
        _RECORDING.clear()
    assert _OPENED == []
    assert ("judge" in {s.name for s in steps}) == llm


def test_no_step_gets_the_whole_config_and_runner_settings_change_no_fingerprint(example):
    """Each step's params hold what its call reads (never the whole BuildConfig); workers and batch
    sizes are in no digest, a setting a step reads is in its own."""
    import dataclasses

    from pipelines.config import BuildConfig

    cfg, args = example["cfg"], (example["catalog"], example["out"])
    assert not [s.name for s in local_plan(*args, cfg) if isinstance(s.params, BuildConfig)]
    before = planned_fingerprints(*args, cfg)
    assert planned_fingerprints(*args, dataclasses.replace(cfg, workers=3, batch_rows=7)) == before
    k = dataclasses.replace(cfg, retrieval=dataclasses.replace(cfg.retrieval, passages_k=cfg.retrieval.passages_k + 1))
    after = planned_fingerprints(*args, k)
    assert {n for n in before if before[n] != after[n]} == {"passages", "caption_filter", "retriever_negatives",
                                                            "split", "difficulty", "export"}


def test_a_digest_refuses_what_is_not_plain_data():
    """An object without a stable value (a function, an arbitrary instance) never reaches a fingerprint
    as its id or repr: planning fails instead."""
    import dataclasses

    from pipelines.plan.step import NOT_DIGESTED, digest

    @dataclasses.dataclass(frozen=True)
    class Params:
        k: int
        workers: int = dataclasses.field(default=0, metadata=NOT_DIGESTED)

    assert digest(Params(1, workers=2)) == digest(Params(1, workers=8)) != digest(Params(2))
    assert digest({"b": frozenset({"y", "x"}), "a": 1}) == digest({"a": 1, "b": frozenset({"x", "y"})})
    for bad in (lambda: 1, object()):
        with pytest.raises(TypeError, match="not plain frozen data"):
            digest(Params(1), bad)

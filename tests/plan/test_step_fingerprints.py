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
    assert planned_fingerprints(*args, dataclasses.replace(cfg, workers=3, batch_rows=7, pool_max_products=9)) == before
    k = dataclasses.replace(cfg, retrieval=dataclasses.replace(cfg.retrieval, passages_k=cfg.retrieval.passages_k + 1))
    after = planned_fingerprints(*args, k)
    assert {n for n in before if before[n] != after[n]} == {"passages", "caption_filter", "retriever_negatives",
                                                            "split", "difficulty", "export"}


def test_a_digest_refuses_what_is_not_plain_data():
    """An object without a stable value (a function, an arbitrary instance) never reaches a fingerprint
    as its id or repr: planning fails instead."""
    import dataclasses

    from pipelines.digest_fields import NOT_DIGESTED
    from pipelines.plan.step import digest

    @dataclasses.dataclass(frozen=True)
    class Params:
        k: int
        workers: int = dataclasses.field(default=0, metadata=NOT_DIGESTED)

    assert digest(Params(1, workers=2)) == digest(Params(1, workers=8)) != digest(Params(2))
    assert digest({"b": frozenset({"y", "x"}), "a": 1}) == digest({"a": 1, "b": frozenset({"x", "y"})})
    for bad in (lambda: 1, object()):
        with pytest.raises(TypeError, match="not plain frozen data"):
            digest(Params(1), bad)


LLM_ON = {"llm.url": "http://127.0.0.1:9/v1", "llm.mine": True, "llm.personalize": True, "llm.judge": True}
LLM_READS = {  # a value an LLM step's rows, apply or model reads -> the LLM steps whose digest it changes
    "ingest.max_attribute_chars": (100, {"llm_mine"}),
    "compose.max_unverified_share": (0.25, {"personalize"}),
    "seed": (14, {"personalize"}),  # the rendered text personalize asks about
    "render.languages": (("en", "ms"), {"translate"}),  # the rows translate asks for
    "llm.vlm_model": ("another/vision-model", {"llm_mine", "personalize", "judge"}),
    "llm.model": ("another/text-model", {"rewrite", "translate"}),
    # which answers are accepted: the schema sent and the answer size cap (a raised cap re-asks)
    "llm.structured_output": ("none", {"llm_mine", "personalize", "rewrite", "translate", "judge"}),
    "llm.max_answer_bytes": (1024, {"llm_mine", "personalize", "rewrite", "translate", "judge"}),
}
LLM_RUNNER_SETTINGS = {"llm.timeout_s": 7.0, "llm.max_in_flight": 3, "llm.max_retries": 1, "llm.step_deadline_s": 60.0,
                       "llm.url": "http://127.0.0.1:10/v1"}


@pytest.fixture(scope="module")
def llm_digests(tmp_path_factory):
    """{step: params digest} of the LLM steps planned with `overrides` (every LLM task on)."""
    from pipelines.io.build_resources import load_resources
    from pipelines.llm.step import LLMStepCall
    from pipelines.plan import plan_build

    tmp = tmp_path_factory.mktemp("llm")
    resources = load_resources(load_config(None, LLM_ON))  # the same vocabulary and templates for every plan

    def digests(overrides=None, cache="cache.sqlite") -> dict[str, str]:
        cfg = load_config(None, {**LLM_ON, **(overrides or {})})
        steps = plan_build(tmp / "catalog.jsonl", cfg, resources, llm_cache=tmp / cache)
        return {s.name: s.params_digest for s in steps if isinstance(s.params, LLMStepCall)}

    return digests


@pytest.mark.parametrize("key", sorted(LLM_READS))
def test_a_value_an_llm_step_reads_changes_its_digest_and_no_other(llm_digests, key):
    """An LLM step's digest is derived from what its call reads (plan/llm_calls.py), not listed by hand:
    translate's rows read render.languages and personalize's rendered text reads the seed."""
    value, readers = LLM_READS[key]
    before, after = llm_digests(), llm_digests({key: value})
    assert set(before) == {"llm_mine", "personalize", "rewrite", "translate", "judge"}
    assert {name for name in before if before[name] != after[name]} == readers, key


def test_llm_runner_settings_and_the_cache_path_change_no_digest(llm_digests):
    """Where the server is, how hard it is driven and where answers are cached never change an answer."""
    before = llm_digests()
    assert llm_digests(LLM_RUNNER_SETTINGS, cache="elsewhere.sqlite") == before


def test_an_llm_step_with_a_closure_cannot_be_planned():
    """`digest` refuses a function: an LLM step's halves must be frozen values of what they read."""
    from pipelines.llm.client import LLMSettings
    from pipelines.llm.step import LLMStepCall
    from pipelines.plan import llm_calls
    from pipelines.plan.step import planned
    from pipelines.stages import llm_tasks
    from pipelines.stages.llm_tasks import judge

    halves = (llm_calls.JudgeRows(), llm_calls.JudgeApply())
    good = LLMStepCall(judge.TASK, LLMSettings(), *halves)
    assert planned("judge", (llm_tasks,), {}, good, good, {}).params_digest
    closure = LLMStepCall(judge.TASK, LLMSettings(), lambda **tables: judge.rows(**tables), halves[1])
    with pytest.raises(TypeError, match="not plain frozen data"):
        planned("judge", (llm_tasks,), {}, closure, closure, {})


def test_the_language_check_digest_is_derived_from_its_sample():
    from pipelines.plan.llm import language_check_step

    queries = ("render", "queries")
    assert language_check_step(queries, 10).params_digest == language_check_step(queries, 99999).params_digest
    assert language_check_step(queries, 10, sample=5).params_digest != language_check_step(queries, 10).params_digest

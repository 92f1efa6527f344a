"""One LLM task lives in one module: the registry is derived from the modules of
pipelines/stages/llm_tasks/, and a new task is one module (here: defined in the test) plus its
prompt files, planned and run through the same wiring as the shipped ones."""

from __future__ import annotations

import ast
import json
import pkgutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipelines
from pipelines.config import load_config
from pipelines.llm.parsers import Parsed, clean_text, reject
from pipelines.llm.prompts import PromptError
from pipelines.llm.step import Applied
from pipelines.llm.task import LLMTask
from pipelines.plan.llm import task_call
from pipelines.plan.step import Step
from pipelines.runners.local import execute_step
from pipelines.stages import llm_tasks
from pipelines.store import RunStore
from tests.fake_openai import FakeOpenAI, user_text
from tests.llm.llm_helpers import settings_for

SHIPPED = {"judge", "mine_attributes", "personalize", "rewrite", "translate", "translate_lexicon"}


def test_every_task_is_its_module_found_by_name():
    modules = {m.name for m in pkgutil.iter_modules(llm_tasks.__path__)}
    found = llm_tasks.tasks()
    assert set(found) == SHIPPED and SHIPPED <= modules, "each task is the module of its name"
    for name, task in found.items():
        assert llm_tasks.task(name) is task and task.prompt().prompt_id == f"{name}/v{task.prompt_version}"


def test_an_unknown_or_a_taken_name_is_a_typed_error(monkeypatch):
    monkeypatch.setattr(llm_tasks, "_REGISTERED", {})
    with pytest.raises(PromptError, match="unknown LLM task 'summarise'; known: .*'translate'"):
        llm_tasks.task("summarise")
    with pytest.raises(PromptError, match="'judge' is already defined"):
        llm_tasks.register(LLMTask("judge", 1, lambda text, row: Parsed({})))


# ---- a toy task: everything a task module holds, defined here --------------------------------

def parse(text: str, row) -> Parsed:
    out = clean_text(text)
    return Parsed({"shout": out}) if out == row["word"].upper() else reject("not_shouted", f"{out!r} is not shouted")


def rows(words: pa.Table) -> list[dict]:
    return [{"record_id": w, "word": w} for w in words.column("word").to_pylist()]


def apply(parsed: list[dict], words: pa.Table) -> Applied:
    shouted = {p["record_id"]: p["value"]["shout"] for p in parsed}
    out = words.append_column("shout", pa.array([shouted.get(w) for w in words.column("word").to_pylist()], pa.string()))
    return Applied({"words": out}, counters={"shouted": len(shouted)})


def _prompt_files(root):
    (root / "shout").mkdir(parents=True)
    (root / "shout" / "v1.jinja2").write_text(
        "{% block system %}You shout.{% endblock %}"
        "{% block user %}{% if strict %}Louder: {{ previous_error }}\n{% endif %}Word: {{ word }}{% endblock %}")
    (root / "shout" / "v1.json").write_text(json.dumps({"task": "shout", "version": 1, "sampling": {"temperature": 0}}))


def _shouter(request: dict) -> str:
    word = user_text(request).splitlines()[-1].removeprefix("Word: ")
    return word if word == "quiet" else word.upper()  # "quiet" is never shouted: a reject row


def test_a_new_task_is_one_module_and_its_prompt_file(tmp_path, monkeypatch):
    monkeypatch.setattr(llm_tasks, "_REGISTERED", {})
    _prompt_files(tmp_path / "prompts")
    llm_tasks.register(LLMTask("shout", 1, parse, prompts_root=tmp_path / "prompts"))
    stores = [RunStore(tmp_path / run) for run in ("run", "again")]
    for store in stores:
        store.write_stage("source", {"words": pa.table({"word": ["red", "quiet", "blue"]})}, {"fingerprint": "s"})
    with FakeOpenAI(_shouter) as server:
        cfg = load_config(None, {"llm.url": server.base_url})
        call = task_call(cfg.llm, llm_tasks.task("shout"), settings_for(server), tmp_path / "cache.sqlite", rows, apply)
        step = Step("shout", "1", {"words": ("source", "words")}, call, "d", {}, params=call)
        _, report = execute_step(step, stores[0], {"source": "s"})
        asked = len(server.requests)
        execute_step(step, stores[1], {"source": "s"})  # another run: accepted answers come from the cache
        asked_again = len(server.requests) - asked
    out = pq.read_table(tmp_path / "run" / "shout" / "words.parquet").to_pylist()
    assert out == [{"word": "red", "shout": "RED"}, {"word": "quiet", "shout": None}, {"word": "blue", "shout": "BLUE"}]
    rejects = pq.read_table(tmp_path / "run" / "shout" / "rejects.parquet").to_pylist()
    assert [(r["stage"], r["reason"], r["record_id"], r["raw"]) for r in rejects] == [
        ("shout", "not_shouted", "quiet", "quiet")]
    assert report.counters["shouted"] == 2 and report.counters["strict_retries"] == 1 and asked == 4
    assert asked_again == 2, "only the refused word (and its strict retry) is asked again"


def test_the_llm_layer_and_beam_name_no_task():
    """A task is named in its own module only: the client, prompts, runner and Beam's handlers take
    the task they are given (a value, or a name looked up in the registry)."""
    root = Path(pipelines.__file__).parent
    named = [(str(path.relative_to(root)), node.value) for folder in ("llm", "beam") for path in (root / folder).rglob("*.py")
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant) and node.value in SHIPPED]
    assert named == []

"""The Beam-native LLM backend: an LLM step through RunInference with a scripted model handler.

No vllm, no GPU: `ScriptedChatHandler` is a ModelHandler whose model answers in process. The
server backend it is compared with is the production client over HTTP (`tests.fake_openai`).
"""

import hashlib
import json
import sqlite3
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.beam.adapter import REJECTS, TALLY
from pipelines.beam.failures import add_pairs
from pipelines.beam.llm_step import RunLLMStep
from pipelines.beam.pipeline import BeamSettings
from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.errors import ConfigError
from pipelines.llm import LLMSettings, build_request, load_prompt, request_key
from pipelines.llm.step import Applied, LLMStepCall
from pipelines.plan import Step
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build
from pipelines.stages.llm_tasks import task as llm_task
from tests.beam.helpers import collect, read_parquet_dir, read_rows
from tests.beam.scripted_model import ScriptedChatHandler
from tests.fake_openai import FakeOpenAI
from tests.llm_scripted import planted_failure, responder

TEXTS = ["I want <image_1> by Nike in red.", "A dress like <image_1> by Puma.", "Shoes like <image_1> and <image_2>."]
LANGS = ["ms", "vi", "th"]
MODEL = "scripted-qwen"
LLM_STAGES = {"mine_attributes", "personalize", "rewrite", "translate", "judge"}


def _queries() -> pa.Table:
    rows = [{"query_id": f"q{i}-{lang}", "source_text_en": text, "language": lang}
            for i, text in enumerate(TEXTS) for lang in LANGS]
    return pa.Table.from_pylist(rows)


def translate_rows(queries):
    return [{"record_id": q["query_id"], "text": q["source_text_en"], "target_language": q["language"]}
            for q in queries.to_pylist()]


def apply_translations(parsed, queries):
    answers = {p["record_id"]: p["value"]["text"] for p in parsed}
    rows = [{"query_id": q["query_id"], "text": answers.get(q["query_id"], q["source_text_en"])} for q in queries.to_pylist()]
    return Applied({"queries": pa.Table.from_pylist(rows)}, counters={"translated": len(answers)})


def _call(cache_path, base_url="http://unused.invalid/v1") -> LLMStepCall:
    settings = LLMSettings(base_url=base_url, model=MODEL, max_retries=0)
    return LLMStepCall(llm_task("translate"), settings, translate_rows, apply_translations, cache_path)


def _step(call) -> Step:
    return Step("translate", "1", {"queries": ("render", "queries")}, call, "digest", {})


def _run_beam(tmp_path, call, script, name):
    handler = ScriptedChatHandler("translate", call.settings, script, cache_path=str(call.cache_path), stage="translate")
    return run_translate(tmp_path / name, call, handler)


def run_translate(out_dir: Path, call, handler):
    """The translate step on Beam (DirectRunner) with `handler`: (queries, rejects, tally) rows."""
    with beam.Pipeline() as p:
        queries = p | "Queries" >> beam.Create([_queries()])
        out = p | RunLLMStep(_step(call), handler, {"queries": queries}, ["queries"])
        collect(out["queries"], out_dir / "queries", "CollectQueries")
        collect(out[REJECTS], out_dir / "rejects", "CollectRejects")
        tally = out[TALLY] | beam.CombinePerKey(add_pairs) | beam.MapTuple(
            lambda step, n: pa.Table.from_pylist([{"step": step, "rows_in": n[0], "failed": n[1]}]))
        collect(tally, out_dir / "tally", "CollectTally")
    return (read_rows(out_dir / "queries", "query_id"), read_rows(out_dir / "rejects", "record_id"),
            read_rows(out_dir / "tally"))


def _keys(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {key for (key,) in db.execute("SELECT key FROM completions")}


REFUSED = {"q0-th", "q1-vi"}  # the scripted model's planted failures: Nike loses a placeholder in Thai, Puma stays English


def only_refused(request):
    """The scripted model, asked only for the requests whose answers were refused (never cached)."""
    if not planted_failure(request):
        raise AssertionError("the model was asked although the cache holds the answer")
    return responder(request)


def test_answers_parse_with_the_shared_parsers_and_malformed_ones_become_rejects(tmp_path):
    queries, rejects, tally = _run_beam(tmp_path, _call(tmp_path / "cache.sqlite"), responder, "run")
    text = {q["query_id"]: q["text"] for q in queries}
    assert len(text) == 9
    assert text["q2-ms"] == "Saya mahu cari barang ini kerana cantik: <image_1> <image_2>"  # parsed answer
    # The script drops a placeholder for Nike in Thai and answers Puma's Vietnamese in English:
    # the translate parser refuses both (also after the strict retry) and the rows keep their text.
    assert text["q0-th"] == TEXTS[0] and text["q1-vi"] == TEXTS[1]
    assert {r["record_id"]: r["stage"] for r in rejects} == {"q0-th": "translate", "q1-vi": "translate"}
    assert all(r["raw"] and r["message"].startswith("after a strict retry") for r in rejects)
    assert rejects[1]["reason"] != rejects[0]["reason"]  # placeholders vs language, as the parser names them
    assert tally == [{"step": "translate", "rows_in": 9, "failed": 0}]  # unusable answers are data, not losses


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_cache_keys_are_the_server_clients_and_either_backend_reuses_the_other(tmp_path):
    server_cache, beam_cache = tmp_path / "server.sqlite", tmp_path / "beam.sqlite"
    with FakeOpenAI(responder) as server:  # the server backend: the production client over HTTP
        local = _call(server_cache, server.base_url)(queries=_queries())
    assert local.outputs["queries"].num_rows == 9
    beam_queries, beam_rejects, _ = _run_beam(tmp_path, _call(beam_cache), responder, "beam")
    # Issue #24: only accepted answers are cached: 9 rows less the 2 planted failures (whose strict
    # retries fail too), so those 2 rows are asked again by any later run.
    assert _keys(beam_cache) == _keys(server_cache) and len(_keys(beam_cache)) == 7
    prompt = load_prompt("translate")
    rows = translate_rows(_queries())
    accepted = {request_key(MODEL, build_request(prompt, row)) for row in rows if row["record_id"] not in REFUSED}
    assert accepted == _keys(beam_cache)
    # A cache the server backend filled answers the Beam backend: the model is asked only the refused ones.
    reused, reused_rejects, _ = _run_beam(tmp_path, _call(server_cache), only_refused, "reused")
    assert reused == beam_queries == sorted(local.outputs["queries"].to_pylist(), key=lambda q: q["query_id"])
    assert [r["record_id"] for r in reused_rejects] == [r["record_id"] for r in beam_rejects]


def test_the_beam_vllm_backend_is_refused_outside_beam(tmp_path):
    call = LLMStepCall(llm_task("translate"), LLMSettings(model=MODEL), translate_rows, apply_translations,
                       tmp_path / "c.sqlite", backend="beam_vllm")
    with pytest.raises(ConfigError, match="runs only on Beam"):
        call(queries=_queries())


def flaky_responder(request):
    """The scripted model, with a malformed answer to about one request in five (by content, so
    both backends get the same ones; a strict retry is another request and may come back fine)."""
    if hashlib.sha256(json.dumps(request["messages"], sort_keys=True).encode()).digest()[0] < 52:
        return "{not json"
    return responder(request)


def scripted_handler(backend, task, settings, options, *, cache_path=None, stage=None):
    """BeamSettings.llm_handler for the demo build: what `beam_vllm` gets, with the scripted model."""
    assert backend == "beam_vllm"
    return ScriptedChatHandler(task, settings, flaky_responder, cache_path=str(cache_path), stage=stage)


def _reject_keys(folder):
    """(stage, reason, record_id) of the LLM stages' reject rows (local: <step>/rejects.parquet, Beam: rejects/)."""
    rows = [r for f in folder.rglob("rejects*.parquet") for r in pq.read_table(f).to_pylist()]
    return sorted((r["stage"], r["reason"], r["record_id"]) for r in rows if r["stage"] in LLM_STAGES)


@pytest.mark.slow  # two demo builds with every LLM step (local and Beam): minutes; CI runs it
def test_the_demo_on_beam_with_beam_vllm_equals_the_local_server_build(tmp_path):
    every_task = {"llm.mine": True, "llm.personalize": True, "llm.judge": True, "compose.max_queries": 40,
                  "retrieval.enabled": False}
    catalog = DEMO_DIR / "catalog.jsonl"
    with FakeOpenAI(flaky_responder) as server:
        local_cfg = load_config(overrides={**every_task, "llm.url": server.base_url, "llm.cache": str(tmp_path / "local.sqlite")})
        local = run_build(catalog, tmp_path / "local", local_cfg, run_id="demo", progress=False)
    beam_cfg = load_config(overrides={**every_task, "llm.backend": "beam_vllm", "llm.cache": str(tmp_path / "beam.sqlite")})
    with pytest.raises(ConfigError, match="runs only on Beam"):  # the local runner refuses it, before writing
        run_build(catalog, tmp_path / "refused", beam_cfg, run_id="demo", progress=False)
    assert not (tmp_path / "refused").exists()
    beam_run = run_beam_build(str(catalog), str(tmp_path / "beam"), beam_cfg, run_id="demo",
                              settings=BeamSettings(llm_handler=scripted_handler))
    local_report = {s["name"]: s["counters"] for s in json.loads((Path(local.run_dir) / "report.json").read_text())["steps"]}
    beam_report = {s["name"]: s["counters"] for s in beam_run.report["steps"]}
    for step in ("llm_mine", "personalize", "rewrite", "translate", "judge"):  # every row asked, as many parsed
        assert beam_report[step]["rows"] == local_report[step]["rows"] > 0, step
        assert beam_report[step]["parsed"] == local_report[step]["parsed"], step
    local_q = read_parquet_dir(Path(local.run_dir) / "export" / "data" / "queries", "query_id")
    beam_q = read_parquet_dir(Path(beam_run.run_root) / "export" / "data" / "queries", "query_id")
    assert beam_q == local_q
    prompts = {p.split("/")[0] for q in beam_q for p in q["provenance"]["prompt_ids"]}
    assert {"rewrite", "translate"} <= prompts
    # the same requests, under the same keys: either cache answers the other backend
    assert _keys(tmp_path / "beam.sqlite") == _keys(tmp_path / "local.sqlite")
    # malformed answers (invalid JSON, a lost placeholder) and the judge's "no" are the same reject rows
    beam_rejects = _reject_keys(Path(beam_run.run_root) / "rejects")
    local_rejects = _reject_keys(Path(local.run_dir))
    assert beam_rejects == local_rejects
    reasons = {(stage, reason) for stage, reason, _ in beam_rejects}
    assert {("judge", "judge_no"), ("mine_attributes", "invalid_json"), ("translate", "placeholder_lost")} <= reasons

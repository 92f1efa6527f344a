"""The Beam-native LLM backend: an LLM step through RunInference with a scripted model handler.

No vllm, no GPU: `ScriptedChatHandler` is a ModelHandler whose model answers in process. The
server backend it is compared with is the production client over HTTP (`tests.fake_openai`).
"""

import sqlite3

import apache_beam as beam
import pyarrow as pa
import pytest

from pipelines.beam.adapter import REJECTS, TALLY
from pipelines.beam.failures import add_pairs
from pipelines.beam.llm_step import RunLLMStep
from pipelines.llm import LLMSettings, build_request, load_prompt, request_key
from pipelines.llm.step import Applied, LLMStepCall
from pipelines.plan import Step
from tests.beam.helpers import collect, read_rows
from tests.beam.scripted_model import ScriptedChatHandler
from tests.fake_openai import FakeOpenAI
from tests.llm_scripted import responder

TEXTS = ["I want <image_1> by Nike in red.", "A dress like <image_1> by Puma.", "Shoes like <image_1> and <image_2>."]
LANGS = ["ms", "vi", "th"]
MODEL = "scripted-qwen"


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
    return LLMStepCall("translate", settings, translate_rows, apply_translations, cache_path)


def _step(call) -> Step:
    return Step("translate", "1", {"queries": ("render", "queries")}, call, "digest", {})


def _run_beam(tmp_path, call, script, name):
    handler = ScriptedChatHandler("translate", call.settings, script, cache_path=str(call.cache_path), stage="translate")
    out_dir = tmp_path / name
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


def never_called(request):
    raise AssertionError("the model was asked although the cache holds the answer")


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


def test_cache_keys_are_the_server_clients_and_either_backend_reuses_the_other(tmp_path):
    server_cache, beam_cache = tmp_path / "server.sqlite", tmp_path / "beam.sqlite"
    with FakeOpenAI(responder) as server:  # the server backend: the production client over HTTP
        local = _call(server_cache, server.base_url)(queries=_queries())
    assert local.outputs["queries"].num_rows == 9
    beam_queries, beam_rejects, _ = _run_beam(tmp_path, _call(beam_cache), responder, "beam")
    assert _keys(beam_cache) == _keys(server_cache) and len(_keys(beam_cache)) == 11  # 9 rows + 2 strict retries
    prompt = load_prompt("translate")
    first_pass = {request_key(MODEL, build_request(prompt, row)) for row in translate_rows(_queries())}
    assert first_pass <= _keys(beam_cache)
    # A cache the server backend filled answers the Beam backend: the model is never asked.
    reused, reused_rejects, _ = _run_beam(tmp_path, _call(server_cache), never_called, "reused")
    assert reused == beam_queries == sorted(local.outputs["queries"].to_pylist(), key=lambda q: q["query_id"])
    assert [r["record_id"] for r in reused_rejects] == [r["record_id"] for r in beam_rejects]


def test_the_beam_vllm_backend_is_refused_outside_beam(tmp_path):
    from pipelines.errors import ConfigError

    call = LLMStepCall("translate", LLMSettings(model=MODEL), translate_rows, apply_translations,
                       tmp_path / "c.sqlite", backend="beam_vllm")
    with pytest.raises(ConfigError, match="runs only on Beam"):
        call(queries=_queries())

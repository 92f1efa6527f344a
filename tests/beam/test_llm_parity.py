"""Beam with the LLM stages on, against a real local OpenAI-compatible server: same dataset."""

from pathlib import Path

import pytest

from pipelines.beam.run import run_beam_build
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.runners.local import run_build
from tests.beam.helpers import DIRECT_MULTI, read_parquet_dir
from tests.fake_openai import FakeOpenAI
from tests.llm_scripted import responder

pytestmark = pytest.mark.slow  # builds of its own (the demo, Beam or an LLM round trip): minutes; CI runs it


def test_beam_with_llm_stages_exports_the_local_builds_queries(tmp_path):
    with FakeOpenAI(responder) as server:
        def cfg(name):  # separate caches: each build must really ask the server
            return load_config(overrides={"llm.url": server.base_url, "compose.max_queries": 40,
                                          "llm.cache": str(tmp_path / f"{name}.sqlite")})

        local = run_build(DEMO_DIR / "catalog.jsonl", tmp_path / "local", cfg("local"), run_id="demo", progress=False)
        asked_by_local = server.responses_sent
        beam = run_beam_build(str(DEMO_DIR / "catalog.jsonl"), str(tmp_path / "beam"), cfg("beam"), DIRECT_MULTI,
                              run_id="demo")
        assert server.responses_sent >= 2 * asked_by_local > 0
    local_q = read_parquet_dir(Path(local.run_dir) / "export" / "data" / "queries", "query_id")
    beam_q = read_parquet_dir(Path(beam.run_root) / "export" / "data" / "queries", "query_id")
    assert any("translate/v2" in q["provenance"]["prompt_ids"] for q in beam_q)
    assert beam_q == local_q

"""The plan (pipelines/plan): planning reads no file, file inputs are loaded by the runner, and
runners pick their own execution of a step by its params' type, never by its name."""

import dataclasses

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import load_config
from pipelines.io.build_resources import load_resources
from pipelines.io.inputs import CatalogFile, ParquetFile
from pipelines.plan import Step, plan_build
from pipelines.results import StageResult
from pipelines.runners.local import execute_step, local_plan
from pipelines.stages import compose
from pipelines.store import RunStore


def test_planning_reads_no_file(tmp_path):
    """A catalog that does not exist (or lives on gs://) can be planned: the runner reads it later."""
    missing = tmp_path / "nowhere" / "catalog.parquet"
    cfg = load_config(None, {"retrieval.passage_corpus": str(tmp_path / "corpus.parquet")})
    steps = plan_build(missing, cfg, load_resources(cfg))
    ingest = steps[0]
    assert ingest.name == "ingest" and ingest.inputs == {}
    assert ingest.files == {"rows": CatalogFile(str(missing), load_config().catalog)}
    passages = next(s for s in steps if s.name == "passages")
    assert passages.files == {"passage_corpus": ParquetFile(str(tmp_path / "corpus.parquet"), ("passage_id", "text"))}


def test_the_catalog_fingerprint_is_the_runners(tmp_path):
    """The runner passes the catalog fingerprint in: a changed catalog changes ingest's digest only there."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text('{"id": "1"}\n')
    second.write_text('{"id": "2"}\n')
    cfg = load_config()
    digests = [local_plan(path, tmp_path, cfg)[0].params_digest for path in (first, second)]
    assert digests[0] != digests[1]
    assert plan_build(first, cfg, load_resources(cfg))[0].params_digest == plan_build(second, cfg, load_resources(cfg))[0].params_digest


def test_the_runner_loads_a_steps_file_inputs(tmp_path):
    corpus = pa.table({"passage_id": ["c1", "c2"], "text": ["red dress", "blue shirt"], "extra": [1, 2]})
    pq.write_table(corpus, tmp_path / "corpus.parquet")
    seen = {}

    def call(passage_corpus):
        seen["corpus"] = passage_corpus
        return StageResult({"out": passage_corpus})

    step = Step("toy", "1", {}, call, "d", {}, files={"passage_corpus": ParquetFile(str(tmp_path / "corpus.parquet"),
                                                                                       ("passage_id", "text"))})
    execute_step(step, RunStore(tmp_path / "run"), {})
    assert seen["corpus"].column_names == ["passage_id", "text"] and seen["corpus"].num_rows == 2


def test_local_runner_spreads_compose_by_params_type_not_name(tmp_path):
    """Renamed, the compose step still runs on the process pool (the runner's table is keyed by params type)."""
    from pipelines.runners import local

    steps = plan_build(tmp_path / "catalog.jsonl", load_config(), load_resources(load_config()))
    renamed = [dataclasses.replace(s, name="composer") if isinstance(s.params, compose.ComposeParams) else s
               for s in steps]
    spread = [s for s in renamed if isinstance(s.params, compose.ComposeParams)]
    assert len(spread) == 1
    (step,) = [local._spread(s, local.PARALLEL_CALLS[type(s.params)], 2) for s in spread]
    assert step.name == "composer" and step.call is not spread[0].call and step.params is spread[0].params


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_beam_chooses_transforms_by_params_type_not_name(tmp_path, monkeypatch):
    """A renamed compose step still gets Beam's ComposeQueries transform, with the plan's own params."""
    import apache_beam as beam
    from apache_beam.pipeline import PipelineVisitor

    from pipelines.beam import pipeline as beam_pipeline
    from pipelines.beam.compose import ComposeQueries
    from pipelines.resources import DEMO_DIR

    real, planned = beam_pipeline.plan_for, []

    def renamed(*args, **kwargs):
        rename = lambda name: "composer" if name == "compose" else name  # noqa: E731
        planned[:] = [dataclasses.replace(s, name=rename(s.name),
                                          inputs={a: (rename(st), out) for a, (st, out) in s.inputs.items()})
                      for s in real(*args, **kwargs)]
        return planned

    monkeypatch.setattr(beam_pipeline, "plan_for", renamed)
    p = beam.Pipeline()
    beam_pipeline.build_pipeline(p, str(DEMO_DIR / "catalog.jsonl"), str(tmp_path / "run"), load_config())
    found = []

    class Visitor(PipelineVisitor):
        def enter_composite_transform(self, node):
            if isinstance(node.transform, ComposeQueries):
                found.append((node.full_label, node.transform))

    p.visit(Visitor())
    assert [label for label, _ in found] == ["composer"]
    assert found[0][1].params is next(s.params for s in planned if s.name == "composer")


def test_llm_steps_carry_their_task_in_their_params(tmp_path):
    """A runner with its own LLM transform tells the LLM steps apart by params, not by step name."""
    from pipelines.llm.step import LLMStepCall  # an LLM step's params: what Beam keys its transform on

    cfg = load_config(None, {"llm.url": "http://127.0.0.1:9/v1", "llm.mine": True, "llm.personalize": True,
                             "llm.judge": True})
    steps = plan_build(tmp_path / "catalog.jsonl", cfg, load_resources(cfg), llm_cache=tmp_path / "cache.sqlite")
    tasks = {s.name: s.params.task.name for s in steps if isinstance(s.params, LLMStepCall)}
    assert tasks == {"llm_mine": "mine_attributes", "personalize": "personalize", "rewrite": "rewrite",
                     "translate": "translate", "judge": "judge"}
    assert {s.params.cache_path for s in steps if isinstance(s.params, LLMStepCall)} == {tmp_path / "cache.sqlite"}

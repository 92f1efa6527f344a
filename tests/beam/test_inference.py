"""LLM tasks on Beam: RunInference with the shared LLM runner; failures land in rejects."""

import re
import sys
import types

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

pytest.importorskip("pipelines.llm")

from pipelines.beam.adapter import REJECTS, TALLY  # noqa: E402
from pipelines.beam.failures import add_pairs  # noqa: E402
from pipelines.beam.inference import ANSWERS, EndpointTaskHandler, RunLLMTask, task_handler  # noqa: E402
from pipelines.llm import Completion, LLMRequestError, LLMSettings  # noqa: E402
from tests.beam.helpers import collect, read_rows  # noqa: E402

MALAY = "Saya mahu kasut dalam warna {images} nombor {n}"


class FakeChatClient:
    """Answers in Malay; number 3 fails as a request, number 5 breaks its whole batch."""

    counters: dict = {}

    async def complete_many(self, reqs, *, progress=False, **_):
        out = []
        for req in reqs:
            text = req.messages[-1]["content"]
            text = text if isinstance(text, str) else " ".join(p.get("text", "") for p in text)
            n = int(re.findall(r"number (\d+)", text)[-1])
            if n == 5:
                raise RuntimeError("the client fell over")
            if n == 3:
                out.append(LLMRequestError("HTTP 400", status=400, body="bad request", attempts=1))
            else:
                images = " dan ".join(re.findall(r"<image_\d+>", text.splitlines()[-1]))
                out.append(Completion(MALAY.format(images=images, n=n), 10, 10, "stop"))
        return out

    async def aclose(self):
        pass


def fake_client():
    return FakeChatClient()


def _rows(n):
    return [{"record_id": f"q{i}", "text": f"I want shoes in the colour of <image_1> and <image_2>, number {i}.",
             "target_language": "ms"} for i in range(n)]


def _tables(dicts):
    import pyarrow as pa

    return pa.Table.from_pylist(dicts)


def test_answers_rejects_and_dead_letters(tmp_path):
    handler = EndpointTaskHandler("translate", LLMSettings(model="fake"), batch_size=1, client_factory=fake_client,
                                  num_retries=0)
    with beam.Pipeline() as p:
        out = p | beam.Create(_rows(8)) | RunLLMTask("translate", handler)
        answers = out[ANSWERS] | beam.Map(lambda a: {"record_id": a["row"]["record_id"], "text": a["answer"]["value"]["text"]})
        collect(answers | beam.BatchElements() | beam.Map(_tables), tmp_path / "answers", "CollectAnswers")
        collect(out[REJECTS], tmp_path / "rejects", "CollectRejects")
        tally = out[TALLY] | beam.CombinePerKey(add_pairs) | beam.MapTuple(
            lambda step, n: _tables([{"step": step, "rows_in": n[0], "failed": n[1]}]))
        collect(tally, tmp_path / "tally", "CollectTally")
    answers = read_rows(tmp_path / "answers", "record_id")
    assert [a["record_id"] for a in answers] == ["q0", "q1", "q2", "q4", "q6", "q7"]
    assert answers[0]["text"] == "Saya mahu kasut dalam warna <image_1> dan <image_2> nombor 0"
    rejects = {r["record_id"]: r for r in read_rows(tmp_path / "rejects")}
    assert rejects["q3"]["reason"] == "llm_request_failed" and rejects["q3"]["stage"] == "translate"
    assert rejects["q5"]["reason"] == "unexpected_error" and "the client fell over" in rejects["q5"]["message"]
    assert read_rows(tmp_path / "tally") == [{"step": "translate", "rows_in": 8, "failed": 2}]


def test_backend_is_chosen_by_config_and_tuned_by_pipeline_options(monkeypatch):
    # The backend moved from `--llm_backend` to config (`[llm] backend`, #15); the options keep the knobs.
    endpoint = task_handler("server", "translate", LLMSettings(base_url="http://llm:8000/v1", model="m"),
                            PipelineOptions(["--llm_batch_size", "4"]))
    assert isinstance(endpoint, EndpointTaskHandler)
    assert endpoint.settings.base_url == "http://llm:8000/v1" and endpoint.batch_elements_kwargs()["max_batch_size"] == 4

    class StandIn:  # Beam's VLLMChatModelHandler needs vllm and openai; its constructor is all we call
        def __init__(self, model_name, vllm_server_kwargs=None, max_batch_size=None):
            self._model_name, self.kwargs, self.max_batch_size = model_name, vllm_server_kwargs, max_batch_size

    monkeypatch.setitem(sys.modules, "apache_beam.ml.inference.vllm_inference",
                        types.SimpleNamespace(VLLMChatModelHandler=StandIn))
    monkeypatch.delitem(sys.modules, "pipelines.beam.vllm_handler", raising=False)
    try:
        vllm = task_handler("beam_vllm", "judge", LLMSettings(model="Qwen/Qwen2.5-VL-7B"),
                            PipelineOptions(["--llm_vllm_server_kwargs", '{"max-model-len": "8192"}']),
                            cache_path="/tmp/c.sqlite", stage="judge")
        weights = task_handler("beam_vllm", "judge", LLMSettings(model="Qwen/Qwen2.5-VL-7B"),
                               PipelineOptions(["--llm_weights_dir", "/opt/models"]))
    finally:  # the module now subclasses the stand-in: never leave it for other tests
        sys.modules.pop("pipelines.beam.vllm_handler", None)
    assert isinstance(vllm, StandIn) and vllm._model_name == "Qwen/Qwen2.5-VL-7B" and vllm.task == "judge"
    assert vllm.kwargs == {"max-model-len": "8192"} and vllm.cache_path == "/tmp/c.sqlite"
    # baked-in weights are served under the configured name: the name every cache key holds
    assert weights._model_name == "/opt/models/Qwen/Qwen2.5-VL-7B"
    assert weights.kwargs == {"served-model-name": "Qwen/Qwen2.5-VL-7B"}
    assert weights.model_identifier != vllm.model_identifier  # another model: another server


def test_a_row_the_runner_lost_is_a_reject_row_built_by_rejectlog():
    """A row with neither answer nor reject (a runner bug) still leaves one reject row, in the
    reject contract's columns, named after the task's stage."""
    from pipelines.beam.llm_batches import answers_per_row
    from pipelines.llm import TaskRun

    seen = {"stage": "translate", "reason": "placeholder_lost", "record_id": "a", "source_file": None,
            "source_row": None, "field": None, "message": "m", "raw": "x"}
    out = answers_per_row([{"record_id": "a"}, {"record_id": "b"}], TaskRun([], [seen], {}))
    assert out[0].inference == {"reject": seen}
    assert out[1].inference == {"reject": {
        "stage": "translate", "reason": "llm_no_outcome", "record_id": "b", "source_file": None, "source_row": None,
        "field": None, "message": "the LLM runner returned no answer and no reject", "raw": None}}
    assert answers_per_row([{"record_id": "c"}], TaskRun([], [], {}))[0].inference["reject"]["stage"] == "llm"

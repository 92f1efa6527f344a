"""Wiring around the QA modules: the [qa] config file and the Prefect deployments."""

import importlib
import inspect
from pathlib import Path

import pytest
import yaml

from annotation_ui.config import QAConfig, load_qa_config
from annotation_ui.errors import QAError

ROOT = Path(__file__).resolve().parents[2]


def test_qa_config_layers_defaults_file_and_flags(tmp_path):
    path = tmp_path / "qa.toml"
    path.write_text('[qa]\nsize = 50\nannotators = ["x", "y", "z"]\n', encoding="utf-8")
    cfg = load_qa_config(path, {"size": None, "double_share": 0.1})
    assert cfg == QAConfig(size=50, annotators=("x", "y", "z"), double_share=0.1, seed=13)
    path.write_text("[qa]\nsample_size = 5\n", encoding="utf-8")
    with pytest.raises(QAError, match="unknown key"):
        load_qa_config(path, {})


def test_prefect_qa_deployments_point_at_flows_with_matching_parameters():
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    qa = [d for d in deployments if d["entrypoint"].startswith("annotation_ui/flows.py:")]
    assert {d["entrypoint"].split(":")[1] for d in qa} == {"build_and_open_qa_round", "apply_qa_round"}
    module = importlib.import_module("annotation_ui.flows")
    for d in qa:
        flow = getattr(module, d["entrypoint"].split(":")[1])
        assert set(d["parameters"]) <= set(inspect.signature(flow.fn).parameters), d["name"]

"""`meritgen push` publishes the export to a (stand-in) Hub, with a card the Hub applies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from huggingface_hub import DatasetCard

from pipelines.card.hub import REPO_PLACEHOLDER, field_rows
from pipelines.errors import MeritgenError
from pipelines.hub.card import card_for_repo
from tests.hub_standin import StandInHub


@pytest.fixture()
def hub():
    stand_in = StandInHub()
    yield stand_in
    stand_in.close()


def _push(run, hub, *extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_standin", "HF_HUB_OFFLINE": "0",
           "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "pipelines.runners.cli", "push", str(run), *extra],
                          capture_output=True, text=True, env=env, timeout=120)


def test_push_uploads_the_export_in_one_commit_with_a_card_that_loads(demo_run_copy, hub, tmp_path):
    import datasets

    done = _push(demo_run_copy, hub, "--repo", "org/demo", "--private")
    assert done.returncode == 0, done.stderr + str(hub.unknown)
    assert done.stdout.startswith("pushed: ")
    repo = hub.repos["org/demo"]
    assert repo["private"] and len(repo["commits"]) == 1
    files = repo["files"]
    assert "README.md" in files and "_SUCCESS.json" not in files
    assert any(p.startswith("data/queries/train-") for p in files) and any(p.startswith("merit/products/test-") for p in files)
    card = files["README.md"].decode()
    assert hub.validated == [card]  # huggingface_hub sent the card to the Hub's YAML check first
    assert 'load_dataset("org/demo", "queries")' in card and REPO_PLACEHOLDER not in card
    # The pushed files load as the Hub's viewer reads them: by the root card's configs.
    for path, content in files.items():
        (tmp_path / "hub" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "hub" / path).write_bytes(content)
    queries = datasets.load_dataset(str(tmp_path / "hub"), "queries")
    assert list(queries) == ["train", "test"]
    merit = datasets.load_dataset(str(tmp_path / "hub"), "merit")
    assert set(merit) == {"train", "test"} and merit["train"].num_rows > 0


def test_push_refuses_a_run_without_an_export_and_a_bad_repo_id(tmp_path, demo_run_copy, hub):
    done = _push(tmp_path, hub, "--repo", "org/demo")
    assert done.returncode == 2 and "has no finished export" in done.stderr
    done = _push(demo_run_copy, hub, "--repo", "demo")
    assert done.returncode == 2 and "ORG/NAME" in done.stderr
    assert hub.repos == {}


def test_the_card_passes_huggingface_hubs_own_card_parsing(demo_run_copy):
    card = card_for_repo((demo_run_copy / "export" / "README.md").read_text(), "org/x")
    data = DatasetCard(str(card)).data
    configs = {c["config_name"]: c for c in data.to_dict()["configs"]}
    assert [f["split"] for f in configs["queries"]["data_files"]] == ["train", "test"]  # train before test
    assert set(configs) == {"queries", "products", "merit"}
    assert data.license and data.license_name  # from export.license / export.license_name
    text = str(card)
    assert "## Citation" in text and "2506.03144" in text and "## Fields" in text


def test_a_card_without_the_queries_config_is_refused():
    with pytest.raises(MeritgenError, match="no config queries"):
        card_for_repo("---\nlicense: mit\nconfigs:\n- config_name: products\n  data_files: x\n---\n# t\n", "o/n")


def test_field_tables_come_from_the_schemas():
    rows = {r[0]: r for r in field_rows("query")}
    assert rows["`positive_ids`"][1] == "list of string" and "every condition" in rows["`positive_ids`"][2]
    assert rows["`query_id`"][2] == "&lt;base_query_id&gt;-&lt;language&gt;"

"""Shared fixtures: tiny inline catalogs, images made on the fly, one demo build per session."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from pipelines.config import load_config
from pipelines.resources import DEMO_DIR
from pipelines.vocab.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def jpeg_bytes(color=(200, 30, 30), size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(scope="session")
def vocab():
    return load_vocabulary("v1")


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The demo catalog built once with the default config (all five languages)."""
    from pipelines.runners.local import run_build

    out = tmp_path_factory.mktemp("demo")
    report = run_build(DEMO_DIR / "catalog.jsonl", out, load_config(), run_id="demo", progress=False)
    return report


@pytest.fixture()
def demo_run_copy(demo_build, tmp_path) -> Path:
    """A copy of the demo run's export, config and report, safe to edit (what `meritgen audit` reads)."""
    dst = tmp_path / "demo"
    shutil.copytree(demo_build.run_dir / "export", dst / "export")
    for name in ("config.json", "report.json"):
        shutil.copy(demo_build.run_dir / name, dst / name)
    return dst


def shared_or_skip(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the team's ../shared data checkout")
    return path

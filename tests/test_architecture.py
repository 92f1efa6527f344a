"""Stages stay pure: no file, network, DuckDB, Beam or Prefect imports in pipelines/stages."""

import ast
from pathlib import Path

import pytest

STAGES = sorted((Path(__file__).resolve().parents[1] / "pipelines" / "stages").glob("*.py"))
FORBIDDEN = {"duckdb", "prefect", "httpx", "requests", "openai", "apache_beam", "urllib", "socket", "shutil",
             "pipelines.io", "pipelines.store", "pipelines.runner", "pipelines.flows", "pipelines.steps"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.name)
def test_stage_module_imports_no_io(path):
    bad = {n for n in _imports(path) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"{path.name} imports {bad}"
    assert "open(" not in path.read_text(), f"{path.name} opens files"


def test_cli_and_flow_share_the_runner():
    root = Path(__file__).resolve().parents[1] / "pipelines"
    assert "run_build" in (root / "flows.py").read_text() and "run_build" in (root / "cli.py").read_text()

"""Stages stay pure: no file, network, DuckDB, Beam or Prefect imports in pipelines/stages."""

import ast
import re
from pathlib import Path

import pytest

STAGES = sorted((Path(__file__).resolve().parents[2] / "pipelines" / "stages").rglob("*.py"))  # llm_tasks/ too
FORBIDDEN = {"duckdb", "prefect", "httpx", "requests", "openai", "apache_beam", "urllib", "socket", "shutil",
             "pipelines.io", "pipelines.store", "pipelines.runners", "pipelines.plan",
             "pipelines.llm.client", "pipelines.llm.transport", "pipelines.llm.runner", "pipelines.llm.cache",
             "tqdm", "rich"}  # stages report progress through pipelines.progress only


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
    # `vocab.is_open(a)` (an open attribute) is no file: llm_tasks/options.py asks it
    assert not re.search(r"(?<!is_)open\(", path.read_text()), f"{path.name} opens files"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def _imported_from(tree: ast.AST, module: str) -> set[str]:
    return {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == module for a in n.names}


def test_cli_and_flow_share_the_runner():
    """Both call `pipelines.runners.local.run_build`; the CLI with its default step executor
    (`execute_step`), the flow with a Prefect task whose body is `execute_step`."""
    import inspect

    from pipelines.runners import local as runner

    root = Path(__file__).resolve().parents[2] / "pipelines" / "runners"
    cli, flows = (ast.parse((root / name).read_text()) for name in ("cli.py", "prefect_build.py"))
    for tree in (cli, flows):
        assert "run_build" in _imported_from(tree, "pipelines.runners.local")
    (cli_call,) = _calls(cli, "run_build")
    assert not any(k.arg == "execute" for k in cli_call.keywords)
    assert inspect.signature(runner.run_build).parameters["execute"].default is runner.execute_step
    (flow_call,) = _calls(flows, "run_build")
    execute = next(k.value for k in flow_call.keywords if k.arg == "execute")
    task = next(n for n in ast.walk(flows) if isinstance(n, ast.FunctionDef) and n.name == execute.id)
    assert _calls(task, "execute_step"), f"the flow's {execute.id} does not run execute_step"

"""Runners choose their own execution or writer for a step by its params' type, never by its name
(ARCHITECTURE.md, "Data flow"): a step renamed in the plan runs and is written the same way."""

import ast
import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER_MODULES = sorted([*(ROOT / "pipelines" / "runners").glob("*.py"), *(ROOT / "pipelines" / "beam").glob("*.py")])


def _is_step_name(node: ast.AST) -> bool:
    """`step.name`, `s.name`, `self.step.name`: a plan step's name."""
    if not (isinstance(node, ast.Attribute) and node.attr == "name"):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id in {"step", "s"}) or (
        isinstance(owner, ast.Attribute) and owner.attr == "step")


def _is_constant(node: ast.AST) -> bool:
    """A literal, a CONSTANT, a module's CONSTANT (layout.EXPORT), or a collection of them."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return all(_is_constant(e) for e in node.elts)
    return False


def name_dispatches(source: str) -> list[int]:
    """Lines where a step's name is compared to a literal or constant."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_step_name(o) for o in operands) and any(_is_constant(o) for o in operands):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("snippet", [
    'writer = make(cfg) if step.name == "export" else None',
    "rows = merit(rows) if step.name == layout.EXPORT else rows",
    "if self.step.name in {'render', 'negatives'}: pass",
    "if EXPORT != s.name: pass",
])
def test_the_scan_finds_a_dispatch_by_name(snippet):
    """The scan below can fail: it flags each form the runners used before (#27)."""
    assert name_dispatches(snippet) == [1]


@pytest.mark.parametrize("path", RUNNER_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_runner_dispatches_on_a_step_name(path):
    found = name_dispatches(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} compares a step's name to a constant at line(s) {found}: key a table by type(step.params)"


def test_the_export_writer_is_found_by_params_type_when_the_step_is_renamed(tmp_path):
    """The local runner's export writer and its MERIT row counts follow the params' type, not the name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.config import load_config
    from pipelines.io import layout
    from pipelines.resources import DEMO_DIR
    from pipelines.runners import local
    from pipelines.stages import export

    steps = local.local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, load_config())
    (step,) = [dataclasses.replace(s, name="publish") for s in steps if isinstance(s.params, export.ExportParams)]
    assert local.WRITERS[type(step.params)] is local._export_writer
    assert [s.name for s in steps if type(s.params) in local.WRITERS] == ["export"]
    pool = tmp_path / "folder" / layout.MERIT / "products"
    pool.mkdir(parents=True)
    pq.write_table(pa.table({"id": [1, 2, 3]}), pool / "train-00000.parquet")
    rows = {"queries": 1, "merit_products": 9}
    assert local.written_rows(step, tmp_path / "folder", rows) == {"queries": 1, "merit_products.train": 3}
    other = dataclasses.replace(steps[0], name="export")  # a step named export that is no export
    assert local.written_rows(other, tmp_path / "folder", rows) == rows

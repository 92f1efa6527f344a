"""ARCHITECTURE: `io/layout.py` is the one owner of the on-disk layout: no other module spells a run
file's or an export folder's name (docstrings and comments aside), so a layout change is one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.io import layout

ROOT = Path(__file__).resolve().parents[2]
NAMES = {layout.CONFIG_FILE, layout.REPORT_FILE, layout.AUDIT_FILE, layout.MARKER, layout.LLM_CACHE_FILE,
         layout.CARD_FILE, layout.EVAL_FILE, layout.PREDICTIONS_FILE}
FOLDERS = {layout.DATA, layout.MERIT, layout.EXPORT}
# langid/data is the Malay/Indonesian model's package folder, not the export's `data`.
PACKAGE_DATA = {ROOT / "pipelines" / "langid" / "msid.py"}
MODULES = sorted(p for d in ("pipelines", "annotation_ui") for p in (ROOT / d).rglob("*.py")
                 if p.name != "layout.py" and p not in PACKAGE_DATA)


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def spelled(path: Path) -> list[str]:
    """Layout names spelled as string literals: a run file's name anywhere, a folder name in a `/` join."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    found = [f"{n.lineno}: {n.value!r}" for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and n.value in NAMES and id(n) not in skip]
    found += [f"{n.lineno}: / {n.right.value!r}" for n in ast.walk(tree)
              if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and isinstance(n.right, ast.Constant)
              and n.right.value in FOLDERS]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_layout_spells_a_layout_name(path):
    assert not spelled(path), f"{path.relative_to(ROOT)} spells layout names; use pipelines.io.layout: {spelled(path)}"


def test_the_check_finds_a_spelled_name(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Reads report.json."""\nfrom pathlib import Path\nP = Path("run") / "export"\nQ = "audit.json"\n')
    assert spelled(bad) == ["4: 'audit.json'", "3: / 'export'"]

"""ARCHITECTURE.md's checkable statements (marked ✓ there) hold in the code, and the page stays one page.

Module names: test_architecture_names.py; no import circle: test_import_cycles.py; no dispatch by a
step's name: tests/runners/test_dispatch_by_type.py; planning opens no file: tests/plan/test_step_fingerprints.py;
one layout owner: test_layout_owner.py; the CLI and the flow share run_build: test_architecture.py. This file checks the rest and that each test the page names exists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


def test_the_page_is_one_page():
    lines = PAGE.splitlines()
    assert len(lines) <= 120, f"ARCHITECTURE.md has {len(lines)} lines: keep it to one page"
    assert max(map(len, lines)) <= 220, "a line (a table row) too long to read at a glance"


def test_every_test_the_page_names_exists():
    named = set(re.findall(r"`((?:tests/)?[\w/]*test_\w+\.py)`", PAGE))
    assert named
    tests = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")]
    missing = [n for n in named if not any(t == n or t.endswith("/" + n) for t in tests)]
    assert not missing, f"ARCHITECTURE.md names tests that do not exist: {missing}"


def _reject_row_dicts(path: Path) -> list[int]:
    """Line numbers of dict literals that are reject rows (a `stage` and a `reason` key)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Dict)
            and {"stage", "reason"} <= {getattr(k, "value", None) for k in n.keys}]


@pytest.mark.parametrize("path", [p for p in _modules("pipelines", "annotation_ui") if p.name != "results.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_reject_rows_are_built_by_reject_log_only(path):
    assert not _reject_row_dicts(path), f"{path.relative_to(ROOT)} builds reject rows itself; use results.RejectLog"


def test_the_reject_row_check_finds_a_hand_built_row(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('rows = [{"stage": "mine", "reason": "x", "message": "m"}]\n')
    assert _reject_row_dicts(bad) == [1]


def _direct_steps(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Step"]


@pytest.mark.parametrize("path", [p for p in _modules("pipelines/plan") if p.name != "step.py"],
                         ids=lambda p: p.name)
def test_the_plan_makes_every_step_with_planned(path):
    """Version, digest and files derived: no plan module calls `Step(...)` with a hand-written digest."""
    assert not _direct_steps(path), f"plan/{path.name} builds a Step by hand at lines {_direct_steps(path)}"


def test_digest_refuses_what_is_not_data():
    from pipelines.plan.step import digest

    with pytest.raises(TypeError):
        digest(lambda: 1)


def test_ci_runs_the_import_contracts():
    assert re.search(r"^lint-imports\b", (ROOT / ".ci" / "run").read_text(), re.M)


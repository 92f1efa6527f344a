"""The README's test command is the fast set, and CI runs it and then the slow tests (every test runs in CI)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command_and_the_slow_tests():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^\.venv/bin/(python -m pytest[^\n]*)$", readme, re.M).group(1)
    assert command == 'python -m pytest -q -m "not slow"'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci and "python -m pytest -q -m slow" in ci
    assert ci.index(command) < ci.index("python -m pytest -q -m slow")
    assert "apt-get install chromium" in readme  # the browser test's requirement is documented

"""ARCHITECTURE.md's module table names modules that exist, and names every module at `pipelines/`'s root and
every package (#27): a move or a new loose module shows up here until the table says where it went."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "pipelines"


def table_names() -> list[str]:
    """The backticked names in the first column of ARCHITECTURE.md's tables."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    cells = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    return [name for cell in cells for name in re.findall(r"`([^`]+)`", cell)]


def _exists(name: str) -> bool:
    base = ROOT if name.startswith("annotation_ui") else PIPELINES
    return any(base.glob(name.rstrip("/"))) if "*" in name else (base / name).exists()


def test_every_name_in_the_module_table_exists():
    assert table_names(), "no module table found"
    missing = [name for name in table_names() if not _exists(name)]
    assert not missing, f"ARCHITECTURE.md names modules that do not exist: {missing}"


def test_every_root_module_and_package_is_in_the_table():
    names = table_names()
    root_modules = sorted(p.name for p in PIPELINES.glob("*.py") if p.name != "__init__.py")
    packages = sorted(p.parent.name for p in PIPELINES.glob("*/__init__.py"))
    unnamed = [m for m in root_modules if m not in names]
    unnamed += [f"{p}/" for p in packages if not any(n.startswith(f"{p}/") for n in names)]
    assert not unnamed, f"not in ARCHITECTURE.md's module table: {unnamed}"

"""Every core dependency in pyproject.toml is imported by the package (or named here with the
reason it is needed without an import), so nothing heavy rides along unused."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Needed though never imported by name: what uses it.
USED_WITHOUT_IMPORT = {"python-multipart": "FastAPI's Form() parsing in annotation_ui/views.py"}


def _imported_modules() -> set[str]:
    found = set()
    for folder in ("pipelines", "annotation_ui"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_core_dependency_is_imported():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {_normalise(re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0]) for dep in deps}
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(_normalise(dist), set()).add(module)
    imported = _imported_modules()
    unused = sorted(n for n in names - set(USED_WITHOUT_IMPORT) if not modules_of.get(n, set()) & imported)
    assert unused == [], f"core dependencies nothing imports (use them, or move them to an extra): {unused}"

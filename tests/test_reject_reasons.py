"""Every reject reason the code writes has a line in `pipelines/reject_reasons.py`, and every line
there is a reason the code writes; the README's section and the card show those lines.

The code is read, not run: a reason is a string literal (or a module constant) given as the reason
of a reject builder (`RejectLog.add`, `RowRejected`, `AttemptFailed`, `ImageRejected`, an LLM
parser's `Parsed(None, reason, ...)` / `reject`, `reason=`), assigned to a variable named
`reason` or `why` that reaches such a builder or is returned (also from what a called function
returns), or the `reason` of a reject-row dict (one with a `stage` key).
"""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines import reject_reasons
from pipelines.card.parts import md_table, rejects_table

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = {"add": 0, "RowRejected": 0, "AttemptFailed": 0, "ImageRejected": 0, "_reject": 0, "reject": 0, "Parsed": 1}
REASON_NAMES = {"reason", "why"}
NOT_REASONS = {"ok"}  # brands.resolve's "accepted"


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text()) for p in sorted((ROOT / "pipelines").rglob("*.py"))
            if p.name != "reject_reasons.py"}


def _constants(modules) -> dict[str, list[ast.expr]]:
    """Module-level NAME = value assignments of every module, by name."""
    found: dict[str, list[ast.expr]] = {}
    for tree in modules.values():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                found.setdefault(node.targets[0].id, []).append(node.value)
    return found


def _strings(node: ast.expr, constants) -> set[str]:
    """The reason strings an expression can be: literals, conditional branches, the first item of
    a (reason, message) tuple, module constants by name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) | _strings(node.orelse, constants)
    if isinstance(node, ast.Tuple) and node.elts:
        return _strings(node.elts[0], constants)
    if isinstance(node, ast.Starred):
        return _strings(node.value, constants)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and len(node.args) == 3:
        return _strings(node.args[2], constants)  # getattr(result, "reason", DEFAULT)
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    if name and name.isupper():
        return set().union(*[_strings(v, constants) for v in constants.get(name, [])])
    return set()


def _assigned(target: ast.expr, value: ast.expr, constants, names: set[str]) -> set[str]:
    """Strings assigned to one of `names`, positions matched in tuple targets."""
    if isinstance(target, ast.Name):
        return _strings(value, constants) if target.id in names else set()
    if isinstance(target, ast.Tuple):
        values = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
        return {s for v in values if isinstance(v, ast.Tuple) and len(v.elts) == len(target.elts)
                for t, e in zip(target.elts, v.elts) for s in _assigned(t, e, constants, names)}
    return set()


def _returns(value: ast.expr, functions: list[ast.FunctionDef]) -> list[ast.expr]:
    """What a called function (`brand, why = brands.resolve(...)`) returns, by its name."""
    if not isinstance(value, ast.Call):
        return []
    name = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", None)
    return [r.value for f in functions if f.name == name for r in ast.walk(f)
            if isinstance(r, ast.Return) and r.value is not None]


def _builder_reason(node: ast.Call) -> list[ast.expr]:
    """The expressions a reject builder call takes as its reason."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    at = BUILDERS.get(name)
    found = [k.value for k in node.keywords if k.arg == "reason"]
    pair = len(node.args) >= 2 or isinstance(node.args[0], ast.Starred) if node.args else False  # (reason, message)
    if at is not None and len(node.args) > at and (name != "add" or pair):  # a set's add takes one item
        found.append(node.args[at])
    return found


def _flowing(scope: ast.AST) -> set[str]:
    """Names in `scope` that reach a builder's reason or leave by `return` (a caller may reject with them)."""
    names = set()
    for node in ast.walk(scope):
        exprs = _builder_reason(node) if isinstance(node, ast.Call) else [node.value] if (
            isinstance(node, ast.Return) and node.value is not None) else []
        names |= {n.id for e in exprs for n in ast.walk(e) if isinstance(n, ast.Name)}
    return names


def _scope_reasons(scope: ast.AST, constants, functions) -> set[str]:
    """Reason strings written in one function (or a module's top level)."""
    flowing = _flowing(scope) & REASON_NAMES
    strings: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Call):
            strings |= {s for e in _builder_reason(node) for s in _strings(e, constants)}
        elif isinstance(node, ast.Dict):
            keys = [getattr(k, "value", None) for k in node.keys]
            if "stage" in keys and "reason" in keys:
                strings |= _strings(node.values[keys.index("reason")], constants)
        elif isinstance(node, ast.Assign) and flowing:
            for target in node.targets:
                for value in [node.value, *_returns(node.value, functions)]:
                    strings |= _assigned(target, value, constants, flowing)
        elif isinstance(node, ast.For) and flowing and isinstance(node.iter, ast.Tuple):
            strings |= {s for item in node.iter.elts for s in _assigned(node.target, item, constants, flowing)}
    return strings - NOT_REASONS


def _written_reasons() -> dict[str, set[str]]:
    """reason -> the files that write it."""
    modules = _modules()
    constants = _constants(modules)
    functions = [n for tree in modules.values() for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    found: dict[str, set[str]] = {}
    for path, tree in modules.items():
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)] or [tree]
        for scope in scopes:
            for reason in _scope_reasons(scope, constants, functions):
                found.setdefault(reason, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_written_reason_has_a_line_and_every_line_is_written():
    written = _written_reasons()
    missing = {r: sorted(w) for r, w in written.items() if r not in reject_reasons.REASONS}
    assert not missing, f"reject reasons with no line in pipelines/reject_reasons.py: {missing}"
    unused = sorted(set(reject_reasons.REASONS) - set(written))
    assert not unused, f"pipelines/reject_reasons.py lists reasons nothing writes: {unused}"


def test_each_line_is_one_short_sentence_or_two():
    for reason, line in reject_reasons.REASONS.items():
        assert reason == reason.strip().lower() and " " not in reason, reason
        assert line and "\n" not in line and "|" not in line and len(line) <= 240, reason  # one table cell


def test_the_readme_section_is_what_the_registry_renders():
    readme = (ROOT / "README.md").read_text()
    assert reject_reasons.readme_section() in readme, (
        "README's 'Reject reasons' section differs from pipelines/reject_reasons.py: "
        "paste `python -m pipelines.reject_reasons` over it")


def test_the_card_rejects_table_shows_each_reasons_line():
    rows = [["ingest", "duplicate_id", 2], ["caption_filter", "image_blind", 1], ["mine", "some_new_reason", 1]]
    assert rejects_table(rows) == md_table(
        ["stage", "reason", "rows", "what it means, what to do"],
        [["ingest", "duplicate_id", 2, reject_reasons.REASONS["duplicate_id"]],
         ["caption_filter", "image_blind", 1, reject_reasons.REASONS["image_blind"]],
         ["mine", "some_new_reason", 1, ""]])


def test_the_demo_cards_rejects_table_gives_each_reasons_line(demo_build):
    card = (demo_build.run_dir / "export" / "README.md").read_text(encoding="utf-8")
    table = card.split("## Rejects by reason")[1].split("\n## ")[0]
    assert "| stage | reason | rows | what it means, what to do |" in table
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows and all(row[3].rstrip(" |") == reject_reasons.REASONS[row[1]] for row in rows)

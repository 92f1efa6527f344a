"""No import circle between the modules of `pipelines` and `annotation_ui` (#27).

Two modules that import each other (directly or through others) can only be read, tested and
moved together; a circle is also where a half-initialised module bites at import time. The graph is
grimp's (import-linter's engine), `if TYPE_CHECKING:` imports included: a type a module names ties it to
the module that defines it as much as a run-time import does.
"""

from __future__ import annotations

import grimp
import pytest


def import_circles(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """The graph's strongly connected components of two or more modules (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(frozenset(component))
    return circles


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_the_finder_finds_direct_and_longer_circles_and_nothing_else():
    graph = _graph(("p.a", "p.b"), ("p.b", "p.a"), ("p.c", "p.d"), ("p.d", "p.e"), ("p.e", "p.c"),
                   ("p.a", "p.c"), ("p.f", "p.a"), ("p.x", "p.y"))
    assert sorted(map(sorted, import_circles(graph))) == [["p.a", "p.b"], ["p.c", "p.d", "p.e"]]
    assert import_circles(_graph(("p.a", "p.b"), ("p.b", "p.c"))) == []


@pytest.fixture(scope="module")
def project_graph() -> grimp.ImportGraph:
    return grimp.build_graph("pipelines", "annotation_ui", cache_dir=None)  # a cached graph can miss an edit


def _chain(graph: grimp.ImportGraph, circle: frozenset[str]) -> str:
    first = min(circle)
    back = next(m for m in sorted(graph.find_modules_directly_imported_by(first)) if m in circle)
    return " -> ".join([first, *graph.find_shortest_chain(importer=back, imported=first)])


def test_no_import_circle(project_graph):
    assert {"annotation_ui.app", "pipelines.runners.cli"} <= project_graph.modules, "grimp read another package"
    circles = import_circles(project_graph)
    assert not circles, "import circles: " + "; ".join(_chain(project_graph, c) for c in circles)

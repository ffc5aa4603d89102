"""The product's import graph: no cycles, the portal reached only over HTTP, the tooling apart.

Every import counts: at module level, inside functions and under ``TYPE_CHECKING`` (an import
moved into a function to dodge a cycle is still a cycle).
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("actions", "connectors", "console", "govbot", "portal")
TOOLING = "connectors.wechat.testing"
# Only the commands that start the local demo may start the fake WeChat API.
DEMO_STARTERS = {"govbot.up"}
# These talk to the portal over HTTP (the portal client, its webhook events), never in-process.
PORTAL_CLIENTS = ("actions", "connectors", "console")

Graph = Dict[str, Set[str]]


def modules(root: Path = ROOT, packages: tuple = PRODUCT) -> Dict[str, Path]:
    found: Dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_names(name: str, path: Path) -> Set[str]:
    """Every module name an import in ``path`` may refer to (``from a import b`` gives a and a.b)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def import_graph(found: Dict[str, Path]) -> Graph:
    graph: Graph = {}
    for name, path in found.items():
        targets = set()
        for imported in imported_names(name, path):
            while imported and imported not in found:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: Graph) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


GRAPH = import_graph(modules())


def test_the_product_has_no_import_cycle():
    assert cycles(GRAPH) == []


def test_the_portal_is_reached_over_http_only():
    crossing = sorted(f"{name} -> {target}" for name, targets in GRAPH.items() for target in targets
                      if name.startswith(PORTAL_CLIENTS) and is_under(target, "portal"))
    assert crossing == []


def test_only_the_demo_starters_import_the_tooling():
    crossing = sorted(f"{name} -> {target}" for name, targets in GRAPH.items() for target in targets
                      if is_under(target, TOOLING) and not is_under(name, TOOLING) and name not in DEMO_STARTERS)
    assert crossing == []
    assert any(is_under(name, TOOLING) for name in GRAPH)  # the package the rule is about exists


def test_the_checks_see_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import B\n")
    (package / "b.py").write_text("def make():\n    from . import a\n    return a\n")
    (package / "c.py").write_text("import pkg.a\n")
    graph = import_graph(modules(tmp_path, ("pkg",)))
    assert "pkg.a" in graph["pkg.b"] and graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]

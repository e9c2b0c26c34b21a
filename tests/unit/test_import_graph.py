"""The package's modules form a graph without cycles, and nothing imports the package root.

The rule: no module's imports lead back to it, whatever kind they are: top-level ones, those
under ``if TYPE_CHECKING:`` and those inside functions all count. A type-only cycle is still two
rooms that each need the other to be understood; a newcomer cannot tell which one a name
belongs to, and the next runtime import along it makes the import order matter.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "eg4"
ROOT = "custom_components.eg4"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _targets(
    module: str, is_package: bool, node: ast.Import | ast.ImportFrom, modules: set[str]
) -> set[str]:
    """The package's modules an import statement runs.

    ``from .x import y`` runs ``x``, or only ``x.y`` when ``y`` is a submodule and ``x`` is a
    package the importer sits in (Python has already started that one: it is a parent).
    """
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    if node.level:
        base = module.split(".")
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    if prefix not in modules:
        return set()
    parent = module == prefix or module.startswith(prefix + ".")
    targets: set[str] = set()
    for alias in node.names:
        sub = f"{prefix}.{alias.name}"
        if sub in modules:
            targets.add(sub)
            if not parent:
                targets.add(prefix)
        else:
            targets.add(prefix)
    return targets


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module: top level, under TYPE_CHECKING, inside functions."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(name, path.name == "__init__.py", node, set(files)) - {name}
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles() -> None:
    """No module's imports (TYPE_CHECKING and function-level ones included) lead back to it."""
    assert _cycles(_graph()) == []


def test_nothing_imports_the_package_root() -> None:
    """The package root is Home Assistant's entry point, not a place to take types from."""
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name == ROOT:
            continue
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if ROOT in _targets(name, path.name == "__init__.py", node, modules):
                importers.add(name)
    assert sorted(importers) == []


def test_the_walker_sees_a_cycle() -> None:
    """The check itself: two modules that import each other at the top are a cycle."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_type_only_imports_count() -> None:
    """An import under ``if TYPE_CHECKING:`` or inside a function is an edge like any other."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from .b import B\n"
        "def f():\n"
        "    from .c import C\n"
    )
    modules = {"p", "p.a", "p.b", "p.c"}
    targets = set().union(*(_targets("p.a", False, node, modules) for node in _imports(tree)))
    assert targets == {"p.b", "p.c"}

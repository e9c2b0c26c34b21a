"""The package's modules form a graph without cycles, and nothing imports the package root.

The rule: a module's top-level imports (those that run when it is imported) may not lead back
to it. Imports under ``if TYPE_CHECKING:`` and imports inside functions are excluded: they run
never, or only after every module is loaded, so they cannot make an import order matter.
A cycle among top-level imports makes a module's contents depend on which one was imported
first; a newcomer cannot tell which room a name belongs to.
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


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports that run at import time: module level, not under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)
    return found


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


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        edges: set[str] = set()
        for node in _top_level_imports(tree):
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
    """No module's top-level imports lead back to it."""
    assert _cycles(_graph()) == []


def test_nothing_imports_the_package_root() -> None:
    """The package root is Home Assistant's entry point, not a place to take types from.

    Every import counts here, TYPE_CHECKING ones too.
    """
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name == ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            imports = isinstance(node, ast.ImportFrom | ast.Import)
            if imports and ROOT in _targets(name, path.name == "__init__.py", node, modules):
                importers.add(name)
    assert sorted(importers) == []


def test_the_walker_sees_a_cycle() -> None:
    """The check itself: two modules that import each other at the top are a cycle."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []

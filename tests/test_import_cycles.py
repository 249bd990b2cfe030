"""No two modules of the package import each other, directly or round a loop.

Every import between modules of ``backoffice_tui`` is an edge: at module
level, inside functions, and under ``if TYPE_CHECKING:`` unless the names it
binds appear only in annotations that are never evaluated. A cycle means
import order decides whether the program starts; when A needs B and B needs
A, what they share belongs in a module above both.
"""

import ast
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import backoffice_tui

PACKAGE = Path(backoffice_tui.__file__).parent
ROOT = PACKAGE.name


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Imports(ast.NodeVisitor):
    """Collects a module's imports, and the names it uses outside annotations."""

    def __init__(self, postponed: bool) -> None:
        self.postponed = postponed  # ``from __future__ import annotations``
        self.function_depth = 0
        self.type_checking_depth = 0
        self.imports: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self.runtime_names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.visit(node.test)
        self.type_checking_depth += 1
        for statement in node.body:
            self.visit(statement)
        self.type_checking_depth -= 1
        for statement in node.orelse:
            self.visit(statement)

    def visit_Import(self, node: ast.Import) -> None:
        self.imports.append((node, self.type_checking_depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.append((node, self.type_checking_depth > 0))

    def visit_Name(self, node: ast.Name) -> None:
        self.runtime_names.add(node.id)

    def _annotation(self, annotation: ast.expr | None, evaluated: bool) -> None:
        # A string annotation holds no Name nodes, so it never counts.
        if annotation is not None and evaluated:
            self.visit(annotation)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expression in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expression is not None:
                self.visit(expression)
        arguments = node.args
        for argument in [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        ]:
            if argument is not None:
                self._annotation(argument.annotation, not self.postponed)
        self._annotation(node.returns, not self.postponed)
        self.function_depth += 1
        for statement in node.body:
            self.visit(statement)
        self.function_depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        # Annotations of local variables are never evaluated; others are,
        # unless evaluation is postponed.
        self._annotation(node.annotation, not self.postponed and self.function_depth == 0)
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)


def _resolve(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(name bound by the import, module of the package it loads) pairs."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in MODULES:
                yield alias.asname or alias.name.split(".")[0], alias.name
        return
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package.pop()
        base = ".".join([*package[: len(package) - node.level + 1], node.module or ""]).strip(".")
    else:
        base = node.module or ""
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        target = submodule if submodule in MODULES else base
        if target in MODULES:
            yield alias.asname or alias.name, target


def imported_modules(module: str, source: str) -> set[str]:
    """The modules of the package that ``module`` (whose text is ``source``) loads."""
    tree = ast.parse(source)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    visitor = _Imports(postponed)
    visitor.visit(tree)
    return {
        target
        for node, type_checking in visitor.imports
        for bound, target in _resolve(module, node)
        if target != module and not (type_checking and bound not in visitor.runtime_names)
    }


def import_graph() -> dict[str, set[str]]:
    return {
        module: imported_modules(module, path.read_text(encoding="utf-8"))
        for module, path in MODULES.items()
    }


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
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
                    components.append(component)
    return components


def _shortest_path(graph: dict[str, set[str]], within: set[str], start: str, end: str) -> list[str]:
    previous: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        if node == end:
            path = [end]
            while path[-1] != start:
                path.append(previous[path[-1]])
            return path[::-1]
        for successor in sorted(graph[node] & within):
            if successor not in seen:
                seen.add(successor)
                previous[successor] = node
                queue.append(successor)
    raise AssertionError(f"{end} is not reachable from {start}")


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """The shortest cycle through every import that lies on one, each once."""
    found: set[tuple[str, ...]] = set()
    for component in _components(graph):
        for source in component:
            for target in graph[source] & component:
                loop = [source, *_shortest_path(graph, component, target, source)[:-1]]
                first = loop.index(min(loop))
                found.add(tuple(loop[first:] + loop[:first]))
    short = len(ROOT) + 1
    return sorted(" -> ".join(name[short:] for name in (*loop, loop[0])) for loop in found)


def test_the_import_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # at module level
    assert "backoffice_tui.store.models.orders" in graph["backoffice_tui.store.models"]
    # inside a function (the console loads Textual only when it opens)
    assert "backoffice_tui.tui.app" in graph["backoffice_tui.cli.console"]


def test_type_checking_imports_count_unless_only_annotations_use_them() -> None:
    module = "backoffice_tui.services.work.queue"
    header = (
        "from typing import TYPE_CHECKING, cast\n"
        "if TYPE_CHECKING:\n"
        "    from backoffice_tui.store.models import WorkItem\n"
        "    from backoffice_tui.services import work\n"
    )
    annotations_only = header + (
        "def first(items: 'list[WorkItem]') -> 'WorkItem':\n"
        "    chosen: WorkItem = items[0]\n"
        "    return chosen\n"
    )
    assert imported_modules(module, annotations_only) == set()
    postponed = "from __future__ import annotations\n" + header
    postponed += "def first(items: list[WorkItem]) -> work.items.Item: ...\n"
    assert imported_modules(module, postponed) == set()
    evaluated = header + "def first(items: list[WorkItem]) -> None: ...\n"
    assert imported_modules(module, evaluated) == {"backoffice_tui.store.models"}
    used = header + "def first(items: list) -> 'WorkItem':\n    return cast(WorkItem, items[0])\n"
    assert imported_modules(module, used) == {"backoffice_tui.store.models"}
    submodule = header + "class Item(work.items.Item): ...\n"
    assert imported_modules(module, submodule) == {"backoffice_tui.services.work"}
    relative = "from . import lifecycle\nfrom ..context import Context\n"
    assert imported_modules(module, relative) == {
        "backoffice_tui.services.work.lifecycle",
        "backoffice_tui.services.context",
    }


def test_every_cycle_is_printed_once_from_its_first_module() -> None:
    graph = {
        "backoffice_tui.a": {"backoffice_tui.b"},
        "backoffice_tui.b": {"backoffice_tui.a", "backoffice_tui.c"},
        "backoffice_tui.c": {"backoffice_tui.a"},
        "backoffice_tui.d": {"backoffice_tui.a"},
    }
    assert cycles(graph) == ["a -> b -> a", "a -> b -> c -> a"]


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(found)

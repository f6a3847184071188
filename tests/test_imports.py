"""The import graph has no cycles, and lower layers never import the web layers.

The graph is built with :mod:`ast` over every module of ``civicdata``,
``consent``, ``anonymise`` and ``policies``. It counts module-level and
function-level imports alike (a lazy import inside a function is still a
dependency: it only hides the cycle until run time) and leaves out imports
under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.modules import PACKAGES, module_files

# The layers that serve HTTP; only the app factory and the CLI sit above them.
WEB_LAYERS = ("civicdata.app", "civicdata.web", "civicdata.api")
# Modules below the web layers (services, storage, keys, audit, domain packages).
LOWER = (
    "civicdata.models",
    "civicdata.db",
    "civicdata.context",
    "civicdata.config",
    "civicdata.keys",
    "civicdata.vault",
    "civicdata.records",
    "civicdata.audit",
    "civicdata.releases",
    "civicdata.consents",
    "civicdata.identity",
    "civicdata.ingestion",
    "civicdata.demo",
    "civicdata.citizens",
    "civicdata.city",
    "civicdata.request_scope",
    "civicdata.i18n",
    "consent",
    "anonymise",
    "policies",
)

Graph = dict[str, set[str]]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth, outside ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _imports(child)


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies within."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(packages: Mapping[str, Path]) -> Graph:
    """Edges from each module to the modules of ``packages`` that it imports."""
    modules = module_files(packages)
    graph: Graph = {name: set() for name in modules}
    for name, source in modules.items():
        is_package = source.name == "__init__.py"
        for node in _imports(ast.parse(source.read_text(), str(source))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from pkg import mod`` imports the module; ``from mod import name`` the module.
                targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def upward_imports(graph: Graph) -> list[str]:
    """Imports of the app, web or API layers from the modules below them."""
    return sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        if _within(source, LOWER)
        for target in targets
        if _within(target, WEB_LAYERS)
    )


ROUTES = ("civicdata.web", "civicdata.api", "civicdata.oauth.routes")
SQL = {"select", "insert", "update", "delete", "text", "func", "literal_column"}


def web_to_api(graph: Graph) -> set[str]:
    """Portal views that import the API layer instead of a service."""
    return {
        f"{source} -> {target}"
        for source, targets in graph.items()
        if _within(source, ("civicdata.web",))
        for target in targets
        if _within(target, ("civicdata.api",))
    }


def sql_in_routes(packages: Mapping[str, Path]) -> set[str]:
    """Route modules that import SQLAlchemy's statement builders (SQL belongs to services)."""
    found = set()
    for name, source in module_files(packages).items():
        if not _within(name, ROUTES):
            continue
        for node in _imports(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                found |= {f"{name}: {a.name}" for a in node.names if a.name == "sqlalchemy"}
            elif node.module == "sqlalchemy":
                found |= {f"{name}: sqlalchemy.{a.name}" for a in node.names if a.name in SQL}
    return found


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(PACKAGES)


def test_the_graph_sees_every_package_and_lazy_imports(graph: Graph) -> None:
    assert "civicdata.app" in graph and "consent.purposes" in graph
    assert "civicdata.migrations.env" in graph
    assert not any(".versions." in name for name in graph)
    assert "civicdata.web.citizen" in graph["civicdata.app"]


def packages_of(graph: Graph) -> Graph:
    """The graph between top-level packages (``consent`` and ``policies`` as two nodes)."""
    collapsed: Graph = {}
    for source, targets in graph.items():
        top = source.partition(".")[0]
        collapsed.setdefault(top, set()).update(
            t.partition(".")[0] for t in targets if t.partition(".")[0] != top
        )
    return collapsed


def test_no_import_cycles(graph: Graph) -> None:
    assert cycles(graph) == []


def test_no_cycles_between_the_packages(graph: Graph) -> None:
    assert cycles(packages_of(graph)) == []
    assert "consent" in packages_of(graph)["policies"]  # policies build on consent's purposes


def test_nothing_below_the_web_layers_imports_them(graph: Graph) -> None:
    assert upward_imports(graph) == []


def test_portal_views_call_services_not_the_api(graph: Graph) -> None:
    assert web_to_api(graph) == set()


def test_routes_run_no_sql() -> None:
    assert sql_in_routes(PACKAGES) == set()


def test_sql_in_a_view_is_found(tmp_path: Path) -> None:
    web = tmp_path / "platform" / "web"
    web.mkdir(parents=True)
    (web / "__init__.py").write_text("")
    (web / "page.py").write_text("def view():\n    from sqlalchemy import select, orm\n")
    assert sql_in_routes({"civicdata": tmp_path / "platform"}) == {
        "civicdata.web.page: sqlalchemy.select"
    }


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    root = tmp_path / "pkg"
    for rel, text in {"__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return {"pkg": root}


def test_a_function_level_import_that_closes_a_cycle_is_found(tmp_path: Path) -> None:
    packages = _package(
        tmp_path,
        {
            "a.py": "from pkg.b import f\n",
            "b.py": "def f():\n    from pkg import a\n    return a\n",
            "c.py": "from . import a\n",
        },
    )
    graph = import_graph(packages)
    assert graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_relative_imports_inside_subpackages_close_a_cycle(tmp_path: Path) -> None:
    packages = _package(
        tmp_path,
        {
            "sub/__init__.py": "from .x import thing\n",
            "sub/x.py": "from ..y import other\nthing = 1\n",
            "y.py": "from pkg.sub import thing as other\n",
        },
    )
    assert cycles(import_graph(packages)) == [["pkg.sub", "pkg.sub.x", "pkg.y"]]


def test_imports_only_for_type_checking_are_not_edges(tmp_path: Path) -> None:
    packages = _package(
        tmp_path,
        {
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n",
            "b.py": "import pkg.a\n",
        },
    )
    assert cycles(import_graph(packages)) == []


def test_packages_that_import_each_other_are_a_cycle() -> None:
    graph: Graph = {"consent.purposes": {"policies.catalog"}, "policies.catalog": set()}
    graph["policies.loader"] = {"consent.purposes"}
    assert cycles(graph) == []
    assert cycles(packages_of(graph)) == [["consent", "policies"]]


def test_an_upward_import_from_a_service_is_reported() -> None:
    graph: Graph = {
        "civicdata.releases.service": {"civicdata.api.releases"},
        "civicdata.api.releases": set(),
    }
    assert upward_imports(graph) == ["civicdata.releases.service -> civicdata.api.releases"]

"""The web package's own layering: its modules import one another without a cycle, and none
of them touches SQL, the store's schema or the command line."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

WEB = Path(str(resources.files("workweave") / "web"))


def imports_of(path: Path) -> set[str]:
    """The modules a file imports (``from a import b`` counts as both ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def web_graph() -> dict[str, set[str]]:
    modules = {f"workweave.web.{p.stem}": p for p in WEB.glob("*.py") if p.stem != "__init__"}
    return {name: imports_of(path) & set(modules) for name, path in modules.items()}


def test_no_import_cycle_among_web_modules() -> None:
    graph = web_graph()
    assert "workweave.web.templating" in graph
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = [*path[path.index(node) :], node]
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
    # the pages render through the templating module, never through the app
    for name, deps in graph.items():
        if name != "workweave.web.app":
            assert "workweave.web.app" not in deps, name


def test_web_has_no_sql_and_no_command_line() -> None:
    for path in sorted(WEB.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        names = imports_of(path)
        assert "sqlalchemy" not in text, path.name
        assert "store.schema" not in text, path.name
        assert not any(n == "workweave.cli" or n.startswith("workweave.cli.") for n in names), (
            path.name
        )


def test_routes_under_a_study_get_a_study(tmp_path: Path) -> None:
    """A route with a {study} path parameter admits roles in that study (RequireStudy, which
    yields a principal with the study's id); no other route does."""
    from workweave.web import create_app
    from workweave.web.auth import RequireStudy, api_routes, requirements

    app = create_app(str(tmp_path / "web.sqlite"))
    checked = 0
    try:
        for path, route in api_routes(app.routes):
            reqs = requirements(route)
            if not reqs:
                continue
            in_study = "{study}" in path
            assert isinstance(reqs[0], RequireStudy) == in_study, (path, reqs[0])
            checked += in_study
    finally:
        app.state.store.close()
    assert checked > 35

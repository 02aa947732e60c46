"""The house's floors, measured from the code (like the engine's purity test).

apps/core is the ground floor: it imports no other app. apps/dashboard is the top floor:
no app imports it. Between them the apps form no loop: if A imports B, B never imports A,
directly or through others. Tests and migrations are left out (tests may reach anywhere)."""

from __future__ import annotations

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parents[2]


def app_imports() -> dict[str, dict[str, list[str]]]:
    """{app: {imported app: [files]}} over every module of apps/ but tests and migrations."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in APPS.rglob("*.py"):
        parts = path.relative_to(APPS).parts
        if len(parts) < 2 or "tests" in parts or "migrations" in parts:
            continue
        app = parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "apps" and len(bits) > 1 and bits[1] != app:
                    graph.setdefault(app, {}).setdefault(bits[1], []).append(str(path))
    return graph


def test_core_is_the_ground_floor_and_imports_no_app():
    assert app_imports().get("core", {}) == {}


def test_nothing_imports_the_dashboard():
    users = {app: deps["dashboard"] for app, deps in app_imports().items() if "dashboard" in deps}
    assert users == {}


def test_apps_import_each_other_without_loops():
    graph = {app: set(deps) for app, deps in app_imports().items()}
    loops = []

    def visit(app: str, trail: list[str]) -> None:
        for dep in sorted(graph.get(app, ())):
            if dep in trail:
                loops.append(" -> ".join([*trail[trail.index(dep) :], dep]))
            else:
                visit(dep, [*trail, dep])

    for app in sorted(graph):
        visit(app, [app])
    assert loops == []


def test_the_measure_sees_imports():
    """The scan is not blind: the dashboard does import the feature apps."""
    deps = app_imports()["dashboard"]
    assert {"agents", "marketdata", "portfolio", "motherai"} <= set(deps)

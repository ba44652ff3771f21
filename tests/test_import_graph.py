"""The apps depend one way (`calls → voice → flows → nlu → salesstudio`) and no modules import each other in a circle.

Read from the source (every import, at module level or inside a function), not by importing: the graph is the same
whatever a test happened to load before. The project's wiring (settings, URL map, ASGI/WSGI and Celery entry points)
sits above every app. Migrations and tests are left out. One circle is allowed: a module that queues a Celery task
imports its app's task module late (inside the function), and the task module imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["salesstudio", "nlu", "flows", "voice", "calls"]
WIRING = {"salesstudio", "salesstudio.settings", "salesstudio.urls", "salesstudio.asgi", "salesstudio.wsgi",
          "salesstudio.celery"}


def project_modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported project module, imported inside a function) for every import statement of a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    late = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a name inside a module → that module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, id(node) in late))
    return found


def rank(module: str) -> int:
    return len(LAYERS) if module in WIRING else LAYERS.index(module.split(".")[0])


def graph() -> nx.DiGraph:
    modules = project_modules()
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        for target, late in imports(name, path, modules):
            g.add_edge(name, target, late=late)
    return g


def queues_a_task(source: str, target: str, late: bool) -> bool:
    """The allowed circle: a module of app X importing `X.tasks` inside the function that queues the task."""
    return late and target == f"{source.split('.')[0]}.tasks"


def test_the_graph_is_read():
    g = graph()
    assert {"calls.consumers", "flows.runtime", "voice.asr", "nlu.dst", "salesstudio.models"} <= set(g)
    assert g.has_edge("calls.consumers", "calls.pipeline") and g.has_edge("voice.services.recordings", "voice.tasks")


def test_no_app_imports_an_app_above_it():
    upward = sorted(f"{a} → {b}" for a, b in graph().edges if rank(b) > rank(a))
    assert upward == [], "imports against the layering:\n" + "\n".join(upward)


def test_no_modules_import_each_other_in_a_circle():
    g = graph()
    g.remove_edges_from([(a, b) for a, b, late in g.edges(data="late") if queues_a_task(a, b, late)])
    circles = sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)
    assert circles == [], "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in circles)

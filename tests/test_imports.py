"""The import contract (issue 14): layers point one way, no cycles, no hidden imports.

The package is read from its source with :mod:`ast` (nothing is imported). Layers, from the
bottom: the base modules (``config``, ``errors``, ``problems``, ``messages``, ``messages_cli``,
``_io``, ``_text``, ``kernel``), ``geo``, ``io``, ``measures``, ``report``, then ``cli``. A module may import from its own layer and from
the layers below, never from a layer above; the graph of modules has no cycle, even through
imports made inside functions or under ``TYPE_CHECKING``. Inside ``measures`` and ``report``,
the rooms (sub-packages and top-level modules, :data:`ROOMS`) are ordered the same way. Imports inside functions are
kept for heavy or optional dependencies and must say why in a comment on the line or the
line above; the package's own modules are imported at the top (except by ``cli``, which
imports each command's modules when the command runs, so ``evaluation --help`` stays fast).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "evaluation"
LAYERS = ("base", "geo", "io", "measures", "report", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("config", "errors", "problems", "messages", "messages_cli", "_io", "_text",
                                                "kernel"):
        return "base"
    return parts[1]


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            package = package[: len(package) - node.level + (1 if MODULES[module].name == "__init__.py" else 0)]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    return list(dict.fromkeys(n for n in names if n.split(".")[0] == "evaluation"))


def imports() -> list[tuple[str, str, int, bool, bool]]:
    """(importer, imported, line, inside a function, has a reason comment) for every import."""
    found = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        inner = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                 for n in ast.walk(f) if isinstance(n, ast.Import | ast.ImportFrom)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                reason = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith("#")
                targets = _targets(node, module) or [None]
                found += [(module, t, node.lineno, id(node) in inner, reason) for t in targets]
    return found


def graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for importer, imported, *_ in imports():
        if imported is not None and imported != importer and imported != "evaluation":
            g.add_edge(importer, imported)
    return g


def test_layers_are_known():
    assert {layer(m) for m in MODULES} <= set(LAYERS)


def test_no_upward_import():
    upward = [f"{a} ({layer(a)}) imports {b} ({layer(b)})" for a, b in graph().edges
              if LAYERS.index(layer(b)) > LAYERS.index(layer(a))]
    assert not upward, "\n".join(upward)


def test_no_cycle():
    cycles = [c for c in nx.strongly_connected_components(graph()) if len(c) > 1]
    assert not cycles, cycles


def test_function_level_imports_are_justified():
    bad = [f"{m}:{line} imports {t or 'a library'} inside a function"
           + ("" if t is None else " (import the package's modules at the top)")
           for m, t, line, inner, reason in imports()
           if inner and (layer(m) != "cli" if t is not None else not reason)]
    assert not bad, "\n".join(bad)


# Rooms inside a layer (issue 26), from the bottom: a module may import its own room and the
# rooms before it in the list, never one after it. A room is a sub-package, or a module at
# the layer's top level. Each sub-package's docstring says the same.
ROOMS = {
    "measures": ("stats", "estimation", "snapshot", "objectives", "qualitative", "reach", "evolution", "network"),
    "report": ("tables", "figures", "context", "secrecy", "published", "editions", "sections", "formats",
               "indicators", "network_export", "publication", "runs"),
}


def room(module: str) -> tuple[str, str] | None:
    """(layer, room) of a module of a layer with rooms; None for the layer's own ``__init__``."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] not in ROOMS:
        return None
    return parts[1], parts[2]


def downward_in_rooms(edges) -> list[str]:
    bad = []
    for a, b in edges:
        ra, rb = room(a), room(b)
        if ra and rb and ra[0] == rb[0] and ROOMS[ra[0]].index(rb[1]) > ROOMS[ra[0]].index(ra[1]):
            bad.append(f"{a} (room {ra[1]}) imports {b} (room {rb[1]}, above it)")
    return bad


def test_every_module_is_in_a_known_room():
    unknown = [m for m in MODULES if room(m) and room(m)[1] not in ROOMS[room(m)[0]]]
    assert not unknown, unknown


def test_rooms_import_downward():
    bad = downward_in_rooms(graph().edges)
    assert not bad, "\n".join(bad)


def test_every_room_says_what_it_may_import():
    """A sub-package's docstring says what it holds and what it may import."""
    for package in sorted(p for p in PACKAGE.rglob("__init__.py") if p.parent.parent.name in ROOMS):
        doc = ast.get_docstring(ast.parse(package.read_text(encoding="utf-8"))) or ""
        assert "import" in doc, f"{package.relative_to(SRC)}: no word on what it may import"


@pytest.mark.parametrize("broken", ["upward", "cycle", "room"])
def test_the_contract_can_fail(broken):
    """The checks see a violation when one is added to the graph."""
    g = graph()
    if broken == "upward":
        g.add_edge("evaluation.geo.reference", "evaluation.report.sections")
        assert any(LAYERS.index(layer(b)) > LAYERS.index(layer(a)) for a, b in g.edges)
    elif broken == "room":
        g.add_edge("evaluation.report.secrecy.audit", "evaluation.report.published")
        g.add_edge("evaluation.measures.reach.distance", "evaluation.measures.network.build")
        assert len(downward_in_rooms(g.edges)) == 2
    else:
        g.add_edge("evaluation.errors", "evaluation.config")
        g.add_edge("evaluation.config", "evaluation.errors")
        assert any(len(c) > 1 for c in nx.strongly_connected_components(g))


def test_no_module_is_over_450_lines():
    """A module holds one concern (issue 14): none over 450 lines."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long

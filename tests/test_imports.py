"""The import contract (issue 14): layers point one way, no cycles, no hidden imports.

The package is read from its source with :mod:`ast` (nothing is imported). Layers, from the
bottom: the base modules (``config``, ``errors``, ``problems``, ``messages``, ``messages_cli``,
``_io``, ``_text``, ``kernel``), ``geo``, ``io``, ``measures``, ``report``, then ``cli``. A module may import from its own layer and from
the layers below, never from a layer above; the graph of modules has no cycle, even through
imports made inside functions or under ``TYPE_CHECKING``. Imports inside functions are
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


@pytest.mark.parametrize("broken", ["upward", "cycle"])
def test_the_contract_can_fail(broken):
    """The checks see a violation when one is added to the graph."""
    g = graph()
    if broken == "upward":
        g.add_edge("evaluation.geo.reference", "evaluation.report.sections")
        assert any(LAYERS.index(layer(b)) > LAYERS.index(layer(a)) for a, b in g.edges)
    else:
        g.add_edge("evaluation.errors", "evaluation.config")
        g.add_edge("evaluation.config", "evaluation.errors")
        assert any(len(c) > 1 for c in nx.strongly_connected_components(g))


def test_no_module_is_over_450_lines():
    """A module holds one concern (issue 14): none over 450 lines."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long

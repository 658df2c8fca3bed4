"""Writing a network for other tools: ties and actors as CSV, and GraphML."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from evaluation._io import atomic_write
from evaluation.measures.network_build import to_graph

__all__ = ["export_network"]


def export_network(edges: pd.DataFrame, nodes: pd.DataFrame, out_dir: Path | str, *, name: str) -> list[Path]:
    """Write ``<name>_edges.csv``, ``<name>_nodes.csv`` and ``<name>.graphml`` (atomically).

    ``nodes`` is indexed by ``actor_id`` with pseudonymous attributes only (kind, sector,
    urban/rural, QPV): names never leave the package. The CSVs open in Gephi, igraph or
    R (RSiena reads edge lists); GraphML keeps the attributes.
    """
    out = Path(out_dir)
    node_table = nodes.reset_index().rename(columns={"actor_id": "id"})
    edge_table = edges.rename(columns={"actor_a": "source", "actor_b": "target"})
    graph = to_graph(edges, nodes)
    paths = [out / f"{name}_edges.csv", out / f"{name}_nodes.csv", out / f"{name}.graphml"]
    atomic_write(paths[0], lambda p: edge_table.to_csv(p, index=False))
    atomic_write(paths[1], lambda p: node_table.to_csv(p, index=False))
    atomic_write(paths[2], lambda p: nx.write_graphml(_graphml_safe(graph), p))
    return paths


def _graphml_safe(g: nx.Graph) -> nx.Graph:
    """GraphML accepts str/int/float/bool attributes only."""
    h = nx.Graph()
    def clean(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v)
        return str(v)
    h.add_nodes_from((n, {k: clean(v) for k, v in a.items()}) for n, a in g.nodes(data=True))
    h.add_edges_from((u, v, {k: clean(x) for k, x in a.items()}) for u, v, a in g.edges(data=True))
    return h

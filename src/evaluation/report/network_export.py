"""Writing a network for other tools: ties and actors as CSV, and GraphML.

The published files never carry the exports' own actor ids (an office may use SIRET
numbers or initials): each actor of a report gets an opaque number (``acteur-001``…,
:func:`actor_numbers`), the same in every file of that report, and codes are written as
their French labels (:func:`published_network`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from evaluation._io import atomic_write
from evaluation.io.pseudonyms import PseudonymKey
from evaluation.measures.network.build import to_graph
from evaluation.report.tables import INTENSITY_LABELS, KIND_LABELS

__all__ = ["actor_numbers", "published_network", "export_network"]

#: Prefix of the published actor numbers.
ACTOR_PREFIX = "acteur-"


def actor_numbers(ids: Iterable[object], key: PseudonymKey) -> dict[str, str]:
    """An opaque number for each actor id: ``{"A017": "acteur-001", ...}``.

    Actors are numbered 1…n in the order of their keyed hash
    ``HMAC-SHA256(key, id)`` (the pseudonym key of the run, :mod:`evaluation.io.pseudonyms`),
    zero-padded to at least three digits. The order depends on the key, not on the ids,
    so neither a number nor the order of the numbers tells anything about the raw id; with
    a stable key the numbers are the same from one run to the next (like the pseudonyms),
    with a random key they change at each run. Ids are compared as strings; duplicates
    share one number.
    """
    distinct = sorted({str(i) for i in ids})
    digests = [hmac.new(key.secret, i.encode("utf-8"), hashlib.sha256).hexdigest() for i in distinct]
    ordered = [i for _, i in sorted(zip(digests, distinct, strict=True))]
    width = max(3, len(str(len(ordered))))
    return {i: f"{ACTOR_PREFIX}{n:0{width}d}" for n, i in enumerate(ordered, start=1)}


def published_network(edges: pd.DataFrame, nodes: pd.DataFrame, *, numbers: Mapping[str, str],
                      roles: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ties and actors of one network as published: actor numbers and French labels.

    ``edges`` has ``actor_a``, ``actor_b`` (raw ids) and attributes; ``nodes`` is indexed by
    raw ``actor_id``. Returns the same frames with each id replaced by its number in
    ``numbers`` (:func:`actor_numbers`; every id must have one), each tie written with the
    smaller number first, ``kind`` and ``intensity`` as French labels
    (:data:`~evaluation.report.tables.KIND_LABELS`, :data:`~evaluation.report.tables.INTENSITY_LABELS`;
    unknown codes kept), a ``role`` column with the territory's ``network_roles`` label
    (empty for other actors), and rows sorted by number.
    """
    def number(ids: pd.Series | pd.Index) -> np.ndarray:
        raw = pd.Series(np.asarray(ids, dtype=object)).astype(str)
        out = raw.map(numbers)
        if out.isna().any():
            raise ValueError(f"no published number for {int(out.isna().sum())} actor(s) of the network")
        return out.to_numpy(dtype=object)

    roles = roles or {}
    a, b = number(edges["actor_a"]), number(edges["actor_b"])
    first = np.where(a <= b, a, b) if len(a) else a
    second = np.where(a <= b, b, a) if len(a) else b
    out_edges = edges.assign(actor_a=first, actor_b=second)
    if "intensity" in out_edges:
        out_edges["intensity"] = out_edges["intensity"].map(lambda v: INTENSITY_LABELS.get(v, v))
    out_edges = out_edges.sort_values(["actor_a", "actor_b"], kind="stable").reset_index(drop=True)
    role = [roles.get(str(actor), "") for actor in nodes.index]  # one label per actor of the table
    out_nodes = nodes.assign(role=role)
    if "kind" in out_nodes:
        out_nodes["kind"] = out_nodes["kind"].map(lambda v: KIND_LABELS.get(v, v))
    out_nodes.index = pd.Index(number(nodes.index), name="actor_id")
    return out_edges, out_nodes.sort_index(kind="stable")


def export_network(edges: pd.DataFrame, nodes: pd.DataFrame, out_dir: Path | str, *, name: str) -> list[Path]:
    """Write ``<name>_edges.csv``, ``<name>_nodes.csv`` and ``<name>.graphml`` (atomically).

    ``nodes`` is indexed by ``actor_id`` with pseudonymous attributes only (kind, sector,
    urban/rural, QPV): names never leave the package. Give the frames of
    :func:`published_network`, never the raw ids. The CSVs open in Gephi, igraph or
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

"""Describing one network: density, components, E-I index, two-step reach, brokerage roles."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["ei_index", "describe", "brokerage"]


def ei_index(edges: pd.DataFrame, attribute: pd.Series) -> float:
    """Krackhardt and Stern's E-I index of ties for a node attribute.

    .. math:: EI = \\frac{E - I}{E + I}

    with E the ties between nodes of different values and I those within a value; −1
    when every tie stays within a group, +1 when every tie bridges groups. Ties with a
    node of unknown value are left out; NaN without ties.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises.
    *Social Psychology Quarterly* 51(2), 123–140.
    """
    a = edges["actor_a"].map(attribute)
    b = edges["actor_b"].map(attribute)
    known = a.notna() & b.notna()
    if not known.any():
        return float("nan")
    external = (a[known].astype(str) != b[known].astype(str)).sum()
    internal = known.sum() - external
    return float((external - internal) / (external + internal))


def _two_step_reach(g: nx.Graph) -> float:
    """Mean share of the other nodes reachable within two steps (sparse A + A²)."""
    n = g.number_of_nodes()
    if n < 2:
        return float("nan")
    adj = nx.to_scipy_sparse_array(g, weight=None, format="csr").astype(bool).astype(np.int32)
    within_two = ((adj + adj @ adj) > 0).tolil()
    within_two.setdiag(0)
    return float(np.asarray(within_two.tocsr().sum(axis=1)).ravel().mean() / (n - 1))


def describe(g: nx.Graph, *, attributes: Sequence[str] = ("kind", "urban_rural", "qpv"), seed: int = 0) -> dict:
    """Size and structure of one network.

    Returns ``actors``, ``ties``, ``density`` (:math:`2m / n(n-1)`), ``mean_degree``,
    ``clustering`` (mean local clustering), ``components``, ``largest_component_share``,
    ``centralisation`` (Freeman's degree centralisation,
    :math:`\\sum_i (d_{max} - d_i) / ((n-1)(n-2))`), ``modularity`` (of the Louvain
    partition with ``seed``), ``communities``, ``two_step_reach``, an E-I index per
    node attribute (``ei_kind``…), and the share of ties bridging urban and rural
    communes and QPV and non-QPV (``bridging_urban_rural``, ``bridging_qpv``).
    """
    n, m = g.number_of_nodes(), g.number_of_edges()
    degrees = np.array([d for _, d in g.degree()], dtype=float)
    out = {"actors": n, "ties": m,
           "density": nx.density(g) if n > 1 else float("nan"),
           "mean_degree": float(degrees.mean()) if n else float("nan"),
           "clustering": nx.average_clustering(g) if n else float("nan")}
    comps = list(nx.connected_components(g))
    out["components"] = len(comps)
    out["largest_component_share"] = max((len(c) for c in comps), default=0) / n if n else float("nan")
    out["centralisation"] = (float((degrees.max() - degrees).sum() / ((n - 1) * (n - 2)))
                             if n > 2 else float("nan"))
    if m:
        parts = nx.community.louvain_communities(g, weight="weight", seed=seed)
        out["modularity"] = nx.community.modularity(g, parts, weight="weight")
        out["communities"] = len(parts)
    else:
        out["modularity"], out["communities"] = float("nan"), n
    out["two_step_reach"] = _two_step_reach(g)
    edges = pd.DataFrame(list(g.edges()), columns=["actor_a", "actor_b"])
    for attr in attributes:
        values = pd.Series(nx.get_node_attributes(g, attr), dtype=object)
        out[f"ei_{attr}"] = ei_index(edges, values) if m else float("nan")
    for attr, key in (("urban_rural", "bridging_urban_rural"), ("qpv", "bridging_qpv")):
        values = pd.Series(nx.get_node_attributes(g, attr), dtype=object)
        if m and len(values):
            a, b = edges["actor_a"].map(values), edges["actor_b"].map(values)
            known = a.notna() & b.notna()
            out[key] = float((a[known] != b[known]).mean()) if known.any() else float("nan")
        else:
            out[key] = float("nan")
    return out


def brokerage(g: nx.Graph, actors: Sequence[str]) -> pd.DataFrame:
    """Brokerage of named actors: degree, betweenness, Burt's constraint and effective size.

    Betweenness is normalised (networkx); constraint is low and effective size high for
    an actor whose contacts are not connected to each other (a broker across structural
    holes). Actors absent from the network are reported with missing values.
    """
    present = [a for a in actors if a in g]
    betweenness = nx.betweenness_centrality(g, normalized=True) if present else {}
    constraint = nx.constraint(g, nodes=present) if present else {}
    effective = nx.effective_size(g, nodes=present) if present else {}
    return pd.DataFrame({
        "actor_id": list(actors),
        "degree": [g.degree(a) if a in g else np.nan for a in actors],
        "betweenness": [betweenness.get(a, np.nan) for a in actors],
        "constraint": [constraint.get(a, np.nan) for a in actors],
        "effective_size": [effective.get(a, np.nan) for a in actors],
    })

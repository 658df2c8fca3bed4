"""Building the actors' networks: periods, co-presence at events, declared collaborations, their change and the dyads between periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.distance import haversine_km

__all__ = ["Period", "TieChange", "split_periods", "active_actors", "copresence", "collaboration_ties", "to_graph", "tie_change",
           "dyads"]


@dataclass(frozen=True)
class Period:
    """A half-open time interval ``[start, end)``; ``None`` leaves a side open."""

    label: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def contains(self, dates: pd.Series) -> pd.Series:
        """Whether each date falls in the period."""
        inside = pd.Series(True, index=dates.index)
        if self.start is not None:
            inside &= dates >= self.start
        if self.end is not None:
            inside &= dates < self.end
        return inside.fillna(False)


def split_periods(split_date: object, *, labels: tuple[str, str] = ("before", "after"),
                  start: object = None, end: object = None) -> list[Period]:
    """Two periods on either side of ``split_date`` (the territory's ``split_date``), coded
    ``before`` and ``after`` (the report layer words them, ``evaluation.report.tables.PERIOD_LABELS``).
    """
    split = pd.Timestamp(split_date)
    return [Period(labels[0], pd.Timestamp(start) if start is not None else None, split),
            Period(labels[1], split, pd.Timestamp(end) if end is not None else None)]


def _period_attendance(attendance: pd.DataFrame, events: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    ev = events if period is None else events[period.contains(events["date"])]
    return attendance.merge(ev[["event_id"]], on="event_id").drop_duplicates(["event_id", "actor_id"])


def _active_ties(collaborations: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    if period is None or collaborations.empty:
        return collaborations
    keep = pd.Series(True, index=collaborations.index)
    if period.end is not None:
        keep &= collaborations["start_date"] < period.end
    if period.start is not None and "end_date" in collaborations:
        keep &= collaborations["end_date"].isna() | (collaborations["end_date"] >= period.start)
    return collaborations[keep.fillna(False)]


def active_actors(attendance: pd.DataFrame, events: pd.DataFrame, collaborations: pd.DataFrame,
                  period: Period | None = None) -> pd.Index:
    """Actors present in a period: at an event of the period or in a tie active in it (sorted)."""
    att = _period_attendance(attendance, events, period)
    ties = _active_ties(collaborations, period)
    ids = pd.concat([att["actor_id"], ties["actor_a"], ties["actor_b"]]).dropna().astype(str)
    return pd.Index(sorted(ids.unique()), name="actor_id")


def copresence(attendance: pd.DataFrame, events: pd.DataFrame, *, period: Period | None = None) -> pd.DataFrame:
    """Co-presence ties: pairs of actors who attended the same events, weighted by their number.

    .. math:: C = B B^\\top, \\qquad w_{ab} = C_{ab} = \\#\\{e : a \\in e,\\; b \\in e\\}

    computed as one sparse product on the actor × event incidence matrix (duplicate
    attendance rows count once), keeping the upper triangle.

    Returns
    -------
    DataFrame
        ``actor_a`` < ``actor_b`` (categoricals of the actor ids: millions of ties stay
        small), ``weight`` (shared events), sorted.
    """
    att = _period_attendance(attendance, events, period)
    if att.empty:
        return pd.DataFrame({"actor_a": pd.Series([], dtype=object), "actor_b": pd.Series([], dtype=object),
                             "weight": pd.Series([], dtype="int64")})
    # Sorted codes: code order is label order, so the upper triangle (row < col) already
    # gives actor_a < actor_b and sorting by codes sorts by labels, with no string work.
    a_codes, actors = pd.factorize(att["actor_id"].astype(str), sort=True)
    e_codes, _ = pd.factorize(att["event_id"].astype(str))
    incidence = sp.csr_matrix((np.ones(len(att), dtype=np.int32), (a_codes, e_codes)))
    shared = sp.triu(incidence @ incidence.T, k=1).tocoo()
    order = np.lexsort((shared.col, shared.row))
    labels = pd.Index(np.asarray(actors, dtype=object))
    return pd.DataFrame({"actor_a": pd.Categorical.from_codes(shared.row[order], categories=labels),
                         "actor_b": pd.Categorical.from_codes(shared.col[order], categories=labels),
                         "weight": shared.data[order].astype("int64")})


def collaboration_ties(collaborations: pd.DataFrame, *, period: Period | None = None) -> pd.DataFrame:
    """Declared ties active in the period, one row per pair.

    A tie is active in ``[start, end)`` when it started before ``end`` and has no
    ``end_date`` before ``start``. Several declarations of the same pair are merged:
    ``weight`` counts them and ``intensity`` keeps the strongest (awareness <
    cooperation < coordination < integration) when the column exists.
    """
    ties = _active_ties(collaborations, period)
    a, b = ties["actor_a"].astype(str).to_numpy(), ties["actor_b"].astype(str).to_numpy()
    frame = pd.DataFrame({"actor_a": np.minimum(a, b), "actor_b": np.maximum(a, b)})
    agg = {"weight": ("actor_a", "size")}
    if "intensity" in ties:
        frame["intensity"] = ties["intensity"].to_numpy()
        agg["intensity"] = ("intensity", "max")
    if frame.empty:
        return frame.assign(weight=pd.Series([], dtype="int64"))
    return frame.groupby(["actor_a", "actor_b"], observed=True).agg(**agg).reset_index()


def to_graph(edges: pd.DataFrame, nodes: pd.DataFrame | Sequence[str]) -> nx.Graph:
    """A networkx graph with every node (isolates included) and weighted edges.

    ``nodes`` is a list of ids or a frame indexed by ``actor_id`` whose columns become
    node attributes.
    """
    g = nx.Graph()
    if isinstance(nodes, pd.DataFrame):
        g.add_nodes_from((str(i), {k: v for k, v in row.items() if pd.notna(v)})
                         for i, row in nodes.to_dict("index").items())
    else:
        g.add_nodes_from(str(n) for n in nodes)
    attrs = [c for c in edges.columns if c not in ("actor_a", "actor_b")]
    g.add_edges_from((a, b, {c: (str(v) if c == "intensity" else v) for c, v in zip(attrs, rest, strict=False) if pd.notna(v)})
                     for a, b, *rest in edges[["actor_a", "actor_b", *attrs]].itertuples(index=False))
    return g


def _pairs(edges: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(edges["actor_a"].astype(str), edges["actor_b"].astype(str), strict=False))


@dataclass(frozen=True)
class TieChange:
    """Ties and actors of two periods compared."""

    ties_before: int
    ties_after: int
    new: int  # ties after and not before
    kept: int
    lost: int
    jaccard: float  # kept / union; NaN without ties
    joined: list[str]  # actors active after only
    left: list[str]  # actors active before only
    stayed: int


def tie_change(before: pd.DataFrame, after: pd.DataFrame, *, actors_before: Sequence[str] = (),
               actors_after: Sequence[str] = ()) -> TieChange:
    """New, kept and lost ties between two periods; Jaccard stability; who joined and left.

    .. math:: J = \\frac{|T_1 \\cap T_2|}{|T_1 \\cup T_2|}
    """
    t1, t2 = _pairs(before), _pairs(after)
    union = t1 | t2
    n1, n2 = set(map(str, actors_before)), set(map(str, actors_after))
    return TieChange(ties_before=len(t1), ties_after=len(t2), new=len(t2 - t1), kept=len(t1 & t2),
                     lost=len(t1 - t2), jaccard=len(t1 & t2) / len(union) if union else float("nan"),
                     joined=sorted(n2 - n1), left=sorted(n1 - n2), stayed=len(n1 & n2))


def dyads(actors: pd.DataFrame, copresence_before: pd.DataFrame, ties_before: pd.DataFrame,
          ties_after: pd.DataFrame, *, universe: Sequence[str] | None = None,
          coordinates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per pair of actors not collaborating in the earlier period.

    Parameters
    ----------
    actors
        Indexed by ``actor_id`` with ``kind``, ``sector``, ``commune_code``, ``in_qpv``
        and ``urban_rural``.
    copresence_before, ties_before, ties_after
        Edge tables (:func:`copresence`, :func:`collaboration_ties`).
    universe
        The actors whose pairs are considered (default: every actor of ``actors``);
        the report uses the actors active in the earlier period, the only ones who could
        have met then.
    coordinates
        ``lat``/``lon`` per commune code, for the distance between the two actors'
        communes (km); without it the distance is omitted.

    Returns
    -------
    DataFrame
        ``i``, ``j`` (integer positions in ``universe``), ``actor_a``, ``actor_b``
        (categoricals, so that millions of dyads stay small),
        ``copresence`` (shared events before), ``new_tie`` (0/1: a tie in the later
        period), and the controls ``same_kind``, ``same_sector``, ``same_commune``,
        ``both_qpv``, ``urban_rural_pair`` (one urban, one rural), ``distance_km``.
        Built with array operations over the upper triangle (no loop over pairs).
    """
    ids = np.asarray(sorted(map(str, universe if universe is not None else actors.index)), dtype=object)
    n = len(ids)
    i, j = np.triu_indices(n, k=1)
    pos = pd.Series(np.arange(n), index=ids)

    def matrix_lookup(edges: pd.DataFrame, value: str | None) -> np.ndarray:
        e = edges[edges["actor_a"].isin(pos.index) & edges["actor_b"].isin(pos.index)]
        if e.empty:
            return np.zeros(len(i), dtype=np.int64)
        r, c = pos[e["actor_a"]].to_numpy(), pos[e["actor_b"]].to_numpy()
        r, c = np.minimum(r, c), np.maximum(r, c)
        data = e[value].to_numpy(dtype=np.int64) if value else np.ones(len(e), dtype=np.int64)
        m = sp.csr_matrix((data, (r, c)), shape=(n, n))
        return np.asarray(m[i, j]).ravel()

    before = matrix_lookup(ties_before, None) > 0
    info = actors.reindex(ids)
    labels = pd.Index(ids)
    out = pd.DataFrame({"i": i.astype(np.int32), "j": j.astype(np.int32),
                        "actor_a": pd.Categorical.from_codes(i, categories=labels),
                        "actor_b": pd.Categorical.from_codes(j, categories=labels),
                        "copresence": matrix_lookup(copresence_before, "weight"),
                        "new_tie": (matrix_lookup(ties_after, None) > 0).astype(np.int8)})

    def same(col: str) -> np.ndarray:
        v = info[col].astype(object).to_numpy()
        return ((v[i] == v[j]) & pd.notna(v[i]) & pd.notna(v[j])).astype(np.int8)

    out["same_kind"] = same("kind")
    out["same_sector"] = same("sector")
    out["same_commune"] = same("commune_code")
    q = info["in_qpv"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    out["both_qpv"] = (q[i] & q[j]).astype(np.int8)
    rural = (info["urban_rural"].astype(object) == RURAL).to_numpy()
    out["urban_rural_pair"] = (rural[i] != rural[j]).astype(np.int8)
    if coordinates is not None:
        lat = info["commune_code"].map(coordinates["lat"]).to_numpy(dtype=float)
        lon = info["commune_code"].map(coordinates["lon"]).to_numpy(dtype=float)
        out["distance_km"] = haversine_km(lat[i], lon[i], lat[j], lon[j])
    return out[~before].reset_index(drop=True)

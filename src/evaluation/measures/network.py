"""Networking effects: does meeting at the tiers-lieu turn co-presence into collaboration?

Two networks per period, on the actors active in that period:

* the **co-presence** network: actors × events projected onto actors, a tie's weight being
  the number of events two actors attended together — one sparse matrix product
  :math:`C = B B^\\top` on the actor × event incidence matrix :math:`B`;
* the **collaboration** network: declared working ties active in the period (started
  before its end and not ended before its start), with their intensity when given.

Then: a description of each network, the change between periods, the **conversion** of
co-presence into new collaboration (risk ratio), a dyad-level logistic model with
dyad-robust standard errors, and a QAP permutation test.

References
----------
Krackhardt, D. (1988). Predicting with networks: nonparametric multiple regression
analysis of dyadic data. *Social Networks* 10, 359–381.
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). Cluster–robust variance estimation for
dyadic data. *Political Analysis* 23(4), 564–577.
Burt, R. S. (1992). *Structural Holes*. Harvard University Press.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import Table2x2

from evaluation._io import atomic_write
from evaluation.measures.estimation import GRADIENT_TOLERANCE, MIN_EVENTS_PER_PARAMETER, capture_warnings, events_reason, z_value
from evaluation.geo.reference import RURAL

if TYPE_CHECKING:
    from evaluation.measures.network_effect import Falsification, NetworkEffect

__all__ = [
    "Period",
    "split_periods",
    "active_actors",
    "copresence",
    "collaboration_ties",
    "to_graph",
    "ei_index",
    "describe",
    "brokerage",
    "tie_change",
    "Conversion",
    "conversion",
    "dyads",
    "DyadModel",
    "dyad_model",
    "dyad_robust_cov",
    "QAPResult",
    "qap_test",
    "export_network",
    "NetworkAnalysis",
    "analyse_network",
]


# --------------------------------------------------------------------------- periods
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


def split_periods(split_date: object, *, labels: tuple[str, str] = ("avant", "après"),
                  start: object = None, end: object = None) -> list[Period]:
    """Two periods on either side of ``split_date`` (the territory's ``split_date``)."""
    split = pd.Timestamp(split_date)
    return [Period(labels[0], pd.Timestamp(start) if start is not None else None, split),
            Period(labels[1], split, pd.Timestamp(end) if end is not None else None)]


# --------------------------------------------------------------------------- networks
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
    g.add_edges_from((a, b, {c: (str(v) if c == "intensity" else v) for c, v in zip(attrs, rest) if pd.notna(v)})
                     for a, b, *rest in edges[["actor_a", "actor_b", *attrs]].itertuples(index=False))
    return g


# --------------------------------------------------------------------------- description
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


# --------------------------------------------------------------------------- change
def _pairs(edges: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(edges["actor_a"].astype(str), edges["actor_b"].astype(str)))


def tie_change(before: pd.DataFrame, after: pd.DataFrame, *, actors_before: Sequence[str] = (),
               actors_after: Sequence[str] = ()) -> dict:
    """New, kept and lost ties between two periods; Jaccard stability; who joined and left.

    .. math:: J = \\frac{|T_1 \\cap T_2|}{|T_1 \\cup T_2|}
    """
    t1, t2 = _pairs(before), _pairs(after)
    union = t1 | t2
    n1, n2 = set(map(str, actors_before)), set(map(str, actors_after))
    return {"ties_before": len(t1), "ties_after": len(t2), "new": len(t2 - t1), "kept": len(t1 & t2),
            "lost": len(t1 - t2), "jaccard": len(t1 & t2) / len(union) if union else float("nan"),
            "joined": sorted(n2 - n1), "left": sorted(n1 - n2), "stayed": len(n1 & n2)}


# --------------------------------------------------------------------------- conversion
@dataclass
class Conversion:
    """Result of :func:`conversion`: the 2 × 2 table and the risk ratio.

    ``risk_ratio``, ``ci_low``, ``ci_high`` and ``p_value`` are NaN when the ratio is not
    estimable (``estimable`` False, ``reason`` a code of
    :data:`evaluation.measures.estimation.REASONS`).
    """

    met_new: int
    met_total: int
    unmet_new: int
    unmet_total: int
    risk_met: float
    risk_unmet: float
    risk_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


def conversion(dyad_table: pd.DataFrame, *, alpha: float = 0.05) -> Conversion:
    """Share of pairs who start collaborating, among pairs who met vs pairs who never met.

    On the dyads of :func:`dyads` (pairs not collaborating in the earlier period), with
    *a* of the *a + b* pairs who co-attended and *c* of the *c + d* pairs who never met
    starting a collaboration:

    .. math:: RR = \\frac{a / (a + b)}{c / (c + d)}, \\qquad
              \\exp\\Big(\\log RR \\pm z_{1-\\alpha/2}
              \\sqrt{\\tfrac{1}{a} - \\tfrac{1}{a+b} + \\tfrac{1}{c} - \\tfrac{1}{c+d}}\\Big)

    the Katz log interval, and the Wald p-value of :math:`\\log RR = 0` (statsmodels
    ``Table2x2`` with ``shift_zeros=False``: the counts as they are, the textbook
    formula, which holds when b = 0 or d = 0 — epitools' ``riskratio.wald`` in R).
    Estimable when both groups have pairs, a > 0 and c > 0 (otherwise the ratio is 0 or
    infinite: ``"zero_cell"``) and a + c ≥ 10 new ties (one parameter, see
    :mod:`evaluation.measures.estimation`: ``"too_few_events"``).

    References
    ----------
    Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence
    intervals for the risk ratio in cohort studies. *Biometrics* 34(3), 469–474.
    """
    met = dyad_table["copresence"].to_numpy() > 0
    new = dyad_table["new_tie"].to_numpy().astype(bool)
    a, b = int((met & new).sum()), int((met & ~new).sum())
    c, d = int((~met & new).sum()), int((~met & ~new).sum())
    risk_met = a / (a + b) if a + b else float("nan")
    risk_unmet = c / (c + d) if c + d else float("nan")
    if not (a + b and c + d):
        reason = "no_data" if not (a + b + c + d) else "no_variation"
    elif a + c == 0:
        reason = "no_variation"
    elif a == 0 or c == 0:
        reason = "zero_cell"
    else:
        reason = events_reason(a + c, 1)
    out = Conversion(a, a + b, c, c + d, risk_met, risk_unmet, float("nan"), float("nan"), float("nan"),
                     float("nan"), estimable=reason is None, reason=reason)
    if reason is None:
        with capture_warnings() as captured:
            table = Table2x2(np.array([[a, b], [c, d]], dtype=float), shift_zeros=False)
            low, high = table.riskratio_confint(alpha=alpha)
            out.risk_ratio, out.ci_low, out.ci_high = float(table.riskratio), float(low), float(high)
            out.p_value = float(table.riskratio_pvalue())
        out.warnings = captured.codes
        if not (np.isfinite(out.ci_low) and np.isfinite(out.ci_high)):
            out.estimable, out.reason = False, "infinite_interval"
    return out


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
    from evaluation.measures.reach import haversine_km

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


# --------------------------------------------------------------------------- model
def dyad_robust_cov(scores: np.ndarray, hessian_inv: np.ndarray, i: np.ndarray, j: np.ndarray,
                    n_actors: int) -> np.ndarray:
    """Dyad-robust sandwich covariance (Aronow, Samii & Assenova 2015).

    .. math:: V = H^{-1} \\Big(\\sum_a S_a S_a^\\top - \\sum_d s_d s_d^\\top\\Big) H^{-1},
              \\qquad S_a = \\sum_{d \\ni a} s_d

    which adds up :math:`s_d s_{d'}^\\top` over every pair of dyads that share an actor
    (each dyad with itself once). ``scores`` are the per-dyad score vectors and
    ``hessian_inv`` the inverse of the negative Hessian of the log-likelihood.
    """
    k = scores.shape[1]
    incidence = sp.csr_matrix((np.ones(2 * len(i)), (np.concatenate([i, j]), np.tile(np.arange(len(i)), 2))),
                              shape=(n_actors, len(i)))
    per_actor = incidence @ scores  # S_a, one row per actor
    meat = per_actor.T @ per_actor - scores.T @ scores
    return hessian_inv @ meat.reshape(k, k) @ hessian_inv


@dataclass
class DyadModel:
    """Result of :func:`dyad_model`.

    ``estimable`` is False when the model cannot be read (``reason``, a code of
    :data:`evaluation.measures.estimation.REASONS`); ``table`` is then empty. Rows also carry
    ``estimable`` and ``reason`` (a term whose interval is not finite).
    """

    table: pd.DataFrame  # term, odds_ratio, ci_low, ci_high, p_value, se (used), se_robust, se_naive, estimable, reason
    n_dyads: int
    n_actors: int
    new_ties: int
    exposure: str
    note: str = ""
    params: pd.Series = field(default_factory=pd.Series)
    parameters: int = 0  # coefficients besides the intercept
    converged: bool = False  # the optimiser converged and the score is near zero
    gradient_max: float = float("nan")  # max |∂ℓ/∂β| at the estimate
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


CONTROLS = ("same_kind", "same_sector", "same_commune", "both_qpv", "urban_rural_pair", "distance_km")
_ODDS_COLUMNS = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "se", "se_robust", "se_naive", "estimable",
                 "reason"]


def dyad_model(dyad_table: pd.DataFrame, *, exposure: str = "count", controls: Sequence[str] = CONTROLS,
               alpha: float = 0.05, min_events_per_parameter: int = MIN_EVENTS_PER_PARAMETER) -> DyadModel:
    """Logistic model of a new collaboration on co-attendance, with dyad-robust errors.

    .. math:: \\operatorname{logit} P(y_{ab} = 1) = \\beta_0 + \\beta_1 x_{ab} + \\gamma^\\top z_{ab}

    where :math:`x_{ab}` is the number of events the pair attended together before
    (``exposure="count"``) or whether they met at all (``"any"``), and :math:`z_{ab}` the
    controls present in the table (distance in tens of km). Odds ratios
    :math:`e^{\\beta}` come with Wald intervals whose standard errors account for dyads
    sharing actors: dyads with a common actor are not independent — an actor who
    collaborates a lot raises all its dyads — so ordinary or one-way clustered errors are
    too small. The **dyad-robust** sandwich (:func:`dyad_robust_cov`, Aronow et al. 2015)
    handles that dependence, but like every cluster-robust estimator it is biased
    downwards when actors are few; each coefficient therefore uses the larger of the
    dyad-robust and the conventional standard error (Angrist & Pischke 2009, §8.2). Both
    are reported (``se_robust``, ``se_naive``). Controls without variation are dropped.

    **Estimability** (:mod:`evaluation.measures.estimation`): at least ``min_events_per_parameter``
    (10, Peduzzi et al. 1996) of the rarer outcome — new ties, usually — per coefficient
    besides the intercept (``"too_few_events"``; ``"no_variation"`` without any new tie
    or without variation in co-attendance), a converged fit whose score is near zero
    (``"not_converged"``), no separation and finite intervals (``"infinite_interval"``).
    The model is not fitted when there are too few events. Warnings raised by the fit
    are captured (``warnings``), never shown.

    References
    ----------
    Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, §8.2.
    Peduzzi, P. et al. (1996), see :mod:`evaluation.measures.estimation`.
    """
    from scipy import stats
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    d = dyad_table
    x = (d["copresence"] if exposure == "count" else (d["copresence"] > 0).astype(float)).astype(float)
    X = pd.DataFrame({"copresence": x})
    for c in controls:
        if c in d and d[c].nunique() > 1:
            X[c] = d[c].astype(float) / (10.0 if c == "distance_km" else 1.0)
    X = sm.add_constant(X, has_constant="add")
    y = d["new_tie"].to_numpy(dtype=float)
    n_actors = int(max(d["i"].max(), d["j"].max()) + 1) if len(d) else 0
    empty = pd.DataFrame(columns=_ODDS_COLUMNS)
    parameters = X.shape[1] - 1
    events = min(y.sum(), len(y) - y.sum())
    base = dict(n_dyads=len(d), n_actors=n_actors, new_ties=int(y.sum()), exposure=exposure, parameters=parameters)
    reason = ("no_data" if not len(d) else "no_variation" if x.nunique() < 2
              else events_reason(events, parameters, per_parameter=min_events_per_parameter))
    if reason is not None:
        return DyadModel(empty, note="trop peu de nouveaux liens", reason=reason, **base)
    with capture_warnings() as captured:
        try:
            fit = sm.Logit(y, X).fit(disp=0, maxiter=200)
        except (PerfectSeparationError, np.linalg.LinAlgError) as error:
            fit, failure = None, "infinite_interval" if isinstance(error, PerfectSeparationError) else "not_converged"
        if fit is not None:
            beta = fit.params.to_numpy()
            gradient = float(np.abs(fit.model.score(beta)).max())
            converged = bool(fit.mle_retvals["converged"]) and gradient <= GRADIENT_TOLERANCE * max(1.0, events)
            try:
                cov = dyad_robust_cov(fit.model.score_obs(beta), np.linalg.inv(-fit.model.hessian(beta)),
                                      d["i"].to_numpy(), d["j"].to_numpy(), n_actors)
            except np.linalg.LinAlgError:
                cov = np.full((len(beta), len(beta)), np.nan)
            se_robust = np.sqrt(np.clip(np.diag(cov), 0, None))
            se_naive = fit.bse.to_numpy()
            se = np.fmax(se_robust, se_naive)
            z = z_value(alpha)
            table = pd.DataFrame({"term": list(X.columns), "odds_ratio": np.exp(beta), "ci_low": np.exp(beta - z * se),
                                  "ci_high": np.exp(beta + z * se), "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
                                  "se": se, "se_robust": se_robust, "se_naive": se_naive})
    if fit is None:
        return DyadModel(empty, reason=failure, warnings=captured.codes, **base)
    model = DyadModel(empty, params=fit.params, converged=converged, gradient_max=gradient, warnings=captured.codes,
                      **base)
    table = table[table["term"] != "const"].reset_index(drop=True)
    finite = np.isfinite(table[["odds_ratio", "ci_low", "ci_high", "se"]]).all(axis=1) & (table["ci_low"] > 0)
    table["estimable"] = finite.to_numpy()
    table["reason"] = np.where(finite, None, "infinite_interval")
    if not converged:
        model.reason = "not_converged"
    elif "perfect_separation" in captured.codes or not finite.all():
        model.reason = "infinite_interval"
    else:
        model.table, model.estimable = table, True
    return model


# --------------------------------------------------------------------------- QAP
@dataclass
class QAPResult:
    """Result of :func:`qap_test`."""

    statistic: float  # correlation over dyads
    p_value: float  # one-sided: permuted ≥ observed
    p_value_two_sided: float
    permutations: int
    seed: int
    null_mean: float
    null_sd: float
    null: np.ndarray = field(default_factory=lambda: np.empty(0))  # the permuted statistics
    ties: int = 0  # ties of ``y`` (new collaborations)
    estimable: bool = False
    reason: str | None = None  # a code of evaluation.measures.estimation.REASONS
    warnings: tuple[str, ...] = ()


def qap_test(x: np.ndarray, y_edges: tuple[np.ndarray, np.ndarray], n: int, *, permutations: int = 1000,
             seed: int = 0, batch: int = 250, min_ties: int = MIN_EVENTS_PER_PARAMETER) -> QAPResult:
    """QAP test of the correlation between a dense dyadic matrix and a set of ties.

    The statistic is Pearson's correlation over the :math:`n(n-1)/2` dyads between
    ``x`` (symmetric, e.g. co-presence counts before) and the 0/1 indicator of the ties
    ``y_edges`` (pairs of integer positions, e.g. new collaborations after). Under the
    null, actor labels of ``x`` are exchangeable: rows and columns are permuted together
    ``permutations`` times (seeded). Because permuting labels only reorders the dyads,
    the means and variances are unchanged and only :math:`\\sum_{ab \\in Y} x_{\\pi(a)\\pi(b)}`
    varies: each permutation costs one gather over the ties, all permutations of a batch
    at once.

    Estimable (:mod:`evaluation.measures.estimation`) when ``x`` varies and there are ties but not
    every dyad is one (``"no_variation"``), and at least ``min_ties`` ties — 10 by
    default, the events-per-parameter rule for one coefficient (``"too_few_events"``);
    otherwise the statistic and p-values are NaN and no permutation is drawn.

    References
    ----------
    Krackhardt, D. (1988), see the module references.
    """
    iu = np.triu_indices(n, k=1)
    xv = x[iu].astype(float)
    m = xv.size
    yr, yc = np.minimum(*y_edges), np.maximum(*y_edges)
    k = len(yr)
    mean_x, sd_x = (xv.mean(), xv.std()) if m else (0.0, 0.0)
    p = k / m if m else 0.0
    sd_y = np.sqrt(p * (1 - p))

    def corr(sum_xy: np.ndarray) -> np.ndarray:
        return (sum_xy / m - mean_x * p) / (sd_x * sd_y)

    reason = ("no_data" if m == 0 else "no_variation" if not (sd_x > 0 and sd_y > 0)
              else "too_few_events" if k < min_ties else None)
    if reason is not None:
        nan = float("nan")
        return QAPResult(nan, nan, nan, permutations, seed, nan, nan, ties=k, reason=reason)
    with capture_warnings() as captured:
        observed = float(corr(np.array([x[yr, yc].sum()], dtype=float))[0])
        rng = np.random.default_rng(seed)
        null = np.empty(permutations)
        for start in range(0, permutations, batch):
            size = min(batch, permutations - start)
            perms = np.argsort(rng.random((size, n)), axis=1)
            null[start:start + size] = corr(x[perms[:, yr], perms[:, yc]].sum(axis=1).astype(float))
    tol = 1e-12
    return QAPResult(observed, float((1 + (null >= observed - tol).sum()) / (permutations + 1)),
                     float((1 + (np.abs(null) >= abs(observed) - tol).sum()) / (permutations + 1)),
                     permutations, seed, float(null.mean()), float(null.std()), null, ties=k, estimable=True,
                     warnings=captured.codes)


# --------------------------------------------------------------------------- export
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


# --------------------------------------------------------------------------- analysis
@dataclass
class NetworkAnalysis:
    """Everything the network chapter shows for one territory (see :func:`analyse_network`)."""

    periods: list[Period]
    actors: pd.DataFrame  # node attributes, indexed by actor_id
    active: dict[str, pd.Index]
    copresence: dict[str, pd.DataFrame]
    collaboration: dict[str, pd.DataFrame]
    description: pd.DataFrame  # one row per (period, network)
    change: dict
    brokerage: dict[str, pd.DataFrame]
    dyads: pd.DataFrame
    conversion: Conversion
    model: DyadModel
    qap: QAPResult  # plain QAP: not valid when actors differ in activity (see ``qap_stratified``)
    # Adjusted for each actor's propensity to form ties (evaluation.measures.network_effect).
    effect: NetworkEffect | None = None
    falsification: Falsification | None = None
    qap_stratified: QAPResult | None = None
    qap_strata: int = 0  # activity classes of ``qap_stratified``

    def graph(self, period: str, network: str = "collaboration") -> nx.Graph:
        edges = (self.collaboration if network == "collaboration" else self.copresence)[period]
        return to_graph(edges, self.actors.loc[self.active[period]])


def analyse_network(actors: pd.DataFrame, events: pd.DataFrame, attendance: pd.DataFrame,
                    collaborations: pd.DataFrame, reference: pd.DataFrame, *, communes: Sequence[str],
                    periods: Sequence[Period], brokers: Sequence[str] = (), permutations: int = 1000,
                    seed: int = 0, alpha: float = 0.05) -> NetworkAnalysis | None:
    """The territory's actors' networks per period, their change, conversion, model and QAP.

    Beside the crude conversion and dyad model it adds the estimate adjusted for each
    actor's propensity to form ties, its falsification test and a QAP stratified by
    activity (:func:`evaluation.measures.network_effect.adjusted_effects`).

    The territory's network is made of the events held in its ``communes``, the actors who
    attended them or are located there, and the declared ties between those actors. The
    first two periods are compared (earlier → later). Returns ``None`` when the territory
    has no event and no tie.
    """
    from evaluation.measures.reach import classify

    communes = set(map(str, communes))
    ev = events[events["commune_code"].astype(str).isin(communes)]
    att = attendance[attendance["event_id"].isin(ev["event_id"])]
    ids = set(att["actor_id"].astype(str)) | set(actors.loc[actors["commune_code"].astype(str).isin(communes),
                                                            "actor_id"].astype(str))
    col = collaborations[collaborations["actor_a"].astype(str).isin(ids) & collaborations["actor_b"].astype(str).isin(ids)]
    if ev.empty and col.empty:
        return None
    info = classify(actors[actors["actor_id"].astype(str).isin(ids)], reference)
    columns = ["kind", "sector", "commune_code", "urban_rural", "qpv", "in_qpv"]
    nodes = pd.DataFrame({c: info[c].astype(object).to_numpy() for c in columns},
                         index=pd.Index(info["actor_id"].astype(str).to_numpy(), name="actor_id"))
    active, cop, tie, rows, brok = {}, {}, {}, [], {}
    for p in periods:
        active[p.label] = active_actors(att, ev, col, p).intersection(nodes.index)
        cop[p.label] = copresence(att, ev, period=p)
        tie[p.label] = collaboration_ties(col, period=p)
        node_attrs = nodes.loc[active[p.label], ["kind", "urban_rural", "qpv"]]
        for network, edges in (("coprésence", cop[p.label]), ("collaboration", tie[p.label])):
            rows.append({"period": p.label, "network": network,
                         **describe(to_graph(edges, node_attrs), seed=seed)})
        brok[p.label] = brokerage(to_graph(tie[p.label], node_attrs), list(brokers))
    first, second = periods[0].label, periods[1].label
    change = tie_change(tie[first], tie[second], actors_before=active[first], actors_after=active[second])
    coords = pd.DataFrame(reference).set_index("commune_code")[["lat", "lon"]]
    universe = active[first]
    dyad_table = dyads(nodes, cop[first], tie[first], tie[second], universe=universe, coordinates=coords)
    n = len(universe)
    pos = pd.Series(np.arange(n), index=universe)
    x = np.zeros((n, n))
    c = cop[first][cop[first]["actor_a"].isin(pos.index) & cop[first]["actor_b"].isin(pos.index)]
    r, k = pos[c["actor_a"]].to_numpy(), pos[c["actor_b"]].to_numpy()
    x[r, k] = x[k, r] = c["weight"].to_numpy()
    new = dyad_table[dyad_table["new_tie"] == 1]
    # QAP on the dyads not tied before: those tied before get x = 0 and y = 0 alike.
    tied_before = tie[first][tie[first]["actor_a"].isin(pos.index) & tie[first]["actor_b"].isin(pos.index)]
    tr, tc = pos[tied_before["actor_a"]].to_numpy(), pos[tied_before["actor_b"]].to_numpy()
    x[tr, tc] = x[tc, tr] = 0
    qap = qap_test(x, (new["i"].to_numpy(), new["j"].to_numpy()), n, permutations=permutations, seed=seed)
    from evaluation.measures.network_effect import adjusted_effects

    adjusted = adjusted_effects(nodes=nodes, attendance=att, events=ev, collaborations=col,
                                copresence_after=cop[second], ties_before=tie[first], periods=periods,
                                universe=universe, universe_after=active[second], dyad_table=dyad_table,
                                coordinates=coords, x=x, new_edges=(new["i"].to_numpy(), new["j"].to_numpy()),
                                permutations=permutations, seed=seed, alpha=alpha)
    return NetworkAnalysis(list(periods), nodes, active, cop, tie, pd.DataFrame(rows), change, brok, dyad_table,
                           conversion(dyad_table, alpha=alpha), dyad_model(dyad_table, alpha=alpha), qap,
                           adjusted.effect, adjusted.falsification, adjusted.qap, adjusted.strata)

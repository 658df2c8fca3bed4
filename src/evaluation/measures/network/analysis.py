"""Networking effects: whether meeting at the tiers-lieu turns co-presence into collaboration.

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
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from evaluation.measures.network.build import (
    Period,
    TieChange,
    active_actors,
    collaboration_ties,
    copresence,
    dyads,
    tie_change,
    to_graph,
)
from evaluation.measures.network.describe import brokerage, describe
from evaluation.measures.network.effect import NetworkEffect
from evaluation.measures.network.inference import (
    Conversion,
    DyadModel,
    QAPResult,
    conversion,
    dyad_model,
    qap_test,
)
from evaluation.measures.network.mechanisms import Mechanisms, analyse_mechanisms
from evaluation.measures.network.robustness import Falsification, adjusted_effects
from evaluation.measures.network.venues import VenueSpec
from evaluation.measures.reach.classify import classify

__all__ = ["NetworkAnalysis", "analyse_network"]


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
    change: TieChange
    brokerage: dict[str, pd.DataFrame]
    dyads: pd.DataFrame
    conversion: Conversion
    model: DyadModel
    qap: QAPResult  # plain QAP: not valid when actors differ in activity (see ``qap_stratified``)
    # Adjusted for each actor's propensity to form ties (evaluation.measures.network.effect).
    effect: NetworkEffect | None = None
    falsification: Falsification | None = None
    qap_stratified: QAPResult | None = None
    qap_strata: int = 0  # activity classes of ``qap_stratified``
    # Dose, timing, venues, structure, equivalence, bridging, boundary (evaluation.measures.network.mechanisms).
    mechanisms: Mechanisms | None = None

    def graph(self, period: str, network: str = "collaboration") -> nx.Graph:
        """The ``network`` (``collaboration`` or ``copresence``) of ``period`` as a graph of its active actors."""
        edges = (self.collaboration if network == "collaboration" else self.copresence)[period]
        return to_graph(edges, self.actors.loc[self.active[period]])


def analyse_network(actors: pd.DataFrame, events: pd.DataFrame, attendance: pd.DataFrame,
                    collaborations: pd.DataFrame, reference: pd.DataFrame, *, communes: Sequence[str],
                    periods: Sequence[Period], brokers: Sequence[str] = (), permutations: int = 1000,
                    seed: int = 0, alpha: float = 0.05, venues: Sequence[VenueSpec] = (),
                    mechanisms: bool = True) -> NetworkAnalysis | None:
    """The territory's actors' networks per period, their change, conversion, model and QAP.

    Beside the crude conversion and dyad model it adds the estimate adjusted for each
    actor's propensity to form ties, its falsification test and a QAP stratified by
    activity (:func:`evaluation.measures.network.robustness.adjusted_effects`), and with
    ``mechanisms`` the dose, timing, venues (``venues``), structure, equivalence, bridging and
    boundary of :func:`evaluation.measures.network.mechanisms.analyse_mechanisms`.

    The territory's network is made of the events held in its ``communes``, the actors who
    attended them or are located there, and the declared ties between those actors. The
    first two periods are compared (earlier → later); the pairs compared are those of the
    actors active in the earlier period, less those whose optional ``end_date`` falls before
    the later one. Returns ``None`` when the territory has no event and no tie.
    """
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
        for network, edges in (("copresence", cop[p.label]), ("collaboration", tie[p.label])):
            rows.append({"period": p.label, "network": network,
                         **describe(to_graph(edges, node_attrs), seed=seed)})
        brok[p.label] = brokerage(to_graph(tie[p.label], node_attrs), list(brokers))
    first, second = periods[0].label, periods[1].label
    change = tie_change(tie[first], tie[second], actors_before=active[first], actors_after=active[second])
    coords = pd.DataFrame(reference).set_index("commune_code")[["lat", "lon"]]
    universe = active[first]
    if "end_date" in actors:  # actors known to have stopped before the later period cannot form ties in it
        ended = pd.to_datetime(actors["end_date"]) < periods[1].start
        universe = universe.difference(pd.Index(actors.loc[ended.fillna(False).to_numpy(), "actor_id"].astype(str)))
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

    adjusted = adjusted_effects(nodes=nodes, attendance=att, events=ev, collaborations=col,
                                copresence_after=cop[second], ties_before=tie[first], periods=periods,
                                universe=universe, universe_after=active[second], dyad_table=dyad_table,
                                coordinates=coords, x=x, new_edges=(new["i"].to_numpy(), new["j"].to_numpy()),
                                permutations=permutations, seed=seed, alpha=alpha)
    extra = analyse_mechanisms(nodes=nodes, actors=actors, attendance=att, events=ev, collaborations=col,
                               periods=periods, communes=communes, universe=universe, active=active,
                               dyad_table=dyad_table, ties=tie, effect=adjusted.effect,
                               falsification=adjusted.falsification, coordinates=coords, venues=venues,
                               permutations=permutations, seed=seed, alpha=alpha) if mechanisms else None
    return NetworkAnalysis(list(periods), nodes, active, cop, tie, pd.DataFrame(rows), change, brok, dyad_table,
                           conversion(dyad_table, alpha=alpha), dyad_model(dyad_table, alpha=alpha), qap,
                           adjusted.effect, adjusted.falsification, adjusted.qap, adjusted.strata, extra)

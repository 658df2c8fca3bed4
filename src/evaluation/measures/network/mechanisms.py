"""How meeting works, beyond the headline estimate: dose, timing, the tiers-lieu, structure, equivalence, bridging, boundary.

:func:`analyse_mechanisms` runs, for one territory, on the tables
:func:`evaluation.measures.network.analysis.analyse_network` has built:

* the **dose–response** (:mod:`evaluation.measures.network.dose`) on the two-period pair table;
* the **discrete-time** model with equal windows, its **event study**
  (:mod:`evaluation.measures.network.timing`) and the two-period estimate at the **split
  date ± one year**;
* the **venues'** reach and effect (:mod:`evaluation.measures.network.venues`);
* the **structural** sensitivity model (:mod:`evaluation.measures.network.structure`);
* the falsification test read as an **equivalence test**
  (:func:`evaluation.measures.network.robustness.equivalence_test`);
* **bridging** ties against random mixing and the effect among bridging pairs
  (:mod:`evaluation.measures.network.bridging`);
* the network's **boundary** (:mod:`evaluation.measures.network.boundary`).

Every model uses the headline estimate's model (actor fixed effects, or prior-activity
controls when the data are too thin: :func:`evaluation.measures.network.effect.network_effect`)
and its pair controls (``CONTROLS`` of :mod:`evaluation.measures.network.inference`); tables above
:data:`evaluation.measures.network.models.MAX_ROWS` rows are sampled once, and every model of
the table is fitted on the same sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.network.boundary import Boundary, boundary
from evaluation.measures.network.bridging import Mixing, bridging_models, mixing
from evaluation.measures.network.build import (
    Period,
    active_actors,
    collaboration_ties,
    copresence,
    dyads,
    split_periods,
)
from evaluation.measures.network.dose import Dose, dose_response, dose_terms
from evaluation.measures.network.effect import NetworkEffect, prior_activity
from evaluation.measures.network.fe_poisson import PairDesign, certify, start_from
from evaluation.measures.network.inference import CONTROLS
from evaluation.measures.network.models import (
    MAX_ROWS,
    AdjustedModel,
    adjusted_model,
    not_estimable,
    sample_rows,
)
from evaluation.measures.network.robustness import (
    EQUIVALENCE_MARGIN,
    Equivalence,
    Falsification,
    equivalence_test,
)
from evaluation.measures.network.structure import common_partners, structural_model
from evaluation.measures.network.timing import (
    EventStudy,
    Panel,
    discrete_time_model,
    event_study,
    pair_periods,
    windows,
)
from evaluation.measures.network.venues import VenueEffects, VenueSpec, venue_effects, venue_subsets
from evaluation.measures.reach.distance import haversine_km

__all__ = ["Mechanisms", "analyse_mechanisms", "pair_controls"]


@dataclass
class Mechanisms:
    """What :func:`analyse_mechanisms` finds for one territory."""

    dose: Dose
    structure: AdjustedModel
    equivalence: Equivalence
    mixing: list[Mixing]  # qpv and urban_rural, before and after
    bridging: dict[str, AdjustedModel]  # "qpv", "urban_rural": terms met_bridging, met_within
    panel_rows: int  # pair-windows at risk
    windows: list[str]  # window labels
    discrete_time: AdjustedModel  # term met
    event_study: EventStudy | None
    split_sensitivity: pd.DataFrame  # shift (years), split, ratio, ci_low, ci_high, new_ties, estimable
    venues: VenueEffects | None
    boundary: Boundary
    sampled: bool  # some table was sampled (large networks)


def pair_controls(nodes: pd.DataFrame, universe: Sequence[str], i: np.ndarray, j: np.ndarray, *,
                  coordinates: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """The pair controls of :func:`evaluation.measures.network.build.dyads` for pairs (``i``, ``j``)
    of the sorted ``universe`` (distance in tens of km), those that vary.
    """
    info = nodes.reindex(pd.Index(sorted(map(str, universe))))

    def same(col: str) -> np.ndarray:
        v = info[col].astype(object).to_numpy()
        return ((v[i] == v[j]) & pd.notna(v[i]) & pd.notna(v[j])).astype(float)

    q = info["in_qpv"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    rural = (info["urban_rural"].astype(object) == RURAL).to_numpy()
    out = {"same_kind": same("kind"), "same_sector": same("sector"), "same_commune": same("commune_code"),
           "both_qpv": (q[i] & q[j]).astype(float), "urban_rural_pair": (rural[i] != rural[j]).astype(float)}
    if coordinates is not None:
        lat = info["commune_code"].map(coordinates["lat"]).to_numpy(dtype=float)
        lon = info["commune_code"].map(coordinates["lon"]).to_numpy(dtype=float)
        out["distance_km"] = haversine_km(lat[i], lon[i], lat[j], lon[j]) / 10.0
    return {k: v for k, v in out.items() if np.isfinite(v).all() and np.ptp(v) > 0}


def _table_controls(d: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: d[c].to_numpy(dtype=float) / (10.0 if c == "distance_km" else 1.0) for c in CONTROLS if c in d}


def _panel_model(panel: Panel, *, min_new_ties: int = 20, min_actors: int = 10) -> tuple[str | None, str | None]:
    """The discrete-time model's choice: actor fixed effects when there are enough first ties."""
    t = panel.table
    y = t["new_tie"].to_numpy(dtype=float)
    n = len(panel.universe)
    degree = np.bincount(t["i"], y, minlength=n) + np.bincount(t["j"], y, minlength=n)
    if len(panel.windows) < 2:
        return None, "no_windows"
    if y.sum() < min_new_ties or (degree > 0).sum() < min_actors:
        return None, "too_few_ties_for_fixed_effects"
    return "actor_fixed_effects", None


def analyse_mechanisms(*, nodes: pd.DataFrame, actors: pd.DataFrame, attendance: pd.DataFrame, events: pd.DataFrame,
                       collaborations: pd.DataFrame, periods: Sequence[Period], communes: Sequence[str],
                       universe: pd.Index, active: dict[str, pd.Index], dyad_table: pd.DataFrame,
                       ties: dict[str, pd.DataFrame], effect: NetworkEffect, falsification: Falsification | None,
                       coordinates: pd.DataFrame | None, venues: Sequence[VenueSpec] = (), permutations: int = 1000,
                       seed: int = 0, alpha: float = 0.05, margin: float = EQUIVALENCE_MARGIN,
                       window: str = "year", max_rows: int = MAX_ROWS) -> Mechanisms:
    """Everything of the module for one territory (arguments as ``analyse_network`` has them)."""
    first, second = periods[0], periods[1]
    model = effect.model
    activity = prior_activity(attendance, events, collaborations, universe=universe, period=first)
    # ---- the two-period pair table, sampled once when large
    rows, weights = sample_rows(dyad_table["new_tie"].to_numpy(), dyad_table["copresence"].to_numpy() > 0,
                                max_rows=max_rows, seed=seed)
    d = dyad_table.iloc[rows].reset_index(drop=True) if len(rows) < len(dyad_table) else dyad_table
    sampled = len(rows) < len(dyad_table)
    w = weights if sampled else None
    design = PairDesign()
    ctrl = _table_controls(d)
    common = dict(model=model, controls=ctrl, activity=activity, alpha=alpha, seed=seed, design=design)
    terms = dose_terms(d, attendance=attendance, events=events, period=first, universe=universe)
    met = (d["copresence"].to_numpy() > 0).astype(float)
    i, j = d["i"].to_numpy(), d["j"].to_numpy()
    cp = common_partners(ties[first.label], universe, i, j)
    ids = pd.Index(sorted(map(str, universe)))
    q = nodes["qpv"].reindex(ids).astype(object).to_numpy()
    bridges = {"qpv": ((q[i] != q[j]) & pd.notna(q[i]) & pd.notna(q[j])).astype(float)}
    if "urban_rural_pair" in d:
        bridges["urban_rural"] = d["urban_rural_pair"].to_numpy(dtype=float)
    if model == "actor_fixed_effects":  # one separation check for every model of the table (fe_poisson.certify)
        certify(design, d["new_tie"].to_numpy(), np.column_stack(
            [*ctrl.values(), *(v for t in terms[0].values() for v in t.values()), met, cp,
             *(met * b for b in bridges.values())]), i, j, len(universe))
    dose = dose_response(d, attendance=attendance, events=events, period=first, universe=universe,
                         weights=w, terms=terms, start=start_from(effect.actor_effects, universe), **common)
    start = dose.count.fit
    structure = structural_model(d, ties_before=ties[first.label], universe=universe, exposure=met, start=start,
                                 weights=w, **common)
    equivalence = equivalence_test(falsification.effect if falsification is not None else None, margin=margin,
                                   alpha=alpha)
    # ---- bridging
    labels = {"qpv": nodes["qpv"], "urban_rural": nodes["urban_rural"]}
    mixes = [mixing(ties[p.label], labels[a], active[p.label], attribute=a, period=p.label,
                    permutations=permutations, seed=seed) for a in labels for p in (first, second)]
    bridging = bridging_models(d, exposure=met, bridges=bridges, start=start, weights=w, **common)
    # ---- timing: pairs × equal windows of every actor of the network
    dates = pd.concat([events["date"], collaborations["start_date"]])
    wins = windows(dates, unit=window)
    subsets = venue_subsets(events, venues) if venues else {}
    panel = pair_periods(nodes.index, attendance, events, collaborations, wins, actors=_dated(actors, nodes.index),
                         subsets=subsets, max_rows=max_rows, seed=seed)
    panel_model, why = _panel_model(panel)
    t = panel.table
    pc = pair_controls(nodes, panel.universe, t["i"].to_numpy(), t["j"].to_numpy(), coordinates=coordinates)
    pcommon = dict(model=panel_model, controls=pc, alpha=alpha, seed=seed, design=PairDesign())
    counts = dict(n_rows=len(t), n_new_ties=int(t["new_tie"].sum()), alpha=alpha)
    if panel_model is None:
        dt = not_estimable("discrete_time", ["met"], why, **counts)
        study, venue = None, None
        if venues:
            venue = venue_effects(panel, attendance=attendance, events=events, venues=venues, subsets=subsets,
                                  **pcommon)
            venue.together = not_estimable("venues", ["met_venues", "met_elsewhere"], why, **counts)
            if venue.each is not None:
                venue.each = not_estimable("venues_each", list(venue.each.table["term"]), why, **counts)
    else:
        windows_ = np.column_stack([(t["window"].to_numpy() == k) for k in range(1, len(wins))] or
                                   [np.zeros(len(t))]).astype(float)
        certify(pcommon["design"], t["new_tie"].to_numpy(), np.column_stack(
            [*pc.values(), windows_, t["met"].to_numpy(float),
             *(t[c].to_numpy(float) for c in t.columns if c.startswith("met_"))]), t["i"].to_numpy(),
            t["j"].to_numpy(), len(panel.universe))
        dt = discrete_time_model(panel, start=start_from(effect.actor_effects, panel.universe), **pcommon)
        # the event study's columns are not among those certified: shared factors, its own separation check
        study = event_study(panel, start=dt.fit, **{**pcommon, "design": PairDesign(pcommon["design"].factors)})
        venue = (venue_effects(panel, attendance=attendance, events=events, venues=venues, subsets=subsets,
                               start=dt.fit, **pcommon) if venues else None)
    shifts = _split_sensitivity(nodes=nodes, attendance=attendance, events=events, collaborations=collaborations,
                                periods=periods, coordinates=coordinates, effect=effect, alpha=alpha, seed=seed,
                                max_rows=max_rows)
    data_end = dates.max() if len(dates) else None
    bound = boundary(actors, attendance, collaborations, communes=communes, network=nodes.index,
                     active_before=active[first.label], active_after=active[second.label], split=second.start,
                     data_end=data_end)
    return Mechanisms(dose, structure, equivalence, mixes, bridging, panel.rows_at_risk, [w.label for w in wins], dt,
                      study, shifts, venue, bound, sampled or panel.sampled)


def _dated(actors: pd.DataFrame, ids: pd.Index) -> pd.DataFrame | None:
    """The actors' optional start and end dates, indexed by ``actor_id`` (None without them)."""
    cols = [c for c in ("start_date", "end_date") if c in actors]
    if not cols:
        return None
    return actors.assign(actor_id=actors["actor_id"].astype(str)).set_index("actor_id")[cols].reindex(ids)


def _split_sensitivity(*, nodes, attendance, events, collaborations, periods, coordinates, effect: NetworkEffect,
                       alpha, seed, max_rows) -> pd.DataFrame:
    """The two-period estimate (met before → new tie after, the headline's model) at the split date
    moved by −1, 0 and +1 year (0: the headline estimate itself).
    """
    split, model = periods[0].end, effect.model
    rows = [{"shift": 0, "split": split, "ratio": effect.estimate, "ci_low": effect.ci_low, "ci_high": effect.ci_high,
             "new_ties": effect.n_new_ties, "estimable": effect.estimable, "reason": None}]
    for shift in (-1, 1):
        at = split + pd.DateOffset(years=shift)
        before, after = split_periods(at)
        universe = active_actors(attendance, events, collaborations, before).intersection(nodes.index)
        tb, ta = collaboration_ties(collaborations, period=before), collaboration_ties(collaborations, period=after)
        table = dyads(nodes, copresence(attendance, events, period=before), tb, ta, universe=universe,
                      coordinates=coordinates) if len(universe) > 1 else pd.DataFrame()
        if not len(table) or table["new_tie"].sum() < 2 or not (table["copresence"] > 0).any():
            m = not_estimable("split", ["met"], "split_outside_data", model=model, alpha=alpha)
        else:
            activity = prior_activity(attendance, events, collaborations, universe=universe, period=before)
            m = adjusted_model("split", table, {"met": (table["copresence"].to_numpy() > 0).astype(float)},
                               model=model, controls=_table_controls(table), activity=activity, alpha=alpha,
                               seed=seed, max_rows=max_rows, start=start_from(effect.actor_effects, universe))
        row = m.term("met")
        rows.append({"shift": shift, "split": at, "ratio": row["ratio"], "ci_low": row["ci_low"],
                     "ci_high": row["ci_high"], "new_ties": m.n_new_ties, "estimable": bool(row["estimable"]),
                     "reason": m.reason})
    return pd.DataFrame(rows).sort_values("shift", ignore_index=True)

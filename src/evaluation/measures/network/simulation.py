"""Simulated networks where active actors both meet more and collaborate more (selection).

Used by the tests and the benchmarks to check that an estimate of the networking effect
is not fooled by selection: each actor has an *activity* :math:`A_i` (lognormal,
:math:`\\log A_i \\sim N(0, \\sigma^2)`, σ = 1.2 by default) that drives both

* its attendance at the events before and after the split date: actor *i* attends each
  event with probability :math:`\\min(p_{max}, \\pi A_i)`;
* its chance of collaboration ties, before the split and new ones after:

  .. math:: P(y_{ij} = 1) = c \\; f(A_i) f(A_j) \\; \\rho^{m_{ij}}

  with :math:`f(A) = \\min(A, A_{max})` (a cap that keeps the probability below one, so
  that the tie model stays exactly multiplicative in actor terms), :math:`m_{ij}` whether
  the pair attended at least one event together before the split, and :math:`\\rho` the
  co-presence effect (``effect``): 1 for none, 3 when meeting triples the chance of a tie.

With ``effect=1`` meeting has no effect at all, yet pairs who met are pairs of active
actors and form more ties: a crude comparison of met and unmet pairs finds an "effect".
The tables have the columns of the package's data model (``actors``, ``events``,
``attendance``, ``collaborations``), every actor in one commune; ``pairs`` and ``prior``
are the pair table and prior activity built directly with arrays, for studies of many runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SimulatedNetwork", "simulate_selection", "SimulatedClosure", "simulate_transitivity", "SimulatedPanel",
           "simulate_panel"]


@dataclass(frozen=True)
class SimulatedNetwork:
    """Raw tables of a simulated territory and the truth behind them."""

    actors: pd.DataFrame
    events: pd.DataFrame
    attendance: pd.DataFrame
    collaborations: pd.DataFrame
    activity: pd.Series  # A_i by actor_id
    effect: float  # the planted co-presence effect ρ
    split_date: pd.Timestamp
    commune_code: str
    pairs: pd.DataFrame  # the pair table of the actors active before, built directly (see below)
    prior: pd.DataFrame  # events attended and ties held before, per actor active before


def _direct_tables(ids: np.ndarray, before: np.ndarray, i: np.ndarray, j: np.ndarray, tie_before: np.ndarray,
                   new_tie: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pair table and prior activity the report's pipeline would build, with array operations only.

    Actors active before (an event or a tie before) form the universe; pairs tied before
    are left out; ``i``/``j`` are positions among the active actors in id order, as in
    :func:`evaluation.measures.network.build.dyads`. Lets a simulation study skip the pandas pipeline.
    """
    n = len(ids)
    ties = np.bincount(i[tie_before], minlength=n) + np.bincount(j[tie_before], minlength=n)
    active = before.any(axis=1) | (ties > 0)
    position = np.cumsum(active) - 1
    keep = active[i] & active[j] & ~tie_before
    pairs = pd.DataFrame({"i": position[i[keep]].astype(np.int32), "j": position[j[keep]].astype(np.int32),
                          "copresence": (before[i[keep]] & before[j[keep]]).sum(axis=1).astype(np.int64),
                          "new_tie": new_tie[keep].astype(np.int8)})
    prior = pd.DataFrame({"events": before.sum(axis=1)[active].astype(np.int64), "ties": ties[active].astype(np.int64)},
                         index=pd.Index(ids[active], name="actor_id"))
    return pairs, prior


def _attend(rng: np.random.Generator, p: np.ndarray, n_events: int) -> np.ndarray:
    """Actor × event 0/1 attendance matrix."""
    return rng.random((len(p), n_events)) < p[:, None]


def simulate_selection(*, n_actors: int = 150, events_before: int = 20, events_after: int = 20,
                       effect: float = 1.0, sigma: float = 1.2, attendance_rate: float = 0.05,
                       max_attendance: float = 0.9, tie_rate: float = 0.0025, tie_rate_before: float = 0.0015,
                       activity_cap: float | None = None, seed: int = 0, per_event: float = 1.0,
                       split_date: str = "2022-01-01", commune_code: str = "21166") -> SimulatedNetwork:
    """Generate one territory where activity drives attendance and ties (see the module).

    Parameters
    ----------
    effect
        ρ, the factor by which meeting before the split multiplies the chance of a new
        tie after it (1: no effect).
    sigma
        Standard deviation of log activity.
    attendance_rate, max_attendance
        π and :math:`p_{max}` of the attendance probability.
    tie_rate, tie_rate_before
        c for the new ties after the split and for the ties before it.
    activity_cap
        :math:`A_{max}`; by default :math:`e^{2\\sigma}` (the 97.7th percentile), and the
        rates are checked to keep every probability at most one.
    per_event
        δ, a dose–response: each event the pair attended together before the split
        multiplies the chance of a new tie by δ (:math:`\\rho^{m_{ij}} \\delta^{k_{ij}}`, k the
        shared events; 1: no dose–response, the default).
    """
    rng = np.random.default_rng(seed)
    n = n_actors
    activity = np.exp(rng.normal(0.0, sigma, n))
    cap = float(np.exp(2 * sigma)) if activity_cap is None else float(activity_cap)
    if max(tie_rate * effect, tie_rate_before) * cap * cap > 1:
        raise ValueError(f"tie_rate={tie_rate} × effect={effect} × activity_cap²={cap * cap:.1f} exceeds 1: "
                         "lower the rate or the cap")
    f = np.minimum(activity, cap)
    p_attend = np.minimum(max_attendance, attendance_rate * activity)
    before = _attend(rng, p_attend, events_before)
    after = _attend(rng, p_attend, events_after)
    i, j = np.triu_indices(n, k=1)
    met = (before[i] & before[j]).any(axis=1)
    base = f[i] * f[j]
    tie_before = rng.random(len(i)) < tie_rate_before * base
    p_new = tie_rate * base * np.where(met, effect, 1.0)
    if per_event != 1.0:
        p_new = p_new * per_event ** (before[i] & before[j]).sum(axis=1)
        if p_new.max() > 1:
            raise ValueError(f"per_event={per_event} makes a tie probability exceed 1: lower the rate")
    new_tie = (rng.random(len(i)) < p_new) & ~tie_before

    split = pd.Timestamp(split_date)
    ids = np.array([f"S{k:04d}" for k in range(n)], dtype=object)
    actors = pd.DataFrame({"actor_id": ids, "name": [f"Structure {k}" for k in range(n)],
                           "kind": rng.choice(["association", "ess_enterprise", "business"], n),
                           "sector": rng.choice(["food", "culture", "building", "care"], n),
                           "commune_code": commune_code, "in_qpv": rng.random(n) < 0.3})
    n_ev = events_before + events_after
    event_ids = np.array([f"V{k:04d}" for k in range(n_ev)], dtype=object)
    days = np.concatenate([rng.integers(-700, -1, events_before), rng.integers(1, 700, events_after)])
    events = pd.DataFrame({"event_id": event_ids, "date": split + pd.to_timedelta(days, unit="D"),
                           "kind": "atelier", "commune_code": commune_code, "organiser": "pole"})
    who, which = np.nonzero(np.concatenate([before, after], axis=1))
    attendance = pd.DataFrame({"event_id": event_ids[which], "actor_id": ids[who]})
    rows = []
    for mask, lo, hi in ((tie_before, -900, -1), (new_tie, 1, 700)):
        k = int(mask.sum())
        rows.append(pd.DataFrame({"actor_a": ids[i[mask]], "actor_b": ids[j[mask]],
                                  "start_date": split + pd.to_timedelta(rng.integers(lo, hi, k), unit="D"),
                                  "kind": "partnership", "source": "simulation"}))
    collaborations = pd.concat(rows, ignore_index=True)
    pairs, prior = _direct_tables(ids, before, i, j, tie_before, new_tie)
    return SimulatedNetwork(actors, events, attendance, collaborations, pd.Series(activity, index=ids, name="activity"),
                            float(effect), split, commune_code, pairs, prior)


# --------------------------------------------------------------------------- transitivity
@dataclass(frozen=True)
class SimulatedClosure:
    """A two-period territory where partners of partners become partners and meeting does nothing."""

    actors: pd.DataFrame
    events: pd.DataFrame
    attendance: pd.DataFrame
    collaborations: pd.DataFrame
    split_date: pd.Timestamp
    closure: float  # τ: each common partner before multiplies the chance of a new tie by τ
    pairs: pd.DataFrame  # i, j, copresence, new_tie of the actors active before (as dyads builds it)
    universe: pd.Index  # the actors active before, sorted


def simulate_transitivity(*, n_actors: int = 200, groups: int = 8, events_before: int = 16, closure: float = 2.0,
                          sigma: float = 0.6, attendance_in: float = 0.25, attendance_out: float = 0.01,
                          tie_rate_before: float = 0.004, within: float = 12.0, tie_rate: float = 0.003,
                          seed: int = 0, split_date: str = "2022-01-01") -> SimulatedClosure:
    """Groups whose members meet at their group's events and are partners before; then closure.

    After the split,

    .. math:: P(y_{ij} = 1) = c\\, f(A_i) f(A_j)\\, \\tau^{c_{ij}}

    with :math:`c_{ij}` the pair's common partners before (triadic closure) and no effect of
    meeting: pairs who met are pairs of the same group, who share partners, and a model
    without the common partners credits the meetings with closure. Actors attend their
    group's events with probability ``attendance_in`` × activity, others' with
    ``attendance_out`` × activity; ties before are ``within`` times likelier inside a group.
    A pair whose probability exceeds 1 (many common partners) forms a tie for sure.
    """
    rng = np.random.default_rng(seed)
    n = n_actors
    activity = np.exp(rng.normal(0.0, sigma, n))
    f = np.minimum(activity, np.exp(2 * sigma))
    group = rng.integers(0, groups, n)
    ev_group = rng.integers(0, groups, events_before)
    same_ev = group[:, None] == ev_group[None, :]
    p = np.minimum(0.95, np.where(same_ev, attendance_in, attendance_out) * activity[:, None])
    before = rng.random((n, events_before)) < p
    i, j = np.triu_indices(n, k=1)
    same = group[i] == group[j]
    p_before = tie_rate_before * f[i] * f[j] * np.where(same, within, 1.0)
    tie_before = rng.random(len(i)) < np.minimum(p_before, 1.0)
    adj = np.zeros((n, n))
    adj[i[tie_before], j[tie_before]] = adj[j[tie_before], i[tie_before]] = 1
    common = (adj @ adj)[i, j]
    p_new = tie_rate * f[i] * f[j] * closure ** common
    new_tie = (rng.random(len(i)) < p_new) & ~tie_before  # a probability above 1 is a sure tie
    split = pd.Timestamp(split_date)
    ids = np.array([f"S{k:04d}" for k in range(n)], dtype=object)
    actors = pd.DataFrame({"actor_id": ids, "kind": "association", "sector": "care", "commune_code": "21166",
                           "in_qpv": False})
    event_ids = np.array([f"V{k:04d}" for k in range(events_before)], dtype=object)
    events = pd.DataFrame({"event_id": event_ids,
                           "date": split - pd.to_timedelta(rng.integers(1, 700, events_before), unit="D"),
                           "kind": "atelier", "commune_code": "21166", "organiser": "pole"})
    who, which = np.nonzero(before)
    attendance = pd.DataFrame({"event_id": event_ids[which], "actor_id": ids[who]})
    rows = []
    for mask, lo, hi in ((tie_before, -900, -1), (new_tie, 1, 700)):
        rows.append(pd.DataFrame({"actor_a": ids[i[mask]], "actor_b": ids[j[mask]],
                                  "start_date": split + pd.to_timedelta(rng.integers(lo, hi, int(mask.sum())), unit="D"),
                                  "kind": "partnership", "source": "simulation"}))
    pairs, prior = _direct_tables(ids, before, i, j, tie_before, new_tie)
    return SimulatedClosure(actors, events, attendance, pd.concat(rows, ignore_index=True), split, float(closure),
                            pairs, prior.index)


# --------------------------------------------------------------------------- pairs × windows
@dataclass(frozen=True)
class SimulatedPanel:
    """A territory followed over equal windows, with a venue opening during the period."""

    actors: pd.DataFrame
    events: pd.DataFrame  # organiser "venue" for the venue's events
    attendance: pd.DataFrame
    collaborations: pd.DataFrame
    start: pd.Timestamp  # first day of the first window (calendar year)
    years: int
    venue_from: int  # first window of the venue's events
    effect_venue: float
    effect_elsewhere: float


def simulate_panel(*, n_actors: int = 200, years: int = 7, events_per_year: int = 8, venue_from: int = 2,
                   venue_share: float = 0.5, effect_venue: float = 1.0, effect_elsewhere: float = 1.0,
                   baseline: tuple[float, ...] | None = None, sigma: float = 1.0, attendance_rate: float = 0.05,
                   max_attendance: float = 0.8, tie_rate: float = 0.0012, join_share: float = 0.0, seed: int = 0,
                   first_year: int = 2018) -> SimulatedPanel:
    """A territory over yearly windows where meeting at the venue (or elsewhere) raises the hazard of a first tie.

    In window *t* each pair not yet tied forms its first tie with probability

    .. math:: h_{ij,t} = c\\, f(A_i) f(A_j)\\, \\lambda_t\\, \\rho_V^{v_{ij,t-1}}\\, \\rho_E^{e_{ij,t-1}}

    where :math:`v_{ij,t-1}` (:math:`e_{ij,t-1}`) says whether the pair attended an event of
    the venue (of elsewhere) together before window *t*, :math:`\\rho_V` = ``effect_venue``,
    :math:`\\rho_E` = ``effect_elsewhere`` and :math:`\\lambda_t` = ``baseline`` (default 1,
    e.g. a COVID dip). Activity drives attendance and ties as in :func:`simulate_selection`.
    Each window holds ``events_per_year`` events; from window ``venue_from`` on each is the
    venue's with probability ``venue_share`` (organiser ``"venue"``). A share ``join_share``
    of the actors joins at a window drawn from 1 … ``years`` − 1 (``actors.start_date`` its
    first day): before it, they neither attend nor tie.
    """
    rng = np.random.default_rng(seed)
    n = n_actors
    lam = np.ones(years) if baseline is None else np.asarray(baseline, dtype=float)
    activity = np.exp(rng.normal(0.0, sigma, n))
    f = np.minimum(activity, np.exp(2 * sigma))
    p_attend = np.minimum(max_attendance, attendance_rate * activity)
    joins = np.where(rng.random(n) < join_share, rng.integers(1, max(years, 2), n), 0)
    i, j = np.triu_indices(n, k=1)
    base = tie_rate * f[i] * f[j]
    if base.max() * lam.max() * effect_venue * effect_elsewhere > 1:
        raise ValueError("a tie probability exceeds 1: lower the rate")
    met_v = np.zeros(len(i), dtype=bool)
    met_e = np.zeros(len(i), dtype=bool)
    tied = np.zeros(len(i), dtype=bool)
    tie_window = np.full(len(i), -1)
    start = pd.Timestamp(first_year, 1, 1)
    ev_rows, att_rows = [], []
    for t in range(years):
        h = base * lam[t] * np.where(met_v, effect_venue, 1.0) * np.where(met_e, effect_elsewhere, 1.0)
        h = h * ((joins[i] <= t) & (joins[j] <= t))
        new = ~tied & (rng.random(len(i)) < h)
        tie_window[new] = t
        tied |= new
        at_venue = (rng.random(events_per_year) < venue_share) & (t >= venue_from)
        present = (rng.random((n, events_per_year)) < p_attend[:, None]) & (joins <= t)[:, None]
        for mask, met in ((at_venue, met_v), (~at_venue, met_e)):
            b = present[:, mask].astype(float)
            met |= ((b @ b.T)[i, j] > 0)
        w0 = start + pd.DateOffset(years=t)
        ids_t = [f"V{t:02d}{k:03d}" for k in range(events_per_year)]
        ev_rows.append(pd.DataFrame({"event_id": ids_t,
                                     "date": w0 + pd.to_timedelta(rng.integers(0, 365, events_per_year), unit="D"),
                                     "kind": "atelier", "commune_code": "21166",
                                     "organiser": np.where(at_venue, "venue", "pole")}))
        who, which = np.nonzero(present)
        att_rows.append(pd.DataFrame({"event_id": np.asarray(ids_t, dtype=object)[which],
                                      "actor_id": [f"S{k:04d}" for k in who]}))
    ids = np.array([f"S{k:04d}" for k in range(n)], dtype=object)
    actors = pd.DataFrame({"actor_id": ids, "kind": "association", "sector": "care", "commune_code": "21166",
                           "in_qpv": False, "start_date": [start + pd.DateOffset(years=int(y)) for y in joins]})
    k = tie_window >= 0
    days = rng.integers(0, 365, int(k.sum()))
    dates = pd.to_datetime([start + pd.DateOffset(years=int(t)) for t in tie_window[k]]) + pd.to_timedelta(days, unit="D")
    collaborations = pd.DataFrame({"actor_a": ids[i[k]], "actor_b": ids[j[k]], "start_date": dates,
                                   "kind": "partnership", "source": "simulation"})
    return SimulatedPanel(actors, pd.concat(ev_rows, ignore_index=True), pd.concat(att_rows, ignore_index=True),
                          collaborations, start, years, venue_from, float(effect_venue), float(effect_elsewhere))

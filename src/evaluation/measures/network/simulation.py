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

__all__ = ["SimulatedNetwork", "simulate_selection"]


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
                       activity_cap: float | None = None, seed: int = 0,
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
    new_tie = (rng.random(len(i)) < tie_rate * base * np.where(met, effect, 1.0)) & ~tie_before

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

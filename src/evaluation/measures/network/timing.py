"""Timing: a discrete-time model of tie formation on pairs × periods, and an event-study profile.

The two-period design compares pairs who met *before* a split date with the others over
the years *after* it: its windows are unequal (two years, then five), a pair that meets
after the split counts as never met, and a tie formed in the first months counts as much
as one formed five years later. Here time is cut into equal windows (calendar years or
half-years) and each pair is followed from the window in which both actors are present
until its first tie (a discrete-time hazard model; Allison 1982):

.. math:: P(y_{ab,t} = 1) = \\exp(\\alpha_a + \\alpha_b + \\lambda_t + \\beta\\, m_{ab,t-1} + \\gamma^\\top z_{ab})

with :math:`y_{ab,t}` the pair's first tie starting in window *t*, :math:`m_{ab,t-1}`
whether they had attended an event together before the window began (exposure measured
up to the previous period), :math:`\\lambda_t` a **period effect** per window (COVID
years included) and the actor effects of the headline model. The windows being equal and
the exposure dated, every tie is compared with pairs at risk *in the same window*.

**Event study.** A pair's *cohort* is the window of its first shared event. Following Sun
& Abraham (2021), the model replaces :math:`\\beta m` by one coefficient per cohort *g*
and relative window :math:`\\ell = t - g` (binned: :math:`\\ell \\le -2`, 0, 1, 2 and
more; :math:`\\ell = -1` the reference), pairs who never met being the controls; the
profile at :math:`\\ell` is the average of the cohorts' coefficients weighted by their
shares of the pair-windows at :math:`\\ell` (the interaction-weighted estimator), with
its delta-method interval. Leads (:math:`\\ell \\le -2`) away from 1 would say that pairs
about to meet were already tying more: selection rather than effect.

**Presence.** An actor is at risk from the first window, or from the window of its
``start_date`` when the actors table has one, to the last window, or to that of its
``end_date``. Entering each actor at its first recorded event or tie instead would
condition on the outcome (an actor's first tie makes it enter): on twelve simulated
territories (:func:`evaluation.measures.network.simulation.simulate_panel`) that rule gave
2.15 for a planted ratio of 2, against 1.86 with every actor present from the start; when a
third of the actors joined later, assuming them present from the start gave 1.79, and their
start dates 1.91.

References
----------
Allison, P. D. (1982). Discrete-time methods for the analysis of event histories.
*Sociological Methodology* 13, 61–98.
Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. *Journal of Econometrics* 225(2), 175–199.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from evaluation.measures.network.build import Period, _period_attendance
from evaluation.measures.network.fe_poisson import PairDesign
from evaluation.measures.network.models import MAX_ROWS, AdjustedModel, adjusted_model, combination

__all__ = ["windows", "Panel", "pair_periods", "discrete_time_model", "event_study", "EventStudy", "EVENT_BINS"]

#: Relative windows of the event study (ℓ = −1 is the reference).
EVENT_BINS = ("lead", "0", "1", "2+")
_NEVER = np.iinfo(np.int16).max


def windows(dates: pd.Series, *, unit: str = "year") -> list[Period]:
    """Equal windows (calendar years, or half-years with ``unit="half"``) from the first to the last of ``dates``."""
    d = pd.to_datetime(dates).dropna()
    if d.empty:
        return []
    months = 12 if unit == "year" else 6
    start = pd.Timestamp(d.min().year, 1 if unit == "year" or d.min().month <= 6 else 7, 1)
    out = []
    while start <= d.max():
        end = start + pd.DateOffset(months=months)
        label = f"{start.year}" if unit == "year" else f"{start.year}-S{1 if start.month == 1 else 2}"
        out.append(Period(label, start, end))
        start = end
    return out


@dataclass
class Panel:
    """Pairs × windows at risk of a first tie (see :func:`pair_periods`)."""

    table: pd.DataFrame  # i, j, window, new_tie, met, cohort, weight, and one met_<name> per event subset
    windows: list[Period]
    universe: pd.Index
    rows_at_risk: int  # pair-windows at risk before any sampling
    sampled: bool


def _window_index(dates: pd.Series, wins: list[Period]) -> np.ndarray:
    """Window of each date (−1 before the first, len(wins) after the last or missing)."""
    starts = np.array([w.start for w in wins], dtype="datetime64[ns]")
    d = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    k = np.searchsorted(starts, d, side="right") - 1
    last_end = np.datetime64(wins[-1].end, "ns")
    return np.where(np.isnat(d) | (d >= last_end), len(wins), k)


def _linear(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Index of pair (a, b), a ≠ b, in the upper triangle of n actors in row order."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return lo * n - lo * (lo + 1) // 2 + (hi - lo - 1)


def _first_meetings(attendance: pd.DataFrame, events: pd.DataFrame, wins: list[Period], ids: pd.Index,
                    subsets: Mapping[str, pd.Series]) -> dict[str, np.ndarray]:
    """Window of each pair's first shared event, ``_NEVER`` when none: among all events (key ``""``)
    and among each subset of events (a boolean Series by ``event_id``). One sparse product
    :math:`B_t B_t^\\top` per window and subset, on the incidence of the window's events.
    """
    n = len(ids)
    n_pairs = n * (n - 1) // 2
    ev = events.assign(event_id=events["event_id"].astype(str))
    att = attendance.assign(event_id=attendance["event_id"].astype(str), actor_id=attendance["actor_id"].astype(str))
    att = att.merge(ev[["event_id", "date"]], on="event_id").drop_duplicates(["event_id", "actor_id"])
    actor = ids.get_indexer(att["actor_id"])
    att, actor = att[actor >= 0], actor[actor >= 0]
    e_codes, e_ids = pd.factorize(att["event_id"])
    window = _window_index(att["date"], wins)
    incidence = sp.csc_matrix((np.ones(len(att)), (actor, e_codes)), shape=(n, len(e_ids)))
    e_window = np.full(len(e_ids), -1)
    e_window[e_codes] = window
    masks = {"": np.ones(len(e_ids), dtype=bool),
             **{k: v.reindex(e_ids).fillna(False).to_numpy(dtype=bool) for k, v in subsets.items()}}
    out = {k: np.full(n_pairs, _NEVER, dtype=np.int16) for k in masks}
    for t in range(len(wins)):
        here = e_window == t
        for k, mask in masks.items():
            cols = np.flatnonzero(here & mask)
            if not len(cols):
                continue
            b = incidence[:, cols]
            c = sp.triu(b @ b.T, k=1).tocoo()
            lin = _linear(c.row, c.col, n)
            out[k][lin] = np.minimum(out[k][lin], t)
    return out


def pair_periods(universe: Sequence[str], attendance: pd.DataFrame, events: pd.DataFrame,
                 collaborations: pd.DataFrame, wins: list[Period], *, actors: pd.DataFrame | None = None,
                 subsets: Mapping[str, pd.Series] | None = None, max_rows: int = MAX_ROWS,
                 seed: int = 0) -> Panel:
    """The pair × window table of a discrete-time model (see the module).

    A pair is at risk in window *t* when both actors are present and it had no tie before
    *t*; its row says whether its first tie starts in *t* (``new_tie``), whether it had met
    before *t* (``met``), its ``cohort`` (window of its first shared event; −1 when never)
    and, for each event subset of ``subsets`` (a boolean Series by ``event_id``: a venue's
    events, the others), ``met_<name>``. ``actors`` (indexed by ``actor_id``) may carry
    ``start_date``/``end_date``. More than ``max_rows`` pair-windows: the rows without a tie
    are sampled as in :func:`evaluation.measures.network.models.sample_rows` (stratified by
    ``met``), built only for the rows kept, and weighted (``weight``).
    """
    ids = pd.Index(sorted(map(str, universe)))
    n, T = len(ids), len(wins)
    n_pairs = n * (n - 1) // 2
    att = _period_attendance(attendance, events, None)
    att = att[att["actor_id"].astype(str).isin(ids)]
    # Ties: each pair's first start.
    col = collaborations[collaborations["actor_a"].astype(str).isin(ids) & collaborations["actor_b"].astype(str).isin(ids)]
    tie = np.full(n_pairs, T, dtype=np.int16)
    if len(col):
        a, b = ids.get_indexer(col["actor_a"].astype(str)), ids.get_indexer(col["actor_b"].astype(str))
        ok = a != b
        lin = _linear(a[ok], b[ok], n)
        k = _window_index(col["start_date"][ok], wins).astype(np.int16)
        np.minimum.at(tie, lin, k)
    # Presence: from the first window (or the start_date's) to the last (or the end_date's).
    entry = np.zeros(n, dtype=np.int64)
    exit_w = np.full(n, T - 1)
    if actors is not None and "start_date" in actors:
        starts = pd.to_datetime(actors["start_date"]).reindex(ids)
        entry = np.where(starts.notna(), np.clip(_window_index(starts, wins), 0, T), 0)
    if actors is not None and "end_date" in actors:
        ends = pd.to_datetime(actors["end_date"]).reindex(ids)
        exit_w = np.where(ends.notna(), np.minimum(_window_index(ends, wins), T - 1), T - 1)
    firsts = _first_meetings(att, events, wins, ids, subsets or {})
    met = firsts.pop("")
    # Rows: each pair from max(entries) to min(first tie, exits), one window at a time.
    iu, ju = np.triu_indices(n, 1)
    lo = np.maximum(entry[iu], entry[ju])
    hi = np.minimum(np.minimum(tie.astype(np.int64), np.minimum(exit_w[iu], exit_w[ju])), T - 1)
    hi[tie < 0] = -1
    strata = np.zeros(3, dtype=np.int64)  # tie, exposed without tie, unexposed without tie
    for t in range(T):
        at = (lo <= t) & (t <= hi)
        y, ex = tie[at] == t, met[at] < t
        strata += [int(y.sum()), int((ex & ~y).sum()), int((~ex & ~y).sum())]
    total = int(strata.sum())
    p_exposed = p_unexposed = 1.0
    if total > max_rows:
        budget = max(max_rows - int(strata[0]), 2) / 2
        p_exposed = min(1.0, budget / strata[1]) if strata[1] else 1.0
        p_unexposed = min(1.0, budget / strata[2]) if strata[2] else 1.0
    rng = np.random.default_rng(seed)
    parts = []
    for t in range(T):
        idx = np.flatnonzero((lo <= t) & (t <= hi))
        y, ex = tie[idx] == t, met[idx] < t
        weight = np.ones(len(idx))
        if total > max_rows:
            u = rng.random(len(idx))
            keep = y | (ex & (u < p_exposed)) | (~ex & (u < p_unexposed))
            weight = np.where(y, 1.0, np.where(ex, 1 / p_exposed, 1 / p_unexposed))[keep]
            idx, y, ex = idx[keep], y[keep], ex[keep]
        part = pd.DataFrame({"i": iu[idx].astype(np.int32), "j": ju[idx].astype(np.int32),
                             "window": np.full(len(idx), t, dtype=np.int16), "new_tie": y.astype(np.int8),
                             "met": ex.astype(np.int8),
                             "cohort": np.where(met[idx] == _NEVER, -1, met[idx]).astype(np.int16), "weight": weight})
        for name, first in firsts.items():
            part[f"met_{name}"] = (first[idx] < t).astype(np.int8)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["i", "j", "window", "new_tie", "met", "cohort", "weight"])
    return Panel(table, wins, ids, total, total > max_rows)


def _period_dummies(panel: pd.DataFrame, n_windows: int) -> dict[str, np.ndarray]:
    w = panel["window"].to_numpy()
    return {f"window_{t}": (w == t).astype(float) for t in range(1, n_windows)}


def discrete_time_model(panel: Panel, terms: Mapping[str, np.ndarray] | None = None, *, name: str = "discrete_time",
                        model: str | None, controls: Mapping[str, np.ndarray] | None = None,
                        activity: pd.DataFrame | None = None, alpha: float = 0.05, seed: int = 0,
                        design: PairDesign | None = None, start=None) -> AdjustedModel:
    """The discrete-time model on ``panel``: ``terms`` (default ``met``), period effects, ``controls``
    (one value per row) and the headline model's actor effects (or prior-activity terms).
    """
    t = panel.table
    terms = dict(terms) if terms is not None else {"met": t["met"].to_numpy(dtype=float)}
    ctrl = {**_period_dummies(t, len(panel.windows)), **(controls or {})}
    return adjusted_model(name, t, terms, model=model, controls=ctrl, activity=activity, alpha=alpha, seed=seed,
                          design=design, start=start, weights=t["weight"].to_numpy())


def _bins(relative: np.ndarray) -> np.ndarray:
    return np.select([relative <= -2, relative == 0, relative == 1, relative >= 2], list(EVENT_BINS), default="ref")


@dataclass
class EventStudy:
    """The event-study profile: one rate ratio per relative window (:data:`EVENT_BINS`)."""

    profile: pd.DataFrame  # bin, ratio, ci_low, ci_high, p_value, rows, cohorts
    model: AdjustedModel


def event_study(panel: Panel, *, model: str | None, controls: Mapping[str, np.ndarray] | None = None,
                activity: pd.DataFrame | None = None, alpha: float = 0.05, seed: int = 0,
                design: PairDesign | None = None, start=None) -> EventStudy:
    """Sun & Abraham's interaction-weighted event study on ``panel`` (see the module)."""
    t = panel.table
    cohort, window = t["cohort"].to_numpy(), t["window"].to_numpy()
    bins = np.where(cohort >= 0, _bins(window - cohort), "never")
    terms, cells = {}, []
    for g in np.unique(cohort[cohort >= 0]):
        for b in EVENT_BINS:
            mask = (cohort == g) & (bins == b)
            if mask.any():
                terms[f"es:{g}:{b}"] = mask.astype(float)
                cells.append((f"es:{g}:{b}", b, float(t["weight"].to_numpy()[mask].sum())))
    m = discrete_time_model(panel, terms, name="event_study", model=model, controls=controls, activity=activity,
                            alpha=alpha, seed=seed, design=design, start=start)
    rows = []
    for b in EVENT_BINS:
        use = [(term, size) for term, bb, size in cells if bb == b and bool(m.term(term)["estimable"])]
        total = sum(size for _, size in use)
        est = combination(m, {term: size / total for term, size in use}) if total else {
            "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
        rows.append({"bin": b, "ratio": est["ratio"], "ci_low": est["ci_low"], "ci_high": est["ci_high"],
                     "p_value": est["p_value"], "rows": total, "cohorts": len(use)})
    return EventStudy(pd.DataFrame(rows), m)

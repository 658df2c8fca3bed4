"""Change between two dates of one territory: intervals fitting each kind of indicator (measures).

A report compared with a baseline edition (a point d'étape) recomputes both dates from
today's data; the records of the later date include those of the earlier one. Changes are
therefore computed on the records started **since** the baseline (disjoint from those
before it), which makes the two samples independent:

* a **share** (rural, QPV) at the later date is a weighted mean of the share before and the
  share since: :math:`p_{now} - p_b = w\\,(p_{new} - p_b)` with :math:`w = n_{new}/n_{now}`
  fixed, so its interval is :math:`w` times Newcombe's hybrid score interval of
  :math:`p_{new} - p_b` (:func:`newcombe_difference`, :func:`share_change`);
* a **count** of events (accompaniments) since the baseline is Poisson: exact (Garwood)
  interval (:func:`poisson_interval`); the **pace** since against the pace before (per year
  of each window) is a ratio of two Poisson rates with the exact conditional binomial
  interval (:func:`rate_ratio_exact`);
* **ties** of the collaboration network: the ties of one network period (as the report's
  indicators count them) recomputed at each date, compared: new, kept, lost, and how many
  of the new ones come from actors who entered the network since (:func:`edge_changes`);
  or the ties active *on* each date (:func:`tie_changes`).

Everything returns numbers and codes; the report layer (:mod:`evaluation.report.editions.evolution`)
words them and applies disclosure control.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.measures.stats import wilson_interval

__all__ = ["newcombe_difference", "share_change", "poisson_interval", "rate_ratio_exact", "ShareChange",
           "RateRatio", "TieChanges", "tie_changes", "edge_changes", "active_pairs", "years_between"]


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, *, alpha: float = 0.05) -> tuple[float, float, float]:
    """Difference of two independent proportions with Newcombe's hybrid score interval.

    :math:`d = p_1 - p_2`, its interval (Newcombe's method 10) from the Wilson intervals
    :math:`[l_i, u_i]` of each proportion:

    .. math:: L = d - \\sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2},\\quad
              U = d + \\sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}

    NaN when a sample is empty.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873–890.
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = x1 / n1, x2 / n2
    (l1, l2), (u1, u2) = wilson_interval(np.array([x1, x2]), np.array([n1, n2]), alpha=alpha)
    d = p1 - p2
    return (float(d), float(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)),
            float(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)))


@dataclass(frozen=True)
class ShareChange:
    """A share at two dates and its change with interval (see :func:`share_change`).

    ``x_new``/``n_new``: the records (and those in the group) started since the baseline.
    """

    baseline: float
    current: float
    change: float
    ci_low: float
    ci_high: float
    x_new: int
    n_new: int


def share_change(x_base: int, n_base: int, x_now: int, n_now: int, *, alpha: float = 0.05) -> ShareChange:
    """Change of a cumulative share between two dates, ``x`` of ``n`` records at each.

    The records at the later date are those of the baseline plus ``n_new = n_now - n_base``
    started since, of which ``x_new = x_now - x_base`` in the group. With
    :math:`w = n_{new}/n_{now}`, :math:`p_{now} - p_b = w (p_{new} - p_b)`; the interval is
    :math:`w` times the Newcombe interval of :math:`p_{new} - p_b` (:func:`newcombe_difference`).
    No record since the baseline: the change is 0 with an empty interval.
    """
    x_new, n_new = int(x_now - x_base), int(n_now - n_base)
    if x_new < 0 or n_new < 0 or x_new > n_new:
        raise ValueError("the later date's records must include the baseline's")
    p_b = x_base / n_base if n_base else float("nan")
    p_now = x_now / n_now if n_now else float("nan")
    if n_new == 0:
        return ShareChange(p_b, p_now, 0.0, 0.0, 0.0, 0, 0)
    _, low, high = newcombe_difference(x_new, n_new, x_base, n_base, alpha=alpha)
    w = n_new / n_now
    return ShareChange(p_b, p_now, p_now - p_b, w * low, w * high, x_new, n_new)


def poisson_interval(count: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson count:
    :math:`[\\chi^2_{\\alpha/2}(2x)/2,\\ \\chi^2_{1-\\alpha/2}(2x+2)/2]`, 0 as lower bound for 0.
    """
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    return float(low), float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2)


@dataclass(frozen=True)
class RateRatio:
    """Ratio of two Poisson rates ``(x1/t1) / (x2/t2)`` with its exact conditional interval and
    two-sided p-value of equal rates (NaN ratio or bounds where not estimable).
    """

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    x1: int
    t1: float
    x2: int
    t2: float


def rate_ratio_exact(x1: int, t1: float, x2: int, t2: float, *, alpha: float = 0.05) -> RateRatio:
    """Ratio of two Poisson rates with the exact conditional binomial interval.

    Given :math:`n = x_1 + x_2`, :math:`x_1 \\sim \\mathrm{Bin}(n, \\pi)` with
    :math:`\\pi = t_1 R / (t_1 R + t_2)`; the Clopper–Pearson interval :math:`[\\pi_L, \\pi_U]`
    of :math:`\\pi` gives :math:`R = \\frac{\\pi}{1-\\pi}\\frac{t_2}{t_1}`. The p-value is
    the two-sided exact binomial test of :math:`\\pi = t_1/(t_1+t_2)` (equal rates).

    References
    ----------
    Breslow, N. E. and Day, N. E. (1987). *Statistical Methods in Cancer Research II*, §2.3;
    Clopper, C. J. and Pearson, E. S. (1934). *Biometrika* 26, 404–413.
    """
    n = x1 + x2
    if n == 0 or t1 <= 0 or t2 <= 0:
        return RateRatio(float("nan"), float("nan"), float("nan"), float("nan"), x1, t1, x2, t2)
    lo = stats.beta.ppf(alpha / 2, x1, n - x1 + 1) if x1 > 0 else 0.0
    hi = stats.beta.ppf(1 - alpha / 2, x1 + 1, n - x1) if x1 < n else 1.0

    def ratio(pi: float) -> float:
        return float("inf") if pi >= 1 else pi / (1 - pi) * t2 / t1

    p = stats.binomtest(x1, n, t1 / (t1 + t2)).pvalue
    estimate = (x1 / t1) / (x2 / t2) if x2 > 0 else float("inf")
    return RateRatio(float(estimate), ratio(lo), ratio(hi), float(p), x1, t1, x2, t2)


def years_between(start: dt.date, end: dt.date) -> float:
    """Length of ``[start, end]`` in years of 365.25 days (both days included)."""
    return ((pd.Timestamp(end) - pd.Timestamp(start)).days + 1) / 365.25


def active_pairs(collaborations: pd.DataFrame, date: dt.date, *, actors: pd.Index | None = None) -> pd.Index:
    """Unordered pairs ``"a|b"`` (``a < b``) of the ties active on ``date``: started by then,
    with no end or an end on or after it; with ``actors``, ties between those actors only.
    """
    day = pd.Timestamp(date)
    c = collaborations
    keep = (c["start_date"] <= day).fillna(False)
    if "end_date" in c:
        keep &= c["end_date"].isna() | (c["end_date"] >= day)
    a, b = c["actor_a"].astype(str), c["actor_b"].astype(str)
    if actors is not None:
        keep &= a.isin(actors) & b.isin(actors)
    a, b = a[keep].to_numpy(), b[keep].to_numpy()
    first, second = np.where(a < b, a, b), np.where(a < b, b, a)
    return pd.Index(np.char.add(np.char.add(first.astype(str), "|"), second.astype(str))).unique()


@dataclass(frozen=True)
class TieChanges:
    """Collaboration ties at the baseline and now: new (now, not then), kept, lost.

    ``entered``: of the new ties, those with an actor who was not in the baseline's network
    (only :func:`edge_changes` counts them; 0 otherwise).
    """

    baseline: int
    current: int
    new: int
    kept: int
    lost: int
    entered: int = 0


def _pair_keys(edges: pd.DataFrame) -> pd.Index:
    a, b = edges["actor_a"].astype(str).to_numpy(), edges["actor_b"].astype(str).to_numpy()
    first, second = np.where(a < b, a, b), np.where(a < b, b, a)
    return pd.Index(np.char.add(np.char.add(first.astype(str), "|"), second.astype(str))).unique()


def edge_changes(baseline: pd.DataFrame, current: pd.DataFrame, *, baseline_actors: pd.Index | None = None) -> TieChanges:
    r"""The ties of one network period at the baseline and now, compared.

    ``baseline`` and ``current`` are the same period's tie lists (``actor_a``, ``actor_b``;
    e.g. :func:`evaluation.measures.network.build.collaboration_ties` of the period « after
    the split date ») recomputed at each date, each on the actors of its date's network:
    the very ties the report's indicators count. With :math:`B` and :math:`C` their sets of
    unordered pairs: ``kept`` :math:`= |B \cap C|`, ``new`` :math:`= |C \setminus B|`,
    ``lost`` :math:`= |B \setminus C|`, so ``current = baseline + new - lost``. ``entered``
    counts the new pairs with an actor outside ``baseline_actors`` (the baseline's
    network): ties that enter the count because an actor entered the network since, even
    when the tie itself is older.
    """
    before, after = _pair_keys(baseline), _pair_keys(current)
    kept = len(before.intersection(after))
    entered = 0
    if baseline_actors is not None:
        added = after.difference(before)
        ends = added.str.split("|", n=1, expand=True) if len(added) else None
        known = set(map(str, baseline_actors))
        if ends is not None:
            entered = int((~(ends.get_level_values(0).isin(known) & ends.get_level_values(1).isin(known))).sum())
    return TieChanges(len(before), len(after), len(after) - kept, kept, len(before) - kept, entered)


def tie_changes(collaborations: pd.DataFrame, baseline: dt.date, current: dt.date, *,
                actors: pd.Index | None = None) -> TieChanges:
    """Ties new, kept and lost between two dates (:func:`active_pairs` on each)."""
    before, after = active_pairs(collaborations, baseline, actors=actors), active_pairs(collaborations, current,
                                                                                        actors=actors)
    kept = len(before.intersection(after))
    return TieChanges(len(before), len(after), len(after) - kept, kept, len(before) - kept)

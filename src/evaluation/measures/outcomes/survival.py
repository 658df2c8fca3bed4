"""Kaplan–Meier survival with Greenwood log-log intervals, and the log-rank test, in numpy.

Our own implementation rather than ``lifelines``: the newest ``lifelines`` requires
``pandas < 3`` (the project runs on pandas 3), its import costs about two seconds in every
report kernel for three formulas, and its one-fit-at-a-time API cannot estimate many samples
at once, which the coverage checks do (:func:`survival_at` takes a batch of samples, one per
row, and needs no loop). The tests check these functions against ``lifelines`` and against
R's ``survival::survfit`` and ``survdiff``, and against a small case computed by hand.

Ties follow the usual convention (R, lifelines): at a time with closures and censorings,
the censored structures are still at risk. Processing the sorted observations one at a time,
closures before censorings at equal times, gives exactly the grouped estimator, because the
product :math:`\\prod_{k<d} (1 - 1/(n-k)) = 1 - d/n` and the sum
:math:`\\sum_{k<d} 1/((n-k)(n-k-1)) = d/(n(n-d))` telescope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.measures.estimation import z_value

__all__ = ["kaplan_meier", "survival_at", "at_risk", "LogRank", "logrank_test"]


def _steps(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted times, events, survival and Greenwood sums after each observation, per row.

    ``durations`` and ``events`` are ``(samples, units)``; a NaN duration is no unit.
    """
    d = np.atleast_2d(np.asarray(durations, dtype=float))
    e = np.atleast_2d(np.asarray(events, dtype=bool)) & ~np.isnan(d)
    key = np.where(np.isnan(d), np.inf, d)
    order = np.lexsort((~e, key), axis=-1)  # by time, closures before censorings at equal times
    t = np.take_along_axis(key, order, axis=-1)
    ev = np.take_along_axis(e, order, axis=-1)
    n = (~np.isnan(d)).sum(axis=-1, keepdims=True)
    risk = (n - np.arange(d.shape[-1])[None, :]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(ev, 1.0 - 1.0 / np.where(risk > 0, risk, np.nan), 1.0)
        green = np.where(ev, 1.0 / (risk * (risk - 1.0)), 0.0)
    return t, ev, np.cumprod(factor, axis=-1), np.cumsum(green, axis=-1)


def _log_log(surv: np.ndarray, greenwood: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Kalbfleisch–Prentice (log-log) interval of S from Greenwood's sum; NaN where S is 0 or 1."""
    z = z_value(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(surv)
        sd = np.sqrt(greenwood) / np.abs(log_s)
        low, high = surv ** np.exp(z * sd), surv ** np.exp(-z * sd)
    bad = ~((surv > 0) & (surv < 1) & np.isfinite(sd))
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def survival_at(durations: np.ndarray, events: np.ndarray, times: np.ndarray | float, *,
                alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier survival at ``times`` with its log-log interval, for one or many samples.

    Parameters
    ----------
    durations, events
        ``(units,)`` or ``(samples, units)``: time from the origin to the closure (``events``
        true) or to the last known follow-up (false: censored). NaN durations are ignored,
        so samples of different sizes share one array.
    times
        Times at which to read the curve (same unit as ``durations``).

    Returns
    -------
    survival, low, high
        ``(samples, len(times))`` arrays. The interval is NaN where the survival is 1 (no
        closure yet) or 0, as in R's ``survfit``.

    Notes
    -----
    .. math:: \\hat S(t) = \\prod_{t_i \\le t} \\left(1 - \\frac{d_i}{n_i}\\right), \\qquad
              \\hat V(t) = \\sum_{t_i \\le t} \\frac{d_i}{n_i (n_i - d_i)}

    and the interval is :math:`\\hat S(t)^{\\exp(\\pm z \\sqrt{\\hat V} / \\log \\hat S)}`
    (``conf.type = "log-log"`` in R).

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    *JASA* 53(282), 457–481. Greenwood, M. (1926). *The natural duration of cancer*. HMSO.
    Kalbfleisch, J. D. & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
    Data*, 2nd ed., Wiley, §1.4.
    """
    t, _, surv, green = _steps(durations, events)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if t.shape[1] == 0:  # no unit: nothing observed, no interval
        nan = np.full((t.shape[0], len(times)), np.nan)
        return np.ones_like(nan), nan, nan.copy()
    idx = (t[:, :, None] <= times[None, None, :]).sum(axis=1)  # observations up to each time
    pick = np.clip(idx - 1, 0, None)
    s = np.where(idx > 0, np.take_along_axis(surv, pick, axis=1), 1.0)
    v = np.where(idx > 0, np.take_along_axis(green, pick, axis=1), 0.0)
    low, high = _log_log(s, v, alpha)
    return s, low, high


def at_risk(durations: np.ndarray, times: np.ndarray | float) -> np.ndarray:
    """Number of units still observed at each time (duration ≥ time), per sample: ``(samples, len(times))``."""
    d = np.atleast_2d(np.asarray(durations, dtype=float))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    return (d[:, :, None] >= times[None, None, :]).sum(axis=1)


def kaplan_meier(durations: pd.Series | np.ndarray, events: pd.Series | np.ndarray, *,
                 alpha: float = 0.05) -> pd.DataFrame:
    """The Kaplan–Meier curve of one sample: one row per distinct time.

    Returns ``time``, ``at_risk`` (units observed just before the time), ``events``
    (closures at the time), ``censored``, ``survival`` (after the time), ``ci_low`` and
    ``ci_high`` (log-log interval, see :func:`survival_at`). The curve starts at time 0 with
    survival 1. NaN durations are left out.
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    keep = ~np.isnan(d)
    d, e = d[keep], e[keep]
    t, ev, surv, green = (a[0] for a in _steps(d, e))
    times, first, counts = np.unique(t, return_index=True, return_counts=True)
    last = first + counts - 1
    closures = np.add.reduceat(ev.astype(int), first) if len(t) else np.array([], int)
    low, high = _log_log(surv[last], green[last], alpha)
    out = pd.DataFrame({"time": times, "at_risk": len(d) - first, "events": closures,
                        "censored": counts - closures, "survival": surv[last], "ci_low": low, "ci_high": high})
    start = pd.DataFrame({"time": [0.0], "at_risk": [len(d)], "events": [0], "censored": [0], "survival": [1.0],
                          "ci_low": [np.nan], "ci_high": [np.nan]})
    return pd.concat([start, out[out["time"] > 0]] if len(out) and out["time"].iloc[0] > 0 else [out], ignore_index=True)


@dataclass(frozen=True)
class LogRank:
    """The log-rank test of equal survival across groups.

    ``statistic`` is χ² with ``df`` = groups − 1; ``groups`` the groups compared (each with a
    structure); not ``estimable`` (``reason``) when fewer than two groups or no closure.
    """

    statistic: float
    df: int
    p_value: float
    groups: tuple[str, ...]
    events: int
    estimable: bool = True
    reason: str | None = None


def logrank_test(durations: pd.Series | np.ndarray, events: pd.Series | np.ndarray,
                 groups: pd.Series | np.ndarray) -> LogRank:
    """The k-sample log-rank test (Mantel 1966), as R's ``survival::survdiff``.

    .. math:: U_g = \\sum_j \\left(d_{gj} - n_{gj}\\frac{d_j}{n_j}\\right), \\quad
              V_{gh} = \\sum_j \\frac{d_j (n_j - d_j)}{n_j - 1} \\frac{n_{gj}}{n_j}
              \\left(\\delta_{gh} - \\frac{n_{hj}}{n_j}\\right), \\quad
              \\chi^2 = U^\\top V^{-} U

    on k − 1 degrees of freedom (the last group dropped). Units with a missing group or
    duration are left out.

    References
    ----------
    Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising
    in its consideration. *Cancer Chemotherapy Reports* 50(3), 163–170.
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    g = pd.Series(np.asarray(groups, dtype=object))
    keep = ~np.isnan(d) & g.notna().to_numpy()
    d, e, g = d[keep], e[keep], g[keep].astype(str).to_numpy()
    labels, code = np.unique(g, return_inverse=True)
    k = len(labels)
    if k < 2 or not e.any():
        return LogRank(np.nan, max(k - 1, 0), np.nan, tuple(labels), int(e.sum()), False, "no_variation")
    times = np.unique(d[e])
    member = code[:, None] == np.arange(k)[None, :]  # units × groups
    risk = ((d[:, None] >= times[None, :])[:, :, None] & member[:, None, :]).sum(axis=0)  # times × groups
    dead = ((d[:, None] == times[None, :]) & e[:, None])[:, :, None] & member[:, None, :]
    dead = dead.sum(axis=0)
    n_j, d_j = risk.sum(axis=1), dead.sum(axis=1)
    expected = risk * (d_j / n_j)[:, None]
    u = (dead - expected).sum(axis=0)
    w = np.where(n_j > 1, d_j * (n_j - d_j) / np.where(n_j > 1, n_j - 1, 1), 0.0) / n_j
    share = risk / n_j[:, None]
    v = np.einsum("j,jg,gh->gh", w * n_j, share, np.eye(k)) - np.einsum("j,jg,jh->gh", w * n_j, share, share)
    stat = float(u[:-1] @ np.linalg.pinv(v[:-1, :-1]) @ u[:-1])
    return LogRank(stat, k - 1, float(stats.chi2.sf(stat, k - 1)), tuple(labels), int(e.sum()))

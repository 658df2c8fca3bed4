"""Shared statistics: Wilson intervals, Lorenz curve and Gini, weighted quantiles, the Cochran-Armitage trend test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

__all__ = ["wilson_interval", "lorenz_curve", "gini", "weighted_quantile", "cochran_armitage"]


def wilson_interval(count: np.ndarray | pd.Series | int, nobs: np.ndarray | pd.Series | int, *,
                    alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``count / nobs`` (statsmodels).

    .. math:: \\frac{\\hat p + \\frac{z^2}{2n} \\pm z\\sqrt{\\frac{\\hat p(1-\\hat p)}{n} +
              \\frac{z^2}{4n^2}}}{1 + \\frac{z^2}{n}}

    Where ``nobs`` is 0 the bounds are NaN.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209–212.
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    low, high = proportion_confint(count, safe, alpha=alpha, method="wilson")
    empty = nobs <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def lorenz_curve(values: Sequence[float] | pd.Series, *, weights: Sequence[float] | pd.Series | None = None,
                 ) -> pd.DataFrame:
    """Lorenz curve of ``values`` across units (communes).

    Units are sorted by ``values / weights`` (by ``values`` without weights); ``x`` is
    the cumulative share of units (or of weights, e.g. population) and ``y`` the
    cumulative share of values. The curve starts at (0, 0).

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *JASA* 9(70).
    """
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = v[keep], w[keep]
    order = np.argsort(v / w, kind="stable")
    v, w = v[order], w[order]
    x = np.concatenate([[0.0], np.cumsum(w) / w.sum()]) if w.sum() else np.array([0.0])
    y = np.concatenate([[0.0], np.cumsum(v) / v.sum()]) if v.sum() else np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    return pd.DataFrame({"x": x, "y": y})


def gini(values: Sequence[float] | pd.Series, *, weights: Sequence[float] | pd.Series | None = None) -> float:
    """Gini coefficient: 1 − 2 × the area under the Lorenz curve (trapezoids).

    .. math:: G = 1 - \\sum_i (x_i - x_{i-1})(y_i + y_{i-1})

    0 when every unit gets the same (per weight), close to 1 when one unit gets all.
    Without weights this equals :math:`\\sum_i\\sum_j |v_i - v_j| / (2 n^2 \\bar v)`.
    NaN with fewer than two units or no values.
    """
    curve = lorenz_curve(values, weights=weights)
    if len(curve) < 3 or np.asarray(values, dtype=float).sum() <= 0:
        return float("nan")
    x, y = curve["x"].to_numpy(), curve["y"].to_numpy()
    return float(1 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantile of ``values`` each repeated ``weights`` times (inverted CDF).

    Equals ``np.quantile(np.repeat(values, weights), q, method="inverted_cdf")`` without
    building the repeated array.
    """
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size == 0:
        return np.full(np.shape(q), np.nan)
    order = np.argsort(v, kind="stable")
    v, cw = v[order], np.cumsum(w[order])
    idx = np.searchsorted(cw, np.asarray(q) * cw[-1], side="left")
    return v[np.minimum(idx, v.size - 1)]


def cochran_armitage(hits: np.ndarray, totals: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Cochran–Armitage test for a linear trend in proportions (R's ``prop.trend.test``).

    .. math:: z = \\frac{\\sum_i x_i (s_i - \\bar s)}
                       {\\sqrt{\\bar p (1 - \\bar p) \\sum_i n_i (s_i - \\bar s)^2}},
              \\qquad \\bar s = \\frac{\\sum_i n_i s_i}{N}, \\quad \\bar p = \\frac{\\sum_i x_i}{N}

    with :math:`x_i` hits out of :math:`n_i` in group *i* of score :math:`s_i`;
    :math:`z^2` is R's ``prop.trend.test`` statistic. Computed from the counts as they
    are: a group with no hit or only hits needs no correction (statsmodels' ``Table``
    would add 0.5 to every cell of a table with a zero). Returns the signed ``z`` and
    its two-sided p-value; NaN when every unit is a hit, none is, or the scores do not
    vary.

    References
    ----------
    Armitage, P. (1955). Tests for linear trends in proportions and frequencies.
    *Biometrics* 11(3), 375–386. Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., §5.3.5.
    """
    x, n, s = (np.asarray(v, dtype=float) for v in (hits, totals, scores))
    total = n.sum()
    if total <= 0:
        return float("nan"), float("nan")
    p = x.sum() / total
    centred = s - (n * s).sum() / total
    variance = p * (1 - p) * (n * centred**2).sum()
    if not variance > 0:
        return float("nan"), float("nan")
    z = float((x * centred).sum() / np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))

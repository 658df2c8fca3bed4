"""Funnel plots of rates (Spiegelhalter 2005): units compared with a target, not ranked.

A ranking of the EPCI (or communes, départements) of a territory by their rate per 10,000
inhabitants puts small units at both ends by chance alone. A funnel plot draws each unit's
rate against its exposure (population × years), with the limits within which a unit's rate
would fall 95 % and 99.8 % of the time if it had the territory's rate: the limits narrow as
the exposure grows. A unit outside them differs from the target beyond what chance explains.

:func:`funnel_limits` gives the limits from the exact Poisson distribution, interpolated so
that they are smooth (Spiegelhalter 2005, appendix A.1.1); with a multiplicative
over-dispersion :math:`\\phi > 1` (:func:`overdispersion`, from winsorised z-scores), the
normal approximation widened by :math:`\\sqrt{\\phi}` (ibid., §6).

References
----------
Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24(8), 1185–1202.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["funnel_limits", "overdispersion", "funnel_points"]


def funnel_limits(exposure: np.ndarray | Sequence[float], target: float, *, levels: Sequence[float] = (0.95, 0.998),
                  phi: float = 1.0, per: float = 1e4) -> pd.DataFrame:
    """Control limits of a rate with target ``target`` (per ``per``) at each exposure.

    With :math:`\\theta = ` ``target`` / ``per`` and exposure *E*, the count has expectation
    :math:`\\lambda = \\theta E`. For :math:`\\phi = 1`, the *p*-quantile of the rate is

    .. math::
        y_p = \\frac{r_p - a}{E}, \\qquad
        a = \\frac{F(r_p) - p}{F(r_p) - F(r_p - 1)}

    where :math:`r_p` is the smallest count with :math:`F(r_p) \\ge p` (*F* the Poisson
    distribution function of mean λ): Spiegelhalter's interpolation of the discrete quantile.
    For :math:`\\phi > 1`: :math:`\\theta \\pm z_p\\sqrt{\\phi\\,\\theta/E}`.

    Returns
    -------
    DataFrame
        ``exposure`` and, for each level *L*, ``low_L`` and ``high_L`` (per ``per``; the
        lower limit floored at 0).
    """
    e = np.asarray(exposure, dtype=float)
    theta = target / per
    lam = theta * e
    out = pd.DataFrame({"exposure": e})
    for level in levels:
        tail = (1 - level) / 2
        for name, p in (("low", tail), ("high", 1 - tail)):
            if phi > 1:
                limit = theta + stats.norm.ppf(p) * np.sqrt(phi * theta / np.where(e > 0, e, np.nan))
            else:
                r = stats.poisson.ppf(p, lam)
                f_r, f_below = stats.poisson.cdf(r, lam), stats.poisson.cdf(r - 1, lam)
                with np.errstate(divide="ignore", invalid="ignore"):
                    a = np.where(f_r > f_below, (f_r - p) / (f_r - f_below), 0.0)
                    limit = (r - a) / np.where(e > 0, e, np.nan)
            out[f"{name}_{level:g}"] = np.maximum(limit, 0) * per
    return out


def overdispersion(count: np.ndarray, exposure: np.ndarray, target: float, *, per: float = 1e4,
                   winsor: float = 0.1) -> float:
    """Multiplicative over-dispersion of counts around the target rate: the mean of the squared
    z-scores :math:`z_i = (y_i - \\theta E_i) / \\sqrt{\\theta E_i}`, winsorised at ``winsor`` in
    each tail (Spiegelhalter 2005, §6.2). NaN with fewer than three units.
    """
    y, e = np.asarray(count, dtype=float), np.asarray(exposure, dtype=float)
    keep = e > 0
    y, e = y[keep], e[keep]
    if len(y) < 3:
        return float("nan")
    mu = target / per * e
    z = (y - mu) / np.sqrt(mu)
    low, high = np.quantile(z, [winsor, 1 - winsor])
    return float(np.mean(np.clip(z, low, high) ** 2))


def funnel_points(rates: pd.DataFrame, by: str, *, years: float, per: float = 1e4) -> pd.DataFrame:
    """The units of a rates table (``count``, ``population``, optionally ``suppressed``) as points of
    a funnel: ``exposure`` (population × years) and ``rate`` per ``per`` per year. Withheld units
    (``suppressed``, or a blanked count) and units without population are left out.
    """
    exposure = rates["population"].to_numpy(dtype=float) * years
    count = rates["count"].to_numpy(dtype=float)
    shown = ~np.isnan(count) & (exposure > 0)
    if "suppressed" in rates:
        shown &= ~rates["suppressed"].to_numpy(dtype=bool)
    points = pd.DataFrame({by: rates[by].astype(str).to_numpy(), "count": count, "exposure": exposure,
                           "rate": np.where(exposure > 0, count / np.where(exposure > 0, exposure, 1) * per, np.nan)}
                          )[shown].reset_index(drop=True)
    return points

"""Trend of a share across years (Cochran-Armitage test)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.measures.estimation import (
    capture_warnings,
    events_reason,
)
from evaluation.measures.reach.shares import _weights
from evaluation.measures.stats import cochran_armitage, wilson_interval

__all__ = ["TrendTest", "share_trend", "period_trend"]


@dataclass
class TrendTest:
    """Result of the trend test of :func:`share_trend` (Cochran–Armitage).

    Also readable as a mapping (``test["p_value"]``) for callers written against the
    former dict.
    """

    zscore: float
    p_value: float
    direction: int  # +1 rising, −1 falling, 0 flat or not estimable
    years: int
    events: int = 0  # the rarer outcome's total (hits or non-hits)
    estimable: bool = False
    reason: str | None = None  # a code of evaluation.measures.estimation.REASONS
    warnings: tuple[str, ...] = ()

    def __getitem__(self, key: str):
        return getattr(self, key)


def share_trend(table: pd.DataFrame, column: str, value: str, *, year: str = "year", weight: str | None = None,
                alpha: float = 0.05) -> tuple[pd.DataFrame, TrendTest]:
    """Share of ``column == value`` by year, and a test for a linear trend across years.

    The test is the Cochran–Armitage trend test with the years as scores
    (:func:`~evaluation.measures.stats.cochran_armitage`, R's ``prop.trend.test``). It is estimable with at least
    two years and at least 10 of the rarer outcome (one parameter, see
    :mod:`evaluation.measures.estimation`); otherwise ``zscore`` and ``p_value`` are NaN and
    ``reason`` says why (``"no_data"``, ``"no_variation"``, ``"too_few_events"``).

    Returns
    -------
    (DataFrame, TrendTest)
        Per year: ``year``, ``count``, ``total``, ``share``, ``ci_low``, ``ci_high``;
        and the test.

    References
    ----------
    Armitage, P. (1955), see :func:`~evaluation.measures.stats.cochran_armitage`.
    """
    data = table[table[column].notna() & table[year].notna()]
    w = _weights(data, weight)
    hit = (data[column].astype(object) == value).to_numpy()
    years = data[year].astype(int).to_numpy()
    per = pd.DataFrame({"year": years, "hit": np.where(hit, w, 0), "w": w.to_numpy()}).groupby("year").sum()
    out = pd.DataFrame({"year": per.index.to_numpy(), "count": per["hit"].to_numpy().astype(int),
                        "total": per["w"].to_numpy().astype(int)})
    out["share"] = out["count"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], out["total"], alpha=alpha)
    hits, total = int(out["count"].sum()), int(out["total"].sum())
    events = min(hits, total - hits)
    counted = int((out["total"] > 0).sum())
    reason = "no_data" if counted == 0 else "no_variation" if counted < 2 else events_reason(events, 1)
    test = TrendTest(float("nan"), float("nan"), 0, len(out), events, estimable=reason is None, reason=reason)
    if reason is None:
        with capture_warnings() as captured:
            z, p = cochran_armitage(out["count"].to_numpy(), out["total"].to_numpy(), out["year"].to_numpy())
        test.warnings = captured.codes
        if np.isfinite(z):
            test.zscore, test.p_value, test.direction = z, p, int(np.sign(z))
        else:
            test.estimable, test.reason = False, "no_variation"
    return out, test


def period_trend(table: pd.DataFrame) -> TrendTest:
    """The Cochran–Armitage trend test of :func:`share_trend` on a table by period.

    ``table`` has ``year`` (first year of each period), ``count`` and ``total``, and
    optionally ``year_end`` (last year; default ``year``): each period is scored by its
    middle year, ``(year + year_end) / 2``. With one row per year this is
    :func:`share_trend`'s test. Used on a report's published periods, so that the test
    is a function of published counts only.
    """
    first = table["year"].astype(float).to_numpy()
    last = table["year_end"].astype(float).to_numpy() if "year_end" in table else first
    hits, totals = table["count"].to_numpy(dtype=float), table["total"].to_numpy(dtype=float)
    events = int(min(hits.sum(), totals.sum() - hits.sum())) if len(table) else 0
    counted = int((totals > 0).sum())
    reason = "no_data" if counted == 0 else "no_variation" if counted < 2 else events_reason(events, 1)
    test = TrendTest(float("nan"), float("nan"), 0, len(table), events, estimable=reason is None, reason=reason)
    if reason is None:
        with capture_warnings() as captured:
            z, p = cochran_armitage(hits, totals, (first + last) / 2)
        test.warnings = captured.codes
        if np.isfinite(z):
            test.zscore, test.p_value, test.direction = z, p, int(np.sign(z))
        else:
            test.estimable, test.reason = False, "no_variation"
    return test

"""Results against objectives: the status of each target of a convention at a report's date.

A territory's objectives (:class:`evaluation.geo.territory.Objective`, declared in
``territories.yml``) set, for one indicator, a baseline :math:`B` at date :math:`t_0` and a
target :math:`T` at date :math:`t_1`, with a direction of improvement. The result at the
report's date :math:`t` is the published indicator: its value :math:`V` and its confidence
interval :math:`[L, H]` (a count has no interval: :math:`L = H = V`, the count of records is
exact). Let :math:`s = +1` when higher is better, :math:`-1` when lower is better, and call the
*worst bound* :math:`W` the interval's bound on the bad side (:math:`L` when higher is better,
:math:`H` otherwise) and the *best bound* :math:`U` the other one. The planned path is the
straight line from baseline to target,

.. math::

    P(t) = B + (T - B)\\,\\min\\!\\left(1, \\frac{t - t_0}{t_1 - t_0}\\right).

The status, decided in this order:

1. ``not_measurable`` — no published result: the indicator is withheld by statistical
   secrecy (``withheld``), not estimable on the data (``not_estimable``) or absent from the
   report (``absent``); or the report's date is before the baseline's (``before_baseline``);
2. ``met`` — the worst bound is at or beyond the target: :math:`s\\,(W - T) \\ge 0`;
3. ``on_track`` — before the target date, the best bound reaches the planned path:
   :math:`t < t_1` and :math:`s\\,(U - P(t)) \\ge 0` (the data do not show a lag behind the
   trajectory);
4. ``not_met`` — otherwise: behind the path with the whole interval, or the target date is
   past and the target not surely reached.

Comparisons allow for rounding (a relative :math:`10^{-9}`). A withheld result never gives a
status other than ``not_measurable``: the status reveals nothing the publication withholds.
Declaring a target met only when the whole interval lies beyond it is the one-sided reading of
an interval against a margin used for non-inferiority (Piaggio et al. 2012, *JAMA* 308:2594,
the CONSORT extension); the straight path from baseline to target is the usual trajectory of a
multi-year target. See ``docs/methods/objectifs.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from evaluation.geo.territory import Objective

__all__ = ["STATUSES", "REASONS", "Status", "OBJECTIVE_COLUMNS", "objective_status"]

Status = Literal["met", "on_track", "not_met", "not_measurable"]
#: The status codes, from the best to no status at all.
STATUSES: tuple[Status, ...] = ("met", "on_track", "not_met", "not_measurable")
#: Why a status is ``not_measurable``.
REASONS = ("withheld", "not_estimable", "absent", "before_baseline")
#: Columns of :func:`objective_status`'s table.
OBJECTIVE_COLUMNS = ["indicator", "label", "direction", "baseline", "baseline_date", "target", "target_date",
                     "source", "illustrative", "value", "low", "high", "expected", "progress", "status", "reason"]
_RTOL = 1e-9


def _at_or_beyond(x: np.ndarray, y: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """``s (x - y) >= 0`` up to rounding (false where ``x`` is NaN)."""
    return sign * (x - y) >= -_RTOL * np.maximum(1.0, np.abs(y))


def objective_status(objectives: Sequence[Objective], results: pd.DataFrame, *, on: dt.date) -> pd.DataFrame:
    """The status of each objective at date ``on`` (see the module's rule).

    Parameters
    ----------
    objectives
        The territory's objectives (``Territory.objectives``, :class:`evaluation.geo.territory.Territory`).
    results
        The published indicators, indexed by indicator code, with columns ``value``, ``low``,
        ``high`` (NaN where there is none, or where it is withheld or not estimable),
        ``withheld`` and ``estimable`` (booleans).
    on
        The report's date (its « état au »).

    Returns
    -------
    pandas.DataFrame
        One row per objective, in order (:data:`OBJECTIVE_COLUMNS`): the objective, the
        result (``value``, ``low``, ``high``; NaN when not measurable), ``expected`` (the
        planned path :math:`P(t)` at ``on``), ``progress`` (share of the way from baseline to
        target covered by the value, :math:`(V - B)/(T - B)`), ``status`` (:data:`STATUSES`) and
        ``reason`` (:data:`REASONS`, ``None`` unless not measurable).

    Examples
    --------
    >>> import datetime as dt, pandas as pd
    >>> from evaluation.geo.territory import Objective
    >>> o = Objective("part_qpv", 0.5, dt.date(2020, 1, 1), 0.7, dt.date(2024, 1, 1), "increase", "convention")
    >>> r = pd.DataFrame({"value": [0.62], "low": [0.55], "high": [0.69], "withheld": [False],
    ...                   "estimable": [True]}, index=["part_qpv"])
    >>> objective_status([o], r, on=dt.date(2022, 1, 1))["status"].tolist()  # path at 0.6, H = 0.69
    ['on_track']
    """
    rows = pd.DataFrame([{"indicator": o.indicator, "label": o.label, "direction": o.direction,
                          "baseline": o.baseline, "baseline_date": o.baseline_date, "target": o.target,
                          "target_date": o.target_date, "source": o.source, "illustrative": o.illustrative}
                         for o in objectives], columns=OBJECTIVE_COLUMNS[:9])
    found = results.reindex(rows["indicator"])
    present = rows["indicator"].isin(results.index).to_numpy()
    withheld = found["withheld"].fillna(False).to_numpy(dtype=bool) if "withheld" in found else np.zeros(len(rows), bool)
    estimable = found["estimable"].fillna(True).to_numpy(dtype=bool) if "estimable" in found else np.ones(len(rows), bool)
    value = found["value"].to_numpy(dtype=float)
    value = np.where(present & ~withheld & estimable, value, np.nan)
    shown_low = np.where(np.isnan(value), np.nan, found["low"].to_numpy(dtype=float))
    shown_high = np.where(np.isnan(value), np.nan, found["high"].to_numpy(dtype=float))
    low = np.where(np.isnan(shown_low), value, shown_low)  # a count has no interval: it is exact
    high = np.where(np.isnan(shown_high), value, shown_high)
    sign = np.where(rows["direction"].to_numpy() == "decrease", -1.0, 1.0)
    worst, best = np.where(sign > 0, low, high), np.where(sign > 0, high, low)
    base, target = rows["baseline"].to_numpy(dtype=float), rows["target"].to_numpy(dtype=float)
    t0 = np.array([d.toordinal() for d in rows["baseline_date"]], dtype=float)
    t1 = np.array([d.toordinal() for d in rows["target_date"]], dtype=float)
    t = float(on.toordinal())
    expected = base + (target - base) * np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    before = t < t0
    reason = np.select([~present, withheld, ~estimable, np.isnan(value), before],
                       ["absent", "withheld", "not_estimable", "not_estimable", "before_baseline"], default="")
    status = np.select([reason != "", _at_or_beyond(worst, target, sign),
                        (t < t1) & _at_or_beyond(best, expected, sign)],
                       ["not_measurable", "met", "on_track"], default="not_met")
    with np.errstate(invalid="ignore", divide="ignore"):
        progress = (value - base) / (target - base)
    return rows.assign(value=value, low=shown_low, high=shown_high, expected=expected, progress=progress, status=status,
                       reason=pd.Series([r or None for r in reason], dtype=object)).reset_index(drop=True)[OBJECTIVE_COLUMNS]

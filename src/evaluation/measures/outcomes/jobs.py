"""Jobs over time: at the accompaniment and at each anniversary, per structure, with intervals.

Each structure counts once (no sum over its accompaniments: :func:`~evaluation.measures.outcomes.histories.declared_jobs`).
At ``h`` years, the structures whose origin is at least ``h`` years before the report's date
are *eligible*; each is:

* **closed** if its closure (:func:`~evaluation.measures.outcomes.histories.structure_histories`)
  came by then: its jobs are **lost** (0 at ``h`` years; the jobs it declared at the
  accompaniment are counted as lost, and said so);
* **observed** if a follow-up that found it active lies within ``window`` years of the
  anniversary (the nearest one is read): its ``jobs`` (and ``fte``), *verified* when the
  follow-up checked an administrative source, *declared* otherwise;
* **merged** before then (its jobs are now another structure's: not counted), or **unknown**.

The total for all eligible structures is the expansion estimate from the observed ones (closed
ones included, at 0), as if those observed were a simple random sample of the eligible:

.. math:: \\hat T = N \\bar y, \\qquad \\widehat{\\mathrm{Var}}(\\hat T) = N^2 \\left(1 - \\frac{n}{N}\\right)
          \\frac{s^2}{n}, \\qquad \\hat T \\pm t_{n-1} \\sqrt{\\widehat{\\mathrm{Var}}}

(Cochran 1977, §2.7), its lower bound not below the jobs actually observed. With every
eligible structure observed the interval has no width: it is a count. Structures lost to
follow-up are often those that did worse, so the estimate leans optimistic; the observed count
is a floor.

References
----------
Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.measures.outcomes.histories import YEAR_DAYS

__all__ = ["JOB_HORIZONS", "JobsOverTime", "jobs_over_time"]

#: Anniversaries (years after the origin) at which jobs are read; 0 is the accompaniment.
JOB_HORIZONS = (0, 1, 2, 3)


@dataclass
class JobsOverTime:
    """Jobs at each anniversary.

    ``table`` has one row per ``horizon`` (years): ``eligible`` structures, ``observed``
    (closed ones included), ``closed``, ``merged``, ``unknown``, ``jobs`` (observed total),
    ``verified`` and ``declared`` (its parts, with ``verified_structures`` and
    ``declared_structures``: how many structures with jobs each part sums), ``fte``, ``jobs_declared_start`` (what the same
    observed structures declared at the accompaniment), ``jobs_lost`` (declared at the
    accompaniment by those closed), ``estimate``, ``ci_low``, ``ci_high``, ``estimable``,
    ``reason``. ``contributions`` holds each horizon's observed jobs per structure (for the
    dominance rule of the report).
    """

    table: pd.DataFrame
    contributions: dict[int, pd.Series] = field(default_factory=dict)


def _expansion(values: np.ndarray, eligible: int, *, alpha: float) -> tuple[float, float, float, str | None]:
    n = len(values)
    if n == 0 or eligible == 0:
        return np.nan, np.nan, np.nan, "no_data"
    total = eligible * values.mean()
    if n == eligible:
        return float(total), float(values.sum()), float(values.sum()), None
    if n < 2:
        return float(total), np.nan, np.nan, "too_few_followed"
    half = stats.t.ppf(1 - alpha / 2, n - 1) * eligible * np.sqrt((1 - n / eligible) * values.var(ddof=1) / n)
    return float(total), float(max(total - half, values.sum())), float(total + half), None


def jobs_over_time(histories: pd.DataFrame, followups: pd.DataFrame, *, as_of: dt.date | pd.Timestamp,
                   horizons: tuple[int, ...] = JOB_HORIZONS, window: float = 0.5,
                   alpha: float = 0.05) -> JobsOverTime:
    """Jobs of the structures of ``histories`` at each of ``horizons`` (see the module's notes).

    ``followups`` are the validated follow-ups (``jobs``, ``verified``, optional ``fte``);
    horizon 0 reads the jobs declared at the accompaniment (``jobs_declared``).
    """
    as_of = pd.Timestamp(as_of)
    h = histories[histories["origin"].notna()]
    f = followups[followups["structure_id"].isin(h.index) & (followups["date"] <= as_of)
                  & (followups["status"] == "active")]
    rows, contributions = [], {}
    for horizon in horizons:  # a few anniversaries
        target = h["origin"] + pd.to_timedelta(horizon * YEAR_DAYS, unit="D")
        eligible = h[target <= as_of]
        if horizon == 0:
            jobs = eligible["jobs_declared"]
            state = pd.Series(np.where(jobs.notna(), "observed", "unknown"), index=eligible.index)
            verified = pd.Series(False, index=eligible.index)
            fte = pd.Series(np.nan, index=eligible.index)
        else:
            when = target[eligible.index]
            lost = (eligible["closed"] & (eligible["end"] <= when)).fillna(False).astype(bool)
            merged = (eligible["followed"] & ~eligible["closed"] & (eligible["end"] <= when)
                      & (eligible["last_status"] == "merged")).fillna(False).astype(bool)
            near = f[f["structure_id"].isin(eligible.index)]
            aim = when.reindex(near["structure_id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
            gap = np.abs(near["date"].to_numpy(dtype="datetime64[ns]") - aim) / np.timedelta64(1, "D")
            near = near.assign(gap=np.floor(gap) / YEAR_DAYS)
            near = near[near["gap"] <= window].sort_values(["structure_id", "gap"]).drop_duplicates("structure_id")
            near = near.set_index("structure_id").reindex(eligible.index)
            seen = (near["date"].notna() & ~lost & ~merged).to_numpy(bool)
            jobs = pd.Series(np.where(lost, 0.0, near["jobs"].astype(float)), index=eligible.index)
            state = pd.Series(np.select([lost.to_numpy(), merged.to_numpy(), seen & jobs.notna().to_numpy(), seen],
                                        ["closed", "merged", "observed", "alive_unknown_jobs"], "unknown"),
                              index=eligible.index)
            verified = near["verified"].astype("boolean").fillna(False).astype(bool) & (state == "observed")
            fte = pd.Series(np.where(lost, 0.0, near["fte"].astype(float) if "fte" in near else np.nan),
                            index=eligible.index)
        observed = state.isin(["closed", "observed"])
        values = jobs[observed].to_numpy(dtype=float)
        estimate, low, high, reason = _expansion(values, len(eligible), alpha=alpha)
        closed = state == "closed"
        rows.append({"horizon": horizon, "eligible": len(eligible), "observed": int(observed.sum()),
                     "closed": int(closed.sum()), "merged": int((state == "merged").sum()),
                     "unknown": int(state.isin(["unknown", "alive_unknown_jobs"]).sum()),
                     "jobs": float(values.sum()), "verified": float(jobs[observed & verified].sum()),
                     "declared": float(jobs[observed & ~verified].sum()),
                     "verified_structures": int((observed & verified & (jobs > 0)).sum()),
                     "declared_structures": int((observed & ~verified & (jobs > 0)).sum()),
                     "fte": float(fte[observed].sum()) if fte[observed].notna().any() else np.nan,
                     "jobs_declared_start": float(eligible.loc[observed, "jobs_declared"].sum()),
                     "jobs_lost": float(eligible.loc[closed, "jobs_declared"].sum()),
                     "estimate": estimate, "ci_low": low, "ci_high": high, "estimable": reason is None,
                     "reason": reason})
        contributions[horizon] = jobs[observed].astype(float)
    return JobsOverTime(pd.DataFrame(rows), contributions)

"""Means and cost per result: cost ratios of the support, by programme and year, and funders' shares.

A cost ratio divides what the support cost (``costs.csv``: amounts by year, programme and
funder) by what it reached: **accompaniments started** that year (and programme), **distinct
structures** with an accompaniment started that year, and **jobs still present two years**
after the accompaniment. It is a ratio of means to results, not a cost–benefit analysis: it
values neither the jobs nor what would have happened without the support.

* Cost per accompaniment, year *y*, programme *p*: :math:`C_{y,p} / A_{y,p}`, the accompaniments
  started in *y* (the cohort of the year's budget).
* Cost per structure reached: :math:`C / S`, ``S`` the distinct structures of the period (a
  structure accompanied twice counts once, so the period's ratio is not the mean of the years').
* Cost per job at two years: the costs of the years whose cohort has reached its second
  anniversary by the report's date, over the jobs of their structures two years after their
  origin (:func:`~evaluation.measures.outcomes.jobs.jobs_over_time`, closed structures at 0);
  its interval is the cost over the bounds of the jobs' interval (the denominator is the
  uncertain part).

Costs without a programme (overheads) count in the totals and by year, not by programme; their
share is returned. A cost row with a ``territory`` belongs to that territory's report: a
report with rows of its own uses those and its own accompaniments; otherwise the rows without
territory are the organisation's, divided by all its accompaniments (``scope`` says which).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.measures.outcomes.jobs import jobs_over_time

__all__ = ["CostRatios", "cost_scope", "cost_ratios"]


@dataclass
class CostRatios:
    """Cost ratios of one scope (see the module's notes).

    ``by_year_programme``, ``by_programme``, ``by_year`` and ``total`` (one row) have
    ``amount``, ``accompaniments``, ``structures``, ``per_accompaniment`` and
    ``per_structure`` (NaN where the denominator is 0); ``funders`` has ``funder`` (``None``
    when not said), ``amount`` and ``share``; ``unallocated`` is the share of costs without a
    programme; ``per_job`` holds the cost per job at two years (``amount``, ``years``,
    ``jobs``, ``jobs_low``, ``jobs_high``, ``value``, ``low``, ``high``, ``structures``,
    ``observed``), ``None`` when no cohort has reached two years.
    """

    scope: str  # "territory" or "organisation"
    years: tuple[int, ...]
    by_year_programme: pd.DataFrame
    by_programme: pd.DataFrame
    by_year: pd.DataFrame
    total: pd.DataFrame
    funders: pd.DataFrame
    unallocated: float
    per_job: dict | None


def cost_scope(costs: pd.DataFrame, territory: str) -> tuple[str, pd.DataFrame]:
    """The cost rows of a territory's report: its own rows if it has any (``"territory"``), else
    the rows without territory (``"organisation"``).
    """
    where = costs["territory"] if "territory" in costs else pd.Series(pd.NA, index=costs.index, dtype="string")
    own = costs[(where == territory).fillna(False).to_numpy(dtype=bool)]
    if len(own):
        return "territory", own
    return "organisation", costs[where.isna().to_numpy()]


def _ratios(amount: pd.Series, acc: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    counts = acc.groupby(keys, dropna=False).agg(accompaniments=("accompaniment_id", "size"),
                                                 structures=("structure_id", "nunique"))
    out = amount.to_frame("amount").join(counts, how="left").fillna({"accompaniments": 0, "structures": 0})
    out[["accompaniments", "structures"]] = out[["accompaniments", "structures"]].astype(int)
    out["amount"] = out["amount"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_accompaniment"] = out["amount"] / out["accompaniments"].where(out["accompaniments"] > 0)
        out["per_structure"] = out["amount"] / out["structures"].where(out["structures"] > 0)
    return out.reset_index()


def cost_ratios(costs: pd.DataFrame, accompaniments: pd.DataFrame, *, scope: str = "territory",
                histories: pd.DataFrame | None = None, followups: pd.DataFrame | None = None,
                as_of: dt.date | pd.Timestamp, alpha: float = 0.05) -> CostRatios:
    """Cost ratios of ``costs`` over ``accompaniments`` (see the module's notes).

    ``costs`` are the rows of the scope (:func:`cost_scope`), up to the year of ``as_of``;
    ``histories`` and ``followups`` (of the same accompaniments' structures) give the jobs at
    two years, left out when ``None``.
    """
    as_of = pd.Timestamp(as_of)
    c = costs[costs["year"].astype(float) <= as_of.year]
    c = c.assign(year=c["year"].astype(int), amount=c["amount"].astype(float).fillna(0.0))
    years = tuple(sorted(c["year"].unique().tolist()))
    acc = accompaniments.assign(year=accompaniments["start_date"].dt.year.astype(int))
    acc = acc[acc["year"].isin(years)]
    programmed = c[c["programme"].notna()]
    by_yp = _ratios(programmed.groupby(["year", "programme"])["amount"].sum(), acc, ["year", "programme"])
    by_p = _ratios(programmed.groupby("programme")["amount"].sum(), acc, ["programme"])
    by_y = _ratios(c.groupby("year")["amount"].sum(), acc, ["year"])
    whole = acc.assign(all="all")
    total = _ratios(pd.Series({"all": float(c["amount"].sum())}).rename_axis("all"), whole, ["all"]).drop(columns="all")
    spent = float(c["amount"].sum())
    funders = c.assign(funder=c["funder"].astype(object).where(c["funder"].notna(), None)) \
        .groupby("funder", dropna=False)["amount"].sum().reset_index()
    funders["share"] = funders["amount"] / spent if spent else np.nan
    funders = funders.sort_values("amount", ascending=False, ignore_index=True)
    unallocated = float(c.loc[c["programme"].isna(), "amount"].sum()) / spent if spent else np.nan
    per_job = None
    last = as_of.year - 2 if (as_of.month, as_of.day) == (12, 31) else as_of.year - 3
    cohorts = tuple(y for y in years if y <= last)
    if histories is not None and followups is not None and cohorts:
        reached = acc.loc[acc["year"].isin(cohorts), "structure_id"].unique()
        sub = histories[histories.index.isin(reached)]
        row = jobs_over_time(sub, followups, as_of=as_of, horizons=(2,), alpha=alpha).table.iloc[0]
        amount = float(c.loc[c["year"].isin(cohorts), "amount"].sum())
        jobs, low, high = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
        with np.errstate(divide="ignore", invalid="ignore"):
            value = amount / jobs if jobs > 0 else np.nan
            bounds = (amount / high if high > 0 else np.nan, amount / low if low > 0 else np.inf)
        per_job = {"amount": amount, "years": cohorts, "jobs": jobs, "jobs_low": low, "jobs_high": high,
                   "value": value, "low": bounds[0], "high": bounds[1], "structures": int(row["eligible"]),
                   "observed": int(row["observed"]), "estimable": bool(row["estimable"]) and jobs > 0,
                   "reason": row["reason"] if row["reason"] else (None if jobs > 0 else "no_variation")}
    return CostRatios(scope, years, by_yp, by_p, by_y, total, funders, unallocated, per_job)

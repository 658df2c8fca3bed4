"""Every outcome measure of a territory: survival by group, jobs over time, cost ratios, benchmarks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL, URBAN
from evaluation.measures.outcomes.costs import CostRatios, cost_ratios, cost_scope
from evaluation.measures.outcomes.histories import structure_histories
from evaluation.measures.outcomes.jobs import JobsOverTime, jobs_over_time
from evaluation.measures.outcomes.survival import LogRank, at_risk, kaplan_meier, logrank_test, survival_at
from evaluation.measures.reach.classify import NON_QPV, QPV

__all__ = ["SURVIVAL_TIMES", "GROUPINGS", "BENCHMARK_TARGETS", "OutcomesSummary", "survival_table",
           "benchmark_table", "outcomes_summary"]

#: Years after the origin at which survival is read (``survie_1an`` … ``survie_5ans``).
SURVIVAL_TIMES = (1, 2, 3, 5)

#: The groupings of the survival table (``all``: every structure followed).
GROUPINGS = ("all", "programme", "urban_rural", "qpv")

#: Where each benchmark group (:data:`evaluation.io.schema_outcomes.BENCHMARK_GROUPS`) is in the survival table.
BENCHMARK_TARGETS = {"all": ("all", "all"), "creation": ("programme", "creation"),
                     "development": ("programme", "development"), "dla": ("programme", "dla"),
                     "tiers_lieu": ("programme", "tiers_lieu"), "urban": ("urban_rural", URBAN),
                     "rural": ("urban_rural", RURAL), "qpv": ("qpv", QPV), "not_qpv": ("qpv", NON_QPV)}


@dataclass
class OutcomesSummary:
    """What became of a territory's structures (see :func:`outcomes_summary`).

    ``histories`` (one row per structure, :func:`~evaluation.measures.outcomes.histories.structure_histories`);
    ``survival`` (:func:`survival_table`); ``curves`` (Kaplan–Meier curve of each group,
    keyed ``(grouping, group)``); ``tests`` (log-rank test per grouping); ``jobs``; ``costs``
    (``None`` without costs); ``benchmarks`` (:func:`benchmark_table`).
    """

    histories: pd.DataFrame
    survival: pd.DataFrame
    curves: dict[tuple[str, str], pd.DataFrame]
    tests: dict[str, LogRank]
    jobs: JobsOverTime
    costs: CostRatios | None
    benchmarks: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_followups(self) -> bool:
        """Whether at least one structure has a known status after its origin."""
        return bool(self.counts.get("followed", 0))


def _groups(histories: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    out = [("all", "all", histories)]
    for grouping in GROUPINGS[1:]:
        if grouping in histories:
            key = histories[grouping].astype(object)
            out += [(grouping, str(g), part) for g, part in histories[key.notna()].groupby(key[key.notna()], sort=True)]
    return out


def survival_table(histories: pd.DataFrame, *, times: tuple[float, ...] = SURVIVAL_TIMES,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier survival at ``times`` for every structure followed and by group.

    One row per ``grouping`` (:data:`GROUPINGS`), ``group`` and ``time``: ``structures``
    (followed in the group), ``closures`` (in all), ``at_risk`` (still observed at ``time``),
    ``closures_by`` (closures up to ``time``), ``survival``, ``ci_low``, ``ci_high``
    (log-log interval).
    """
    rows = []
    for grouping, group, part in _groups(histories[histories["followed"]]):
        d, e = part["duration"].to_numpy(float), part["closed"].to_numpy(bool)
        s, low, high = (a[0] for a in survival_at(d, e, np.asarray(times, float), alpha=alpha))
        risk = at_risk(d, np.asarray(times, float))[0]
        by = ((d[:, None] <= np.asarray(times)[None, :]) & e[:, None]).sum(axis=0)
        rows.append(pd.DataFrame({"grouping": grouping, "group": group, "time": times, "structures": len(part),
                                  "closures": int(e.sum()), "at_risk": risk, "closures_by": by, "survival": s,
                                  "ci_low": low, "ci_high": high}))
    columns = ["grouping", "group", "time", "structures", "closures", "at_risk", "closures_by", "survival",
               "ci_low", "ci_high"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def benchmark_table(benchmarks: pd.DataFrame, survival: pd.DataFrame, costs: CostRatios | None) -> pd.DataFrame:
    """Each benchmark row beside the territory's estimate for the same indicator and group.

    Columns: ``indicator``, ``group`` (benchmark group code), ``value`` (the benchmark),
    ``year``, ``source``, ``estimate``, ``ci_low``, ``ci_high`` (ours; NaN when we have none),
    ``structures`` and ``at_risk`` (what our estimate rests on).
    """
    rows = []
    for b in benchmarks.itertuples(index=False):  # a handful of published figures
        code, group = str(b.indicator), str(b.group) if pd.notna(b.group) else "all"
        est = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "structures": 0, "at_risk": 0}
        if code.startswith("survie_"):
            years = int("".join(ch for ch in code if ch.isdigit()))
            grouping, value = BENCHMARK_TARGETS[group]
            hit = survival[(survival["grouping"] == grouping) & (survival["group"] == value)
                           & (survival["time"] == years)]
            if len(hit) and hit["at_risk"].iloc[0] > 0:  # someone followed that long
                r = hit.iloc[0]
                est = {"estimate": r["survival"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                       "structures": int(r["structures"]), "at_risk": int(r["at_risk"])}
        elif costs is not None:
            column = "per_structure" if code == "cout_par_structure" else "per_accompaniment"
            grouping, value = BENCHMARK_TARGETS[group]
            frame = costs.total if grouping == "all" else costs.by_programme.set_index("programme").loc[[value]] \
                if grouping == "programme" and value in set(costs.by_programme["programme"]) else None
            if frame is not None:
                r = frame.iloc[0]
                est = {"estimate": r[column], "ci_low": np.nan, "ci_high": np.nan,
                       "structures": int(r["structures"]), "at_risk": int(r["structures"])}
        rows.append({"indicator": code, "group": group, "value": float(b.value),
                     "year": b.year if pd.notna(b.year) else pd.NA, "source": str(b.source), **est})
    columns = ["indicator", "group", "value", "year", "source", "estimate", "ci_low", "ci_high", "structures",
               "at_risk"]
    return pd.DataFrame(rows, columns=columns)


def outcomes_summary(accompaniments: pd.DataFrame, followups: pd.DataFrame, *, costs: pd.DataFrame | None = None,
                     benchmarks: pd.DataFrame | None = None, all_accompaniments: pd.DataFrame | None = None,
                     territory: str = "", as_of: dt.date | pd.Timestamp, alpha: float = 0.05) -> OutcomesSummary:
    """The outcome measures of one territory.

    Parameters
    ----------
    accompaniments
        The territory's accompaniments, classified (``urban_rural``, ``qpv``).
    followups, costs, benchmarks
        The validated tables (possibly empty).
    all_accompaniments
        Every accompaniment of the exports: the denominators of costs kept for the whole
        organisation (rows without a territory; :func:`~evaluation.measures.outcomes.costs.cost_scope`).
    territory
        The territory's slug (its own cost rows).
    as_of
        The report's date.
    """
    histories = structure_histories(accompaniments, followups, as_of=as_of)
    survival = survival_table(histories, alpha=alpha)
    followed = histories[histories["followed"]]
    curves = {(g, v): kaplan_meier(p["duration"], p["closed"], alpha=alpha) for g, v, p in _groups(followed)}
    tests = {g: logrank_test(followed["duration"], followed["closed"], followed[g]) for g in GROUPINGS[1:]
             if g in followed}
    jobs = jobs_over_time(histories, followups, as_of=as_of, alpha=alpha)
    ratios = None
    if costs is not None and len(costs):
        scope, rows = cost_scope(costs, territory)
        acc = accompaniments if scope == "territory" or all_accompaniments is None else all_accompaniments
        hist = histories if acc is accompaniments else structure_histories(acc, followups, as_of=as_of)
        if len(rows):
            ratios = cost_ratios(rows, acc, scope=scope, histories=hist, followups=followups, as_of=as_of, alpha=alpha)
    bench = benchmark_table(benchmarks if benchmarks is not None else pd.DataFrame(
        columns=["indicator", "group", "value", "year", "source"]), survival, ratios)
    with_rows = int((histories["followups"] > 0).sum())
    counts = {"structures": len(histories), "with_followup": with_rows, "followed": int(histories["followed"].sum()),
              "unknown_last": int((histories["last_status"] == "unknown").sum()),
              "not_created": int((histories["origin_basis"] == "not_created").sum()),
              "origin_end_date": int((histories["origin_basis"] == "end_date").sum()),
              "closures": int(histories["closed"].sum())}
    return OutcomesSummary(histories, survival, curves, tests, jobs, ratios, bench, counts)

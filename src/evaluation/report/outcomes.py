"""What became of the structures, their jobs and the cost per result: from the measures to the publication.

:func:`outcome_tables` lays the counts of the chapter out as tables that the secrecy audit links
(:func:`evaluation.report.secrecy.links.linked_cells`: the structures of each group add up to
those followed; the accompaniments of the cost tables add up over years and, for a territory's
own costs, are margins of its programme × year table); :func:`publish_outcomes` then blanks
what joint suppression withheld and applies the rules of this chapter:

* a survival estimate is withheld when fewer structures than the threshold are still observed
  at its time, or when the closures up to then are from 1 to the threshold − 1 (the cells it
  rests on, linked); it is *not estimable* when no structure is observed that long;
* a curve is read every quarter (no step dates one structure's closure), cut where fewer
  structures than the threshold remain observed, and drawn only for
  groups none of whose estimates is withheld (its steps would show them);
* a total of jobs is withheld by the p % rule (:mod:`evaluation.report.secrecy.dominance`) or when
  it rests on fewer structures than the threshold; its verified and declared parts when either
  rests on fewer; the jobs lost in closures when fewer
  structures than the threshold closed;
* a log-rank test is withheld when one of its groups is;
* a cost ratio is withheld with its accompaniments or structures; the cost per job at two years
  when fewer structures than the threshold were observed at two years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.measures.outcomes.summary import BENCHMARK_TARGETS, OutcomesSummary
from evaluation.measures.stats import wilson_interval
from evaluation.report.published import OutcomesPublication, _estimate
from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.dominance import DEFAULT_P, p_percent_sensitive

__all__ = ["COST_TABLES", "outcome_tables", "publish_outcomes", "outcome_indicators"]

#: The cost tables, from the finest — by year and programme, by programme, by year, in all.
COST_TABLES = ("costs_year_programme", "costs_programme", "costs_year", "costs_total")

_JOB_MAGNITUDES = ("jobs", "verified", "declared", "fte", "jobs_declared_start", "estimate", "ci_low", "ci_high")


def outcome_tables(summary: OutcomesSummary) -> dict[str, pd.DataFrame]:
    """The chapter's counts as tables (raw, nothing withheld yet), keyed as the audit names them."""
    c = summary.counts
    out = {"counts": pd.DataFrame({"item": ["structures", "followed", "unknown_last"],
                                   "count": [c["structures"], c["followed"], c["unknown_last"]]}),
           "survival": summary.survival.copy(), "jobs": summary.jobs.table.copy(),
           "survival_groups": summary.survival.drop_duplicates(["grouping", "group"])[
               ["grouping", "group", "structures"]].reset_index(drop=True)}
    r = summary.costs
    if r is not None:
        for name, frame in zip(COST_TABLES, (r.by_year_programme, r.by_programme, r.by_year, r.total), strict=True):
            out[name] = frame.assign(scope=r.scope)
    return out


def _flags(decided: LinkedCells, name: str, frame: pd.DataFrame) -> np.ndarray:
    hidden = np.zeros(len(frame), dtype=bool)
    hidden[decided.suppressed_rows(f"outcomes:{name}")] = True
    return hidden


#: The curves are read every quarter: their steps do not date any one structure's closure or follow-up.
CURVE_STEP = 0.25


def _curve(curve: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A Kaplan–Meier curve without its counts, read every :data:`CURVE_STEP` years up to the last
    time at least ``threshold`` structures are observed.
    """
    shown = curve[curve["at_risk"] >= threshold]
    if shown.empty:
        return pd.DataFrame(columns=["time", "survival", "ci_low", "ci_high"])
    grid = np.arange(0.0, float(shown["time"].max()) + 1e-9, CURVE_STEP)
    at = np.searchsorted(curve["time"].to_numpy(float), grid, side="right") - 1
    rows = curve.iloc[np.clip(at, 0, None)]
    return pd.DataFrame({"time": grid, "survival": rows["survival"].to_numpy(float),
                         "ci_low": rows["ci_low"].to_numpy(float), "ci_high": rows["ci_high"].to_numpy(float)})


def _survival(summary: OutcomesSummary, hidden: np.ndarray, groups: pd.DataFrame, group_hidden: np.ndarray
              ) -> pd.DataFrame:
    s = summary.survival
    key = pd.MultiIndex.from_frame(s[["grouping", "group"]])
    small_group = pd.Series(group_hidden, index=pd.MultiIndex.from_frame(groups[["grouping", "group"]]))
    group_off = small_group.reindex(key).to_numpy(dtype=bool)
    hidden = hidden | group_off
    estimable = (s["at_risk"] > 0).to_numpy()
    blank = hidden | ~estimable
    return pd.DataFrame({
        "grouping": s["grouping"], "group": s["group"], "time": s["time"],
        "structures": s["structures"].astype(float).where(~group_off), "survival": s["survival"].where(~blank),
        "ci_low": s["ci_low"].where(~blank), "ci_high": s["ci_high"].where(~blank), "suppressed": hidden,
        "estimable": estimable | hidden})


def _jobs(summary: OutcomesSummary, hidden: np.ndarray, threshold: int, p: float) -> pd.DataFrame:
    j = summary.jobs.table.copy()
    dominated = np.array([p_percent_sensitive(summary.jobs.contributions.get(int(h), []), p=p)
                          for h in j["horizon"]], dtype=bool)  # four anniversaries
    few = (j["observed"] < threshold).to_numpy()
    withheld = hidden | dominated | few
    for col in _JOB_MAGNITUDES:
        j[col] = j[col].astype(float).where(~withheld)
    # Verified and declared parts: each a total over fewer structures; both withheld when either rests
    # on 1 to threshold − 1 structures (the other part and the total would give it back).
    parts = j[["verified_structures", "declared_structures"]].to_numpy(dtype=float)
    thin = ((parts > 0) & (parts < threshold)).any(axis=1)
    for col in ("verified", "declared"):
        j[col] = j[col].where(~thin)
    for col in ("eligible", "observed", "unknown", "merged"):
        j[col] = j[col].astype(float).where(~hidden)
    closed = j["closed"].to_numpy(dtype=float)
    small = (closed > 0) & (closed < threshold)
    j["closed"] = j["closed"].astype(float).where(~(hidden | small))
    j["jobs_lost"] = j["jobs_lost"].astype(float).where(~(hidden | small | dominated))
    return j.assign(suppressed=hidden, dominated=dominated & ~hidden, too_few=few & ~hidden)


def _costs(summary: OutcomesSummary, tables: dict[str, pd.DataFrame], decided: LinkedCells,
           threshold: int) -> dict | None:
    r = summary.costs
    if r is None:
        return None
    out = {"scope": r.scope, "years": r.years, "funders": r.funders.copy(), "unallocated": r.unallocated}
    for name in COST_TABLES:
        frame = tables[name]
        hidden = _flags(decided, name, frame)
        blanked = frame.copy()
        for col in ("accompaniments", "structures", "per_accompaniment", "per_structure"):
            blanked[col] = blanked[col].astype(float).where(~hidden)
        out[name] = blanked.assign(suppressed=hidden)
    job = r.per_job
    if job is not None:
        few = job["observed"] < threshold
        est = _estimate(job["value"], job["low"], job["high"], reason=None if job["estimable"] else job["reason"],
                        withheld=few)
        out["per_job"] = {"estimate": est, "years": job["years"], "amount": job["amount"],
                          "observed": None if few else job["observed"], "structures": job["structures"]}
    else:
        out["per_job"] = None
    return out


def _benchmarks(summary: OutcomesSummary, survival: pd.DataFrame, costs: dict | None) -> pd.DataFrame:
    b = summary.benchmarks.copy()
    if b.empty:
        return b
    shown = survival.set_index(["grouping", "group", "time"])["survival"]
    keep = []
    for row in b.itertuples(index=False):  # a handful of published figures
        if row.indicator.startswith("survie_"):
            grouping, value = BENCHMARK_TARGETS[row.group]
            years = int("".join(ch for ch in row.indicator if ch.isdigit()))
            keep.append(bool(pd.notna(shown.get((grouping, value, years), np.nan))))
        else:
            total = costs["costs_total"] if costs is not None else None
            keep.append(bool(total is not None and not total["suppressed"].any()))
    keep = np.asarray(keep, dtype=bool)
    for col in ("estimate", "ci_low", "ci_high"):
        b[col] = b[col].astype(float).where(keep)
    return b.drop(columns=["structures", "at_risk"])


def publish_outcomes(summary: OutcomesSummary, tables: dict[str, pd.DataFrame], decided: LinkedCells, *,
                     threshold: int, p: float = DEFAULT_P) -> OutcomesPublication:
    """The chapter as published (see the module's rules), from ``tables`` (:func:`outcome_tables`)
    and the suppression decided for them (``decided``, from :func:`evaluation.report.secrecy.optimal.joint_suppress`).
    """
    counts_hidden = _flags(decided, "counts", tables["counts"])
    c = summary.counts
    counts: dict[str, int | None] = {item: (None if hidden else int(n)) for item, n, hidden in
                                     zip(tables["counts"]["item"], tables["counts"]["count"], counts_hidden, strict=True)}
    for item in ("closures", "not_created", "origin_end_date"):
        counts[item] = None if 0 < c[item] < threshold else int(c[item])
    groups = tables["survival_groups"]
    survival = _survival(summary, _flags(decided, "survival", tables["survival"]), groups,
                         _flags(decided, "survival_groups", groups))
    group_hidden = pd.Series(_flags(decided, "survival_groups", groups),
                             index=pd.MultiIndex.from_frame(groups[["grouping", "group"]]))
    curves: dict[str, pd.DataFrame | None] = {}
    for (grouping, group), curve in summary.curves.items():
        if grouping in ("all", "programme"):
            drawn = _curve(curve, threshold)
            mine = survival[(survival["grouping"] == grouping) & (survival["group"] == group)]
            # its steps up to where it stops would show an estimate withheld there
            hides = bool(mine.loc[mine["time"] <= drawn["time"].max(), "suppressed"].any()) if len(drawn) else True
            shown = not hides and int(curve["at_risk"].iloc[0]) >= threshold
            curves[f"{grouping}:{group}"] = drawn if shown else None
    tests = {}
    for grouping, t in summary.tests.items():
        withheld = bool(group_hidden[grouping].any()) if grouping in group_hidden.index.get_level_values(0) else False
        tests[grouping] = _estimate(t.statistic, p_value=t.p_value, need_interval=False, result=t, withheld=withheld)
    jobs = _jobs(summary, _flags(decided, "jobs", tables["jobs"]), threshold, p)
    costs = _costs(summary, tables, decided, threshold)
    return OutcomesPublication(counts, survival, curves, tests, jobs, costs,
                               _benchmarks(summary, survival, costs), threshold=int(threshold))


_SURVIVAL = ("Part estimée des structures accompagnées encore en activité {when} après le début de leur "
             "accompagnement (création : après la création), méthode de Kaplan-Meier : les structures perdues de vue, "
             "au statut inconnu ou absorbées comptent jusqu'à leur dernier suivi connu ; intervalle log-log de "
             "Greenwood.")


def outcome_indicators(add, o: OutcomesSummary, *, alpha: float) -> None:
    """The indicator rows of what became of the structures (``add`` is
    :func:`evaluation.report.indicators.territory_indicators`' own).
    """
    s = o.survival
    for code, years, when in (("survie_2ans", 2, "deux ans"), ("survie_3ans", 3, "trois ans")):
        row = s[(s["grouping"] == "all") & (s["time"] == years)]
        r = row.iloc[0] if len(row) else None
        ok = r is not None and r["at_risk"] > 0
        add(code, f"Structures encore actives à {when}", _SURVIVAL.format(when=when),
            r["survival"] if ok else np.nan, low=r["ci_low"] if ok else np.nan, high=r["ci_high"] if ok else np.nan,
            unit="part", protect=False, estimable=ok, reason=None if ok else "not_followed")
    jobs = o.jobs.table.set_index("horizon")
    if 2 in jobs.index:
        j = jobs.loc[2]
        add("emplois_a_2ans", "Emplois présents deux ans après l'accompagnement",
            f"Emplois des structures deux ans après le début de leur accompagnement, une fois par structure ; une "
            f"structure fermée compte 0 (emplois perdus). Estimé pour les {int(j['eligible'])} structures concernées "
            f"à partir des {int(j['observed'])} dont la situation est connue (estimateur par expansion, intervalle "
            "de Student) ; emplois déclarés par les structures ou vérifiés (SIRENE, DSN).", j["estimate"],
            low=j["ci_low"], high=j["ci_high"], unit="emplois", protect=False, estimable=bool(j["estimable"]),
            reason=j["reason"], withheld=p_percent_sensitive(o.jobs.contributions.get(2, [])))
    c = o.costs
    if c is not None and len(c.total):
        t = c.total.iloc[0]
        whose = ("du territoire" if c.scope == "territory" else "de l'ensemble de l'organisme (coûts sans territoire)")
        add("cout_par_structure", "Coût par structure accompagnée",
            f"Dépenses {whose} des années {c.years[0]}–{c.years[-1]} rapportées aux structures distinctes dont un "
            "accompagnement a commencé ces années-là. Ratio de coût, pas une analyse coût-bénéfice.",
            t["per_structure"], unit="euros par structure", protect=False,
            estimable=bool(np.isfinite(t["per_structure"])), reason=None if np.isfinite(t["per_structure"])
            else "no_variation")
    n, k = o.counts["structures"], o.counts["followed"]
    lo, hi = wilson_interval(k, n, alpha=alpha)
    add("suivi_taux", "Part des structures suivies",
        "Part des structures accompagnées dont un suivi (enquête, appel, vérification SIRENE…) a établi la "
        "situation après le début de l'accompagnement ; intervalle de Wilson.", k / n if n else np.nan,
        low=float(lo), high=float(hi), unit="part", protect=False)

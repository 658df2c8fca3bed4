"""The linked cells of the chapter after the accompaniment: structures followed, survival, jobs, costs.

Called by :func:`evaluation.report.secrecy.links.linked_cells`. Cells and relations:

* ``outc|structures``, ``outc|followed``, ``outc|unknown_last`` (the counts the text gives);
* each group of the survival table shows its structures followed (a row of its own), and each
  survival estimate (group × time) rests on the structures still observed at its time and the
  closures up to then (derived cells: a survival rate lets a reader come close to them); the
  groups of a grouping add up to the structures followed when none is missing (programmes
  always);
* each jobs row (anniversary) rests on the structures observed then;
* each cost row shows its accompaniments and structures (the amount is printed, the ratio
  gives the denominator back); accompaniments add up over the years of a programme and over
  the years in all when they do; a territory's own costs divide its own accompaniments,
  which are then margins of its programme × year table (the hidden cube's atoms);
* indicators: ``survie_2ans``/``survie_3ans`` (structures followed, observed at 2 or 3 years,
  closures by then), ``emplois_a_2ans`` (observed at 2 years), ``cout_par_structure``
  (structures of the cost period), ``suivi_taux`` (followed and all structures).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.report.secrecy.cells import _Builder

__all__ = ["link_outcomes"]


def _names(prefix: str, *keys: pd.Series) -> list[str]:
    parts = [k.astype(str).to_numpy() for k in keys]
    return ["|".join([prefix, *p]) for p in zip(*parts, strict=True)]


def _sum_if_equal(b: _Builder, parent: int, kids: np.ndarray, values: np.ndarray, total: float) -> None:
    """``parent = Σ kids`` when their values say so (a missing group breaks the sum)."""
    if len(kids) and np.isfinite(total) and np.isclose(np.nansum(values), total):
        b.sums([parent], kids, np.zeros(len(kids), int))


def _survival(b: _Builder, s: pd.DataFrame, groups: pd.DataFrame, followed: int, where: Mapping[str, int]) -> None:
    """Each group's structures on its row of ``survival_groups``; each survival row (group × time) on
    the structures observed at its time and the closures up to then.
    """
    n_ids = b.cells(_names("surv_n", groups["grouping"], groups["group"]), groups["structures"], table="outcomes")
    n_ids = np.where(groups["grouping"].to_numpy() == "all", followed, n_ids)
    b.place(n_ids, b.rows("outcomes:survival_groups", groups))
    rows = b.rows("outcomes:survival", s)
    risk = b.cells(_names("surv_risk", s["grouping"], s["group"], s["time"]), s["at_risk"], table="outcomes",
                   derived=True)
    closed = b.cells(_names("surv_closed", s["grouping"], s["group"], s["time"]), s["closures_by"],
                     table="outcomes", derived=True)
    b.place(risk, rows)
    b.place(closed, rows)
    total = float(groups.loc[groups["grouping"] == "all", "structures"].sum())
    for grouping in ("programme", "urban_rural", "qpv"):
        part = groups["grouping"].to_numpy() == grouping
        _sum_if_equal(b, followed, n_ids[part], groups["structures"].to_numpy(float)[part], total)
    at = {(g, str(v), float(t)): (r, c) for g, v, t, r, c in zip(s["grouping"], s["group"], s["time"], risk, closed,
                                                                   strict=True)}
    for code, years in (("survie_2ans", 2.0), ("survie_3ans", 3.0)):
        if code in where and ("all", "all", years) in at:
            b.place([followed, *at[("all", "all", years)]], where[code])


def _costs(b: _Builder, outcomes: Mapping[str, pd.DataFrame], *, atoms: np.ndarray | None,
           programmes: np.ndarray, year_pos: Mapping[int, int], where: Mapping[str, int]) -> None:
    yp = outcomes["costs_year_programme"]
    territory = str(yp["scope"].iloc[0]) == "territory" if len(yp) else False
    ids = {}
    for name, keys in (("costs_year_programme", ("year", "programme")), ("costs_programme", ("programme",)),
                       ("costs_year", ("year",)), ("costs_total", ())):
        frame = outcomes[name]
        label = [frame[k] for k in keys] or [pd.Series(["all"] * len(frame))]
        acc = b.cells(_names(f"{name}_acc", *label), frame["accompaniments"], table="outcomes")
        struct = b.cells(_names(f"{name}_str", *label), frame["structures"], table="outcomes")
        rows = b.rows(f"outcomes:{name}", frame)
        b.place(acc, rows)
        b.place(struct, rows)
        ids[name] = (acc, struct)
    # a programme's accompaniments over its years; every year's in all (when the rows add up)
    by_p = outcomes["costs_programme"]
    for k, p in enumerate(by_p["programme"].astype(str)):
        part = (yp["programme"].astype(str) == p).to_numpy()
        _sum_if_equal(b, ids["costs_programme"][0][k], ids["costs_year_programme"][0][part],
                      yp.loc[part, "accompaniments"].to_numpy(float), float(by_p["accompaniments"].iloc[k]))
    by_y, whole = outcomes["costs_year"], outcomes["costs_total"]
    _sum_if_equal(b, ids["costs_total"][0][0], ids["costs_year"][0], by_y["accompaniments"].to_numpy(float),
                  float(whole["accompaniments"].iloc[0]))
    if territory and atoms is not None:  # the territory's programme × year margins
        for k, (y, p) in enumerate(zip(yp["year"].astype(int), yp["programme"].astype(str), strict=True)):
            pick = np.flatnonzero(programmes == p)
            if len(pick) and y in year_pos:
                sub = atoms[:, pick[0], year_pos[y], :]
                b.sums([ids["costs_year_programme"][0][k]], sub.ravel(), np.zeros(sub.size, int))
    if "cout_par_structure" in where:
        b.place(ids["costs_total"][1], where["cout_par_structure"])


def link_outcomes(b: _Builder, outcomes: Mapping[str, pd.DataFrame] | None, *, atoms: np.ndarray | None,
                  programmes: np.ndarray, year_pos: Mapping[int, int], where: Mapping[str, int]) -> None:
    """Add the chapter's cells, rows and relations to ``b`` (see the module's notes); ``where``
    maps indicator codes to their rows.
    """
    if not outcomes:
        return
    counts = outcomes["counts"]
    ids = b.cells(_names("outc", counts["item"]), counts["count"], table="outcomes")
    b.place(ids, b.rows("outcomes:counts", counts))
    cell = dict(zip(counts["item"], ids, strict=True))
    if "suivi_taux" in where:
        b.place([cell["followed"], cell["structures"]], where["suivi_taux"])
    if len(outcomes["survival"]):
        _survival(b, outcomes["survival"], outcomes["survival_groups"], int(cell["followed"]), where)
    jobs = outcomes["jobs"]
    observed = b.cells(_names("jobs_observed", jobs["horizon"]), jobs["observed"], table="outcomes")
    b.place(observed, b.rows("outcomes:jobs", jobs))
    if "emplois_a_2ans" in where and (jobs["horizon"] == 2).any():
        b.place(observed[np.flatnonzero(jobs["horizon"].to_numpy() == 2)[0]], where["emplois_a_2ans"])
    if "costs_total" in outcomes:
        _costs(b, outcomes, atoms=atoms, programmes=programmes, year_pos=year_pos, where=where)

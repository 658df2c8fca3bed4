"""Reach against who should be reached: QPV populations, distinct structures, target populations.

:func:`reach_denominators` gathers, for one territory:

* **structures and accompaniments** (:func:`units_table`): the number of distinct structures
  reached beside the accompaniments delivered, their annual rate per 10,000 inhabitants
  (per year over the years covered, the cumulative count beside), their shares in rural
  communes and in a QPV, and the accompaniments whose QPV situation is unknown;
* **each QPV of the territory** (:func:`qpv_representation`): its share of the
  accompaniments against its share of the territory's population, the representation index;
* **target populations** (:func:`target_rates`): each programme against the denominator the
  territory names for it (``denominators.csv``: ESS employers for the DLA, business creations
  for creation support…), per 100 units and per year, with its representation index by space.

Intervals allow for clustering (:mod:`evaluation.measures.reach.clustered`): shares of
accompaniments are clustered by structure, counts of accompaniments are compound Poisson
counts of structures, indices of groups of communes come from a delete-one-commune jackknife;
counts and shares of distinct structures are plain Poisson and Wilson (each structure once).
Codes only: the report layer says them in French.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.rates import confint_poisson

from evaluation.geo.reference import RURAL, URBAN
from evaluation.measures.reach.clustered import (
    cluster_counts,
    clustered_wilson,
    clustered_wilson_sums,
    jackknife_representation,
    weighted_poisson_interval,
)
from evaluation.measures.reach.structures import DeclaredJobs, declared_jobs, latest_per_structure
from evaluation.measures.stats import wilson_interval

__all__ = ["ReachDenominators", "reach_denominators", "units_table", "qpv_representation", "target_rates",
           "assign_qpv", "years_covered", "ALL_QPV", "UNSPECIFIED_QPV"]

#: The rows of the QPV table that are not one QPV, all the territory's QPV and the accompaniments said
#: to be in a QPV without saying which (several QPV in their commune).
ALL_QPV, UNSPECIFIED_QPV = "all", "unspecified"


@dataclass
class ReachDenominators:
    """What :func:`reach_denominators` measures (raw, unprotected: the report protects it)."""

    years: float  # the years covered (exposure of the annual rates)
    population: int
    units: pd.DataFrame  # unit, measure, count, total, share, ci_low, ci_high, rate, rate_low, rate_high
    qpv: pd.DataFrame  # per QPV, then ALL_QPV and UNSPECIFIED_QPV rows
    qpv_lists: tuple[str, ...]  # the QPV lists of the reference's QPV ("2024", "2015")
    row_lists: tuple[str, ...]  # the lists of the QPV codes given in the exports
    targets: pd.DataFrame  # per programme with a declared denominator
    target_groups: pd.DataFrame  # programme × urban/rural: index against the target population
    jobs: DeclaredJobs
    dla_structures_last_year: int = 0
    last_year: int | None = None
    notes: dict = field(default_factory=dict)  # communes_without_epci, cut_epcis
    qpv_reference: bool = False  # the reference has a QPV table (else the territory's QPV are not known)


def years_covered(first_year: int | None, as_of: pd.Timestamp | None = None, last_year: int | None = None) -> float:
    """Years from 1 January of ``first_year`` to ``as_of`` (inclusive; default 31 December of
    ``last_year``): the exposure of an annual rate. ``2018`` to 31/12/2024 is 7 years; to
    30/06/2024, 6.5 years (days / 365.25, rounded to a month).
    """
    if first_year is None:
        return float("nan")
    end = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(year=int(last_year or first_year), month=12, day=31)
    days = (end - pd.Timestamp(year=int(first_year), month=1, day=1)).days + 1
    return round(days / 365.25 * 12) / 12


def _rate_rows(count: np.ndarray, square: np.ndarray, largest: np.ndarray, exposure: float, *, alpha: float,
               clustered: bool, per: float = 1e4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Annual rates per ``per`` and their intervals: compound Poisson (Fay–Feuer) for rows made
    of structures, exact Poisson (Garwood) for counts of distinct structures.
    """
    count = np.asarray(count, dtype=float)
    if clustered:
        low, high = weighted_poisson_interval(count, square, largest, alpha=alpha)
    else:
        low, high = confint_poisson(count, np.ones_like(count), method="exact-c", alpha=alpha)
        low = np.where(count > 0, low, 0.0)
    if not exposure > 0:
        return np.full_like(count, np.nan), np.full_like(count, np.nan), np.full_like(count, np.nan)
    return count / exposure * per, np.asarray(low) / exposure * per, np.asarray(high) / exposure * per


def _structure_weights(keys: pd.Series) -> tuple[int, float, float]:
    """(rows, Σ rows² per structure, most rows of one structure) of rows keyed by structure."""
    sizes = keys.value_counts().to_numpy(dtype=float)
    return int(sizes.sum()), float((sizes**2).sum()), float(sizes.max()) if len(sizes) else 1.0


def units_table(accompaniments: pd.DataFrame, communes: pd.DataFrame, *, years: float,
                alpha: float = 0.05) -> pd.DataFrame:
    """Accompaniments and distinct structures: totals with annual rates, rural and QPV shares.

    ``accompaniments`` are the territory's (``structure_id``, ``commune_code``, ``in_qpv``);
    ``communes`` its rows of the reference (``population``, ``urban_rural``). One row per
    ``unit`` (``accompaniments``, ``structures``) and ``measure``:

    * ``total``: ``count``; ``rate`` per 10,000 inhabitants **per year** over ``years``
      (:math:`10^4 n / (P\\,T)`), compound Poisson interval for accompaniments, exact for
      structures;
    * ``rural``: in a rural commune, out of ``total`` = those in a classified commune; interval
      from the delete-one-commune jackknife of the rural representation index times the rural
      population share (none when the territory is all urban or all rural: fixed by definition);
    * ``qpv``: in a QPV, out of those whose situation is known; Wilson clustered by structure
      for accompaniments, plain Wilson for structures;
    * ``qpv_unknown``: situation unknown (« ne sait pas », empty), out of all.

    A structure is where its latest accompaniment is
    (:func:`~evaluation.measures.reach.structures.latest_per_structure`).
    """
    pop = float(communes["population"].fillna(0).sum())
    exposure = pop * years
    classes = communes.set_index("commune_code")["urban_rural"].astype(object)
    latest = latest_per_structure(accompaniments) if len(accompaniments) else accompaniments.iloc[:0]
    rows = []
    for unit, frame in (("accompaniments", accompaniments), ("structures", latest)):
        clustered = unit == "accompaniments"
        n = len(frame)
        keys = frame["structure_id"] if clustered else pd.Series(np.arange(n), index=frame.index)
        count, square, most = _structure_weights(keys) if n else (0, 0.0, 1.0)
        rate, low, high = _rate_rows(np.array([n]), np.array([square if clustered else n]), np.array([most]),
                                     exposure, alpha=alpha, clustered=clustered)
        rows.append({"unit": unit, "measure": "total", "count": n, "total": n, "share": np.nan, "ci_low": np.nan,
                     "ci_high": np.nan, "rate": rate[0], "rate_low": low[0], "rate_high": high[0]})
        # rural: a commune-level jackknife (communes are the clusters of where structures are)
        space = frame["commune_code"].astype(str).map(classes)
        per_commune = pd.Series(1, index=frame.index).groupby(frame["commune_code"].astype(str)).sum()
        counts = communes["commune_code"].astype(str).map(per_commune).fillna(0).to_numpy()
        group = pd.Categorical(communes["urban_rural"].astype(object), categories=[URBAN, RURAL]).codes
        rep = jackknife_representation(counts, communes["population"].fillna(0).to_numpy(dtype=float), group,
                                       alpha=alpha)
        classified = int(space.notna().sum())
        rural = int((space == RURAL).sum())
        if len(rep) > 1:
            w = rep.loc[1, "exposure_share"]
            lo, hi = rep.loc[1, "ci_low"] * w, rep.loc[1, "ci_high"] * w
        else:
            lo = hi = np.nan
        rows.append({"unit": unit, "measure": "rural", "count": rural, "total": classified,
                     "share": rural / classified if classified else np.nan, "ci_low": lo, "ci_high": hi})
        flags = frame["in_qpv"].astype("boolean")
        known, hit = int(flags.notna().sum()), int(flags.fillna(False).sum())
        if clustered:
            y, s = cluster_counts(frame["structure_id"], flags)
            _, lo, hi, _ = clustered_wilson(y, s, alpha=alpha)
        else:
            lo, hi = wilson_interval(hit, known, alpha=alpha)
        rows.append({"unit": unit, "measure": "qpv", "count": hit, "total": known,
                     "share": hit / known if known else np.nan, "ci_low": float(lo), "ci_high": float(hi)})
        rows.append({"unit": unit, "measure": "qpv_unknown", "count": n - known, "total": n,
                     "share": (n - known) / n if n else np.nan, "ci_low": np.nan, "ci_high": np.nan})
    out = pd.DataFrame(rows)
    for c in ("rate", "rate_low", "rate_high"):
        out[c] = out[c].astype(float) if c in out else np.nan
    out["count"], out["total"] = out["count"].astype("int64"), out["total"].astype("int64")
    return out


def assign_qpv(accompaniments: pd.DataFrame, territory_qpv: pd.DataFrame) -> pd.Series:
    """The QPV of each accompaniment in a QPV, by its key (its code, or its name when the reference
    has no code for it): its ``qpv_code`` when that is one of the territory's QPV; else, said to be
    in a QPV (``in_qpv``) in a commune where the territory has exactly one QPV, that QPV; else
    :data:`UNSPECIFIED_QPV`. Missing for the others.
    """
    q = territory_qpv.assign(key=territory_qpv["qpv_code"].fillna(territory_qpv["qpv_name"]))
    inside = accompaniments["in_qpv"].astype("boolean").fillna(False).to_numpy()
    given = accompaniments["qpv_code"] if "qpv_code" in accompaniments else pd.Series(pd.NA, index=accompaniments.index)
    by_code = dict(zip(q["qpv_code"].dropna(), q.loc[q["qpv_code"].notna(), "key"], strict=True))
    out = given.map(by_code).astype(object)
    per_commune = q.dropna(subset=["key"]).drop_duplicates(["key", "commune_code"])
    single = per_commune.groupby("commune_code")["key"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None)
    guess = accompaniments["commune_code"].astype(str).map(single)
    out = out.where(out.notna(), guess.where(given.isna()))
    return pd.Series(np.where(inside, out.fillna(UNSPECIFIED_QPV), None), index=accompaniments.index, name="qpv")


def qpv_representation(accompaniments: pd.DataFrame, communes: pd.DataFrame, territory_qpv: pd.DataFrame, *,
                       alpha: float = 0.05) -> pd.DataFrame:
    """Each QPV's share of the accompaniments against its share of the territory's population.

    .. math:: RI_q = \\frac{a_q / A_{\\text{known}}}{P_q / P}

    :math:`a_q` the accompaniments in QPV *q* (:func:`assign_qpv`), :math:`A_{\\text{known}}` those
    whose QPV situation is known, :math:`P_q` the QPV's population in the territory's communes
    (the parts of a QPV across a border of the territory count in their own commune only; a QPV
    whose population is only known whole counts only when all its communes are in the
    territory), *P* the territory's population. The interval of the share is Wilson's clustered
    by structure (:func:`~evaluation.measures.reach.clustered.clustered_wilson`); the population share comes from the census and is
    taken as known, so the index's interval is the share's divided by it.

    Returns
    -------
    DataFrame
        One row per QPV (``qpv_code``, ``qpv_name``, ``communes``, ``list``, ``population``,
        ``population_year``, ``source``, ``population_share``, ``count``, ``known``, ``share``,
        ``ci_low``, ``ci_high``, ``index``, ``index_low``, ``index_high``, ``available``), then
        :data:`ALL_QPV` (every accompaniment said to be in a QPV; population the sum of the
        QPV's, missing when one is) and :data:`UNSPECIFIED_QPV` (in a QPV, which one unknown).
    """
    total_pop = float(communes["population"].fillna(0).sum())
    inside_communes = set(communes["commune_code"].astype(str))
    q = territory_qpv.copy()
    whole_inside = q.groupby("qpv_code", dropna=False)["commune_code"].transform(lambda c: set(c) <= inside_communes)
    q = q[(q["population_scope"] != "qpv") | whole_inside.astype(bool)]
    part = q.drop_duplicates(["qpv_code", "commune_code"]) if q["qpv_code"].notna().any() else q
    # A population of the whole QPV (scope "qpv") is written on each of its communes' rows: shared
    # between them, so that their sum is the QPV's once; a commune's part (scope "commune") is summed.
    rows_of = part.groupby(part["qpv_code"].fillna(part["qpv_name"]), dropna=False)["commune_code"].transform("size")
    whole = (part["population_scope"] == "qpv").to_numpy()
    part = part.assign(population=pd.to_numeric(part["population"], errors="coerce").astype(float)
                       .where(~whole, pd.to_numeric(part["population"], errors="coerce").astype(float) / rows_of))
    per_qpv = part.groupby(part["qpv_code"].fillna(part["qpv_name"]), sort=True, dropna=False).agg(
        qpv_code=("qpv_code", "first"), qpv_name=("qpv_name", "first"),
        communes=("commune_code", lambda c: " ".join(sorted(set(c.dropna().astype(str))))),
        list=("list", "first"), population_year=("population_year", "max"), source=("source", "first"),
        population=("population", lambda p: np.nan if p.isna().any() or p.empty else float(p.sum())),
        scope=("population_scope", lambda s: "whole" if (s == "qpv").all() else "parts"))
    per_qpv = per_qpv.reset_index(drop=True)
    per_qpv["key"] = per_qpv["qpv_code"].fillna(per_qpv["qpv_name"])
    assigned = assign_qpv(accompaniments, q)
    flags = accompaniments["in_qpv"].astype("boolean")
    known = int(flags.notna().sum())
    labels = [*per_qpv["key"].astype(str).tolist(), ALL_QPV, UNSPECIFIED_QPV]
    # Every row's table row (its QPV, or UNSPECIFIED_QPV; −1 outside a QPV), then the sums of
    # clustered_wilson_sums for all rows at once: one pass over the (row, structure) pairs.
    position = pd.Series(range(len(labels)), index=labels)
    row_of = assigned.map(position).fillna(-1).astype(int).to_numpy()
    structure, _ = pd.factorize(accompaniments["structure_id"])
    known_rows = flags.notna().to_numpy()
    sizes = np.bincount(structure[known_rows], minlength=structure.max() + 1 if len(structure) else 0).astype(float)
    in_qpv = flags.fillna(False).to_numpy(dtype=bool) & known_rows
    k = len(labels)
    target = np.concatenate([row_of[in_qpv & (row_of >= 0)], np.full(int(in_qpv.sum()), k - 2)])  # and ALL_QPV
    owner = np.concatenate([structure[in_qpv & (row_of >= 0)], structure[in_qpv]])
    keys, y = np.unique(target.astype(np.int64) * (len(sizes) + 1) + owner, return_counts=True)
    row, cluster = keys // (len(sizes) + 1), keys % (len(sizes) + 1)
    n_known = np.full(k, sizes.sum())
    p, lo, hi, _ = clustered_wilson_sums(np.bincount(row, weights=y, minlength=k),
                                         np.bincount(row, weights=y.astype(float) ** 2, minlength=k),
                                         np.bincount(row, weights=y * sizes[cluster], minlength=k), n_known,
                                         np.full(k, (sizes**2).sum()), np.full(k, int((sizes > 0).sum())),
                                         alpha=alpha)
    counts = np.bincount(row, weights=y, minlength=k).astype(int).tolist()
    shares, lows, highs = p.tolist(), lo.tolist(), hi.tolist()
    populations = pd.to_numeric(per_qpv["population"], errors="coerce").astype(float).tolist()
    all_pop = float(np.sum(populations)) if len(populations) and not np.isnan(populations).any() else np.nan
    out = pd.DataFrame({
        "qpv": labels,
        "qpv_code": [*per_qpv["qpv_code"].tolist(), None, None],
        "qpv_name": [*per_qpv["qpv_name"].tolist(), None, None],
        "communes": [*per_qpv["communes"].tolist(), " ".join(sorted(set(q["commune_code"].dropna()))), None],
        "list": [*per_qpv["list"].tolist(), ", ".join(sorted(set(per_qpv["list"].dropna()))) or None, None],
        "population": [*populations, all_pop, np.nan],
        "population_year": [*per_qpv["population_year"].tolist(), per_qpv["population_year"].max()
                            if len(per_qpv) else None, None],
        "source": [*per_qpv["source"].tolist(), "; ".join(sorted(set(per_qpv["source"].dropna()))) or None, None],
        "count": counts, "known": known, "share": shares, "ci_low": lows, "ci_high": highs})
    out["population"] = out["population"].astype(float)
    out["population_share"] = out["population"] / total_pop if total_pop else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        ps = out["population_share"].where(out["population_share"] > 0)
        out["index"], out["index_low"], out["index_high"] = out["share"] / ps, out["ci_low"] / ps, out["ci_high"] / ps
    out["available"] = out["population"].notna() & (out["qpv"] != UNSPECIFIED_QPV)
    out.loc[out["qpv"] == UNSPECIFIED_QPV, ["share", "ci_low", "ci_high"]] = np.nan
    return out


def _chosen_year(table: pd.DataFrame, last_year: int | None) -> int | None:
    years = sorted(set(table["year"].dropna().astype(int)))
    if not years:
        return None
    before = [y for y in years if last_year is None or y <= last_year]
    return (before or years)[-1]


def target_rates(accompaniments: pd.DataFrame, communes: pd.DataFrame, denominators: pd.DataFrame,
                 declared: dict[str, dict], *, years: float, last_year: int | None = None,
                 alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each programme against its target population (the evaluator's ``denominators.csv``).

    For a programme *p* whose territory names variable *v* (``declared``: programme →
    ``variable``, ``label``, ``per``), the year of *v* is the latest at or before ``last_year``
    (else the latest), and :math:`D = \\sum_c D_c` over the territory's communes:

    .. math:: r_p = \\text{per} \\times \\frac{a_p}{D\\,T}

    (:math:`a_p` accompaniments of the programme, *T* the years covered), with the compound
    Poisson interval (structures bring several accompaniments), and the same for distinct
    structures (exact Poisson). A rate is not computed (``available`` false, ``reason``) when
    the variable is absent (``"absent"``) or when communes of the territory have no value for
    that year (``"incomplete"``, ``missing`` communes): a missing value is not a zero.

    The second frame gives, per programme and space (urban, rural), the index of the
    programme's accompaniments against the target population, :math:`(a_{pg}/a_p)/(D_g/D)`,
    with the delete-one-commune jackknife interval
    (:func:`~evaluation.measures.reach.clustered.jackknife_representation`).
    """
    rows, groups = [], []
    codes = communes["commune_code"].astype(str)
    for programme, spec in declared.items():
        variable, per = spec["variable"], float(spec.get("per", 100))
        table = denominators[denominators["variable"] == variable] if len(denominators) else denominators
        year = _chosen_year(table, last_year) if len(table) else None
        chosen = table[table["year"] == year] if year is not None else table.iloc[:0]
        values = chosen.groupby(chosen["commune_code"].astype(str))["value"].sum()
        missing = sorted(set(codes) - set(values.index))
        mine = accompaniments[accompaniments["programme"] == programme]
        count, square, most = _structure_weights(mine["structure_id"]) if len(mine) else (0, 0.0, 1.0)
        structures = int(mine["structure_id"].nunique())
        d = float(values.reindex(codes).fillna(0).sum())
        reason = "absent" if year is None else "incomplete" if missing else "zero" if d <= 0 else None
        row = {"programme": programme, "variable": variable, "label": spec["label"], "per": per, "year": year,
               "source": "; ".join(sorted(set(chosen["source"].dropna().astype(str)))) or None,
               "denominator": d if reason is None else np.nan, "missing": len(missing), "count": count,
               "structures": structures, "available": reason is None, "reason": reason}
        for unit, n, clustered in (("", count, True), ("structures_", structures, False)):
            rate, low, high = _rate_rows(np.array([n]), np.array([square if clustered else n]), np.array([most]),
                                         d * years if reason is None else float("nan"), alpha=alpha,
                                         clustered=clustered, per=per)
            row.update({f"{unit}rate": rate[0], f"{unit}rate_low": low[0], f"{unit}rate_high": high[0]})
        rows.append(row)
        if reason is None:
            per_commune = mine.groupby(mine["commune_code"].astype(str)).size()
            group = pd.Categorical(communes["urban_rural"].astype(object), categories=[URBAN, RURAL]).codes
            rep = jackknife_representation(codes.map(per_commune).fillna(0).to_numpy(),
                                           codes.map(values).fillna(0).to_numpy(dtype=float), group, alpha=alpha)
            groups.append(rep.assign(programme=programme, urban_rural=[URBAN, RURAL][:len(rep)]))
    columns = ["programme", "urban_rural", "count", "exposure", "share", "exposure_share", "index", "ci_low",
               "ci_high", "communes"]
    target_groups = pd.concat(groups, ignore_index=True)[columns] if groups else pd.DataFrame(columns=columns)
    return pd.DataFrame(rows), target_groups


def reach_denominators(accompaniments: pd.DataFrame, communes: pd.DataFrame, *, territory_qpv: pd.DataFrame,
                       denominators: pd.DataFrame, declared: dict[str, dict], years: float,
                       last_year: int | None, qpv_lists: tuple[str, ...] = (), alpha: float = 0.05,
                       qpv_reference: bool = True) -> ReachDenominators:
    """Everything of the module docstring for one territory (raw results).

    ``accompaniments`` are the territory's (classified or not); ``territory_qpv`` its QPV
    (:func:`evaluation.geo.qpv.qpv_of_communes`); ``denominators`` the validated
    ``denominators.csv`` (possibly empty); ``declared`` the territory's denominators by
    programme; ``years`` the years covered (:func:`years_covered`); ``last_year`` the year of
    the headline « last year » counts; ``qpv_reference`` whether the reference has a QPV table.
    """
    acc = accompaniments
    if "structure_id" in acc:
        acc = acc.assign(structure_id=acc["structure_id"].astype(object).where(
            acc["structure_id"].notna(), "row:" + acc["accompaniment_id"].astype(str)))
    last = acc[acc["start_date"].dt.year == last_year] if last_year is not None else acc.iloc[:0]
    targets, target_groups = target_rates(acc, communes, denominators, declared, years=years, last_year=last_year,
                                          alpha=alpha)
    row_codes = acc["qpv_code"].dropna().astype(str) if "qpv_code" in acc else pd.Series([], dtype=str)
    lists = {"QN": "2024", "QP": "2015"}
    no_epci = communes[communes["epci_siren"].isna()] if "epci_siren" in communes else communes.iloc[:0]
    return ReachDenominators(
        years=years, population=int(communes["population"].fillna(0).sum()),
        units=units_table(acc, communes, years=years, alpha=alpha),
        qpv=qpv_representation(acc, communes, territory_qpv, alpha=alpha),
        qpv_lists=tuple(sorted(set(qpv_lists))), row_lists=tuple(sorted({lists[c[:2]] for c in row_codes
                                                                         if c[:2] in lists})),
        targets=targets, target_groups=target_groups, jobs=declared_jobs(acc),
        dla_structures_last_year=int(last.loc[last["programme"] == "dla", "structure_id"].nunique()),
        last_year=last_year, qpv_reference=qpv_reference,
        notes={"communes_without_epci": list(zip(no_epci["commune_code"].astype(str),
                                                 no_epci["commune_name"].astype(str), strict=True))})

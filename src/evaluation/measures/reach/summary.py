"""Reach: who the work reaches, where — by density level, urban/rural, QPV and EPCI,
compared with where people live.

Functions take a table with a ``commune_code`` column (accompaniments, actors…) and the
territory's communes (rows of the commune reference), and return tidy frames ready for a
report table. Every counting function accepts ``weight=``: the name of a column holding
counts, so that the same statistics run on per-unit rows or on pre-aggregated counts
(:func:`~evaluation.measures.reach.classify.aggregate`), which is how :func:`reach_summary` stays fast on a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.classify import NON_QPV, QPV, _classified_communes, aggregate, qpv_category
from evaluation.measures.reach.clustered import (
    cluster_counts,
    clustered_wilson,
    fixed_by_definition,
    jackknife_representation,
    weighted_poisson_interval,
)
from evaluation.measures.reach.count_model import CountModel, count_model
from evaluation.measures.reach.distance import DistanceSummary, distance_decay, distance_summary
from evaluation.measures.reach.shares import (
    Coverage,
    GoodnessOfFit,
    _group_exposure,
    _representation,
    _with_poisson_rates,
    communes_reached,
    counts_and_shares,
    coverage,
    goodness_of_fit,
)
from evaluation.measures.reach.trend import TrendTest, share_trend
from evaluation.measures.stats import gini, lorenz_curve

__all__ = ["ReachSummary", "reach_summary"]

# --------------------------------------------------------------------------- summary
@dataclass
class ReachSummary:
    """Every reach statistic of one territory (see :func:`reach_summary`)."""

    total: int
    by: dict[str, pd.DataFrame]
    by_programme: dict[str, pd.DataFrame]
    by_year: dict[str, pd.DataFrame]
    rates: dict[str, pd.DataFrame]
    representation: dict[str, pd.DataFrame]
    fit: dict[str, GoodnessOfFit]
    reached: pd.DataFrame
    coverage: Coverage
    lorenz: pd.DataFrame
    gini: float
    gini_population: float
    distance: DistanceSummary | None  # None without sites
    decay: pd.DataFrame
    model: CountModel
    model_density: CountModel
    trends: dict[str, tuple[pd.DataFrame, TrendTest]]
    years: float = float("nan")  # the years covered: exposure of the annual rates (``annual`` columns of ``rates``)


def _structures(accompaniments: pd.DataFrame) -> np.ndarray:
    """Each row's structure as a code (:func:`pandas.factorize`); a row without ``structure_id``
    (or exports without the column) is its own structure.
    """
    n = len(accompaniments)
    if "structure_id" not in accompaniments:
        return np.arange(n)
    codes, uniques = pd.factorize(accompaniments["structure_id"])
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


def _annual(rates: pd.DataFrame, groups: np.ndarray, structures: np.ndarray, several: np.ndarray, *,
            years: float, alpha: float) -> pd.DataFrame:
    """``rates`` with ``annual``, ``annual_low``, ``annual_high``: per 10,000 inhabitants per year
    over ``years``, the count a compound Poisson count of structures (Fay–Feuer interval,
    :func:`evaluation.measures.reach.clustered.weighted_poisson_interval`). ``groups`` are the rows'
    positions in ``rates`` (−1: in none), ``structures`` their structure codes (:func:`_structures`),
    ``several`` whether their structure has several rows.

    :math:`V_g = \\sum_s m_{gs}^2` is counted without sorting every row: a structure with one row
    adds 1; only the rows of structures with several are grouped by (group, structure).
    """
    k = len(rates)
    known = groups >= 0
    multi = known & several
    n_struct = int(structures.max()) + 1 if len(structures) else 1
    keys, sizes = np.unique(groups[multi].astype(np.int64) * n_struct + structures[multi], return_counts=True)
    owner = keys // n_struct
    a = np.bincount(groups[known], minlength=k).astype(float)
    v = np.bincount(groups[known & ~several], minlength=k) + np.bincount(owner, weights=sizes.astype(float) ** 2,
                                                                        minlength=k)
    w = np.ones(k)
    np.maximum.at(w, owner, sizes)
    low, high = weighted_poisson_interval(a, v, np.maximum(w, 1), alpha=alpha)
    exposure = rates["population"].to_numpy(dtype=float) * years
    valid = exposure > 0
    safe = np.where(valid, exposure, 1.0)
    out = rates.copy()
    out["annual"] = np.where(valid, out["count"].to_numpy(dtype=float) / safe * 1e4, np.nan)
    out["annual_low"] = np.where(valid, low / safe * 1e4, np.nan)
    out["annual_high"] = np.where(valid, high / safe * 1e4, np.nan)
    return out


def _commune_intervals(per_commune: pd.DataFrame, shares: pd.DataFrame, by: str, *, alpha: float,
                       representation: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The intervals of the shares by a class of communes (and of their representation index)
    from the delete-one-commune jackknife (:func:`jackknife_representation`): share = index ×
    population share, whose interval follows; none for a class fixed by definition.
    """
    cats = list(shares[by].astype(object))
    group = pd.Categorical(per_commune[by].astype(object), categories=cats).codes
    jk = jackknife_representation(per_commune["count"].to_numpy(dtype=float),
                                  per_commune["population"].fillna(0).to_numpy(dtype=float), group, alpha=alpha)
    jk = jk.reindex(range(len(cats)))
    w = jk["exposure_share"].to_numpy()
    out = shares.copy()
    # a share is at most 1: the index at most 1 / population share
    out["ci_low"], out["ci_high"] = (jk["ci_low"] * w).to_numpy(), np.minimum((jk["ci_high"] * w).to_numpy(), 1.0)
    if representation is None:
        return out, None
    rep = representation.copy()
    with np.errstate(divide="ignore"):
        rep["ci_low"], rep["ci_high"] = jk["ci_low"].to_numpy(), np.minimum(jk["ci_high"].to_numpy(), 1 / w)
    fixed = fixed_by_definition(rep["population_share"])
    rep.loc[fixed, ["ci_low", "ci_high"]] = np.nan
    return out, rep


def reach_summary(accompaniments: pd.DataFrame, communes: pd.DataFrame, *, sites: pd.DataFrame | None = None,
                  alpha: float = 0.05, years: float | None = None) -> ReachSummary:
    """All reach statistics of a territory from its accompaniments (raw or classified).

    Rows are first aggregated by commune, programme, year and QPV (:func:`~evaluation.measures.reach.classify.aggregate`),
    classified on the small aggregate, and every statistic runs on it.

    Intervals allow for clustering (:mod:`evaluation.measures.reach.clustered`): the shares
    by class of communes and the representation indices come from a delete-one-commune
    jackknife (none for a class that holds all or none of the population: fixed by
    definition); the QPV shares are clustered by structure; the annual rates' counts are
    compound Poisson counts of structures. The yearly and per-programme shares keep Wilson's
    interval (a structure is rarely accompanied twice in one year or programme).

    Parameters
    ----------
    accompaniments
        Accompaniments with ``commune_code``, ``programme``, ``in_qpv``, ``start_date``.
    communes
        The territory's communes (reference rows, with ``lat``/``lon`` for distances).
    sites
        Support sites (:func:`~evaluation.measures.reach.distance.site_points`); distances are skipped without them.
    years
        The years covered, exposure of the annual rates (default: from 1 January of the first
        year to 31 December of the last year of the accompaniments).

    """
    geometry = communes.geometry if isinstance(communes, gpd.GeoDataFrame) else None
    communes = _classified_communes(pd.DataFrame(communes.drop(columns="geometry", errors="ignore")))
    agg = aggregate(accompaniments)
    # get_indexer rather than isin: several times faster on pyarrow-backed strings.
    agg = agg[pd.Index(communes["commune_code"].unique()).get_indexer(agg["commune_code"]) >= 0]
    # Only the classes the tables need, looked up per commune (cheaper than a full classify).
    classes = communes.set_index("commune_code")[["density_label", "urban_rural"]]
    agg = agg.join(classes, on="commune_code")
    agg["qpv"] = qpv_category(agg["in_qpv"])
    w = "n"
    # Statistics of commune attributes run on one row per commune; the others on the aggregate.
    reached = communes_reached(agg, communes, weight=w)
    per_commune = reached[reached["density_label"].notna()]
    qpv_cats = [QPV, NON_QPV]
    by = {g: counts_and_shares(per_commune, g, weight="count", alpha=alpha)
          for g in ("density_label", "urban_rural", "epci_name")}
    by = {g: _commune_intervals(per_commune, shares, g, alpha=alpha)[0] for g, shares in by.items()}
    # Programme × year × class counts (a few hundred rows) for the tables by programme and year.
    keys = ["programme", "year", "qpv", "density_label", "urban_rural"]
    small = agg.groupby(keys, observed=True, dropna=False)[w].sum().reset_index()
    by["qpv"] = counts_and_shares(small, "qpv", weight=w, alpha=alpha, categories=qpv_cats)
    commune_index = pd.Index(communes["commune_code"])
    where = commune_index.get_indexer(accompaniments["commune_code"])  # each row's commune, −1 outside
    inside = accompaniments[where >= 0]
    where = where[where >= 0]
    structure_codes = _structures(inside)
    hits, sizes = cluster_counts(structure_codes, inside["in_qpv"].astype("boolean"))
    _, low, high, _ = clustered_wilson(hits, sizes, alpha=alpha)  # QPV: clustered by structure
    by["qpv"]["ci_low"], by["qpv"]["ci_high"] = [float(low), 1 - float(high)], [float(high), 1 - float(low)]
    groups = {"density_label": None, "urban_rural": None, "qpv": qpv_cats}
    by_programme = {g: counts_and_shares(small, g, within=["programme"], weight=w, alpha=alpha, categories=c)
                    for g, c in groups.items()}
    by_year = {g: counts_and_shares(small, g, within=["year"], weight=w, alpha=alpha, categories=c)
               for g, c in groups.items()}
    # By département too (when the communes say): the national view, and the rows a territory
    # over several départements shows beside its communes.
    groups = ("density_label", "urban_rural", "epci_name") + (("departement",) if "departement" in reached else ())
    exposure = {g: _group_exposure(reached, g) for g in groups}
    if years is None:
        known_years = agg["year"].dropna()
        years = float(known_years.max() - known_years.min() + 1) if len(known_years) else float("nan")
    classes = communes.set_index("commune_code")
    def positions(g: str, e: pd.DataFrame) -> np.ndarray:  # each grouping looked up per commune, not per row
        per_commune = pd.Categorical(communes[g].astype(object), categories=list(e[g].astype(object))).codes
        return per_commune[where]

    several = np.bincount(structure_codes)[structure_codes] > 1 if len(structure_codes) else np.zeros(0, bool)
    rates = {g: _annual(_with_poisson_rates(e, alpha=alpha), positions(g, e), structure_codes, several, years=years,
                        alpha=alpha) for g, e in exposure.items()}
    representation = {g: _commune_intervals(per_commune, by[g], g, alpha=alpha,
                                            representation=_representation(exposure[g], alpha=alpha))[1]
                      for g in ("density_label", "urban_rural")}
    fit = {g: goodness_of_fit(r) for g, r in representation.items()}
    sites = sites if sites is not None else pd.DataFrame(columns=["label", "lat", "lon"])
    return ReachSummary(
        total=int(agg[w].sum()) if len(agg) else 0,
        by=by, by_programme=by_programme, by_year=by_year, rates=rates, representation=representation, fit=fit,
        reached=gpd.GeoDataFrame(reached, geometry=geometry) if geometry is not None else reached,
        coverage=coverage(reached),
        lorenz=lorenz_curve(reached["count"], weights=reached["population"]),
        gini=gini(reached["count"]), gini_population=gini(reached["count"], weights=reached["population"]),
        distance=distance_summary(agg, communes, sites, reached=reached) if len(sites) else None,
        decay=distance_decay(agg, communes, sites, alpha=alpha, reached=reached) if len(sites) else pd.DataFrame(),
        model=count_model(agg, communes, term="urban_rural", alpha=alpha, reached=reached),
        model_density=count_model(agg, communes, term="density_label", alpha=alpha, reached=reached),
        trends={"rural": share_trend(small, "urban_rural", RURAL, weight=w, alpha=alpha),
                "qpv": share_trend(small, "qpv", QPV, weight=w, alpha=alpha)},
        years=years,
    )

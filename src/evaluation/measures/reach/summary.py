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
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.classify import NON_QPV, QPV, _classified_communes, aggregate, qpv_category
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


def reach_summary(accompaniments: pd.DataFrame, communes: pd.DataFrame, *, sites: pd.DataFrame | None = None,
                  alpha: float = 0.05) -> ReachSummary:
    """All reach statistics of a territory from its accompaniments (raw or classified).

    Rows are first aggregated by commune, programme, year and QPV (:func:`~evaluation.measures.reach.classify.aggregate`),
    classified on the small aggregate, and every statistic runs on it.

    Parameters
    ----------
    accompaniments
        Accompaniments with ``commune_code``, ``programme``, ``in_qpv``, ``start_date``.
    communes
        The territory's communes (reference rows, with ``lat``/``lon`` for distances).
    sites
        Support sites (:func:`~evaluation.measures.reach.distance.site_points`); distances are skipped without them.
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
    # Programme × year × class counts (a few hundred rows) for the tables by programme and year.
    keys = ["programme", "year", "qpv", "density_label", "urban_rural"]
    small = agg.groupby(keys, observed=True, dropna=False)[w].sum().reset_index()
    by["qpv"] = counts_and_shares(small, "qpv", weight=w, alpha=alpha, categories=qpv_cats)
    groups = {"density_label": None, "urban_rural": None, "qpv": qpv_cats}
    by_programme = {g: counts_and_shares(small, g, within=["programme"], weight=w, alpha=alpha, categories=c)
                    for g, c in groups.items()}
    by_year = {g: counts_and_shares(small, g, within=["year"], weight=w, alpha=alpha, categories=c)
               for g, c in groups.items()}
    # By département too (when the communes say): the national view, and the rows a territory
    # over several départements shows beside its communes.
    groups = ("density_label", "urban_rural", "epci_name") + (("departement",) if "departement" in reached else ())
    exposure = {g: _group_exposure(reached, g) for g in groups}
    rates = {g: _with_poisson_rates(e, alpha=alpha) for g, e in exposure.items()}
    representation = {g: _representation(exposure[g], alpha=alpha) for g in ("density_label", "urban_rural")}
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
    )

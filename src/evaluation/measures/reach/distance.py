"""Distances from the communes reached to the places where support is given: summaries and decay by band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from evaluation.geo.territory import Site
from evaluation.measures.reach.shares import _with_poisson_rates, communes_reached
from evaluation.measures.stats import weighted_quantile

__all__ = ["DistanceSummary", "EARTH_RADIUS_KM", "haversine_km", "site_points", "distance_to_sites", "distance_summary",
           "DEFAULT_BANDS", "distance_decay"]


#: Mean Earth radius (IUGG), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance (km) on a sphere of radius :data:`EARTH_RADIUS_KM`; broadcasts.

    .. math:: d = 2R \\arcsin\\sqrt{\\sin^2\\frac{\\Delta\\varphi}{2} +
              \\cos\\varphi_1\\cos\\varphi_2\\sin^2\\frac{\\Delta\\lambda}{2}}
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def site_points(sites: Sequence[Site], reference: pd.DataFrame) -> pd.DataFrame:
    """Coordinates of support sites: given lat/lon, or the centroid of the site's commune.

    ``sites`` is a sequence of :class:`evaluation.geo.territory.Site` (a territory's ``sites``).
    """
    centroids = pd.DataFrame(reference).set_index("commune_code")[["lat", "lon"]]
    rows = []
    for s in sites:
        if s.lat is not None and s.lon is not None:
            rows.append((s.label, float(s.lat), float(s.lon)))
        elif s.commune in centroids.index:
            lat, lon = centroids.loc[s.commune]
            rows.append((s.label, float(lat), float(lon)))
        else:
            raise ValueError(f"site {s.label!r}: commune {s.commune!r} is not in the reference")
    return pd.DataFrame(rows, columns=["label", "lat", "lon"])


def distance_to_sites(communes: pd.DataFrame, sites: pd.DataFrame) -> pd.Series:
    """Distance (km) from each commune's centroid to the nearest support site.

    Computed as one ``communes × sites`` array (no loop). Returns a Series aligned on
    ``communes`` named ``distance_km``.
    """
    if sites.empty:
        return pd.Series(np.nan, index=communes.index, name="distance_km")
    d = haversine_km(communes["lat"].to_numpy()[:, None], communes["lon"].to_numpy()[:, None],
                     sites["lat"].to_numpy()[None, :], sites["lon"].to_numpy()[None, :])
    return pd.Series(d.min(axis=1), index=communes.index, name="distance_km")


def _commune_distances(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                       weight: str | None, reached: pd.DataFrame | None) -> pd.DataFrame:
    reached = communes_reached(table, communes, weight=weight) if reached is None else reached.copy()
    reached["distance_km"] = distance_to_sites(reached, sites)
    return reached


@dataclass(frozen=True)
class DistanceSummary:
    """Distances (km, as the crow flies) from the nearest support site."""

    median_km: float  # over accompaniments
    p80_km: float  # 80 % of the accompaniments lie within
    population_median_km: float  # the same over the population
    population_p80_km: float
    count: int  # accompaniments placed


def distance_summary(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                     weight: str | None = None, reached: pd.DataFrame | None = None) -> DistanceSummary:
    """Median and 80th-percentile distance from the nearest support site, over accompaniments.

    Each accompaniment is placed at its commune's centroid. The 80th percentile is the
    radius within which 80 % of the accompaniments lie. Also returned: the same two
    figures over the population, for comparison. ``reached`` (from
    :func:`~evaluation.measures.reach.shares.communes_reached`) may be passed to skip counting ``table`` again.
    """
    d = _commune_distances(table, communes, sites, weight=weight, reached=reached)
    med, p80 = weighted_quantile(d["distance_km"], d["count"], [0.5, 0.8])
    pmed, pp80 = weighted_quantile(d["distance_km"], d["population"], [0.5, 0.8])
    return DistanceSummary(float(med), float(p80), float(pmed), float(pp80), int(d["count"].sum()))


DEFAULT_BANDS = (0, 5, 10, 20, 40, 80, np.inf)


def distance_decay(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                   bands: Sequence[float] = DEFAULT_BANDS, weight: str | None = None,
                   alpha: float = 0.05, reached: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accompaniments per 10,000 inhabitants by distance band from the nearest site.

    Returns ``band`` (e.g. ``"5–10 km"``), ``communes``, ``count``, ``population``,
    ``rate``, ``ci_low``, ``ci_high`` (exact Poisson, see :func:`~evaluation.measures.reach.shares.rates_per_10k`); empty
    bands are dropped. ``reached`` as in :func:`distance_summary`.
    """
    d = _commune_distances(table, communes, sites, weight=weight, reached=reached)
    edges = list(bands)
    labels = [f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g} km et plus" for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
    d["band"] = pd.cut(d["distance_km"], edges, labels=labels, right=False, include_lowest=True)
    per = d.groupby("band", observed=False).agg(communes=("commune_code", "size"), count=("count", "sum"),
                                                population=("population", "sum")).reset_index()
    per = per[per["communes"] > 0].reset_index(drop=True)
    return _with_poisson_rates(per, alpha=alpha)

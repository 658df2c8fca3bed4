"""Reach: who the work reaches, where — by density level, urban/rural, QPV and EPCI,
compared with where people live.

Functions take a table with a ``commune_code`` column (accompaniments, actors…) and the
territory's communes (rows of the commune reference), and return tidy frames ready for a
report table. Every counting function accepts ``weight=``: the name of a column holding
counts, so that the same statistics run on per-unit rows or on pre-aggregated counts
(:func:`aggregate`), which is how :func:`reach_summary` stays fast on a million rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from evaluation.measures.estimation import (
    GRADIENT_TOLERANCE,
    MIN_EVENTS_PER_PARAMETER,
    capture_warnings,
    events_reason,
    z_value,
)
from evaluation.geo.reference import DENSITY_LABELS, RURAL, URBAN

__all__ = [
    "QPV",
    "NON_QPV",
    "DENSITY_CATEGORIES",
    "URBAN_RURAL_CATEGORIES",
    "EARTH_RADIUS_KM",
    "classify",
    "aggregate",
    "wilson_interval",
    "counts_and_shares",
    "rates_per_10k",
    "representation_index",
    "goodness_of_fit",
    "communes_reached",
    "coverage",
    "lorenz_curve",
    "gini",
    "haversine_km",
    "site_points",
    "distance_to_sites",
    "weighted_quantile",
    "distance_summary",
    "distance_decay",
    "CountModel",
    "GRADIENT_TOLERANCE",
    "count_model",
    "TrendTest",
    "cochran_armitage",
    "share_trend",
    "VenueReach",
    "venue_reach",
    "ReachSummary",
    "reach_summary",
]

QPV, NON_QPV = "QPV", "hors QPV"
DENSITY_CATEGORIES = pd.CategoricalDtype(list(DENSITY_LABELS.values()), ordered=True)
URBAN_RURAL_CATEGORIES = pd.CategoricalDtype([URBAN, RURAL])
#: Mean Earth radius (IUGG), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088

_REFERENCE_COLUMNS = ["commune_code", "commune_name", "population", "epci_siren", "epci_name",
                      "density_level", "density_label", "urban_rural"]


# --------------------------------------------------------------------------- classify
def classify(table: pd.DataFrame, reference: pd.DataFrame, *, code_column: str = "commune_code",
             qpv_column: str | None = "in_qpv") -> pd.DataFrame:
    """Add each row's commune attributes: density level and label, urban/rural, EPCI, QPV.

    Parameters
    ----------
    table
        Any table with a commune code column (accompaniments, actors, events).
    reference
        The commune reference (:func:`evaluation.geo.reference.load_reference`).
    code_column
        The column holding INSEE commune codes.
    qpv_column
        A boolean column telling whether the row is in a priority neighbourhood; it is
        turned into a categorical ``qpv`` column (``"QPV"`` / ``"hors QPV"``). ``None``
        to skip.

    Returns
    -------
    DataFrame
        ``table`` with the index kept and the columns ``commune_name``, ``population``
        (of the commune), ``epci_siren``, ``epci_name``, ``density_level``,
        ``density_label`` (ordered categorical of INSEE's 7 levels), ``urban_rural``
        (categorical) and ``qpv``. Rows whose commune is not in the reference get
        missing values.
    """
    added = [c for c in _REFERENCE_COLUMNS if c != "commune_code"]
    ref = pd.DataFrame(reference)[_REFERENCE_COLUMNS].drop_duplicates("commune_code").set_index("commune_code")
    # Look the attributes up once per distinct code, then spread them by position.
    codes, uniques = pd.factorize(table[code_column])
    attrs = ref.reindex(pd.Index(np.asarray(uniques, dtype=object)))[added]
    attrs = pd.concat([attrs, attrs.iloc[:0].reindex([None])])  # code −1 (missing) → the empty last row
    attrs["density_label"] = attrs["density_label"].astype(DENSITY_CATEGORIES)
    attrs["urban_rural"] = attrs["urban_rural"].astype(URBAN_RURAL_CATEGORIES)
    looked_up = attrs.take(np.where(codes < 0, len(attrs) - 1, codes))
    looked_up.index = table.index
    out = pd.concat([table.drop(columns=[c for c in added if c in table.columns]), looked_up], axis=1)
    if qpv_column is not None and qpv_column in out:
        flag = out[qpv_column].astype("boolean")
        out["qpv"] = pd.Categorical(np.where(flag.isna(), None, np.where(flag.fillna(False), QPV, NON_QPV)),
                                    categories=[QPV, NON_QPV])
    return out


def _classified_communes(communes: pd.DataFrame) -> pd.DataFrame:
    if communes["density_label"].dtype == DENSITY_CATEGORIES and communes["urban_rural"].dtype == URBAN_RURAL_CATEGORIES:
        return communes
    out = communes.copy()  # a GeoDataFrame stays one (maps)
    out["density_label"] = out["density_label"].astype(DENSITY_CATEGORIES)
    out["urban_rural"] = out["urban_rural"].astype(URBAN_RURAL_CATEGORIES)
    return out


def aggregate(table: pd.DataFrame, *, by: Sequence[str] = ("commune_code", "programme", "year", "in_qpv"),
              date_column: str = "start_date") -> pd.DataFrame:
    """Count rows by ``by`` (adding ``year`` from ``date_column`` when asked): column ``n``.

    The result feeds every function of this module with ``weight="n"``; it has one row
    per combination present, so statistics on a million accompaniments run on a few
    thousand rows (pandas' hash groupby measured faster here than factorising the keys
    and counting with ``np.bincount``).
    """
    by = list(by)
    data = table
    if "year" in by and "year" not in table:
        data = table.assign(year=table[date_column].dt.year)
    return data.groupby(by, observed=True, dropna=False, sort=False).size().rename("n").reset_index()


# --------------------------------------------------------------------------- shares
def _weights(table: pd.DataFrame, weight: str | None) -> pd.Series:
    return table[weight] if weight is not None else pd.Series(1, index=table.index, dtype="int64")


def wilson_interval(count: np.ndarray | pd.Series | int, nobs: np.ndarray | pd.Series | int, *,
                    alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``count / nobs`` (statsmodels).

    .. math:: \\frac{\\hat p + \\frac{z^2}{2n} \\pm z\\sqrt{\\frac{\\hat p(1-\\hat p)}{n} +
              \\frac{z^2}{4n^2}}}{1 + \\frac{z^2}{n}}

    Where ``nobs`` is 0 the bounds are NaN.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209–212.
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    low, high = proportion_confint(count, safe, alpha=alpha, method="wilson")
    empty = nobs <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _categories(table: pd.DataFrame, by: str, categories: Sequence | None) -> list:
    if categories is not None:
        return list(categories)
    col = table[by]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return sorted(col.dropna().unique())


def counts_and_shares(table: pd.DataFrame, by: str, *, within: Sequence[str] = (), weight: str | None = None,
                      alpha: float = 0.05, categories: Sequence | None = None) -> pd.DataFrame:
    """Counts of rows by ``by``, their share of the total, and Wilson intervals.

    Parameters
    ----------
    table
        One row per unit counted (e.g. accompaniments, classified by :func:`classify`),
        or aggregated counts with ``weight``.
    by
        The grouping whose shares are computed (e.g. ``"urban_rural"``,
        ``"density_label"``, ``"qpv"``, ``"epci_name"``).
    within
        Columns that define separate totals (e.g. ``["programme"]`` or ``["year"]``):
        shares sum to 1 within each of their combinations.
    weight
        Column of counts to add up instead of counting rows.
    alpha
        1 − confidence level of the intervals.
    categories
        All the values of ``by`` to report, zero counts included; default the
        categories of a categorical column, otherwise the values present.

    Returns
    -------
    DataFrame
        ``within…``, ``by``, ``count``, ``total``, ``share`` = count / total, ``ci_low``,
        ``ci_high``. Rows with a missing ``by`` value are counted in no group and not in
        the total.
    """
    within = list(within)
    cats = _categories(table, by, categories)
    col = table[by]
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == cats:
        by_codes = col.cat.codes.to_numpy()
    else:
        by_codes = pd.Categorical(col, categories=cats).codes
    weights = _weights(table, weight).to_numpy(dtype="float64")
    # Groups of `within` (sorted, missing last), then a (groups × categories) table of sums.
    factorized = [pd.factorize(table[c], sort=True) for c in within]
    sizes = [len(u) + 1 for _, u in factorized]  # + a slot for missing values
    group = (np.ravel_multi_index([np.where(k < 0, n - 1, k) for (k, _), n in zip(factorized, sizes)], sizes)
             if within else np.zeros(len(table), dtype=np.int64))
    n_groups, n_cats = int(np.prod(sizes)) if within else 1, len(cats)
    keep = by_codes >= 0
    sums = np.bincount(group[keep] * n_cats + by_codes[keep], weights=weights[keep],
                       minlength=n_groups * n_cats).reshape(n_groups, n_cats)
    present = np.unique(group[keep]) if within else np.array([0])
    sums = sums[present]
    out = pd.DataFrame({c: _group_values(u, np.repeat(k, n_cats))
                        for c, (_, u), k in zip(within, factorized, np.unravel_index(present, sizes) if within else [])})
    out[by] = pd.Categorical(np.tile(np.asarray(cats, dtype=object), len(present)), categories=cats)
    out["count"] = sums.ravel().round().astype("int64")
    out["total"] = np.repeat(sums.sum(axis=1).round().astype("int64"), n_cats)
    out["share"] = out["count"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], out["total"], alpha=alpha)
    return out


def _group_values(uniques: pd.Index, codes: np.ndarray) -> pd.Series:
    """Values of factorised groups (dtype kept); the extra last code stands for a missing value."""
    values = pd.Series(pd.Index(uniques).take(np.minimum(codes, max(len(uniques) - 1, 0))) if len(uniques)
                       else [None] * len(codes))
    missing = codes >= len(uniques)
    return values.mask(missing) if missing.any() else values


# --------------------------------------------------------------------------- rates
def _counts_and_population(table: pd.DataFrame, communes: pd.DataFrame, by: str, *, weight: str | None,
                           categories: Sequence | None) -> pd.DataFrame:
    communes = _classified_communes(communes)
    if by not in communes:
        raise ValueError(f"the communes table has no column {by!r}: rates need the population of each group")
    return _group_exposure(communes_reached(table, communes, weight=weight), by, categories=categories)


def _group_exposure(per_commune: pd.DataFrame, by: str, *, categories: Sequence | None = None) -> pd.DataFrame:
    """Counts and population by group from one row per commune (``communes_reached``)."""
    cats = _categories(per_commune, by, categories)
    key = pd.Categorical(per_commune[by], categories=cats)
    sums = per_commune.groupby(key, observed=False)[["count", "population"]].sum()
    return pd.DataFrame({by: cats, "count": sums["count"].to_numpy().astype("int64"),
                         "population": sums["population"].fillna(0).to_numpy().astype("int64")})


def rates_per_10k(table: pd.DataFrame, communes: pd.DataFrame, by: str, *, weight: str | None = None,
                  alpha: float = 0.05, per: float = 10_000, categories: Sequence | None = None) -> pd.DataFrame:
    """Rate of accompaniments per 10,000 inhabitants by group, with exact Poisson intervals.

    .. math:: r_g = 10\\,000 \\; a_g / P_g, \\qquad
              \\left[\\tfrac{1}{2}\\chi^2_{2a_g,\\,\\alpha/2},\\;
              \\tfrac{1}{2}\\chi^2_{2a_g+2,\\,1-\\alpha/2}\\right] \\times 10\\,000 / P_g

    where :math:`a_g` is the count in group *g* and :math:`P_g` the population of the
    territory's communes in that group (the exposure). Only rows in ``communes`` count.

    Parameters
    ----------
    communes
        The territory's communes (reference rows) with ``population`` and the ``by``
        column (``density_label``, ``urban_rural``, ``epci_name``, ``commune_code``…).

    Returns
    -------
    DataFrame
        ``by``, ``count``, ``population``, ``rate``, ``ci_low``, ``ci_high`` (per ``per``
        inhabitants); groups with no population get NaN rates.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28,
    437–442 (statsmodels ``confint_poisson(method="exact-c")``).
    """
    out = _counts_and_population(table, communes, by, weight=weight, categories=categories)
    return _with_poisson_rates(out, alpha=alpha, per=per)


def _with_poisson_rates(frame: pd.DataFrame, *, alpha: float, per: float = 10_000) -> pd.DataFrame:
    """Add ``rate``, ``ci_low``, ``ci_high`` (exact Poisson) from ``count`` and ``population``."""
    out = frame.copy()
    pop = out["population"].to_numpy(dtype=float)
    safe = np.where(pop > 0, pop, 1.0)
    low, high = confint_poisson(out["count"].to_numpy(dtype=float), safe, method="exact-c", alpha=alpha)
    valid = pop > 0
    out["rate"] = np.where(valid, out["count"] / safe * per, np.nan)
    out["ci_low"] = np.where(valid, low * per, np.nan)
    out["ci_high"] = np.where(valid, high * per, np.nan)
    return out


def representation_index(table: pd.DataFrame, communes: pd.DataFrame, by: str, *, weight: str | None = None,
                         alpha: float = 0.05, categories: Sequence | None = None) -> pd.DataFrame:
    """Share of accompaniments ÷ share of population, by group, with an interval.

    .. math:: RI_g = \\frac{a_g / A}{P_g / P}

    1 means the group is reached in proportion to its population; above 1, more. The
    interval is the Wilson interval of the accompaniments' share divided by the
    population share, which comes from the census and is taken as known.

    Returns
    -------
    DataFrame
        ``by``, ``count``, ``population``, ``share``, ``population_share``, ``expected``
        (count if accompaniments followed population), ``index``, ``ci_low``,
        ``ci_high``.
    """
    return _representation(_counts_and_population(table, communes, by, weight=weight, categories=categories),
                           alpha=alpha)


def _representation(counts: pd.DataFrame, *, alpha: float) -> pd.DataFrame:
    out = counts.copy()
    total, pop_total = out["count"].sum(), out["population"].sum()
    out["share"] = out["count"] / total if total else np.nan
    out["population_share"] = out["population"] / pop_total if pop_total else np.nan
    out["expected"] = total * out["population_share"]
    low, high = wilson_interval(out["count"], np.full(len(out), total), alpha=alpha)
    ps = out["population_share"].where(out["population_share"] > 0)
    out["index"] = out["share"] / ps
    out["ci_low"], out["ci_high"] = low / ps, high / ps
    return out


def goodness_of_fit(representation: pd.DataFrame, *, n_simulations: int = 20_000, seed: int = 0) -> dict:
    """Pearson χ² test of the accompaniments' distribution against the population's.

    .. math:: X^2 = \\sum_g \\frac{(a_g - E_g)^2}{E_g}, \\quad E_g = A\\,P_g/P

    on the groups with population (``representation`` from
    :func:`representation_index`). When an expected count is below 5 the χ²
    approximation is poor, so the p-value is also estimated by simulating
    ``n_simulations`` multinomial draws under the population's distribution (seeded).

    Returns
    -------
    dict
        ``statistic``, ``dof``, ``p_value`` (χ²), ``p_value_simulated`` (or None),
        ``min_expected``, ``groups``, ``total``.
    """
    rep = representation[representation["population"] > 0]
    observed = rep["count"].to_numpy(dtype=float)
    total = observed.sum()
    result = {"statistic": np.nan, "dof": max(len(rep) - 1, 0), "p_value": np.nan, "p_value_simulated": None,
              "min_expected": np.nan, "groups": len(rep), "total": int(total)}
    if len(rep) < 2 or total == 0:
        return result
    probs = rep["population"].to_numpy(dtype=float)
    probs = probs / probs.sum()
    expected = total * probs
    statistic, p_value = stats.chisquare(observed, expected)
    result.update(statistic=float(statistic), p_value=float(p_value), min_expected=float(expected.min()))
    if expected.min() < 5:
        draws = np.random.default_rng(seed).multinomial(int(total), probs, size=n_simulations)
        simulated = ((draws - expected) ** 2 / expected).sum(axis=1)
        result["p_value_simulated"] = float((1 + (simulated >= statistic - 1e-9).sum()) / (n_simulations + 1))
    return result


# --------------------------------------------------------------------------- communes
def communes_reached(table: pd.DataFrame, communes: pd.DataFrame, *, code_column: str = "commune_code",
                     weight: str | None = None) -> pd.DataFrame:
    """Count rows per commune of the territory, keeping communes with none.

    Returns ``communes`` (the territory's rows of the reference, geometry kept) with
    ``count`` (rows of ``table`` in the commune), ``reached`` (count > 0) and
    ``rate_10k`` (count per 10,000 inhabitants; NaN where the population is 0). Rows of
    ``table`` outside ``communes`` are ignored.
    """
    counts = _weights(table, weight).groupby(table[code_column], observed=True).sum()
    counts.index = counts.index.astype(str)
    out = communes.copy()
    out["count"] = out["commune_code"].map(counts).fillna(0).astype("int64")
    out["reached"] = out["count"] > 0
    pop = out["population"].astype(float)
    out["rate_10k"] = (out["count"] / pop.where(pop > 0)) * 10_000
    return out


def coverage(reached: pd.DataFrame) -> dict:
    """Number and share of the territory's communes and population reached.

    ``reached`` comes from :func:`communes_reached`.
    """
    pop = reached["population"].astype(float)
    n = len(reached)
    return {
        "communes": n,
        "communes_reached": int(reached["reached"].sum()),
        "share_communes": float(reached["reached"].mean()) if n else np.nan,
        "population": int(pop.sum()),
        "population_reached": int(pop[reached["reached"]].sum()),
        "share_population": float(pop[reached["reached"]].sum() / pop.sum()) if pop.sum() else np.nan,
    }


def lorenz_curve(values: Sequence[float] | pd.Series, *, weights: Sequence[float] | pd.Series | None = None,
                 ) -> pd.DataFrame:
    """Lorenz curve of ``values`` across units (communes).

    Units are sorted by ``values / weights`` (by ``values`` without weights); ``x`` is
    the cumulative share of units (or of weights, e.g. population) and ``y`` the
    cumulative share of values. The curve starts at (0, 0).

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *JASA* 9(70).
    """
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = v[keep], w[keep]
    order = np.argsort(v / w, kind="stable")
    v, w = v[order], w[order]
    x = np.concatenate([[0.0], np.cumsum(w) / w.sum()]) if w.sum() else np.array([0.0])
    y = np.concatenate([[0.0], np.cumsum(v) / v.sum()]) if v.sum() else np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    return pd.DataFrame({"x": x, "y": y})


def gini(values: Sequence[float] | pd.Series, *, weights: Sequence[float] | pd.Series | None = None) -> float:
    """Gini coefficient: 1 − 2 × the area under the Lorenz curve (trapezoids).

    .. math:: G = 1 - \\sum_i (x_i - x_{i-1})(y_i + y_{i-1})

    0 when every unit gets the same (per weight), close to 1 when one unit gets all.
    Without weights this equals :math:`\\sum_i\\sum_j |v_i - v_j| / (2 n^2 \\bar v)`.
    NaN with fewer than two units or no values.
    """
    curve = lorenz_curve(values, weights=weights)
    if len(curve) < 3 or np.asarray(values, dtype=float).sum() <= 0:
        return float("nan")
    x, y = curve["x"].to_numpy(), curve["y"].to_numpy()
    return float(1 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


# --------------------------------------------------------------------------- distance
def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (km) on a sphere of radius :data:`EARTH_RADIUS_KM`; broadcasts.

    .. math:: d = 2R \\arcsin\\sqrt{\\sin^2\\frac{\\Delta\\varphi}{2} +
              \\cos\\varphi_1\\cos\\varphi_2\\sin^2\\frac{\\Delta\\lambda}{2}}
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def site_points(sites, reference: pd.DataFrame) -> pd.DataFrame:
    """Coordinates of support sites: given lat/lon, or the centroid of the site's commune.

    ``sites`` is a sequence of :class:`evaluation.config.Site` (a territory's ``sites``).
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


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantile of ``values`` each repeated ``weights`` times (inverted CDF).

    Equals ``np.quantile(np.repeat(values, weights), q, method="inverted_cdf")`` without
    building the repeated array.
    """
    v, w = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size == 0:
        return np.full(np.shape(q), np.nan)
    order = np.argsort(v, kind="stable")
    v, cw = v[order], np.cumsum(w[order])
    idx = np.searchsorted(cw, np.asarray(q) * cw[-1], side="left")
    return v[np.minimum(idx, v.size - 1)]


def _commune_distances(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                       weight: str | None, reached: pd.DataFrame | None) -> pd.DataFrame:
    reached = communes_reached(table, communes, weight=weight) if reached is None else reached.copy()
    reached["distance_km"] = distance_to_sites(reached, sites)
    return reached


def distance_summary(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                     weight: str | None = None, reached: pd.DataFrame | None = None) -> dict:
    """Median and 80th-percentile distance from the nearest support site, over accompaniments.

    Each accompaniment is placed at its commune's centroid. The 80th percentile is the
    radius within which 80 % of the accompaniments lie. Also returned: the same two
    figures over the population, for comparison. ``reached`` (from
    :func:`communes_reached`) may be passed to skip counting ``table`` again.
    """
    d = _commune_distances(table, communes, sites, weight=weight, reached=reached)
    med, p80 = weighted_quantile(d["distance_km"], d["count"], [0.5, 0.8])
    pmed, pp80 = weighted_quantile(d["distance_km"], d["population"], [0.5, 0.8])
    return {"median_km": float(med), "p80_km": float(p80), "population_median_km": float(pmed),
            "population_p80_km": float(pp80), "count": int(d["count"].sum())}


DEFAULT_BANDS = (0, 5, 10, 20, 40, 80, np.inf)


def distance_decay(table: pd.DataFrame, communes: pd.DataFrame, sites: pd.DataFrame, *,
                   bands: Sequence[float] = DEFAULT_BANDS, weight: str | None = None,
                   alpha: float = 0.05, reached: pd.DataFrame | None = None) -> pd.DataFrame:
    """Accompaniments per 10,000 inhabitants by distance band from the nearest site.

    Returns ``band`` (e.g. ``"5–10 km"``), ``communes``, ``count``, ``population``,
    ``rate``, ``ci_low``, ``ci_high`` (exact Poisson, see :func:`rates_per_10k`); empty
    bands are dropped. ``reached`` as in :func:`distance_summary`.
    """
    d = _commune_distances(table, communes, sites, weight=weight, reached=reached)
    edges = list(bands)
    labels = [f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g} km et plus" for lo, hi in zip(edges[:-1], edges[1:])]
    d["band"] = pd.cut(d["distance_km"], edges, labels=labels, right=False, include_lowest=True)
    per = d.groupby("band", observed=False).agg(communes=("commune_code", "size"), count=("count", "sum"),
                                                population=("population", "sum")).reset_index()
    per = per[per["communes"] > 0].reset_index(drop=True)
    return _with_poisson_rates(per, alpha=alpha)


# --------------------------------------------------------------------------- model
@dataclass
class CountModel:
    """Result of :func:`count_model`.

    ``estimable`` is False when the model as a whole cannot be read (``reason``, a code of
    :data:`evaluation.measures.estimation.REASONS`); ``table`` is then empty. Each row of
    ``table`` also carries its own ``estimable`` and ``reason`` (a level with no
    accompaniment has a rate ratio of 0: ``"zero_cell"``), with NaN figures when False.
    """

    term: str
    family: str  # "poisson", "negative binomial" or "" when not estimable
    table: pd.DataFrame  # term, rate_ratio, ci_low, ci_high, p_value, se, estimable, reason
    dispersion: float = float("nan")  # Pearson χ² / residual df of the Poisson fit
    alpha_nb: float = float("nan")  # NB2 over-dispersion parameter (Var = μ + α μ²; R's theta = 1/α)
    n_communes: int = 0
    excluded_zero_population: int = 0
    reference_level: str = ""
    note: str = ""
    aic: dict = field(default_factory=dict)
    events: int = 0  # accompaniments in the modelled communes
    parameters: int = 0  # coefficients besides the intercept
    converged: bool = False  # the optimiser converged and the score is near zero
    gradient_max: float = float("nan")  # max |∂ℓ/∂θ| at the estimate (θ = β, and α for NB2)
    iterations: int = 0  # of the final Newton (NB) or IRLS (Poisson) fit
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


_MODEL_COLUMNS = ["term", "rate_ratio", "ci_low", "ci_high", "p_value", "se", "estimable", "reason"]


def _negative_binomial(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray, start: np.ndarray):
    """NB2 maximum likelihood: BFGS on (β, log α) from ``start``, then Newton on (β, α).

    statsmodels' default BFGS stops when its own step criterion is met, which can be
    short of the maximum (relative error 5·10⁻⁵ on rate ratios measured against R's
    ``MASS::glm.nb``); Newton's method from there converges quadratically. Returns the
    Newton fit and the largest absolute score at its estimate.
    """
    model = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
    first = model.fit(start_params=start, method="bfgs", disp=0, maxiter=500)
    fit = model.fit(start_params=first.params.to_numpy(), method="newton", disp=0, maxiter=100, tol=1e-12)
    gradient = np.abs(model.score(fit.params.to_numpy())).max()
    return fit, float(gradient)


def count_model(table: pd.DataFrame, communes: pd.DataFrame, *,
                term: Literal["urban_rural", "density_label"] = "urban_rural", weight: str | None = None,
                alpha: float = 0.05, overdispersion_threshold: float = 1.5,
                reached: pd.DataFrame | None = None,
                min_events_per_parameter: int = MIN_EVENTS_PER_PARAMETER) -> CountModel:
    """Model of accompaniments per commune with a log-population offset: rate ratios.

    .. math:: \\log E[a_c] = \\log P_c + \\beta_0 + \\beta^\\top x_c

    :math:`e^{\\beta}` is the rate ratio of a group against the reference group (urban,
    or the most populated density level). A Poisson GLM (IRLS) is fitted first; when its
    dispersion (Pearson χ² / residual degrees of freedom) exceeds
    ``overdispersion_threshold`` a negative binomial model is used instead, whose
    intervals allow for the extra variance. Communes with no population are excluded
    (the offset is undefined) and counted in ``excluded_zero_population``. ``reached``
    (from :func:`communes_reached`) may be passed to skip counting ``table`` again.

    **Negative binomial.** NB2, :math:`\\operatorname{Var}(a_c) = \\mu_c + \\alpha\\mu_c^2`
    (R's ``MASS::glm.nb`` has :math:`\\theta = 1/\\alpha`). The dispersion
    :math:`\\alpha` is estimated by maximum likelihood *jointly* with :math:`\\beta`
    (statsmodels ``NegativeBinomial``): BFGS from the Poisson estimates, then Newton's
    method to the maximum (:func:`_negative_binomial`). The fit counts as converged when
    the optimiser says so and every component of the score is at most
    :data:`GRADIENT_TOLERANCE` × the number of accompaniments in absolute value
    (``gradient_max`` records the largest; the same check applies to the Poisson fit). Standard
    errors are the square roots of the inverse **observed** information of
    :math:`(\\beta, \\alpha)` jointly (the negative Hessian of the log-likelihood at the
    maximum, as Stata's ``nbreg``); ``MASS::glm.nb`` reports instead the expected
    information of :math:`\\beta` at fixed :math:`\\theta`, which differs by about 1 % on
    moderate samples. Poisson standard errors are the GLM's (expected = observed
    information for the log link). Intervals are Wald intervals on the log scale,
    :math:`\\exp(\\hat\\beta \\pm z_{1-\\alpha/2}\\,\\mathrm{se})`.

    **Estimability** (:mod:`evaluation.measures.estimation`): at least two groups present
    (``"no_variation"``), more communes than coefficients (``"too_few_units"``), at least
    ``min_events_per_parameter`` (10) accompaniments per coefficient besides the intercept
    (``"too_few_events"``), a
    converged fit (``"not_converged"``), accompaniments in the reference group
    (``"zero_cell"``); per row, accompaniments in the group (``"zero_cell"``) and a finite
    interval (``"infinite_interval"``). Warnings raised by the fits are captured
    (``warnings``), never shown.

    References
    ----------
    Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed.,
    Cambridge University Press, ch. 3. Venables, W. N. & Ripley, B. D. (2002). *Modern
    Applied Statistics with S*, 4th ed., §7.4.
    """
    d = communes_reached(table, _classified_communes(communes), weight=weight) if reached is None else reached
    zero = int((d["population"].fillna(0) <= 0).sum())
    d = d[d["population"].fillna(0) > 0]
    groups = d[term].astype("object").dropna()
    present = [g for g in d[term].cat.categories if (groups == g).any()]
    empty = pd.DataFrame(columns=_MODEL_COLUMNS)
    if len(present) < 2:
        return CountModel(term, "", empty, n_communes=len(d), excluded_zero_population=zero,
                          note="un seul groupe présent : pas de comparaison possible", events=int(d["count"].sum()),
                          reason="no_variation" if len(d) else "no_data")
    ref_level = URBAN if term == "urban_rural" and URBAN in present else (
        d.groupby(d[term].astype("object"))["population"].sum().idxmax())
    others = [g for g in present if g != ref_level]
    d = d[d[term].notna()]
    X = pd.DataFrame({g: (d[term] == g).astype(float).to_numpy() for g in others})
    X.insert(0, "const", 1.0)
    y = d["count"].to_numpy(dtype=float)
    base = dict(n_communes=len(d), excluded_zero_population=zero, reference_level=str(ref_level),
                events=int(y.sum()), parameters=len(others))
    if len(d) <= X.shape[1]:
        return CountModel(term, "", empty, note="trop peu de communes pour estimer le modèle",
                          reason="too_few_units", **base)
    per_group = d.groupby(d[term].astype("object"))["count"].sum()
    reason = (events_reason(y.sum(), len(others), per_parameter=min_events_per_parameter)
              or ("zero_cell" if per_group.get(ref_level, 0) == 0 else None))
    if reason is not None:
        return CountModel(term, "", empty, reason=reason, **base)
    offset = np.log(d["population"].to_numpy(dtype=float))
    with capture_warnings() as captured:
        poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid > 0 else float("nan")
        fit, family, alpha_nb = poisson, "poisson", float("nan")
        aic = {"poisson": float(poisson.aic)}
        converged, iterations = bool(poisson.converged), int(poisson.fit_history["iteration"])
        gradient = float(np.abs(poisson.model.score(poisson.params.to_numpy())).max())
        if dispersion > overdispersion_threshold:
            start = np.append(poisson.params.to_numpy(), 1.0)  # from the Poisson fit: fewer iterations
            family = "negative binomial"
            try:
                fit, gradient = _negative_binomial(y, X, offset, start)
            except np.linalg.LinAlgError:  # a singular Hessian on the way: no maximum found
                fit, gradient = None, float("nan")
            if fit is not None:
                alpha_nb = float(fit.params["alpha"])
                aic["negative binomial"] = float(fit.aic)
                converged = bool(fit.mle_retvals["converged"]) and alpha_nb > 0
                iterations = int(fit.mle_retvals["iterations"])
            else:
                converged = False
        converged = converged and gradient <= GRADIENT_TOLERANCE * max(1.0, y.sum())
        if converged:
            rows = list(others)
            beta, se = fit.params[rows].to_numpy(), fit.bse[rows].to_numpy()
            z = z_value(alpha)
            out = pd.DataFrame({"term": rows, "rate_ratio": np.exp(beta), "ci_low": np.exp(beta - z * se),
                                "ci_high": np.exp(beta + z * se), "p_value": fit.pvalues[rows].to_numpy(), "se": se})
    model = CountModel(term, family, empty, dispersion, alpha_nb, aic=aic, converged=converged,
                       gradient_max=gradient, iterations=iterations, warnings=captured.codes, **base)
    if not converged:
        model.reason = "not_converged"
        return model
    finite = np.isfinite(out[["ci_low", "ci_high", "se"]]).all(axis=1).to_numpy() & (out["ci_low"] > 0).to_numpy()
    has_events = per_group.reindex(rows).fillna(0).to_numpy() > 0
    out["estimable"] = has_events & finite
    out["reason"] = np.where(~has_events, "zero_cell", np.where(~finite, "infinite_interval", None))
    out.loc[~out["estimable"], ["rate_ratio", "ci_low", "ci_high", "p_value", "se"]] = np.nan
    if not out["estimable"].any():  # no row can be read: the model cannot either
        model.reason = str(out["reason"].iloc[0])
        return model
    model.table, model.estimable = out, True
    return model


# --------------------------------------------------------------------------- trend
@dataclass
class TrendTest:
    """Result of the trend test of :func:`share_trend` (Cochran–Armitage).

    Also readable as a mapping (``test["p_value"]``) for callers written against the
    former dict.
    """

    zscore: float
    p_value: float
    direction: int  # +1 rising, −1 falling, 0 flat or not estimable
    years: int
    events: int = 0  # the rarer outcome's total (hits or non-hits)
    estimable: bool = False
    reason: str | None = None  # a code of evaluation.measures.estimation.REASONS
    warnings: tuple[str, ...] = ()

    def __getitem__(self, key: str):
        return getattr(self, key)


def cochran_armitage(hits: np.ndarray, totals: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Cochran–Armitage test for a linear trend in proportions (R's ``prop.trend.test``).

    .. math:: z = \\frac{\\sum_i x_i (s_i - \\bar s)}
                       {\\sqrt{\\bar p (1 - \\bar p) \\sum_i n_i (s_i - \\bar s)^2}},
              \\qquad \\bar s = \\frac{\\sum_i n_i s_i}{N}, \\quad \\bar p = \\frac{\\sum_i x_i}{N}

    with :math:`x_i` hits out of :math:`n_i` in group *i* of score :math:`s_i`;
    :math:`z^2` is R's ``prop.trend.test`` statistic. Computed from the counts as they
    are: a group with no hit or only hits needs no correction (statsmodels' ``Table``
    would add 0.5 to every cell of a table with a zero). Returns the signed ``z`` and
    its two-sided p-value; NaN when every unit is a hit, none is, or the scores do not
    vary.

    References
    ----------
    Armitage, P. (1955). Tests for linear trends in proportions and frequencies.
    *Biometrics* 11(3), 375–386. Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., §5.3.5.
    """
    x, n, s = (np.asarray(v, dtype=float) for v in (hits, totals, scores))
    total = n.sum()
    if total <= 0:
        return float("nan"), float("nan")
    p = x.sum() / total
    centred = s - (n * s).sum() / total
    variance = p * (1 - p) * (n * centred**2).sum()
    if not variance > 0:
        return float("nan"), float("nan")
    z = float((x * centred).sum() / np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def share_trend(table: pd.DataFrame, column: str, value: str, *, year: str = "year", weight: str | None = None,
                alpha: float = 0.05) -> tuple[pd.DataFrame, TrendTest]:
    """Share of ``column == value`` by year, and a test for a linear trend across years.

    The test is the Cochran–Armitage trend test with the years as scores
    (:func:`cochran_armitage`, R's ``prop.trend.test``). It is estimable with at least
    two years and at least 10 of the rarer outcome (one parameter, see
    :mod:`evaluation.measures.estimation`); otherwise ``zscore`` and ``p_value`` are NaN and
    ``reason`` says why (``"no_data"``, ``"no_variation"``, ``"too_few_events"``).

    Returns
    -------
    (DataFrame, TrendTest)
        Per year: ``year``, ``count``, ``total``, ``share``, ``ci_low``, ``ci_high``;
        and the test.

    References
    ----------
    Armitage, P. (1955), see :func:`cochran_armitage`.
    """
    data = table[table[column].notna() & table[year].notna()]
    w = _weights(data, weight)
    hit = (data[column].astype(object) == value).to_numpy()
    years = data[year].astype(int).to_numpy()
    per = pd.DataFrame({"year": years, "hit": np.where(hit, w, 0), "w": w.to_numpy()}).groupby("year").sum()
    out = pd.DataFrame({"year": per.index.to_numpy(), "count": per["hit"].to_numpy().astype(int),
                        "total": per["w"].to_numpy().astype(int)})
    out["share"] = out["count"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], out["total"], alpha=alpha)
    hits, total = int(out["count"].sum()), int(out["total"].sum())
    events = min(hits, total - hits)
    counted = int((out["total"] > 0).sum())
    reason = "no_data" if counted == 0 else "no_variation" if counted < 2 else events_reason(events, 1)
    test = TrendTest(float("nan"), float("nan"), 0, len(out), events, estimable=reason is None, reason=reason)
    if reason is None:
        with capture_warnings() as captured:
            z, p = cochran_armitage(out["count"].to_numpy(), out["total"].to_numpy(), out["year"].to_numpy())
        test.warnings = captured.codes
        if np.isfinite(z):
            test.zscore, test.p_value, test.direction = z, p, int(np.sign(z))
        else:
            test.estimable, test.reason = False, "no_variation"
    return out, test


# --------------------------------------------------------------------------- venue
ORIGINS = ["QPV de la commune", "Reste de la commune", "Reste de l'intercommunalité", "Communes rurales",
           "Autres communes urbaines"]


@dataclass
class VenueReach:
    """Reach of a venue (the tiers-lieu) from its events and their attendance."""

    events: int
    participants: int
    origins: pd.DataFrame  # origin, count, total, share, ci_low, ci_high
    participations: pd.DataFrame  # visit ("première venue" / "retour"), count, share…
    monthly: pd.DataFrame  # month, events, participations, new_participants
    returning: dict  # participants, returning, share, ci_low, ci_high


def venue_reach(events: pd.DataFrame, attendance: pd.DataFrame, actors: pd.DataFrame, reference: pd.DataFrame,
                *, commune: str, since: object = None, until: object = None, alpha: float = 0.05) -> VenueReach:
    """Who comes to the events held in ``commune`` (from ``since``), and who comes back.

    Participants are the actors present at those events. Each is given one origin, the
    first that applies: the commune's QPV (actor in the commune and in a QPV), the rest
    of the commune, the rest of the commune's EPCI (the metropole for Chenôve), a rural
    commune (INSEE levels 5–7), another urban commune. A participation is a first visit
    when it is the actor's first event of the period, a return otherwise; the share of
    participants who come back is those with two events or more.

    Returns
    -------
    VenueReach
        Counts with Wilson intervals, and activity by month.
    """
    ev = events[events["commune_code"] == commune]
    if since is not None:
        ev = ev[ev["date"] >= pd.Timestamp(since)]
    if until is not None:
        ev = ev[ev["date"] < pd.Timestamp(until)]
    att = (attendance.merge(ev[["event_id", "date"]], on="event_id")
           .sort_values(["date", "event_id"], kind="stable"))
    att["first"] = ~att["actor_id"].duplicated()
    people = actors[actors["actor_id"].isin(att["actor_id"])]
    ref = pd.DataFrame(reference).set_index("commune_code")
    epci = ref["epci_siren"].get(commune)
    code = people["commune_code"].astype(str)
    here = (code == commune).to_numpy()
    qpv = people["in_qpv"].astype("boolean").fillna(False).to_numpy()
    same_epci = (code.map(ref["epci_siren"]) == epci).to_numpy()
    rural = (code.map(ref["urban_rural"]).astype(object) == RURAL).to_numpy()
    origin = np.select([here & qpv, here, same_epci, rural], ORIGINS[:4], default=ORIGINS[4])
    origins = counts_and_shares(pd.DataFrame({"origin": origin}), "origin", categories=ORIGINS, alpha=alpha)
    visits = pd.DataFrame({"visit": np.where(att["first"], "première venue", "retour")})
    participations = counts_and_shares(visits, "visit", categories=["première venue", "retour"], alpha=alpha)
    month = att["date"].dt.to_period("M")
    monthly = pd.DataFrame({
        "events": ev.groupby(ev["date"].dt.to_period("M"))["event_id"].nunique(),
        "participations": att.groupby(month).size(),
        "new_participants": att[att["first"]].groupby(month[att["first"]]).size(),
    }).fillna(0).astype("int64").rename_axis("month").reset_index()
    per_actor = att.groupby("actor_id").size()
    n, back = len(per_actor), int((per_actor >= 2).sum())
    low, high = wilson_interval(back, n, alpha=alpha)
    return VenueReach(events=len(ev), participants=n, origins=origins, participations=participations,
                      monthly=monthly, returning={"participants": n, "returning": back,
                                                  "share": back / n if n else float("nan"),
                                                  "ci_low": float(low), "ci_high": float(high)})


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
    fit: dict[str, dict]
    reached: pd.DataFrame
    coverage: dict
    lorenz: pd.DataFrame
    gini: float
    gini_population: float
    distance: dict
    decay: pd.DataFrame
    model: CountModel
    model_density: CountModel
    trends: dict[str, tuple[pd.DataFrame, TrendTest]]


def reach_summary(accompaniments: pd.DataFrame, communes: pd.DataFrame, *, sites: pd.DataFrame | None = None,
                  alpha: float = 0.05) -> ReachSummary:
    """All reach statistics of a territory from its accompaniments (raw or classified).

    Rows are first aggregated by commune, programme, year and QPV (:func:`aggregate`),
    classified on the small aggregate, and every statistic runs on it.

    Parameters
    ----------
    accompaniments
        Accompaniments with ``commune_code``, ``programme``, ``in_qpv``, ``start_date``.
    communes
        The territory's communes (reference rows, with ``lat``/``lon`` for distances).
    sites
        Support sites (:func:`site_points`); distances are skipped without them.
    """
    geometry = communes.geometry if isinstance(communes, gpd.GeoDataFrame) else None
    communes = _classified_communes(pd.DataFrame(communes.drop(columns="geometry", errors="ignore")))
    agg = aggregate(accompaniments)
    # get_indexer rather than isin: several times faster on pyarrow-backed strings.
    agg = agg[pd.Index(communes["commune_code"].unique()).get_indexer(agg["commune_code"]) >= 0]
    # Only the classes the tables need, looked up per commune (cheaper than a full classify).
    classes = communes.set_index("commune_code")[["density_label", "urban_rural"]]
    agg = agg.join(classes, on="commune_code")
    flag = agg["in_qpv"].astype("boolean")
    agg["qpv"] = pd.Categorical(np.where(flag.isna(), None, np.where(flag.fillna(False), QPV, NON_QPV)),
                                categories=[QPV, NON_QPV])
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
    exposure = {g: _group_exposure(reached, g) for g in ("density_label", "urban_rural", "epci_name")}
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
        distance=distance_summary(agg, communes, sites, reached=reached) if len(sites) else {},
        decay=distance_decay(agg, communes, sites, alpha=alpha, reached=reached) if len(sites) else pd.DataFrame(),
        model=count_model(agg, communes, term="urban_rural", alpha=alpha, reached=reached),
        model_density=count_model(agg, communes, term="density_label", alpha=alpha, reached=reached),
        trends={"rural": share_trend(small, "urban_rural", RURAL, weight=w, alpha=alpha),
                "qpv": share_trend(small, "qpv", QPV, weight=w, alpha=alpha)},
    )

"""Counts and shares with Wilson intervals, rates per 10,000 inhabitants with exact Poisson intervals, the representation index, communes reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.rates import confint_poisson

from evaluation.measures.reach.classify import _classified_communes
from evaluation.measures.stats import wilson_interval

__all__ = ["Coverage", "GoodnessOfFit", "counts_and_shares", "rates_per_10k", "with_poisson_rates", "representation_index", "goodness_of_fit", "communes_reached",
           "coverage"]


def _weights(table: pd.DataFrame, weight: str | None) -> pd.Series:
    return table[weight] if weight is not None else pd.Series(1, index=table.index, dtype="int64")


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
        One row per unit counted (e.g. accompaniments, classified by :func:`~evaluation.measures.reach.classify.classify`),
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
    group = (np.ravel_multi_index([np.where(k < 0, n - 1, k) for (k, _), n in zip(factorized, sizes, strict=False)], sizes)
             if within else np.zeros(len(table), dtype=np.int64))
    n_groups, n_cats = int(np.prod(sizes)) if within else 1, len(cats)
    keep = by_codes >= 0
    sums = np.bincount(group[keep] * n_cats + by_codes[keep], weights=weights[keep],
                       minlength=n_groups * n_cats).reshape(n_groups, n_cats)
    present = np.unique(group[keep]) if within else np.array([0])
    sums = sums[present]
    out = pd.DataFrame({c: _group_values(u, np.repeat(k, n_cats))
                        for c, (_, u), k in zip(within, factorized, np.unravel_index(present, sizes) if within else [], strict=False)})
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


#: Rates with exact Poisson intervals from ``count`` and ``population`` (public name).
with_poisson_rates = _with_poisson_rates


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


@dataclass(frozen=True)
class GoodnessOfFit:
    """Pearson's χ² of the accompaniments' distribution against the population's."""

    statistic: float
    dof: int
    p_value: float  # χ² approximation
    p_value_simulated: float | None  # Monte Carlo, when an expected count is below 5
    min_expected: float
    groups: int  # groups with population
    total: int  # accompaniments


@dataclass(frozen=True)
class Coverage:
    """Communes and population of the territory reached (a commune with at least one row)."""

    communes: int
    communes_reached: int
    share_communes: float
    population: int
    population_reached: int
    share_population: float


def goodness_of_fit(representation: pd.DataFrame, *, n_simulations: int = 20_000, seed: int = 0) -> GoodnessOfFit:
    """Pearson χ² test of the accompaniments' distribution against the population's.

    .. math:: X^2 = \\sum_g \\frac{(a_g - E_g)^2}{E_g}, \\quad E_g = A\\,P_g/P

    on the groups with population (``representation`` from
    :func:`representation_index`). When an expected count is below 5 the χ²
    approximation is poor, so the p-value is also estimated by simulating
    ``n_simulations`` multinomial draws under the population's distribution (seeded).

    Returns
    -------
    GoodnessOfFit
        NaN statistic and p-value with fewer than two groups or no accompaniment.
    """
    rep = representation[representation["population"] > 0]
    observed = rep["count"].to_numpy(dtype=float)
    total = observed.sum()
    dof, groups = max(len(rep) - 1, 0), len(rep)
    if len(rep) < 2 or total == 0:
        return GoodnessOfFit(np.nan, dof, np.nan, None, np.nan, groups, int(total))
    probs = rep["population"].to_numpy(dtype=float)
    probs = probs / probs.sum()
    expected = total * probs
    statistic, p_value = stats.chisquare(observed, expected)
    simulated_p = None
    if expected.min() < 5:
        draws = np.random.default_rng(seed).multinomial(int(total), probs, size=n_simulations)
        simulated = ((draws - expected) ** 2 / expected).sum(axis=1)
        simulated_p = float((1 + (simulated >= statistic - 1e-9).sum()) / (n_simulations + 1))
    return GoodnessOfFit(float(statistic), dof, float(p_value), simulated_p, float(expected.min()), groups, int(total))


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


def coverage(reached: pd.DataFrame) -> Coverage:
    """Number and share of the territory's communes and population reached.

    ``reached`` comes from :func:`communes_reached`.
    """
    pop = reached["population"].astype(float)
    n = len(reached)
    return Coverage(
        communes=n,
        communes_reached=int(reached["reached"].sum()),
        share_communes=float(reached["reached"].mean()) if n else np.nan,
        population=int(pop.sum()),
        population_reached=int(pop[reached["reached"]].sum()),
        share_population=float(pop[reached["reached"]].sum() / pop.sum()) if pop.sum() else np.nan,
    )

"""Intervals that allow for clustering: several accompaniments per structure, variation between communes.

The textbook intervals of the reach tables treat each accompaniment as an independent draw:
Wilson's interval for a share, Garwood's exact Poisson interval for a rate. A structure
accompanied three times is three correlated rows, and communes differ beyond their
population; both make those intervals too narrow. This module gives the intervals the
report shows instead, each vectorised over groups (and over simulated samples in the tests):

* :func:`clustered_wilson` — the share of accompaniments with a property (in a QPV, in a
  rural commune), clustered by structure: Wilson's interval on the **effective sample size**
  (Korn & Graubard 1998), the number of accompaniments divided by the design effect that the
  ratio estimator's linearised, cluster-robust variance gives, with Korn & Graubard's
  degrees-of-freedom adjustment (Student's *t* with clusters − 1 df);
* :func:`weighted_poisson_interval` — a count of accompaniments made of structures each
  bringing several: a compound Poisson count, the gamma interval of Fay & Feuer (1997) for a
  weighted sum of Poisson counts (Garwood's exact interval when every structure brings one);
* :func:`jackknife_representation` — the representation index of groups of communes (share
  of accompaniments ÷ share of the population, or of a target population), its interval from
  the delete-one-commune jackknife of its logarithm (communes are the clusters: their
  variation beyond population, and the structures they hold), Student's *t* with communes −
  groups df (MacKinnon, Nielsen & Webb 2023 recommend this "CV3" jackknife over the
  cluster-robust sandwich, which undercovers when a few large clusters dominate).

A quantity fixed by definition has no interval (:func:`fixed_by_definition`): the share of
a group that holds all, or none, of the territory's population.

References
----------
Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small
expected number of positive counts estimated from survey data. *Survey Methodology* 24(2),
193–201. Fay, M. P. & Feuer, E. J. (1997). Confidence intervals for directly standardized
rates: a method based on the gamma distribution. *Statistics in Medicine* 16(7), 791–801.
MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2023). Cluster-robust inference: a guide to
empirical practice. *Journal of Econometrics* 232(2), 272–299. Efron, B. & Stein, C. (1981).
The jackknife estimate of variance. *Annals of Statistics* 9(3), 586–596.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["clustered_wilson", "clustered_wilson_sums", "weighted_poisson_interval", "jackknife_representation", "fixed_by_definition",
           "cluster_counts"]


def _wilson(p: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        den = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def clustered_wilson(hits: np.ndarray, sizes: np.ndarray, *, alpha: float = 0.05
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share of rows with a property and its interval, rows clustered (by structure).

    ``hits[..., c]`` rows of cluster *c* have the property, out of ``sizes[..., c]``; leading
    axes are separate shares (groups, simulated samples). With :math:`N = \\sum_c n_c` and
    :math:`\\hat p = \\sum_c y_c / N`, over the :math:`C` clusters with a row,

    .. math::
        \\hat V = \\frac{C}{C-1}\\,\\frac{\\sum_c (y_c - \\hat p\\, n_c)^2}{N^2}, \\qquad
        d = \\min\\!\\Big(\\max\\big(\\hat V \\big/ \\tfrac{\\hat p(1-\\hat p)}{N},\\ 1\\big),\\
            \\tfrac{\\sum_c n_c^2}{N}\\Big), \\qquad
        n^* = \\frac{N}{d} \\Big(\\frac{z_{1-\\alpha/2}}{t_{C-1,\\,1-\\alpha/2}}\\Big)^2

    and the interval is Wilson's at :math:`\\hat p` with :math:`n^*` observations. The design
    effect *d* is never below 1 (clustered rows are never worth more than independent ones)
    nor above its value when every cluster's rows agree (:math:`\\sum n_c^2/N`), which is
    also the value taken when :math:`\\hat p` is 0 or 1 (no variance to estimate). With one
    cluster the interval is not defined (NaN).

    Returns
    -------
    tuple of arrays
        ``share``, ``ci_low``, ``ci_high`` and the design effect ``d`` (NaN without rows).

    References
    ----------
    Korn & Graubard (1998); Wilson, E. B. (1927). *JASA* 22(158), 209–212.
    """
    y = np.asarray(hits, dtype=float)
    n = np.asarray(sizes, dtype=float)
    return clustered_wilson_sums(y.sum(axis=-1), (y**2).sum(axis=-1), (y * n).sum(axis=-1), n.sum(axis=-1),
                                 (n**2).sum(axis=-1), (n > 0).sum(axis=-1), alpha=alpha)


def clustered_wilson_sums(y: np.ndarray, y2: np.ndarray, yn: np.ndarray, total: np.ndarray, n2: np.ndarray,
                          clusters: np.ndarray, *, alpha: float = 0.05
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`clustered_wilson` from the sums it needs (:math:`\\sum y_c`, :math:`\\sum y_c^2`,
    :math:`\\sum y_c n_c`, :math:`N`, :math:`\\sum n_c^2`, *C*), since
    :math:`\\sum_c (y_c - p n_c)^2 = \\sum y_c^2 - 2p\\sum y_c n_c + p^2 \\sum n_c^2`: many shares of the
    same clusters (one per QPV) from sparse per-cluster hits.
    """
    y, y2, yn, total, n2, clusters = (np.asarray(v, dtype=float) for v in (y, y2, yn, total, n2, clusters))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = y / total
        spread = np.maximum(y2 - 2 * p * yn + p**2 * n2, 0) / total**2
        v = clusters / (clusters - 1) * spread
        binomial = p * (1 - p) / total
        most = n2 / total
        deff = np.where(binomial > 0, np.clip(v / np.where(binomial > 0, binomial, 1.0), 1.0, most), most)
        z = stats.norm.ppf(1 - alpha / 2)
        t = stats.t.ppf(1 - alpha / 2, np.maximum(clusters - 1, 1))
        effective = total / deff * (z / t) ** 2
    low, high = _wilson(p, effective, z)
    undefined = (clusters < 2) | ~(total > 0)
    return (np.where(total > 0, p, np.nan), np.where(undefined, np.nan, low), np.where(undefined, np.nan, high),
            np.where(total > 0, deff, np.nan))


def weighted_poisson_interval(count: np.ndarray, square_sum: np.ndarray, max_weight: np.ndarray, *,
                              alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a count made of units (structures) each bringing several rows (accompaniments).

    The structures arrive as a Poisson process and structure *i* brings :math:`m_i`
    accompaniments: the count :math:`A = \\sum_i m_i` is a weighted sum of Poisson counts, with
    estimated variance :math:`V = \\sum_i m_i^2`. Fay & Feuer's gamma interval:

    .. math::
        \\Big[\\, G^{-1}_{A^2/V,\\; V/A}(\\alpha/2),\\;
               G^{-1}_{(A+w)^2/(V+w^2),\\; (V+w^2)/(A+w)}(1-\\alpha/2) \\Big]

    (:math:`G^{-1}_{k,\\theta}` the gamma quantile of shape *k* and scale θ, :math:`w = \\max_i m_i`;
    lower bound 0 when :math:`A = 0`). When every :math:`m_i = 1` it is Garwood's exact Poisson
    interval. Divide by the exposure (population × years) for a rate.

    References
    ----------
    Fay & Feuer (1997); Garwood, F. (1936). *Biometrika* 28, 437–442.
    """
    a = np.asarray(count, dtype=float)
    v = np.asarray(square_sum, dtype=float)
    w = np.maximum(np.asarray(max_weight, dtype=float), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(a > 0, stats.gamma.ppf(alpha / 2, a**2 / np.where(v > 0, v, 1), scale=v / np.where(a > 0, a, 1)),
                       0.0)
        high = stats.gamma.ppf(1 - alpha / 2, (a + w) ** 2 / (v + w**2), scale=(v + w**2) / (a + w))
    return low, high


def fixed_by_definition(population_share: np.ndarray | pd.Series) -> np.ndarray:
    """Whether a group's share is fixed by definition: it holds all the territory's population
    (every accompaniment is in it: share 1, index 1) or none (share 0, no index).
    """
    s = np.asarray(population_share, dtype=float)
    return np.isnan(s) | np.isclose(s, 0.0) | np.isclose(s, 1.0)


def jackknife_representation(counts: np.ndarray, exposure: np.ndarray, groups: np.ndarray, *,
                             alpha: float = 0.05) -> pd.DataFrame:
    """Representation index of groups of communes with a delete-one-commune jackknife interval.

    .. math::
        RI_g = \\frac{a_g / A}{P_g / P}, \\qquad
        \\widehat{\\operatorname{Var}}(\\log RI_g) = \\frac{C-1}{C} \\sum_{c}
            \\big(\\log RI_{g(-c)} - \\overline{\\log RI_{g(\\cdot)}}\\big)^2

    where :math:`RI_{g(-c)}` is the index without commune *c* (its accompaniments and its
    exposure removed), over the *C* communes with exposure. The interval is
    :math:`RI_g \\exp(\\pm t_{C-K,\\,1-\\alpha/2}\\,\\widehat{\\mathrm{se}})` with *K* groups. No
    interval for a group fixed by definition (:func:`fixed_by_definition`), without
    accompaniments (its index is 0), or with fewer than two communes.

    Parameters
    ----------
    counts, exposure
        Per commune: accompaniments and population (or target population).
    groups
        Per commune: the group's position (0…K−1); negative for communes in no group.

    Returns
    -------
    DataFrame
        One row per group position: ``count``, ``exposure``, ``share``, ``exposure_share``,
        ``index``, ``ci_low``, ``ci_high``, ``se_log``, ``communes``.
    """
    a = np.asarray(counts, dtype=float)
    e = np.asarray(exposure, dtype=float)
    g = np.asarray(groups, dtype=int)
    keep = (g >= 0) & (e > 0)
    a, e, g = a[keep], e[keep], g[keep]
    k = int(g.max()) + 1 if len(g) else 0
    onehot = np.eye(max(k, 1))[g] if len(g) else np.zeros((0, max(k, 1)))
    ag, eg = a @ onehot, e @ onehot
    total_a, total_e = a.sum(), e.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        index = (ag / total_a) / (eg / total_e)
        # leave-one-out: (communes × groups)
        loo_a, loo_e = ag[None, :] - a[:, None] * onehot, eg[None, :] - e[:, None] * onehot
        loo = np.log((loo_a / (total_a - a)[:, None]) / (loo_e / (total_e - e)[:, None]))
        finite = np.isfinite(loo)
        n_ok = finite.sum(axis=0)
        mean = np.where(finite, loo, 0).sum(axis=0) / n_ok
        var = (n_ok - 1) / n_ok * np.where(finite, (loo - mean) ** 2, 0).sum(axis=0)
        se = np.sqrt(var)
    communes = onehot.sum(axis=0).astype(int)
    t = stats.t.ppf(1 - alpha / 2, max(len(a) - k, 1))
    exposure_share = eg / total_e if total_e > 0 else np.full(k, np.nan)
    no_interval = (fixed_by_definition(exposure_share) | ~(ag > 0) | (communes < 2) | (len(a) - k < 1)
                   | (n_ok < len(a)))
    return pd.DataFrame({"count": ag, "exposure": eg, "share": ag / total_a if total_a else np.nan,
                         "exposure_share": exposure_share, "index": index,
                         "ci_low": np.where(no_interval, np.nan, index * np.exp(-t * se)),
                         "ci_high": np.where(no_interval, np.nan, index * np.exp(t * se)),
                         "se_log": np.where(no_interval, np.nan, se), "communes": communes})


def cluster_counts(keys: pd.Series | np.ndarray, flags: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster (``keys``, e.g. ``structure_id``, or their codes from :func:`pandas.factorize`):
    rows whose ``flags`` is true, and rows whose flag is known (missing flags count in neither).
    """
    known = flags.notna().to_numpy()
    hit = flags.fillna(False).astype(bool).to_numpy() & known
    codes = keys if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu" else pd.factorize(keys)[0]
    n = max(int(codes.max()) + 1, 0) if len(codes) else 0
    return (np.bincount(codes[known], weights=hit[known], minlength=n),
            np.bincount(codes[known], minlength=n).astype(float))

"""Reach: who the work reaches, where — by density level, urban/rural, QPV and EPCI.

Functions take a table with a ``commune_code`` column (accompaniments, actors…) and the
commune reference, and return tidy frames ready for a report table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from .reference import DENSITY_LABELS, RURAL, URBAN

__all__ = [
    "QPV",
    "NON_QPV",
    "DENSITY_CATEGORIES",
    "URBAN_RURAL_CATEGORIES",
    "classify",
    "wilson_interval",
    "counts_and_shares",
    "communes_reached",
]

QPV, NON_QPV = "QPV", "hors QPV"
DENSITY_CATEGORIES = pd.CategoricalDtype(list(DENSITY_LABELS.values()), ordered=True)
URBAN_RURAL_CATEGORIES = pd.CategoricalDtype([URBAN, RURAL])

_REFERENCE_COLUMNS = ["commune_code", "commune_name", "population", "epci_siren", "epci_name",
                      "density_level", "density_label", "urban_rural"]


def classify(table: pd.DataFrame, reference: pd.DataFrame, *, code_column: str = "commune_code",
             qpv_column: str | None = "in_qpv") -> pd.DataFrame:
    """Add each row's commune attributes: density level and label, urban/rural, EPCI, QPV.

    Parameters
    ----------
    table
        Any table with a commune code column (accompaniments, actors, events).
    reference
        The commune reference (:func:`evaluation.reference.load_reference`).
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
    ref = pd.DataFrame(reference)[_REFERENCE_COLUMNS].rename(columns={"commune_code": code_column})
    added = [c for c in _REFERENCE_COLUMNS if c != "commune_code"]
    base = table.drop(columns=[c for c in added if c in table.columns])
    out = base.reset_index(names="__index__").merge(ref, on=code_column, how="left").set_index("__index__")
    out.index.name = table.index.name
    out["density_label"] = out["density_label"].astype(DENSITY_CATEGORIES)
    out["urban_rural"] = out["urban_rural"].astype(URBAN_RURAL_CATEGORIES)
    if qpv_column is not None and qpv_column in out:
        flag = out[qpv_column].astype("boolean")
        out["qpv"] = pd.Categorical(np.where(flag.isna(), None, np.where(flag.fillna(False), QPV, NON_QPV)),
                                    categories=[QPV, NON_QPV])
    return out


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


def counts_and_shares(table: pd.DataFrame, by: str, *, within: Sequence[str] = (), alpha: float = 0.05,
                      categories: Sequence | None = None) -> pd.DataFrame:
    """Counts of rows by ``by``, their share of the total, and Wilson intervals.

    Parameters
    ----------
    table
        One row per unit counted (e.g. accompaniments, classified by :func:`classify`).
    by
        The grouping whose shares are computed (e.g. ``"urban_rural"``,
        ``"density_label"``, ``"qpv"``, ``"epci_name"``).
    within
        Columns that define separate totals (e.g. ``["programme"]`` or ``["year"]``):
        shares sum to 1 within each of their combinations.
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
    data = table[within + [by]].dropna(subset=[by])
    if categories is None:
        col = table[by]
        categories = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else sorted(data[by].unique())
    key = pd.Categorical(data[by], categories=list(categories))
    counts = (data.assign(**{by: key}).groupby(within + [by], observed=False, dropna=False).size()
              .rename("count").reset_index())
    if within:
        counts["total"] = counts.groupby(within, observed=True, dropna=False)["count"].transform("sum")
    else:
        counts["total"] = counts["count"].sum()
    counts["share"] = np.where(counts["total"] > 0, counts["count"] / counts["total"].where(counts["total"] > 0, 1),
                               np.nan)
    counts["ci_low"], counts["ci_high"] = wilson_interval(counts["count"], counts["total"], alpha=alpha)
    return counts


def communes_reached(table: pd.DataFrame, communes: pd.DataFrame, *, code_column: str = "commune_code") -> pd.DataFrame:
    """Count rows per commune of the territory, keeping communes with none.

    Returns ``communes`` (the territory's rows of the reference, geometry kept) with
    ``count`` (rows of ``table`` in the commune) and ``reached`` (count > 0). Rows of
    ``table`` outside ``communes`` are ignored.
    """
    counts = table[code_column].value_counts()
    out = communes.copy()
    out["count"] = out["commune_code"].map(counts).fillna(0).astype("int64")
    out["reached"] = out["count"] > 0
    return out

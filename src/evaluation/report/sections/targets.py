"""« Résultats au regard des objectifs »: each target of the convention beside the published result.

The objectives are those the territory declares in ``territories.yml``
(:mod:`evaluation.geo.objectives`); the result of each is the indicator as published — the
protected indicator table of the publication, where a withheld or non-estimable value is
already blank — and its status is :func:`evaluation.measures.objectives.objective_status`'s,
so a withheld result reads *non mesurable* and nothing withheld can be told from the table.
A territory without objectives shows nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evaluation.measures.objectives import objective_status
from evaluation.report.published import Publication
from evaluation.report.sections.base import Item
from evaluation.report.tables import (
    ci_label,
    fr_interval,
    fr_number,
    fr_percent,
    fr_rate,
    fr_rate_interval,
    fr_ratio_interval,
)

__all__ = ["STATUS_LABELS", "NOT_MEASURABLE_LABELS", "objective_results", "objectives_table", "objectives"]

#: The statuses (:data:`evaluation.measures.objectives.STATUSES`) in French.
STATUS_LABELS = {"met": "atteint", "on_track": "en bonne voie", "not_met": "non atteint",
                 "not_measurable": "non mesurable"}
#: What stands in the result's cell when it is not measurable
#: (:data:`evaluation.measures.objectives.REASONS`).
NOT_MEASURABLE_LABELS = {"withheld": "non publié (secret statistique)", "not_estimable": "non estimable",
                         "absent": "absent de ce rapport", "before_baseline": "date antérieure au départ"}

READING = ("**Lecture du statut** : *atteint* si tout l'intervalle de confiance du résultat est au niveau de la "
           "cible ou au-delà ; *en bonne voie* si, avant l'échéance, l'intervalle atteint la trajectoire prévue "
           "(une ligne droite de la valeur de départ à la cible) ; *non atteint* si tout l'intervalle reste en deçà "
           "de cette trajectoire, ou si l'échéance est passée sans que la cible soit sûrement atteinte ; *non "
           "mesurable* si le résultat n'est pas publié (secret statistique), n'est pas estimable ou manque. Un "
           "décompte (accompagnements, emplois déclarés, liens) est exact : il n'a pas d'intervalle.")


def objective_results(pub: Publication) -> pd.DataFrame:
    """The status of each objective of the territory at the report's date, from the published
    indicators (:func:`evaluation.measures.objectives.objective_status`; date of the « état au »,
    today for a report without one).
    """
    ind = pub.indicators.set_index("code")
    results = pd.DataFrame({"value": ind["valeur"].astype(float), "low": ind["ic_bas"].astype(float),
                            "high": ind["ic_haut"].astype(float), "withheld": ind["secret"].astype(bool),
                            "estimable": ind["estimable"].astype(bool)}, index=ind.index)
    on = pub.snapshot.date if pub.snapshot is not None else dt.date.today()
    return objective_status(pub.territory.objectives, results, on=on)


def _number(value: float, unit: str) -> str:
    if unit == "part":
        return fr_percent(value)
    if unit.startswith("pour"):
        return fr_rate(value)
    return fr_number(value, digits=2 if unit == "rapport" else 0 if float(value).is_integer() else 1)


def _interval(low: float, high: float, unit: str) -> str:
    if np.isnan(low) or np.isnan(high):
        return ""
    if unit == "part":
        return fr_interval(low, high)
    if unit.startswith("pour"):
        return fr_rate_interval(low, high)
    return fr_ratio_interval(low, high, digits=2)


def objectives_table(pub: Publication, results: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table « Résultats au regard des objectifs », in French: indicator, baseline, target,
    the planned path at the report's date, result with interval, status and source.
    """
    results = objective_results(pub) if results is None else results
    ind = pub.indicators.set_index("code")
    units = ind["unite"].reindex(results["indicator"]).fillna("").astype(str).to_numpy()
    names = ind["indicateur"].reindex(results["indicator"]).fillna("").astype(str).to_numpy()
    date = f"{pub.snapshot.date:%d/%m/%Y}" if pub.snapshot is not None else "ce jour"
    level = ci_label(pub.alpha)
    rows = []
    for r, unit, name in zip(results.itertuples(index=False), units, names, strict=True):  # a few objectives
        bound = "au moins" if r.direction == "increase" else "au plus"
        if r.status == "not_measurable" and r.reason != "before_baseline":
            result = NOT_MEASURABLE_LABELS[r.reason]
        else:
            result = " ".join(filter(None, [_number(r.value, unit), _interval(r.low, r.high, unit)]))
        source = r.source + (" (objectif illustratif)" if r.illustrative and "illustratif" not in r.source.lower()
                             else "")
        rows.append({"Indicateur": r.label or name or r.indicator,
                     "Départ": f"{_number(r.baseline, unit)} au {r.baseline_date:%d/%m/%Y}",
                     "Cible": f"{bound} {_number(r.target, unit)} au {r.target_date:%d/%m/%Y}",
                     f"Trajectoire au {date}": _number(r.expected, unit),
                     f"Résultat ({level})": result,
                     "Statut": STATUS_LABELS[r.status] + (f" ({NOT_MEASURABLE_LABELS[r.reason]})"
                                                          if r.reason == "before_baseline" else ""),
                     "Source": source})
    return pd.DataFrame(rows)


def objectives(pub: Publication) -> list[Item]:
    """The section « Résultats au regard des objectifs »: nothing when the territory declares no objective."""
    if pub.territory is None or not pub.territory.objectives:
        return []
    results = objective_results(pub)
    counts = results["status"].value_counts()
    n = len(results)
    said = " ; ".join(f"{STATUS_LABELS[s]} : {fr_number(counts[s])}" for s in STATUS_LABELS if s in counts)
    date = f"au {pub.snapshot.date:%d/%m/%Y}" if pub.snapshot is not None else "à ce jour"
    intro = (f"{'Un objectif chiffré est fixé' if n == 1 else f'{fr_number(n)} objectifs chiffrés sont fixés'} "
             f"à ce territoire. Chaque résultat {date} est comparé à sa cible et à la trajectoire prévue, "
             f"en tenant compte de son intervalle de confiance. Statuts : {said}.")
    made_up = int(results["illustrative"].sum())
    if made_up:
        who = ("Cet objectif a été inventé" if n == 1 else "Ces objectifs ont été inventés" if made_up == n
               else "Les objectifs dont la source porte « objectif illustratif » ont été inventés")
        intro += f"\n\n> **Objectifs illustratifs.** {who} pour montrer la méthode ; ce ne sont pas ceux d'une convention."
    return [f"## Résultats au regard des objectifs\n\n{intro}", f"**Résultats au regard des objectifs, {date}**",
            objectives_table(pub, results), READING]

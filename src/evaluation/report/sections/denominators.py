"""Reach against who should be reached, in French (issue 28): structures beside accompaniments, declared
jobs, each QPV against its population, the programmes against their target populations.

:func:`protect` turns the measures' :class:`~evaluation.measures.reach.denominators.ReachDenominators`
into its published copy (rows withheld by the joint suppression of
:func:`evaluation.report.secrecy.optimal.joint_suppress` marked ``suppressed`` and blanked);
:func:`reach_denominators` writes it for the notebook; :func:`consistency` says how the representation
table and the count model read together, and which interval the report shows and why.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.denominators import ALL_QPV, UNSPECIFIED_QPV, ReachDenominators
from evaluation.measures.reach.funnel import funnel_limits, funnel_points, overdispersion
from evaluation.report import figures
from evaluation.report.published import Publication
from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.denominator_links import QPV_AREAS, TARGET_GROUPS, TARGETS, UNITS
from evaluation.report.sections.base import Item, _plural
from evaluation.report.tables import (
    PROGRAMME_LABELS,
    SECRET,
    SECRET_TEXT,
    ci_label,
    fr_interval,
    fr_number,
    fr_percent,
    fr_rate,
    fr_rate_interval,
    fr_ratio_interval,
    secret_reason,
)

__all__ = ["protect", "reach_denominators", "consistency", "funnel", "GUIDE"]

#: Where the evaluator learns which file gives QPV populations and how to supply target populations.
GUIDE = "docs/guide/denominateurs.md"
#: Columns of the denominators' frames blanked on a withheld row (their totals are kept, as in the other
#: tables: a large total is no secret, and a small one is withheld on its own rows by the joint suppression).
_BLANKED = ("count", "share", "ci_low", "ci_high", "rate", "rate_low", "rate_high", "index", "index_low",
            "index_high", "structures", "structures_rate", "structures_rate_low", "structures_rate_high")
#: Beyond this many QPV, only their whole is shown (a région, France).
MAX_QPV_ROWS = 30
_LISTS = {"2024": "quartiers prioritaires 2024, en vigueur depuis le 1er janvier 2024",
          "2015": "quartiers prioritaires de 2015, en vigueur jusqu'au 31 décembre 2023"}


def _mark(frame: pd.DataFrame, decided: LinkedCells, table: str) -> pd.DataFrame:
    hidden = np.zeros(len(frame), dtype=bool)
    hidden[decided.suppressed_rows(table)] = True
    out = frame.assign(suppressed=hidden)
    for column in (c for c in _BLANKED if c in out):
        out[column] = out[column].astype(float).where(~hidden)
    return out


def protect(d: ReachDenominators | None, decided: LinkedCells) -> ReachDenominators | None:
    """The published copy of ``d``: each frame's rows withheld by ``decided`` marked and blanked."""
    if d is None:
        return None
    return replace(d, units=_mark(d.units, decided, UNITS), qpv=_mark(d.qpv, decided, QPV_AREAS),
                   targets=_mark(d.targets, decided, TARGETS) if len(d.targets) else d.targets,
                   target_groups=_mark(d.target_groups, decided, TARGET_GROUPS) if len(d.target_groups)
                   else d.target_groups)


def _years(years: float) -> str:
    return f"{fr_number(years, digits=0 if float(years).is_integer() else 1)} année{'s' if years > 1 else ''}"


def _units(pub: Publication, d: ReachDenominators) -> list[Item]:
    u = d.units.set_index(["unit", "measure"])
    level = ci_label(pub.alpha)

    def cell(unit: str, measure: str, text: str) -> str:
        return SECRET if bool(u.loc[(unit, measure), "suppressed"]) else text

    def share(unit: str, measure: str) -> str:
        r = u.loc[(unit, measure)]
        interval = f" {fr_interval(r['ci_low'], r['ci_high'])}" if pd.notna(r["ci_low"]) else ""
        return cell(unit, measure, f"{fr_percent(r['share'])}{interval}")

    rows = {"Nombre (cumul de la période)": lambda x: cell(x, "total", fr_number(u.loc[(x, "total"), "count"])),
            f"Par an pour 10 000 habitants ({level})": lambda x: cell(
                x, "total", f"{fr_rate(u.loc[(x, 'total'), 'rate'])} "
                            f"{fr_rate_interval(u.loc[(x, 'total'), 'rate_low'], u.loc[(x, 'total'), 'rate_high'])}"),
            f"En commune rurale ({level})": lambda x: share(x, "rural"),
            f"En QPV, parmi les situations connues ({level})": lambda x: share(x, "qpv"),
            "Situation QPV inconnue (« ne sait pas », vide)": lambda x: cell(
                x, "qpv_unknown", fr_number(u.loc[(x, "qpv_unknown"), "count"]))}
    table = pd.DataFrame({"": list(rows), "Structures atteintes": [f("structures") for f in rows.values()],
                          "Accompagnements réalisés": [f("accompaniments") for f in rows.values()]})
    s, a = u.loc[("structures", "total")], u.loc[("accompaniments", "total")]
    when = (f"De {pub.years[0]} à {pub.years[1]}" if pub.years and pub.years[0] != pub.years[1]
            else f"En {pub.years[0]}" if pub.years else "Sur la période")
    if s["suppressed"] or a["suppressed"]:
        lead = f"{when}, le nombre de structures accompagnées {SECRET_TEXT} ({secret_reason(pub.threshold)})."
    else:
        lead = (f"{when}, **{_plural(int(s['count']), 'structure')} distincte{'s' if s['count'] > 1 else ''}** "
                f"{'ont' if s['count'] > 1 else 'a'} été accompagnée{'s' if s['count'] > 1 else ''}, au cours de "
                f"{_plural(int(a['count']), 'accompagnement')} (une structure peut l'être plusieurs fois) : la question "
                "« qui a été atteint ? » se lit en structures, « combien d'accompagnements ? » en accompagnements.")
    note = (f"Taux annuels sur les {_years(d.years)} couvertes par les exports (le nombre cumulé figure au-dessus). "
            "Une structure compte une fois, là où elle a été accompagnée pour la dernière fois. Intervalles : parts "
            "de structures de Wilson ; parts d'accompagnements corrigées des structures accompagnées plusieurs fois "
            "(QPV) ou de la variation entre communes (rural) ; pas d'intervalle sur une part fixée par définition "
            "(territoire tout urbain ou tout rural).")
    return [lead, table, note]


def _jobs(pub: Publication, d: ReachDenominators) -> str:
    ind = pub.indicators.set_index("code")
    shown = [c for c in ("emplois_crees", "emplois_maintenus") if c in ind.index and not ind.loc[c, "secret"]]
    if len(shown) < 2:
        return f"Les emplois déclarés par les structures {SECRET_TEXT} ({secret_reason(pub.threshold)})."
    created, kept = (int(ind.loc[c, "valeur"]) for c in ("emplois_crees", "emplois_maintenus"))
    return (f"**Emplois déclarés** : {fr_number(created)} créés et {fr_number(kept)} maintenus, selon la dernière "
            "déclaration de chaque structure, comptée une fois même si elle a été accompagnée plusieurs fois. Ce sont "
            "des déclarations des structures, non vérifiées : ni leur durée, ni leur équivalent temps plein, ni la part "
            "qui revient à l'accompagnement ne sont connus.")


def _qpv(pub: Publication, d: ReachDenominators) -> list[Item]:
    q = d.qpv
    level = ci_label(pub.alpha)
    named = q[~q["qpv"].isin([ALL_QPV, UNSPECIFIED_QPV])]
    whole = q.set_index("qpv").loc[ALL_QPV]
    unspecified = q.set_index("qpv").loc[UNSPECIFIED_QPV]
    items: list[Item] = []
    lists = sorted(set(named["list"].dropna()) | set(d.qpv_lists if not len(named) else ()))
    vintage = ("Liste des QPV : " + " ; ".join(_LISTS.get(x, x) for x in lists) + "." if lists else "")
    if not len(named):
        said = "" if whole["suppressed"] or not whole["count"] else (
            f"{_plural(int(whole['count']), 'accompagnement')} {'sont' if whole['count'] > 1 else 'est'} "
            "déclaré(s) en QPV dans les exports")
        if not d.qpv_reference:
            return [f"**Quartiers prioritaires** : le référentiel communal n'a pas de table des QPV et de leurs "
                    f"populations ({GUIDE}) : les QPV du territoire et leur poids dans sa population ne sont pas "
                    "connus" + (f" ; {said}, sans pouvoir être rapportés à ce poids." if said else ".")]
        return ["**Quartiers prioritaires** : le référentiel communal ne compte aucun QPV dans ce territoire"
                + (f" ; {said} pourtant." if said else ".") + (f" {vintage}" if vintage else "")]
    names = ", ".join(f"« {n} »" for n in named["qpv_name"].fillna(named["qpv_code"]).astype(str))
    if not bool(whole["available"]):
        missing = named[named["population"].isna()]
        share = ("" if whole["suppressed"] else f" ({fr_percent(whole['share'])} des accompagnements dont la "
                 f"situation est connue, {level} {fr_interval(whole['ci_low'], whole['ci_high'])})")
        items.append(
            f"**Quartiers prioritaires ({names})** : la part des accompagnements en QPV{share} ne peut pas être "
            "rapportée au poids des QPV dans la population : la population "
            f"{'du QPV' if len(missing) == 1 else 'des QPV'} "
            + ", ".join(f"« {n} »" for n in missing["qpv_name"].fillna(missing["qpv_code"]).astype(str))
            + " n'est pas disponible dans le référentiel communal (aucun fichier de l'INSEE ou de l'observatoire "
            f"national de la politique de la ville ne lui a été fourni ; voir {GUIDE}). L'indice de représentation des "
            "QPV n'est donc pas calculé.")
    else:
        items.append("**Quartiers prioritaires** : chaque QPV comparé à son poids dans la population du territoire "
                     "(indice de représentation : 1 = à proportion de sa population).")
        rows, listed = [], q[q["qpv"] != UNSPECIFIED_QPV]
        if len(named) > MAX_QPV_ROWS:  # a région or France: the whole, not a table of hundreds of QPV
            listed = listed[listed["qpv"] == ALL_QPV]
            items.append(f"Le territoire compte {fr_number(len(named))} QPV : seul leur ensemble est présenté.")
        for r in listed.itertuples(index=False):
            hidden = bool(r.suppressed)
            label = "Ensemble des QPV du territoire" if r.qpv == ALL_QPV else f"{r.qpv_name or ''} ({r.qpv_code})"
            year = f" ({int(r.population_year)})" if pd.notna(r.population_year) else ""
            rows.append({"QPV": label, "Population": fr_number(r.population) + year,
                         "Part de la population": fr_percent(r.population_share),
                         "Accompagnements": SECRET if hidden else fr_number(r.count),
                         f"Part des accompagnements ({level})": SECRET if hidden else
                         f"{fr_percent(r.share)} {fr_interval(r.ci_low, r.ci_high)}",
                         f"Indice de représentation ({level})": SECRET if hidden else
                         f"{fr_number(r.index, digits=2)} {fr_ratio_interval(r.index_low, r.index_high)}"})
        items.append(pd.DataFrame(rows))
        sources = "; ".join(sorted(set(named["source"].dropna().astype(str))))
        items.append(f"Populations : {sources}. Parts des accompagnements parmi ceux dont la situation QPV est connue ; "
                     "intervalles de Wilson corrigés des structures accompagnées plusieurs fois, divisés par la part de "
                     "la population (chiffre du recensement, pris comme connu).")
    if not unspecified["suppressed"] and unspecified["count"] > 0:
        items.append(f"{_plural(int(unspecified['count']), 'accompagnement')} en QPV sans que l'on sache lequel (pas de "
                     "code de QPV dans l'export, et leur commune compte plusieurs QPV, ou aucun QPV déclaré pour le "
                     "territoire) : comptés dans l'ensemble des QPV, dans aucun en particulier.")
    unknown = d.units.set_index(["unit", "measure"]).loc[("accompaniments", "qpv_unknown")]
    if not unknown["suppressed"] and unknown["count"] > 0:
        items.append(f"{_plural(int(unknown['count']), 'accompagnement')} sans information sur le QPV (« ne sait pas » "
                     "ou vide) : ni en QPV ni hors QPV ; les parts portent sur les autres. Si ces structures sont plus "
                     "souvent en QPV que les autres, la part en QPV est sous-estimée.")
    exported = ", ".join(_LISTS.get(x, x) for x in d.row_lists)
    items.append((vintage + " " if vintage else "") + (
        f"Les codes de QPV des exports sont ceux de la liste : {exported}." if exported else
        "Les exports disent « oui » ou « non » sans préciser la liste des QPV à laquelle ils se rapportent : un "
        "quartier sorti de la liste en 2024 (ou entré) peut être compté différemment selon la date de saisie."))
    return items


def _targets(pub: Publication, d: ReachDenominators) -> list[Item]:
    if not len(d.targets):
        return ["**Populations cibles** : aucune n'est déclarée pour ce territoire. Les taux ci-dessus rapportent les "
                "accompagnements à la population des communes, base imparfaite : le DLA s'adresse aux employeurs de "
                "l'économie sociale et solidaire, l'appui à la création aux porteurs de projet. Pour rapporter chaque "
                "programme à sa population cible (établissements employeurs de l'ESS, créations d'entreprises…), "
                f"fournir un fichier denominators.csv et le déclarer dans territories.yml ({GUIDE})."]
    rows, notes = [], []
    reasons = {"absent": "la variable est absente du fichier denominators.csv",
               "incomplete": "des communes du territoire n'ont pas de valeur pour cette année (une valeur manquante "
                             "n'est pas un zéro)", "zero": "la population cible du territoire est nulle"}
    level = ci_label(pub.alpha)
    for r in d.targets.itertuples(index=False):
        name = PROGRAMME_LABELS.get(r.programme, r.programme)
        if not r.available:
            notes.append(f"{name} rapporté aux {r.label} : pas de taux, {reasons.get(r.reason, r.reason)}"
                         + (f" ({fr_number(r.missing)} commune(s))." if r.reason == "incomplete" else "."))
            continue
        hidden = bool(r.suppressed)
        per = fr_number(r.per)
        rows.append({"Programme": name, "Population cible": f"{r.label} ({r.source or 'source non précisée'}, {r.year})",
                     "Effectif cible": fr_number(r.denominator, digits=0),
                     "Accompagnements (cumul)": SECRET if hidden else fr_number(r.count),
                     f"Accompagnements par an pour {per} ({level})": SECRET if hidden else
                     f"{fr_rate(r.rate)} {fr_rate_interval(r.rate_low, r.rate_high)}",
                     f"Structures par an pour {per} ({level})": SECRET if hidden else
                     f"{fr_rate(r.structures_rate)} {fr_rate_interval(r.structures_rate_low, r.structures_rate_high)}"})
    items: list[Item] = ["**Populations cibles** : chaque programme rapporté à la population qu'il sert, déclarée "
                         "par l'évaluateur (fichier denominators.csv), par an sur les années couvertes."]
    if rows:
        items.append(pd.DataFrame(rows))
    g = d.target_groups
    if len(g) and g["exposure_share"].between(0, 1, inclusive="neither").any():
        items.append(pd.DataFrame({
            "Programme": [PROGRAMME_LABELS.get(p, p) for p in g["programme"]],
            "Espace": [str(x) for x in g["urban_rural"]],
            "Part de la population cible": [fr_percent(x) for x in g["exposure_share"]],
            "Part des accompagnements": [SECRET if s else fr_percent(x) for x, s in zip(g["share"], g["suppressed"],
                                                                                         strict=True)],
            f"Indice de représentation ({level})": [
                SECRET if s else f"{fr_number(i, digits=2)} {fr_ratio_interval(lo, hi)}"
                for i, lo, hi, s in zip(g["index"], g["ci_low"], g["ci_high"], g["suppressed"], strict=True)]}))
    return items + notes


def consistency(pub: Publication) -> str:
    """Which interval the report shows and why, and how the representation index and the count model
    read together (both allow for the variation between communes).
    """
    text = ("**Intervalles** : un accompagnement n'est pas un tirage indépendant (une structure peut être "
            "accompagnée plusieurs fois, et les communes diffèrent au-delà de leur population). Les parts "
            "d'accompagnements par espace et les indices de représentation ont donc un intervalle du jackknife par "
            "commune ; les parts en QPV un intervalle de Wilson corrigé des structures accompagnées plusieurs fois ; "
            "les taux un intervalle tenant compte du nombre d'accompagnements par structure.")
    rep, m = pub.representation.get("urban_rural"), pub.model
    if rep is None or m is None or not m.first.shown or m.table.empty or m.table["term"].iloc[0] != RURAL:
        return text
    r = rep.set_index("urban_rural").loc[RURAL]
    if r["suppressed"] or pd.isna(r["ci_low"]):
        return text
    level, e = ci_label(pub.alpha), m.first
    same = (r["ci_low"] > 1) == (e.low > 1) and (r["ci_high"] < 1) == (e.high < 1)
    reading = ("les deux lectures concordent" if same else
               "les deux lectures divergent : l'écart entre rural et urbain est fragile, à lire avec prudence")
    return (f"{text} L'indice de représentation du rural ({fr_number(r['index'], digits=2)}, {level} "
            f"{fr_ratio_interval(r['ci_low'], r['ci_high'])}) et le rapport de taux rural / urbain du modèle de "
            f"comptage ({fr_number(e.value, digits=2)}, {fr_ratio_interval(e.low, e.high)}) tiennent tous deux compte "
            f"de la variation entre communes : {reading}.")


def _reference_notes(d: ReachDenominators) -> list[str]:
    out = []
    missing = d.notes.get("communes_without_epci", [])
    if missing:
        shown = ", ".join(f"{name} ({code})" for code, name in missing[:10])
        out.append(f"{_plural(len(missing), 'commune')} du territoire sans intercommunalité (EPCI) dans le référentiel "
                   f"communal ({shown}{'…' if len(missing) > 10 else ''}) : elles ne figurent dans aucune ligne par "
                   "EPCI.")
    for siren, name, inside, total in d.notes.get("cut_epcis", []):
        out.append(f"L'EPCI {name} ({siren}) n'est qu'en partie dans le référentiel communal ({fr_number(inside)} "
                   f"communes sur {fr_number(total)}) : les tableaux par EPCI le désignent comme une partie.")
    return out


def reach_denominators(pub: Publication) -> list[Item]:
    """The section « Au regard de qui devrait être atteint » (see the module docstring)."""
    d = pub.denominators
    if d is None or pub.total == 0:  # nothing to relate to a population: the chapter « Limites » says so
        return []
    return ["### Au regard de qui devrait être atteint",
            "Les structures atteintes (chacune une fois) à côté des accompagnements réalisés, chaque quartier "
            "prioritaire rapporté à son poids dans la population, et chaque programme rapporté à la population qu'il "
            "sert.",
            *_units(pub, d), _jobs(pub, d), *_qpv(pub, d), *_targets(pub, d), consistency(pub),
            *_reference_notes(d)]


def _funnel_units(pub: Publication) -> tuple[pd.DataFrame, str, str, str] | None:
    """The rates to draw in a funnel: départements (France, a région), else EPCI (five or more),
    else communes (twenty or more); with their label column and French names.
    """
    if pub.geography == "departement" and "departement" in pub.rates:
        rates = pub.rates["departement"]
        names = rates["departement"].astype(str).map(lambda c: pub.departement_names.get(c, c))
        return rates.assign(unit=names), "unit", "département", "départements"
    epci = pub.rates.get("epci_name")
    if epci is not None and epci["epci_name"].nunique() >= 5:
        return epci.assign(unit=epci["epci_name"].astype(str)), "unit", "EPCI", "EPCI"
    reached = pub.reached
    if pub.geography == "commune" and len(reached) >= 20:
        frame = pd.DataFrame({"unit": reached["commune_name"].astype(str).to_numpy(),
                              "count": reached["count"].to_numpy(dtype=float),
                              "population": reached["population"].fillna(0).to_numpy(dtype=float),
                              "suppressed": reached["suppressed"].to_numpy(dtype=bool)})
        return frame, "unit", "commune", "communes"
    return None


def funnel(pub: Publication) -> list[Item]:
    """A funnel plot of the annual rates of the territory's départements, EPCI or communes
    (:mod:`evaluation.measures.reach.funnel`), instead of a ranking; nothing for a territory of a
    few communes, or when the total or the years covered are not known.
    """
    d, found = pub.denominators, _funnel_units(pub)
    if d is None or found is None or pub.total in (None, 0) or not d.years > 0 or not pub.population:
        return []
    rates, label, one, many = found
    points = funnel_points(rates, label, years=d.years)
    if len(points) < 3:
        return []
    target = pub.total / (pub.population * d.years) * 1e4
    phi = overdispersion(points["count"].to_numpy(), points["exposure"].to_numpy(), target)
    widened = bool(phi > 1.5)
    grid = np.geomspace(max(points["exposure"].min() * 0.8, 1.0), points["exposure"].max() * 1.25, 200)
    limits = funnel_limits(grid, target, phi=phi if widened else 1.0)
    outside = ((points["rate"] < np.interp(points["exposure"], grid, limits["low_0.998"]))
               | (points["rate"] > np.interp(points["exposure"], grid, limits["high_0.998"])))
    figure = figures.funnel_plot(points, limits, target=target, label=label,
                                 title=f"Taux annuel pour 10 000 habitants, par {one}",
                                 xlabel="Population × années couvertes (échelle logarithmique)",
                                 ylabel="Accompagnements par an pour 10 000 hab.", source=pub.source).figure
    hidden = len(rates) - len(points)
    names = ", ".join(points.loc[outside, label].astype(str).tolist()[:8])
    text = (f"Chaque point est {'une' if one == 'commune' else 'un'} {one} : son taux annuel d'accompagnements pour "
            "10 000 habitants selon sa taille "
            f"(population × {_years(d.years)}). Entre les courbes, l'écart au taux du territoire "
            f"({fr_rate(target)}) s'explique par le hasard ; au-delà des courbes à 99,8 %, il est net. Ce graphique "
            f"remplace un classement des {many}, qui placerait les plus petits aux deux extrémités par le seul hasard "
            "(Spiegelhalter 2005). "
            + (f"Limites élargies pour la surdispersion des taux (φ = {fr_number(phi, digits=1)}). " if widened else "")
            + (f"Hors des limites à 99,8 % : {names}." if outside.any() else "Aucun point hors des limites à 99,8 %.")
            + (f" {hidden} {one if hidden == 1 else many} dont l'effectif relève du secret statistique ou sans "
               "population ne sont pas placés." if hidden else ""))
    return [figure, text]


"""The report's reach chapter, one builder per notebook cell (see :mod:`evaluation.report.sections`)."""

from __future__ import annotations

import math

from evaluation.geo.reference import RURAL
from evaluation.report import figures
from evaluation.report.published import Estimate, Publication
from evaluation.report.sections.base import Item, _plural, _secret, activity_period, coarsening_notes
from evaluation.report.sections.scope import meaningful_trends, shows
from evaluation.report.tables import (
    GROUP_LABELS,
    SECRET_TEXT,
    ci_label,
    fr_interval,
    fr_not_estimable,
    fr_number,
    fr_p,
    fr_percent,
    model_table,
    rates_table,
    representation_table,
    shares_table,
)

__all__ = ["reach_reading", "density", "urban_rural", "rates", "qpv", "trends", "communes_reached", "distance",
           "count_model", "venue", "NOTHING"]

#: Opens every sentence of a section that has nothing to test, measure or draw (no accompaniment).
NOTHING = "Aucun accompagnement sur la période"


def _nothing(pub: Publication) -> bool:
    """Whether the territory has no accompaniment at all (a published zero, not a withheld count)."""
    return pub.total == 0


def _place(pub: Publication) -> str:
    """Where an accompaniment at 0 km is: in the commune of a support site (distances are
    measured between commune centres, so 0 km means that commune, not that address).
    """
    return "dans la commune même du lieu" if len(pub.sites) <= 1 else "dans la commune même de l'un des lieux"


def _within_km(km: float) -> str:
    """« à moins de 5,0 km », rounded up so that a short positive distance never reads « 0,0 km »."""
    return f"à moins de {fr_number(max(km, 0.1) if km > 0 else km, digits=1)} km"


def _spread(median_km: float, p80_km: float, *, what: str, place: str) -> str:
    """The median and the 80 % radius of distances in words, saying « dans la commune même du
    lieu » rather than « 0,0 km »: ``what`` names the units (« des accompagnements », or empty).
    """
    if p80_km == 0:
        return f"au moins 80 %{what} {place}"
    if median_km == 0:
        return f"au moins la moitié{what} {place}, 80 % {_within_km(p80_km)}"
    return f"médiane {fr_number(median_km, digits=1)} km, 80 %{what} {_within_km(p80_km)}"


def _model_sentence(pub: Publication) -> str:
    m = pub.model
    if m is None:
        return ""
    if m.first.withheld:
        return ("Le modèle de comptage n'est pas publié : ses rapports de taux permettraient de retrouver des "
                "effectifs qui relèvent du secret statistique.")
    if not m.first.estimable:
        return f"Modèle de comptage par commune ({_plural(m.units, 'commune')}) : {fr_not_estimable(m.first.reason)}."
    e, ref, term = m.first, m.reference_level, m.table["term"].iloc[0]
    group = "les communes rurales" if term == RURAL else f"les communes « {term} »"
    ref = "communes urbaines" if ref == "urbain" else f"communes « {ref} »"
    if e.low > 1:
        verdict = f"reçoivent {fr_number(e.value, digits=1)} fois plus d'accompagnements que les {ref}"
    elif e.high < 1:
        verdict = f"reçoivent moins d'accompagnements que les {ref}"
    else:
        verdict = f"ne se distinguent pas nettement des {ref}, l'intervalle de confiance contenant 1"
    how = ("modèle binomial négatif, car les comptes sont plus dispersés qu'un modèle de Poisson ne le prévoit"
           if m.family == "negative binomial" else "modèle de Poisson")
    return (f"À population égale, {group} {verdict} (rapport de taux {fr_number(e.value, digits=2)}, "
            f"{ci_label(pub.alpha)} {fr_number(e.low, digits=2)} à {fr_number(e.high, digits=2)} ; {how} ; "
            f"{fr_number(m.units)} communes).")


#: The heading of the annex's detailed reading of reach.
READING = "### Portée : lecture détaillée"


def reach_reading(pub: Publication) -> str:
    """The detailed French reading of the reach results (technical annex), under ``READING``."""
    return f"{READING}\n\n{_reading(pub)}"


def _reading(pub: Publication) -> str:
    if pub.total == 0 or pub.years is None:
        return "Aucun accompagnement n'est enregistré dans ce territoire : la portée ne peut pas être mesurée."
    level = ci_label(pub.alpha)
    count = f"**{fr_number(pub.total)} accompagnements**" if pub.total is not None else "les accompagnements"
    when = f"En {pub.years[0]}" if pub.years[0] == pub.years[1] else f"De {pub.years[0]} à {pub.years[1]}"
    out = [f"{when}, {count} concernent des structures du territoire."]
    rep = pub.representation["urban_rural"].set_index("urban_rural")
    if rep["population"].gt(0).all():
        r = rep.loc[RURAL]
        if r["suppressed"]:
            out.append(_secret("Le nombre d'accompagnements en commune rurale", pub))
        else:
            out.append(
                f"{fr_percent(r['share'])} d'entre eux sont en commune rurale, où vit "
                f"{fr_percent(r['population_share'])} de la population : indice de représentation "
                f"{fr_number(r['index'], digits=2)} ({level} {fr_number(r['ci_low'], digits=2)} à "
                f"{fr_number(r['ci_high'], digits=2)} ; 1 = autant que le poids de la population).")
    else:
        only = "rurales" if rep.loc[RURAL, "population"] > 0 else "urbaines"
        out.append(f"Toutes les communes du territoire sont {only} au sens de la grille de densité de l'INSEE.")
    q = pub.qpv.set_index("qpv").iloc[0]
    if q["suppressed"]:
        out.append(_secret("Le nombre d'accompagnements de structures situées en quartier prioritaire (QPV)", pub))
    else:
        out.append(f"{fr_percent(q['share'])} concernent une structure située en quartier prioritaire (QPV), "
                   f"{level} {fr_interval(q['ci_low'], q['ci_high'])}.")
    cov = pub.coverage
    if cov.communes > 1:
        out.append(f"L'action touche {fr_number(cov.communes_reached)} des {fr_number(cov.communes)} communes, qui regroupent "
                   f"{fr_percent(cov.share_population)} de la population du territoire.")
    dist = pub.distance
    if dist and cov.communes > 1 and pub.total is not None:  # a withheld total: its few distances neither
        where = "dans une commune où se trouve un lieu d'accompagnement"
        if dist.p80_km == 0:
            out.append(f"Au moins 80 % des accompagnements se situent {where}.")
        else:
            half = (f"{_within_km(dist.median_km)} d'un lieu d'accompagnement" if dist.median_km > 0 else
                    where)
            out.append(f"La moitié des accompagnements se situent {half}, 80 % {_within_km(dist.p80_km)}.")
    if shows(pub, "count_model"):
        out.append(_model_sentence(pub))
    test = pub.trend_tests.get("rural")
    if test is not None and test.shown:
        trend = ("augmente" if test.value > 0 else "diminue") if test.p_value < pub.alpha else None
        out.append(f"La part rurale {trend} d'une année sur l'autre (test de tendance, {fr_p(test.p_value)})."
                   if trend else "La part rurale ne montre pas de tendance nette d'une année sur l'autre "
                   f"(test de tendance, {fr_p(test.p_value)}).")
    return " ".join(s for s in out if s)


def density(pub: Publication) -> list[Item]:
    """Representation by density level: table (the levels the territory has), goodness-of-fit
    test, bar chart; nothing when every commune has the same level.
    """
    if not shows(pub, "density") or _nothing(pub):
        return []
    rep = pub.representation["density_label"]
    lived = rep["population"].to_numpy() > 0
    items: list[Item] = [
        "### Par niveau de densité",
        "L'**indice de représentation** rapporte la part des accompagnements à la part de la population : 1 signifie que "
        "le groupe est accompagné à proportion de son poids démographique. La colonne « attendu » donne le nombre "
        "d'accompagnements si ceux-ci suivaient exactement la population. Niveaux de la grille communale de densité "
        "de l'INSEE présents dans le territoire.",
        representation_table(rep[lived], "density_label", label=GROUP_LABELS["density_label"], alpha=pub.alpha),
        *coarsening_notes(pub, "density_label")]
    fit = pub.fit.get("density_label")
    if fit is None:
        items.append("Le test d'ajustement à la distribution de la population n'est pas publié : il permettrait de "
                     "retrouver des effectifs qui relèvent du secret statistique.")
    elif fit.groups >= 2 and not math.isfinite(fit.statistic):
        items.append("Le test d'ajustement à la distribution de la population n'est pas estimable sur ces données.")
    elif fit.groups >= 2:
        simulated = (f" ; effectifs attendus faibles, {fr_p(fit.p_value_simulated)} (simulé)"
                     if fit.p_value_simulated is not None else "")
        items.append(f"Test d'ajustement du χ² à la distribution de la population : χ² = "
                     f"{fr_number(fit.statistic, digits=1)}, {fit.dof} ddl, {fr_p(fit.p_value)}{simulated}.")
    if pub.density_shares["share"].notna().any():  # else every bar is withheld: the table says so
        items.append(figures.bar_shares(pub.density_shares[lived], "density_label",
                                      title="Accompagnements par niveau de densité de la commune",
                                      ylabel="", source=pub.source, alpha=pub.alpha).figure)
    return items


def urban_rural(pub: Publication) -> list[Item]:
    """Representation urban/rural and the rural share of each programme; nothing when the whole
    territory is urban (or rural).
    """
    if not shows(pub, "urban_rural") or _nothing(pub):
        return []
    table = representation_table(pub.representation["urban_rural"], "urban_rural", label=GROUP_LABELS["urban_rural"],
                                 alpha=pub.alpha)
    if pub.rural_by_programme.empty:
        return ["### Urbain et rural", table]
    return ["### Urbain et rural", table, "**Part du rural dans chaque programme**",
            shares_table(pub.rural_by_programme, "programme", label=GROUP_LABELS["programme"], alpha=pub.alpha),
            *coarsening_notes(pub, "programme")]


def rates(pub: Publication) -> list[Item]:
    """Rates per 10,000 inhabitants by space, density level and (when several) EPCI, for the
    groups the territory has (a group without inhabitants has no rate); nothing when it has one
    group of each.
    """
    if _nothing(pub):
        return []
    epci = pub.rates.get("epci_name")  # none for France or a région (the areas are its départements)
    groups = ([g for g, key in (("urban_rural", "urban_rural"), ("density_label", "density")) if shows(pub, key)]
              + (["epci_name"] if epci is not None and epci["epci_name"].nunique() > 1 else []))
    tables = [rates_table(pub.rates[g][pub.rates[g]["population"] > 0], g, label=GROUP_LABELS[g], alpha=pub.alpha)
              for g in groups]
    if not tables:
        return []
    annual = ["Taux par an sur les années couvertes par les exports, le nombre cumulé d'accompagnements à côté ; "
              "intervalle tenant compte des structures accompagnées plusieurs fois (Fay et Feuer)."
              ] if "annual" in pub.rates["urban_rural"] else []
    notes = coarsening_notes(pub, *(g for g in groups if g != "density_label"))
    return ["### Taux pour 10 000 habitants", *tables, *notes, *annual]


def qpv(pub: Publication) -> list[Item]:
    """Accompaniments in and out of priority neighbourhoods (nothing when the territory has none)."""
    if not shows(pub, "qpv") or _nothing(pub):
        return []
    return ["### Quartiers prioritaires de la politique de la ville",
            shares_table(pub.qpv, "qpv", label=GROUP_LABELS["qpv"], alpha=pub.alpha)]


def _trend_sentence(test: Estimate, what: str) -> str:
    head = f"Tendance de la part des accompagnements {what}"
    if test.withheld:
        return f"{head} : le test n'est pas publié, faute d'au moins deux années publiables."
    if not test.estimable:
        return f"{head} : {fr_not_estimable(test.reason)}."
    return f"{head} (test d'association linéaire) : z = {fr_number(test.value, digits=2)}, {fr_p(test.p_value)}."


def trends(pub: Publication) -> list[Item]:
    """Yearly rural and QPV shares with their intervals, and the trend tests."""
    if _nothing(pub) or all(t.empty for t in pub.trends.values()) or not shows(pub, "trends"):
        return []
    items: list[Item] = ["### Évolution d'une année sur l'autre"]
    kept = meaningful_trends(pub)  # a share fixed by definition (an all-urban territory's rural share) has no trend
    for key, what in (("rural", "en commune rurale"), ("qpv", "en quartier prioritaire")):
        if key not in kept:
            continue
        per_year = pub.trends[key]
        if per_year["total"].sum() == 0 or per_year["count"].eq(0).all():
            items.append(f"Aucun accompagnement {what} sur la période.")
            continue
        years = per_year[per_year["total"] > 0]
        shown = years[years["share"].notna()]  # withheld years have no share
        head = f"Part des accompagnements {what}, par année"
        if len(years) == 1:
            y = years.iloc[0]
            share = (f" : {fr_percent(y['share'])}, {ci_label(pub.alpha)} {fr_interval(y['ci_low'], y['ci_high'])}"
                     if len(shown) else f", dont la part {SECRET_TEXT}")
            items.append(f"{head} : une seule année de données ({int(y['year'])}{share}) ; pas d'évolution à "
                         "représenter, pas de test de tendance (il faut au moins deux années).")
            continue
        if len(shown) < 2:
            only = (f"seule l'année {int(shown.iloc[0]['year'])} est publiable ({fr_percent(shown.iloc[0]['share'])}, "
                    f"{ci_label(pub.alpha)} {fr_interval(shown.iloc[0]['ci_low'], shown.iloc[0]['ci_high'])}), les "
                    f"autres relèvent du secret statistique" if len(shown) else
                    f"la part de chaque année {SECRET_TEXT} (effectifs de 1 à {pub.threshold - 1} non publiés, ou qui "
                    "permettraient de les retrouver)")
            items.append(f"{head} : {only} ; pas de graphique ni de test de tendance (il faut au moins deux années "
                         "publiables).")
            continue
        items.append(figures.interval_plot(per_year, x="period" if "period" in per_year else "year", y="share",
                                         percent=True, title=head,
                                         xlabel="Année de début", ylabel=f"Part ({ci_label(pub.alpha)})",
                                         source=pub.source).figure)
        items.append(_trend_sentence(pub.trend_tests[key], what))
        items += coarsening_notes(pub, f"trend:{key}")
    return items


HEAD_COMMUNES = "### Communes atteintes"


def communes_reached(pub: Publication) -> list[Item]:
    """Map of the communes reached, coverage, concentration (Lorenz curve and Gini); for France
    or a région, the map by département (metropolitan France; overseas in the table).
    """
    t, cov = pub.territory, pub.coverage
    if not shows(pub, "communes") or _nothing(pub):
        return []
    if pub.geography == "departement":
        overseas = pub.reached["departement"].astype(str).str.startswith("97").to_numpy()
        note = (f" ; {int(overseas.sum())} département(s) d'outre-mer : voir le tableau par département"
                if overseas.any() else "")
        return [HEAD_COMMUNES, figures.map_communes(pub.reached[~overseas], column="rate_10k", legend="Pour 10 000 habitants",
                                     title=f"Accompagnements pour 10 000 habitants, par département — {t.label}",
                                     source=pub.source + note).figure,
                f"{fr_number(cov.communes_reached)} commune(s) atteinte(s) sur {fr_number(cov.communes)} "
                f"({fr_percent(cov.share_communes)}), regroupant {fr_percent(cov.share_population)} de la "
                "population du territoire. Le territoire couvre plusieurs départements entiers : ses résultats sont "
                "présentés par département, et aucun effectif de commune n'est publié (ni carte, ni courbe de "
                "concentration entre communes)."]
    items: list[Item] = [
        HEAD_COMMUNES,
        figures.map_communes(pub.reached, context=pub.context_communes, column="rate_10k",
                           legend="Pour 10 000 habitants", title=f"Accompagnements pour 10 000 habitants — {t.label}",
                           source=pub.source).figure,
        f"{fr_number(cov.communes_reached)} commune(s) atteinte(s) sur {fr_number(cov.communes)} "
        f"({fr_percent(cov.share_communes)}), "
        f"regroupant {fr_percent(cov.share_population)} de la population du territoire.",
        *coarsening_notes(pub, "communes")]
    if cov.communes > 1 and pub.lorenz is None:
        items.append("La courbe de concentration entre communes et l'indice de Gini ne sont pas publiés : "
                     "ils redonneraient les effectifs de communes qui relèvent du secret statistique.")
    elif cov.communes > 1:
        items.append(figures.lorenz_plot(pub.lorenz, gini_value=pub.gini_population,
                                       title="Concentration des accompagnements entre communes",
                                       xlabel="Part cumulée de la population (communes classées par taux croissant)",
                                       source=pub.source).figure)
        items.append(f"Indice de Gini entre communes : {fr_number(pub.gini, digits=2)} (pondéré par la population : "
                     f"{fr_number(pub.gini_population, digits=2)}).")
    return items


def distance(pub: Publication) -> list[Item]:
    """Distances to the support sites and the rate by distance band (nothing when the territory
    is one commune, has no declared site or is published by département: listed in its gaps).
    """
    d = pub.distance
    if not shows(pub, "distance") or not d or _nothing(pub):
        return []
    head = "### Distance aux lieux d'accompagnement"
    place, sites = _place(pub), f"Lieux retenus : {', '.join(pub.sites)} (centre de la commune)."
    population = (f"population du territoire : "
                  f"{_spread(d.population_median_km, d.population_p80_km, what='', place=place)}")
    if pub.total is None:  # one to a few accompaniments: their median would place them
        return [head, f"{sites} " + _secret("Le nombre d'accompagnements", pub)[:-1] + " : leurs distances aux lieux "
                f"d'accompagnement ne sont pas publiées ({population})."]
    return [head, f"{sites} Distance à vol d'oiseau au lieu le plus proche : {_spread(d.median_km, d.p80_km, what=' des accompagnements', place=place)} (population : "
            f"{_spread(d.population_median_km, d.population_p80_km, what='', place=place)}).", *_decay(pub)]


def _decay(pub: Publication) -> list[Item]:
    """The rate by distance band, drawn when at least one band is shown (an empty plot says nothing)."""
    if not len(pub.decay) or not pub.decay["rate"].notna().any():
        secret = "suppressed" in pub.decay and bool(pub.decay["suppressed"].astype(bool).any())
        return ["Les taux par tranche de distance relèvent du secret statistique : pas de graphique."] if secret else []
    return [figures.interval_plot(pub.decay, x="band", title="Accompagnements pour 10 000 habitants selon la distance",
                                  xlabel="Distance au lieu d'accompagnement le plus proche",
                                  ylabel=f"Pour 10 000 habitants ({ci_label(pub.alpha)})", source=pub.source).figure,
            *coarsening_notes(pub, "band")]


def count_model(pub: Publication) -> list[Item]:
    """The count model per commune: reading, rate ratios, over-dispersion (nothing when it is not
    published: listed in the report's gaps with why).
    """
    if _nothing(pub) or not shows(pub, "count_model") or pub.communes <= 1:
        return []
    m = pub.model
    items: list[Item] = [
        "### Modèle de comptage par commune",
        "Nombre d'accompagnements par commune, rapporté à la population (décalage logarithmique), selon l'espace "
        "urbain ou rural (ou, si le territoire est tout rural ou tout urbain, selon le niveau de densité). Un rapport "
        "de taux de 2 signifie deux fois plus d'accompagnements par habitant que dans le groupe de référence.",
        _model_sentence(pub)]
    if m is not None and len(m.table):
        items.append(model_table(m.table.rename(columns={"ratio": "rate_ratio"}), reference_level=m.reference_level,
                                 alpha=pub.alpha))
        items.append(f"Surdispersion (χ² de Pearson / ddl du modèle de Poisson) : {fr_number(m.dispersion, digits=2)}.")
    return items


def venue(pub: Publication) -> list[Item]:
    """Attendance of the tiers-lieu in detail (annex): origins, first visits and returns, monthly
    activity; nothing without one (listed in the report's gaps with why).
    """
    v = pub.venue
    if v is None:
        return []
    r = v.returning
    back = (f"dont {fr_percent(r.value)} sont revenus au moins une fois ({ci_label(pub.alpha)} "
            f"{fr_interval(r.low, r.high)})" if r.shown else
            f"le nombre de ceux qui sont revenus n'est pas publié : lui ou celui des autres compte moins de "
            f"{pub.threshold} acteurs (secret statistique)" if r.withheld else
            "la part de ceux qui sont revenus n'est pas estimable")
    who = (f"{v.participants} acteurs différents y ont participé, {back}" if v.participants is not None else
           f"le nombre d'acteurs différents qui y ont participé {SECRET_TEXT}")
    return [f"### {v.label} : détail", f"{v.events} événements depuis le {pub.territory.split_date:%d/%m/%Y} ; {who}.",
            shares_table(v.origins, "origin", label=GROUP_LABELS["origin"], alpha=pub.alpha),
            shares_table(v.participations, "visit", label=GROUP_LABELS["visit"], alpha=pub.alpha),
            figures.monthly_plot(v.monthly, title=f"Activité {activity_period(v.monthly)} — {v.label}",
                                 source=pub.source).figure
            if len(v.monthly) and not v.monthly["suppressed"].all() else
            f"L'activité {activity_period(v.monthly)} du tiers-lieu {SECRET_TEXT} : pas de graphique.",
            *coarsening_notes(pub, "origin", "monthly")]

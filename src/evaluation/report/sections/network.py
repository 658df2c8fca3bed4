"""The report's networking-effects chapter, one builder per notebook cell (see :mod:`evaluation.report.sections`)."""

from __future__ import annotations

import pandas as pd

from evaluation.report import figures
from evaluation.report.published import Estimate, Publication
from evaluation.report.sections.base import Item, _plural
from evaluation.report.sections.network_annex import network_annex
from evaluation.report.tables import (
    EFFECT_MODELS,
    EFFECT_REASONS,
    NETWORK_LABELS,
    SECRET,
    SECRET_TEXT,
    ci_label,
    fr_not_estimable,
    fr_number,
    fr_p,
    fr_percent,
    fr_pvalue,
    fr_ratio_interval,
    period_label,
    secret_reason,
)

__all__ = ["network_effect", "network_reading", "network_details"]


#: The network description's measures: French label and decimals (``None``: a percentage).
_DESCRIPTION_ROWS = {
    "actors": ("Acteurs", 0), "ties": ("Liens", 0), "density": ("Densité", 3), "mean_degree": ("Degré moyen", 2),
    "clustering": ("Coefficient de regroupement", 2), "components": ("Composantes", 0),
    "largest_component_share": ("Part dans la plus grande composante", None),
    "centralisation": ("Centralisation des degrés", 2), "modularity": ("Modularité (Louvain)", 2),
    "two_step_reach": ("Portée à deux pas (part moyenne)", None), "ei_kind": ("Indice E-I par type d'acteur", 2),
    "ei_urban_rural": ("Indice E-I urbain/rural", 2), "ei_qpv": ("Indice E-I QPV/hors QPV", 2),
    "bridging_urban_rural": ("Liens urbain–rural", None), "bridging_qpv": ("Liens QPV–hors QPV", None),
}


def network_description_table(description: pd.DataFrame) -> pd.DataFrame:
    """One column per (network, period), one row per measure, French labels."""
    cols = {}
    for row in description.itertuples(index=False):
        values = row._asdict()
        network = NETWORK_LABELS.get(values["network"], values["network"])
        cols[f"{network.capitalize()} — {period_label(values['period'])}"] = [
            (fr_percent(values[k]) if digits is None else fr_number(values[k], digits=digits))
            for k, (_, digits) in _DESCRIPTION_ROWS.items()]
    return pd.DataFrame(cols, index=[label for label, _ in _DESCRIPTION_ROWS.values()]).rename_axis("Mesure")


def odds_table(table: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Odds ratios of the dyad model (from ``dyad_model``)."""
    labels = {"copresence": "Événements partagés avant (par événement)", "same_kind": "Même type d'acteur",
              "same_sector": "Même secteur", "same_commune": "Même commune", "both_qpv": "Tous deux en QPV",
              "urban_rural_pair": "Paire urbain–rural", "distance_km": "Distance (par 10 km)"}
    return pd.DataFrame({
        "Variable": [labels.get(t, t) for t in table["term"]],
        "Rapport de cotes": [fr_number(v, digits=2) for v in table["odds_ratio"]],
        ci_label(alpha): [fr_ratio_interval(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=False)],
        "p": [fr_pvalue(v) for v in table["p_value"]],
    })



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
    the total of the two groups' new ties and one published group would give the other back.
    """
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


#: Headings of the network's sections of the technical annex.
HEAD_EFFECT, HEAD_CRUDE = "### Réseaux : estimation ajustée", "### Réseaux : comparaisons brutes"


def network_effect(pub: Publication) -> str:
    """The adjusted networking effect in detail (technical annex, under ``HEAD_EFFECT``): the
    estimate at equal propensity of the actors to form ties (or that the data cannot separate
    meeting from activity), the model and why, the falsification test, the E-value and the
    QAP stratified by activity. The dose, the tiers-lieu's own part and bridging are said in the
    body (:func:`evaluation.report.sections.overview.network_overview`) and detailed in
    :mod:`evaluation.report.sections.network_annex`. Empty without network data.
    """
    net = pub.network
    if net is None or net.effect is None:
        return ""
    return f"{HEAD_EFFECT}\n\n{_effect_text(pub)}"


def _effect_text(pub: Publication) -> str:
    net = pub.network
    pe, e = net.effect, net.effect.effect
    split = f"{pub.territory.split_date:%d/%m/%Y}"
    if e.withheld:
        return ("**Effet des rencontres à propension des acteurs égale** : l'estimation n'est pas publiée, les "
                f"effectifs de nouvelles collaborations sur lesquels elle repose relevant du secret statistique "
                f"({secret_reason(pub.threshold)}). Les comparaisons ci-dessous sont brutes.")
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
    """The crude comparisons of the networking effects (technical annex, under ``HEAD_CRUDE``):
    whether co-presence became collaboration, before any adjustment. Empty without network
    data (the report's gaps say why).
    """
    net = pub.network
    if net is None:
        return ""
    return f"{HEAD_CRUDE}\n\n{_crude_text(pub)}"


def _crude_text(pub: Publication) -> str:
    net = pub.network
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
                       f"{SECRET_TEXT} ({secret_reason(pub.threshold)}).")
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
            "l'estimation ajustée (section précédente) est celle à retenir." if net.effect.effect.shown else
            "elles ne séparent pas l'effet des rencontres de celui de l'activité des acteurs."))
    return " ".join(out)


def network_details(pub: Publication) -> list[Item]:
    """Drawing, description, tie change, conversion table, dyad model, brokers, exported files."""
    net = pub.network
    if net is None:
        return []
    ch = net.change
    items: list[Item] = [
        figures.network_drawing({p.capitalize(): g for p, g in net.graphs.items()}, roles=net.roles,
                              title="Réseau de collaboration avant et après", source=pub.source),
        "### Description des réseaux",
        "**Mesures des réseaux de co-présence et de collaboration, avant et après**",
        network_description_table(net.description),
        "### Évolution des liens de collaboration",
        "**Liens de collaboration avant et après, et acteurs arrivés ou partis**",
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
        "Nouvelles collaborations après": [SECRET if h else fr_number(v) for v, h in zip(conv["count"], hidden, strict=False)],
        "Taux": [SECRET if h else fr_percent(v, digits=2) for v, h in zip(conv["rate"], hidden, strict=False)]}))
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
        items += ["### Rôle d'intermédiaire des structures d'appui",
                  "**Liens et position dans le réseau des structures d'appui, avant et après**", pd.DataFrame({
            "Période": b["period"], "Structure": b["role"], "Liens": [fr_number(v) for v in b["degree"]],
            "Intermédiarité": [fr_number(v, digits=3) for v in b["betweenness"]],
            "Contrainte (Burt)": [fr_number(v, digits=2) for v in b["constraint"]],
            "Taille effective": [fr_number(v, digits=1) for v in b["effective_size"]]})]
    items.append("Les réseaux sont exportés (CSV des liens et des acteurs, GraphML) dans le dossier `reseau/` du "
                 "rapport, pour Gephi, igraph ou RSiena." if net.exports else
                 "Les réseaux ne sont pas exportés : leurs liens permettraient de retrouver des effectifs "
                 "qui relèvent du secret statistique.")
    return items + network_annex(pub)

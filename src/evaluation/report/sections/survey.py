"""The chapter « Qualité des relations »: the partner survey, when the territory has one.

:func:`relations` is the body: two plain sentences and one picture (trust and value at each wave).
:func:`relations_annex` is what a statistician reads: every score with its interval, the rules for
ties reported by one side and their bounds, who answered, the change between waves, attendees
against non-attendees with the selection caveat, the agreement with the declared
collaborations and the method. Both show nothing without survey data. They read the protected
:class:`~evaluation.report.survey.SurveyPublication` alone (``pub.survey``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.measures.survey.waves import GROUP_SCORES
from evaluation.report.published import Publication
from evaluation.report.sections.base import Item, _plural
from evaluation.report.survey import (
    RULE_LABELS,
    SCORE_LABELS,
    VARIABLE_LABELS,
    PublishedWave,
    SurveyPublication,
    fr_month,
    survey_figure,
)
from evaluation.report.tables import (
    SECRET,
    ci_label,
    confidence,
    fr_label,
    fr_number,
    fr_p,
    fr_percent,
    secret_reason,
)

__all__ = ["relations", "relations_annex", "survey_method", "bias_sentence"]

_PERCENT_SCORES = {s for s in SCORE_LABELS if s.startswith("density") or s == "reciprocity"}
_CATEGORY = {"True": "oui", "False": "non"}


def _value(score: str, v: float) -> str:
    return fr_percent(v, digits=1) if score in _PERCENT_SCORES else fr_number(v, digits=2)


def _with_interval(score: str, value: float, low: float, high: float, alpha: float) -> str:
    if np.isnan(value):
        return "–"
    bounds = "" if np.isnan(low) else f" ({ci_label(alpha)} {_value(score, low)} à {_value(score, high)})"
    return _value(score, value) + bounds


def _change(score: str, value: float, low: float, high: float, *, alpha: float | None = None) -> str:
    """A change with its interval: ``+0,38 point (de 0,32 à 0,44)``, or ``(IC 95 % 0,32 à 0,44)`` given ``alpha``."""
    if np.isnan(value):
        return SECRET
    sign = "+" if value > 0 else ""
    unit = " point" if score not in _PERCENT_SCORES else ""
    fmt = (lambda v: fr_percent(v, digits=1)) if score in _PERCENT_SCORES else (lambda v: fr_number(v, digits=2))
    said = f"{ci_label(alpha)} " if alpha is not None else "de "
    bounds = "" if np.isnan(low) else f" ({said}{fmt(low)} à {fmt(high)})"
    return f"{sign}{fmt(value)}{unit}{bounds}"


def bias_sentence(wave: PublishedWave) -> str:
    """« biais possible » and on what, when respondents differ from non-respondents; else empty."""
    if not wave.possible_bias:
        return ""
    what = " et ".join(VARIABLE_LABELS[v].lower() for v in wave.possible_bias)
    return (f"les structures qui ont répondu ne ressemblent pas à celles qui n'ont pas répondu ({what}) : "
            "biais possible")


def _respondents(wave: PublishedWave, threshold: int) -> str:
    if wave.respondents is None:
        return f"moins de {threshold} structures sur {fr_number(wave.listed)} ont répondu"
    return f"{fr_number(wave.respondents)} structures sur {fr_number(wave.listed)} ont répondu"


def relations(pub: Publication) -> list[Item]:
    """The body of « Qualité des relations »: two plain sentences and the picture of trust and value."""
    s: SurveyPublication | None = pub.survey
    if s is None:
        return []
    w = s.last
    head = "## Qualité des relations"
    if w.withheld:
        return [f"{head}\n\nL'enquête auprès des partenaires {fr_month(w.date, of=True)} a reçu trop peu de réponses pour "
                f"être publiée : {_respondents(w, s.threshold)} ({secret_reason(s.threshold)})."]
    trust, value = w.score("trust"), w.score("value")
    first = (f"D'après l'enquête auprès des partenaires {fr_month(w.date, of=True)} ({_respondents(w, s.threshold)}), la "
             f"confiance entre structures est notée {fr_number(trust.value, digits=1)} sur 4 en moyenne et ce que "
             f"les partenaires apportent {fr_number(value.value, digits=1)} sur 4.")
    c = s.change
    bias = bias_sentence(w)
    if c is not None and not c.withheld:
        row = c.changes.set_index("score").loc["trust"]
        moved = ("a progressé" if row["low"] > 0 else "a baissé" if row["high"] < 0 else "n'a pas nettement changé")
        second = (f"Depuis {fr_month(c.first_date)}, la confiance {moved} : "
                  f"{_change('trust', row['change'], row['low'], row['high'])}"
                  + (f" ; {bias}." if bias else "."))
    else:
        second = (bias[:1].upper() + bias[1:] + "." if bias else
                  "Les structures qui ont répondu ressemblent, sur ce qu'on sait d'elles, à celles qui n'ont pas "
                  "répondu.")
    return [f"{head}\n\n{first} {second}", survey_figure(s, source=pub.source)]


def _scores_table(s: SurveyPublication) -> pd.DataFrame:
    rows = {"Structures de la liste": [fr_number(w.listed) for w in s.waves],
            "Structures répondantes": [fr_number(w.respondents) if w.respondents is not None else
                                       f"moins de {s.threshold}" for w in s.waves],
            "Taux de réponse": [SECRET if w.rate.withheld else
                                f"{fr_percent(w.rate.value)} ({ci_label(s.alpha)} {fr_percent(w.rate.low)} à "
                                f"{fr_percent(w.rate.high)})" for w in s.waves]}
    for score, label in SCORE_LABELS.items():
        rows[label] = [SECRET if w.withheld else _with_interval(score, *w.scores.set_index("score").loc[
            score, ["value", "low", "high"]], s.alpha) for w in s.waves]
    columns = [f"{w.wave} ({w.date:%d/%m/%Y})" for w in s.waves]
    return pd.DataFrame(rows, index=columns).T.rename_axis("Mesure").reset_index()


def _densities_table(w: PublishedWave, alpha: float) -> pd.DataFrame:
    d = w.densities
    return pd.DataFrame({
        "Règle": [RULE_LABELS[r] for r in d["rule"]],
        "Densité (paires jugées)": [SECRET if w.withheld else _with_interval("density_awareness", v, lo, hi, alpha)
                                    for v, lo, hi in zip(d["value"], d["low"], d["high"], strict=True)],
        "Bornes sur toutes les paires": [SECRET if w.withheld else f"{fr_percent(lo)} à {fr_percent(hi)}"
                                         for lo, hi in zip(d["bound_low"], d["bound_high"], strict=True)]})


def _comparison_table(w: PublishedWave) -> pd.DataFrame:
    c = w.comparison
    hidden = c["suppressed"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "Caractéristique": [VARIABLE_LABELS[v] for v in c["variable"]],
        "Catégorie": [fr_label(_CATEGORY.get(str(v), v)) for v in c["category"]],
        "Structures de la liste": [fr_number(v) for v in c["actors"]],
        "Répondantes": [SECRET if h else fr_number(v) for v, h in zip(c["respondents"], hidden, strict=True)],
        "Taux de réponse": [SECRET if h else fr_percent(v) for v, h in zip(c["rate"], hidden, strict=True)]})


def _tests_text(w: PublishedWave, alpha: float) -> str:
    if w.tests.empty:
        return "Aucune comparaison n'est possible (une seule catégorie, ou tous ont répondu)."
    method = {"fisher": "test exact de Fisher", "permutation_chi2": "test du khi-deux par permutation"}
    parts = [f"{VARIABLE_LABELS[t.variable].lower()} : {method[t.method]}, {fr_p(t.p_value)}"
             for t in w.tests.itertuples()]
    verdict = (f"**{bias_sentence(w)[:1].upper()}{bias_sentence(w)[1:]}** : les scores décrivent surtout les "
               "structures qui ont répondu." if w.possible_bias else
               f"Aucune différence nette au seuil de {fr_number(100 * alpha)} % entre répondants et non-répondants.")
    return "Répondants et non-répondants comparés — " + " ; ".join(parts) + ". " + verdict


def _change_tables(s: SurveyPublication) -> list[Item]:
    c = s.change
    if c is None:
        return []
    head = f"{c.first} ({c.first_date:%d/%m/%Y})", f"{c.second} ({c.second_date:%d/%m/%Y})"
    ch = c.changes
    items: list[Item] = [f"### Évolution de {c.first} à {c.second}", pd.DataFrame({
        "Mesure": [SCORE_LABELS[v] for v in ch["score"]],
        head[0]: [SECRET if c.withheld else _value(sc, v) for sc, v in zip(ch["score"], ch["first"], strict=True)],
        head[1]: [SECRET if c.withheld else _value(sc, v) for sc, v in zip(ch["score"], ch["second"], strict=True)],
        f"Évolution ({ci_label(s.alpha)})": [_change(sc, v, lo, hi) for sc, v, lo, hi in
                                             zip(ch["score"], ch["change"], ch["low"], ch["high"], strict=True)]}),
        f"{_plural(c.panel, 'structure')} ont répondu aux deux vagues ; les intervalles rééchantillonnent les "
        "structures avec leurs réponses des deux vagues."]
    g = c.groups
    if g.empty:
        return items
    rows = []
    for score in GROUP_SCORES:
        came, other = (g[(g["score"] == score) & (g["attended"] == flag)].iloc[0] for flag in (True, False))
        diff = c.difference.set_index("score").loc[score]
        rows.append({"Mesure": SCORE_LABELS[score],
                     "Venues aux rencontres": _change(score, came["change"], came["low"], came["high"]),
                     "Pas venues": _change(score, other["change"], other["low"], other["high"]),
                     "Écart entre les deux évolutions": _change(score, diff["value"], diff["low"], diff["high"])})
    sizes = g.drop_duplicates("attended").set_index("attended")
    items += ["### Structures venues aux rencontres entre les deux vagues et les autres", pd.DataFrame(rows),
              f"Répondantes venues : {_count(sizes.loc[True, 'respondents_first'], s.threshold)} puis "
              f"{_count(sizes.loc[True, 'respondents_second'], s.threshold)} ; pas venues : "
              f"{_count(sizes.loc[False, 'respondents_first'], s.threshold)} puis "
              f"{_count(sizes.loc[False, 'respondents_second'], s.threshold)}. **Cette comparaison ne mesure pas "
              "l'effet des rencontres** : les structures choisissent de venir, et celles qui viennent sont peut-être "
              "celles dont les relations s'amélioraient déjà (effet de sélection). L'écart dit si les deux groupes "
              "ont évolué différemment, pas pourquoi."]
    return items


def _count(n: int, threshold: int) -> str:
    return f"moins de {threshold}" if 0 < n < threshold else fr_number(n)


def _agreement_text(w: PublishedWave, alpha: float) -> str:
    a = w.agreement
    if a is None:
        return ""
    if not a.estimable or np.isnan(a.kappa):
        return (f"Accord avec les collaborations déclarées : non estimable sur ces données "
                f"({fr_number(a.pairs)} paires).")
    return (f"**Accord avec les collaborations déclarées** (liens de travail, coopération ou plus, contre "
            f"collaborations actives dans l'année précédant la vague, sur {fr_number(a.pairs)} paires) : κ de Cohen "
            f"{fr_number(a.kappa, digits=2)} ({ci_label(alpha)} {fr_number(a.low, digits=2)} à "
            f"{fr_number(a.high, digits=2)}). Les deux sources s'accordent sur {fr_number(a.both)} liens ; "
            f"{fr_number(a.survey_only)} liens déclarés dans l'enquête ne figurent pas dans les collaborations "
            f"enregistrées, et {fr_number(a.declared_only)} collaborations enregistrées ne sont pas retrouvées par "
            "l'enquête (paires jamais nommées).")


def _by_kind_table(w: PublishedWave, alpha: float, threshold: int) -> pd.DataFrame:
    k = w.by_kind
    hidden = k["suppressed"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "Type de structure évaluée": [fr_label(v) for v in k["kind"]],
        "Structures évaluées": [fr_number(v) for v in k["actors"]],
        "Répondantes qui les évaluent": [_count(v, threshold) for v in k["raters"]],
        "Confiance reçue": [SECRET if h else _with_interval("trust", v, lo, hi, alpha) for v, lo, hi, h in
                            zip(k["trust"], k["trust_low"], k["trust_high"], hidden, strict=True)],
        "Valeur reçue": [SECRET if h else _with_interval("value", v, lo, hi, alpha) for v, lo, hi, h in
                         zip(k["value"], k["value_low"], k["value_high"], hidden, strict=True)]})


def survey_method(pub: Publication) -> str:
    """How the survey's scores are computed, in French (for the annex)."""
    s: SurveyPublication | None = pub.survey
    if s is None:
        return ""
    return " ".join([
        "**Méthode de l'enquête partenaires.** Questionnaire ouvert (XLSForm, produit par `evaluation survey form`) "
        "listant les structures du territoire ; pour chaque structure connue, l'intensité du lien (connaissance < "
        "coopération < coordination < intégration) et six questions de l'outil PARTNER (Varda et al., 2012) notées "
        "de 1 à 4 : confiance (fiabilité, soutien de la mission, ouverture à la discussion) et valeur (influence, "
        "implication, ressources apportées).",
        "Confiance et valeur : moyenne des notes sur les liens évalués ; densité d'un type de lien : part des paires "
        "(structure répondante, structure de la liste) liées au moins à ce niveau ; réciprocité : part des liens "
        "déclarés entre deux répondantes que l'autre déclare aussi.",
        f"Intervalles à {confidence(s.alpha)} % : bootstrap percentile sur les structures répondantes "
        f"({fr_number(s.draws)} tirages ; Efron et Tibshirani, 1993) ; ils ne corrigent pas une non-réponse liée à "
        "ce qui est mesuré.",
        f"Liens déclarés d'un seul côté : règle retenue « {RULE_LABELS[s.rule]} » ; les bornes supposent que les "
        "réponses manquantes sont toutes « pas de lien », puis toutes « lien » (Manski, 2003).",
        "Répondants et non-répondants comparés sur le type, la localisation et la venue aux rencontres (test exact "
        "de Fisher, khi-deux par permutation) ; une différence signale un biais possible.",
        f"Secret statistique : une vague à moins de {s.threshold} répondants n'est pas publiée ; les noms des "
        "structures ne sont jamais publiés."])


def relations_annex(pub: Publication) -> list[Item]:
    """The survey's technical annex: scores and intervals, rules and bounds, who answered, change, κ, method."""
    s: SurveyPublication | None = pub.survey
    if s is None:
        return []
    w = s.last
    items: list[Item] = ["### Enquête partenaires : résultats détaillés", _scores_table(s),
                         f"### Liens déclarés d'un seul côté ({w.wave})", _densities_table(w, s.alpha),
                         f"{fr_number(w.ties)} liens déclarés entre structures de la liste ; "
                         f"{fr_number(w.outside_ties)} liens vers des structures hors liste et "
                         f"{fr_number(w.outside_respondents)} répondante(s) hors liste, comptés à part.",
                         f"### Qui a répondu ({w.wave})", _comparison_table(w), _tests_text(w, s.alpha)]
    items += _change_tables(s)
    agreement = _agreement_text(w, s.alpha)
    items += [agreement] if agreement else []
    if len(w.by_kind):
        items += [f"### Confiance et valeur reçues, par type de structure ({w.wave})", _by_kind_table(w, s.alpha, s.threshold)]
    items.append(survey_method(pub))
    if w.withheld:
        items.insert(1, f"Les résultats de la vague {w.wave} relèvent du secret statistique "
                        f"({secret_reason(s.threshold)}).")
    return items

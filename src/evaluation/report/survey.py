"""The partner survey as published: scores with their intervals, protected, and their French labels.

:func:`publish_survey` turns :class:`~evaluation.measures.survey.analysis.SurveyAnalysis` into a
:class:`SurveyPublication`, the only thing the sections read. **Secrecy**: a wave answered by
fewer structures than the threshold has its scores, densities, κ and respondents' counts
withheld (the count reads « moins de N »); per kind of actor, a received score rated by fewer
respondents than the threshold is withheld; in the comparison of respondents with
non-respondents, a category's respondents are withheld when they, or its non-respondents, are
fewer than the threshold, and one more category of the variable when that alone would give
them back (:func:`~evaluation.report.secrecy.disclosure.suppress`); a change between waves,
or a group's change, is withheld when a wave or a group of a wave is. Counts of listed actors
and of ties describe the network and are published, as in the network chapter. Structures are
never named: scores per actor stay in the measures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.measures.survey.agreement import Agreement
from evaluation.measures.survey.analysis import SurveyAnalysis, WaveScores
from evaluation.report.figures import add_source
from evaluation.report.published import Estimate, Publication, _estimate
from evaluation.report.secrecy.disclosure import suppress
from evaluation.report.tables import INDICATOR_COLUMNS, NOT_ESTIMABLE, confidence, fr_number

__all__ = ["PublishedWave", "PublishedChange", "SurveyPublication", "publish_survey", "survey_figure",
           "SCORE_LABELS", "RULE_LABELS", "VARIABLE_LABELS", "fr_month", "survey_indicators", "with_survey"]

SCORE_LABELS = {"trust": "Confiance", "value": "Valeur des partenaires", "intensity": "Intensité moyenne des liens",
                "density_awareness": "Densité : liens de toute intensité (connaissance ou plus)",
                "density_cooperation": "Densité : coopération ou plus",
                "density_coordination": "Densité : coordination ou plus",
                "density_integration": "Densité : intégration", "reciprocity": "Réciprocité des liens"}
RULE_LABELS = {"or": "un lien si l'une des deux structures le déclare",
               "and": "un lien si chaque structure qui a répondu le déclare",
               "reciprocated": "un lien seulement si les deux structures ont répondu et le déclarent"}
VARIABLE_LABELS = {"kind": "Type d'acteur", "inside": "Situé dans le territoire", "attended": "Venu aux rencontres "
                   "dans l'année"}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


def fr_month(date: dt.date, *, of: bool = False) -> str:
    """« novembre 2019 »; with ``of``, « de novembre 2019 », « d'octobre 2024 »."""
    month = _MONTHS[date.month - 1]
    article = ("d'" if month[0] in "aeiou" else "de ") if of else ""
    return f"{article}{month} {date.year}"


@dataclass
class PublishedWave:
    """One wave as published (see the module docstring); ``respondents`` is ``None`` when withheld."""

    wave: str
    date: dt.date
    listed: int
    respondents: int | None
    withheld: bool
    rate: Estimate
    scores: pd.DataFrame
    densities: pd.DataFrame
    comparison: pd.DataFrame
    tests: pd.DataFrame
    possible_bias: list[str]
    by_kind: pd.DataFrame
    agreement: Agreement | None
    ties: int
    outside_respondents: int
    outside_ties: int

    def score(self, name: str) -> Estimate:
        """One network score as an :class:`~evaluation.report.published.Estimate`."""
        row = self.scores.set_index("score").loc[name]
        return _estimate(row["value"], row["low"], row["high"], withheld=self.withheld)


@dataclass
class PublishedChange:
    """The change from the first wave to the last, as published (NaN where withheld)."""

    first: str
    second: str
    first_date: dt.date
    second_date: dt.date
    changes: pd.DataFrame
    groups: pd.DataFrame
    difference: pd.DataFrame
    panel: int
    withheld: bool


@dataclass
class SurveyPublication:
    """The survey chapter's publication: waves in order of date, the change, how it was computed."""

    threshold: int
    alpha: float
    rule: str
    draws: int
    waves: list[PublishedWave] = field(default_factory=list)
    change: PublishedChange | None = None

    @property
    def last(self) -> PublishedWave:
        """The latest wave."""
        return self.waves[-1]


def _blank(frame: pd.DataFrame, columns: list[str], hidden: np.ndarray | bool) -> pd.DataFrame:
    out = frame.copy()
    keep = ~np.broadcast_to(np.asarray(hidden, dtype=bool), (len(out),))
    for c in columns:
        out[c] = out[c].astype(float).where(keep)
    return out


def _comparison(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Respondents per category, small counts withheld, with secondary suppression within each variable
    (whose total, the wave's respondents, is published).
    """
    if table.empty:
        return table.assign(suppressed=pd.Series(dtype=bool))
    marked = suppress(table, count="respondents", within=["variable"], threshold=threshold)
    hidden = marked["suppressed"].to_numpy()
    return _blank(table, ["respondents", "rate"], hidden).assign(suppressed=hidden)


def _wave(w: WaveScores, *, threshold: int) -> PublishedWave:
    r = w.rate
    withheld = r.respondents < threshold  # none listed among them: nothing to show either
    scores = _blank(w.scores, ["value", "low", "high"], withheld)
    densities = _blank(w.densities, ["value", "low", "high", "bound_low", "bound_high"], withheld)
    comparison = _comparison(w.comparison, threshold)
    if withheld:
        comparison = _blank(comparison, ["respondents", "rate"], True).assign(suppressed=True)
    kinds = w.by_kind.assign(suppressed=(w.by_kind["raters"] < threshold) | withheld)
    kinds = _blank(kinds, ["trust", "trust_low", "trust_high", "value", "value_low", "value_high"],
                   kinds["suppressed"].to_numpy())
    return PublishedWave(w.wave, w.date, r.listed, None if withheld else r.respondents, withheld,
                         _estimate(r.rate, r.low, r.high, withheld=withheld), scores, densities, comparison,
                         w.tests[["variable", "method", "p_value", "differs"]].copy(), list(w.possible_bias),
                         kinds, None if withheld else w.agreement, w.ties, w.outside_respondents, w.outside_ties)


def publish_survey(analysis: SurveyAnalysis | None, *, threshold: int, alpha: float) -> SurveyPublication | None:
    """The survey's publication, protected (see the module docstring); ``None`` without survey."""
    if analysis is None or not analysis.waves:
        return None
    waves = [_wave(w, threshold=threshold) for w in analysis.waves]
    out = SurveyPublication(int(threshold), alpha, analysis.rule, analysis.draws, waves)
    c = analysis.change
    if c is not None:
        withheld = waves[0].withheld or waves[-1].withheld
        groups = c.groups.copy()
        small = (groups["respondents_first"] < threshold) | (groups["respondents_second"] < threshold) | withheld
        groups = _blank(groups, ["first", "second", "change", "low", "high"], small.to_numpy()).assign(
            suppressed=small.to_numpy())
        blocked = bool(small.any())
        out.change = PublishedChange(c.first, c.second, waves[0].date, waves[-1].date,
                                     _blank(c.changes, ["first", "second", "change", "low", "high"], withheld),
                                     groups, _blank(c.difference, ["value", "low", "high"], blocked), c.panel,
                                     withheld)
    return out


def survey_figure(survey: SurveyPublication, *, source: str) -> Figure:
    """Trust and value at each wave, with their intervals (points and bars, scale 1 to 4)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    shown = [w for w in survey.waves if not w.withheld]
    for k, (score, colour) in enumerate((("trust", "#2a6f81"), ("value", "#c4793a"))):
        x = np.arange(len(shown)) + (k - 0.5) * 0.18
        est = [w.score(score) for w in shown]
        values = np.array([e.value for e in est])
        err = np.vstack([values - [e.low for e in est], [e.high for e in est] - values])
        ax.errorbar(x, values, yerr=np.nan_to_num(err), fmt="o", color=colour, capsize=4, label=SCORE_LABELS[score])
        for xi, v in zip(x, values, strict=True):
            ax.annotate(fr_number(v, digits=1), (xi, v), textcoords="offset points", xytext=(8, -3), fontsize=8)
    ax.set_xticks(np.arange(len(shown)), [f"{w.wave}\n{fr_month(w.date)}" for w in shown])
    ax.set_xlim(-0.6, len(shown) - 0.4)
    ax.set_ylim(1, 4)
    ax.set_yticks([1, 2, 3, 4], ["1 pas du tout", "2 un peu", "3 assez", "4 beaucoup"])
    ax.set_ylabel("Note moyenne (1 à 4)")
    ax.set_title("Confiance et valeur des partenaires, par vague de l'enquête")
    ax.legend(loc="lower right", fontsize=8, title=f"barres : intervalle à {confidence(survey.alpha)} %",
              title_fontsize=8)
    add_source(ax, source)
    return fig


def survey_indicators(survey: SurveyPublication | None, *, source: str) -> pd.DataFrame:
    """The partner survey's indicators at its latest wave: mean trust and value (PARTNER's scores, 1 to 4),
    response rate and reciprocity, with their intervals; withheld when fewer structures than the
    threshold answered (:mod:`evaluation.report.survey`). No row without survey.
    """
    rows: list[dict] = []
    if survey is None:
        return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    w = survey.last
    when = f"{w.wave} ({w.date:%d/%m/%Y})"
    scale = ("(fiabilité, soutien de la mission, ouverture à la discussion)", "(influence, implication, ressources "
             "apportées)")

    def add(code, label, definition, estimate, *, unit):
        shown = estimate.shown
        rows.append({"code": code, "indicateur": label, "definition": definition, "valeur": estimate.value if shown
                     else np.nan, "ic_bas": estimate.low if shown else np.nan, "ic_haut": estimate.high if shown
                     else np.nan, "unite": unit, "periode": when, "source": f"enquête partenaires ; {source}",
                     "secret": bool(w.withheld), "estimable": bool(estimate.estimable or w.withheld),
                     "motif": "" if shown or w.withheld else NOT_ESTIMABLE.get(estimate.reason or "", "non estimable")})

    boot = f"intervalle bootstrap sur les structures répondantes ({survey.draws} tirages)"
    add("confiance_moyenne", "Confiance moyenne entre partenaires",
        f"Note moyenne de confiance {scale[0]}, de 1 à 4, que les structures répondantes donnent aux partenaires "
        f"qu'elles connaissent (outil PARTNER, Varda et al. 2012) ; {boot}.", w.score("trust"), unit="score sur 4")
    add("valeur_moyenne", "Valeur moyenne des partenaires",
        f"Note moyenne de ce qu'apportent les partenaires {scale[1]}, de 1 à 4, selon les structures répondantes "
        f"(outil PARTNER) ; {boot}.", w.score("value"), unit="score sur 4")
    add("taux_reponse_enquete", "Taux de réponse à l'enquête partenaires",
        "Part des structures de la liste du territoire qui ont répondu ; intervalle de Wilson.", w.rate, unit="part")
    add("reciprocite", "Réciprocité des liens déclarés",
        "Part des liens qu'une structure répondante déclare avec une autre structure répondante que celle-ci "
        f"déclare aussi ; {boot}.", w.score("reciprocity"), unit="part")
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def with_survey(pub: Publication, survey: object | None, *, threshold: int, alpha: float, source: str) -> Publication:
    """Add the partner survey to a publication: its protected chapter
    (:func:`evaluation.report.survey.publish_survey`) and its indicators (:func:`survey_indicators`).
    """
    pub.survey = publish_survey(survey, threshold=threshold, alpha=alpha)
    rows = survey_indicators(pub.survey, source=source)
    if len(rows):
        pub.indicators = pd.concat([pub.indicators, rows], ignore_index=True)
        pub.suppressed_cells += int(rows["secret"].sum())
    return pub

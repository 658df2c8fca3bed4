"""« L'essentiel »: the findings an élu reads first, each with a comparator and a grade (report layer).

:func:`findings` picks, from the publication alone, four to six findings in plain French
(:data:`ORDER`: volume and rate, the change since a baseline edition, priority
neighbourhoods, rural communes, communes reached, networking effect, tiers-lieu, distance,
testimonies), each built only when its
numbers are published and it has something to compare with; each carries its confidence
grade (:func:`evaluation.report.sections.grades.grade`) and a short key figure for the
fiche. :func:`key_findings` is the page « L'essentiel »
(``templates/essentiel.md.j2``); the sentences are the macros of ``templates/constats.md.j2``,
to which every number is passed already protected and formatted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.rates import confint_poisson

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.denominators import ALL_QPV
from evaluation.report.published import Publication
from evaluation.report.secrecy.coarsen import CODES
from evaluation.report.sections import prose
from evaluation.report.sections.base import (
    Item,
    cutoff_text,
    followed,
    of_place,
    period_text,
    period_words,
    place_words,
    qpv_names,
)
from evaluation.report.sections.grades import Evidence, Grade, grade
from evaluation.report.sections.scope import all_one_space, gaps
from evaluation.report.tables import fr_long_date, fr_month, fr_number, fr_percent

__all__ = ["Finding", "Rest", "findings", "key_findings", "ORDER", "MAX_FINDINGS", "plain_percent", "plain_rate", "times",
           "rest_of_area", "split_words", "cannot_say", "question"]

#: At most this many findings on the page.
MAX_FINDINGS = 6


@dataclass(frozen=True)
class Finding:
    """One finding: its ``text`` (Markdown, with its comparator), its confidence ``grade``, and
    for the fiche a short ``figure`` (« 151 », « × 2,9 ») and what it counts (``label``).
    """

    key: str
    text: str
    grade: Grade
    figure: str
    label: str


# --------------------------------------------------------------------------- plain numbers
def plain_percent(value: float) -> str:
    """A share as an élu reads it: « 67 % », « moins de 1 % » (not « 0 % » for a positive share)."""
    if 0 < value < 0.005:
        return "moins de 1\u202f%"
    return fr_percent(value, digits=0)


def plain_rate(value: float) -> str:
    """A rate rounded for reading: « 105 », « 12 », « 3,4 » (one decimal below 10)."""
    return fr_number(value, digits=0 if value >= 10 else 1)


_WORDS = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six", 7: "sept", 8: "huit", 9: "neuf", 10: "dix"}


def times(value: float) -> str:
    """A ratio in words, to the nearest half: 2.87 → « environ trois fois », 1.5 → « environ une
    fois et demie », 2.5 → « environ deux fois et demie », 14 → « environ 14 fois ».
    """
    half = round(value * 2) / 2
    whole = int(half)
    word = _WORDS.get(whole, "une" if whole == 1 else fr_number(whole))
    return f"environ {word} fois" + (" et demie" if half != whole else "")


def split_words(day) -> str:
    """« avant 2020 » for a split on the 1st of January, else « avant le 15 mars 2020 »."""
    if day.month == 1 and day.day == 1:
        return f"avant {day.year}"
    return f"avant le {day.day} {fr_month(day)}" if day.day != 1 else f"avant {fr_month(day)}"


# --------------------------------------------------------------------------- comparators
@dataclass(frozen=True)
class Rest:
    """The rest of the smallest area around the territory (the area minus the territory)."""

    words: str  # « le reste du département »
    count: float
    population: float
    qpv: float | None  # withheld: None


def rest_of_area(pub: Publication) -> Rest | None:
    """The rest of the smallest published area around the territory (département, région or
    France minus the territory), from the protected comparison table; ``None`` when there is
    no such area or its count is withheld.
    """
    table = pub.comparison
    if table is None or len(table) < 2:
        return None
    own, area = table.iloc[0], table.iloc[1]
    if own["level"] != "territory" or bool(own["count_withheld"]) or bool(area["count_withheld"]):
        return None
    rest = bool(area.get("rest", False))  # the table's row is already the area without the territory
    count = float(area["count"] if rest else area["count"] - own["count"])
    population = float(area["population"] if rest else area["population"] - own["population"])
    if count < 0 or population <= 0:
        return None
    words = {"departement": "le reste du département", "region": "le reste de la région",
             "france": "le reste de la France"}.get(str(area["level"]), "le reste de la zone")
    qpv = (None if bool(own["qpv_withheld"]) or bool(area["qpv_withheld"]) or count == 0
           else float(area["qpv"] if rest else area["qpv"] - own["qpv"]))
    return Rest(words, count, population, qpv)


# --------------------------------------------------------------------------- the findings
def _indicator(pub: Publication, code: str) -> pd.Series | None:
    ind = pub.indicators.set_index("code")
    if code not in ind.index or bool(ind.loc[code, "secret"]) or not bool(ind.loc[code, "estimable"]):
        return None
    return ind.loc[code]


def _reach(pub: Publication) -> Finding | None:
    """Accompaniments and the distinct structures behind them; the rate per year when the years
    covered are known (:mod:`evaluation.measures.reach.denominators`), else over the period.
    """
    cumulative, annual = _indicator(pub, "taux_10k"), _indicator(pub, "taux_annuel_10k")
    years = pub.denominators.years if annual is not None and pub.denominators is not None else None
    rate = annual if years else cumulative
    if pub.total is None or not pub.total or rate is None:
        return None
    per = years or 1.0  # the comparators' cumulative rates over the same years
    evidence = Evidence("rate", cases=pub.total, low=float(rate["ic_bas"]), high=float(rate["ic_haut"]))
    structures = _indicator(pub, "structures_total")
    values = {"count": fr_number(pub.total), "period": period_words(pub), "rate": plain_rate(rate["valeur"]),
              "per_year": bool(years),
              "structures": fr_number(structures["valeur"]) if structures is not None else ""}
    rest = rest_of_area(pub)
    rates = pub.rates["urban_rural"].set_index("urban_rural")
    if rest is not None:
        text = prose.phrase("constats.md.j2", "reach", comparator=rest.words,
                            comparator_rate=plain_rate(rest.count / rest.population * 1e4 / per), **values)
    elif all_one_space(pub) is None and not rates["suppressed"].astype(bool).any():
        m = pub.model  # the count model per commune: its urban/rural ratio, with the communes' dispersion
        unclear = m is not None and m.first.shown and m.first.low <= 1 <= m.first.high
        text = prose.phrase("constats.md.j2", "reach_by_space", urban_rate=plain_rate(rates.loc["urbain", "rate"] / per),
                            rural_rate=plain_rate(rates.loc[RURAL, "rate"] / per), unclear=unclear, **values)
    else:
        text = prose.phrase("constats.md.j2", "reach", comparator="", comparator_rate="", **values)
    return Finding("reach", text, grade(evidence), values["count"], f"accompagnements, {period_text(pub)}")


def _edition(pub: Publication) -> Finding | None:
    """Since the baseline edition (a point d'étape), when one was given and its counts are published."""
    e = getattr(pub, "evolution", None)
    rows = e.rows.set_index("code") if e is not None else None
    if rows is None or "acc_total" not in rows.index or bool(rows.loc["acc_total", "withheld"]):
        return None
    row = rows.loc["acc_total"]
    if pd.isna(row["baseline"]) or pd.isna(row["change"]):
        return None
    text = prose.phrase("constats.md.j2", "edition", date=fr_long_date(e.baseline_date),
                        since=fr_number(row["change"]), before=fr_number(row["baseline"]))
    return Finding("edition", text, grade(Evidence("count")), f"+ {fr_number(row['change'])}",
                   f"accompagnements depuis le {fr_long_date(e.baseline_date)}")


def qpv_population_share(pub: Publication) -> float | None:
    """The share of the territory's inhabitants living in its QPV (census, the reference's QPV
    table: :class:`evaluation.measures.reach.denominators.ReachDenominators`), or ``None`` when
    it is not known.
    """
    d = pub.denominators
    rows = d.qpv.set_index("qpv") if d is not None and len(d.qpv) else None
    if rows is None or ALL_QPV not in rows.index or not bool(rows.loc[ALL_QPV, "available"]):
        return None
    share = rows.loc[ALL_QPV, "population_share"]
    return float(share) if pd.notna(share) else None


def named_qpv(pub: Publication) -> str | None:
    """The name of the territory's QPV when a share of its accompaniments in QPV is that QPV's: a
    one-commune territory that declares one QPV (elsewhere, the share counts every QPV of the
    territory, and the one the report is about may be only part of it).
    """
    names = qpv_names(pub)
    one_commune = pub.geography == "commune" and len(pub.reached) == 1
    return names[0] if len(names) == 1 and one_commune else None


def _qpv(pub: Publication) -> Finding | None:
    row = pub.qpv.set_index("qpv").iloc[0]
    if not pub.total or bool(row["suppressed"]) or (not pub.territory.qpv and not row["count"]):
        return None
    name = named_qpv(pub)
    place = f"du quartier prioritaire {of_place(name)}" if name else "d'un quartier prioritaire"
    rest = rest_of_area(pub)
    share = (rest.qpv / rest.count) if rest is not None and rest.qpv is not None and rest.count else None
    population = qpv_population_share(pub)
    text = prose.phrase("constats.md.j2", "qpv", share=plain_percent(row["share"]), place=place,
                        comparator=rest.words if share is not None else "",
                        comparator_share=plain_percent(share) if share is not None else "",
                        population_share=plain_percent(population) if population is not None else "")
    evidence = Evidence("share", cases=pub.total, low=float(row["ci_low"]), high=float(row["ci_high"]))
    return Finding("qpv", text, grade(evidence), plain_percent(row["share"]), "des accompagnements en quartier prioritaire")


def _rural(pub: Publication) -> Finding | None:
    share = _indicator(pub, "part_rural")
    if all_one_space(pub) is not None or share is None or not pub.total:
        return None
    rep = pub.representation["urban_rural"].set_index("urban_rural").loc[RURAL]
    text = prose.phrase("constats.md.j2", "rural", share=plain_percent(share["valeur"]),
                        population_share=plain_percent(rep["population_share"]))
    evidence = Evidence("share", cases=pub.total, low=float(share["ic_bas"]), high=float(share["ic_haut"]))
    return Finding("rural", text, grade(evidence), plain_percent(share["valeur"]), "des accompagnements en commune rurale")


def _coverage(pub: Publication) -> Finding | None:
    cov = pub.coverage
    if pub.geography != "commune" or cov is None or cov.communes <= 1 or not pub.total:
        return None
    text = prose.phrase("constats.md.j2", "coverage", reached=fr_number(cov.communes_reached),
                        communes=fr_number(cov.communes), population_share=plain_percent(cov.share_population))
    return Finding("coverage", text, grade(Evidence("count")), f"{fr_number(cov.communes_reached)} / "
                   f"{fr_number(cov.communes)}", "communes atteintes")


def anticipation(pub: Publication) -> bool:
    """Whether the event study finds pairs already closer two years or more before their first
    shared meeting (its ``lead`` bin excludes 1): the meetings then do not explain the whole gap.
    """
    m = pub.network.mechanisms if pub.network is not None else None
    study = m.event_study.set_index("bin") if m is not None and len(m.event_study) else None
    if study is None or "lead" not in study.index:
        return False
    lead = study.loc["lead"]
    return bool(np.isfinite(lead["ratio"]) and (lead["ci_low"] > 1 or lead["ci_high"] < 1))


def _network(pub: Publication) -> Finding | None:
    net = pub.network
    if net is None or net.effect is None or not net.effect.effect.shown:
        return None
    pe, e = net.effect, net.effect.effect
    f = pe.falsification
    passed = None if f is None or not f.shown else not pe.falsification_warning
    early = anticipation(pub)  # pairs already closer before meeting: not a clean effect either
    evidence = Evidence("ratio", cases=pe.new_ties, low=e.low, high=e.high,
                        falsification=False if early else passed, effect=True)
    level = grade(evidence)
    direction = "more" if e.low > 1 else "less" if e.high < 1 else "none"
    text = prose.phrase("constats.md.j2", "network", direction=direction, times=times(e.value),
                        before=split_words(pub.territory.split_date), low=fr_number(e.low, digits=1),
                        high=fr_number(e.high, digits=1), alarm=passed is False, precise=level == "solide",
                        anticipation=early and passed is not False)
    return Finding("network", text, level, f"× {fr_number(e.value, digits=1)}",
                   "collaborations nouvelles après s'être croisées aux rencontres")


def _venue(pub: Publication) -> Finding | None:
    v = pub.venue
    if v is None or v.participants is None or not v.events:
        return None
    origins = v.origins.set_index("origin")
    qpv = origins.loc["qpv_of_commune"] if "qpv_of_commune" in origins.index else None
    shown = qpv is not None and not bool(qpv["suppressed"]) and pub.territory.qpv
    text = prose.phrase("constats.md.j2", "venue", label=v.label[:1].lower() + v.label[1:], events=fr_number(v.events),
                        since=fr_month(pub.territory.split_date), participants=fr_number(v.participants),
                        qpv_share=plain_percent(qpv["share"]) if shown else "")
    evidence = (Evidence("share", cases=v.participants, low=float(qpv["ci_low"]), high=float(qpv["ci_high"]))
                if shown else Evidence("count"))
    return Finding("venue", text, grade(evidence), fr_number(v.participants), f"structures venues au {v.label}")


def _distance(pub: Publication) -> Finding | None:
    d = pub.distance
    if d is None or not pub.sites or pub.communes <= 1 or pub.total is None or not pub.total:
        return None
    text = prose.phrase("constats.md.j2", "distance", median_km=fr_number(d.median_km, digits=0),
                        population_median_km=fr_number(d.population_median_km, digits=0), same_place=d.median_km == 0)
    return Finding("distance", text, grade(Evidence("count")), f"{fr_number(d.median_km, digits=0)} km",
                   "distance médiane au lieu d'accompagnement")


def _testimonies(pub: Publication) -> Finding | None:
    themes = pub.themes[~pub.themes["suppressed"].astype(bool)] if len(pub.themes) else pub.themes
    themes = themes[~themes["theme"].astype(str).isin(CODES)]  # themes merged for secrecy are no theme to name
    if not pub.testimonies or not pub.testimonies_shown or themes.empty:
        return None
    first = themes.iloc[0]
    second = themes.iloc[1] if len(themes) > 1 else None
    text = prose.phrase("constats.md.j2", "testimonies", count=fr_number(pub.testimonies),
                        first_theme=f"« {first['theme']} »", first_count=fr_number(first["count"]),
                        second_theme=f"« {second['theme']} »" if second is not None else "",
                        second_count=fr_number(second["count"]) if second is not None else "")
    evidence = Evidence("share", cases=pub.testimonies, low=float(first["ci_low"]), high=float(first["ci_high"]))
    return Finding("testimonies", text, grade(evidence), fr_number(pub.testimonies), "témoignages recueillis")


#: The findings, in the order they are considered (the first :data:`MAX_FINDINGS` that apply).
ORDER: tuple[Callable[[Publication], Finding | None], ...] = (
    _reach, _edition, _qpv, _rural, _coverage, _network, _venue, _distance, _testimonies)


def findings(pub: Publication) -> list[Finding]:
    """The findings of L'essentiel for ``pub`` (at most :data:`MAX_FINDINGS`, in :data:`ORDER`)."""
    found = [f for make in ORDER if (f := make(pub)) is not None]
    return found[:MAX_FINDINGS]


# --------------------------------------------------------------------------- the page
def question(pub: Publication) -> str:
    """The question the report answers, in plain French."""
    name = named_qpv(pub)
    return prose.phrase("essentiel_phrases.md.j2", "question", place=place_words(pub),
                        qpv=of_place(name) if name else "", network=pub.network is not None)


def cannot_say(pub: Publication) -> list[str]:
    """What the report cannot say, in two to four short sentences (the full list is in « Limites »)."""
    jobs = _indicator(pub, "emplois_crees")
    left_out = len(gaps(pub))
    return prose.phrase_lines("essentiel_phrases.md.j2", "cannot",
                              jobs=fr_number(jobs["valeur"]) if jobs is not None and jobs["valeur"] else "",
                              qpv=bool(pub.territory.qpv), network=pub.network is not None,
                              left_out=fr_number(left_out) if left_out else "", plural=left_out > 1,
                              followed=followed(pub))


def key_findings(pub: Publication) -> list[Item]:
    """The page « L'essentiel »: question, period, findings with their grade, what the report
    cannot say, what the figures can inform (``templates/essentiel.md.j2``).
    """
    if not pub.total or pub.years is None:
        return [prose.render("essentiel.md.j2", illustrative=pub.illustrative, question=question(pub),
                             period=period_text(pub), cutoff=cutoff_text(pub), findings=[],
                             cannot=cannot_say(pub), network=False, qpv=False, withheld=pub.total is None,
                             threshold=pub.threshold)]
    return [prose.render("essentiel.md.j2", illustrative=pub.illustrative, question=question(pub),
                         period=period_text(pub), cutoff=cutoff_text(pub), findings=findings(pub),
                         cannot=cannot_say(pub), network=pub.network is not None, qpv=bool(pub.territory.qpv),
                         withheld=False, threshold=pub.threshold)]


def rest_rate_interval(rest: Rest, *, alpha: float) -> tuple[float, float, float]:
    """The rest of the area's rate per 10,000 inhabitants with its exact Poisson interval (Garwood)."""
    low, high = confint_poisson(np.array([rest.count]), np.array([rest.population]), method="exact-c", alpha=alpha)
    low, high = np.atleast_1d(low), np.atleast_1d(high)  # statsmodels gives scalars for a count of zero
    return rest.count / rest.population * 1e4, float(low[0]) * 1e4, float(high[0]) * 1e4

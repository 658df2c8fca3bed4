"""The body of the report, for an élu or a dossier reviewer: plain chapters, one simple visual each.

The order of the dossier (issue 27): the title; L'essentiel
(:mod:`evaluation.report.sections.findings`); the context and the intended chain of effects
(:func:`context`); results question by question — who the action reaches
(:func:`reach_overview`, :func:`venue_overview`), whether meetings became collaborations
(:func:`network_overview`), what numbers miss (:func:`voices`) — each opening with plain
sentences and one visual, quotes beside the numbers they illustrate; the limits and what
the report does not cover (:func:`limits`); then the technical annex (:func:`annex`, and the
detailed builders of :mod:`evaluation.report.sections.reach` and
:mod:`evaluation.report.sections.network`). No glossary term appears before the annex. The
sentences are the macros of ``templates/corps.md.j2``.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.report import figures
from evaluation.report.published import Publication
from evaluation.report.sections import prose
from evaluation.report.sections.base import (
    Item,
    cutoff_text,
    followed,
    period_text,
    report_title,
    split_periods,
)
from evaluation.report.sections.findings import (
    findings,
    plain_percent,
    rest_of_area,
    rest_rate_interval,
)
from evaluation.report.sections.network_annex import mechanisms_body
from evaluation.report.sections.quotes import quote_items, quotes_for
from evaluation.report.sections.scope import all_one_space, gaps, one_density_level
from evaluation.report.tables import (
    VENUE_LABELS,
    ci_label,
    confidence,
    fr_label,
    fr_month,
    fr_number,
    fr_percent,
    indicators_table,
    small_label,
)

__all__ = ["title_text", "reach_chart", "network_chart", "context", "reach_overview", "venue_overview",
           "network_overview", "voices", "limits", "annex"]

_CORPS = "corps.md.j2"


def title_text(pub: Publication) -> str:
    """The report's title (what the data cover), period and date, and the illustrative-data
    warning: the HTML's first lines (Word and PDF put them on their cover).
    """
    return prose.block(_CORPS, "title", title=report_title(pub), period=period_text(pub),
                              cutoff=cutoff_text(pub) or "sans date d'arrêt", illustrative=pub.illustrative)


def context(pub: Publication) -> list[Item]:
    """« Le territoire et l'action »: the territory's description, the intended chain of effects,
    the territory in one sentence.
    """
    t = pub.territory
    rural = pub.representation["urban_rural"].set_index("urban_rural")
    mixed = all_one_space(pub) is None
    territory = prose.phrase(_CORPS, "territory", title=report_title(pub),
                             communes=f"{fr_number(pub.communes)} commune{'s' if pub.communes > 1 else ''}",
                             population=fr_number(pub.population), level=one_density_level(pub) or "",
                             rural_share=plain_percent(rural.loc[RURAL, "population_share"]) if mixed else "")
    chain = prose.phrase(_CORPS, "chain", qpv=bool(t.qpv), venue=t.venue is not None, network=pub.network is not None)
    return ["## Le territoire et l'action", *([t.description] if t.description else []), chain, territory]


def reach_chart(pub: Publication) -> object | None:
    """Rate per 10,000 inhabitants, per year when the years covered are known (as L'essentiel
    says it), else over the period: the territory beside the rest of its area, else urban
    beside rural.
    """
    ind = pub.indicators.set_index("code")
    annual = ind.loc["taux_annuel_10k"] if "taux_annuel_10k" in ind.index else None
    years = pub.denominators.years if annual is not None and pub.denominators is not None else None
    rate = annual if years else ind.loc["taux_10k"] if "taux_10k" in ind.index else None
    if rate is None or bool(rate["secret"]) or not pub.total:
        return None
    per = years or 1.0  # the comparators' counts cover the same years
    name = report_title(pub).split(" (")[0]
    rows = [{"label": name, "rate": rate["valeur"], "low": rate["ic_bas"], "high": rate["ic_haut"]}]
    rest = rest_of_area(pub)
    if rest is not None:
        value, low, high = rest_rate_interval(rest, alpha=pub.alpha)
        rows.append({"label": rest.words[:1].upper() + rest.words[1:], "rate": value / per, "low": low / per,
                     "high": high / per})
        what = f"{name} et {rest.words}"
    else:
        what = "communes urbaines et rurales"
        rates = pub.rates["urban_rural"]
        if all_one_space(pub) is not None or rates["suppressed"].astype(bool).any():
            return None
        rows = [{"label": f"Communes {'rurales' if r.urban_rural == RURAL else 'urbaines'}", "rate": r.rate / per,
                 "low": r.ci_low / per, "high": r.ci_high / per} for r in rates.itertuples()]
    unit = "par an pour 10 000 habitants" if years else "pour 10 000 habitants, sur toute la période"
    return figures.rate_bars(pd.DataFrame(rows), title=f"Accompagnements {unit} : {what}",
                             xlabel=f"{unit[:1].upper() + unit[1:]} (trait : fourchette à {confidence(pub.alpha)} %)",
                             source=pub.source)


def reach_overview(pub: Publication) -> list[Item]:
    """« Qui l'action atteint-elle ? »: the reach findings in plain words, one chart, quotes."""
    said = [f.text for f in findings(pub) if f.key in ("reach", "qpv", "rural", "coverage", "distance")]
    if not said:
        return []
    items: list[Item] = ["## Qui l'action atteint-elle ?", " ".join(said)]
    chart = reach_chart(pub)
    if chart is not None:
        items.append(chart)
    return items + quote_items(quotes_for(pub.quotes, "reach"))


def _origins(pub: Publication) -> str:
    origins = pub.venue.origins
    shown = origins[~origins["suppressed"].astype(bool) & (origins["count"] > 0)]
    commune = "de la commune" if len(pub.reached) == 1 else "de la commune du tiers-lieu"
    words = {"qpv_of_commune": f"du quartier prioritaire {commune}", "rest_of_commune": f"du reste {commune}",
             "rest_of_epci": "du reste de l'intercommunalité", "rural_communes": "de communes rurales",
             "other_urban_communes": "d'autres communes urbaines"}
    parts = [f"{plain_percent(r.share)} {words.get(r.origin, VENUE_LABELS.get(r.origin, r.origin))}"
             for r in shown.itertuples()]
    if not parts:
        return ""
    text = "pour " + (", ".join(parts[:-1]) + " et " + parts[-1] if len(parts) > 1 else parts[0])
    return text + (" ; les autres origines ne sont pas publiées (secret statistique)"
                   if origins["suppressed"].astype(bool).any() else "")


def venue_overview(pub: Publication) -> list[Item]:
    """The tiers-lieu in plain words (who came, from where), in the reach chapter."""
    v = pub.venue
    if v is None or v.participants is None:
        return []
    r = v.returning
    back = (f"{plain_percent(r.value)} d'entre elles sont revenues au moins une fois." if r.shown else
            f"Le nombre de celles qui sont revenues n'est pas publié : lui ou celui des autres compte moins de "
            f"{pub.threshold} structures (secret statistique)." if r.withheld else "")
    return [f"### Le {v.label[:1].lower() + v.label[1:]}",
            prose.phrase(_CORPS, "venue", label=v.label[:1].lower() + v.label[1:], events=fr_number(v.events),
                         since=fr_month(pub.territory.split_date), participants=fr_number(v.participants),
                         origins=_origins(pub), back=back)]


def _partners(graph) -> int:
    """Structures with at least one collaboration tie in a period's network."""
    return sum(d > 0 for _, d in graph.degree())


def network_chart(pub: Publication) -> object | None:
    """Structures with at least one partner, and ties across the priority neighbourhood's border
    (else between urban and rural communes), before and after the split date; ``None`` without
    network data.
    """
    net = pub.network
    if net is None:
        return None
    before, after = split_periods(pub.territory.split_date)
    first, second = net.periods[:2]
    panels = {"Structures ayant au moins un partenaire": (
        [before, after], [_partners(net.graphs[first]), _partners(net.graphs[second])],
        [f"{fr_number(_partners(net.graphs[p]))} sur {fr_number(net.active[p])}" for p in (first, second)])}
    collab = net.description[net.description["network"] == "collaboration"].set_index("period")
    codes = list(collab.index)[:2]
    attribute, column, words = (
        ("qpv", "bridging_qpv", "Part des liens entre structures du quartier prioritaire et d'ailleurs (%)")
        if pub.territory.qpv else
        ("urban_rural", "bridging_urban_rural", "Part des liens entre communes urbaines et rurales (%)"))
    if column in collab and len(codes) == 2:
        # Shares, not counts: the periods differ in length; beside them, the share random mixing would give.
        shares = [float(collab.loc[c, column]) for c in codes]
        labels, values = [before, after], [100 * v for v in shares]
        mixing = net.mechanisms.mixing if net.mechanisms is not None else None
        row = (mixing[(mixing["attribute"] == attribute) & (mixing["period"] == "after")]
               if mixing is not None and len(mixing) else None)
        if row is not None and len(row) and pd.notna(row["expected"].iloc[0]):
            labels, values = [*labels, "Au hasard"], [*values, 100 * float(row["expected"].iloc[0])]
        panels[words] = (labels, values, [fr_percent(v / 100) for v in values])
    return figures.before_after_bars({textwrap.fill(k, 34): v for k, v in panels.items()},
                                     title=f"Les collaborations entre structures, {before.lower()} et {after.lower()}",
                                     source=pub.source)


def network_overview(pub: Publication) -> list[Item]:
    """« Les rencontres ont-elles fait naître des collaborations ? »: the adjusted estimate in two
    or three plain sentences, then the dose, the tiers-lieu's own part and bridging
    (:func:`evaluation.report.sections.network_annex.mechanisms_body`), one chart (structures with a partner, ties across the
    neighbourhood's border, before and after), quotes; models and tests are in the annex.
    """
    net = pub.network
    if net is None:
        return []
    first, second = net.periods[:2]
    before, after = split_periods(pub.territory.split_date)
    items: list[Item] = ["## Les rencontres ont-elles fait naître des collaborations ?"]
    said = [f.text for f in findings(pub) if f.key == "network"]
    if not said:
        why = next((g.why for g in gaps(pub) if g.key == "network_effect"), "trop peu de données")
        said = [prose.phrase(_CORPS, "network_unknown", why=why)]
    counts = prose.phrase(_CORPS, "network_counts", before=before.lower(), active_before=fr_number(net.active[first]),
                          partners_before=fr_number(_partners(net.graphs[first])),
                          active_after=fr_number(net.active[second]),
                          partners_after=fr_number(_partners(net.graphs[second])))
    items += [" ".join(said) + " " + counts]
    mechanisms = mechanisms_body(pub)  # dose, the tiers-lieu's own part, bridging: plain sentences
    items += ([mechanisms] if mechanisms else []) + [network_chart(pub)]
    items += quote_items(quotes_for(pub.quotes, "network"))
    return items + ["Les modèles, les tests et le détail des mesures du réseau sont en annexe."]


def voices(pub: Publication) -> list[Item]:
    """« Ce que les chiffres ne disent pas »: how many testimonies speak of each theme (withheld
    counts read « moins de 5 », with one note), and the quotes not placed beside numbers.
    """
    if not pub.testimonies:
        return []
    themes = pub.themes
    small = small_label(pub.threshold)
    table = pd.DataFrame({"Thème": [fr_label(t) for t in themes["theme"]],
                          "Témoignages qui l'abordent": [small if s else fr_number(c) for c, s in
                                                         zip(themes["count"], themes["suppressed"], strict=True)]})
    items: list[Item] = ["## Ce que les chiffres ne disent pas",
                         prose.phrase(_CORPS, "voices_intro",
                                      count=fr_number(pub.testimonies) if pub.testimonies_shown else ""), table]
    if themes["suppressed"].astype(bool).any():
        items.append(prose.phrase(_CORPS, "small_note", threshold=pub.threshold))
    return items + quote_items(quotes_for(pub.quotes, "voices"))


def limits(pub: Publication) -> list[Item]:
    """« Limites »: what the report does not cover for this territory (and why), and what its
    figures cannot say.
    """
    jobs = pub.indicators.set_index("code").loc["emplois_crees"] if "emplois_crees" in set(pub.indicators["code"]) \
        else None
    items: list[Item] = ["## Limites"]
    left_out = gaps(pub)
    if left_out:
        items += ["### Ce que ce rapport ne couvre pas",
                  "Ces parties n'ont rien à montrer pour ce territoire ; elles ne figurent donc pas dans le rapport.",
                  "\n".join(f"- {g.sentence}" for g in left_out)]
    lines = prose.phrase_lines(_CORPS, "limits", jobs=fr_number(jobs["valeur"]) if jobs is not None and
                               not jobs["secret"] and jobs["valeur"] else "", qpv=bool(pub.territory.qpv),
                               network=pub.network is not None, threshold=pub.threshold,
                               illustrative=pub.illustrative, followed=followed(pub))
    return items + ["### Ce que les chiffres ne peuvent pas dire", "\n".join(f"- {line}" for line in lines)]


def annex(pub: Publication) -> list[Item]:
    """The technical annex's opening: who it is for, then the indicator table with definitions
    (as in ``indicators.xlsx``; an interval fixed by definition is left out).
    """
    fixed = frozenset({"part_rural"}) if all_one_space(pub) is not None else frozenset()
    table = indicators_table(pub.indicators, alpha=pub.alpha, fixed=fixed)
    table.insert(1, "Définition", pub.indicators["definition"].astype(str).to_numpy())
    items: list[Item] = ["## Annexe technique",
                         prose.phrase(_CORPS, "annex_intro", level=f"{confidence(pub.alpha)} % ({ci_label(pub.alpha)})"),
                         "### Indicateurs", "**Indicateurs, avec leur définition (comme dans indicators.xlsx)**", table]
    if pub.indicators["secret"].astype(bool).any():
        items.append(prose.phrase(_CORPS, "withheld_note", threshold=pub.threshold))
    if fixed:
        items.append("*Part en commune rurale : " + ("toutes les communes du territoire sont rurales"
                                                     if all_one_space(pub) == RURAL else
                                                     "le territoire n'a aucune commune rurale")
                     + " ; cette part est fixée par définition et n'a pas d'intervalle.*")
    return items


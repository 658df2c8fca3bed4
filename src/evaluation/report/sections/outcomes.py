"""« Après l'accompagnement » and « Moyens et coût par résultat »: what became of the structures, their jobs, the cost.

Three builders: :func:`after_accompaniment` for the body (two plain sentences and one curve),
:func:`outcomes_details` for the technical annex (survival by group with intervals, the
log-rank tests, jobs over time, the published benchmarks, the method) and :func:`costs` (the
cost ratios, plainly a ratio of means to results, not a cost–benefit analysis). All read the
protected :class:`~evaluation.report.published.OutcomesPublication`; a withheld figure reads
« s » or is said to be covered by statistical secrecy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL, URBAN
from evaluation.measures.reach.classify import NON_QPV, QPV
from evaluation.report import figures
from evaluation.report.published import Estimate, Publication
from evaluation.report.sections.base import Item, _secret
from evaluation.report.tables import (
    NOT_ESTIMABLE,
    PROGRAMME_LABELS,
    SECRET,
    ci_label,
    confidence,
    fr_interval,
    fr_number,
    fr_p,
    fr_percent,
)

__all__ = ["GROUPING_LABELS", "BENCHMARK_GROUP_LABELS", "WHERE_PUBLISHED", "after_accompaniment", "outcomes_details",
           "survival_table", "jobs_table", "costs", "costs_tables"]

#: The groupings of the survival table, in French.
GROUPING_LABELS = {"all": "Ensemble", "programme": "Programme", "urban_rural": "Espace", "qpv": "Quartier"}
#: The groups a benchmark applies to (:data:`evaluation.io.schema_outcomes.BENCHMARK_GROUPS`), in French.
BENCHMARK_GROUP_LABELS = {"all": "ensemble des structures", **{k: v.lower() for k, v in PROGRAMME_LABELS.items()},
                          "dla": "DLA", "urban": "communes urbaines", "rural": "communes rurales",
                          "qpv": "quartiers prioritaires", "not_qpv": "hors quartiers prioritaires"}
_GROUP_LABELS = {**PROGRAMME_LABELS, URBAN: "Communes urbaines", RURAL: "Communes rurales", QPV: "En QPV",
                 NON_QPV: "Hors QPV", "all": "Toutes les structures suivies"}
_HORIZONS = {0: "À l'accompagnement (déclarés)", 1: "Un an après", 2: "Deux ans après", 3: "Trois ans après"}
_YEARS = {1: "1 an", 2: "2 ans", 3: "3 ans", 5: "5 ans"}
_INDICATORS = {"survie_1an": "Survie à 1 an", "survie_2ans": "Survie à 2 ans", "survie_3ans": "Survie à 3 ans",
               "survie_5ans": "Survie à 5 ans", "cout_par_accompagnement": "Coût par accompagnement",
               "cout_par_structure": "Coût par structure"}

#: Where published reference figures are found (said when no benchmark is given; never a figure).
WHERE_PUBLISHED = (
    "Des valeurs de référence publiées existent : pour les entreprises nouvelles, l'enquête SINE de l'Insee "
    "(Système d'information sur les nouvelles entreprises : une génération d'entreprises interrogée l'année de "
    "sa création, puis trois et cinq ans après ; Insee Première et Insee Résultats, par secteur) ; pour les "
    "structures de l'ESS accompagnées par le DLA, les études d'impact nationales du dispositif (Avise, opérateur "
    "national du DLA). Une valeur de référence se saisit dans benchmarks.csv avec sa source ; aucune n'est "
    "fournie par défaut.")


def _per100(value: float) -> str:
    return fr_number(round(100 * value))


def _euros(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{fr_number(value)}\u202f€"


def _survival_row(pub: Publication, grouping: str, group: str, years: int) -> pd.Series | None:
    s = pub.outcomes.survival
    hit = s[(s["grouping"] == grouping) & (s["group"] == group) & (s["time"] == years)]
    return hit.iloc[0] if len(hit) else None


def _survival_sentence(pub: Publication) -> str:
    followed = pub.outcomes.counts.get("followed")
    who = (f"Parmi les {fr_number(followed)} structures dont on a eu des nouvelles après leur accompagnement"
           if followed else "Parmi les structures dont on a eu des nouvelles après leur accompagnement")
    for years, word in ((2, "deux"), (1, "un")):
        r = _survival_row(pub, "all", "all", years)
        if r is None or not r["estimable"]:
            continue
        if r["suppressed"]:
            return _secret(f"La part des structures encore en activité {word} an{'s' if years > 1 else ''} après", pub)
        interval = (f" (entre {_per100(r['ci_low'])} et {_per100(r['ci_high'])} sur 100)"
                    if np.isfinite(r["ci_low"]) else " (aucune fermeture connue)")
        return (f"{who}, environ {_per100(r['survival'])} sur 100 étaient encore en activité {word} "
                f"an{'s' if years > 1 else ''} après son début{interval}.")
    return (f"{who}, aucune n'est encore suivie depuis un an : la part encore en activité n'est pas estimable "
            "à ce jour.")


def _comparison_sentence(pub: Publication) -> str:
    b = pub.outcomes.benchmarks
    if b is None or b.empty or not b["indicator"].str.startswith("survie").any():
        return ("Aucune valeur de référence publiée n'a été fournie pour la comparer : le rapport ne dit donc pas "
                "si c'est plus ou moins qu'ailleurs.")
    b = b[b["indicator"].str.startswith("survie")]
    shown = b[b["estimate"].notna()]
    r = (shown if len(shown) else b).iloc[0]
    years = "".join(ch for ch in r["indicator"] if ch.isdigit())
    ref = (f"{r['source']} donne {_per100(r['value'])} sur 100 à {years} an{'s' if years != '1' else ''} "
           f"({BENCHMARK_GROUP_LABELS.get(r['group'], r['group'])}"
           f"{', ' + str(int(r['year'])) if pd.notna(r['year']) else ''})")
    if not np.isfinite(r["estimate"]):
        return f"Pour comparaison, {ref} ; l'estimation correspondante du territoire n'est pas publiée."
    if np.isfinite(r["ci_low"]) and r["ci_low"] <= r["value"] <= r["ci_high"]:
        verdict = "l'écart avec le territoire est dans la marge d'incertitude"
    else:
        verdict = "le territoire fait mieux" if r["estimate"] > r["value"] else "le territoire fait moins bien"
    return f"Pour comparaison, {ref} : {verdict} (structures comparables ou non : voir l'annexe)."


def _figure_curves(pub: Publication) -> dict[str, pd.DataFrame]:
    c = pub.outcomes.curves.get("all:all")
    return {"Toutes les structures suivies": c} if c is not None and len(c) > 1 else {}


def after_accompaniment(pub: Publication) -> list[Item]:
    """« Après l'accompagnement » (body): survival at two years in plain words, its comparator, the curve."""
    o = pub.outcomes
    if o is None:
        return []
    followed = o.counts.get("followed")
    if followed == 0:
        return ["## Après l'accompagnement\n\nAucun suivi des structures daté d'avant la date d'arrêt du rapport "
                "(followups.csv) : ce que sont devenues les structures n'est pas mesuré. Des suivis plus récents "
                "comptent dans un rapport arrêté plus tard (--as-of)."]
    if followed is None:
        return ["## Après l'accompagnement\n\n" + _secret("Le nombre de structures suivies après leur "
                                                         "accompagnement", pub)]
    items: list[Item] = ["## Après l'accompagnement\n\n" + _survival_sentence(pub) + " " + _comparison_sentence(pub)]
    curves = _figure_curves(pub)
    if curves:
        b = o.benchmarks
        refs = None
        if b is not None and len(b):
            keep = b[b["indicator"].str.startswith("survie") & (b["group"] == "all")]
            refs = pd.DataFrame({"time": [float("".join(ch for ch in i if ch.isdigit())) for i in keep["indicator"]],
                                 "value": keep["value"].to_numpy(float)})
        ax = figures.survival_curves(curves, title="Structures encore en activité après l'accompagnement",
                                     source=pub.source, alpha=pub.alpha, references=refs)
        items.append(ax.figure)
    return items


def _cell(r: pd.Series) -> str:
    if r["suppressed"]:
        return SECRET
    if not r["estimable"] or not np.isfinite(r["survival"]):
        return "–"
    interval = f" {fr_interval(r['ci_low'], r['ci_high'], digits=0)}" if np.isfinite(r["ci_low"]) else ""
    return fr_percent(r["survival"], digits=0) + interval


def survival_table(pub: Publication) -> pd.DataFrame:
    """Survival at 1, 2, 3 and 5 years by group, with intervals (« s »: withheld; « – »: not estimable)."""
    s = pub.outcomes.survival
    rows = []
    for (grouping, group), part in s.groupby(["grouping", "group"], sort=False):
        n = part["structures"].iloc[0]
        row = {"Groupe": GROUPING_LABELS[grouping], "": _GROUP_LABELS.get(group, str(group)),
               "Structures suivies": SECRET if pd.isna(n) else fr_number(n)}
        row.update({f"À {_YEARS[int(t)]} ({ci_label(pub.alpha)})": _cell(r) for t, r in
                    zip(part["time"], (r for _, r in part.iterrows()), strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def _test_text(grouping: str, e: Estimate) -> str:
    label = {"programme": "entre programmes", "urban_rural": "entre communes urbaines et rurales",
             "qpv": "entre structures en QPV et hors QPV"}[grouping]
    if e.withheld:
        return f"Différence {label} : non publiée (un des groupes relève du secret statistique)."
    if not e.estimable:
        return f"Différence {label} : {NOT_ESTIMABLE.get(e.reason or '', 'non estimable')}."
    return f"Différence {label} : test du log-rank χ² = {fr_number(e.value, digits=2)}, {fr_p(e.p_value)}."


def jobs_table(pub: Publication) -> pd.DataFrame:
    """Jobs at the accompaniment and one, two and three years after, once per structure."""
    j = pub.outcomes.jobs

    def n(v: float) -> str:
        return SECRET if pd.isna(v) else fr_number(v, digits=0 if float(v).is_integer() else 1)

    rows = []
    for r in j.itertuples(index=False):  # four anniversaries
        est = (SECRET if pd.isna(r.estimate) else fr_number(r.estimate) + (
            f" [{fr_number(r.ci_low)} ; {fr_number(r.ci_high)}]" if np.isfinite(r.ci_low) and r.ci_high > r.ci_low
            else ""))
        rows.append({"Moment": _HORIZONS[int(r.horizon)], "Structures concernées": n(r.eligible),
                     "dont situation connue": n(r.observed), "Fermées": n(r.closed) if r.horizon else "–",
                     "Emplois comptés": n(r.jobs), "dont vérifiés": n(r.verified) if r.horizon else "–",
                     "dont déclarés": n(r.declared), "ETP": "–" if not r.horizon or pd.isna(r.fte) and not (
                         r.suppressed or r.dominated or r.too_few) else n(r.fte),
                     "Emplois perdus (fermetures)": n(r.jobs_lost) if r.horizon else "–",
                     f"Estimation pour toutes ({ci_label(pub.alpha)})": est})
    return pd.DataFrame(rows)


def _benchmarks_table(pub: Publication) -> pd.DataFrame:
    b = pub.outcomes.benchmarks
    rows = []
    for r in b.itertuples(index=False):  # a handful of published figures
        survival = r.indicator.startswith("survie")
        value = fr_percent(r.value, digits=0) if survival else _euros(r.value)
        ours = "non publiée" if not np.isfinite(r.estimate) else (
            fr_percent(r.estimate, digits=0) + (f" {fr_interval(r.ci_low, r.ci_high, digits=0)}"
                                                if np.isfinite(r.ci_low) else "") if survival else _euros(r.estimate))
        rows.append({"Indicateur": _INDICATORS.get(r.indicator, r.indicator),
                     "Groupe": BENCHMARK_GROUP_LABELS.get(r.group, r.group), "Valeur de référence": value,
                     "Année": "" if pd.isna(r.year) else str(int(r.year)), "Source": r.source,
                     "Territoire": ours})
    return pd.DataFrame(rows)


def _method(pub: Publication) -> str:
    c = pub.outcomes.counts
    unknown = c.get("unknown_last")
    followed = c.get("followed")
    share = (f"{fr_percent(unknown / followed, digits=0)} des structures suivies ont un dernier suivi au statut "
             "inconnu" if unknown is not None and followed else "la part des derniers suivis au statut inconnu "
             "relève du secret statistique")
    proxy = c.get("origin_end_date")
    creation = (f" ; pour {fr_number(proxy)} structures du programme création, faute de date de création, la fin de "
                "l'accompagnement en tient lieu" if proxy else "")
    return (
        "**Méthode.** La survie est estimée par la méthode de Kaplan-Meier depuis le début du premier "
        "accompagnement (programme création : depuis la création de la structure" + creation + "). Une structure "
        "compte comme fermée à la date du suivi qui constate sa fermeture ; sinon elle est *censurée* à son dernier "
        "suivi connu : perdue de vue, au statut inconnu ou absorbée par une autre structure, elle compte jusqu'à "
        f"cette date et pas au-delà ({share}). Compter les structures perdues de vue comme fermées sous-estimerait "
        "la survie. Intervalles : Greenwood, transformation log-log ; différences entre groupes : test du "
        "log-rank. Les emplois sont comptés une fois par structure (à l'accompagnement, le plus grand total "
        "déclaré créés + maintenus de ses accompagnements) ; une structure fermée compte zéro emploi, ses emplois "
        "déclarés sont comptés comme perdus ; les emplois *vérifiés* viennent d'une source administrative (SIRENE, "
        "DSN…), les autres sont *déclarés*. L'estimation pour toutes les structures suppose que celles dont la "
        "situation est inconnue ressemblent aux autres : elle penche plutôt vers l'optimisme, le nombre compté "
        "est un plancher. Un total d'emplois qu'une seule structure domine n'est pas publié (règle des p %). "
        "Ni la survie ni les emplois ne sont attribuables au seul accompagnement : rien ne dit ce qui serait "
        "arrivé sans lui.")


def outcomes_details(pub: Publication) -> list[Item]:
    """« Après l'accompagnement : détails » (annex): survival by group, tests, jobs, benchmarks, method."""
    o = pub.outcomes
    if o is None:
        return []
    items: list[Item] = ["### Après l'accompagnement : détails et méthode"]
    if o.counts.get("followed"):
        items += ["**Structures encore en activité, par groupe**", survival_table(pub),
                  " ".join(_test_text(g, e) for g, e in o.tests.items())]
        curves = {PROGRAMME_LABELS.get(k.split(":", 1)[1], k): c for k, c in o.curves.items()
                  if k.startswith("programme:") and c is not None and len(c) > 1}
        if len(curves) >= 2:
            items.append(figures.survival_curves(curves, title="Structures encore en activité, par programme",
                                                 source=pub.source, alpha=pub.alpha).figure)
    items += ["**Emplois après l'accompagnement** (une fois par structure)", jobs_table(pub)]
    if o.benchmarks is not None and len(o.benchmarks):
        items += ["**Valeurs de référence fournies** (benchmarks.csv) : elles portent sur d'autres structures, "
                  "d'autres années et d'autres définitions ; la comparaison situe, elle ne mesure pas un effet.",
                  _benchmarks_table(pub)]
    else:
        items.append(WHERE_PUBLISHED)
    items.append(_method(pub))
    return items


def costs_tables(pub: Publication) -> dict[str, pd.DataFrame]:
    """The cost tables in French: by programme, by year and the funders' shares."""
    c = pub.outcomes.costs

    def table(frame: pd.DataFrame, key: str | None, label: str) -> pd.DataFrame:
        out = pd.DataFrame({label: (frame[key].map(lambda v: PROGRAMME_LABELS.get(v, str(v))) if key else ["Total"])})
        out["Dépenses"] = frame["amount"].map(_euros).to_numpy()
        hidden = frame["suppressed"].to_numpy(dtype=bool)
        for col, name in (("accompaniments", "Accompagnements commencés"), ("structures", "Structures distinctes"),
                          ("per_accompaniment", "Coût par accompagnement"), ("per_structure", "Coût par structure")):
            fmt = fr_number if col in ("accompaniments", "structures") else _euros
            out[name] = [SECRET if h else fmt(v) for v, h in zip(frame[col], hidden, strict=True)]
        return out

    total = table(c["costs_total"], None, "Programme")
    by_programme = pd.concat([table(c["costs_programme"], "programme", "Programme"), total], ignore_index=True)
    by_year = table(c["costs_year"], "year", "Année")
    funders = pd.DataFrame({"Financeur": c["funders"]["funder"].fillna("non précisé").astype(str),
                            "Montant": c["funders"]["amount"].map(_euros),
                            "Part": c["funders"]["share"].map(lambda v: fr_percent(v, digits=0))})
    return {"programme": by_programme, "year": by_year, "funders": funders}


def costs(pub: Publication) -> list[Item]:
    """« Moyens et coût par résultat »: cost per accompaniment, per structure and per job at two years."""
    o = pub.outcomes
    if o is None or o.costs is None:
        return []
    c = o.costs
    whose = ("propres au territoire" if c["scope"] == "territory" else
             "de l'ensemble de l'organisme (aucune n'est propre au territoire)")
    reached = "dans le territoire" if c["scope"] == "territory" else "dans tous les territoires"
    total = c["costs_total"].iloc[0]
    head = (f"### Moyens et coût par résultat\n\n*Ratio de coût, pas une analyse coût-bénéfice* : les dépenses "
            f"{whose} de {c['years'][0]} à {c['years'][-1]} sont divisées par ce qu'elles ont permis d'atteindre "
            f"{reached} ; ni la valeur des emplois ni ce qui se serait passé sans l'accompagnement ne sont mesurés.")
    if total["suppressed"]:
        head += " " + _secret("Le coût par structure", pub)
    else:
        head += (f" Une structure accompagnée a coûté en moyenne {_euros(total['per_structure'])} "
                 f"({_euros(total['per_accompaniment'])} par accompagnement).")
    job = c.get("per_job")
    if job is not None:
        e = job["estimate"]
        years = f"{job['years'][0]}–{job['years'][-1]}" if len(job["years"]) > 1 else str(job["years"][0])
        if e.withheld:
            head += " " + _secret("Le coût par emploi présent deux ans après", pub)
        elif not e.estimable:
            head += f" Coût par emploi présent deux ans après : {NOT_ESTIMABLE.get(e.reason or '', 'non estimable')}."
        else:
            head += (f" Rapportées à tous les emplois présents deux ans après l'accompagnement dans les structures "
                     f"accompagnées (emplois créés et emplois qui existaient déjà), les dépenses des années {years} "
                     f"font {_euros(e.value)} par emploi (fourchette à {confidence(pub.alpha)} % : de {_euros(e.low)} à "
                     f"{_euros(e.high)}, le nombre d'emplois étant estimé). Ce n'est pas le coût d'un emploi créé.")
    if c["unallocated"] and np.isfinite(c["unallocated"]):
        head += (f" {fr_percent(c['unallocated'], digits=0)} des dépenses ne sont rattachées à aucun programme : "
                 "elles comptent dans les totaux, pas dans les lignes par programme.")
    t = costs_tables(pub)
    scope = "" if c["scope"] == "territory" else " — ensemble de l'organisme, tous territoires"
    return [head, f"**Dépenses et coût par programme{scope}**", t["programme"], f"**Par année{scope}**", t["year"],
            f"**Part des financeurs{scope}**", t["funders"]]

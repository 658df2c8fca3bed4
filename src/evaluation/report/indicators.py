"""The indicator table of a territory, for an ANRU dossier: CSV and formatted XLSX.

One row per indicator with its French label, definition, value, interval where one
applies, unit, period, source, whether it is withheld by disclosure control (``secret``)
and whether it could be estimated at all (``estimable``, with the reason in words in
``motif``). A value that is withheld or not estimable is left empty, with its interval.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.rates import confint_poisson

from evaluation._io import atomic_write
from evaluation.geo.reference import RURAL
from evaluation.measures.network.analysis import NetworkAnalysis
from evaluation.measures.outcomes.summary import OutcomesSummary
from evaluation.measures.reach.denominators import ALL_QPV, ReachDenominators
from evaluation.measures.reach.summary import ReachSummary
from evaluation.measures.stats import wilson_interval
from evaluation.report.outcomes import outcome_indicators
from evaluation.report.published import Publication
from evaluation.report.secrecy.disclosure import Disclosure
from evaluation.report.tables import (
    CRUDE_NOTE,
    EFFECT_MODELS,
    EFFECT_REASONS,
    INDICATOR_COLUMNS,
    MECHANISM_REASONS,
    NOT_ESTIMABLE,
    ci_label,
    fr_percent,
    period_label,
)

__all__ = ["INDICATOR_COLUMNS", "territory_indicators", "write_indicators", "HEADLINE_CODES", "headline"]

def territory_indicators(*, summary: ReachSummary, accompaniments: pd.DataFrame,
                         network: NetworkAnalysis | None = None,
                         testimonies: pd.DataFrame | None = None, disclosure: Disclosure | None = None,
                         source: str, alpha: float = 0.05, as_of: dt.date | None = None,
                         denominators: ReachDenominators | None = None,
                         outcomes: OutcomesSummary | None = None,
                         group_years_below: int | None = None) -> pd.DataFrame:
    """Headline indicators of one territory with their intervals.

    Counts of accompaniments, structures, jobs and testimonies below the disclosure
    threshold are withheld (``valeur`` empty, ``secret`` true), and so are shares and rates
    computed on such counts; counts of communes, actors and ties describe the territory
    and its network, not individual structures, and are published.

    ``denominators`` (:func:`evaluation.measures.reach.denominators.reach_denominators`) adds the
    distinct structures (``structures_total``, ``structures_dla``), the annual rate
    (``taux_annuel_10k``), the QPV's share of the population (``part_pop_qpv``) and their
    representation index (``indice_qpv``), and counts jobs once per structure (its latest
    declaration) instead of once per accompaniment.
    ``outcomes`` (:func:`evaluation.measures.outcomes.summary.outcomes_summary`) adds survival at two
    and three years, jobs at two years (withheld by the p % rule of
    :mod:`evaluation.report.secrecy.dominance`), the cost per structure and the share followed.

    ``as_of`` (the « état au » of a dated report) makes "the latest year" the year of that
    date, even when nothing started in it, and the definition says so when that year is not
    complete on that date.

    ``group_years_below`` (the disclosure threshold): the counts of « the latest year »
    (creation and development projects, DLA structures) cover the latest years, back from
    the latest, until they reach that many (or are zero): years grouped into a period rather
    than a withheld count (coarsening, :mod:`evaluation.report.secrecy.coarsen`); the period
    and the definition say so.
    """
    disclosure = disclosure or Disclosure()
    years = accompaniments["year"].dropna().astype(int)
    period = f"{years.min()}–{years.max()}" if len(years) else ""
    latest = as_of.year if as_of is not None else int(years.max()) if len(years) else None
    latest_period = str(latest or "")  # a year: the secrecy audit links it to the yearly tables
    partial = ("" if as_of is None or (as_of.month, as_of.day) == (12, 31)
               else f" (année {latest} en cours : jusqu'au {as_of:%d/%m/%Y})")
    rows: list[dict] = []

    def add(code, label, definition, value, *, low=np.nan, high=np.nan, unit="", when=period, count=None,
            protect=True, estimable=True, reason=None, withheld=False):
        secret = (disclosure.value(count if count is not None else value)
                  if protect and pd.notna(value) else False) or withheld
        if estimable and not secret:  # a missing value or an unbounded interval is not an estimate
            if pd.isna(value):
                estimable, reason = False, reason or "no_variation"
            elif not all(np.isfinite(float(v)) for v in (value, low, high) if pd.notna(v)):
                estimable, reason = False, "infinite_interval"
        shown = not secret and estimable
        rows.append({"code": code, "indicateur": label, "definition": definition,
                     "valeur": value if shown else np.nan, "ic_bas": low if shown else np.nan,
                     "ic_haut": high if shown else np.nan, "unite": unit, "periode": when, "source": source,
                     "secret": bool(secret), "estimable": bool(estimable or secret),
                     "motif": "" if estimable or secret else NOT_ESTIMABLE.get(reason or "", EFFECT_REASONS.get(
                         reason or "", MECHANISM_REASONS.get(reason or "", "non estimable")))})

    n = summary.total
    add("acc_total", "Accompagnements", "Projets et structures accompagnés dont la commune est dans le territoire "
        "(une structure accompagnée plusieurs fois compte plusieurs fois).", n, unit="accompagnements")
    d = denominators
    units = d.units.set_index(["unit", "measure"]) if d is not None else None
    if d is not None:
        add("structures_total", "Structures accompagnées", "Structures distinctes (identifiant de structure) "
            "accompagnées au moins une fois, chacune comptée une fois.", units.loc[("structures", "total"), "count"],
            unit="structures")
    for code, label, chosen, what, unit in (
            ("acc_creation_dev", "Projets accompagnés en création ou développement", ("creation", "development"),
             "des programmes création et développement", "projets"),
            ("acc_dla", "Accompagnements DLA" if d is not None else "Structures accompagnées par le DLA", ("dla",),
             "du Dispositif local d'accompagnement", "accompagnements" if d is not None else "structures")):
        first, value = _latest_years(accompaniments, chosen, latest=latest, below=group_years_below)
        when = latest_period if first == latest else f"{first}–{latest}"
        since = ("la dernière année" if first == latest else
                 f"de {first} à {latest} (années regroupées : moins de {group_years_below} la dernière année)")
        add(code, label, f"Accompagnements {what} commencés {since}{partial}.", value, unit=unit, when=when)
    if d is not None:
        add("structures_dla", "Structures accompagnées par le DLA",
            f"Structures distinctes dont un accompagnement du Dispositif local d'accompagnement a commencé la dernière "
            f"année{partial}.", d.dla_structures_last_year, unit="structures", when=latest_period)
    for code, column, value, label in (("part_rural", "urban_rural", RURAL, "Part en commune rurale"),
                                       ("part_qpv", "qpv", "QPV", "Part en quartier prioritaire (QPV)")):
        row = summary.by[column].set_index(column).loc[value]
        add(code, label, ("Part des accompagnements dans une commune rurale (niveaux 5 à 7 de la grille de "
                          "densité INSEE) ; intervalle du jackknife par commune (variation entre communes), aucun "
                          "quand le territoire est tout urbain ou tout rural." if code == "part_rural" else
                          "Part des accompagnements de structures situées en QPV, parmi ceux dont la situation est "
                          "connue ; intervalle de Wilson corrigé des structures accompagnées plusieurs fois."),
            row["share"], low=row["ci_low"], high=row["ci_high"], unit="part", count=row["count"])
    if d is not None:
        _qpv_indicators(add, d)
    rates = summary.rates["urban_rural"]
    count, pop = int(rates["count"].sum()), int(rates["population"].sum())
    if pop:

        lo, hi = confint_poisson(count, pop, method="exact-c", alpha=alpha)
        add("taux_10k", "Accompagnements pour 10 000 habitants, cumul de la période",
            "Accompagnements de toute la période rapportés à la population municipale du territoire (taux cumulé, non "
            "annuel) ; intervalle de Poisson exact.",
            count / pop * 1e4, low=lo * 1e4, high=hi * 1e4, unit="pour 10 000 habitants", count=count)
    if d is not None and d.population:
        r = units.loc[("accompaniments", "total")]
        add("taux_annuel_10k", "Accompagnements par an pour 10 000 habitants",
            f"Accompagnements par an, sur les {fr_years(d.years)} couvertes par les exports, pour 10 000 habitants "
            "du territoire ; intervalle tenant compte des structures accompagnées plusieurs fois (Fay et Feuer).",
            r["rate"], low=r["rate_low"], high=r["rate_high"], unit="pour 10 000 habitants par an", count=r["count"])
    add("communes_atteintes", "Communes atteintes", "Communes du territoire comptant au moins un accompagnement.",
        summary.coverage.communes_reached, unit="communes", protect=False)
    _jobs(add, accompaniments, d)
    if network is not None:
        _network_indicators(add, network, alpha=alpha)
    if testimonies is not None:
        add("temoignages", "Témoignages recueillis", "Témoignages et observations qualitatives codés par thème.",
            len(testimonies), unit="témoignages")
    if outcomes is not None:
        outcome_indicators(add, outcomes, alpha=alpha)
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def _network_indicators(add, network: NetworkAnalysis, *, alpha: float) -> None:
    """The rows of the network chapter (``add`` is :func:`territory_indicators`' own)."""
    first, second = (p.label for p in network.periods[:2])
    add("acteurs_reseau", "Acteurs du réseau", f"Acteurs actifs dans la période « {period_label(second)} ».",
        len(network.active[second]), unit="acteurs", when=period_label(second), protect=False)
    first, second = period_label(first), period_label(second)
    add("liens_avant", "Liens de collaboration avant", "Liens de collaboration actifs avant la date charnière.",
        network.change.ties_before, unit="liens", when=first, protect=False)
    add("liens_apres", "Liens de collaboration après", "Liens de collaboration actifs après la date charnière.",
        network.change.ties_after, unit="liens", when=second, protect=False)
    add("liens_nouveaux", "Nouveaux liens de collaboration", "Liens actifs après et pas avant.",
        network.change.new, unit="liens", when=second, protect=False)
    c = network.conversion
    lo, hi = wilson_interval(c.met_new, c.met_total, alpha=alpha)
    ratio_ok = getattr(c, "estimable", True) and min(c.met_new, c.unmet_new) > 0 and np.isfinite(c.ci_low)
    ratio_reason = getattr(c, "reason", None) or ("zero_cell" if min(c.met_new, c.unmet_new) == 0
                                                  else "infinite_interval")
    e = getattr(network, "effect", None)
    if e is not None:  # withheld with the conversion counts, as in the publication
        add("effet_reseau", "Effet des rencontres sur les nouvelles collaborations (ajusté)",
            "Rapport des probabilités de nouvelle collaboration entre paires qui se sont côtoyées aux rencontres "
            "avant et paires qui ne se sont pas croisées, à propension des acteurs égale ; "
            f"{EFFECT_MODELS.get(e.model, 'aucun modèle estimable')} ; intervalle robuste aux dépendances entre "
            "paires partageant un acteur (Aronow, Samii et Assenova 2015).",
            e.estimate, low=e.ci_low, high=e.ci_high, unit="rapport", when=second,
            count=min((v for v in (c.met_new, c.unmet_new) if v > 0), default=0),
            estimable=e.estimable, reason=None if e.estimable else e.reason)
        add("effet_reseau_evalue", "Effet des rencontres estimable",
            "1 si les données permettent d'estimer l'effet des rencontres en tenant compte de l'activité des "
            f"acteurs, 0 sinon ; ici : {EFFECT_REASONS.get(e.reason, e.reason)}.", int(e.estimable),
            unit="oui (1) / non (0)", when=second, protect=False)
    if getattr(network, "mechanisms", None) is not None:
        _mechanism_indicators(add, network.mechanisms, count=min((v for v in (c.met_new, c.unmet_new) if v > 0),
                                                                 default=0), when=second)
    add("taux_conversion", "Taux de conversion brut de la co-présence en collaboration",
        "Part des paires d'acteurs qui s'étaient côtoyées aux rencontres avant, sans collaborer, et qui "
        f"collaborent après ; intervalle de Wilson. {CRUDE_NOTE}", c.risk_met, low=float(lo), high=float(hi),
        unit="part", when=second, count=c.met_new)
    add("rapport_conversion", "Rapport de risques de conversion brut",
        "Taux de conversion des paires qui se sont côtoyées ÷ taux des paires qui ne se sont pas croisées ; "
        f"intervalle de Katz. {CRUDE_NOTE}", c.risk_ratio, low=c.ci_low, high=c.ci_high, unit="rapport",
        when=second, count=min(c.met_new, c.unmet_new), estimable=ratio_ok,
        reason=None if ratio_ok else ratio_reason)


def _jobs(add, accompaniments: pd.DataFrame, d: ReachDenominators | None) -> None:
    """``emplois_crees``, ``emplois_maintenus``: once per structure (its latest declaration) with
    ``d``, else summed over accompaniments.
    """
    for code, column, label in (("emplois_crees", "jobs_created", "Emplois créés"),
                                ("emplois_maintenus", "jobs_maintained", "Emplois maintenus")):
        if d is not None:
            add(code, f"{label} déclarés", f"{label} déclarés par les structures accompagnées : la dernière "
                "déclaration de chaque structure, comptée une fois même si elle a été accompagnée plusieurs fois ; "
                "déclarations non vérifiées, sans mesure de durée ni équivalent temps plein.",
                d.jobs.created if column == "jobs_created" else d.jobs.maintained, unit="emplois")
            continue
        add(code, label, f"Somme déclarée par les structures accompagnées ({label.lower()}).",
            int(pd.to_numeric(accompaniments[column], errors="coerce").fillna(0).sum()), unit="emplois")


def fr_years(years: float) -> str:
    """« 7 années », « 6,5 années »."""
    return f"{np.format_float_positional(round(years, 1), trim='-').replace('.', ',')} années"


def _qpv_indicators(add, d: ReachDenominators) -> None:
    """``part_pop_qpv`` and ``indice_qpv``: the territory's QPV against their share of its population,
    or why they cannot be computed (no QPV population in the reference).
    """
    rows = d.qpv.set_index("qpv")
    whole = rows.loc[ALL_QPV] if ALL_QPV in rows.index else None
    listed = len(rows) > 2
    available = whole is not None and bool(whole["available"]) and listed
    why = "qpv_population_missing" if listed or not d.qpv_reference else "qpv_absent"
    known = [f"liste des QPV {whole['list']}"] if whole is not None and isinstance(whole["list"], str) else []
    known += [f"population {int(whole['population_year'])}"] if whole is not None and pd.notna(
        whole["population_year"]) else []
    said = f" ({', '.join(known)})" if known else ""
    add("part_pop_qpv", "Part de la population en QPV",
        f"Population des quartiers prioritaires du territoire ÷ population municipale du territoire{said} ; "
        "chiffre du recensement, sans intervalle.", whole["population_share"] if available else np.nan, unit="part",
        protect=False, estimable=available, reason=None if available else why)
    add("indice_qpv", "Indice de représentation des QPV",
        "Part des accompagnements en QPV (parmi ceux dont la situation est connue) ÷ part de la population en QPV ; "
        "1 = à proportion de leur poids ; intervalle de Wilson corrigé des structures accompagnées plusieurs fois, "
        "divisé par la part de la population.", whole["index"] if available else np.nan,
        low=whole["index_low"] if available else np.nan, high=whole["index_high"] if available else np.nan,
        unit="indice", count=whole["count"] if whole is not None else None, estimable=available,
        reason=None if available else why)


def _mechanism_indicators(add, m, *, count: int, when: str) -> None:
    """``effet_reseau_dose``, ``effet_tiers_lieu`` and ``liens_passerelles`` (issue 29), added with ``add``."""
    row = m.dose.count.term("shared_events")
    add("effet_reseau_dose", "Effet de chaque rencontre partagée supplémentaire (ajusté)",
        "Rapport des probabilités de nouvelle collaboration pour chaque rencontre supplémentaire à laquelle les deux "
        "acteurs d'une paire ont assisté ensemble avant la date charnière, à propension des acteurs égale (même modèle "
        "que l'effet des rencontres) ; intervalle robuste aux dépendances entre paires partageant un acteur.",
        row["ratio"], low=row["ci_low"], high=row["ci_high"], unit="rapport", when=when, count=count,
        estimable=bool(row["estimable"]), reason=None if row["estimable"] else m.dose.count.reason or "not_identified")
    v = m.venues
    if v is not None:
        r = v.together.term("met_venues")
        labels = " ; ".join(f"« {x} »" for x in v.labels)
        add("effet_tiers_lieu", "Effet des rencontres du tiers-lieu (ajusté)",
            f"Rapport des probabilités de première collaboration, chaque année, entre paires qui s'étaient croisées "
            f"avant cette année à une rencontre du tiers-lieu ({labels}) et paires qui ne s'y étaient pas croisées, les "
            "rencontres tenues ailleurs étant comptées à part ; modèle en temps discret par année (années de même "
            "durée, un effet par année), un effet fixe par acteur ; intervalle robuste aux dépendances entre paires.",
            r["ratio"], low=r["ci_low"], high=r["ci_high"], unit="rapport",
            when=f"{m.windows[0]}–{m.windows[-1]}" if m.windows else "",
            count=int(v.reach.loc[v.reach.index[len(v.labels)], "new_ties_after"]), estimable=bool(r["estimable"]),
            reason=None if r["estimable"] else v.together.reason or "not_identified")
    q = next((x for x in m.mixing if x.attribute == "qpv" and x.period == "after"), None)
    if q is not None and q.group_actors:
        add("liens_passerelles", "Part des liens entre structures du QPV et hors QPV",
            "Part des liens de collaboration actifs après la date charnière qui relient une structure située en QPV et "
            "une structure hors QPV ; si les liens se formaient au hasard entre les "
            f"{q.actors} acteurs présents ({q.group_actors} en QPV), la part attendue serait de {fr_percent(q.expected)} "
            f"(intervalle de permutation à 95 % : {fr_percent(q.low)} à {fr_percent(q.high)}).",
            q.share, unit="part", when=when, protect=False, estimable=q.ties > 0,
            reason=None if q.ties > 0 else "no_variation")


def _latest_years(accompaniments: pd.DataFrame, programmes: tuple[str, ...], *, latest: int | None,
                  below: int | None) -> tuple[int | None, int]:
    """The first year and the count of the accompaniments of ``programmes`` started from that
    year to ``latest``: the latest year alone, or as many years back as it takes for the count
    to be zero or at least ``below``.
    """
    if latest is None:
        return None, 0
    years = accompaniments.loc[accompaniments["programme"].isin(programmes), "year"].dropna().astype(int)
    per_year = years.value_counts()
    first, count = latest, int(per_year.get(latest, 0))
    earliest = int(accompaniments["year"].dropna().min()) if accompaniments["year"].notna().any() else latest
    while below and 0 < count < below and first > earliest:
        first -= 1
        count += int(per_year.get(first, 0))
    return first, count


#: Units of indicators that are not counts (shares, rates, ratios, scores): written with their decimals.
RATIO_UNITS = frozenset({"part", "rapport", "indice", "pour 10 000 habitants", "pour 10 000 habitants par an",
                         "score sur 4"})


def _csv_number(value: float, *, count: bool) -> str:
    """A value of ``indicators.csv``: a count as an integer (``38``), another number with a
    decimal comma and its decimals (``0,024809``), missing as empty.
    """
    if np.isnan(value):
        return ""
    if count and float(value).is_integer():
        return str(int(value))
    return np.format_float_positional(value, trim="0").replace(".", ",")


def write_indicators(indicators: pd.DataFrame, out_dir: Path | str, *, alpha: float = 0.05) -> list[Path]:
    """Write ``indicators.csv`` (UTF-8 with BOM, ``;``, decimal comma: opens in French Excel)
    and ``indicators.xlsx`` (formatted, with a sheet of definitions; interval headers say the
    level of ``alpha``), atomically. ``secret`` and ``estimable`` read ``oui``/``non``.
    """
    out = Path(out_dir)
    csv_path, xlsx_path = out / "indicators.csv", out / "indicators.xlsx"
    table = indicators.assign(secret=np.where(indicators["secret"], "oui", "non"),
                              estimable=np.where(indicators["estimable"], "oui", "non"))
    table[["valeur", "ic_bas", "ic_haut"]] = table[["valeur", "ic_bas", "ic_haut"]].astype(float).round(6)
    table["valeur"] = [_csv_number(v, count=u not in RATIO_UNITS) for v, u in zip(table["valeur"], table["unite"],
                                                                                  strict=True)]
    atomic_write(csv_path, lambda p: table.to_csv(p, sep=";", decimal=",", index=False, encoding="utf-8-sig"))
    atomic_write(xlsx_path, lambda p: _write_xlsx(indicators, p, alpha=alpha))
    return [csv_path, xlsx_path]


def _write_xlsx(indicators: pd.DataFrame, path: Path, *, alpha: float) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill  # openpyxl only when an XLSX file is written
    from openpyxl.utils import get_column_letter  # openpyxl only when an XLSX file is written

    low, high = f"{ci_label(alpha)} bas", f"{ci_label(alpha)} haut"
    headers = {"code": "Code", "indicateur": "Indicateur", "valeur": "Valeur", "ic_bas": low,
               "ic_haut": high, "unite": "Unité", "periode": "Période", "source": "Source",
               "secret": "Secret statistique", "estimable": "Estimable", "motif": "Motif"}
    main = indicators[list(headers)].rename(columns=headers)
    main[["Valeur", low, high]] = main[["Valeur", low, high]].astype(float).round(6)
    main["Secret statistique"] = np.where(indicators["secret"], "oui", "non")
    main["Estimable"] = np.where(indicators["estimable"], "oui", "non")
    definitions = indicators[["code", "indicateur", "definition", "source"]].rename(
        columns={"code": "Code", "indicateur": "Indicateur", "definition": "Définition", "source": "Source"})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        main.to_excel(writer, sheet_name="Indicateurs", index=False)
        definitions.to_excel(writer, sheet_name="Définitions", index=False)
        book = writer.book
        book.properties.created = book.properties.modified = dt.datetime(2000, 1, 1)
        header_fill = PatternFill("solid", fgColor="2A6F81")
        for sheet in book.worksheets:
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = header_fill
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            for k, column in enumerate(sheet.iter_cols(min_row=1, max_row=sheet.max_row), start=1):
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                sheet.column_dimensions[get_column_letter(k)].width = min(max(10, width + 2), 70)
        sheet = book["Indicateurs"]
        for row in sheet.iter_rows(min_row=2):
            unit = row[5].value
            for cell in row[2:5]:
                cell.number_format = "0.0%" if unit == "part" else "#,##0.0" if isinstance(cell.value, float) else "#,##0"
        for row in book["Définitions"].iter_rows(min_row=2):
            row[2].alignment = Alignment(wrap_text=True, vertical="top")


HEADLINE_CODES = ["acc_total", "part_rural", "part_qpv", "taux_10k", "liens_nouveaux", "effet_reseau",
                  "taux_conversion"]


def headline(publication: Publication) -> dict:
    """Headline figures for the index page (JSON-safe; withheld or not estimable values are
    ``None``; ``interval`` is the label of the intervals, e.g. ``"IC 95 %"``).
    """
    ind = publication.indicators.set_index("code")
    figures = {}
    for code in HEADLINE_CODES:
        if code in ind.index:
            row = ind.loc[code]
            figures[code] = {k: (None if pd.isna(row[c]) else float(row[c]))
                             for k, c in (("value", "valeur"), ("low", "ic_bas"), ("high", "ic_haut"))}
            figures[code].update(label=str(row["indicateur"]), unit=str(row["unite"]), secret=bool(row["secret"]),
                                 estimable=bool(row["estimable"]))
    t = publication.territory
    return {"territory": t.slug, "label": t.label, "illustrative": publication.illustrative,
            "suppressed_cells": publication.suppressed_cells, "interval": ci_label(publication.alpha),
            "figures": figures}

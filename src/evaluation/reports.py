"""Territory reports: the context a report notebook works on, and rendering with papermill.

A report is ``notebooks/territory_report.ipynb`` executed by papermill with the
territory's parameters, then exported to a single HTML file without code. Both the
executed notebook (for analysts) and the HTML are written to ``reports/<slug>/``; they
replace a previous report only once both are complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from ._io import atomic_dir
from .config import (
    SLUG_PATTERN,
    Territory,
    ascii_slug,
    get_paths,
    get_territory,
    load_territories,
)
from .datasets import Dataset, load_dataset
from .disclosure import DEFAULT_THRESHOLD, Disclosure
from .errors import ConfigError, EvaluationError
from .indicators import territory_indicators
from .network import NetworkAnalysis, QAPResult, analyse_network, split_periods
from .network_effect import Falsification, NetworkEffect
from .pseudonyms import shared_run_key
from .qualitative import for_territory, quotes_by_theme, theme_counts
from .reach import (
    QPV,
    ReachSummary,
    VenueReach,
    classify,
    describe_model,
    reach_summary,
    site_points,
    venue_reach,
)
from .reference import RURAL, load_reference, territory_communes
from .sample import SAMPLE_NOTE
from .tables import fr_interval, fr_number, fr_p, fr_percent

__all__ = [
    "ReportContext",
    "ReportError",
    "prepare_context",
    "render_report",
    "Publication",
    "publish",
    "summary_markdown",
    "caveats_markdown",
    "table_of_contents",
    "headline",
    "reach_reading",
    "network_reading",
    "network_effect_reading",
    "territory_facts",
    "provenance_table",
    "ascii_slug",
]


SAMPLE_SEED = 2024


class ReportError(EvaluationError, RuntimeError):
    """A report notebook failed; the executed notebook is kept for diagnosis."""


@dataclass
class ReportContext:
    """Everything a report notebook needs for one territory.

    ``accompaniments`` holds the accompaniments whose commune is in the territory,
    classified (:func:`evaluation.reach.classify`) and with a ``year`` column.
    """

    territory: Territory
    reference: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame
    dataset: Dataset
    accompaniments: pd.DataFrame
    illustrative: bool
    parameters: dict

    @property
    def context_communes(self) -> gpd.GeoDataFrame:
        """Communes of the EPCIs the territory touches (background of maps)."""
        epcis = set(self.communes["epci_siren"].dropna())
        return self.reference[self.reference["epci_siren"].isin(epcis)]

    @property
    def sites(self) -> pd.DataFrame:
        """Coordinates of the territory's support sites."""
        return site_points(self.territory.sites, self.reference)

    def reach(self, *, alpha: float = 0.05) -> ReachSummary:
        """Every reach statistic of the territory (:func:`evaluation.reach.reach_summary`)."""
        return reach_summary(self.accompaniments, self.communes, sites=self.sites, alpha=alpha)

    def network(self, *, permutations: int = 1000, seed: int = 0, alpha: float = 0.05) -> NetworkAnalysis | None:
        """The networking-effects analysis before/after the territory's split date, if it has data."""
        d = self.dataset
        if d.actors.empty:
            return None
        return analyse_network(d.actors, d.events, d.attendance, d.collaborations, self.reference,
                               communes=self.communes["commune_code"], periods=split_periods(self.territory.split_date),
                               brokers=list(self.territory.network_roles), permutations=permutations, seed=seed,
                               alpha=alpha)

    def venue(self, *, alpha: float = 0.05) -> VenueReach | None:
        """Reach of the territory's tiers-lieu from its events since the split date, if any."""
        v = self.territory.venue
        d = self.dataset
        if v is None or v.commune is None or d.events.empty:
            return None
        out = venue_reach(d.events, d.attendance, d.actors, self.reference, commune=v.commune,
                          since=self.territory.split_date, alpha=alpha)
        return out if out.events else None

    def testimonies(self) -> pd.DataFrame:
        """Testimonies recorded for this territory or for a territory inside it."""
        inside = {slug for slug, t in load_territories(self.parameters["territories_file"]).items()
                  if set(territory_communes(t, self.reference)["commune_code"]) <= set(self.communes["commune_code"])}
        return for_territory(self.dataset.testimonies, inside)

    @property
    def latest_year(self) -> int | None:
        years = self.accompaniments["year"].dropna()
        return int(years.max()) if len(years) else None


def prepare_context(territory: str, *, data_dir: str | Path | None = None,
                    reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                    processed_dir: str | Path | None = None) -> ReportContext:
    """Load and validate everything needed to report on ``territory``.

    Parameters are those of the report notebook; ``None`` means the project default
    (bundled illustrative sample, committed reference, ``data/raw/territories.yml``).
    """
    paths = get_paths()
    terr = get_territory(territory, territories_file)
    reference = load_reference(reference_dir)
    communes = territory_communes(terr, reference)
    data_path = Path(data_dir) if data_dir is not None else paths.sample
    dataset = load_dataset(data_path, reference=reference, reference_dir=reference_dir,
                           processed_dir=processed_dir, territories=list(load_territories(territories_file)))
    acc = dataset.accompaniments
    acc = acc[acc["commune_code"].isin(communes["commune_code"])]
    acc = classify(acc, reference).assign(year=lambda d: d["start_date"].dt.year.astype("Int64"))
    illustrative = data_path.resolve() == paths.sample.resolve()
    parameters = {"territory": territory, "data_dir": str(data_dir) if data_dir else None,
                  "reference_dir": str(reference_dir) if reference_dir else None,
                  "territories_file": str(territories_file) if territories_file else None}
    return ReportContext(terr, reference, communes, dataset, acc, illustrative, parameters)


@dataclass
class Publication:
    """The tables a report publishes, after disclosure control (see :func:`publish`)."""

    threshold: int
    suppressed_cells: int
    indicators: pd.DataFrame
    representation: dict[str, pd.DataFrame]
    rural_by_programme: pd.DataFrame
    rates: dict[str, pd.DataFrame]
    qpv: pd.DataFrame
    reached: gpd.GeoDataFrame
    themes: pd.DataFrame
    quotes: pd.DataFrame
    testimonies: int
    venue_origins: pd.DataFrame | None
    venue_participations: pd.DataFrame | None
    conversion_hidden: tuple[bool, bool]
    trends: dict[str, pd.DataFrame]
    decay: pd.DataFrame

    def _counted(self, protect: Disclosure) -> Publication:
        self.suppressed_cells = protect.suppressed_cells
        return self


def publish(ctx: ReportContext, summary: ReachSummary, network: NetworkAnalysis | None, venue: VenueReach | None,
            *, threshold: int = DEFAULT_THRESHOLD, source: str = "", alpha: float = 0.05) -> Publication:
    """Apply disclosure control to every table the report shows, counting the withheld cells.

    Each table whose total is published gets primary and secondary suppression
    (:func:`evaluation.disclosure.suppress`); overlapping counts (themes) get primary
    suppression only; the map withholds communes with 1 to ``threshold − 1``
    accompaniments (and, secondarily, the next smallest, since the total is published).
    """
    protect = Disclosure(threshold)
    testimonies = ctx.testimonies()
    indicators = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                                      testimonies=testimonies, disclosure=protect, source=source, alpha=alpha)
    by_programme = protect(summary.by_programme["urban_rural"], within=["programme"])
    themes = theme_counts(testimonies, alpha=alpha)
    conversion_hidden = (False, False)
    if network is not None:
        c = network.conversion
        conversion_hidden = (protect.value(c.met_new), protect.value(c.unmet_new))
    return Publication(
        threshold=protect.threshold, suppressed_cells=0, indicators=indicators,
        representation={g: protect(r) for g, r in summary.representation.items()},
        rural_by_programme=by_programme[by_programme["urban_rural"] == RURAL],
        rates={g: protect(r) for g, r in summary.rates.items()},
        qpv=protect(summary.by["qpv"]),
        reached=protect(summary.reached),
        themes=protect(themes, within=["theme"]) if len(themes) else themes.assign(suppressed=False),
        quotes=quotes_by_theme(testimonies), testimonies=len(testimonies),
        venue_origins=protect(venue.origins) if venue is not None else None,
        venue_participations=protect(venue.participations) if venue is not None else None,
        conversion_hidden=conversion_hidden,
        trends={k: _protect_yearly(per_year, protect) for k, (per_year, _) in summary.trends.items()},
        decay=protect(summary.decay) if len(summary.decay) else summary.decay,
    )._counted(protect)


def _protect_yearly(per_year: pd.DataFrame, protect: Disclosure) -> pd.DataFrame:
    """A yearly share is withheld when its count, or the rest of its year, is small."""
    count, rest = per_year["count"], per_year["total"] - per_year["count"]
    hidden = ((count > 0) & (count < protect.threshold)) | ((rest > 0) & (rest < protect.threshold))
    protect.suppressed_cells += int(hidden.sum())
    return per_year.assign(suppressed=hidden.to_numpy())


def territory_facts(ctx: ReportContext) -> str:
    """Plain-text facts about the territory and its data (stable across runs)."""
    c = ctx.communes
    by_class = c["density_label"].value_counts().reindex(c["density_label"].dropna().unique())
    lines = [
        f"Territoire : {ctx.territory.label} ({ctx.territory.slug})",
        f"Communes : {len(c)} ; population municipale : {fr_number(int(c['population'].sum()))}",
        "Communes par niveau de densité : " + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())),
        f"Accompagnements dans le territoire : {len(ctx.accompaniments)}",
    ]
    if len(c) <= 3:
        lines += [f"{r.commune_name} ({r.commune_code}) : {r.density_label}" for r in c.itertuples()]
    return "\n".join(lines)


def summary_markdown(ctx: ReportContext, summary: ReachSummary, network: NetworkAnalysis | None,
                     publication: Publication, *, alpha: float = 0.05) -> str:
    """The French one-page summary opening a report: reading in a few sentences.

    The headline indicator table and the caveats (:func:`caveats_markdown`) follow it.
    """
    t = ctx.territory
    parts = [f"# Rapport d'évaluation — {t.label}", ""]
    if ctx.illustrative:
        parts += ["> **Données illustratives.** " + SAMPLE_NOTE.format(seed=SAMPLE_SEED)
                  + " Les chiffres ci-dessous montrent la méthode ; ils ne mesurent pas l'action réelle.", ""]
    if t.description:
        parts += [t.description, ""]
    parts += ["## Synthèse", ""]
    if summary.total == 0:
        return "\n".join(parts + ["Aucun accompagnement n'est enregistré dans ce territoire."])
    ind = publication.indicators.set_index("code")
    years = ctx.accompaniments["year"].dropna()
    sentences = [f"De {int(years.min())} à {int(years.max())}, {fr_number(summary.total)} accompagnements ont concerné "
                 f"des structures du territoire ({len(ctx.communes)} commune{'s' if len(ctx.communes) > 1 else ''}, "
                 f"{fr_number(int(ctx.communes['population'].sum()))} habitants)."]
    level = int(round(100 * (1 - alpha)))
    rural, qpv = ind.loc["part_rural"], ind.loc["part_qpv"]
    mixed = summary.representation["urban_rural"]["population"].gt(0).all()
    where = []
    if mixed and not rural["secret"]:
        where.append(f"{fr_percent(rural['valeur'])} en commune rurale (IC {level} % "
                     f"{fr_interval(rural['ic_bas'], rural['ic_haut'])})")
    if not qpv["secret"] and qpv["valeur"] > 0:
        where.append(f"{fr_percent(qpv['valeur'])} en quartier prioritaire (IC {level} % "
                     f"{fr_interval(qpv['ic_bas'], qpv['ic_haut'])})")
    if where:
        sentences.append("Ils sont pour " + " et ".join(where) + ".")
    if network is not None and "taux_conversion" in ind.index and not ind.loc["taux_conversion", "secret"]:
        c = network.conversion
        sentences.append(f"Parmi les acteurs qui se côtoyaient sans travailler ensemble, {fr_percent(c.risk_met)} des "
                         f"paires ont ensuite collaboré, contre {fr_percent(c.risk_unmet)} des paires qui ne s'étaient "
                         f"pas croisées (rapport brut {fr_number(c.risk_ratio, digits=1)}).")
        effect = ind.loc["effet_reseau"] if "effet_reseau" in ind.index else None
        if effect is not None and not effect["secret"] and pd.notna(effect["valeur"]):
            sentences.append(f"À propension des acteurs égale, le rapport ajusté est de "
                             f"{fr_number(effect['valeur'], digits=1)} (IC {level} % "
                             f"{fr_number(effect['ic_bas'], digits=2)} à {fr_number(effect['ic_haut'], digits=2)}).")
        elif effect is not None and pd.isna(effect["valeur"]) and not effect["secret"]:
            sentences.append("Les données ne permettent pas de séparer l'effet des rencontres de celui de "
                             "l'activité des acteurs.")
    if publication.testimonies:
        top = publication.themes.iloc[0]["theme"] if len(publication.themes) else ""
        sentences.append(f"{publication.testimonies} témoignages complètent ces chiffres ; le thème le plus cité est "
                         f"« {top} ».")
    return "\n".join(parts + [" ".join(sentences)])


CHAPTERS = ["Synthèse", "Portée de l'action", "Effets de réseau", "Ce qui ne se quantifie pas", "Méthode et sources"]


def table_of_contents() -> str:
    """Links to the report's chapters (anchors as nbconvert makes them from headings)."""
    from urllib.parse import quote

    return "**Sommaire** : " + " · ".join(f"[{c}](#{quote(c.replace(' ', '-'), safe=chr(39) + '-')})"
                                           for c in CHAPTERS)


HEADLINE_CODES = ["acc_total", "part_rural", "part_qpv", "taux_10k", "liens_nouveaux", "taux_conversion"]


def headline(ctx: ReportContext, publication: Publication) -> dict:
    """Headline figures for the index page (JSON-safe; withheld values are ``None``)."""
    ind = publication.indicators.set_index("code")
    figures = {}
    for code in HEADLINE_CODES:
        if code in ind.index:
            row = ind.loc[code]
            figures[code] = {k: (None if pd.isna(row[c]) else float(row[c]))
                             for k, c in (("value", "valeur"), ("low", "ic_bas"), ("high", "ic_haut"))}
            figures[code].update(label=str(row["indicateur"]), unit=str(row["unite"]), secret=bool(row["secret"]))
    return {"territory": ctx.territory.slug, "label": ctx.territory.label, "illustrative": ctx.illustrative,
            "suppressed_cells": publication.suppressed_cells, "figures": figures}


def caveats_markdown(ctx: ReportContext, publication: Publication) -> str:
    """The caveats shown under the headline indicators."""
    items = []
    if ctx.illustrative:
        items.append("les données sont **illustratives** (générées), pas observées ;")
    items += [
        "chaque accompagnement est rattaché à la commune de la structure : la grille de densité et la population "
        "sont celles de la commune entière ; l'appartenance à un QPV est celle déclarée dans les exports ;",
        "les distances sont mesurées à vol d'oiseau entre centres de communes ;",
        f"secret statistique : les effectifs de 1 à {publication.threshold - 1} ne sont pas publiés, ni ceux qui "
        f"permettraient de les retrouver par différence ; **{publication.suppressed_cells} cellule(s)** sont "
        "masquées (« s ») dans ce rapport ;",
        "aucun nom de personne ou de structure n'apparaît dans le rapport : les noms sont remplacés dès la lecture "
        "des exports par des pseudonymes (« P-… », hachage à clé HMAC-SHA256) ;",
    ]
    if not ctx.dataset.pseudonyms.get("stable", False):
        items.append("**les pseudonymes ne sont pas stables d'une exécution à l'autre** : aucune clé n'étant "
                     "configurée, une clé aléatoire a été tirée pour cette exécution ; ils ne permettent pas de "
                     "rapprocher deux rapports produits séparément ;")
    repaired = int((ctx.dataset.notices["code"] == "leading_zero_repaired").sum())
    if repaired:
        items.append(f"{repaired} code(s) commune avaient perdu leur zéro initial dans le tableur et ont été "
                     "rétablis à la lecture ;")
    items[-1] = items[-1].rstrip(" ;") + "."
    return "**Précautions de lecture** :\n\n" + "\n".join(f"- {i}" for i in items)


def reach_reading(ctx: ReportContext, summary: ReachSummary, *, alpha: float = 0.05) -> str:
    """A short French reading of the reach results, to open the reach chapter."""
    if summary.total == 0:
        return "Aucun accompagnement n'est enregistré dans ce territoire : la portée ne peut pas être mesurée."
    level = int(round(100 * (1 - alpha)))
    years = ctx.accompaniments["year"].dropna()
    out = [f"De {int(years.min())} à {int(years.max())}, **{fr_number(summary.total)} accompagnements** "
           f"concernent des structures du territoire."]
    rep = summary.representation["urban_rural"].set_index("urban_rural")
    if rep["population"].gt(0).all():
        r = rep.loc[RURAL]
        out.append(
            f"{fr_percent(r['share'])} d'entre eux sont en commune rurale, où vit {fr_percent(r['population_share'])} "
            f"de la population : indice de représentation {fr_number(r['index'], digits=2)} "
            f"(IC {level} % {fr_number(r['ci_low'], digits=2)} à {fr_number(r['ci_high'], digits=2)} ; "
            "1 = autant que le poids de la population).")
    else:
        only = "rurales" if rep.loc[RURAL, "population"] > 0 else "urbaines"
        out.append(f"Toutes les communes du territoire sont {only} au sens de la grille de densité de l'INSEE.")
    qpv = summary.by["qpv"].set_index("qpv").loc[QPV]
    out.append(f"{fr_percent(qpv['share'])} concernent une structure située en quartier prioritaire (QPV), "
               f"IC {level} % {fr_interval(qpv['ci_low'], qpv['ci_high'])}.")
    cov = summary.coverage
    if cov["communes"] > 1:
        out.append(f"L'action touche {cov['communes_reached']} des {cov['communes']} communes, qui regroupent "
                   f"{fr_percent(cov['share_population'])} de la population du territoire.")
    if summary.distance and cov["communes"] > 1:
        dist = summary.distance
        half = (f"à moins de {fr_number(dist['median_km'], digits=1)} km d'un lieu d'accompagnement"
                if dist["median_km"] > 0 else "dans une commune où se trouve un lieu d'accompagnement")
        out.append(f"La moitié des accompagnements se situent {half}, 80 % à moins de "
                   f"{fr_number(dist['p80_km'], digits=1)} km.")
    model = summary.model if not summary.model.table.empty else summary.model_density
    if not model.table.empty:
        out.append(describe_model(model, alpha=alpha))
    _, test = summary.trends["rural"]
    if not np.isnan(test["p_value"]):
        if test["p_value"] < alpha:
            trend = "augmente" if test["direction"] > 0 else "diminue"
            out.append(f"La part rurale {trend} d'une année sur l'autre (test de tendance, {fr_p(test['p_value'])}).")
        else:
            out.append(f"La part rurale ne montre pas de tendance nette d'une année sur l'autre "
                       f"(test de tendance, {fr_p(test['p_value'])}).")
    return " ".join(out)


def network_reading(ctx: ReportContext, analysis: NetworkAnalysis | None, *, alpha: float = 0.05) -> str:
    """A French reading of the networking effects: did co-presence become collaboration?"""
    if analysis is None:
        return "Ce territoire n'a pas de données de réseau (acteurs, rencontres, collaborations) : chapitre sans objet."
    level = int(round(100 * (1 - alpha)))
    split = f"{ctx.territory.split_date:%d/%m/%Y}"
    first, second = (p.label for p in analysis.periods[:2])
    ch, c, m, q = analysis.change, analysis.conversion, analysis.model, analysis.qap
    out = [f"Avant le {split}, {len(analysis.active[first])} acteurs étaient actifs et {ch['ties_before']} liens de "
           f"collaboration étaient déclarés ; après, {len(analysis.active[second])} acteurs et {ch['ties_after']} liens "
           f"({ch['new']} nouveaux, {ch['kept']} maintenus, {ch['lost']} arrêtés ; stabilité de Jaccard "
           f"{fr_number(ch['jaccard'], digits=2)})."]
    if c.met_total and c.unmet_total:
        out.append(
            f"Parmi les paires d'acteurs qui s'étaient côtoyées aux rencontres avant le {split} sans travailler "
            f"ensemble, **{fr_percent(c.risk_met)}** ont commencé à collaborer ensuite, contre "
            f"{fr_percent(c.risk_unmet)} des paires qui ne s'étaient pas croisées")
        if np.isfinite(c.ci_low):
            verdict = ("une différence nette" if c.ci_low > 1 else
                       "moins souvent" if c.ci_high < 1 else "sans différence nette")
            out[-1] += (f" : rapport de risques brut {fr_number(c.risk_ratio, digits=2)} (IC {level} % "
                        f"{fr_number(c.ci_low, digits=2)} à {fr_number(c.ci_high, digits=2)}), {verdict}.")
        else:
            out[-1] += "."
    if not m.table.empty:
        row = m.table.set_index("term").loc["copresence"]
        out.append(f"Dans un modèle logistique brut, à caractéristiques comparables (type, secteur, commune, QPV, "
                   f"distance) mais sans tenir compte de l'activité des acteurs, chaque rencontre partagée va de pair "
                   f"avec une chance de nouvelle collaboration multipliée par {fr_number(row['odds_ratio'], digits=2)} "
                   f"(IC {level} % {fr_number(row['ci_low'], digits=2)} à {fr_number(row['ci_high'], digits=2)}).")
    if np.isfinite(q.statistic):
        found = "trouve une" if q.p_value < alpha else "ne trouve pas de"
        out.append(f"Un test de permutation (QAP, {q.permutations} permutations) qui traite tous les acteurs comme "
                   f"interchangeables {found} corrélation brute entre co-présence "
                   f"et collaboration ultérieure ({fr_p(q.p_value)}) ; comme il ignore que les acteurs "
                   "actifs se rencontrent et collaborent davantage, il ne confirme pas un effet des rencontres.")
    if c.met_total and c.unmet_total:
        adjusted = getattr(analysis, "effect", None)
        out.append("Ces comparaisons sont **brutes** : " + (
            "l'estimation ajustée ci-dessus est celle à retenir." if adjusted is not None and adjusted.estimable else
            "elles ne séparent pas l'effet des rencontres de celui de l'activité des acteurs."))
    return " ".join(out)


def network_effect_reading(effect: NetworkEffect | None, falsification: Falsification | None = None,
                           qap: QAPResult | None = None, *, split_date: object = None, strata: int = 5,
                           alpha: float = 0.05) -> str:
    """A French reading of the adjusted networking effect, in markdown, from typed results only.

    Leads with the estimate adjusted for each actor's propensity to form ties (or says
    plainly that the data cannot separate meeting from activity), names the model and why
    it was used, then the falsification test, the E-value sentence and the QAP stratified
    by activity. Takes the results of :mod:`evaluation.network_effect` (``None`` for any
    that is missing) and returns markdown.
    """
    from .indicators import EFFECT_REASONS

    if effect is None:
        return ""
    level = int(round(100 * (1 - alpha)))
    when = f" avant le {pd.Timestamp(split_date):%d/%m/%Y}" if split_date is not None else " avant"

    def ratio(e: NetworkEffect) -> str:
        return (f"{fr_number(e.estimate, digits=2)} (IC {level} % {fr_number(e.ci_low, digits=2)} à "
                f"{fr_number(e.ci_high, digits=2)}, {fr_p(e.p_value)})")

    if not effect.estimable:
        return (f"**Les données ne permettent pas de séparer l'effet des rencontres de celui de l'activité des "
                f"acteurs** ({EFFECT_REASONS.get(effect.reason, effect.reason)}). Les comparaisons ci-dessous sont "
                "brutes : les acteurs les plus actifs participent davantage aux rencontres et nouent davantage de "
                "liens, rencontres ou non ; elles ne mesurent donc pas l'effet des rencontres.")
    out = []
    if effect.ci_low > 1:
        out.append(f"**À propension des acteurs égale, les paires qui s'étaient côtoyées aux rencontres{when} ont "
                   f"eu plus souvent une nouvelle collaboration ensuite** : rapport {ratio(effect)}.")
    elif effect.ci_high < 1:
        out.append(f"**À propension des acteurs égale, les paires qui s'étaient côtoyées aux rencontres{when} ont "
                   f"eu moins souvent une nouvelle collaboration ensuite** : rapport {ratio(effect)}.")
    else:
        out.append(f"**Une fois prise en compte la propension de chaque acteur à nouer des liens, les données ne "
                   f"permettent pas de séparer l'effet des rencontres de celui de l'activité des acteurs** : rapport "
                   f"{ratio(effect)}, un intervalle qui contient 1 (aucune différence). Un écart brut entre paires qui "
                   "se sont côtoyées et paires qui ne se sont pas croisées peut venir de ce que les acteurs les plus "
                   "actifs participent davantage aux rencontres et collaborent davantage, rencontres ou non.")
    why = EFFECT_REASONS.get(effect.reason, effect.reason)
    if effect.model == "actor_fixed_effects":
        out.append(f"Modèle : régression de Poisson sur les {fr_number(effect.n_pairs)} paires d'acteurs sans "
                   "collaboration avant, avec un effet fixe pour chaque acteur, qui absorbe sa propension générale à "
                   "nouer des liens : la comparaison porte sur des paires des mêmes acteurs qui se sont plus ou moins "
                   "côtoyées (Santos Silva et Tenreyro, 2006 ; Graham, 2017), avec des erreurs types robustes aux "
                   f"dépendances entre paires partageant un acteur. Ce modèle est retenu car les données comptent "
                   f"{why} ({fr_number(effect.n_new_ties)} nouveaux liens, {fr_number(effect.n_actors_with_ties)} "
                   "acteurs).")
    else:
        out.append(f"Modèle : régression de Poisson sur les {fr_number(effect.n_pairs)} paires d'acteurs sans "
                   "collaboration avant, ajustée sur l'activité antérieure des deux acteurs (rencontres suivies, liens "
                   f"de collaboration), avec des erreurs types robustes aux dépendances entre paires. Un effet fixe par "
                   f"acteur n'a pas pu être retenu ({why} : {fr_number(effect.n_new_ties)} nouveaux liens, "
                   f"{fr_number(effect.n_actors_with_ties)} acteurs) ; cet ajustement ne retire que la part mesurée de "
                   "l'activité, et l'estimation reste fragile.")
    if falsification is not None:
        f = falsification.effect
        if not f.estimable:
            out.append(f"Le test de falsification n'a pas pu être mené ({EFFECT_REASONS.get(f.reason, f.reason)}).")
        else:
            verdict = ("**signal d'alerte** : le modèle laisse une part de sélection, et l'effet estimé ci-dessus est "
                       "sans doute surestimé." if falsification.warning else
                       "pas d'association nette, ce qui est rassurant sans être une preuve.")
            out.append(f"Test de falsification : les rencontres d'après la date charnière ne peuvent pas avoir causé "
                       f"les collaborations qui existaient déjà avant ; avec le même type de modèle, elles y sont "
                       f"associées par un rapport {ratio(f)} : {verdict}")
    if np.isfinite(effect.e_value) and effect.estimate != 1:
        sentence = (f"Sensibilité : pour expliquer entièrement ce rapport au-delà de la propension de chaque acteur, "
                    f"un facteur de confusion non mesuré devrait multiplier par au moins "
                    f"{fr_number(effect.e_value, digits=1)} à la fois la chance de se côtoyer et celle de collaborer "
                    "(valeur E, VanderWeele et Ding, 2017)")
        if effect.e_value_ci > 1:
            sentence += (f" ; pour que l'intervalle de confiance atteigne 1, par au moins "
                         f"{fr_number(effect.e_value_ci, digits=1)}.")
        else:
            sentence += " ; l'intervalle contient déjà 1."
        out.append(sentence)
    if qap is not None and np.isfinite(qap.statistic):
        found = "trouve un" if qap.p_value < alpha else "ne trouve pas de"
        out.append(f"Un test de permutation (QAP, {qap.permutations} permutations) qui n'échange que des acteurs de "
                   f"même niveau d'activité ({strata} classes selon le nombre de rencontres suivies avant) {found} "
                   f"lien entre co-présence et nouvelles collaborations ({fr_p(qap.p_value)}) ; il ne tient compte de "
                   "l'activité que par classes et ne remplace pas l'estimation ajustée.")
    return " ".join(out)


def provenance_table(ctx: ReportContext) -> pd.DataFrame:
    """Inputs and versions behind a report: package version, parameters, reference editions,
    SHA-256 of every input file, date of the run."""
    import json

    from ._io import sha256_file
    from .reference import REFERENCE_CSV, REFERENCE_PROVENANCE

    paths = get_paths()
    rows = [("Paquet evaluation", __version__), ("Python", platform.python_version()),
            ("Date d'exécution", dt.date.today().isoformat())]
    rows += [(f"Paramètre {k}", "(défaut)" if v is None else v) for k, v in ctx.parameters.items()]
    ref_dir = Path(ctx.parameters["reference_dir"]) if ctx.parameters.get("reference_dir") else paths.reference
    prov_file = ref_dir / REFERENCE_PROVENANCE
    if prov_file.is_file():
        prov = json.loads(prov_file.read_text(encoding="utf-8"))["sources"]
        rows.append(("Grille de densité (INSEE)", f"{prov['density']['file']} (population {prov['density'].get('population_year')}), "
                                                   f"sha256 {prov['density']['sha256'][:16]}…"))
        rows.append(("Communes (INSEE, IGN)", prov["communes"]["from"]))
    rows.append((f"Référentiel {REFERENCE_CSV}", f"sha256 {sha256_file(ref_dir / REFERENCE_CSV)[:16]}…"))
    terr_file = Path(ctx.parameters["territories_file"]) if ctx.parameters.get("territories_file") else paths.territories
    rows.append((f"Territoires {terr_file.name}", f"sha256 {sha256_file(terr_file)[:16]}…"))
    rows += [(f"Fichier {info['file']}", f"sha256 {info['sha256'][:16]}…") for info in ctx.dataset.files.values()]
    pseudo = ctx.dataset.pseudonyms
    stability = "stables entre exécutions" if pseudo.get("stable") else "clé aléatoire, non stables entre exécutions"
    rows.append(("Pseudonymes (HMAC-SHA256)", f"empreinte de la clé {pseudo.get('fingerprint', '?')}, {stability}"))
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])


# --------------------------------------------------------------------------- rendering
def _export_html(notebook: Path, html: Path, *, title: str) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.log.setLevel(logging.ERROR)  # figures have titles and sources, not alt text
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:  # scrapbook's glued values are data for the index page, not for readers
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not any(k.startswith("application/scrapbook") for k in o.get("data", {}))]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html.write_text(re.sub(r"<html[^>]*>", '<html lang="fr">', body, count=1), encoding="utf-8")


def render_report(territory: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None,
                  reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                  timeout: int = 900, kernel_name: str | None = None, validate: bool = True) -> Path:
    """Execute the report notebook for one territory and export it to HTML.

    Inputs are validated first: an unknown territory or invalid data raise before
    anything is written. Outputs go to ``out_dir/<territory>/report.ipynb`` and
    ``report.html``, replacing the previous ones only when both are complete. If the
    notebook fails, the executed notebook (with the error cell) is kept as
    ``report.failed.ipynb`` and :class:`ReportError` is raised.

    Parameters
    ----------
    timeout
        Seconds allowed to each cell (papermill's ``execution_timeout``).
    kernel_name
        Jupyter kernel; default the project's ``evaluation`` kernel, installed into
        this environment if missing.
    validate
        Check the territory and the data first (``False`` when the caller already did,
        as :func:`evaluation.batch.render_batch` does once for all territories).
    """
    import papermill as pm

    from .kernel import ensure_kernel

    if not SLUG_PATTERN.match(territory):
        raise ConfigError(f"invalid territory name {territory!r}")
    paths = get_paths()
    terr = get_territory(territory, territories_file)
    if validate:  # before writing anything (a batch validates once for all its runs)
        reference = load_reference(reference_dir)
        territory_communes(terr, reference)
        load_dataset(Path(data_dir) if data_dir else paths.sample, reference=reference, reference_dir=reference_dir,
                     territories=list(load_territories(territories_file)))
    out_root = Path(out_dir) if out_dir is not None else paths.reports
    target = out_root / territory
    kernel = kernel_name or ensure_kernel()
    out_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{territory}.run.", dir=out_root))
    params = {"territory": territory, "output_dir": str(work),
              "data_dir": str(Path(data_dir).resolve()) if data_dir else None,
              "reference_dir": str(Path(reference_dir).resolve()) if reference_dir else None,
              "territories_file": str(Path(territories_file).resolve()) if territories_file else None}
    try:
        executed = work / "report.ipynb"
        with shared_run_key():  # one key for this run, even when none is configured
            try:
                pm.execute_notebook(str(paths.report_notebook), str(executed), parameters=params,
                                    kernel_name=kernel, execution_timeout=timeout, cwd=str(paths.root),
                                    progress_bar=False, log_output=False, report_mode=True)
            except Exception as exc:
                target.mkdir(parents=True, exist_ok=True)
                if executed.exists():
                    shutil.move(executed, target / "report.failed.ipynb")
                raise ReportError(f"report {territory!r} failed: {exc}; executed notebook kept in "
                                  f"{target / 'report.failed.ipynb'}") from exc
        _export_html(executed, work / "report.html", title=f"Rapport d'évaluation — {terr.label}")
        with atomic_dir(target) as tmp:
            for name in ("report.ipynb", "report.html", "indicators.csv", "indicators.xlsx", "reseau"):
                if (work / name).exists():
                    shutil.move(work / name, tmp / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / "report.html"

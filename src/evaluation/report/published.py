"""What a report may show: the publication's typed results, with withheld cells blanked (built by :func:`evaluation.report.publication.publish`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation.geo.territory import Territory
from evaluation.measures.network.analysis import NetworkAnalysis
from evaluation.measures.reach.distance import DistanceSummary
from evaluation.measures.reach.shares import Coverage, GoodnessOfFit
from evaluation.measures.snapshot import Snapshot
from evaluation.report.secrecy.cells import Publishable
from evaluation.report.secrecy.disclosure import Disclosure

__all__ = ["Estimate", "PublishedModel", "PublishedEffect", "PublishedMechanisms", "NetworkPublication",
           "VenuePublication", "OutcomesPublication", "Publication"]


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
        """Whether the estimate is printed (estimable and not withheld)."""
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
    number is not finite.
    """
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
    (see :func:`evaluation.measures.network.effect.network_effect` and :func:`~evaluation.report.publication.publish`).

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
class PublishedMechanisms:
    """Dose, timing, venues, structure, equivalence, bridging and boundary as published
    (:func:`evaluation.report.mechanisms.publish_mechanisms`).

    Every table of ratios has ``term`` (or its key), ``ratio``, ``ci_low``, ``ci_high``,
    ``p_value``, ``estimable`` and ``reason`` (a code of
    :data:`evaluation.measures.network.models.REASONS`); numbers are NaN where not estimable
    or withheld. Ratios of the two-period pair table are withheld with the conversion counts
    (``withheld``), as the headline estimate; a venue's row with its count of new ties.
    """

    model: str | None  # of the headline estimate, used by every model below
    withheld: bool  # the two-period ratios are withheld (conversion counts withheld)
    dose: pd.DataFrame  # model (count, classes, size, newman, kinds), term, ratio, ci_low, ci_high, p_value, ...
    dose_per_event: Estimate  # the indicator effet_reseau_dose
    small_threshold: float  # small events have at most this many participants
    small_vs_large: Estimate  # ratio per small shared event ÷ ratio per large one
    kind_labels: dict[str, str]  # term → kind as written in the events table
    structure: pd.DataFrame  # terms met, common_partners
    structure_controls: list[str]  # pair controls of the models (codes of CONTROLS)
    equivalence: dict  # verdict, margin, p_value, low, high (the 1 − 2α interval), estimable
    mixing: pd.DataFrame  # attribute, period, actors, group_actors, ties, bridging, share, expected, low, high, p_value
    bridging: pd.DataFrame  # attribute, term (met_bridging, met_within), ratio, …
    discrete_time: Estimate  # the discrete-time model's ratio (met before the window)
    discrete_time_model: str | None
    discrete_time_reason: str | None
    windows: list[str]
    panel_rows: int  # pair-windows at risk
    panel_ties: int  # first ties in the windows
    event_study: pd.DataFrame  # bin, ratio, ci_low, ci_high, p_value, rows, cohorts
    split: pd.DataFrame  # shift, split, ratio, ci_low, ci_high, new_ties, estimable, reason
    venues: pd.DataFrame | None  # venue, events, participants, pairs_met, new_ties (NaN withheld), suppressed,
    #                               ratio, ci_low, ci_high, p_value, estimable, reason (rows: each venue, "all", "elsewhere")
    venue_effect: Estimate | None  # all venues together (the indicator effet_tiers_lieu)
    boundary: dict  # the fields of evaluation.measures.network.boundary.Boundary (None: withheld)
    sampled: bool  # rows without a tie were sampled (large networks)
    attributes_withheld: bool = False  # counts of actors by QPV, rurality or origin withheld


@dataclass
class NetworkPublication:
    """What the network chapter publishes (counts of actors and ties describe the network and
    are published; conversion counts are protected).
    """

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
    mechanisms: PublishedMechanisms | None = None  # dose, timing, venues, structure, bridging (None: not measured)


@dataclass
class VenuePublication:
    """The tiers-lieu's reach as published (withheld cells blanked)."""

    label: str
    events: int
    participants: int | None  # None: withheld (it equals the count of first visits)
    returning: Estimate  # share of participants who came back (Wilson interval)
    origins: pd.DataFrame
    participations: pd.DataFrame
    monthly: pd.DataFrame


@dataclass
class OutcomesPublication:
    """What became of the structures, their jobs, and at what cost, as published
    (:func:`evaluation.report.outcomes.publish_outcomes`; withheld cells blanked, ``suppressed`` set).

    ``counts``: ``structures``, ``followed``, ``unknown_last``, ``closures``, ``not_created``,
    ``origin_end_date`` (``None`` when withheld). ``survival``: one row per grouping, group and
    time (``structures``, ``survival``, ``ci_low``, ``ci_high``, ``suppressed``; ``at_risk`` and
    ``closures_by`` are never shown). ``curves``: the Kaplan–Meier curve of every structure
    followed and of each programme, cut where fewer than the threshold remain observed (``None``
    when the group is withheld). ``tests``: the log-rank test per grouping. ``jobs``: one row per
    anniversary (``dominated`` when the p % rule withholds its totals). ``costs``: the cost
    ratios (``None`` without ``costs.csv``). ``benchmarks``: each published reference figure
    beside our estimate (blank when withheld).
    """

    counts: dict[str, int | None]
    survival: pd.DataFrame
    curves: dict[str, pd.DataFrame | None]
    tests: dict[str, Estimate]
    jobs: pd.DataFrame
    costs: dict | None
    benchmarks: pd.DataFrame
    threshold: int = 5


@dataclass
class Publication:
    """Everything a report shows, after disclosure control and estimability checks (see
    :func:`~evaluation.report.publication.publish`). Every sentence, table, figure, indicator file and headline figure is
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
    quotes: pd.DataFrame  # theme, text (codes in words), actor_kind, speaker (a generic role), year, testimony_id
    testimonies: int  # shown only when ``testimonies_shown`` (the indicator is not withheld)
    venue_origins: pd.DataFrame | None
    venue_participations: pd.DataFrame | None
    conversion_hidden: tuple[bool, bool]
    trends: dict[str, pd.DataFrame]
    decay: pd.DataFrame
    conversion_counts: pd.DataFrame | None = None  # met/unmet: new ties (blanked when withheld), pairs
    network_counts: pd.DataFrame | None = None  # the network annex's protected counts (key, count, suppressed)
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
    fit: dict[str, GoodnessOfFit | None] = field(default_factory=dict)  # None: withheld
    trend_tests: dict[str, Estimate] = field(default_factory=dict)  # value = z
    coverage: Coverage | None = None
    lorenz: pd.DataFrame | None = None
    gini: float = float("nan")
    gini_population: float = float("nan")
    distance: DistanceSummary | None = None  # None: no site declared
    sites: list[str] = field(default_factory=list)
    context_communes: gpd.GeoDataFrame | None = None
    model: PublishedModel | None = None
    venue: VenuePublication | None = None
    network: NetworkPublication | None = None
    testimonies_shown: bool = True
    density_shares: pd.DataFrame | None = None  # shares by density level with Wilson intervals (the bar chart)
    warnings: list[str] = field(default_factory=list)  # codes of the warnings captured while computing
    provenance: pd.DataFrame | None = None
    # The territory beside its département, région and France (evaluation.report.sections.areas), protected.
    comparison: pd.DataFrame | None = None
    # "commune", or "departement" for France or a région (reached: one row per département;
    # evaluation.measures.reach.comparison.departement_geography), with the département × density
    # pairs the secrecy audit links, and the names of the départements shown.
    geography: str = "commune"
    area_classes: pd.DataFrame | None = None
    departement_names: dict[str, str] = field(default_factory=dict)
    snapshot: Snapshot | None = None  # the « état au » of the report
    evolution: object | None = None  # the comparison with a baseline edition (evaluation.report.editions.evolution)
    # Reach against its denominators (structures, QPV, target populations), protected
    # (evaluation.measures.reach.denominators.ReachDenominators; evaluation.report.sections.denominators).
    denominators: object | None = None
    outcomes: OutcomesPublication | None = None  # after the accompaniment (None: not measured)
    outcome_tables: dict[str, pd.DataFrame] | None = None  # their counts, as the secrecy audit links them
    survey: object | None = None  # the partner survey (evaluation.report.survey.SurveyPublication); None: no survey
    # How each coarsened table was coarsened (evaluation.report.secrecy.coarsen.Coarsened, by table:
    # density_label, epci_name, programme, trend:rural, trend:qpv, band, communes, origin, theme, monthly).
    coarsening: dict = field(default_factory=dict)
    commune_groups: pd.DataFrame | None = None  # the communes grouped for their small counts: count, communes
    venue_monthly: pd.DataFrame | None = None  # the tiers-lieu's activity by period (months, quarters or years)

    def publishable(self) -> Publishable:
        """The publication's count tables, as :mod:`evaluation.report.secrecy.audit` links them."""
        return Publishable(reached=self.reached, representation=self.representation, rates=self.rates,
                           qpv=self.qpv, rural_by_programme=self.rural_by_programme, trends=self.trends,
                           decay=self.decay if len(self.decay) else None, indicators=self.indicators,
                           venue_origins=self.venue_origins, venue_participations=self.venue_participations,
                           conversion=self.conversion_counts, themes=self.themes if len(self.themes) else None,
                           area_classes=self.area_classes, denominators=self.denominators,
                           outcomes=self.outcome_tables, network_counts=self.network_counts,
                           coarsening={k: c.mapping for k, c in self.coarsening.items()},
                           commune_groups=self.commune_groups, venue_monthly=self.venue_monthly)


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


def _publish_effect(net: NetworkAnalysis, *, hidden: bool, protect: Disclosure) -> PublishedEffect | None:
    """The adjusted effect, its E-values, falsification test and stratified QAP for publication:
    withheld when the conversion counts are (``hidden``).
    """
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



_BLANKED = ("count", "share", "ci_low", "ci_high", "rate", "rate_10k", "index", "expected_count", "annual",
            "annual_low", "annual_high")


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

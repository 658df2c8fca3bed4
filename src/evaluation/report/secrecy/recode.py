"""A report's tables coarsened before suppression (the rules of :mod:`evaluation.report.secrecy.coarsen`).

:func:`coarsen_reach` recodes the reach tables of one territory, :func:`coarsen_venue` the
tiers-lieu's, :func:`coarsen_themes` the testimonies' themes. Each returns the recoded tables
and, per table coarsened, a :class:`~evaluation.report.secrecy.coarsen.Coarsened` saying how.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.io.schema import split_themes
from evaluation.measures.reach.summary import ReachSummary
from evaluation.measures.reach.venue import VenueReach
from evaluation.report.secrecy.coarsen import (
    Coarsened,
    adjacent_groups,
    is_small,
    months_frequency,
    period_label,
    regroup_exposure,
    regroup_monthly,
    regroup_rates,
    regroup_shares,
    regroup_trend,
    side_groups,
    side_members,
    small_into_other,
    years_into_periods,
)

__all__ = ["CoarseReach", "coarsen_reach", "coarsen_venue", "coarsen_themes"]


@dataclass
class CoarseReach:
    """The reach tables of a report after coarsening (see :func:`coarsen_reach`)."""

    representation: dict[str, pd.DataFrame]
    rates: dict[str, pd.DataFrame]
    density_shares: pd.DataFrame
    rural_by_programme: pd.DataFrame
    trends: dict[str, pd.DataFrame]
    decay: pd.DataFrame
    reached: pd.DataFrame  # with ``grouped`` (bool) and ``distance_band`` (merged bands)
    commune_groups: pd.DataFrame | None  # group, communes, count, population
    coarsening: dict[str, Coarsened] = field(default_factory=dict)


def coarsen_reach(summary: ReachSummary, reached: pd.DataFrame, *, threshold: int, alpha: float,
                  geography: str = "commune", rates: dict[str, pd.DataFrame] | None = None) -> CoarseReach:
    """Coarsen the reach tables of a report where one of their counts is small.

    ``reached`` is the summary's table of communes (with ``distance_band`` when distances are
    measured); ``rates`` the rate tables the report shows (default the summary's).
    """
    rates = dict(summary.rates if rates is None else rates)
    representation = dict(summary.representation)
    coarsening: dict[str, Coarsened] = {}
    per_commune = reached[reached["density_label"].notna()]
    shares = summary.by["density_label"]
    # density levels, by side
    rep = representation["density_label"]
    present = rep.loc[rep["population"] > 0, "density_label"].astype(str)
    counts = dict(zip(rep["density_label"].astype(str), rep["count"], strict=True))
    groups = side_groups({k: counts[k] for k in present}, threshold=threshold)
    if groups and geography == "commune":
        groups = {g: tuple(lv for lv in side_members(g) if lv in counts) for g in groups}
        c = Coarsened("density_label", "levels_by_side", groups)
        order = rep["density_label"].astype(str).tolist()
        representation["density_label"], rates["density_label"] = regroup_exposure(
            per_commune, "density_label", c.mapping, order=order, alpha=alpha)
        shares = regroup_shares(shares, "density_label", c.mapping, alpha=alpha)
        coarsening["density_label"] = c
    # EPCI
    epci = rates.get("epci_name")
    if epci is not None and len(epci) >= 2:
        groups = small_into_other(epci.set_index(epci["epci_name"].astype(str))["count"], threshold=threshold,
                                  other="other_epci")
        if groups:
            c = Coarsened("epci_name", "small_into_other", groups)
            _, rates["epci_name"] = regroup_exposure(reached, "epci_name", c.mapping,
                                                     order=epci["epci_name"].astype(str).tolist(), alpha=alpha)
            coarsening["epci_name"] = c
    # programmes (the rural share of each)
    bp = summary.by_programme["urban_rural"]
    rural = bp[bp["urban_rural"].astype(str) == "rural"].reset_index(drop=True)
    if len(rural) >= 2:
        small = (is_small(rural["count"], threshold) | is_small(rural["total"] - rural["count"], threshold)
                 | is_small(rural["total"], threshold))
        groups = small_into_other(rural.set_index(rural["programme"].astype(str))["total"], threshold=threshold,
                                  other="other_programmes", small=small, allow_all=True)
        if groups and len(groups["other_programmes"]) == len(rural):  # every programme: one row for them all
            groups = {"all_programmes": groups["other_programmes"]}
        if groups:
            c = Coarsened("programme", "small_into_other", groups)
            rural = regroup_shares(rural, "programme", c.mapping, alpha=alpha, additive_total=True)
            coarsening["programme"] = c
    # years into periods
    trends = {}
    for key, (per_year, _) in summary.trends.items():
        table = per_year.assign(year_end=per_year["year"].astype(int),
                                period=[period_label(y, y) for y in per_year["year"].astype(int)])
        if len(per_year) >= 2 and (is_small(per_year["count"], threshold)
                                   | is_small(per_year["total"] - per_year["count"], threshold)).any():
            periods = years_into_periods(per_year, threshold=threshold)
            if len(periods) < len(per_year):
                table = regroup_trend(per_year, periods, alpha=alpha)
                coarsening[f"trend:{key}"] = Coarsened(
                    f"trend:{key}", "years_into_periods",
                    {period_label(a, b): tuple(str(y) for y in range(a, b + 1)) for a, b in periods if a != b})
        trends[key] = table
    # distance bands
    decay = summary.decay
    reached = reached.copy()
    if len(decay) and is_small(decay["count"], threshold).any():
        spans = adjacent_groups(decay["count"].tolist(), threshold=threshold)
        if len(spans) < len(decay):
            merged = regroup_rates(decay, "band", spans, alpha=alpha)
            labels = decay["band"].astype(str).tolist()
            groups = {new: tuple(labels[a:b + 1]) for new, (a, b) in zip(merged["band"], spans, strict=True) if a != b}
            c = Coarsened("band", "adjacent_bands", groups)
            decay = merged
            if "distance_band" in reached:
                reached["distance_band"] = reached["distance_band"].astype(object).map(
                    lambda v: c.mapping.get(str(v), v) if pd.notna(v) else v)
            coarsening["band"] = c
    # communes with small counts, as one group
    reached["grouped"] = False
    commune_groups = None
    if geography == "commune" and len(reached) > 1:
        hit = reached[reached["count"] > 0]
        groups = small_into_other(hit.set_index(hit["commune_code"].astype(str))["count"], threshold=threshold,
                                  other="other_communes", allow_all=True)
        if groups:
            members = reached["commune_code"].astype(str).isin(groups["other_communes"]).to_numpy()
            reached["grouped"] = members
            commune_groups = pd.DataFrame({"group": ["other_communes"], "communes": [int(members.sum())],
                                           "count": [int(reached.loc[members, "count"].sum())],
                                           "population": [int(reached.loc[members, "population"].sum())]})
            coarsening["communes"] = Coarsened("communes", "small_into_other", groups)
    return CoarseReach(representation, rates, shares, rural, trends, decay, reached, commune_groups, coarsening)


def coarsen_venue(venue: VenueReach, *, threshold: int, alpha: float
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Coarsened]]:
    """The tiers-lieu's origins (small ones into ``other_origins``) and its activity by the
    finest period without a small count (months, quarters or years), with what was coarsened.
    """
    coarsening = {}
    origins = venue.origins
    groups = small_into_other(origins.set_index(origins["origin"].astype(str))["count"], threshold=threshold,
                              other="other_origins")
    if groups:
        c = Coarsened("origin", "small_into_other", groups)
        origins = regroup_shares(origins, "origin", c.mapping, alpha=alpha)
        coarsening["origin"] = c
    freq = months_frequency(venue.monthly, threshold=threshold)
    monthly = regroup_monthly(venue.monthly, freq=freq)
    if freq != "M":
        coarsening["monthly"] = Coarsened("monthly", {"Q": "months_into_quarters", "Y": "months_into_years"}[freq])
    return origins, monthly, coarsening


def coarsen_themes(testimonies: pd.DataFrame, themes: pd.DataFrame, *, threshold: int, alpha: float
                   ) -> tuple[pd.DataFrame, Coarsened | None]:
    """Themes cited by fewer than ``threshold`` testimonies merged into ``other_themes``, whose
    count is the number of testimonies citing at least one of them (themes overlap).
    """
    if not len(themes):
        return themes, None
    counts = themes.set_index(themes["theme"].astype(str))["count"]
    small = is_small(counts.to_numpy(), threshold)
    if small.sum() < 2:
        return themes, None
    members = tuple(counts.index[small])
    union = int(split_themes(testimonies["themes"]).map(lambda t: bool(set(t) & set(members))).sum())
    c = Coarsened("theme", "small_into_other", {"other_themes": members})
    out = regroup_shares(themes, "theme", c.mapping, alpha=alpha, counts={"other_themes": union})
    order = np.argsort(-out["count"].to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True), c

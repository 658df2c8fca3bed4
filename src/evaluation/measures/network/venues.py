"""The tiers-lieu's own effect: co-presence at the venue's events against co-presence elsewhere.

A territory declares one venue or several (``territories.yml``, ``venue``: a mapping or a
list). A venue's events are those its ``organiser`` (an actor id) organised when the
venue names one, else those held in its commune, from the split date on — the rule of the
reach chapter (:func:`evaluation.measures.reach.venue.venue_reach`). Because the venue's
events begin at the split date, inside the two-period design's outcome window, the effect
is estimated in the discrete-time model (:mod:`evaluation.measures.network.timing`), with
two exposures dated to the previous window:

* ``met_venues`` — the pair attended an event of a venue together before the window;
* ``met_elsewhere`` — the pair attended an event of no venue together before the window;

(a pair may have both), and, with several venues, one ``met_venue_<k>`` per venue instead
of ``met_venues``. Each exposure has its rate ratio and interval; a reading names the
tiers-lieu only when its own interval excludes 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.measures.network.build import _period_attendance
from evaluation.measures.network.exposure import shared_events
from evaluation.measures.network.fe_poisson import PairDesign
from evaluation.measures.network.models import AdjustedModel
from evaluation.measures.network.timing import Panel, discrete_time_model

__all__ = ["VenueSpec", "venue_events", "VenueEffects", "venue_effects", "venue_subsets"]


@dataclass(frozen=True)
class VenueSpec:
    """A venue: its label, commune, optional organiser (actor id) and the date its events count from."""

    label: str
    commune: str | None = None
    organiser: str | None = None
    since: pd.Timestamp | None = None


def venue_events(events: pd.DataFrame, venue: VenueSpec) -> pd.Series:
    """Whether each event is one of ``venue``'s (boolean Series indexed by ``event_id``)."""
    if venue.organiser is not None and "organiser" in events:
        mine = events["organiser"].astype(str) == str(venue.organiser)
    else:
        mine = events["commune_code"].astype(str) == str(venue.commune)
    if venue.since is not None:
        mine &= events["date"] >= pd.Timestamp(venue.since)
    return pd.Series(mine.fillna(False).to_numpy(dtype=bool), index=events["event_id"].astype(str).to_numpy())


def venue_subsets(events: pd.DataFrame, venues: Sequence[VenueSpec]) -> dict[str, pd.Series]:
    """The event subsets of the panel: ``venue_<k>`` per venue, ``venues`` (any), ``elsewhere`` (none)."""
    masks = {f"venue_{k}": venue_events(events, v) for k, v in enumerate(venues)}
    anyv = np.zeros(len(events), dtype=bool)
    for m in masks.values():
        anyv |= m.to_numpy()
    index = events["event_id"].astype(str).to_numpy()
    return {**masks, "venues": pd.Series(anyv, index=index), "elsewhere": pd.Series(~anyv, index=index)}


@dataclass
class VenueEffects:
    """Each venue's reach and effect, and all of them together."""

    labels: list[str]
    reach: pd.DataFrame  # venue (label; "all"; "elsewhere"), events, participants, pairs_met, new_ties_after
    together: AdjustedModel  # terms met_venues, met_elsewhere
    each: AdjustedModel | None  # terms met_venue_<k>, met_elsewhere (None with one venue)


def venue_effects(panel: Panel, *, attendance: pd.DataFrame, events: pd.DataFrame, venues: Sequence[VenueSpec],
                  subsets: Mapping[str, pd.Series], model: str | None,
                  controls: Mapping[str, np.ndarray] | None = None, activity: pd.DataFrame | None = None,
                  alpha: float = 0.05, seed: int = 0, design: PairDesign | None = None, start=None) -> VenueEffects:
    """The venues' reach (events, participants, pairs of the universe who met there, first ties
    after meeting there) and the discrete-time models of the module on ``panel``, built with
    ``subsets`` (:func:`venue_subsets`).
    """
    t = panel.table
    att = _period_attendance(attendance, events, None)
    universe = set(panel.universe)
    rows = []
    names = [*(f"venue_{k}" for k in range(len(venues))), "venues", "elsewhere"]
    labels = [v.label for v in venues] + ["all", "elsewhere"]
    for name, label in zip(names, labels, strict=True):
        keep = subsets[name]
        ids = keep[keep].index
        here = att[att["event_id"].astype(str).isin(ids)]
        pairs = shared_events(here, events)
        inside = pairs["actor_a"].isin(universe) & pairs["actor_b"].isin(universe)
        col = f"met_{name}"
        rows.append({"venue": label, "events": int(len(ids)), "participants": int(here["actor_id"].nunique()),
                     "pairs_met": int(inside.sum()),
                     "new_ties_after": int((t[col].astype(bool) & t["new_tie"].astype(bool)).sum()) if col in t else 0})
    reach = pd.DataFrame(rows)
    common = dict(model=model, controls=controls, activity=activity, alpha=alpha, seed=seed, design=design,
                  start=start)
    together = discrete_time_model(panel, {"met_venues": t["met_venues"].to_numpy(float),
                                           "met_elsewhere": t["met_elsewhere"].to_numpy(float)},
                                   name="venues", **common)
    each = None
    if len(venues) > 1:
        terms = {f"met_venue_{k}": t[f"met_venue_{k}"].to_numpy(float) for k in range(len(venues))}
        each = discrete_time_model(panel, {**terms, "met_elsewhere": t["met_elsewhere"].to_numpy(float)},
                                   name="venues_each", **common)
    return VenueEffects([v.label for v in venues], reach, together, each)

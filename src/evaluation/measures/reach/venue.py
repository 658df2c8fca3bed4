"""The tiers-lieu's reach: where the actors attending its events come from, and its monthly activity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.shares import counts_and_shares
from evaluation.measures.stats import wilson_interval

__all__ = ["ORIGINS", "VISITS", "Returning", "VenueReach", "venue_reach"]


#: Codes of where a participant comes from, in the tables' order (French labels:
#: :data:`evaluation.report.tables.VENUE_LABELS`).
ORIGINS = ["qpv_of_commune", "rest_of_commune", "rest_of_epci", "rural_communes", "other_urban_communes"]
#: Codes of a participation — an actor's first event at the tiers-lieu, or a return.
VISITS = ["first_visit", "return_visit"]


@dataclass(frozen=True)
class Returning:
    """Participants who came back: ``returning`` of ``participants`` attended at least twice.

    ``share`` is ``returning / participants`` (NaN without participants), with its Wilson interval.
    """

    participants: int
    returning: int
    share: float
    ci_low: float
    ci_high: float


@dataclass
class VenueReach:
    """Reach of a venue (the tiers-lieu) from its events and their attendance."""

    events: int
    participants: int
    origins: pd.DataFrame  # origin, count, total, share, ci_low, ci_high
    participations: pd.DataFrame  # visit (``first_visit`` / ``return_visit``), count, share…
    monthly: pd.DataFrame  # month, events, participations, new_participants
    returning: Returning


def venue_reach(events: pd.DataFrame, attendance: pd.DataFrame, actors: pd.DataFrame, reference: pd.DataFrame,
                *, commune: str, since: object = None, until: object = None, alpha: float = 0.05) -> VenueReach:
    """Who comes to the events held in ``commune`` (from ``since``), and who comes back.

    Participants are the actors present at those events. Each is given one origin, the
    first that applies: the commune's QPV (actor in the commune and in a QPV), the rest
    of the commune, the rest of the commune's EPCI (the metropole for Chenôve), a rural
    commune (INSEE levels 5–7), another urban commune. A participation is a first visit
    when it is the actor's first event of the period, a return otherwise; the share of
    participants who come back is those with two events or more.

    Returns
    -------
    VenueReach
        Counts with Wilson intervals, and activity by month.
    """
    ev = events[events["commune_code"] == commune]
    if since is not None:
        ev = ev[ev["date"] >= pd.Timestamp(since)]
    if until is not None:
        ev = ev[ev["date"] < pd.Timestamp(until)]
    att = (attendance.merge(ev[["event_id", "date"]], on="event_id")
           .sort_values(["date", "event_id"], kind="stable"))
    att["first"] = ~att["actor_id"].duplicated()
    people = actors[actors["actor_id"].isin(att["actor_id"])]
    ref = pd.DataFrame(reference).set_index("commune_code")
    epci = ref["epci_siren"].get(commune)
    code = people["commune_code"].astype(str)
    here = (code == commune).to_numpy()
    qpv = people["in_qpv"].astype("boolean").fillna(False).to_numpy()
    same_epci = (code.map(ref["epci_siren"]) == epci).to_numpy()
    rural = (code.map(ref["urban_rural"]).astype(object) == RURAL).to_numpy()
    origin = np.select([here & qpv, here, same_epci, rural], ORIGINS[:4], default=ORIGINS[4])
    origins = counts_and_shares(pd.DataFrame({"origin": origin}), "origin", categories=ORIGINS, alpha=alpha)
    visits = pd.DataFrame({"visit": np.where(att["first"], VISITS[0], VISITS[1])})
    participations = counts_and_shares(visits, "visit", categories=VISITS, alpha=alpha)
    month = att["date"].dt.to_period("M")
    monthly = pd.DataFrame({
        "events": ev.groupby(ev["date"].dt.to_period("M"))["event_id"].nunique(),
        "participations": att.groupby(month).size(),
        "new_participants": att[att["first"]].groupby(month[att["first"]]).size(),
    }).fillna(0).astype("int64").rename_axis("month").reset_index()
    per_actor = att.groupby("actor_id").size()
    n, back = len(per_actor), int((per_actor >= 2).sum())
    low, high = wilson_interval(back, n, alpha=alpha)
    return VenueReach(events=len(ev), participants=n, origins=origins, participations=participations,
                      monthly=monthly, returning=Returning(participants=n, returning=back,
                                                           share=back / n if n else float("nan"),
                                                           ci_low=float(low), ci_high=float(high)))

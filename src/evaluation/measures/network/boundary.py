"""Who is in the network: the boundary of the actors studied, and what « left » can mean.

The network of a territory is made of the actors the organisation knows: those in its
``actors`` table located in the territory's communes, and those who attended an event held
there. Ties are those the organisation recorded between them (declared, so detection and
recall depend on the organisation's contact with each actor). Actors the organisation
never met are absent: the network is not the territory's whole economic fabric (Laumann,
Marsden & Prensky 1983 on the boundary specification problem).

An actor is **active** in a period when it attended an event or held a tie in it. Without
end dates, an actor active before and not after (« parti ») may have closed, moved, or just
stopped coming and declaring ties: the table cannot tell. When the ``actors`` table has the
optional ``end_date`` (and ``start_date``), those actors whose end date falls before the
end of the data are counted as having really left (and an actor whose start date is after
the split as having really arrived); the discrete-time model uses the dates to take actors
in and out of the risk set (:mod:`evaluation.measures.network.timing`).

References
----------
Laumann, E. O., Marsden, P. V. & Prensky, D. (1983). The boundary specification problem in
network analysis. In R. S. Burt & M. J. Minor (eds.), *Applied Network Analysis*, 18–34.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["Boundary", "boundary"]


@dataclass(frozen=True)
class Boundary:
    """Counts of the actors in and around a territory's network (see :func:`boundary`)."""

    known_here: int  # actors of the actors table located in the territory
    participants: int  # actors who attended at least one of the territory's events
    participants_from_outside: int  # of them located outside the territory
    never_attended: int  # actors located here who attended none of its events
    with_ties: int  # actors of the network with at least one recorded tie
    network: int  # actors of the network (located here or participants)
    left: int  # active in the first period and not in the second
    arrived: int  # active in the second period and not in the first
    dated: bool  # the actors table has start or end dates
    left_dated: int  # of those who left, with an end date before the end of the data
    arrived_dated: int  # of those who arrived, with a start date on or after the split


def boundary(actors: pd.DataFrame, attendance: pd.DataFrame, collaborations: pd.DataFrame, *,
             communes: Sequence[str], network: Sequence[str], active_before: Sequence[str],
             active_after: Sequence[str], split: object, data_end: object = None) -> Boundary:
    """The boundary counts of a territory's network.

    ``actors`` is the whole actors table (``actor_id``, ``commune_code``, optional
    ``start_date``/``end_date``); ``attendance`` and ``collaborations`` are the territory's;
    ``network`` its actors, ``active_before``/``active_after`` those active in each period.
    """
    ids = actors["actor_id"].astype(str)
    here = set(ids[actors["commune_code"].astype(str).isin(set(map(str, communes)))])
    came = set(attendance["actor_id"].astype(str))
    tied = set(collaborations["actor_a"].astype(str)) | set(collaborations["actor_b"].astype(str))
    members = set(map(str, network))
    before, after = set(map(str, active_before)), set(map(str, active_after))
    left, arrived = before - after, after - before
    dated = bool({"start_date", "end_date"} & set(actors.columns))
    info = actors.assign(actor_id=ids).set_index("actor_id")
    left_dated = arrived_dated = 0
    if "end_date" in info:
        ends = pd.to_datetime(info["end_date"]).reindex(sorted(left))
        limit = pd.Timestamp(data_end) if data_end is not None else pd.Timestamp.max
        left_dated = int((ends.notna() & (ends < limit)).sum())
    if "start_date" in info:
        starts = pd.to_datetime(info["start_date"]).reindex(sorted(arrived))
        arrived_dated = int((starts >= pd.Timestamp(split)).sum())
    return Boundary(known_here=len(here), participants=len(came), participants_from_outside=len(came - here),
                    never_attended=len(here - came), with_ties=len(members & tied), network=len(members),
                    left=len(left), arrived=len(arrived), dated=dated, left_dated=left_dated,
                    arrived_dated=arrived_dated)

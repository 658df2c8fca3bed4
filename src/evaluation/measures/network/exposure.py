"""Exposure of a pair to meetings: shared events counted, weighted by their size, split by kind or venue.

The report's first exposure was « met at least once ». Here a pair's exposure is built from
the events its two actors attended together, each event *e* with its number of participants
:math:`n_e`:

* the **count** :math:`k_{ab} = \\sum_e \\delta_a^e \\delta_b^e` (shared events);
* the **size-weighted** exposure of Newman's collaboration networks,
  :math:`w_{ab} = \\sum_e \\delta_a^e \\delta_b^e / (n_e - 1)`: an actor at an event of
  :math:`n_e` participants divides its attention among :math:`n_e - 1` others, so that a
  four-person working meeting counts 13 times as much as a forty-person forum;
* counts restricted to events of one **kind** (working meeting, workshop, forum…), to the
  **small** events (at most the median number of participants) or to one **venue**.

Each is one sparse product :math:`B D B^\\top` on the actor × event incidence matrix
:math:`B`, with :math:`D` the diagonal of the events' weights (1, :math:`1/(n_e-1)`, or 0
for the events left out).

References
----------
Newman, M. E. J. (2001). Scientific collaboration networks. II. Shortest paths, weighted
networks, and centrality. *Physical Review E* 64, 016132.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from evaluation.measures.network.build import Period, _period_attendance

__all__ = ["event_sizes", "shared_events", "pair_values", "dose_classes", "DOSE_CLASSES"]

#: Classes of the number of shared events (lower bound, label code), « 0 » being the reference.
DOSE_CLASSES = ((1, "1"), (2, "2-3"), (4, "4+"))


def event_sizes(attendance: pd.DataFrame, events: pd.DataFrame, *, period: Period | None = None) -> pd.Series:
    """Participants of each event of the period (duplicate attendance rows once), indexed by ``event_id``."""
    att = _period_attendance(attendance, events, period)
    return att["event_id"].astype(str).value_counts().rename("participants")


def shared_events(attendance: pd.DataFrame, events: pd.DataFrame, *, period: Period | None = None,
                  weighting: str = "count", keep: pd.Series | None = None) -> pd.DataFrame:
    """Pairs of actors with the events they shared, counted or weighted by size.

    .. math:: x_{ab} = \\sum_e \\delta_a^e \\delta_b^e \\, v_e, \\qquad
              v_e = 1 \\ (\\text{count}) \\quad\\text{or}\\quad v_e = \\frac{1}{n_e - 1} \\ (\\text{newman})

    ``keep`` (a boolean Series indexed by ``event_id``) restricts the events shared (a kind,
    a venue, the small ones); the sizes :math:`n_e` are those of the whole event. Returns
    ``actor_a`` < ``actor_b`` (strings) and ``weight`` (float), one row per pair with a
    positive value.
    """
    att = _period_attendance(attendance, events, period)
    att = att.assign(event_id=att["event_id"].astype(str), actor_id=att["actor_id"].astype(str))
    sizes = att["event_id"].value_counts()
    if keep is not None:
        kept = keep[keep].index.astype(str)
        att = att[att["event_id"].isin(kept)]
    empty = pd.DataFrame({"actor_a": pd.Series([], dtype=object), "actor_b": pd.Series([], dtype=object),
                          "weight": pd.Series([], dtype=float)})
    if att.empty:
        return empty
    a_codes, actors = pd.factorize(att["actor_id"], sort=True)
    e_codes, event_ids = pd.factorize(att["event_id"])
    n_e = sizes.reindex(event_ids).to_numpy(dtype=float)
    if weighting == "count":
        value = np.ones(len(event_ids))
    elif weighting == "newman":
        value = np.divide(1.0, n_e - 1, out=np.zeros_like(n_e), where=n_e > 1)
    else:
        raise ValueError(f"weighting must be 'count' or 'newman', got {weighting!r}")
    incidence = sp.csr_matrix((np.ones(len(att)), (a_codes, e_codes)), shape=(len(actors), len(event_ids)))
    shared = sp.triu(incidence @ sp.diags(value) @ incidence.T, k=1).tocoo()
    positive = shared.data > 0
    if not positive.any():
        return empty
    labels = np.asarray(actors, dtype=object)
    return pd.DataFrame({"actor_a": labels[shared.row[positive]], "actor_b": labels[shared.col[positive]],
                         "weight": shared.data[positive].astype(float)})


def pair_values(edges: pd.DataFrame, universe: Sequence[str], i: np.ndarray, j: np.ndarray, *,
                column: str = "weight") -> np.ndarray:
    """The value of ``edges[column]`` for each pair (``i``, ``j``: positions in the sorted ``universe``), 0 elsewhere."""
    ids = pd.Index(sorted(map(str, universe)))
    n = len(ids)
    a = ids.get_indexer(edges["actor_a"].astype(str))
    b = ids.get_indexer(edges["actor_b"].astype(str))
    inside = (a >= 0) & (b >= 0)
    if not inside.any():
        return np.zeros(len(i))
    r, c = np.minimum(a[inside], b[inside]), np.maximum(a[inside], b[inside])
    m = sp.csr_matrix((edges[column].to_numpy(dtype=float)[inside], (r, c)), shape=(n, n))
    return np.asarray(m[np.minimum(i, j), np.maximum(i, j)]).ravel()


def dose_classes(count: np.ndarray) -> dict[str, np.ndarray]:
    """0/1 columns of the classes of shared events (:data:`DOSE_CLASSES`; 0 events is the reference)."""
    count = np.asarray(count, dtype=float)
    bounds = [lo for lo, _ in DOSE_CLASSES] + [np.inf]
    return {f"shared_{code}": ((count >= lo) & (count < hi)).astype(float)
            for (lo, code), hi in zip(DOSE_CLASSES, bounds[1:], strict=True)}

"""Dose and event type: whether more shared events, or smaller ones, or some kinds, go with more new ties.

On the two-period pair table (pairs not tied before, new tie after), with the model of the
headline estimate (actor fixed effects, or prior-activity controls), the pair controls, and
as exposure in turn (:mod:`evaluation.measures.network.exposure`):

* ``count`` — the number of shared events before: :math:`e^\\beta` is the rate ratio **per
  additional shared event** (the indicator ``effet_reseau_dose``);
* ``classes`` — 1, 2–3 and 4 or more shared events against none: the shape of the
  dose–response without assuming it log-linear;
* ``size`` — shared *small* events (at most the median number of participants of the
  period's events) and shared *large* ones, each counted: whether smaller meetings go with
  more new ties than larger ones (their ratio per event, side by side);
* ``newman`` — the size-weighted exposure :math:`\\sum_e 1/(n_e - 1)` (Newman 2001), in
  units of one shared event of ten participants (:math:`9/(n_e-1)` each);
* ``kinds`` — shared events of each kind (``events.kind``: working meeting, workshop,
  forum…) counted separately, in one model.

References
----------
Newman, M. E. J. (2001), see :mod:`evaluation.measures.network.exposure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.measures.network.build import Period, _period_attendance
from evaluation.measures.network.exposure import dose_classes, pair_values, shared_events
from evaluation.measures.network.fe_poisson import FEPoissonFit, PairDesign
from evaluation.measures.network.models import AdjustedModel, adjusted_model

__all__ = ["Dose", "dose_terms", "dose_response", "NEWMAN_UNIT"]

#: Participants of the event that counts 1 in the size-weighted exposure (9/(n − 1) per event).
NEWMAN_UNIT = 10


@dataclass
class Dose:
    """The dose–response models of :func:`dose_response`."""

    count: AdjustedModel  # term "shared_events": ratio per additional shared event
    classes: AdjustedModel  # terms "shared_1", "shared_2-3", "shared_4+"
    size: AdjustedModel  # terms "small_events", "large_events"
    newman: AdjustedModel  # term "newman" (per shared event of NEWMAN_UNIT participants)
    kinds: AdjustedModel  # one term "kind:<kind>" per event kind
    small_threshold: float  # small events have at most this many participants
    kind_labels: dict[str, str]  # term → the kind as written in the events table
    median_shared: float  # median shared events among pairs who met


def dose_terms(dyad_table: pd.DataFrame, *, attendance: pd.DataFrame, events: pd.DataFrame, period: Period,
               universe: Sequence[str], max_kinds: int = 6) -> tuple[dict[str, dict[str, np.ndarray]], float,
                                                                     dict[str, str]]:
    """The exposure columns of the five dose models (model → term → one value per pair of
    ``dyad_table``), the small events' threshold and the kinds' terms (see the module).
    """
    i, j = dyad_table["i"].to_numpy(), dyad_table["j"].to_numpy()
    count = dyad_table["copresence"].to_numpy(dtype=float)
    ev = events[period.contains(events["date"])]
    att = _period_attendance(attendance, ev, None)
    sizes = att["event_id"].astype(str).value_counts()
    threshold = float(sizes.median()) if len(sizes) else float("nan")
    ids = ev["event_id"].astype(str)
    small = pd.Series(ids.map(sizes).fillna(0).to_numpy() <= threshold, index=ids.to_numpy())

    def values(keep: pd.Series | None, weighting: str = "count") -> np.ndarray:
        return pair_values(shared_events(att, ev, keep=keep, weighting=weighting), universe, i, j)

    kinds = ev["kind"].dropna().astype(str).value_counts() if "kind" in ev else pd.Series(dtype=int)
    chosen = [k for k in kinds.index[:max_kinds]]
    kind_terms = {f"kind:{k}": values(pd.Series((ev["kind"].astype(str) == k).to_numpy(), index=ids.to_numpy()))
                  for k in chosen} or {"kind:": np.zeros(len(dyad_table))}  # no kind recorded: nothing to split
    terms = {"count": {"shared_events": count}, "classes": dose_classes(count),
             "size": {"small_events": values(small), "large_events": values(~small)},
             "newman": {"newman": values(None, "newman") * (NEWMAN_UNIT - 1)}, "kinds": kind_terms}
    return terms, threshold, {f"kind:{k}": k for k in chosen}


def dose_response(dyad_table: pd.DataFrame, *, attendance: pd.DataFrame, events: pd.DataFrame, period: Period,
                  universe: Sequence[str], model: str | None, controls: Mapping[str, np.ndarray],
                  activity: pd.DataFrame | None = None, alpha: float = 0.05, seed: int = 0,
                  design: PairDesign | None = None, max_kinds: int = 6, weights: np.ndarray | None = None,
                  terms: tuple | None = None, start: FEPoissonFit | None = None) -> Dose:
    """The five dose models on ``dyad_table`` (:func:`evaluation.measures.network.build.dyads` of
    ``universe``), with the events of ``period`` (the earlier one).

    ``model`` is the headline estimate's; ``controls`` the pair controls (one array per
    column of the table). The ``max_kinds`` most frequent kinds get a term each (the
    others none: their events still count in ``count``). ``weights``: the rows' weights when
    ``dyad_table`` is a sample of the pairs; ``terms``: :func:`dose_terms` when already computed;
    ``start``: a fit to start the first model from (the others start from the first).
    """
    columns, threshold, kinds = terms or dose_terms(dyad_table, attendance=attendance, events=events, period=period,
                                                    universe=universe, max_kinds=max_kinds)
    common = dict(model=model, controls=controls, activity=activity, alpha=alpha, seed=seed, design=design,
                  weights=weights)
    fits = {"count": adjusted_model("dose_count", dyad_table, columns["count"], start=start, **common)}
    for name in ("classes", "size", "newman", "kinds"):
        fits[name] = adjusted_model(f"dose_{name}", dyad_table, columns[name], start=fits["count"].fit, **common)
    count = dyad_table["copresence"].to_numpy(dtype=float)
    met = count[count > 0]
    return Dose(fits["count"], fits["classes"], fits["size"], fits["newman"], fits["kinds"], threshold, kinds,
                float(np.median(met)) if len(met) else float("nan"))

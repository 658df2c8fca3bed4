"""Change between two waves of the survey, and for the actors who attended the events against those who did not.

The two waves' answers are put over the union of their rosters; the bootstrap resamples the
actors who answered at least once, each with its answers of both waves, so that an actor who
answered twice is compared with itself (a panel) and the interval of a change accounts for it
(:mod:`evaluation.measures.survey.bootstrap`). The change of a score is its value at the
second wave minus its value at the first.

**Attendees and non-attendees.** Actors are split by whether they attended at least one of
the territory's events between the two waves (the attendance sheets, known for respondents
and non-respondents alike). The change of each group's scores (the relationships its
respondents report) and the difference between the two changes (a difference in
differences) are given with their intervals. **This comparison does not measure the effect of
the events**: actors choose to come, and those who come may be those whose relationships
were improving anyway (self-selection); the difference says whether the two groups' paths
differ, not why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.measures.survey.bootstrap import DEFAULT_DRAWS, bootstrap_weights, percentile_interval
from evaluation.measures.survey.matrices import WaveMatrices
from evaluation.measures.survey.scores import SCORES, network_scores

__all__ = ["WaveChange", "wave_change", "GROUP_SCORES"]

#: Scores compared between attendees and non-attendees (not reciprocity, whose pairs cross the groups).
GROUP_SCORES = tuple(s for s in SCORES if s != "reciprocity")


@dataclass
class WaveChange:
    """Change between waves ``first`` and ``second``.

    ``changes``: ``score``, ``first``, ``second``, ``change``, ``low``, ``high``. ``groups``: the
    same per group (``attended`` true or false) with ``respondents_first``,
    ``respondents_second``. ``difference``: ``score``, ``value`` (attendees' change minus
    non-attendees'), ``low``, ``high``. ``panel``: actors who answered both waves.
    """

    first: str
    second: str
    changes: pd.DataFrame
    groups: pd.DataFrame
    difference: pd.DataFrame
    panel: int


def _estimates(m1: WaveMatrices, m2: WaveMatrices, w: np.ndarray, group: np.ndarray | None,
               scores: tuple[str, ...]) -> tuple[dict, dict]:
    mask = np.ones(m1.n, dtype=bool) if group is None else group
    return (network_scores(m1, w * (m1.responded & mask), scores=scores),
            network_scores(m2, w * (m2.responded & mask), scores=scores))


def wave_change(first: WaveMatrices, second: WaveMatrices, *, names: tuple[str, str],
                attended: pd.Series | None = None, alpha: float = 0.05, draws: int = DEFAULT_DRAWS,
                seed: int = 0) -> WaveChange:
    """Change of every score from ``first`` to ``second`` (see the module docstring).

    ``attended``: by ``actor_id``, whether the actor attended the territory's events between the
    waves (absent actors: not attended); without it, no group comparison.
    """
    ids = first.ids.union(second.ids)
    m1, m2 = first.restrict(ids), second.restrict(ids)
    units = m1.responded | m2.responded
    w = bootstrap_weights(units, draws=draws, seed=seed)
    one = units.astype(float)[None, :]
    point1, point2 = _estimates(m1, m2, one, None, SCORES)
    boot1, boot2 = _estimates(m1, m2, w, None, SCORES)
    rows = []
    for s in SCORES:
        low, high = percentile_interval(boot2[s] - boot1[s], alpha=alpha)
        rows.append({"score": s, "first": float(point1[s][0]), "second": float(point2[s][0]),
                     "change": float(point2[s][0] - point1[s][0]), "low": float(low), "high": float(high)})
    groups, difference = [], []
    if attended is not None:
        came = attended.reindex(ids).fillna(False).astype(bool).to_numpy()
        per_group = {}
        for flag, mask in ((True, came), (False, ~came)):
            p1, p2 = _estimates(m1, m2, one, mask, GROUP_SCORES)
            b1, b2 = _estimates(m1, m2, w, mask, GROUP_SCORES)
            per_group[flag] = {s: b2[s] - b1[s] for s in GROUP_SCORES}
            for s in GROUP_SCORES:
                low, high = percentile_interval(per_group[flag][s], alpha=alpha)
                groups.append({"attended": flag, "score": s, "respondents_first": int((m1.responded & mask).sum()),
                               "respondents_second": int((m2.responded & mask).sum()), "first": float(p1[s][0]),
                               "second": float(p2[s][0]), "change": float(p2[s][0] - p1[s][0]),
                               "low": float(low), "high": float(high)})
        table = pd.DataFrame(groups).set_index(["attended", "score"])
        for s in GROUP_SCORES:
            low, high = percentile_interval(per_group[True][s] - per_group[False][s], alpha=alpha)
            difference.append({"score": s, "value": table.loc[(True, s), "change"] - table.loc[(False, s), "change"],
                               "low": float(low), "high": float(high)})
    return WaveChange(names[0], names[1], pd.DataFrame(rows),
                      pd.DataFrame(groups, columns=["attended", "score", "respondents_first", "respondents_second",
                                                    "first", "second", "change", "low", "high"]),
                      pd.DataFrame(difference, columns=["score", "value", "low", "high"]),
                      int((m1.responded & m2.responded).sum()))

"""One wave's answers as actor × actor arrays over the roster.

Row ``i`` holds what respondent ``i`` says of each listed actor ``j``: the intensity of the tie
(0 none, 1 awareness … 4 integration), the trust score and the value score (PARTNER's scores:
the mean of the three trust items, of the three value items, over the items answered; Varda et
al. 2012). A non-respondent's row is empty. A partner the respondent knows but whose intensity
is not given counts as awareness (it was chosen among the actors the respondent knows). Ties
to structures outside the roster, and respondents outside it, are counted, not placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.io.schema import INTENSITY_LEVELS
from evaluation.io.survey.questions import TRUST_ITEMS, VALUE_ITEMS

__all__ = ["WaveMatrices", "wave_matrices", "tie_scores"]


@dataclass
class WaveMatrices:
    """A wave's answers over the roster ``ids`` (see the module docstring)."""

    ids: pd.Index
    responded: np.ndarray  # bool, N
    level: np.ndarray  # int8, N × N
    trust: np.ndarray  # float, N × N, NaN where no score
    value: np.ndarray
    outside_respondents: int = 0
    outside_ties: int = 0
    listed: int | None = None  # actors the wave's form listed, when ``ids`` is wider (see ``restrict``)

    @property
    def n(self) -> int:
        """Size of the arrays."""
        return len(self.ids)

    @property
    def n_listed(self) -> int:
        """Actors the wave's form listed (the denominators of densities)."""
        return self.n if self.listed is None else self.listed

    def restrict(self, ids: pd.Index) -> WaveMatrices:
        """The same answers over another set of ids (union of two waves' rosters): rows and columns
        of actors absent from this wave are empty.
        """
        pos = self.ids.get_indexer(ids)
        keep = pos >= 0
        size = len(ids)

        def grid(a: np.ndarray, fill: float) -> np.ndarray:
            out = np.full((size, size), fill, dtype=a.dtype)
            out[np.ix_(keep, keep)] = a[np.ix_(pos[keep], pos[keep])]
            return out

        responded = np.zeros(size, dtype=bool)
        responded[keep] = self.responded[pos[keep]]
        return WaveMatrices(ids, responded, grid(self.level, 0), grid(self.trust, np.nan), grid(self.value, np.nan),
                            self.outside_respondents, self.outside_ties, self.n_listed)


def tie_scores(ties: pd.DataFrame) -> pd.DataFrame:
    """Each tie's trust and value scores: the mean of its answered items (NaN when none is).

    .. math:: \\text{trust}_{ij} = \\frac{1}{|A_{ij}|} \\sum_{k \\in A_{ij}} x_{ijk}

    over the answered trust items :math:`A_{ij}` (reliability, mission, openness); likewise value
    (influence, involvement, resources).
    """
    trust = ties[list(TRUST_ITEMS)].astype("Float64").mean(axis=1, skipna=True)
    value = ties[list(VALUE_ITEMS)].astype("Float64").mean(axis=1, skipna=True)
    return pd.DataFrame({"trust": trust.astype(float), "value": value.astype(float)}, index=ties.index)


def wave_matrices(respondents: pd.DataFrame, ties: pd.DataFrame, roster: pd.Index) -> WaveMatrices:
    """Arrays of one wave (``respondents`` and ``ties`` of that wave only) over ``roster``."""
    ids = pd.Index(roster.astype(str), name="actor_id")
    n = len(ids)
    who = respondents["respondent"].astype(str)
    row_of = ids.get_indexer(who)
    responded = np.zeros(n, dtype=bool)
    responded[row_of[row_of >= 0]] = True
    i = ids.get_indexer(ties["respondent"].astype(str))
    j = ids.get_indexer(ties["partner"].astype(str))
    placed = (i >= 0) & (j >= 0) & (i != j)
    codes = pd.Categorical(ties["intensity"], categories=INTENSITY_LEVELS, ordered=True).codes.astype(np.int16)
    level = np.zeros((n, n), dtype=np.int8)
    level[i[placed], j[placed]] = np.where(codes[placed] >= 0, codes[placed] + 1, 1)
    scores = tie_scores(ties)
    trust, value = np.full((n, n), np.nan), np.full((n, n), np.nan)
    trust[i[placed], j[placed]] = scores["trust"].to_numpy()[placed]
    value[i[placed], j[placed]] = scores["value"].to_numpy()[placed]
    return WaveMatrices(ids, responded, level, trust, value, outside_respondents=int((row_of < 0).sum()),
                        outside_ties=int(((i >= 0) & (j < 0)).sum()))

"""The survey's scores, for the point estimate and every bootstrap draw at once.

Each function takes a wave's arrays (:class:`~evaluation.measures.survey.matrices.WaveMatrices`)
and weights ``w`` — one row per draw, one column per listed actor (1 for each respondent for
the point estimate; counts of a resample for a bootstrap draw, see
:mod:`evaluation.measures.survey.bootstrap`) — and returns one value per row. With respondents
:math:`R`, the roster's :math:`N` actors, reported intensity :math:`\\ell_{ij}` (0 none, 1
awareness … 4 integration), tie scores :math:`t_{ij}`, :math:`v_{ij}`:

* **trust** and **value** (PARTNER; Varda et al. 2012): the mean score over the ties
  respondents rate, :math:`\\sum_i w_i \\sum_j t_{ij} / \\sum_i w_i \\, |\\{j : t_{ij}\\ \\text{given}\\}|`;
* **intensity**: the mean level of the ties reported, 1 (awareness) to 4 (integration);
* **density of each kind of tie**: the share of (respondent, listed actor) pairs with a tie
  at least that intense, :math:`\\sum_i w_i |\\{j : \\ell_{ij} \\ge k\\}| / \\sum_i w_i (N-1)`
  — awareness counts every tie, integration only the strongest;
* **reciprocity**: among the ties a respondent reports with another respondent, the share the
  other reports too, :math:`\\sum_{ij} w_i w_j a_{ij} a_{ji} / \\sum_{ij} w_i w_j a_{ij} [j \\in R]`
  with :math:`a_{ij} = [\\ell_{ij} > 0]` (networkx's ``overall_reciprocity`` of the respondents'
  directed network, for unit weights).

Per actor, the **received** trust and value are the mean scores the respondents give it
(``raters`` of them), the basis of PARTNER's per-partner scores.

References
----------
Varda, D. M., Chandra, A., Stern, S. A. & Lurie, N. (2008). Core dimensions of connectivity in
public health collaboratives. *J. Public Health Management and Practice* 14(5), E1–E7.
Varda, D., Shoup, J. A. & Miller, S. (2012). A systematic review of collaboration and network
research in the public affairs literature. *American Journal of Public Health* 102(3), 564–571.
Wasserman, S. & Faust, K. (1994). *Social Network Analysis*. Cambridge University Press, ch. 13.
"""

from __future__ import annotations

import numpy as np

from evaluation.io.schema import INTENSITY_LEVELS
from evaluation.measures.survey.matrices import WaveMatrices

__all__ = ["SCORES", "DENSITY_SCORES", "network_scores", "received_scores", "pair_sums"]

DENSITY_SCORES = tuple(f"density_{level}" for level in INTENSITY_LEVELS)
#: The network's scores, in the order the report shows them.
SCORES = ("trust", "value", "intensity", *DENSITY_SCORES, "reciprocity")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


#: Draws × pairs held in memory at once by :func:`pair_sums` (32 MB of floats).
_CHUNK = 4_000_000


def pair_sums(w: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    r""":math:`\sum_e w_{b, i_e} w_{b, j_e}` for each row :math:`b` of ``w``, over the pairs ``(i, j)``,
    a block of draws at a time (a pair list of 20,000 ties and 2,000 draws stays within 32 MB).
    """
    w = np.atleast_2d(w)
    step = max(1, _CHUNK // max(i.size, 1))
    return np.concatenate([(w[k:k + step, i] * w[k:k + step, j]).sum(axis=1) for k in range(0, len(w), step)]
                          ) if len(w) else np.zeros(0)


def network_scores(m: WaveMatrices, weights: np.ndarray, *, scores: tuple[str, ...] = SCORES) -> dict[str, np.ndarray]:
    """The network's ``scores`` for each row of ``weights`` (see the module docstring)."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    tied = m.level > 0
    rated_t, rated_v = ~np.isnan(m.trust), ~np.isnan(m.value)
    out: dict[str, np.ndarray] = {}
    if "trust" in scores:
        out["trust"] = _ratio(w @ np.nansum(m.trust, axis=1), w @ rated_t.sum(axis=1))
    if "value" in scores:
        out["value"] = _ratio(w @ np.nansum(m.value, axis=1), w @ rated_v.sum(axis=1))
    if "intensity" in scores:
        out["intensity"] = _ratio(w @ m.level.sum(axis=1, dtype=float), w @ tied.sum(axis=1))
    pairs = w.sum(axis=1) * max(m.n_listed - 1, 0)
    for k, name in enumerate(DENSITY_SCORES, start=1):
        if name in scores:
            out[name] = _ratio(w @ (m.level >= k).sum(axis=1), pairs)
    if "reciprocity" in scores:  # over the ties between respondents: w_i w_j summed along edge lists
        between = tied & m.responded[None, :]
        i, j = np.nonzero(between)
        both = between[j, i]
        out["reciprocity"] = _ratio(pair_sums(w, i[both], j[both]), pair_sums(w, i, j))
    return out


def received_scores(m: WaveMatrices, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Per listed actor and row of ``weights``: the mean trust and value the respondents give it
    (``trust``, ``value``) and the number of respondents who rate it (``raters``, weighted).
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    rated_t, rated_v = (~np.isnan(m.trust)).astype(float), (~np.isnan(m.value)).astype(float)
    return {"trust": _ratio(w @ np.nan_to_num(m.trust), w @ rated_t),
            "value": _ratio(w @ np.nan_to_num(m.value), w @ rated_v),
            "raters": w @ (m.level > 0).astype(float)}

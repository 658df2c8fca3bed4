"""Bootstrap over respondents: weights drawn once, every score computed for all draws at once.

A bootstrap draw resamples the respondents with replacement (Efron & Tibshirani 1993, ch. 6);
it is written as a row of counts :math:`w_b` (how many times each actor is drawn, 0 for
non-respondents), so that a ratio score :math:`\\sum_i w_{bi} s_i / \\sum_i w_{bi} n_i` or a
pair score :math:`w_b^\\top S w_b` is one matrix product for all draws: no loop over draws,
respondents or pairs. Intervals are percentile intervals of the draws.

The draws treat the respondents as a random sample of the roster's actors: they say how much
a score would vary with who answered and how; they do not correct a non-response related to
what is measured (see :mod:`evaluation.measures.survey.nonresponse`). Against the scores the
network would have if every listed actor had answered, they are conservative (no
finite-population correction).

References
----------
Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_DRAWS", "bootstrap_weights", "percentile_interval"]

DEFAULT_DRAWS = 2000


def bootstrap_weights(units: np.ndarray, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> np.ndarray:
    """Counts of each actor in ``draws`` resamples of the units (``units``: a boolean mask over
    the actors), with replacement, of the units' number; 0 for the other actors.

    Returns a ``draws × len(units)`` array of non-negative integers whose rows sum to ``units.sum()``.
    """
    units = np.asarray(units, dtype=bool)
    k = int(units.sum())
    out = np.zeros((draws, units.size), dtype=np.float64)
    if k:
        rng = np.random.default_rng(seed)
        out[:, units] = rng.multinomial(k, np.full(k, 1.0 / k), size=draws)
    return out


def percentile_interval(draws: np.ndarray, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the draws (axis 0; linear
    interpolation, as :func:`numpy.quantile`), NaN draws left out; NaN when fewer than half the
    draws are finite.
    """
    draws = np.asarray(draws, dtype=float)
    ordered = np.sort(np.where(np.isfinite(draws), draws, np.nan), axis=0)  # NaN last
    count = np.isfinite(ordered).sum(axis=0)
    out = []
    for q in (alpha / 2, 1 - alpha / 2):
        pos = np.maximum(count - 1, 0) * q
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, np.maximum(count - 1, 0))
        lo = np.take_along_axis(ordered, below[None, ...], axis=0)[0]
        hi = np.take_along_axis(ordered, above[None, ...], axis=0)[0]
        out.append(np.where(count >= 0.5 * draws.shape[0], lo + (pos - below) * (hi - lo), np.nan))
    return out[0], out[1]

"""Non-response: the response rate, ties kept by a stated rule, bounds, respondents against non-respondents.

**Ties reported by one side.** A pair of listed actors may be reported by both, one or none of
them. Three rules make one undirected network of it (Wasserman & Faust 1994, §3.4; Borgatti,
Everett & Johnson 2013, ch. 5):

* ``or``: a tie when either side reports it (the union; the default);
* ``and``: a tie when every side that answered reports it — both, when both answered;
  the respondent's word, when the other did not;
* ``reciprocated``: a tie only when both answered and both report it; pairs with a
  non-respondent are left out.

The rule's density is the share of tied pairs among the pairs it can judge (pairs with at
least one respondent; with two, for ``reciprocated``), with a bootstrap interval over
respondents.

**Bounds.** The pairs of two non-respondents, and what a non-respondent would have said, are
unknown. Setting every unknown report to « no tie », then to « tie », gives the lowest and the
highest density over all :math:`N(N-1)/2` pairs the rule allows (Manski 2003, ch. 1): the
honest range when nothing is assumed about non-respondents.

**Who answered.** Respondents and non-respondents are compared on what is known of both (the
actors table and the attendance sheets): kind of actor (a permutation test of Pearson's
:math:`\\chi^2`, exact under the null for small cells), location in the territory and attendance
at its events (Fisher's exact test). A difference at level ``alpha`` flags a *possible bias*:
the scores describe respondents who differ from the roster on that variable, and any score
related to it may be biased.

References
----------
Manski, C. F. (2003). *Partial Identification of Probability Distributions*. Springer.
Borgatti, S. P., Everett, M. G. & Johnson, J. C. (2013). *Analyzing Social Networks*. Sage.
Kossinets, G. (2006). Effects of missing data in social networks. *Social Networks* 28(3), 247–268.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from evaluation.measures.stats import wilson_interval
from evaluation.measures.survey.matrices import WaveMatrices
from evaluation.measures.survey.scores import pair_sums

__all__ = ["Rule", "RULES", "ResponseRate", "response_rate", "rule_density", "density_bounds",
           "compare_respondents", "COMPARED"]

Rule = Literal["or", "and", "reciprocated"]
RULES: tuple[Rule, ...] = ("or", "and", "reciprocated")
#: What respondents and non-respondents are compared on (columns of the roster frame).
COMPARED = ("kind", "inside", "attended")


@dataclass(frozen=True)
class ResponseRate:
    """Respondents among the listed actors, with a Wilson interval."""

    listed: int
    respondents: int
    rate: float
    low: float
    high: float


def response_rate(responded: np.ndarray, *, alpha: float = 0.05) -> ResponseRate:
    """The share of listed actors who answered, with Wilson's interval."""
    n, k = int(np.size(responded)), int(np.sum(responded))
    low, high = wilson_interval(k, n, alpha=alpha)
    return ResponseRate(n, k, k / n if n else float("nan"), float(low), float(high))


def _pairs(m: WaveMatrices, rule: Rule, level: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Tied pairs of two respondents (upper and lower triangle both), each respondent's ties to
    non-respondents counted by the rule, and the number of non-respondents.
    """
    a = (m.level >= level) & m.responded[:, None]
    both = m.responded[:, None] & m.responded[None, :]
    tie = (a | a.T) if rule == "or" else (a & a.T)
    tie = tie & both
    np.fill_diagonal(tie, False)
    to_out = (a & ~m.responded[None, :]).sum(axis=1) if rule != "reciprocated" else np.zeros(m.n)
    return tie.astype(float), to_out.astype(float), int((~m.responded).sum())


def rule_density(m: WaveMatrices, weights: np.ndarray, *, rule: Rule = "or", level: int = 1) -> np.ndarray:
    """The density of ties at least ``level`` intense under ``rule``, among the pairs the rule judges,
    for each row of ``weights``.

    .. math:: d = \\frac{\\tfrac12 \\sum_{i \\ne j \\in R} w_i w_j\\, y_{ij} + \\sum_{i \\in R} w_i c_i}
                        {\\tfrac12 \\big[(\\sum_i w_i)^2 - \\sum_i w_i^2\\big] + \\sum_{i \\in R} w_i (N - |R|)}

    with :math:`y_{ij}` the rule's tie between respondents and :math:`c_i` respondent :math:`i`'s
    ties to non-respondents (both second terms dropped for ``reciprocated``).
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    tie, to_out, outside = _pairs(m, rule, level)
    i, j = np.nonzero(np.triu(tie, k=1))  # ties between respondents, each pair once
    within = pair_sums(w, i, j)
    pairs = 0.5 * (w.sum(axis=1) ** 2 - (w ** 2).sum(axis=1))
    if rule != "reciprocated":
        within, pairs = within + w @ to_out, pairs + w.sum(axis=1) * outside
    return np.divide(within, pairs, out=np.full(within.shape, np.nan), where=pairs > 0)


def density_bounds(m: WaveMatrices, *, rule: Rule = "or", level: int = 1) -> tuple[float, float]:
    """Lowest and highest density over all pairs of the roster, unknown reports set to « no tie »
    then to « tie » (see the module docstring).
    """
    n, r = m.n, int(m.responded.sum())
    total = n * (n - 1) / 2
    if total == 0:
        return float("nan"), float("nan")
    tie, to_out, outside = _pairs(m, rule, level)
    known, one_sided, neither = tie.sum() / 2, float(to_out.sum()), outside * (outside - 1) / 2
    if rule == "or":  # a non-respondent might report any pair its partner did not
        low, high = known + one_sided, known + r * outside + neither
    else:  # the other side's confirmation is unknown
        one_sided = float(((m.level >= level) & m.responded[:, None] & ~m.responded[None, :]).sum())
        low, high = known, known + one_sided + neither
    return low / total, high / total


def _chi2(responded: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Pearson's χ² of the respondents × category table for each row of ``responded`` (margins fixed)."""
    sizes = onehot.sum(axis=0)
    share = responded.sum(axis=1, keepdims=True) / onehot.shape[0]
    observed = responded @ onehot
    expected = share * sizes
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (observed - expected) ** 2 * (1 / expected + 1 / (sizes - expected))
    return np.nansum(np.where(np.isfinite(terms), terms, 0.0), axis=1)


def compare_respondents(roster: pd.DataFrame, responded: np.ndarray, *, alpha: float = 0.05,
                        permutations: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Respondents against non-respondents on :data:`COMPARED`.

    Returns the table (``variable``, ``category``, ``actors``, ``respondents``, ``rate``) and the
    tests (``variable``, ``method`` — ``permutation_chi2`` or ``fisher`` —, ``statistic``,
    ``p_value``, ``differs``: p below ``alpha``); a variable with a single category is not tested.
    """
    responded = np.asarray(responded, dtype=bool)
    rows, tests = [], []
    rng = np.random.default_rng(seed)
    for variable in (v for v in COMPARED if v in roster):
        values = roster[variable].astype(object).where(roster[variable].notna(), "inconnu").astype(str).to_numpy()
        categories, codes = np.unique(values, return_inverse=True)
        onehot = np.eye(len(categories))[codes]
        actors, answered = onehot.sum(axis=0), responded.astype(float) @ onehot
        rows += [{"variable": variable, "category": c, "actors": int(n), "respondents": int(k),
                  "rate": k / n if n else float("nan")} for c, n, k in zip(categories, actors, answered, strict=True)]
        if len(categories) < 2 or responded.all() or not responded.any():
            continue
        if len(categories) == 2:
            table = np.array([answered, actors - answered])
            stat, p = fisher_exact(table)
            tests.append({"variable": variable, "method": "fisher", "statistic": float(stat), "p_value": float(p)})
            continue
        observed = _chi2(responded[None, :].astype(float), onehot)[0]
        shuffled = np.argsort(rng.random((permutations, responded.size)), axis=1)
        draws = _chi2(responded[shuffled].astype(float), onehot)
        p = (1 + np.sum(draws >= observed - 1e-9)) / (permutations + 1)
        tests.append({"variable": variable, "method": "permutation_chi2", "statistic": float(observed),
                      "p_value": float(p)})
    table = pd.DataFrame(rows, columns=["variable", "category", "actors", "respondents", "rate"])
    tested = pd.DataFrame(tests, columns=["variable", "method", "statistic", "p_value"])
    return table, tested.assign(differs=tested["p_value"] < alpha)

"""Agreement between the survey's ties and the declared collaborations: Cohen's κ.

Over the pairs of listed actors the survey can judge (at least one respondent), a pair is a
survey tie when the rule (:mod:`evaluation.measures.survey.nonresponse`) finds a working tie
— cooperation or more, awareness alone is not working together — and a declared tie when a
collaboration of the collaborations table was active in the year before the wave's date.
With the 2 × 2 table :math:`n_{ab}` over :math:`n` pairs, :math:`p_o` the share of
agreement and :math:`p_e` the agreement expected from the margins alone,

.. math:: \\kappa = \\frac{p_o - p_e}{1 - p_e}

and its large-sample standard error (Fleiss, Cohen & Everitt 1969)

.. math:: \\mathrm{se}(\\kappa) = \\frac{\\sqrt{A + B - C}}{(1 - p_e)\\sqrt n},\\quad
          A = \\sum_a p_{aa}\\,[1 - (p_{a\\cdot} + p_{\\cdot a})(1 - \\kappa)]^2,\\;
          B = (1 - \\kappa)^2 \\sum_{a \\ne b} p_{ab} (p_{\\cdot a} + p_{b\\cdot})^2,\\;
          C = [\\kappa - p_e (1 - \\kappa)]^2.

Disagreements are counted (ties the survey finds that nobody declared, and declared ties the
survey does not find), never listed: the pairs are not named.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
Measurement* 20(1), 37–46.
Fleiss, J. L., Cohen, J. & Everitt, B. S. (1969). Large sample standard errors of kappa and
weighted kappa. *Psychological Bulletin* 72(5), 323–327.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from evaluation.measures.survey.matrices import WaveMatrices
from evaluation.measures.survey.nonresponse import Rule

__all__ = ["Agreement", "cohen_kappa", "survey_agreement", "WORKING_LEVEL"]

#: The intensity from which a survey tie is a working tie (cooperation).
WORKING_LEVEL = 2


@dataclass(frozen=True)
class Agreement:
    """κ between survey and declared ties over ``pairs`` pairs, with its interval, and the counts
    of the 2 × 2 table: ``both``, ``survey_only``, ``declared_only``, ``neither``.
    """

    kappa: float
    low: float
    high: float
    se: float
    pairs: int
    both: int
    survey_only: int
    declared_only: int
    neither: int
    estimable: bool = True
    reason: str | None = None


def cohen_kappa(table: np.ndarray, *, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """κ, its standard error and interval from a square table of counts (rows: one rater, columns:
    the other), by the formulas of the module docstring.
    """
    t = np.asarray(table, dtype=float)
    n = t.sum()
    p = t / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = np.trace(p), float(rows @ cols)
    if pe >= 1:
        return float("nan"), float("nan"), float("nan"), float("nan")
    kappa = (po - pe) / (1 - pe)
    diag = np.diag(p)
    a = float(np.sum(diag * (1 - (rows + cols) * (1 - kappa)) ** 2))
    off = ~np.eye(len(p), dtype=bool)
    spread = cols[:, None] + rows[None, :]  # p_.a + p_b. for cell (a, b)
    b = float((1 - kappa) ** 2 * np.sum((p * spread ** 2)[off]))
    c = float((kappa - pe * (1 - kappa)) ** 2)
    se = float(np.sqrt(max(a + b - c, 0.0)) / ((1 - pe) * np.sqrt(n)))
    z = norm.ppf(1 - alpha / 2)
    return float(kappa), se, float(kappa - z * se), float(kappa + z * se)


def survey_agreement(m: WaveMatrices, declared: pd.DataFrame, *, rule: Rule = "or", alpha: float = 0.05) -> Agreement:
    """κ between the wave's working ties under ``rule`` and ``declared`` pairs (``actor_a``, ``actor_b``),
    over the pairs of the roster with at least one respondent (both, for ``reciprocated``).
    """
    a = (m.level >= WORKING_LEVEL) & m.responded[:, None]
    survey = (a | a.T) if rule == "or" else np.where(m.responded[:, None] & m.responded[None, :], a & a.T, a | a.T)
    judged = m.responded[:, None] | m.responded[None, :]
    if rule == "reciprocated":
        judged = m.responded[:, None] & m.responded[None, :]
    i = m.ids.get_indexer(declared["actor_a"].astype(str))
    j = m.ids.get_indexer(declared["actor_b"].astype(str))
    ok = (i >= 0) & (j >= 0)
    said = np.zeros((m.n, m.n), dtype=bool)
    said[i[ok], j[ok]] = said[j[ok], i[ok]] = True
    upper = np.triu(judged, k=1)
    s, d = survey[upper], said[upper]
    counts = dict(both=int((s & d).sum()), survey_only=int((s & ~d).sum()), declared_only=int((~s & d).sum()),
                  neither=int((~s & ~d).sum()))
    table = np.array([[counts["both"], counts["survey_only"]], [counts["declared_only"], counts["neither"]]])
    pairs = int(upper.sum())
    if pairs == 0 or (s.all() or not s.any()) and (d.all() or not d.any()):
        return Agreement(float("nan"), float("nan"), float("nan"), float("nan"), pairs, **counts, estimable=False,
                         reason="no_variation")
    kappa, se, low, high = cohen_kappa(table, alpha=alpha)
    return Agreement(kappa, low, high, se, pairs, **counts)

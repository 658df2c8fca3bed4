"""Dominance rules for magnitudes: a total that few contributors make, or one dominates, is withheld.

A count (accompaniments, participants) is protected by the count threshold. A **magnitude**
— a sum of amounts declared by structures, such as the jobs created or maintained — can
disclose one structure's amount even when many contributions are summed: if one structure
holds most of the total, the total is nearly its own figure, and any other contributor can
subtract its own part to bound the rest. Official statistics protect magnitude tables by a
dominance rule besides the count rule (Hundepool et al. 2012, §4.2.2; τ-ARGUS's (n, k) and p %
rules). The rule applied here, to each summed magnitude of a report:

* **count rule on contributors**: a total made by 1 to ``threshold − 1`` structures (those
  declaring a non-zero amount) is withheld;
* **(n, k) dominance rule**, default ``n = 1``, ``k = 85`` %: a total of which the ``n``
  largest contributions hold more than ``k`` % is withheld.

Zero totals are published. The jobs two years after the accompaniment (an estimate over the
structures followed, :mod:`evaluation.report.outcomes`) follow the **p % rule** instead,
:func:`p_percent_sensitive`: with contributions sorted :math:`x_1 \\ge x_2 \\ge \\dots`, the
total :math:`T` is withheld when :math:`T - x_1 - x_2 < \\frac{p}{100} x_1` (the second largest
contributor could estimate the largest within ``p`` %; ``p`` = 10), or when it has fewer than
``min_contributors`` non-zero contributions.

A withheld magnitude that other published numbers tie to (the
jobs of a département = the sum of its EPCI's, in a publication set) must not be recoverable
within its **protection interval**: by the (n, k) rule's upper protection level,
``100 × (x₁ + … + xₙ) / k − X`` (the amount by which the total must seem larger for the
largest contributions to fall under ``k`` %), and at least ``threshold − 1``.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, §4.2.2 (sensitivity
rules for magnitude tables: (n, k), p %), §4.2.3 (protection levels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_N", "DEFAULT_K", "DEFAULT_P", "Dominance", "dominance", "structure_contributions",
           "p_percent_sensitive"]

DEFAULT_N = 1
DEFAULT_K = 85.0
#: The default ``p`` of the p % rule.
DEFAULT_P = 10.0


@dataclass(frozen=True)
class Dominance:
    """Whether a summed magnitude may be published (see :func:`dominance`)."""

    total: float
    contributors: int
    top: float  # the n largest contributions, summed
    sensitive: bool
    reason: str | None  # "few_contributors", "dominance" or None
    protection: float  # the interval a withheld total needs (0 when not sensitive)


def dominance(contributions, *, threshold: int, n: int = DEFAULT_N, k: float = DEFAULT_K) -> Dominance:
    """The count and (n, k) dominance rules on one total (``contributions``: one amount per
    contributor).

    Examples
    --------
    >>> dominance([90, 5, 5, 0], threshold=3).reason     # 90 of 100: more than 85 %
    'dominance'
    >>> dominance([10, 10], threshold=5).reason          # two structures: fewer than 5
    'few_contributors'
    >>> dominance([40, 30, 30, 20, 10], threshold=5).sensitive
    False
    """
    c = np.asarray(contributions, dtype=float)
    c = c[c > 0]
    total = float(c.sum())
    top = float(np.sort(c)[::-1][:n].sum())
    few = 0 < len(c) < threshold
    dominated = total > 0 and top > k / 100 * total
    reason = "few_contributors" if few else "dominance" if dominated else None
    protection = 0.0
    if reason is not None:
        protection = float(max(threshold - 1, math.ceil(100 * top / k - total - 1e-9)))
    return Dominance(total, int(len(c)), top, reason is not None, reason, protection)


def structure_contributions(accompaniments: pd.DataFrame, column: str) -> pd.Series:
    """The amount of ``column`` (e.g. ``jobs_created``) each structure declares, over its
    accompaniments (a structure accompanied twice is one contributor).
    """
    amounts = pd.to_numeric(accompaniments[column], errors="coerce").fillna(0)
    key = accompaniments["structure_id"] if "structure_id" in accompaniments else accompaniments.index.to_series()
    return amounts.groupby(key.astype(str).to_numpy()).sum()


def p_percent_sensitive(contributions: pd.Series | np.ndarray, *, p: float = DEFAULT_P,
                        min_contributors: int = 1) -> bool:
    """Whether the sum of ``contributions`` (one per structure, non-negative) must be withheld.

    >>> p_percent_sensitive([40, 2, 1])  # 43 − 40 − 2 = 1 < 4: the largest is nearly known
    True
    >>> p_percent_sensitive([10, 8, 7, 6])
    False
    """
    x = np.sort(np.asarray(contributions, dtype=float)[np.asarray(contributions, dtype=float) > 0])[::-1]
    if len(x) == 0:
        return False  # nothing to protect: a total of zero points to nobody
    if len(x) < min_contributors:
        return True
    second = x[1] if len(x) > 1 else 0.0
    return bool(x.sum() - x[0] - second < p / 100 * x[0])

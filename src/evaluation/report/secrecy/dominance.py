"""Dominance in summed magnitudes (jobs): the p % rule.

A total of jobs over a few structures can reveal one structure's jobs even when enough
structures contribute: if one structure holds nearly all of them, the total *is* its
headcount, and the second largest contributor can subtract its own jobs to estimate the
largest one closely. The **p % rule** withholds such a total: with contributions sorted
:math:`x_1 \\ge x_2 \\ge \\dots`, the total :math:`T` is sensitive when

.. math:: T - x_1 - x_2 < \\frac{p}{100} x_1 ,

i.e. when the second largest contributor could estimate the largest one to within ``p`` %
(Hundepool et al. 2012, §4.2.2; ``p`` = 10 by default, a usual choice). A total with fewer
than ``min_contributors`` non-zero contributions is withheld too (the frequency rule of
counts, applied to contributors). Zeros do not count as contributions.

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*, Wiley, §4.2 (sensitivity
rules for magnitude tables: dominance (n, k) and p % rules).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_P", "p_percent_sensitive"]

#: The default ``p`` of the p % rule.
DEFAULT_P = 10.0


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

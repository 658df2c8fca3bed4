"""Statistical disclosure control: small counts are not published.

A count below the threshold (default 5) could point to a handful of identifiable
structures, so it is **suppressed** (primary suppression). When a table also publishes
the total of a group, a single suppressed cell could be recovered by subtraction, so the
smallest other non-zero cell of that group is suppressed too (**secondary
suppression**), repeated until no group has exactly one suppressed cell. Zero counts are
structural and stay published.

:func:`suppress` protects one table. A report's tables share counts (density levels add
up to urban and rural, communes to EPCIs, programmes, years and QPV are margins of one
table), so a report decides suppression for all of them together and audits the result
by linear programming: see :mod:`evaluation.report.secrecy.audit` (used by
:func:`evaluation.report.publication.publish`).

References
----------
Hundepool, A. et al. (2012). *Statistical Disclosure Control*, Wiley, ch. 4 (cell
suppression in frequency tables).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_THRESHOLD", "suppress", "Disclosure"]

DEFAULT_THRESHOLD = 5


def suppress(frame: pd.DataFrame, *, count: str = "count", within: Sequence[str] = (),
             threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Mark the cells of ``frame`` that must not be published.

    Parameters
    ----------
    frame
        One row per cell, with a count column.
    count
        The count column.
    within
        Columns defining the groups whose totals are published (empty: the whole table
        is one group with its total published).
    threshold
        Counts from 1 to ``threshold - 1`` are suppressed.

    Returns
    -------
    DataFrame
        ``frame`` with a boolean ``suppressed`` column (primary and secondary).
    """
    out = frame.copy()
    values = out[count].to_numpy(dtype=float)
    suppressed = (values > 0) & (values < threshold)
    groups = (out.groupby(list(within), sort=False, dropna=False).ngroup().to_numpy() if within
              else np.zeros(len(out), dtype=int))
    changed = True
    while changed:
        changed = False
        for g in np.unique(groups):
            members = np.flatnonzero(groups == g)
            if suppressed[members].sum() == 1:
                candidates = members[~suppressed[members] & (values[members] > 0)]
                if candidates.size:
                    suppressed[candidates[np.argmin(values[candidates])]] = True
                    changed = True
    out["suppressed"] = suppressed
    return out


class Disclosure:
    """Applies :func:`suppress` with one threshold and counts the cells it suppresses.

    A report keeps one instance, so that it can say how many cells were withheld.
    """

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.threshold = int(threshold)
        self.suppressed_cells = 0

    def __call__(self, frame: pd.DataFrame, *, count: str = "count", within: Sequence[str] = ()) -> pd.DataFrame:
        """Withhold ``frame``'s small counts (see :func:`suppress`) and count the cells withheld."""
        out = suppress(frame, count=count, within=within, threshold=self.threshold)
        self.suppressed_cells += int(out["suppressed"].sum())
        return out

    def value(self, n: float) -> bool:
        """Whether a single published count must be withheld (and count it)."""
        hidden = 0 < n < self.threshold
        self.suppressed_cells += int(hidden)
        return hidden

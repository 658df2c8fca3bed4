"""How sure a finding is, in one word: *solide*, *indicatif* or *fragile* (report layer).

L'essentiel and the fiche give each finding a confidence grade in words, for readers who do
not read intervals. :func:`grade` is the rule, a pure function of what the finding rests on
(:class:`Evidence`); ``docs/methods/niveaux-de-confiance.md`` states it for evaluators and
``tests/test_essentiel.py`` checks it on hand-made cases.

The rule, in order:

1. **fragile** when the figure is not estimable (or withheld), when a falsification test
   raised an alarm, when it rests on fewer than :data:`MIN_CASES` cases, or when its
   interval is very wide (:func:`precision` is ``"very_wide"``);
2. **solide** when its interval is narrow (or it is an exact count of records), it rests on
   at least :data:`SOLID_CASES` cases (estimates only: a count of records is not a sample),
   it was recorded rather than declared by those supported, and — for an effect — the
   falsification test was run and passed;
3. **indicatif** otherwise.

Precision (:func:`precision`) reads the interval on the figure's own scale: for a share,
its width in percentage points (narrow up to :data:`SHARE_NARROW`, wide up to
:data:`SHARE_WIDE`); for a ratio or a rate, the ratio of its bounds ``high / low`` (narrow
up to :data:`RATIO_NARROW`, wide up to :data:`RATIO_WIDE`), the usual multiplicative
reading of a ratio's uncertainty. In terms of a coefficient of variation (CV): a 95 %
interval of a share near one half that is 0.20 wide has a CV of about 10 %, 0.40 wide about
20 %; a ratio whose bounds are 2 apart has a standard error of its logarithm of
ln 2 / (2 × 1.96) ≈ 0.18 (a CV of about 18 %), 10 apart ≈ 0.59. Official statistics flag
estimates in bands of the same order (Statistics Canada: CV from 16.5 % "use with caution",
above 33.3 % "too unreliable to be published"). The case counts are ours: 20 cases is where
Wilson and Poisson intervals stop being dominated by a single case; 100 is where a share's
interval is at most about ± 10 points.

References
----------
Statistics Canada (2019). *Statistics Canada Quality Guidelines*, 6th ed., "Data quality
indicators" (coefficient of variation bands A–F).
Spiegelhalter, D. (2017). Risk and uncertainty communication. *Annual Review of Statistics
and Its Application* 4, 31–60 (verbal grades of confidence beside numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Grade", "Scale", "Evidence", "grade", "precision", "GRADES", "MIN_CASES", "SOLID_CASES",
           "SHARE_NARROW", "SHARE_WIDE", "RATIO_NARROW", "RATIO_WIDE"]

Grade = Literal["solide", "indicatif", "fragile"]
Scale = Literal["count", "share", "ratio", "rate"]

#: The grades, from the surest.
GRADES: tuple[Grade, ...] = ("solide", "indicatif", "fragile")
#: Below this many cases (accompaniments, new ties, testimonies…), a finding is fragile.
MIN_CASES = 20
#: An estimate is solid only from this many cases on.
SOLID_CASES = 100
#: Width of a share's interval, high − low as a proportion, narrow up to 0.20 and wide up to 0.40.
SHARE_NARROW, SHARE_WIDE = 0.20, 0.40
#: Ratio of a ratio's or a rate's bounds, high / low, narrow up to 2 and wide up to 10.
RATIO_NARROW, RATIO_WIDE = 2.0, 10.0


@dataclass(frozen=True)
class Evidence:
    """What a finding rests on.

    Parameters
    ----------
    scale
        ``"count"`` (an exact count of records, no interval), ``"share"`` (a proportion
        with its interval), ``"ratio"`` (a ratio, e.g. a rate ratio) or ``"rate"`` (a rate
        per inhabitants).
    estimable
        ``False`` when the figure could not be estimated, or is withheld.
    cases
        How many cases it rests on (``None``: not said, not used).
    low, high
        Its interval (``None`` for a count).
    falsification
        For an effect: ``True`` when the falsification test was run and found nothing,
        ``False`` when it raised an alarm, ``None`` when none was run or it does not apply.
    declared
        Declared by those supported (jobs), not recorded by the evaluator.
    effect
        The finding claims an effect (it then needs a passed falsification test to be solid).
    """

    scale: Scale = "count"
    estimable: bool = True
    cases: int | None = None
    low: float | None = None
    high: float | None = None
    falsification: bool | None = None
    declared: bool = False
    effect: bool = False


def precision(evidence: Evidence) -> Literal["exact", "narrow", "wide", "very_wide"]:
    """How wide the interval is on the figure's scale (see the module's docstring).

    ``"exact"`` for a count; ``"very_wide"`` for an interval with a missing or non-finite
    bound, or a ratio whose lower bound is not positive.

    Examples
    --------
    >>> precision(Evidence("share", low=0.59, high=0.74))
    'narrow'
    >>> precision(Evidence("ratio", low=1.23, high=6.67))
    'wide'
    """
    if evidence.scale == "count":
        return "exact"
    low, high = evidence.low, evidence.high
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "very_wide"
    if evidence.scale == "share":
        width = high - low
        return "narrow" if width <= SHARE_NARROW else "wide" if width <= SHARE_WIDE else "very_wide"
    if low <= 0:
        return "very_wide"
    spread = high / low
    return "narrow" if spread <= RATIO_NARROW else "wide" if spread <= RATIO_WIDE else "very_wide"


def grade(evidence: Evidence) -> Grade:
    """The confidence grade of a finding: ``"solide"``, ``"indicatif"`` or ``"fragile"``.

    The rule is the module's (estimability, precision of the interval, number of cases,
    falsification test, declared or recorded).

    Examples
    --------
    >>> grade(Evidence("share", cases=151, low=0.59, high=0.74))
    'solide'
    >>> grade(Evidence("ratio", cases=51, low=1.23, high=6.67, falsification=True, effect=True))
    'indicatif'
    >>> grade(Evidence("share", cases=14, low=0.16, high=0.61))
    'fragile'
    """
    p = precision(evidence)
    few = evidence.cases is not None and evidence.cases < MIN_CASES
    if not evidence.estimable or evidence.falsification is False or few or p == "very_wide":
        return "fragile"
    enough = p == "exact" or (evidence.cases is not None and evidence.cases >= SOLID_CASES)
    tested = not evidence.effect or evidence.falsification is True
    if p in ("exact", "narrow") and enough and tested and not evidence.declared:
        return "solide"
    return "indicatif"

"""Shared rules of estimation for the measures: confidence levels, estimability, warnings.

Every estimate a measure returns (rate ratio, risk ratio, odds ratio, trend test, QAP)
says whether it can be read: ``estimable`` (bool) and ``reason`` (a code of
:data:`REASONS`, ``None`` when estimable), and which warnings its computation raised
(``warnings``, codes of :data:`WARNING_CODES`). Warnings never leave a measure: they are
captured (:class:`capture_warnings`) and turned into codes, so that no Python warning text
(with local paths) can reach a report. The report layer turns codes into French.

Rules
-----
* **Events per parameter** (Peduzzi et al. 1996): a logistic or count regression is
  estimable when the number of events — for a logistic model the rarer of the two
  outcomes, for a count model the total count — is at least
  :data:`MIN_EVENTS_PER_PARAMETER` (10) per estimated coefficient, the intercept not
  counted. A risk ratio, a trend test and a QAP correlation have one parameter: at
  least 10 events.
* **Zero cells**: a ratio with no event in a compared group is 0 or infinite and has no
  Wald interval (``"zero_cell"``). A zero among the *non*-events (b = 0 or d = 0 in a
  2 × 2 table) is not a problem: the textbook formulas hold, nothing is shifted.
* **Convergence**: the optimiser reports convergence and the score (gradient of the
  log-likelihood) is near zero at the estimate (``"not_converged"``).
* **Finite interval**: every interval bound and standard error is finite
  (``"infinite_interval"``), which also catches (quasi-)separation.

References
----------
Peduzzi, P., Concato, J., Kemper, E., Holford, T. R. & Feinstein, A. R. (1996). A
simulation study of the number of events per variable in logistic regression analysis.
*Journal of Clinical Epidemiology* 49(12), 1373–1379.
"""

from __future__ import annotations

import warnings
from types import TracebackType

from scipy import stats

__all__ = [
    "MIN_EVENTS_PER_PARAMETER",
    "GRADIENT_TOLERANCE",
    "REASONS",
    "WARNING_CODES",
    "z_value",
    "confidence_level",
    "events_reason",
    "warning_code",
    "capture_warnings",
]

#: Minimum events per estimated coefficient (Peduzzi et al. 1996).
MIN_EVENTS_PER_PARAMETER = 10

#: Largest absolute score accepted at a maximum of a log-likelihood, per event modelled (the
#: score of an intercept is a sum over units, Σ (y − μ), which grows with the counts).
GRADIENT_TOLERANCE = 1e-6

#: Why an estimate is not estimable (code → English meaning; the report says it in French).
REASONS: dict[str, str] = {
    "no_data": "nothing to estimate from (no unit, no pair, no year)",
    "no_variation": "the outcome or the compared groups do not vary (a single group, no event at all, "
                    "every unit an event)",
    "too_few_units": "no more units (communes) than coefficients to estimate",
    "too_few_events": f"fewer than {MIN_EVENTS_PER_PARAMETER} events per estimated parameter",
    "zero_cell": "a compared group has no event: the ratio is 0 or infinite",
    "not_converged": "the fit did not reach the maximum of the likelihood (no convergence, or the "
                     "gradient is not near zero)",
    "infinite_interval": "an interval bound or a standard error is not finite (e.g. separation)",
}

#: Codes of the warnings captured during a computation.
WARNING_CODES: dict[str, str] = {
    "convergence": "the optimiser warned that it did not converge (statsmodels ConvergenceWarning)",
    "perfect_separation": "the outcome is perfectly predicted by a covariate (PerfectSeparationWarning)",
    "hessian": "the Hessian could not be inverted (HessianInversionWarning)",
    "overflow": "numerical overflow (RuntimeWarning: overflow, e.g. in exp)",
    "invalid_value": "invalid value in a numerical operation (RuntimeWarning: invalid value, divide by zero)",
    "other": "another warning",
}


def z_value(alpha: float) -> float:
    """Two-sided standard normal quantile of a ``1 − alpha`` interval: :math:`z_{1-\\alpha/2}`.

    The one conversion of a confidence level used by every measure (1.959964 for
    ``alpha=0.05``).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}")
    return float(stats.norm.ppf(1 - alpha / 2))


def confidence_level(alpha: float) -> float:
    """The confidence level in percent of a ``1 − alpha`` interval (95.0 for ``alpha=0.05``).

    Rounded to 10⁻⁶ so that ``0.1`` gives ``90.0``, not ``89.99999999999999``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}")
    return round(100 * (1 - alpha), 6)


def events_reason(events: float, parameters: int, *, total: float | None = None,
                  per_parameter: int = MIN_EVENTS_PER_PARAMETER) -> str | None:
    """The reason an estimate of ``parameters`` coefficients on ``events`` events is not estimable.

    ``"no_variation"`` when there is no event (or, given ``total``, every unit is an
    event), ``"too_few_events"`` when ``events < per_parameter × parameters`` (10 by
    default; Vittinghoff & McCulloch 2007 argue 5 is often enough), ``None`` otherwise.
    For a binary outcome pass the rarer outcome's count as ``events``.

    References
    ----------
    Vittinghoff, E. & McCulloch, C. E. (2007). Relaxing the rule of ten events per
    variable in logistic and Cox regression. *American Journal of Epidemiology* 165(6),
    710–718.
    """
    if events <= 0 or (total is not None and events >= total):
        return "no_variation"
    if events < per_parameter * max(parameters, 1):
        return "too_few_events"
    return None


def warning_code(warning: warnings.WarningMessage) -> str:
    """The code (:data:`WARNING_CODES`) of one recorded warning."""
    name = type(warning.message).__name__ if isinstance(warning.message, Warning) else warning.category.__name__
    text = str(warning.message).lower()
    if "Separation" in name or "separation" in text:
        return "perfect_separation"
    if name == "ConvergenceWarning" or "converge" in text:
        return "convergence"
    if name == "HessianInversionWarning" or "hessian" in text:
        return "hessian"
    if "overflow" in text:
        return "overflow"
    if "invalid value" in text or "divide by zero" in text:
        return "invalid_value"
    return "other"


class capture_warnings:  # noqa: N801 - used as a context manager, like warnings.catch_warnings
    """Record every warning raised inside the block, let none escape, keep their codes.

    >>> import numpy as np
    >>> with capture_warnings() as captured:
    ...     _ = np.exp(np.array([1000.0]))
    >>> captured.codes
    ('overflow',)

    ``codes`` holds each distinct code once, in the order first seen; it is filled when
    the block ends.
    """

    def __init__(self) -> None:
        self.codes: tuple[str, ...] = ()
        self._manager = warnings.catch_warnings(record=True)
        self._log: list[warnings.WarningMessage] = []

    def __enter__(self) -> capture_warnings:
        self._log = self._manager.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._manager.__exit__(kind, value, traceback)
        self.codes = tuple(dict.fromkeys(warning_code(w) for w in self._log))

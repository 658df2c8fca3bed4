"""Shared estimation rules: confidence levels, events per parameter, warning capture."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from evaluation.measures.estimation import (
    REASONS,
    WARNING_CODES,
    capture_warnings,
    confidence_level,
    events_reason,
    z_value,
)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01, 0.2])
def test_z_value_is_the_two_sided_normal_quantile(alpha):
    # the interval [−z, z] holds 1 − alpha of the standard normal
    z = z_value(alpha)
    assert stats.norm.cdf(z) - stats.norm.cdf(-z) == pytest.approx(1 - alpha, abs=1e-12)


def test_z_value_at_95_percent():
    assert z_value(0.05) == pytest.approx(1.959963984540054, rel=1e-12)


@pytest.mark.parametrize(("alpha", "level"), [(0.05, 95.0), (0.1, 90.0), (0.01, 99.0), (0.025, 97.5)])
def test_confidence_level(alpha, level):
    assert confidence_level(alpha) == level


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5])
def test_alpha_outside_the_unit_interval_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha"):
        z_value(alpha)
    with pytest.raises(ValueError, match="alpha"):
        confidence_level(alpha)


@pytest.mark.parametrize(("events", "parameters", "total", "expected"), [
    (0, 1, None, "no_variation"), (9, 1, None, "too_few_events"), (10, 1, None, None),
    (69, 7, None, "too_few_events"), (70, 7, None, None), (50, 1, 50, "no_variation"),
])
def test_events_per_parameter(events, parameters, total, expected):
    assert events_reason(events, parameters, total=total) == expected
    assert expected is None or expected in REASONS


def test_events_per_parameter_can_be_relaxed():
    assert events_reason(35, 7, per_parameter=5) is None
    assert events_reason(34, 7, per_parameter=5) == "too_few_events"


def test_capture_warnings_keeps_codes_and_lets_nothing_escape():
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        with capture_warnings() as captured:
            np.exp(np.array([1000.0]))
            warnings.warn("no convergence", ConvergenceWarning, stacklevel=2)
            warnings.warn("separation", PerfectSeparationWarning, stacklevel=2)
            warnings.warn("no convergence again", ConvergenceWarning, stacklevel=2)
            np.log(np.array([-1.0]))
            warnings.warn("Tight layout not applied", UserWarning, stacklevel=2)
    assert not outside
    assert captured.codes == ("overflow", "convergence", "perfect_separation", "invalid_value", "other")
    assert set(captured.codes) <= set(WARNING_CODES)


def test_capture_warnings_without_warning():
    with capture_warnings() as captured:
        np.exp(np.array([1.0]))
    assert captured.codes == ()

"""Change between two dates: intervals against statsmodels and scipy, a hand-made tie case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from evaluation.measures.evolution import (
    newcombe_difference,
    poisson_interval,
    rate_ratio_exact,
    share_change,
    tie_changes,
)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 12, 4, 30),
                                                     (30, 30, 2, 25), (1, 151, 0, 104)])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_newcombe_equals_statsmodels(x1, n1, x2, n2, alpha):
    d, low, high = newcombe_difference(x1, n1, x2, n2, alpha=alpha)
    ref_low, ref_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (low, high) == pytest.approx((ref_low, ref_high), abs=1e-12)


def test_newcombe_textbook_value():
    # Newcombe (1998), table II, example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    _, low, high = newcombe_difference(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_share_change_is_the_weighted_newcombe_of_new_against_baseline():
    # 40 of 100 at the baseline; 30 of 50 since: 70 of 150 now.
    c = share_change(40, 100, 70, 150)
    assert (c.x_new, c.n_new) == (30, 50)
    assert c.change == pytest.approx(70 / 150 - 40 / 100)
    low, high = confint_proportions_2indep(30, 50, 40, 100, method="newcomb", compare="diff")
    assert (c.ci_low, c.ci_high) == pytest.approx((low * 50 / 150, high * 50 / 150))
    assert c.ci_low < c.change < c.ci_high
    assert share_change(40, 100, 40, 100).change == 0
    with pytest.raises(ValueError):
        share_change(40, 100, 30, 150)


@pytest.mark.parametrize(("x1", "t1", "x2", "t2"), [(47, 2.0, 104, 5.0), (3, 1.0, 10, 1.0), (0, 2.0, 7, 3.0),
                                                    (12, 0.5, 0, 4.0)])
def test_rate_ratio_exact_against_scipy_and_statsmodels(x1, t1, x2, t2):
    r = rate_ratio_exact(x1, t1, x2, t2)
    n = x1 + x2
    pi_low, pi_high = stats.binomtest(x1, n).proportion_ci(method="exact")
    to_ratio = lambda pi: np.inf if pi >= 1 else pi / (1 - pi) * t2 / t1  # noqa: E731
    assert (r.ci_low, r.ci_high) == pytest.approx((to_ratio(pi_low), to_ratio(pi_high)))
    ref = poisson_2indep(x1, t1, x2, t2, method="exact-cond", compare="ratio")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    if x2:
        assert r.ratio == pytest.approx((x1 / t1) / (x2 / t2))


def test_rate_ratio_interval_against_r():
    # R 4: r <- poisson.test(c(47, 104), c(2, 5)); r$estimate; r$conf.int; r$p.value
    #      -> 1.129807692; 0.7829394538 1.6092026563; 0.4726118348
    r = rate_ratio_exact(47, 2.0, 104, 5.0)
    assert (r.ratio, r.ci_low, r.ci_high, r.p_value) == pytest.approx(
        (1.129807692, 0.7829394538, 1.6092026563, 0.4726118348), rel=1e-8)


def test_poisson_interval_garwood():
    low, high = poisson_interval(5)
    # R 4: poisson.test(5)$conf.int -> 1.62348639 11.66833208; poisson.test(0)$conf.int -> 0 3.688879454
    assert (low, high) == pytest.approx((1.62348639, 11.66833208), rel=1e-8)
    assert poisson_interval(0) == pytest.approx((0.0, 3.688879454), rel=1e-9)


def test_ties_new_kept_lost_hand_made():
    D = pd.Timestamp
    ties = pd.DataFrame({"actor_a": ["x", "y", "z", "x", "w"], "actor_b": ["y", "x", "x", "w", "v"],
                         "start_date": [D("2019-01-01"), D("2021-01-01"), D("2020-05-01"), D("2023-02-01"),
                                        D("2022-01-01")],
                         "end_date": [D("2021-06-30"), pd.NaT, D("2022-01-01"), pd.NaT, pd.NaT]})
    # 2022-12-31: x|y (second declaration, open), w|v; z|x ended 2022-01-01.
    # 2024-12-31: x|y, w|v, w|x (new). None lost.
    c = tie_changes(ties, dt.date(2022, 12, 31), dt.date(2024, 12, 31))
    assert (c.baseline, c.current, c.new, c.kept, c.lost) == (2, 3, 1, 2, 0)
    c = tie_changes(ties, dt.date(2020, 12, 31), dt.date(2024, 12, 31), actors=pd.Index(["x", "y", "z", "w"]))
    # 2020-12-31: x|y, x|z; 2024: x|y, w|x (w|v: v outside).
    assert (c.baseline, c.current, c.new, c.kept, c.lost) == (2, 2, 1, 1, 1)

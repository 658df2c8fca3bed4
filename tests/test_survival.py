"""Kaplan–Meier, Greenwood log-log intervals and the log-rank test (evaluation.measures.outcomes.survival).

Checked against a case computed by hand, against R's ``survival`` package (values below, with
the R commands that gave them) and against ``lifelines``; then, on generated follow-ups with a
known survival and 20 % of structures lost to follow-up, the two-year interval must cover the
truth in at least 90 % of 200 seeded runs, and treating the lost structures as closed must be
seen to bias it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from evaluation.measures.outcomes.survival import at_risk, kaplan_meier, logrank_test, survival_at

# The small case of the R reference (ties between closures and censorings, a censoring first).
TIME = np.array([1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 8, 0.5, 2.5, 3.5, 9])
STATUS = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1], dtype=bool)
GROUP2 = np.array(list("abababababab") + list("aabb"))
GROUP3 = np.array(list("abcabcabcabcabca"))


def test_hand_computed_case():
    """Times 1, 2, 2+, 3, 4+ (+: censored). At 1: 5 at risk, 1 closure, S = 4/5. At 2: 4 at risk
    (the one censored at 2 still counts), 1 closure, S = 4/5 × 3/4 = 0.6. At 3: 2 at risk, S = 0.3.
    Greenwood at 2: 1/(5·4) + 1/(4·3) = 2/15; log-log bounds 0.6^exp(±1.959964·√(2/15)/|log 0.6|).
    """
    d, e = np.array([1, 2, 2, 3, 4.0]), np.array([True, True, False, True, False])
    s, low, high = survival_at(d, e, [0.5, 1, 2, 3, 4])
    assert s[0] == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3])
    sd = np.sqrt(2 / 15) / abs(np.log(0.6))
    assert low[0, 2] == pytest.approx(0.6 ** np.exp(1.959964 * sd), rel=1e-6)
    assert high[0, 2] == pytest.approx(0.6 ** np.exp(-1.959964 * sd), rel=1e-6)
    assert np.isnan(low[0, 0]) and np.isnan(high[0, 0])  # no closure yet: no interval, as R
    curve = kaplan_meier(d, e)
    assert curve["time"].tolist() == [0, 1, 2, 3, 4]
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert curve["events"].tolist() == [0, 1, 1, 1, 0] and curve["censored"].tolist() == [0, 0, 1, 0, 1]
    assert at_risk(d, [1, 2, 3.5]).tolist() == [[5, 4, 1]]


def test_matches_r_survfit():
    """Values of R 4.2.2 with survival 3.5-3 (Debian r-cran-survival), given by the commands below.


    library(survival)
    time <- c(1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 8, 0.5, 2.5, 3.5, 9)
    status <- c(1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1)
    s <- summary(survfit(Surv(time, status) ~ 1, conf.type = "log-log"), times = c(1, 2, 3, 5))
    cbind(s$n.risk, s$surv, s$lower, s$upper)
    """
    r = np.array([[15, 0.933333333333, 0.612641243775, 0.990332236650],
                  [13, 0.789743589744, 0.479128088154, 0.927070270037],
                  [9, 0.631794871795, 0.325863415258, 0.828573432433],
                  [5, 0.433230769231, 0.154445552360, 0.687569306312]])
    s, low, high = survival_at(TIME, STATUS, [1, 2, 3, 5])
    assert at_risk(TIME, [1, 2, 3, 5])[0].tolist() == r[:, 0].tolist()
    np.testing.assert_allclose(s[0], r[:, 1], rtol=1e-10)
    np.testing.assert_allclose(low[0], r[:, 2], rtol=1e-9)
    np.testing.assert_allclose(high[0], r[:, 3], rtol=1e-9)


def test_logrank_matches_r_survdiff():
    """R: d <- survdiff(Surv(time, status) ~ group); c(d$chisq, pchisq(d$chisq, 1, lower.tail = FALSE))
    with group <- c("a","b","a","b","a","b","a","b","a","b","a","b","a","a","b","b"), and with three
    groups g3 <- c("a","b","c","a","b","c","a","b","c","a","b","c","a","b","c","a") on 2 df.
    """
    two = logrank_test(TIME, STATUS, GROUP2)
    assert two.statistic == pytest.approx(1.569647383048, rel=1e-9)
    assert two.p_value == pytest.approx(0.210258229624, rel=1e-9)
    three = logrank_test(TIME, STATUS, GROUP3)
    assert (three.statistic, three.df) == (pytest.approx(0.435267365710, rel=1e-9), 2)
    assert three.p_value == pytest.approx(0.804420060561, rel=1e-9)
    assert not logrank_test(TIME, STATUS, np.full(len(TIME), "a")).estimable


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_matches_lifelines_on_random_data():
    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(3, 120), 1)  # rounded: many ties
    c = np.round(rng.uniform(0, 6, 120), 1)
    d, e, g = np.minimum(t, c), t <= c, rng.integers(0, 3, 120)
    kmf = KaplanMeierFitter().fit(d, e)
    ours = kaplan_meier(d, e)
    theirs = kmf.survival_function_.iloc[:, 0]
    assert ours.set_index("time")["survival"].to_numpy() == pytest.approx(theirs.loc[ours["time"]].to_numpy())
    ci = kmf.confidence_interval_
    inside = ours[(ours["survival"] < 1) & (ours["survival"] > 0)].set_index("time")
    np.testing.assert_allclose(inside["ci_low"], ci.iloc[:, 0].loc[inside.index], rtol=1e-8)
    np.testing.assert_allclose(inside["ci_high"], ci.iloc[:, 1].loc[inside.index], rtol=1e-8)
    assert logrank_test(d, e, g).statistic == pytest.approx(multivariate_logrank_test(d, g, e).test_statistic)


def test_a_batch_gives_each_sample_its_own_curve():
    """Many samples at once (one per row, NaN for no unit) as each one alone."""
    rng = np.random.default_rng(3)
    d = rng.exponential(2, (4, 30))
    e = rng.random((4, 30)) < 0.7
    d[1, 20:] = np.nan
    s, low, high = survival_at(d, e, [1, 2])
    for k in range(4):
        keep = ~np.isnan(d[k])
        alone = survival_at(d[k, keep], e[k, keep], [1, 2])
        np.testing.assert_allclose(s[k], alone[0][0])
        np.testing.assert_allclose(low[k], alone[1][0])


def _simulate(runs: int, n: int, *, truth: float, loss: float, seed: int):
    """Structures entering over five years (administrative censoring 1 to 6 years after their
    origin), closing at an exponential time with S(2) = ``truth``, and a share ``loss`` of them
    lost to follow-up at a uniform time before the end of their observation.
    """
    rng = np.random.default_rng(seed)
    hazard = -np.log(truth) / 2
    closure = rng.exponential(1 / hazard, (runs, n))
    admin = rng.uniform(1, 6, (runs, n))
    lost = rng.random((runs, n)) < loss
    lost_at = np.where(lost, rng.uniform(0, 1, (runs, n)) * admin, np.inf)
    end = np.minimum(admin, lost_at)
    observed = np.minimum(closure, end)
    return observed, closure <= end, lost, lost & (lost_at < np.minimum(closure, admin))


def test_two_year_interval_covers_the_truth_with_a_fifth_lost():
    """200 seeded runs of 150 structures, S(2) = 0.75, 20 % lost to follow-up: the 95 % log-log
    interval covers 0.75 in at least 90 % of runs. Treating the lost structures as closed (a
    common shortcut) biases the estimate down and the interval then misses the truth.
    """
    truth = 0.75
    durations, closed, drawn, lost = _simulate(200, 150, truth=truth, loss=0.2, seed=2026)
    assert 0.19 < drawn.mean() < 0.21  # a fifth lost to follow-up, most of them before closing
    assert 0.14 < lost.mean() < 0.2
    s, low, high = survival_at(durations, closed, 2.0)
    covered = (low[:, 0] <= truth) & (truth <= high[:, 0])
    assert covered.mean() >= 0.90
    assert abs(s[:, 0].mean() - truth) < 0.01
    wrong, wlow, whigh = survival_at(durations, closed | lost, 2.0)
    assert truth - wrong[:, 0].mean() > 0.05  # the shortcut understates survival
    assert ((wlow[:, 0] <= truth) & (truth <= whigh[:, 0])).mean() < 0.5


def test_kaplan_meier_ignores_missing_durations():
    curve = kaplan_meier(pd.Series([1.0, np.nan, 2.0]), pd.Series([True, True, False]))
    assert curve["at_risk"].iloc[0] == 2

"""Intervals that allow for clustering (issue 28, item 5): values by hand, and coverage by simulation.

The simulations draw structures accompanied several times (1 + Poisson(2) accompaniments
each), or communes whose counts vary beyond their population, thousands of times with a
fixed seed, and count how often each interval holds the true value. The row-level intervals
(Wilson, exact Poisson, Wilson ÷ population share) are shown to undercover, so that the tests
can fail; the clustered ones must reach the nominal 95 % within 2 points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evaluation.measures.reach.clustered import (
    cluster_counts,
    clustered_wilson,
    fixed_by_definition,
    jackknife_representation,
    weighted_poisson_interval,
)

Z = stats.norm.ppf(0.975)


def _covered(low, high, truth):
    return float(np.mean((low <= truth) & (truth <= high)))


class TestByHand:
    def test_clustered_wilson_small_case(self):
        # 3 structures: (2 of 3 rows flagged), (0 of 1), (2 of 2): N = 6, p = 4/6.
        y, n = np.array([2.0, 0.0, 2.0]), np.array([3.0, 1.0, 2.0])
        p = 4 / 6
        v = 3 / 2 * ((2 - 3 * p) ** 2 + (0 - p) ** 2 + (2 - 2 * p) ** 2) / 36
        deff = min(max(v / (p * (1 - p) / 6), 1), (9 + 1 + 4) / 6)
        effective = 6 / deff * (Z / stats.t.ppf(0.975, 2)) ** 2
        lo, hi = proportion_confint(p * effective, effective, method="wilson")  # statsmodels' Wilson
        share, low, high, d = clustered_wilson(y, n)
        assert share == pytest.approx(p) and d == pytest.approx(deff)
        assert (low, high) == (pytest.approx(lo), pytest.approx(hi))

    def test_one_row_per_structure_is_wilson_with_a_t_adjustment(self):
        y = np.r_[np.ones(30), np.zeros(70)]
        share, low, high, d = clustered_wilson(y, np.ones(100))
        assert d == pytest.approx(1.0)  # the variance is the binomial one, times C/(C−1): floored at 1
        n_star = 100 * (Z / stats.t.ppf(0.975, 99)) ** 2
        lo, hi = proportion_confint(0.3 * n_star, n_star, method="wilson")
        assert (low, high) == (pytest.approx(lo), pytest.approx(hi))

    def test_no_variance_uses_the_largest_design_effect(self):
        share, low, high, d = clustered_wilson(np.zeros(4), np.array([5.0, 1.0, 1.0, 1.0]))
        assert share == 0 and d == pytest.approx((25 + 3) / 8) and low == 0 and high > 0
        assert np.isnan(clustered_wilson(np.array([2.0]), np.array([3.0]))[1])  # one cluster: no interval

    def test_fay_feuer_reduces_to_garwood(self):
        lo, hi = weighted_poisson_interval(np.array([7.0]), np.array([7.0]), np.array([1.0]))
        assert lo[0] == pytest.approx(stats.chi2.ppf(0.025, 14) / 2)
        assert hi[0] == pytest.approx(stats.chi2.ppf(0.975, 16) / 2)
        # three structures bringing 1, 2 and 4 accompaniments: A = 7, V = 21, w = 4
        lo, hi = weighted_poisson_interval(np.array([7.0]), np.array([21.0]), np.array([4.0]))
        assert lo[0] == pytest.approx(stats.gamma.ppf(0.025, 49 / 21, scale=3))
        assert hi[0] == pytest.approx(stats.gamma.ppf(0.975, 121 / 37, scale=37 / 11))

    def test_jackknife_by_hand(self):
        counts, pop, group = np.array([10.0, 4.0, 6.0, 3.0]), np.array([1000.0, 500, 800, 700]), np.array([0, 0, 1, 1])
        out = jackknife_representation(counts, pop, group)
        assert out.loc[1, "index"] == pytest.approx((9 / 23) / (1500 / 3000))
        loo = []
        for c in range(4):
            keep = np.arange(4) != c
            a, e, g = counts[keep], pop[keep], group[keep]
            loo.append(np.log((a[g == 1].sum() / a.sum()) / (e[g == 1].sum() / e.sum())))
        se = np.sqrt(3 / 4 * np.sum((np.array(loo) - np.mean(loo)) ** 2))
        t = stats.t.ppf(0.975, 2)
        assert out.loc[1, "se_log"] == pytest.approx(se)
        assert out.loc[1, "ci_low"] == pytest.approx(out.loc[1, "index"] * np.exp(-t * se))

    def test_fixed_by_definition_has_no_interval(self):
        out = jackknife_representation(np.array([3.0, 5.0]), np.array([100.0, 200.0]), np.array([0, 0]))
        assert out.loc[0, "index"] == pytest.approx(1.0) and np.isnan(out.loc[0, "ci_low"])
        assert fixed_by_definition([0.0, 0.3, 1.0]).tolist() == [True, False, True]

    def test_cluster_counts_leave_unknown_flags_out(self):
        hits, sizes = cluster_counts(pd.Series(["a", "a", "b", "b", "c"]),
                                     pd.Series([True, None, False, True, None], dtype="boolean"))
        assert hits.tolist() == [1, 1, 0] and sizes.tolist() == [1, 2, 0]


class TestCoverage:
    """Seeded simulations: the clustered intervals reach 95 % ± 2 points, the row-level ones do not."""

    @pytest.mark.parametrize(("structures", "mean_extra", "p"), [(60, 2.0, 0.3), (25, 2.0, 0.15)])
    def test_shares_clustered_by_structure(self, structures, mean_extra, p):
        rng = np.random.default_rng(2028)
        runs = 2000  # at least 200; 2,000 puts the simulation's own error near half a point
        size = 1 + rng.poisson(mean_extra, (runs, structures))
        flag = rng.random((runs, structures)) < p  # a structure is in a QPV or not, for all its rows
        hits = size * flag
        share, low, high, _ = clustered_wilson(hits, size)
        clustered = _covered(low, high, p)
        row_low, row_high = proportion_confint(hits.sum(1), size.sum(1), method="wilson")
        row_level = _covered(row_low, row_high, p)
        assert abs(clustered - 0.95) <= 0.02, clustered
        assert row_level < 0.90, row_level  # the row-level Wilson interval undercovers

    def test_counts_clustered_by_structure(self):
        rng = np.random.default_rng(7)
        runs, mean_structures, mean_extra = 2000, 30, 2.0
        n = rng.poisson(mean_structures, runs)
        size = 1 + rng.poisson(mean_extra, (runs, n.max()))
        size = np.where(np.arange(n.max()) < n[:, None], size, 0)  # structures beyond n are absent
        truth = mean_structures * (1 + mean_extra)
        a = size.sum(1)
        low, high = weighted_poisson_interval(a, (size**2).sum(1), size.max(1))
        garwood_low, garwood_high = stats.chi2.ppf(0.025, 2 * a) / 2, stats.chi2.ppf(0.975, 2 * a + 2) / 2
        assert abs(_covered(low, high, truth) - 0.95) <= 0.02
        assert _covered(np.nan_to_num(garwood_low), garwood_high, truth) < 0.85

    def test_representation_index_with_commune_variation(self):
        rng = np.random.default_rng(11)
        communes, runs, shape = 200, 2000, 10.0
        pop = np.round(np.exp(rng.normal(6, 1.3, communes))) + 50
        rural = (rng.random(communes) < 0.6).astype(int)
        rate = np.where(rural == 1, 0.004, 0.006)
        truth = 0.004 / ((rate * pop).sum() / pop.sum())
        counts = rng.poisson(rate * pop * rng.gamma(shape, 1 / shape, (runs, communes)))
        hits = 0
        for a in counts:  # the jackknife is vectorised over communes; 2,000 samples take a few seconds
            out = jackknife_representation(a, pop, rural)
            hits += out.loc[1, "ci_low"] <= truth <= out.loc[1, "ci_high"]
        share = counts[:, rural == 1].sum(1) / counts.sum(1)
        w = pop[rural == 1].sum() / pop.sum()
        low, high = proportion_confint(counts[:, rural == 1].sum(1), counts.sum(1), method="wilson")
        assert abs(hits / runs - 0.95) <= 0.02, hits / runs
        assert _covered(low / w, high / w, truth) < 0.85 and share.mean() > 0

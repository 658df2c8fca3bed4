"""Reach statistics, checked against hand computations and scipy/statsmodels."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.measures.reach.classify import classify
from evaluation.measures.reach.shares import communes_reached, counts_and_shares
from evaluation.measures.stats import wilson_interval
from evaluation.report.tables import fr_interval, fr_number, fr_percent

FIXTURES = Path(__file__).parent / "fixtures"


Z_975 = stats.norm.ppf(0.975)


def wilson_by_hand(k, n, z=Z_975):
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


class TestWilson:
    @pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (32, 63), (1, 1000)])
    def test_matches_formula(self, k, n):
        low, high = wilson_interval(k, n)
        exp_low, exp_high = wilson_by_hand(k, n)
        assert float(low) == pytest.approx(exp_low, abs=1e-12)
        assert float(high) == pytest.approx(exp_high, abs=1e-12)

    def test_zero_total_is_nan(self):
        low, high = wilson_interval(np.array([0, 2]), np.array([0, 4]))
        assert np.isnan(low[0]) and np.isnan(high[0]) and not np.isnan(low[1])

    def test_alpha(self):
        low90, _ = wilson_interval(5, 20, alpha=0.10)
        low95, _ = wilson_interval(5, 20)
        assert float(low90) == pytest.approx(wilson_by_hand(5, 20, stats.norm.ppf(0.95))[0])
        assert low90 > low95


class TestCountsAndShares:
    def test_zero_categories_kept(self):
        t = pd.DataFrame({"area": pd.Categorical(["urbain"] * 3, categories=["urbain", "rural"])})
        out = counts_and_shares(t, "area")
        assert out["count"].tolist() == [3, 0]
        assert out["share"].tolist() == [1.0, 0.0]
        assert out.loc[1, "ci_high"] == pytest.approx(wilson_by_hand(0, 3)[1])

    def test_within_groups(self):
        t = pd.DataFrame({"programme": ["dla"] * 4 + ["creation"] * 2,
                          "area": ["rural", "rural", "urbain", "rural", "urbain", "urbain"]})
        out = counts_and_shares(t, "area", within=["programme"]).set_index(["programme", "area"])
        assert out.loc[("dla", "rural"), "share"] == pytest.approx(0.75)
        assert out.loc[("creation", "rural"), "count"] == 0
        assert out.loc[("creation", "urbain"), "total"] == 2
        assert out.groupby(level=0)["share"].sum().tolist() == [1.0, 1.0]

    def test_missing_group_values_are_excluded(self):
        t = pd.DataFrame({"area": ["rural", None, "urbain", "urbain"]})
        out = counts_and_shares(t, "area", categories=["urbain", "rural"])
        assert out["total"].iloc[0] == 3 and out["count"].tolist() == [2, 1]

    def test_empty_table(self):
        out = counts_and_shares(pd.DataFrame({"area": pd.Series([], dtype=object)}), "area",
                                categories=["urbain", "rural"])
        assert out["count"].tolist() == [0, 0] and out["share"].isna().all()


class TestClassify:
    def test_adds_reference_attributes(self, reference):
        t = pd.DataFrame({"commune_code": ["21166", "21154", "00000"], "in_qpv": [True, False, None]},
                         index=[10, 11, 12])
        out = classify(t, reference)
        assert list(out.index) == [10, 11, 12]
        assert out.loc[10, "density_label"] == "Grands centres urbains"
        assert out.loc[11, "urban_rural"] == "rural"  # Châtillon-sur-Seine: Bourgs ruraux
        assert out.loc[10, "epci_name"] == "Dijon Métropole"
        assert out["qpv"].tolist()[:2] == ["QPV", "hors QPV"]
        assert pd.isna(out.loc[12, "density_label"]) and pd.isna(out.loc[12, "qpv"])

    def test_communes_reached(self, reference):
        communes = reference[reference["epci_siren"] == "242100410"]
        t = pd.DataFrame({"commune_code": ["21166", "21166", "21231", "21154"]})
        out = communes_reached(t, communes)
        assert len(out) == 23 and out["reached"].sum() == 2
        assert out.set_index("commune_code").loc["21166", "count"] == 2
        assert out["count"].sum() == 3  # Châtillon-sur-Seine is outside the metropole


def test_french_formatting():
    assert fr_number(1234567) == "1\u202f234\u202f567"
    assert fr_percent(0.4523) == "45,2\u202f%"
    assert fr_interval(0.1, 0.25) == "[10,0\u202f% ; 25,0\u202f%]"
    assert fr_number(float("nan")) == "–"


# --------------------------------------------------------------------------- issue 3
import pyproj  # noqa: E402
from scipy import stats as _stats  # noqa: E402

from evaluation.geo.territory import Site  # noqa: E402
from evaluation.measures.reach.classify import aggregate  # noqa: E402
from evaluation.measures.reach.count_model import count_model  # noqa: E402
from evaluation.measures.reach.distance import (  # noqa: E402
    distance_decay,
    distance_summary,
    distance_to_sites,
    haversine_km,
    site_points,
)
from evaluation.measures.reach.shares import coverage, goodness_of_fit, rates_per_10k, representation_index  # noqa: E402
from evaluation.measures.reach.summary import reach_summary  # noqa: E402
from evaluation.measures.reach.trend import share_trend  # noqa: E402
from evaluation.measures.reach.venue import venue_reach  # noqa: E402
from evaluation.measures.stats import gini, lorenz_curve, weighted_quantile  # noqa: E402


def _communes(pops, areas=None, lat=None, lon=None, codes=None):
    n = len(pops)
    return pd.DataFrame({
        "commune_code": codes or [f"21{i:03d}" for i in range(n)],
        "population": pops,
        "urban_rural": areas or ["urbain"] * n,
        "density_label": ["Grands centres urbains" if a == "urbain" else "Bourgs ruraux"
                          for a in (areas or ["urbain"] * n)],
        "lat": lat if lat is not None else [47.0] * n,
        "lon": lon if lon is not None else [5.0] * n,
    })


class TestRates:
    def test_exact_poisson_interval_by_hand(self):
        communes = _communes([20_000, 5_000], ["urbain", "rural"])
        t = pd.DataFrame({"commune_code": ["21000"] * 8 + ["21001"] * 0, "urban_rural": ["urbain"] * 8})
        out = rates_per_10k(t, communes, "urban_rural").set_index("urban_rural")
        assert out.loc["urbain", "rate"] == pytest.approx(8 / 20_000 * 10_000)
        assert out.loc["urbain", "ci_low"] == pytest.approx(_stats.chi2.ppf(0.025, 16) / 2 / 20_000 * 10_000)
        assert out.loc["urbain", "ci_high"] == pytest.approx(_stats.chi2.ppf(0.975, 18) / 2 / 20_000 * 10_000)
        assert out.loc["rural", "rate"] == 0 and out.loc["rural", "ci_low"] == 0
        assert out.loc["rural", "ci_high"] == pytest.approx(_stats.chi2.ppf(0.975, 2) / 2 / 5_000 * 10_000)

    def test_zero_population_group_is_nan(self):
        communes = _communes([1000, 0], ["urbain", "rural"])
        t = pd.DataFrame({"commune_code": ["21000"], "urban_rural": ["urbain"]})
        out = rates_per_10k(t, communes, "urban_rural").set_index("urban_rural")
        assert np.isnan(out.loc["rural", "rate"])

    def test_rows_outside_the_territory_do_not_count(self):
        communes = _communes([1000])
        t = pd.DataFrame({"commune_code": ["21000", "99999"], "urban_rural": ["urbain", "urbain"]})
        assert rates_per_10k(t, communes, "urban_rural").loc[0, "count"] == 1


class TestRepresentation:
    def test_index_by_hand(self):
        communes = _communes([500, 500], ["urbain", "rural"])
        t = pd.DataFrame({"commune_code": ["21000"] * 30 + ["21001"] * 10,
                          "urban_rural": ["urbain"] * 30 + ["rural"] * 10})
        out = representation_index(t, communes, "urban_rural").set_index("urban_rural")
        assert out.loc["urbain", "index"] == pytest.approx(1.5)
        assert out.loc["rural", "index"] == pytest.approx(0.5)
        assert out.loc["rural", "expected"] == pytest.approx(20)
        lo, hi = wilson_by_hand(10, 40)
        assert out.loc["rural", "ci_low"] == pytest.approx(lo / 0.5)
        assert out.loc["rural", "ci_high"] == pytest.approx(hi / 0.5)

    def test_goodness_of_fit_matches_scipy(self):
        rep = pd.DataFrame({"count": [30, 10, 0], "population": [300, 500, 0]})
        fit = goodness_of_fit(rep)
        expected = _stats.chisquare([30, 10], [40 * 300 / 800, 40 * 500 / 800])
        assert fit.statistic == pytest.approx(expected.statistic)
        assert fit.p_value == pytest.approx(expected.pvalue)
        assert fit.dof == 1 and fit.p_value_simulated is None

    def test_small_expected_counts_get_a_simulated_p_value(self):
        rep = pd.DataFrame({"count": [4, 0], "population": [500, 500]})  # 4 of 4 in one group
        fit = goodness_of_fit(rep, n_simulations=40_000)
        # Exact: X² is as large only when all 4 fall in one group: 2 × 0.5⁴.
        assert fit.p_value_simulated == pytest.approx(2 * 0.5**4, abs=0.01)
        assert fit.min_expected == 2


class TestConcentration:
    def test_gini_matches_mean_absolute_difference(self):
        v = np.random.default_rng(3).poisson(3, 50).astype(float)
        expected = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
        assert gini(v) == pytest.approx(expected)

    def test_gini_extremes(self):
        assert gini([5, 5, 5, 5]) == pytest.approx(0)
        assert gini([0, 0, 0, 8]) == pytest.approx(0.75)  # (n − 1) / n
        assert np.isnan(gini([0, 0]))

    def test_weighted_gini_equals_expanded_units(self):
        values, weights = np.array([6.0, 1.0, 9.0]), np.array([3, 1, 2])
        expanded = np.repeat(values / weights, weights)
        assert gini(values, weights=weights) == pytest.approx(gini(expanded))

    def test_lorenz_curve_ends(self):
        c = lorenz_curve([3, 1, 0, 6])
        assert c.iloc[0].tolist() == [0, 0] and c.iloc[-1].tolist() == [1, 1]
        assert (np.diff(c["y"]) >= 0).all() and c["y"].iloc[1] == 0

    def test_coverage(self):
        reached = pd.DataFrame({"population": [100, 300, 600], "reached": [True, False, True]})
        cov = coverage(reached)
        assert cov.communes_reached == 2 and cov.share_population == pytest.approx(0.7)


class TestDistance:
    def test_haversine_matches_pyproj_on_the_sphere(self):
        from evaluation.measures.reach.distance import EARTH_RADIUS_KM

        geod = pyproj.Geod(a=EARTH_RADIUS_KM * 1000, b=EARTH_RADIUS_KM * 1000)
        lat1, lon1, lat2, lon2 = 47.29256, 5.00477, 47.85839, 4.59183  # Chenôve → Châtillon-sur-Seine
        assert haversine_km(lat1, lon1, lat2, lon2) == pytest.approx(geod.inv(lon1, lat1, lon2, lat2)[2] / 1000, rel=1e-9)

    def test_nearest_site_and_summary(self, reference):
        communes = reference[reference["commune_code"].isin(["21166", "21231", "21154"])]
        sites = site_points([Site("Dijon", commune="21231"), Site("ailleurs", lat=47.85839, lon=4.59183)], reference)
        d = distance_to_sites(communes, sites)
        by_code = dict(zip(communes["commune_code"], d, strict=False))
        assert by_code["21231"] == 0 and by_code["21154"] == pytest.approx(0, abs=1e-6)
        t = pd.DataFrame({"commune_code": ["21166"] * 3 + ["21231"] * 1})
        summ = distance_summary(t, communes, sites)
        assert summ.median_km == pytest.approx(by_code["21166"])
        assert summ.count == 4

    @pytest.mark.parametrize("q", [0.1, 0.5, 0.8, 1.0])
    def test_weighted_quantile(self, q):
        rng = np.random.default_rng(0)
        v, w = rng.random(30) * 50, rng.integers(0, 6, 30)
        assert weighted_quantile(v, w, q) == np.quantile(np.repeat(v, w), q, method="inverted_cdf")

    def test_decay_bands(self):
        communes = _communes([1000, 2000, 3000], lat=[47.0, 47.0, 47.0], lon=[5.0, 5.1, 6.0])
        sites = pd.DataFrame({"label": ["s"], "lat": [47.0], "lon": [5.0]})
        t = pd.DataFrame({"commune_code": ["21000", "21000", "21001", "21002"]})
        out = distance_decay(t, communes, sites, bands=(0, 5, 10, 100))
        assert out["band"].astype(str).tolist() == ["0–5 km", "5–10 km", "10–100 km"]
        assert out["count"].tolist() == [2, 1, 1]
        assert out["rate"].tolist() == pytest.approx([20, 5, 10 / 3])


class TestCountModel:
    def _poisson_case(self, seed=0, n=300, rr=1.8):
        rng = np.random.default_rng(seed)
        pop = rng.integers(200, 20_000, n)
        rural = rng.random(n) < 0.5
        counts = rng.poisson(pop / 1e4 * 8 * np.where(rural, rr, 1.0))
        communes = _communes(list(pop), ["rural" if r else "urbain" for r in rural])
        t = pd.DataFrame({"commune_code": communes["commune_code"], "n": counts})
        return t, communes, counts, pop, rural

    def test_poisson_rate_ratio_is_the_ratio_of_rates(self):
        t, communes, counts, pop, rural = self._poisson_case()
        m = count_model(t, communes, weight="n")
        assert m.family == "poisson"
        closed = (counts[rural].sum() / pop[rural].sum()) / (counts[~rural].sum() / pop[~rural].sum())
        assert m.table.loc[0, "rate_ratio"] == pytest.approx(closed, rel=1e-6)
        se = np.sqrt(1 / counts[rural].sum() + 1 / counts[~rural].sum())
        assert m.table.loc[0, "ci_high"] == pytest.approx(closed * np.exp(1.959964 * se), rel=1e-4)

    def test_overdispersed_counts_use_negative_binomial_and_recover_the_effect(self):
        rng = np.random.default_rng(5)
        n = 600
        pop = rng.integers(500, 20_000, n)
        rural = rng.random(n) < 0.5
        mu = pop / 1e4 * 6 * np.where(rural, 2.0, 1.0)
        counts = rng.poisson(mu * rng.gamma(1 / 0.8, 0.8, n))  # NB2 with alpha 0.8
        communes = _communes(list(pop), ["rural" if r else "urbain" for r in rural])
        m = count_model(pd.DataFrame({"commune_code": communes["commune_code"], "n": counts}), communes, weight="n")
        assert m.family == "negative binomial" and m.dispersion > 1.5
        assert m.table.loc[0, "ci_low"] < 2.0 < m.table.loc[0, "ci_high"]
        assert 0.4 < m.alpha_nb < 1.4

    def test_negative_binomial_on_seven_levels_matches_r(self):
        """NB2 on overdispersed counts of 200 communes in the 7 density levels, against MASS::glm.nb.

        tests/fixtures/nb_density.csv was drawn once with numpy (NB2, alpha 0.7) and is
        committed, so that R and this test read the same numbers.
        """
        from evaluation.geo.reference import DENSITY_LABELS

        data = pd.read_csv(FIXTURES / "nb_density.csv", dtype={"commune_code": str})
        communes = pd.DataFrame({"commune_code": data["commune_code"], "population": data["population"],
                                 "density_label": data["density_level"].map(DENSITY_LABELS),
                                 "urban_rural": np.where(data["density_level"] >= 5, "rural", "urbain")})
        counts = data[["commune_code", "count"]].rename(columns={"count": "n"})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = count_model(counts, communes, term="density_label", weight="n")
        assert not caught
        assert m.family == "negative binomial" and m.reference_level == DENSITY_LABELS[4]
        assert m.estimable and m.converged and m.reason is None and m.warnings == ()
        assert m.gradient_max < 1e-8
        assert m.table["term"].tolist() == [DENSITY_LABELS[k] for k in (1, 2, 3, 5, 6, 7)]
        # R 4.2.2 (Debian 4.2.2.20221110-2), MASS 7.3-58.2:
        #   d <- read.csv("tests/fixtures/nb_density.csv"); d$level <- relevel(factor(d$density_level), ref = "4")
        #   m <- glm.nb(count ~ level + offset(log(population)), data = d,
        #               control = glm.control(epsilon = 1e-12, maxit = 100))
        #   exp(coef(m))[-1]
        r_rate_ratios = [0.953664330621800560, 0.877650367679561727, 0.810102277467971921,
                         0.369794642205928392, 0.441249289865189021, 0.348476793019892594]
        #   m$theta  # 1.516531736476948 (theta = 1 / alpha)
        r_theta = 1.516531736476948
        # Standard errors of the observed information of (beta, alpha) jointly, same R session, numDeriv 2016.8-1.1:
        #   X <- model.matrix(m); y <- d$count; off <- log(d$population)
        #   nll <- function(p) { b <- p[1:ncol(X)]; a <- p[ncol(X) + 1]; mu <- exp(X %*% b + off)
        #                        -sum(dnbinom(y, size = 1 / a, mu = mu, log = TRUE)) }
        #   sqrt(diag(solve(numDeriv::hessian(nll, c(coef(m), 1 / m$theta)))))[2:7]
        r_se_observed = [0.2290053461107224, 0.2145440695167717, 0.2052694599317388,
                         0.2544448916275858, 0.2417184344463747, 0.2703287941260532]
        #   sqrt(diag(vcov(m)))[-1]  # MASS: expected information of beta at fixed theta
        r_se_mass = [0.230978334795396, 0.215279341153171, 0.205403713785841,
                     0.251065011409936, 0.240615302627906, 0.269446640222314]
        assert m.table["rate_ratio"].to_numpy() == pytest.approx(r_rate_ratios, rel=1e-6)
        assert 1 / m.alpha_nb == pytest.approx(r_theta, rel=1e-6)
        assert m.table["se"].to_numpy() == pytest.approx(r_se_observed, rel=1e-6)
        assert m.table["se"].to_numpy() == pytest.approx(r_se_mass, rel=0.02)  # the two informations, ~1 % apart
        z = _stats.norm.ppf(0.975)
        r_ci_high = np.array(r_rate_ratios) * np.exp(z * np.array(r_se_observed))
        assert m.table["ci_high"].to_numpy() == pytest.approx(r_ci_high, rel=1e-6)

    def test_too_few_accompaniments_is_not_estimable_and_silent(self):
        communes = _communes([1000, 2000, 3000, 4000], ["urbain", "urbain", "rural", "rural"])
        t = pd.DataFrame({"commune_code": ["21000", "21002", "21003"]})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = count_model(t, communes)
        assert not caught
        assert not m.estimable and m.reason == "too_few_events" and m.table.empty and m.events == 3

    def test_a_group_without_accompaniment_is_a_zero_cell(self):
        rng = np.random.default_rng(3)
        pop = rng.integers(1000, 9000, 30)
        areas = ["urbain"] * 20 + ["rural"] * 10
        communes = _communes(list(pop), areas)
        communes.loc[20:, "density_label"] = ["Bourgs ruraux"] * 5 + ["Rural à habitat dispersé"] * 5
        counts = np.r_[rng.poisson(pop[:25] / 100), np.zeros(5, dtype=int)]
        t = pd.DataFrame({"commune_code": communes["commune_code"], "n": counts})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = count_model(t, communes, term="density_label", weight="n")
        assert not caught
        assert m.estimable
        row = m.table.set_index("term").loc["Rural à habitat dispersé"]
        assert not row["estimable"] and row["reason"] == "zero_cell" and np.isnan(row["rate_ratio"])
        assert m.table.set_index("term").loc["Bourgs ruraux", "estimable"]

    def test_no_rural_commune_is_not_estimable(self):
        communes = _communes([1000, 2000])
        m = count_model(pd.DataFrame({"commune_code": ["21000"]}), communes)
        assert m.table.empty and not m.estimable and m.reason == "no_variation"

    def test_zero_population_commune_is_excluded(self):
        t, communes, *_ = self._poisson_case(n=50)
        communes.loc[0, "population"] = 0
        m = count_model(t, communes, weight="n")
        assert m.excluded_zero_population == 1 and m.n_communes == 49


class TestShareTrend:
    def test_is_the_cochran_armitage_statistic(self):
        # Cochran–Armitage's z² is N r² (Pearson's r between year and hit over the units).
        rng = np.random.default_rng(1)
        years = rng.integers(2018, 2025, 300)
        hit = rng.random(300) < 0.3 + 0.03 * (years - 2018)
        t = pd.DataFrame({"year": years, "area": np.where(hit, "rural", "urbain")})
        table, test = share_trend(t, "area", "rural")
        r = _stats.pearsonr(years, hit.astype(float))[0]
        assert test.estimable and test.reason is None and test.warnings == ()
        assert test.zscore == pytest.approx(np.sqrt(len(years)) * r, rel=1e-12)
        assert test["p_value"] == pytest.approx(2 * _stats.norm.sf(abs(test.zscore)))
        assert table["total"].sum() == 300 and table["count"].sum() == hit.sum()

    def test_a_year_with_no_hit_and_a_year_with_only_hits_match_r(self):
        hits, totals = [0, 4, 6, 9, 12], [10, 12, 11, 13, 12]
        years = np.arange(2019, 2024)
        t = pd.DataFrame({"year": np.repeat(years, totals),
                          "hit": np.concatenate([[True] * k + [False] * (n - k) for k, n in zip(hits, totals, strict=False)])})
        t["area"] = np.where(t["hit"], "rural", "urbain")
        per_year, test = share_trend(t, "area", "rural")
        assert per_year["count"].tolist() == hits and per_year["total"].tolist() == totals
        # R 4.2.2 (Debian 4.2.2.20221110-2):
        #   r <- prop.trend.test(c(0,4,6,9,12), c(10,12,11,13,12), score = 2019:2023)
        #   r$statistic  # X-squared 24.7476486214523
        #   r$p.value    # 6.53484749511065e-07
        assert test.zscore**2 == pytest.approx(24.7476486214523, rel=1e-12)
        assert test.p_value == pytest.approx(6.53484749511065e-07, rel=1e-9)
        assert test.direction == 1 and test.estimable

    def test_too_few_events_is_not_estimable(self):
        t = pd.DataFrame({"year": [2019] * 10 + [2020] * 10, "area": ["rural"] * 3 + ["urbain"] * 17})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, test = share_trend(t, "area", "rural")
        assert not caught
        assert not test.estimable and test.reason == "too_few_events" and np.isnan(test.p_value)

    def test_a_single_year_has_no_variation(self):
        t = pd.DataFrame({"year": [2019] * 30, "area": ["rural"] * 15 + ["urbain"] * 15})
        _, test = share_trend(t, "area", "rural")
        assert not test.estimable and test.reason == "no_variation" and test.direction == 0


def test_venue_reach_by_hand(reference):
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e0"],
                           "date": pd.to_datetime(["2021-01-05", "2021-01-20", "2021-03-01", "2019-01-01"]),
                           "commune_code": ["21166", "21166", "21166", "21166"]})
    actors = pd.DataFrame({"actor_id": ["a", "b", "c", "d", "e"],
                           "commune_code": ["21166", "21166", "21231", "21154", "21166"],
                           "in_qpv": [True, False, False, False, True]})
    attendance = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e2", "e3", "e3", "e0"],
                               "actor_id": ["a", "b", "a", "c", "d", "a", "e"]})
    v = venue_reach(events, attendance, actors, reference, commune="21166", since="2020-01-01")
    origins = v.origins.set_index("origin")["count"]
    assert v.events == 3 and v.participants == 4  # e (2019 only) is outside the period
    assert origins.tolist() == [1, 1, 1, 1, 0]  # a QPV, b commune, c Dijon (metropole), d Châtillon (rural)
    assert v.participations.set_index("visit")["count"].tolist() == [4, 2]
    assert v.returning.returning == 1 and v.returning.share == pytest.approx(0.25)
    assert v.monthly["participations"].tolist() == [4, 2]
    assert v.monthly["new_participants"].tolist() == [3, 1]


class TestSummary:
    def test_aggregated_path_equals_row_path(self, reference):
        from evaluation.io.datasets import load_dataset

        acc = load_dataset(reference=reference).accompaniments
        summ = reach_summary(acc, reference)
        rows = classify(acc, reference)
        for by in ("density_label", "urban_rural", "qpv"):
            direct = counts_and_shares(rows, by, categories=summ.by[by][by].cat.categories)
            # counts and shares; the intervals differ on purpose: the summary's allow for clustering
            # (communes, structures: tests/test_clustered.py), counts_and_shares' are Wilson's
            columns = [by, "count", "total", "share"]
            pd.testing.assert_frame_equal(summ.by[by][columns].reset_index(drop=True),
                                          direct[columns].reset_index(drop=True), check_dtype=False,
                                          check_categorical=False)
        assert summ.total == len(acc)
        assert summ.reached["count"].sum() == len(acc)

    def test_a_tiny_territory_is_not_estimable_and_silent(self, reference):
        ref = reference[reference["density_level"].notna()]
        communes = pd.concat([ref[ref["urban_rural"].astype(str) == "urbain"].head(2),
                              ref[ref["urban_rural"].astype(str) == "rural"].head(3)])
        codes = communes["commune_code"].tolist()
        acc = pd.DataFrame({"accompaniment_id": ["a1", "a2", "a3", "a4"], "programme": "creation",
                            "commune_code": [codes[0], codes[0], codes[1], codes[2]],
                            "in_qpv": [True, False, False, False],
                            "start_date": pd.to_datetime(["2020-01-10", "2021-02-01", "2022-03-01", "2022-05-01"])})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            summ = reach_summary(acc, communes)
        assert not caught, [str(w.message) for w in caught]
        assert not summ.model.estimable and summ.model.reason == "too_few_events" and summ.model.table.empty
        assert not summ.model_density.estimable and summ.model_density.table.empty
        _, rural = summ.trends["rural"]
        assert not rural.estimable and rural.reason == "too_few_events" and np.isnan(rural.p_value)

    def test_single_urban_commune(self, reference):
        from evaluation.io.datasets import load_dataset

        acc = load_dataset(reference=reference).accompaniments
        communes = reference[reference["commune_code"] == "21166"]
        summ = reach_summary(acc, communes)
        assert summ.model.table.empty and np.isnan(summ.gini)
        by = summ.by["urban_rural"].set_index("urban_rural")
        assert by.loc["rural", "count"] == 0 and by.loc["urbain", "share"] == 1

    def test_aggregate_counts(self):
        t = pd.DataFrame({"commune_code": ["a", "a", "b"], "programme": ["x", "x", "x"], "in_qpv": [True, True, False],
                          "start_date": pd.to_datetime(["2020-01-01", "2020-06-01", "2021-01-01"])})
        out = aggregate(t)
        assert out["n"].tolist() == [2, 1] and out["year"].tolist() == [2020, 2021]

"""Reach statistics, checked against hand computations and scipy/statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.reach import classify, communes_reached, counts_and_shares, wilson_interval
from evaluation.tables import fr_interval, fr_number, fr_percent


def wilson_by_hand(k, n, z=stats.norm.ppf(0.975)):
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

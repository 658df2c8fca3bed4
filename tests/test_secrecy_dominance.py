"""Dominance rule for magnitudes (jobs), and which quotes may be shown (issue 25, items 5 and 6)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.measures.qualitative import LOCAL_ACTOR, generalise_roles, quotable, quotes_by_theme
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish
from evaluation.report.secrecy.dominance import dominance, structure_contributions


class TestRule:
    def test_one_structure_above_85_percent(self):
        # 90 of 100 jobs from one structure: 90 > 0.85 × 100; protection 100 × 90 / 85 − 100 = 5.88 → 6
        d = dominance([90, 4, 3, 2, 1], threshold=5)
        assert d.sensitive and d.reason == "dominance" and d.top == 90 and d.total == 100
        assert d.protection == 6
        assert dominance([90, 4, 3, 2, 1], threshold=11).reason == "few_contributors"

    def test_just_under_the_rule(self):
        # 85 of 100 is not more than 85 %: published
        assert not dominance([85, 5, 4, 3, 2, 1], threshold=5).sensitive

    def test_few_contributors_even_with_a_large_total(self):
        d = dominance([20, 20, 20], threshold=5)
        assert d.sensitive and d.reason == "few_contributors" and d.total == 60
        assert d.protection == 4  # at least threshold − 1 (the (1, 85) level is negative here)

    def test_zeros_are_no_contributors_and_a_zero_total_is_published(self):
        assert dominance([0, 0, 0], threshold=5) == dominance([], threshold=5)
        assert not dominance([0, 0], threshold=5).sensitive

    def test_n_largest(self):
        # (2, 85): the two largest, 50 + 40 = 90 of 100
        assert dominance([50, 40, 4, 3, 2, 1], threshold=5, n=2).reason == "dominance"
        assert not dominance([50, 40, 4, 3, 2, 1], threshold=5, n=1).sensitive

    def test_contributions_are_per_structure(self):
        acc = pd.DataFrame({"structure_id": ["S1", "S1", "S2"], "jobs_created": [3, 4, None]})
        assert structure_contributions(acc, "jobs_created").to_dict() == {"S1": 7.0, "S2": 0.0}


@pytest.fixture(scope="module")
def chenove():
    return prepare_context("chenove")


def _published_jobs(ctx, jobs: np.ndarray, *, threshold: int = 5):
    acc = ctx.accompaniments.copy()
    acc["structure_id"] = [f"S{k:03d}" for k in range(len(acc))]
    acc["jobs_created"] = jobs
    ctx = dataclasses.replace(ctx, accompaniments=acc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(ctx, permutations=9)
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=threshold, warnings=m.warnings)
    return pub.indicators.set_index("code").loc["emplois_crees"]


def test_a_dominated_total_is_withheld(chenove):
    n = len(chenove.accompaniments)
    jobs = np.zeros(n, dtype=int)
    jobs[:10] = 1
    jobs[10] = 200  # one structure: 200 of 210 jobs
    row = _published_jobs(chenove, jobs)
    assert row["secret"] and np.isnan(row["valeur"])


def test_a_spread_total_is_published(chenove):
    n = len(chenove.accompaniments)
    jobs = np.where(np.arange(n) < 40, 3, 0)  # 40 structures, 3 jobs each
    row = _published_jobs(chenove, jobs)
    assert not row["secret"] and row["valeur"] == 120


def test_few_structures_withhold_even_a_large_total(chenove):
    n = len(chenove.accompaniments)
    jobs = np.where(np.arange(n) < 3, 30, 0)  # 3 structures, 90 jobs: the former rule printed it
    row = _published_jobs(chenove, jobs)
    assert row["secret"]


# --------------------------------------------------------------------------- quotes
def _testimonies(**columns) -> pd.DataFrame:
    base = {"testimony_id": ["T1", "T2", "T3"], "date": pd.to_datetime(["2023-01-01", "2024-01-01", "2022-01-01"]),
            "actor_kind": ["social_landlord", "association", "habitant"], "territory": "x",
            "themes": ["emploi", "emploi|lien social", "lien social"], "text": ["a", "b", "c"]}
    return pd.DataFrame({**base, **columns})


class TestQuotes:
    def test_without_a_consent_column_every_testimony_may_be_quoted(self):
        assert quotable(_testimonies()).all()

    def test_with_the_column_only_yes_is_quoted(self):
        t = _testimonies(consent=pd.array([True, None, False], dtype="boolean"))
        assert quotable(t).tolist() == [True, False, False]
        quotes = quotes_by_theme(t)
        assert quotes["testimony_id"].tolist() == ["T1"]  # lien social: T2 not asked, T3 refused

    def test_a_rare_kind_is_generalised(self):
        quotes = _testimonies().assign(year=2023)[["testimony_id", "text", "actor_kind", "year"]]
        kinds = pd.Series(["social_landlord"] + ["association"] * 6 + ["local_authority"] * 4)
        out = generalise_roles(quotes, kinds, threshold=5).set_index("testimony_id")
        # one social landlord: « acteur public » (local_authority + social_landlord = 5 ≥ 5)
        assert out.loc["T1", "actor_kind"] == "public_body" and out.loc["T1", "role_generalised"]
        # six associations: kept as they are
        assert out.loc["T2", "actor_kind"] == "association" and not out.loc["T2", "role_generalised"]
        # at threshold 11 the public bodies (5) are too few as well: « acteur local »
        assert generalise_roles(quotes, kinds, threshold=11).set_index("testimony_id").loc["T1", "actor_kind"] \
            == LOCAL_ACTOR

    def test_people_are_not_organisations(self):
        quotes = _testimonies().assign(year=2023)[["testimony_id", "text", "actor_kind", "year"]]
        out = generalise_roles(quotes, pd.Series([], dtype=object), threshold=5)
        assert "habitant" in set(out["actor_kind"])  # a resident is no organisation to single out


def test_no_quote_for_a_withheld_or_merged_theme():
    ctx = prepare_context("chenove")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(ctx, permutations=9)
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=5, warnings=m.warnings)
    themes = pub.themes.set_index("theme")
    shown = set(themes.index[~themes["suppressed"]]) - {"other_themes"}
    assert len(pub.quotes) and set(pub.quotes["theme"]) <= shown
    all_quotes = quotes_by_theme(ctx.testimonies())
    assert set(all_quotes["theme"]) - shown  # some quote was held back (the check can fail)
    assert "role_generalised" in pub.quotes

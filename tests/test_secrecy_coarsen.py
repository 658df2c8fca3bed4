"""Coarsening before suppressing, and nothing derived from a withheld cell (issue 25).

Decisions are checked on hand-made counts; the Doubs cases are reproduced on the Chenôve
sample with hand-made years: a trend test over partly withheld years gave the withheld yearly
counts back (solved here from z, the totals and the published counts), and the tiers-lieu's
monthly chart showed first-visit counts of 1 and 2.
"""

from __future__ import annotations

import dataclasses
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evaluation.geo.reference import DENSITY_LABELS
from evaluation.measures.reach.trend import period_trend
from evaluation.report import figures
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish
from evaluation.report.secrecy.audit import audit
from evaluation.report.secrecy.coarsen import (
    adjacent_groups,
    months_frequency,
    regroup_trend,
    side_groups,
    small_into_other,
    years_into_periods,
)
from evaluation.report.secrecy.derived import leaks, register
from evaluation.report.secrecy.links import linked_cells

matplotlib.use("agg")


# --------------------------------------------------------------------------- decisions
class TestDecisions:
    def test_rural_levels_merge_when_one_is_small(self):
        counts = {DENSITY_LABELS[3]: 40, DENSITY_LABELS[4]: 25, DENSITY_LABELS[5]: 12, DENSITY_LABELS[6]: 3,
                  DENSITY_LABELS[7]: 0}
        assert side_groups(counts, threshold=5) == {"levels_5_7": tuple(DENSITY_LABELS[k] for k in (5, 6, 7))}
        assert side_groups(counts, threshold=3) == {}  # nothing small at 3: 3 ≥ 3, zeros are published

    def test_small_categories_into_others_until_the_threshold(self):
        counts = pd.Series({"a": 30, "b": 2, "c": 3, "d": 8, "e": 0})
        # b + c = 5 < 11: the smallest other (d, 8) joins them: 13 ≥ 11
        assert small_into_other(counts, threshold=11, other="other") == {"other": ("b", "c", "d")}
        assert small_into_other(pd.Series({"a": 30, "b": 2}), threshold=5, other="o") == {}  # one alone: suppressed
        assert small_into_other(pd.Series({"a": 3, "b": 2}), threshold=11, other="o") == {}  # the table's total
        assert small_into_other(pd.Series({"a": 3, "b": 2}), threshold=11, other="o", allow_all=True) == \
            {"o": ("a", "b")}

    def test_years_into_periods(self):
        per = pd.DataFrame({"year": [2019, 2020, 2021, 2022, 2023], "count": [3, 12, 3, 15, 14],
                            "total": [20, 25, 22, 30, 28]})
        # 2019 alone: 3 small; with 2020: 15 and 30 → closed; 2021: 3 small; with 2022 → closed; 2023 alone
        assert years_into_periods(per, threshold=5) == [(2019, 2020), (2021, 2022), (2023, 2023)]
        table = regroup_trend(per, years_into_periods(per, threshold=5), alpha=0.05)
        assert table["count"].tolist() == [15, 18, 14] and table["total"].tolist() == [45, 52, 28]
        assert table["period"].tolist() == ["2019–2020", "2021–2022", "2023"]
        # a last period that cannot close joins the one before
        per = pd.DataFrame({"year": [2019, 2020, 2021], "count": [6, 7, 1], "total": [20, 25, 4]})
        assert years_into_periods(per, threshold=5) == [(2019, 2019), (2020, 2021)]

    def test_adjacent_bands(self):
        # a group closes at 0 or at the threshold; a leftover joins the group before
        assert adjacent_groups([40, 3, 1, 9], threshold=5) == [(0, 0), (1, 3)]
        assert adjacent_groups([40, 3, 1, 9, 0, 2], threshold=5) == [(0, 0), (1, 3), (4, 5)]
        assert adjacent_groups([40, 3, 1, 9, 2], threshold=5) == [(0, 0), (1, 4)]
        assert adjacent_groups([40, 3], threshold=5) == [(0, 1)]

    def test_months_into_quarters_then_years(self):
        months = pd.period_range("2020-01", periods=6, freq="M")
        monthly = pd.DataFrame({"month": months, "events": 1, "participations": [12, 14, 11, 10, 12, 13],
                                "new_participants": [10, 1, 2, 6, 3, 4]})
        assert months_frequency(monthly, threshold=14) == "Y"  # quarters of 13 first visits each: a year of 26
        assert months_frequency(monthly, threshold=11) == "Q"  # quarters: 13 and 13 first visits, 37 and 35
        assert months_frequency(monthly, threshold=2) == "Q"  # one first visit in February
        assert months_frequency(monthly.assign(new_participants=[10, 2, 2, 6, 3, 4]), threshold=2) == "M"


# --------------------------------------------------------------------------- the Doubs trend case
YEARS = [2019, 2020, 2021, 2022, 2023]
QPV_COUNTS = [3, 12, 3, 15, 14]
TOTALS = [20, 25, 22, 30, 28]


@pytest.fixture(scope="module")
def doubs_case():
    """Chenôve's accompaniments re-dated: QPV counts 3, 12, 3, 15, 14 out of 20, 25, 22, 30, 28."""
    ctx = prepare_context("chenove")
    acc = ctx.accompaniments.iloc[:sum(TOTALS)].copy()
    year = np.repeat(YEARS, TOTALS)
    in_qpv = np.concatenate([np.arange(n) < x for x, n in zip(QPV_COUNTS, TOTALS, strict=True)])
    acc["start_date"] = pd.to_datetime([f"{y}-06-15" for y in year])
    acc["year"] = year
    acc["in_qpv"] = in_qpv
    acc["qpv"] = np.where(in_qpv, "QPV", "hors QPV")
    ctx = dataclasses.replace(ctx, accompaniments=acc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(ctx, permutations=9)
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=5, warnings=m.warnings)
    return ctx, m, pub


def recover_from_z(years, totals, counts, hidden, z, hits):
    """Solve the withheld yearly counts from the trend test's z, the yearly totals (which the
    Wilson intervals of the shown years reveal) and the published counts: two linear equations,
    Σ x_hidden = hits − Σ x_shown and Σ x_i (s_i − s̄) = z √(p(1−p) Σ n_i (s_i − s̄)²).
    """
    s, n = np.asarray(years, float), np.asarray(totals, float)
    centred = s - (n * s).sum() / n.sum()
    p = hits / n.sum()
    numerator = z * np.sqrt(p * (1 - p) * (n * centred**2).sum())
    shown = ~np.asarray(hidden)
    x = np.asarray(counts, float)
    A = np.vstack([np.ones(int((~shown).sum())), centred[~shown]])
    b = np.array([hits - x[shown].sum(), numerator - (x[shown] * centred[shown]).sum()])
    return np.linalg.solve(A, b)


def test_yearly_counts_came_back_from_the_trend_test(doubs_case):
    """The former publication: years withheld one by one, z over every year. Reference z:
    R's ``prop.trend.test(c(3,12,3,15,14), c(20,25,22,30,28), score = 2019:2023)`` gives
    X-squared = 5.121225719 (|z| = 2.26301), p = 0.02363491679.
    """
    _, m, _ = doubs_case
    per, test = m.summary.trends["qpv"]
    assert per["count"].tolist() == QPV_COUNTS and per["total"].tolist() == TOTALS
    assert test.zscore**2 == pytest.approx(5.121225719, rel=1e-8)
    assert test.p_value == pytest.approx(0.02363491679, rel=1e-8)
    hidden = [c < 5 for c in QPV_COUNTS]  # 2019 and 2021
    recovered = recover_from_z(YEARS, TOTALS, QPV_COUNTS, hidden, test.zscore, sum(QPV_COUNTS))
    assert np.round(recovered).tolist() == [3, 3]  # the leak of issue 25


def test_the_publication_gives_no_yearly_count_back(doubs_case):
    _, m, pub = doubs_case
    table, test = pub.trends["qpv"], pub.trend_tests["qpv"]
    assert table["period"].tolist() == ["2019–2020", "2021–2022", "2023"]  # years into periods
    assert not table["suppressed"].any() and test.shown
    # the test is the one of the published periods: a function of published counts only
    assert test.value == pytest.approx(period_trend(table).zscore)
    # and it cannot tell the yearly splits within a period apart
    moved = pd.DataFrame({"year": YEARS, "count": [4, 11, 2, 16, 14], "total": TOTALS})
    periods = regroup_trend(moved, [(2019, 2020), (2021, 2022), (2023, 2023)], alpha=0.05)
    assert period_trend(periods).zscore == pytest.approx(test.value)
    assert not leaks(register(pub), linked_cells(pub.publishable())).shape[0]


def test_a_test_over_a_withheld_period_is_withheld_and_the_check_sees_it(doubs_case):
    _, _, pub = doubs_case
    table = pub.trends["qpv"].copy()
    table.loc[0, "suppressed"] = True
    broken = dataclasses.replace(pub, trends={**pub.trends, "qpv": table})
    # the registry check flags a test shown over a withheld period (the check can fail) ...
    found = leaks(register(broken), linked_cells(broken.publishable()))
    assert "trend_test:qpv" in set(found["number"])
    # ... and the publication withholds such a test
    from evaluation.report.publication import _trend_test

    assert _trend_test(table).withheld


# --------------------------------------------------------------------------- the tiers-lieu's chart
def test_monthly_chart_shows_no_small_count():
    ctx = prepare_context("chenove")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(ctx, permutations=9)
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=11, warnings=m.warnings)
    raw = m.venue.monthly
    assert {1, 2} <= set(raw["new_participants"])  # the counts the issue found on the chart
    monthly = pub.venue.monthly
    shown = monthly[~monthly["suppressed"]]
    for column in ("participations", "new_participants"):
        values = shown[column].to_numpy()
        assert not ((values > 0) & (values < 11)).any(), column
    assert pd.PeriodIndex(monthly["period"]).freqstr[0] in ("Q", "Y")  # months were coarsened
    ax = figures.monthly_plot(monthly, title="t", source="s")
    heights = [p.get_height() for p in ax.patches]
    assert not any(0 < h < 11 for h in heights)
    assert len(heights) == 2 * len(shown)  # only published periods are drawn
    assert not leaks(register(pub), linked_cells(pub.publishable())).shape[0]
    assert audit(pub)["ok"].all()


@pytest.mark.parametrize("slug", ["chatillonnais", "cote-d-or"])
def test_bundled_publications_derive_nothing_from_withheld_cells(slug):
    ctx = prepare_context(slug)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(ctx, permutations=9)
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=11, warnings=m.warnings)
    registry = register(pub)
    assert {"gini", "model", "trend_test:rural", "map"} <= set(registry["number"])
    assert leaks(registry, linked_cells(pub.publishable())).empty
    assert audit(pub)["ok"].all()
    assert pub.coarsening  # something small was merged at 11

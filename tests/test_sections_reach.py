"""The reach chapter's French text on tiny data: no accompaniment, one accompaniment.

A territory without accompaniment has nothing to test, measure or draw: each section says so
in one sentence and draws no figure (a Lorenz curve on the diagonal would read as perfect
equality). One accompaniment is a withheld count: nothing derived from it (distances) is
printed either.
"""

from __future__ import annotations

import dataclasses
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.report import sections
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish

matplotlib.use("agg")

REACH = ("density", "urban_rural", "rates", "qpv", "trends", "communes_reached", "distance", "count_model")


@pytest.fixture(scope="module")
def context():
    return prepare_context("chatillonnais")


def _publication(ctx, n: int):
    ctx = dataclasses.replace(ctx, accompaniments=ctx.accompaniments.iloc[:n])
    m = measure(ctx, permutations=9)
    return ctx, publish(ctx, m.summary, m.network, m.venue, warnings=m.warnings)


@pytest.fixture(scope="module")
def empty(context):
    return _publication(context, 0)[1]


@pytest.fixture(scope="module")
def single(context):
    return _publication(context, 1)


def _items(pub, name: str) -> list:
    out = getattr(sections, name)(pub)
    return out if isinstance(out, list) else [out]


def _text(items) -> str:
    return " ".join(i for i in items if isinstance(i, str))


def test_no_accompaniment_draws_no_figure_and_prints_no_dash_for_a_number(empty):
    assert empty.total == 0
    for name in REACH:
        items = _items(empty, name)
        text = _text(items)
        assert not [i for i in items if isinstance(i, Figure)], name
        # « χ² = –, 2 ddl, p = – », « médiane – km », « Gini – »: a dash standing for a number
        assert not re.search(r"(= –|– km|Gini –|: –)", text), (name, text)
        assert not [i for i in items if isinstance(i, pd.DataFrame) and i.empty], name
        assert items == [], name  # nothing to show: the section leaves the report (issue 27)


def test_no_accompaniment_says_what_is_not_done(empty):
    """The sections leave the report; « Limites » says once why."""
    from evaluation.report.sections.scope import gaps

    said = [g.sentence for g in gaps(empty)]
    assert said[0] == "La portée de l'action : aucun accompagnement n'est enregistré dans ce territoire."
    assert said[0] in _text(sections.limits(empty))
    assert "Aucun accompagnement n'est enregistré" in sections.reach_reading(empty)


def test_one_accompaniment_publishes_neither_its_distance_nor_a_range_of_one_year(single):
    ctx, pub = single
    assert pub.total is None  # one accompaniment: withheld
    d = ctx.reach().distance
    assert d.count == 1 and d.median_km == d.p80_km  # the median would be that accompaniment's own distance
    # the publication keeps the population's distances only
    assert pub.distance.count == 0 and np.isnan(pub.distance.median_km) and np.isnan(pub.distance.p80_km)
    distance = _text(_items(pub, "distance"))
    assert "relève du secret statistique" in distance
    assert f"{d.median_km:.1f}".replace(".", ",") + " km" not in distance
    reading = sections.reach_reading(pub).split("\n\n", 1)[1]  # under its heading
    year = int(ctx.accompaniments["year"].iloc[0])
    # the period is the exports' years, not the year of this territory's one accompaniment
    first, last = (int(y) for y in pd.to_datetime(ctx.dataset.accompaniments["start_date"]).dt.year.agg(["min", "max"]))
    assert reading.startswith(f"De {first} à {last}, ") and f"De {year} à {year}" not in reading
    assert "km" not in reading


def _comparison(rows: list[dict]) -> pd.DataFrame:
    """A hand-made comparison table, in :func:`evaluation.report.sections.areas.protect`'s layout."""
    nan = float("nan")
    base = {"name": "", "code": "", "communes": 1, "population": 1, "count": 0.0, "rate": nan, "rate_low": nan,
            "rate_high": nan, "rural": 0.0, "qpv": 0.0, "share_rural": nan, "share_rural_low": nan,
            "share_rural_high": nan, "share_qpv": nan, "share_qpv_low": nan, "share_qpv_high": nan,
            "share_reached": 0.0, "count_withheld": False, "rural_withheld": False, "qpv_withheld": False}
    return pd.DataFrame([{**base, **r} for r in rows])


def _areas_pub(table: pd.DataFrame):
    """A hand-made publication for the comparison table: urban and rural communes, one QPV."""
    from types import SimpleNamespace

    spaces = pd.DataFrame({"urban_rural": ["urbain", "rural"], "population": [3000, 3073]})
    return SimpleNamespace(comparison=table, alpha=0.05, representation={"urban_rural": spaces},
                           territory=SimpleNamespace(qpv=({"name": "Q"},)))


def test_comparison_row_without_accompaniment_has_no_share():

    from evaluation.report.sections.areas import section

    # 0 accompaniments among 6,073 inhabitants: exact Poisson bound 10,000 × (−ln 0.025) / 6,073 = 6.07
    table = _comparison([{"level": "territory", "communes": 22, "population": 6073, "rate": 0.0, "rate_low": 0.0,
                          "rate_high": 6.0742},
                         {"level": "france", "communes": 34935, "population": 67664570, "count": 168.0, "rural": 30.0,
                          "qpv": 37.0, "rate": 0.024828, "rate_low": 0.021216, "rate_high": 0.028880,
                          "share_rural": 30 / 168, "share_rural_low": 0.128, "share_rural_high": 0.243,
                          "share_qpv": 37 / 168, "share_qpv_low": 0.164, "share_qpv_high": 0.289,
                          "share_reached": 0.001}])
    rows = section(_areas_pub(table))[-1]
    row = rows.iloc[0]
    assert row["Part rurale (IC 95\u202f%)"] == "–" and row["Part en QPV (IC 95\u202f%)"] == "–"


def test_rates_below_one_keep_two_significant_digits():
    from scipy.stats import chi2

    from evaluation.report.tables import fr_rate, fr_rate_interval, indicators_table, rates_table

    # France: 168 accompaniments for 67,664,570 inhabitants; exact Poisson interval (Garwood) from scipy
    n, population = 168, 67_664_570
    rate = n / population * 1e4  # 0.02483
    low, high = chi2.ppf(0.025, 2 * n) / 2 / population * 1e4, chi2.ppf(0.975, 2 * (n + 1)) / 2 / population * 1e4
    assert f"{fr_rate(rate)} {fr_rate_interval(low, high)}" == "0,025 [0,021 ; 0,029]"
    assert fr_rate(0.5) == "0,50" and fr_rate(0.0996) == "0,10" and fr_rate(3.42) == "3,4" and fr_rate(0.0) == "0"
    table = rates_table(pd.DataFrame({"urban_rural": ["urbain"], "count": [n], "population": [population],
                                      "rate": [rate], "ci_low": [low], "ci_high": [high]}), "urban_rural", label="Espace")
    assert table.iloc[0, 3] == "0,025" and table.iloc[0, 4] == "[0,021 ; 0,029]"
    indicators = indicators_table(pd.DataFrame({
        "indicateur": ["Accompagnements pour 10 000 habitants"], "valeur": [rate], "ic_bas": [low], "ic_haut": [high],
        "unite": ["pour 10 000 habitants"], "periode": ["2021–2024"], "secret": [False], "estimable": [True]}))
    assert indicators.iloc[0, 1] == "0,025" and indicators.iloc[0, 2] == "[0,021 ; 0,029]"


def test_comparison_prints_the_national_rate_with_its_digits():

    from evaluation.report.sections.areas import section

    table = _comparison([{"level": "territory", "communes": 22, "population": 6073, "rate": 0.0, "rate_low": 0.0,
                          "rate_high": 6.0742},
                         {"level": "france", "communes": 34935, "population": 67664570, "count": 168.0,
                          "rate": 0.024828, "rate_low": 0.021216, "rate_high": 0.028880, "share_rural": 0.18,
                          "share_rural_low": 0.13, "share_rural_high": 0.24, "share_reached": 0.001}])
    rows = section(_areas_pub(table))[-1].set_index("Zone")
    column = "Pour 10 000 hab. (IC 95\u202f%)"
    assert rows.loc["France", column] == "0,025 [0,021 ; 0,029]"
    assert rows.loc["Territoire", column] == "0 [0 ; 6,1]"


def _distance_pub(median_km: float, p80_km: float, pop_median_km: float, pop_p80_km: float, *, sites=("Antenne",)):
    """A hand-made publication for the distance paragraph (34 accompaniments, one site)."""
    from types import SimpleNamespace

    from evaluation.measures.reach.distance import DistanceSummary

    decay = pd.DataFrame({"band": ["0–5 km", "5–10 km"], "rate": [3.4, 5.2], "ci_low": [2.2, 2.4],
                          "ci_high": [5.0, 9.8], "suppressed": [False, False]})
    return SimpleNamespace(distance=DistanceSummary(median_km, p80_km, pop_median_km, pop_p80_km, 34),
                           geography="commune", sites=list(sites), communes=10, total=34, decay=decay, alpha=0.05,
                           source="test")


def test_zero_distances_say_the_commune_of_the_site_not_zero_km():
    from evaluation.report.sections.reach import distance

    # 26 of 34 accompaniments in the site's own commune (0 km), the others 5.0 km away: the median is 0 km,
    # the 80th percentile (27.2th of 34) is 5.0 km; 85 % of the population lives in the site's commune.
    items = distance(_distance_pub(0.0, 5.0, 0.0, 0.0))
    text = _text(items)
    assert "0,0 km" not in text
    assert ("au moins la moitié des accompagnements dans la commune même du lieu, 80 % à moins de 5,0 km "
            "(population : au moins 80 % dans la commune même du lieu)") in text
    every = _text(distance(_distance_pub(0.0, 0.0, 0.0, 0.0, sites=("Antenne A", "Antenne B"))))
    assert "au moins 80 % des accompagnements dans la commune même de l'un des lieux" in every
    # 0.03 km is not « 0,0 km »: « à moins de 0,1 km »
    assert "80 % des accompagnements à moins de 0,1 km" in _text(distance(_distance_pub(2.0, 0.03, 4.0, 9.0)))
    assert "médiane 2,0 km, 80 % des accompagnements à moins de 7,5 km" in _text(distance(_distance_pub(2.0, 7.5, 4, 9)))


# --------------------------------------------------------------------------- yearly trends
def _trend_pub(rural: pd.DataFrame, qpv: pd.DataFrame, tests: dict):
    """A hand-made publication for the trend section (threshold 5)."""
    from types import SimpleNamespace

    spaces = pd.DataFrame({"urban_rural": ["urbain", "rural"], "population": [3000, 3073]})  # both: a rural trend
    return SimpleNamespace(trends={"rural": rural, "qpv": qpv}, trend_tests=tests, total=34, alpha=0.05,
                           threshold=5, source="test", representation={"urban_rural": spaces},
                           territory=SimpleNamespace(qpv=({"name": "Q"},)))


def _years(years, counts, totals, lows, highs, withheld):
    counts = [float("nan") if w else c for c, w in zip(counts, withheld, strict=True)]
    return pd.DataFrame({"year": years, "count": counts, "total": totals,
                         "share": [c / t for c, t in zip(counts, totals, strict=True)],
                         "ci_low": [float("nan") if w else v for v, w in zip(lows, withheld, strict=True)],
                         "ci_high": [float("nan") if w else v for v, w in zip(highs, withheld, strict=True)],
                         "suppressed": withheld})


def test_a_trend_needs_two_published_years():
    from evaluation.report.published import Estimate
    from evaluation.report.sections.reach import trends

    nan = float("nan")
    # Pays Ajaccien's shape: every rural year withheld; QPV: only 2021 shown, 0 of 6, Wilson
    # interval [0 ; 0.3903] (statsmodels proportion_confint(0, 6, method="wilson")).
    rural = _years([2021, 2022, 2023, 2024], [nan] * 4, [6, 7, 13, 8], [nan] * 4, [nan] * 4, [True] * 4)
    qpv = _years([2021, 2022, 2023, 2024], [0, nan, nan, nan], [6, 7, 13, 8], [0.0, nan, nan, nan],
                 [0.39033, nan, nan, nan], [False, True, True, True])
    withheld = {"rural": Estimate(estimable=False, reason="too_few_events"), "qpv": Estimate(estimable=True, withheld=True)}
    pub = _trend_pub(rural, qpv, withheld)
    # no share has two published years: the section leaves the report, « Limites » says why
    from evaluation.report.sections.scope import CHECKS

    assert trends(pub) == []
    assert CHECKS["trends"](pub).why == "il faudrait au moins deux années publiables (non protégées par le secret statistique)"

    # with two published QPV years (2 of 8, 9 of 20), the rural share says its years are withheld
    two = _years([2022, 2023], [2, 9], [8, 20], [0.07148, 0.25820], [0.59072, 0.65791], [False, False])
    items = trends(_trend_pub(rural, two, {**withheld, "qpv": Estimate(value=1.0, p_value=0.3)}))
    text = _text(items)
    assert len([i for i in items if isinstance(i, Figure)]) == 1  # the QPV share only
    assert ("Part des accompagnements en commune rurale, par année : la part de chaque année relève du secret "
            "statistique") in text
    items = trends(_trend_pub(rural, qpv.assign(share=[0.0, 0.1, nan, nan], ci_low=[0.0, 0.01, nan, nan],
                                                 ci_high=[0.39033, 0.4, nan, nan], suppressed=[False, False, True, True]),
                              {**withheld, "qpv": Estimate(estimable=True, withheld=True)}))
    assert "z =" not in _text(items)  # a withheld test prints no statistic

    # One year of data: nothing to test, whatever the measure says (3 of 10: Wilson [0.1078 ; 0.6032]).
    one = _years([2021], [3], [10], [0.10779], [0.60322], [False])
    items = trends(_trend_pub(one, two, {"rural": Estimate(estimable=False, reason="no_variation"),
                                         "qpv": Estimate(value=1.0, p_value=0.3)}))
    assert "une seule année de données (2021 : 30,0\u202f%, IC 95\u202f% [10,8\u202f% ; 60,3\u202f%])" in _text(items)


def test_two_published_years_are_drawn_on_an_axis_that_holds_them():
    from evaluation.report.published import Estimate
    from evaluation.report.sections.reach import trends

    # 2 of 8 and 9 of 20 (Wilson, statsmodels: [0.0715 ; 0.5907] and [0.2582 ; 0.6579])
    two = _years([2022, 2023], [2, 9], [8, 20], [0.07148, 0.25820], [0.59072, 0.65791], [False, False])
    items = trends(_trend_pub(two, two, {"rural": Estimate(value=1.0, p_value=0.3),
                                         "qpv": Estimate(value=1.0, p_value=0.3)}))
    figs = [i for i in items if isinstance(i, Figure)]
    assert len(figs) == 2
    ax = figs[0].axes[0]
    assert ax.get_ylim()[0] <= 0.07148 and ax.get_ylim()[1] >= 0.65791
    assert "z = 1,00, p = 0,300" in _text(items)


def test_the_trend_test_rests_on_published_periods_only(context):
    """QPV years too small to publish are grouped into periods; the trend statistic is the test
    of the published periods (or withheld with one of them), never one over withheld years.
    """
    from evaluation.measures.reach.trend import period_trend
    from evaluation.report.sections.reach import trends

    acc = context.accompaniments.copy()
    # 14 QPV accompaniments over 7 years, 1 to 3 a year: every year's count is withheld (threshold 5),
    # while the test rests on 14 events (≥ 10): estimable by the measure.
    hits = {2018: 1, 2019: 2, 2020: 2, 2021: 1, 2022: 3, 2023: 2, 2024: 3}
    in_qpv = (acc.groupby("year").cumcount() < acc["year"].map(hits)).to_numpy()
    acc["in_qpv"] = in_qpv
    acc["qpv"] = pd.Categorical(["QPV" if q else "hors QPV" for q in in_qpv], categories=acc["qpv"].cat.categories)
    ctx = dataclasses.replace(context, accompaniments=acc)
    m = measure(ctx, permutations=9)
    assert m.summary.trends["qpv"][1].estimable
    pub = publish(ctx, m.summary, m.network, m.venue, warnings=m.warnings)
    table, test = pub.trends["qpv"], pub.trend_tests["qpv"]
    assert len(table) < 7 and table["period"].str.contains("–").any()  # years grouped into periods
    if table["suppressed"].any():
        assert test.withheld and not test.shown and "z =" not in _text(trends(pub))
    else:
        counts = table["count"].to_numpy()
        assert not ((counts > 0) & (counts < 5)).any()
        assert test.value == pytest.approx(period_trend(table).zscore)
        assert test.value != pytest.approx(m.summary.trends["qpv"][1].zscore)  # not the test over the years


def test_a_figure_says_its_source_once():
    from evaluation.report.figures import interval_plot
    from evaluation.report.formats.document import _Builder

    frame = pd.DataFrame({"year": [2022, 2023], "share": [0.25, 0.45], "ci_low": [0.07, 0.26], "ci_high": [0.59, 0.66]})
    fig = interval_plot(frame, x="year", y="share", title="Part", xlabel="Année", ylabel="Part",
                        source="exports du test").figure
    assert fig.get_supxlabel() == "Source : exports du test"  # drawn in the figure, seen in every format
    build = _Builder("exports du test")
    build.add(fig)
    build.add(pd.DataFrame({"a": ["x"], "b": ["1"]}))
    picture, table = build.blocks
    assert picture.source == "" and table.source == "Source : exports du test"


def test_distance_bands_all_withheld_draw_no_figure():
    from evaluation.report.sections.reach import distance

    pub = _distance_pub(2.0, 7.5, 4.0, 9.0)
    nan = float("nan")
    pub.decay = pub.decay.assign(rate=[nan, nan], ci_low=[nan, nan], ci_high=[nan, nan], suppressed=[True, True])
    items = distance(pub)
    assert not [i for i in items if isinstance(i, Figure)]
    assert "Les taux par tranche de distance relèvent du secret statistique" in _text(items)
    assert [i for i in distance(_distance_pub(2.0, 7.5, 4.0, 9.0)) if isinstance(i, Figure)]

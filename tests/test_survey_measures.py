"""The partner survey's measures: hand-computed small cases, reference implementations, and coverage.

The small network (actors A, B, C answer, D does not): A → B coordination, A → D awareness,
B → A cooperation, B → C integration; every value below is worked out by hand in the comments.
Reciprocity is checked against networkx, κ against statsmodels' ``cohens_kappa``, the tests of
respondents against non-respondents against scipy. The bootstrap intervals are checked on 200
seeded draws of a network with known true scores (every listed actor answering), 30 % of the
actors not answering at random: they must cover the true scores at least 90 % of the time.
"""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.inter_rater import cohens_kappa

from evaluation.io.schema import INTENSITY_LEVELS
from evaluation.io.survey.roster import declared_pairs, roster_frame
from evaluation.io.survey.sample import drop_respondents, simulate_wave, true_scores
from evaluation.measures.survey.agreement import cohen_kappa, survey_agreement
from evaluation.measures.survey.analysis import analyse_wave, score_intervals
from evaluation.measures.survey.bootstrap import bootstrap_weights, percentile_interval
from evaluation.measures.survey.matrices import wave_matrices
from evaluation.measures.survey.nonresponse import compare_respondents, density_bounds, rule_density
from evaluation.measures.survey.scores import network_scores, received_scores
from evaluation.measures.survey.waves import wave_change
from evaluation.report.sections.survey import relations as survey_body
from evaluation.report.survey import publish_survey

ROSTER = pd.Index(["A", "B", "C", "D"], name="actor_id")


def _ties(rows: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    """(respondent, partner, intensity, trust item, value item): the three items of a score alike."""
    frame = pd.DataFrame(rows, columns=["respondent", "partner", "intensity", "t", "v"])
    return frame.assign(
        intensity=pd.Categorical(frame["intensity"], categories=INTENSITY_LEVELS, ordered=True),
        **{c: frame["t"] for c in ("reliability", "mission", "openness")},
        **{c: frame["v"] for c in ("influence", "involvement", "resources")}).drop(columns=["t", "v"])


@pytest.fixture
def small():
    respondents = pd.DataFrame({"respondent": ["A", "B", "C"]})
    ties = _ties([("A", "B", "coordination", 4, 2), ("A", "D", "awareness", 2, 1), ("B", "A", "cooperation", 3, 3),
                  ("B", "C", "integration", 3, 4)])
    return wave_matrices(respondents, ties, ROSTER)


def test_scores_of_the_small_network(small):
    s = {k: float(v[0]) for k, v in network_scores(small, small.responded[None, :].astype(float)).items()}
    assert s["trust"] == pytest.approx((4 + 2 + 3 + 3) / 4)  # the four ties' trust scores
    assert s["value"] == pytest.approx((2 + 1 + 3 + 4) / 4)
    assert s["intensity"] == pytest.approx((3 + 1 + 2 + 4) / 4)
    # 3 respondents × 3 other listed actors = 9 (respondent, actor) pairs
    assert [s[f"density_{k}"] for k in INTENSITY_LEVELS] == pytest.approx([4 / 9, 3 / 9, 2 / 9, 1 / 9])
    g = nx.DiGraph([("A", "B"), ("B", "A"), ("B", "C")])  # the ties between respondents
    g.add_node("C")
    assert s["reciprocity"] == pytest.approx(nx.overall_reciprocity(g)) == pytest.approx(2 / 3)


def test_weights_count_a_respondent_as_often_as_it_is_drawn(small):
    w = np.array([[2.0, 1.0, 0.0, 0.0]])  # A drawn twice, B once, C not
    s = network_scores(small, w)
    assert s["trust"][0] == pytest.approx((2 * (4 + 2) + 1 * (3 + 3)) / (2 * 2 + 1 * 2))
    assert s["density_awareness"][0] == pytest.approx((2 * 2 + 1 * 2) / (3 * 3))
    assert s["reciprocity"][0] == pytest.approx((2 * 1 + 1 * 2) / (2 * 1 + 1 * 2))  # B → C weighs w_B w_C = 0
    received = received_scores(small, w)
    assert received["trust"][0].tolist()[:3] == pytest.approx([3.0, 4.0, 3.0])
    assert received["raters"][0].tolist() == [1.0, 2.0, 1.0, 2.0]


def test_rules_and_bounds_of_the_small_network(small):
    one = small.responded[None, :].astype(float)
    # pairs of two respondents: AB, AC, BC; with D: AD, BD, CD; A reports D.
    assert rule_density(small, one, rule="or")[0] == pytest.approx((2 + 1) / 6)  # AB, BC; AD
    assert rule_density(small, one, rule="and")[0] == pytest.approx((1 + 1) / 6)  # AB (C denies BC); AD
    assert rule_density(small, one, rule="reciprocated")[0] == pytest.approx(1 / 3)  # AB of AB, AC, BC
    assert density_bounds(small, rule="or") == pytest.approx((3 / 6, 5 / 6))  # BD, CD unknown: tied at most
    assert density_bounds(small, rule="and") == pytest.approx((1 / 6, 2 / 6))  # AD unconfirmed
    assert density_bounds(small, rule="reciprocated") == pytest.approx((1 / 6, 2 / 6))


def test_kappa_against_statsmodels_and_by_hand():
    table = np.array([[20, 5], [10, 65]])
    kappa, se, low, high = cohen_kappa(table)
    assert kappa == pytest.approx((0.85 - 0.6) / (1 - 0.6))  # p_o = 85/100, p_e = .25 × .30 + .75 × .70
    ref = cohens_kappa(table)
    assert kappa == pytest.approx(ref.kappa) and se == pytest.approx(ref.std_kappa)
    assert (low, high) == pytest.approx((ref.kappa_low, ref.kappa_upp))


def test_agreement_with_declared_collaborations(small):
    declared = pd.DataFrame({"actor_a": ["A", "C"], "actor_b": ["B", "D"]})
    a = survey_agreement(small, declared)
    # working ties (cooperation or more) found by the survey: AB, BC; declared: AB, CD; six pairs judged
    assert (a.both, a.survey_only, a.declared_only, a.neither, a.pairs) == (1, 1, 1, 3, 6)
    p_o, p_e = 4 / 6, (2 / 6) ** 2 + (4 / 6) ** 2
    assert a.kappa == pytest.approx((p_o - p_e) / (1 - p_e)) == pytest.approx(0.25)


def test_respondents_compared_with_scipy():
    rng = np.random.default_rng(3)
    roster = pd.DataFrame({"kind": rng.choice(["association", "business", "institution"], 60),
                           "attended": rng.random(60) < 0.5})
    responded = rng.random(60) < np.where(roster["attended"], 0.9, 0.4)
    table, tests = compare_respondents(roster, responded, permutations=4000, seed=1)
    t = tests.set_index("variable")
    came = roster["attended"].to_numpy()
    counts = [[(responded & ~came).sum(), (responded & came).sum()], [(~responded & ~came).sum(), (~responded & came).sum()]]
    assert t.loc["attended", "p_value"] == pytest.approx(fisher_exact(counts)[1])
    kinds = pd.crosstab(roster["kind"], pd.Series(responded, name="responded")).to_numpy()
    chi2, p, *_ = chi2_contingency(kinds, correction=False)
    assert t.loc["kind", "statistic"] == pytest.approx(chi2)
    assert abs(t.loc["kind", "p_value"] - p) < 0.05  # permutation against asymptotic: close, not equal
    assert table.groupby("variable")["actors"].sum().eq(60).all()


def test_bootstrap_weights_and_percentiles():
    units = np.array([True, False, True, True])
    w = bootstrap_weights(units, draws=500, seed=2)
    assert (w.sum(axis=1) == 3).all() and (w[:, 1] == 0).all()
    draws = np.random.default_rng(0).normal(size=(1000, 2))
    draws[:10, 1] = np.nan
    low, high = percentile_interval(draws, alpha=0.1)
    assert low[0] == pytest.approx(np.quantile(draws[:, 0], 0.05)) and high[0] == pytest.approx(
        np.quantile(draws[:, 0], 0.95))
    assert low[1] == pytest.approx(np.nanquantile(draws[:, 1], 0.05))


def test_roster_and_declared_pairs_by_hand():
    actors = pd.DataFrame({"actor_id": ["A", "B", "C", "D"], "kind": ["association"] * 4,
                           "commune_code": ["21166", "21231", "21231", "21231"]})
    events = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "commune_code": ["21166", "21166", "21231"],
                           "date": pd.to_datetime(["2020-01-10", "2021-06-01", "2020-02-01"])})
    attendance = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "actor_id": ["B", "C", "D"]})
    r = roster_frame(actors, events, attendance, communes=["21166"], until=dt.date(2020, 12, 31))
    assert r.index.tolist() == ["A", "B"]  # A located there, B came to E1; C came after; D elsewhere
    assert r["inside"].tolist() == [True, False] and r["attended"].tolist() == [False, True]
    c = pd.DataFrame({"actor_a": ["B", "A", "C"], "actor_b": ["A", "C", "D"],
                      "start_date": pd.to_datetime(["2019-01-01", "2021-01-01", "2018-01-01"]),
                      "end_date": pd.to_datetime(["2020-06-30", None, "2019-03-01"])})
    pairs = declared_pairs(c, start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31))
    assert pairs.to_dict("list") == {"actor_a": ["A"], "actor_b": ["B"]}  # AC begins after, CD ended before


def _roster(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"kind": rng.choice(["association", "business", "institution"], n), "commune_code": "21166",
                         "inside": rng.random(n) < 0.7, "attended": rng.random(n) < 0.5},
                        index=pd.Index([f"A{k:03d}" for k in range(n)], name="actor_id"))


def test_bootstrap_intervals_cover_the_true_scores():
    """200 seeded networks of 90 actors, 30 % not answering at random: each interval covers the score
    the network would have if every listed actor had answered in at least 90 % of the runs.
    """
    roster, runs, start = _roster(90, 1), 200, time.perf_counter()
    covered: dict[str, list[bool]] = {}
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        respondents, ties = simulate_wave(roster, rng=rng)
        truth = true_scores(ties, len(roster))
        kept, kept_ties = drop_respondents(respondents, ties, np.full(len(roster), 0.7), rng=rng)
        scores = score_intervals(wave_matrices(kept, kept_ties, roster.index), draws=1000, seed=seed)
        for row in scores.itertuples():
            covered.setdefault(row.score, []).append(row.low <= truth[row.score] <= row.high)
    rates = {k: np.mean(v) for k, v in covered.items()}
    assert set(rates) == set(truth) and min(rates.values()) >= 0.9, rates
    assert time.perf_counter() - start < 120  # vectorised: about 20 s on a loaded 2-core machine


def test_non_response_related_to_attendance_is_said(small):
    """Attendees answer far more often than the others: the report says « biais possible »; at random it
    does not, on this draw.
    """
    roster = _roster(90, 4)
    came = roster["attended"].to_numpy()
    said = {}
    for case, chance in (("random", np.full(90, 0.7)), ("attendance", np.where(came, 0.95, 0.4))):
        rng = np.random.default_rng(11)
        respondents, ties = simulate_wave(roster, rng=rng, wave="vague-1", date=dt.date(2024, 3, 15))
        kept, kept_ties = drop_respondents(respondents, ties, chance, rng=rng)
        wave = analyse_wave(kept, kept_ties, roster, wave="vague-1", date=dt.date(2024, 3, 15), draws=300,
                            permutations=500)
        analysis = SimpleNamespace(waves=[wave], rule="or", draws=300, change=None)
        pub = SimpleNamespace(survey=publish_survey(analysis, threshold=5, alpha=0.05), source="test")
        said[case] = survey_body(pub)[0]
    assert "biais possible" in said["attendance"] and "venu aux rencontres" in said["attendance"]
    assert "biais possible" not in said["random"]


def test_change_between_waves_pairs_each_actor_with_itself():
    roster = _roster(60, 7)
    rng = np.random.default_rng(5)
    first = simulate_wave(roster, rng=rng, wave="v1")
    second = simulate_wave(roster, rng=rng, wave="v2")
    m1 = wave_matrices(*drop_respondents(*first, np.full(60, 0.8), rng=rng), roster.index)
    m2 = wave_matrices(*drop_respondents(*second, np.full(60, 0.8), rng=rng), roster.index)
    change = wave_change(m1, m2, names=("v1", "v2"), attended=roster["attended"], draws=400)
    one1, one2 = m1.responded[None, :].astype(float), m2.responded[None, :].astype(float)
    c = change.changes.set_index("score")
    expected = network_scores(m2, one2)["trust"][0] - network_scores(m1, one1)["trust"][0]
    assert c.loc["trust", "change"] == pytest.approx(expected)
    assert c.loc["trust", "low"] <= c.loc["trust", "change"] <= c.loc["trust", "high"]
    assert change.panel == int((m1.responded & m2.responded).sum())
    g = change.groups.set_index(["attended", "score"])
    d = change.difference.set_index("score")
    assert d.loc["trust", "value"] == pytest.approx(g.loc[(True, "trust"), "change"] - g.loc[(False, "trust"), "change"])

"""How meeting works (issue 29): dose, timing, the tiers-lieu, structure, equivalence, bridging, boundary.

The simulation studies plant a mechanism in seeded territories
(:mod:`evaluation.measures.network.simulation`) and check that the estimator finds it, and
that the estimator it replaces does not (so that each study can fail). References:
networkx (Newman's collaboration weights, common neighbours), statsmodels (GLM with actor
and window dummies, the z-test TOST), exact enumeration of permutations, hand cases.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from networkx.algorithms import bipartite
from statsmodels.stats.weightstats import ztost

from evaluation.measures.network import build as nb
from evaluation.measures.network.boundary import boundary
from evaluation.measures.network.bridging import mixing
from evaluation.measures.network.dose import dose_response
from evaluation.measures.network.effect import NetworkEffect
from evaluation.measures.network.exposure import dose_classes, pair_values, shared_events
from evaluation.measures.network.fe_poisson import PairDesign, fe_poisson
from evaluation.measures.network.models import adjusted_model, combination, sample_rows
from evaluation.measures.network.robustness import equivalence_test
from evaluation.measures.network.simulation import simulate_panel, simulate_selection, simulate_transitivity
from evaluation.measures.network.structure import common_partners, structural_model
from evaluation.measures.network.timing import discrete_time_model, event_study, pair_periods, windows
from evaluation.measures.network.venues import VenueSpec, venue_effects, venue_events, venue_subsets

FE = "actor_fixed_effects"


# --------------------------------------------------------------------------- simulation studies
class TestDoseResponse:
    """Each shared event multiplies the chance of a tie by 1.3; activity drives attendance and ties."""

    OPTIONS = dict(per_event=1.3, n_actors=200, tie_rate=0.002, sigma=0.8, events_before=12, attendance_rate=0.08,
                   max_attendance=0.4)

    def test_recovered_within_its_interval_in_nine_runs_of_ten(self):
        covers, logs = [], []
        for seed in range(50):
            d = simulate_selection(seed=seed, **self.OPTIONS).pairs
            row = adjusted_model("dose", d, {"shared_events": d["copresence"].to_numpy(float)}, model=FE).term(
                "shared_events")
            covers.append(row["ci_low"] <= 1.3 <= row["ci_high"])
            logs.append(np.log(row["ratio"]))
        assert np.mean(covers) >= 0.9
        assert abs(np.mean(logs) - np.log(1.3)) < 0.08  # unbiased, not only wide

    def test_without_a_dose_the_ratio_per_event_covers_one(self):
        """Selection alone (no effect of meeting): the within-actor dose ratio is 1."""
        covers = []
        for seed in range(20):
            d = simulate_selection(seed=seed, **{**self.OPTIONS, "per_event": 1.0}).pairs
            row = adjusted_model("dose", d, {"shared_events": d["copresence"].to_numpy(float)}, model=FE).term(
                "shared_events")
            covers.append(row["ci_low"] <= 1 <= row["ci_high"])
        assert np.mean(covers) >= 0.85

    def test_the_chapter_fits_the_same_count_model(self):
        s = simulate_selection(seed=3, **self.OPTIONS)
        before, _ = nb.split_periods(s.split_date)
        universe = s.prior.index
        dose = dose_response(s.pairs, attendance=s.attendance, events=s.events, period=before, universe=universe,
                             model=FE, controls={})
        direct = adjusted_model("dose", s.pairs, {"shared_events": s.pairs["copresence"].to_numpy(float)}, model=FE)
        assert dose.count.term("shared_events")["ratio"] == pytest.approx(direct.term("shared_events")["ratio"],
                                                                         rel=1e-8)
        assert set(dose.classes.table["term"]) == {"shared_1", "shared_2-3", "shared_4+"}
        assert set(dose.size.table["term"]) == {"small_events", "large_events"}
        assert list(dose.kinds.table["term"]) == ["kind:atelier"]


class TestTransitivity:
    """Partners of partners become partners; meeting has no effect."""

    OPTIONS = dict(tie_rate_before=0.006, within=40, closure=2.0, groups=20, tie_rate=0.001, events_before=60,
                   attendance_in=0.3, sigma=0.5, n_actors=250)

    def test_the_structural_model_covers_one_where_the_plain_one_is_biased(self):
        covers, plain, closure = [], [], []
        for seed in range(50):
            s = simulate_transitivity(seed=seed, **self.OPTIONS)
            before, _ = nb.split_periods(s.split_date)
            ties = nb.collaboration_ties(s.collaborations, period=before)
            met = (s.pairs["copresence"] > 0).to_numpy(float)
            m = structural_model(s.pairs, ties_before=ties, universe=s.universe, exposure=met, model=FE, controls={})
            row = m.term("met")
            covers.append(row["ci_low"] <= 1 <= row["ci_high"])
            closure.append(np.log(m.term("common_partners")["ratio"]))
            plain.append(np.log(adjusted_model("plain", s.pairs, {"met": met}, model=FE).term("met")["ratio"]))
        assert np.mean(covers) >= 0.9
        assert np.exp(np.nanmean(plain)) > 1.3  # without the common partners, meeting takes the credit
        assert abs(np.exp(np.nanmean(closure)) - 2.0) < 0.3  # and the closure is found


class TestVenue:
    """Meeting at the tiers-lieu's events triples the chance of a first tie; meeting elsewhere does nothing."""

    def test_attributed_to_the_venue_and_not_elsewhere(self):
        attributed = []
        for seed in range(25):
            s = simulate_panel(seed=seed, effect_venue=3.0, n_actors=150)
            wins = windows(pd.concat([s.events["date"], s.collaborations["start_date"]]))
            spec = [VenueSpec("venue", organiser="venue", since=s.start + pd.DateOffset(years=s.venue_from))]
            subsets = venue_subsets(s.events, spec)
            panel = pair_periods(s.actors["actor_id"], s.attendance, s.events, s.collaborations, wins, subsets=subsets)
            v = venue_effects(panel, attendance=s.attendance, events=s.events, venues=spec, subsets=subsets, model=FE)
            at, elsewhere = v.together.term("met_venues"), v.together.term("met_elsewhere")
            attributed.append(at["ci_low"] > 1 and elsewhere["ci_low"] <= 1 <= elsewhere["ci_high"])
        assert np.mean(attributed) >= 0.8


class TestTiming:
    """A first tie's chance doubles once a pair has met, in every year; the level dips one year (COVID)."""

    def test_equal_windows_recover_the_effect_the_two_period_contrast_misses(self):
        dt, two, dt_cover, two_cover = [], [], [], []
        for seed in range(20):
            s = simulate_panel(seed=seed, venue_share=0.0, effect_elsewhere=2.0, n_actors=150,
                               baseline=(1, 1, 1, 0.4, 1.5, 1.5, 1.5))
            wins = windows(pd.concat([s.events["date"], s.collaborations["start_date"]]))
            panel = pair_periods(s.actors["actor_id"], s.attendance, s.events, s.collaborations, wins)
            row = discrete_time_model(panel, model=FE).term("met")
            # The two-period design: two years before the split, five after.
            before, after = nb.split_periods(s.start + pd.DateOffset(years=2))
            nodes = s.actors.set_index("actor_id").assign(urban_rural="urbain")
            d = nb.dyads(nodes, nb.copresence(s.attendance, s.events, period=before),
                         nb.collaboration_ties(s.collaborations, period=before),
                         nb.collaboration_ties(s.collaborations, period=after), universe=nodes.index)
            crude = adjusted_model("two", d, {"met": (d["copresence"] > 0).to_numpy(float)}, model=FE).term("met")
            dt.append(np.log(row["ratio"]))
            two.append(np.log(crude["ratio"]))
            dt_cover.append(row["ci_low"] <= 2 <= row["ci_high"])
            two_cover.append(crude["ci_low"] <= 2 <= crude["ci_high"])
        assert np.mean(dt_cover) >= 0.9 and abs(np.mean(dt) - np.log(2)) < 0.12
        # Pairs who meet after the split count as never met: the contrast is biased towards 1.
        assert np.exp(np.mean(two)) < 1.7 and np.mean(two_cover) < np.mean(dt_cover) - 0.2


# --------------------------------------------------------------------------- exposures
def _bipartite(att: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(att["actor_id"].unique(), bipartite=0)
    g.add_nodes_from(att["event_id"].unique(), bipartite=1)
    g.add_edges_from(att[["actor_id", "event_id"]].itertuples(index=False))
    return g


class TestExposure:
    @pytest.mark.parametrize("seed", [0, 1])
    def test_newman_weights_match_networkx(self, seed):
        rng = np.random.default_rng(seed)
        att = pd.DataFrame({"event_id": [f"E{k}" for k in rng.integers(0, 12, 150)],
                            "actor_id": [f"A{k:02d}" for k in rng.integers(0, 40, 150)]}).drop_duplicates()
        ev = pd.DataFrame({"event_id": [f"E{k}" for k in range(12)], "date": pd.Timestamp("2021-01-01")})
        ours = shared_events(att, ev, weighting="newman").set_index(["actor_a", "actor_b"])["weight"]
        g = bipartite.collaboration_weighted_projected_graph(_bipartite(att), att["actor_id"].unique())
        ref = pd.Series({(min(u, v), max(u, v)): w["weight"] for u, v, w in g.edges(data=True)}).sort_index()
        ref.index.names = ["actor_a", "actor_b"]
        pd.testing.assert_series_equal(ours.sort_index(), ref[ref > 0], check_names=False, rtol=1e-12)
        counts = shared_events(att, ev).set_index(["actor_a", "actor_b"])["weight"]
        plain = nb.copresence(att, ev).assign(actor_a=lambda t: t["actor_a"].astype(str),
                                               actor_b=lambda t: t["actor_b"].astype(str))
        np.testing.assert_array_equal(counts.sort_index().to_numpy(),
                                      plain.set_index(["actor_a", "actor_b"])["weight"].sort_index().to_numpy())

    def test_restricted_to_some_events_and_on_pairs(self):
        att = pd.DataFrame({"event_id": ["E1", "E1", "E1", "E2", "E2"], "actor_id": ["a", "b", "c", "a", "b"]})
        ev = pd.DataFrame({"event_id": ["E1", "E2"], "date": pd.Timestamp("2021-01-01")})
        small = shared_events(att, ev, keep=pd.Series([False, True], index=["E1", "E2"]), weighting="newman")
        assert small.to_dict("records") == [{"actor_a": "a", "actor_b": "b", "weight": 1.0}]  # 1/(2 − 1)
        both = shared_events(att, ev, weighting="newman")
        i, j = np.array([0, 0, 1]), np.array([1, 2, 2])  # (a, b), (a, c), (b, c)
        np.testing.assert_allclose(pair_values(both, ["c", "b", "a"], i, j), [1.5, 0.5, 0.5])

    def test_dose_classes(self):
        classes = dose_classes(np.array([0, 1, 2, 3, 4, 9]))
        assert classes["shared_1"].tolist() == [0, 1, 0, 0, 0, 0]
        assert classes["shared_2-3"].tolist() == [0, 0, 1, 1, 0, 0]
        assert classes["shared_4+"].tolist() == [0, 0, 0, 0, 1, 1]

    def test_common_partners_match_networkx(self):
        rng = np.random.default_rng(4)
        ids = [f"A{k:02d}" for k in range(30)]
        g = nx.gnp_random_graph(30, 0.15, seed=4)
        ties = pd.DataFrame([(ids[u], ids[v]) for u, v in g.edges()], columns=["actor_a", "actor_b"])
        i, j = np.triu_indices(30, 1)
        ours = common_partners(ties, rng.permutation(ids), i, j)
        ref = [len(list(nx.common_neighbors(g, a, b))) for a, b in zip(i, j, strict=True)]
        np.testing.assert_array_equal(ours, ref)


# --------------------------------------------------------------------------- models
class TestModels:
    @staticmethod
    def case(seed=0, n=30):
        rng = np.random.default_rng(seed)
        i, j = np.triu_indices(n, 1)
        a = rng.normal(0, 0.8, n)
        x = rng.poisson(0.4 + np.exp(a[i] + a[j]) / 4).astype(float)
        z = rng.integers(0, 2, len(i)).astype(float)
        y = (rng.random(len(i)) < np.exp(-3 + a[i] + a[j] + 0.3 * x)).astype(float)
        return y, pd.DataFrame({"x": x, "z": z}), i, j, n

    def test_frequency_weights_are_duplicated_rows(self):
        y, X, i, j, n = self.case(1)
        w = np.random.default_rng(9).integers(1, 4, len(y)).astype(float)
        ours = fe_poisson(y, X, i, j, n, weights=w)
        rep = np.repeat(np.arange(len(y)), w.astype(int))
        ref = fe_poisson(y[rep], X.iloc[rep], i[rep], j[rep], n)
        np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)
        np.testing.assert_allclose(ours.se_naive, ref.se_naive, rtol=1e-6)

    def test_warm_start_and_shared_factors_leave_the_estimate(self):
        y, X, i, j, n = self.case(2)
        cold = fe_poisson(y, X, i, j, n)
        design = PairDesign()
        first = fe_poisson(y, X[["x"]], i, j, n, design=design)
        warm = fe_poisson(y, X, i, j, n, design=design, start=first)
        np.testing.assert_allclose(warm.params, cold.params, rtol=1e-8)
        np.testing.assert_allclose(warm.se_robust, cold.se_robust, rtol=1e-7)
        assert design.factors

    def test_discrete_time_model_is_the_glm_with_actor_and_window_dummies(self):
        s = simulate_panel(seed=5, n_actors=40, years=4, effect_elsewhere=2.0, venue_share=0.0, tie_rate=0.01)
        wins = windows(pd.concat([s.events["date"], s.collaborations["start_date"]]))
        panel = pair_periods(s.actors["actor_id"], s.attendance, s.events, s.collaborations, wins)
        m = discrete_time_model(panel, model=FE)
        t = panel.table
        y = t["new_tie"].to_numpy(float)
        n = len(panel.universe)
        deg = np.bincount(t["i"], y, minlength=n) + np.bincount(t["j"], y, minlength=n)
        keep = (deg[t["i"]] > 0) & (deg[t["j"]] > 0)
        dummies = np.zeros((len(t), n))
        dummies[np.arange(len(t)), t["i"]] = 1
        dummies[np.arange(len(t)), t["j"]] = 1
        win = np.column_stack([(t["window"] == k).to_numpy(float) for k in range(1, len(wins))])
        design = np.column_stack([t["met"].to_numpy(float), win, dummies[:, deg > 0]])[keep]
        ref = sm.GLM(y[keep], design, family=sm.families.Poisson()).fit(tol=1e-13)
        assert m.term("met")["ratio"] == pytest.approx(np.exp(ref.params[0]), rel=1e-6)
        assert m.fit.se_naive[list(m.params.index).index("met")] == pytest.approx(ref.bse[0], rel=1e-5)

    def test_combination_is_the_delta_method(self):
        y, X, i, j, n = self.case(3)
        table = pd.DataFrame({"i": i, "j": j, "new_tie": y})
        m = adjusted_model("m", table, {"x": X["x"].to_numpy(), "z": X["z"].to_numpy()}, model=FE)
        c = combination(m, {"x": 1.0, "z": 1.0})
        names = list(m.params.index)
        k = [names.index("x"), names.index("z")]
        var = m.cov[np.ix_(k, k)].sum()
        assert c["ratio"] == pytest.approx(np.exp(m.params["x"] + m.params["z"]))
        assert c["ci_high"] == pytest.approx(np.exp(m.params["x"] + m.params["z"] + 1.959963984540054 * np.sqrt(var)))

    def test_sampling_keeps_every_tie_and_is_unbiased(self):
        y = np.r_[np.ones(50), np.zeros(10_000)]
        exposed = np.r_[np.zeros(50, bool), np.arange(10_000) < 2_000]
        rows, w = sample_rows(y, exposed, max_rows=1_000, seed=1)
        assert set(range(50)) <= set(rows)
        kept_exposed = exposed[rows] & (y[rows] == 0)
        assert w[kept_exposed].sum() == pytest.approx(2_000, rel=0.1)
        assert w[~exposed[rows] & (y[rows] == 0)].sum() == pytest.approx(8_000, rel=0.1)
        s = simulate_selection(seed=2, per_event=1.3, n_actors=300, tie_rate=0.002, sigma=0.8, events_before=12,
                               attendance_rate=0.08, max_attendance=0.4)
        full = adjusted_model("f", s.pairs, {"k": s.pairs["copresence"].to_numpy(float)}, model=FE).term("k")
        part = adjusted_model("s", s.pairs, {"k": s.pairs["copresence"].to_numpy(float)}, model=FE,
                              max_rows=8_000).term("k")
        assert part["ci_low"] < full["ratio"] < part["ci_high"]
        assert part["ci_high"] / part["ci_low"] > full["ci_high"] / full["ci_low"]  # sampling costs precision


# --------------------------------------------------------------------------- timing
class TestPanel:
    def test_windows(self):
        w = windows(pd.Series(pd.to_datetime(["2018-03-01", "2020-07-02"])))
        assert [x.label for x in w] == ["2018", "2019", "2020"] and w[0].start == pd.Timestamp("2018-01-01")
        h = windows(pd.Series(pd.to_datetime(["2018-08-01", "2019-02-02"])), unit="half")
        assert [x.label for x in h] == ["2018-S2", "2019-S1"]

    def test_rows_by_hand(self):
        """Three actors, three years. a–b meet in 2018 and tie in 2020; a–c tie in 2019; c leaves end 2019."""
        ev = pd.DataFrame({"event_id": ["E1", "E2"], "date": pd.to_datetime(["2018-05-01", "2020-05-01"]),
                           "kind": "atelier", "commune_code": "21166", "organiser": ["x", "venue"]})
        att = pd.DataFrame({"event_id": ["E1", "E1", "E2", "E2"], "actor_id": ["a", "b", "b", "c"]})
        col = pd.DataFrame({"actor_a": ["a", "c"], "actor_b": ["b", "a"],
                            "start_date": pd.to_datetime(["2020-03-01", "2019-06-01"])})
        actors = pd.DataFrame({"end_date": pd.to_datetime([None, None, "2019-12-31"])}, index=["a", "b", "c"])
        wins = windows(pd.concat([ev["date"], col["start_date"]]))
        subsets = {"venue": pd.Series([False, True], index=["E1", "E2"])}
        p = pair_periods(["c", "a", "b"], att, ev, col, wins, actors=actors, subsets=subsets).table
        got = sorted(map(tuple, p[["i", "j", "window", "new_tie", "met", "cohort", "met_venue"]].to_numpy().tolist()))
        # positions: a 0, b 1, c 2. a–b: 2018 (met during, not before), 2019 (met before), 2020 tie.
        # a–c: 2018, 2019 tie. b–c: 2018, 2019 (c gone in 2020, where they meet at the venue).
        assert got == [(0, 1, 0, 0, 0, 0, 0), (0, 1, 1, 0, 1, 0, 0), (0, 1, 2, 1, 1, 0, 0),
                       (0, 2, 0, 0, 0, -1, 0), (0, 2, 1, 1, 0, -1, 0),
                       (1, 2, 0, 0, 0, 2, 0), (1, 2, 1, 0, 0, 2, 0)]

    def test_event_study_averages_the_cohorts_by_their_weight(self):
        s = simulate_panel(seed=3, n_actors=150, effect_elsewhere=4.0, venue_share=0.0, tie_rate=0.0008)
        wins = windows(pd.concat([s.events["date"], s.collaborations["start_date"]]))
        panel = pair_periods(s.actors["actor_id"], s.attendance, s.events, s.collaborations, wins)
        study = event_study(panel, model=FE)
        t = panel.table
        rel = t["window"] - t["cohort"]
        one = (t["cohort"] >= 0) & (rel == 1)
        sizes = t[one].groupby("cohort").size()
        terms = {f"es:{g}:1": n for g, n in sizes.items() if study.model.term(f"es:{g}:1")["estimable"]}
        total = sum(terms.values())
        expected = np.exp(sum(study.model.params[k] * v / total for k, v in terms.items()))
        row = study.profile.set_index("bin").loc["1"]
        assert row["ratio"] == pytest.approx(expected, rel=1e-10) and row["cohorts"] == len(terms)
        # The effect (× 4) is planted from the window after the meeting on, nothing before it.
        profile = study.profile.set_index("bin")
        assert (profile.loc[["1", "2+"], "ci_low"] > 1).all()
        assert ((profile.loc[["lead", "0"], "ci_low"] <= 1) & (profile.loc[["lead", "0"], "ci_high"] >= 1)).all()


# --------------------------------------------------------------------------- venues, equivalence, bridging, boundary
def test_venue_events_by_organiser_or_commune():
    ev = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "date": pd.to_datetime(["2019-01-01", "2020-02-01", "2021-01-01"]),
                       "commune_code": ["21166", "21166", "21231"], "organiser": ["A002", "A001", "A002"]})
    since = pd.Timestamp("2020-01-01")
    assert venue_events(ev, VenueSpec("x", "21166", None, since)).tolist() == [False, True, False]
    assert venue_events(ev, VenueSpec("x", "21166", "A002", since)).tolist() == [False, False, True]
    subsets = venue_subsets(ev, [VenueSpec("x", "21166", None, since), VenueSpec("y", "21231", None, since)])
    assert subsets["venues"].tolist() == [False, True, True] and subsets["elsewhere"].tolist() == [True, False, False]


class TestEquivalence:
    @staticmethod
    def effect(est, se):
        z = 1.959963984540054
        return NetworkEffect(est, est * np.exp(-z * se), est * np.exp(z * se), 0.5, FE, "fixed_effects", True, 100,
                             30, 20, "any", se=se)

    @pytest.mark.parametrize("est, se", [(1.1, 0.1), (1.27, 0.59), (0.9, 0.3)])
    def test_p_value_is_statsmodels_ztost(self, est, se):
        # A sample whose mean is log(est) and whose standard error is se: ztost's one-sample z-TOST.
        n = 400
        x = np.random.default_rng(0).normal(size=n)
        x = (x - x.mean()) / x.std(ddof=1) * se * np.sqrt(n) + np.log(est)
        p_ref = ztost(x, -np.log(1.5), np.log(1.5))[0]
        assert equivalence_test(self.effect(est, se)).p_value == pytest.approx(p_ref, rel=1e-9)

    def test_verdicts(self):
        assert equivalence_test(self.effect(1.05, 0.1)).verdict == "equivalent"
        # The Chenôve report's falsification, 1,27 (0,40 à 4,06): too wide to tell.
        assert equivalence_test(self.effect(1.27, np.log(4.06 / 1.27) / 1.96)).verdict == "inconclusive"
        assert equivalence_test(self.effect(2.5, 0.2)).verdict == "warning"
        assert equivalence_test(None).verdict is None


class TestMixing:
    def test_expected_share_and_interval_against_every_permutation(self):
        labels = pd.Series(["QPV", "QPV", "hors QPV", "hors QPV", "hors QPV"], index=list("abcde"))
        edges = pd.DataFrame({"actor_a": ["a", "a", "b", "c"], "actor_b": ["b", "c", "d", "e"]})
        m = mixing(edges, labels, list("abcde"), attribute="qpv", period="after", permutations=4000, seed=1)
        shares = []
        for perm in itertools.permutations(labels.to_numpy()):
            lab = dict(zip("abcde", perm, strict=True))
            shares.append(np.mean([lab[a] != lab[b] for a, b in edges.itertuples(index=False)]))
        assert m.share == 0.5 and m.bridging == 2 and m.group_actors == 2
        assert m.expected == pytest.approx(np.mean(shares)) == pytest.approx(2 * 2 * 3 / 20)
        assert m.low == np.quantile(shares, 0.025) and m.high == np.quantile(shares, 0.975)
        exact = np.mean(np.abs(np.array(shares) - m.expected) >= abs(0.5 - m.expected) - 1e-12)
        assert m.p_value == pytest.approx(exact, abs=0.03)

    def test_unknown_values_and_one_group(self):
        labels = pd.Series(["rural", None, "rural"], index=list("abc"))
        m = mixing(pd.DataFrame({"actor_a": ["a", "a"], "actor_b": ["b", "c"]}), labels, list("abc"),
                   attribute="urban_rural", period="after")
        assert m.ties == 1 and not m.estimable


def test_boundary_by_hand():
    actors = pd.DataFrame({"actor_id": list("abcde"), "commune_code": ["21166"] * 3 + ["21231"] * 2,
                           "end_date": pd.to_datetime([None, "2021-06-01", None, None, None]),
                           "start_date": pd.to_datetime([None, None, None, "2021-01-01", None])})
    att = pd.DataFrame({"event_id": ["E1", "E1", "E2"], "actor_id": ["a", "d", "b"]})
    col = pd.DataFrame({"actor_a": ["a"], "actor_b": ["b"]})
    b = boundary(actors, att, col, communes=["21166"], network=list("abcd"), active_before=["a", "b", "c"],
                 active_after=["a", "d"], split="2020-01-01", data_end="2024-12-31")
    assert (b.known_here, b.participants, b.participants_from_outside, b.never_attended) == (3, 3, 1, 1)
    assert (b.with_ties, b.network, b.left, b.arrived) == (2, 4, 2, 1)
    assert b.dated and b.left_dated == 1 and b.arrived_dated == 1


def test_actors_ended_before_the_later_period_leave_the_pairs(reference):
    from evaluation.measures.network.analysis import analyse_network

    s = simulate_selection(seed=1, n_actors=60)
    gone = s.actors["actor_id"].iloc[:10]
    actors = s.actors.assign(end_date=np.where(s.actors["actor_id"].isin(gone), s.split_date - pd.Timedelta(days=1),
                                               pd.NaT))
    periods = nb.split_periods(s.split_date)
    kept = analyse_network(actors, s.events, s.attendance, s.collaborations, reference, communes=[s.commune_code],
                           periods=periods, permutations=20, mechanisms=False)
    plain = analyse_network(s.actors, s.events, s.attendance, s.collaborations, reference,
                            communes=[s.commune_code], periods=periods, permutations=20, mechanisms=False)
    ids = set(kept.dyads["actor_a"].astype(str)) | set(kept.dyads["actor_b"].astype(str))
    assert not ids & set(gone) and len(kept.dyads) < len(plain.dyads)
    assert set(plain.dyads["actor_a"].astype(str)) & set(gone)

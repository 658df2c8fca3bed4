"""Networking effects that survive selection: simulation study, references and hand cases."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.measures.network import analysis as network
from evaluation.measures.network import build as network_build
from evaluation.measures.network import inference as network_inference
from evaluation.measures.network.effect import (
    NetworkEffect,
    e_value,
    e_value_interval,
    network_effect,
    prior_activity,
)
from evaluation.measures.network.fe_poisson import fe_poisson
from evaluation.measures.network.robustness import (
    Falsification,
    activity_strata,
    falsification,
    falsification_dyads,
    stratified_qap,
)
from evaluation.measures.network.simulation import simulate_selection

RUNS = 50


def simulated_dyads(seed: int, effect: float, **options):
    """The pipeline of the report (co-presence, ties, pair table) on one simulated territory."""
    s = simulate_selection(seed=seed, effect=effect, **options)
    before, after = network_build.split_periods(s.split_date)
    nodes = s.actors.set_index("actor_id").assign(urban_rural="urbain")
    universe = network_build.active_actors(s.attendance, s.events, s.collaborations, before)
    table = network_build.dyads(nodes, network_build.copresence(s.attendance, s.events, period=before),
                     network_build.collaboration_ties(s.collaborations, period=before),
                     network_build.collaboration_ties(s.collaborations, period=after), universe=universe)
    return s, universe, table


class TestSimulation:
    def test_activity_is_lognormal_and_drives_attendance_and_ties(self):
        s = simulate_selection(n_actors=2000, seed=1)
        log_a = np.log(s.activity.to_numpy())
        assert abs(log_a.std() - 1.2) < 0.05 and abs(log_a.mean()) < 0.06
        attended = s.attendance["actor_id"].value_counts().reindex(s.activity.index, fill_value=0)
        ties = pd.concat([s.collaborations["actor_a"], s.collaborations["actor_b"]]).value_counts()
        ties = ties.reindex(s.activity.index, fill_value=0)
        assert np.corrcoef(log_a, np.log1p(attended))[0, 1] > 0.5
        assert np.corrcoef(log_a, np.log1p(ties))[0, 1] > 0.4

    def test_planted_effect_raises_new_ties_among_met_pairs(self):
        # Same seed: same activity and attendance; only the effect differs.
        _, _, none = simulated_dyads(3, 1.0)
        _, _, planted = simulated_dyads(3, 3.0)
        met = none["copresence"] > 0
        assert (planted.loc[met, "new_tie"].sum() > 2 * none.loc[met, "new_tie"].sum())

    def test_rates_are_checked(self):
        with pytest.raises(ValueError, match="exceeds 1"):
            simulate_selection(tie_rate=0.01, effect=3.0)


    def test_direct_pair_table_is_the_pipelines(self):
        s, universe, table = simulated_dyads(4, 3.0)
        assert list(universe) == list(s.prior.index)
        direct = s.pairs
        pd.testing.assert_frame_equal(direct.reset_index(drop=True),
                                      table[["i", "j", "copresence", "new_tie"]].astype(direct.dtypes.to_dict()),
                                      check_dtype=False)
        before, _ = network_build.split_periods(s.split_date)
        prior = prior_activity(s.attendance, s.events, s.collaborations, universe=universe, period=before)
        pd.testing.assert_frame_equal(prior, s.prior, check_dtype=False)


def crude_excludes_one(seed: int) -> tuple[bool, bool]:
    table = simulate_selection(seed=seed, effect=1.0).pairs
    c = network_inference.conversion(table)
    row = network_inference.dyad_model(table).table.set_index("term").loc["copresence"]
    return c.ci_low > 1, row["ci_low"] > 1


def test_crude_estimates_fail_under_pure_selection():
    """With no effect at all, the crude risk ratio and the dyad logit still 'find' one."""
    results = np.array([crude_excludes_one(seed) for seed in range(RUNS)])
    assert results[:, 0].mean() >= 0.8  # risk ratio interval above 1
    assert results[:, 1].mean() >= 0.8  # odds ratio interval above 1
    assert (1 - results[:, 0]).mean() < 0.9  # so the crude ratio fails the coverage check of the adjusted one


class TestSimulationStudy:
    """The issue's check: 50 seeded runs without effect, 50 with meeting tripling the chance of a tie."""

    @staticmethod
    def study(effect: float) -> tuple[np.ndarray, np.ndarray, list]:
        covers, excludes, models = [], [], []
        for seed in range(RUNS):
            s = simulate_selection(seed=seed, effect=effect)
            r = network_effect(s.pairs, activity=s.prior)
            covers.append(r.ci_low <= 1 <= r.ci_high)
            excludes.append(r.ci_low > 1 or r.ci_high < 1)
            models.append(r.model)
        return np.array(covers), np.array(excludes), models

    def test_no_effect_interval_covers_one(self):
        covers, _, models = self.study(1.0)
        assert set(models) == {"actor_fixed_effects"}
        assert covers.mean() >= 0.9

    def test_planted_effect_is_found(self):
        _, excludes, models = self.study(3.0)
        assert set(models) == {"actor_fixed_effects"}
        assert excludes.mean() >= 0.8


class TestFixedEffectsPoisson:
    @staticmethod
    def case(seed=0, n=25):
        rng = np.random.default_rng(seed)
        i, j = np.triu_indices(n, 1)
        a = rng.normal(0, 1, n)
        x = rng.poisson(0.5 + np.exp(a[i] + a[j]) / 3).astype(float)
        z = rng.integers(0, 2, len(i)).astype(float)
        y = (rng.random(len(i)) < np.exp(-3 + a[i] + a[j] + 0.5 * (x > 0))).astype(float)
        return y, pd.DataFrame({"x": x, "z": z}), i, j, n

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_matches_statsmodels_glm_with_actor_dummies(self, seed):
        y, X, i, j, n = self.case(seed)
        ours = fe_poisson(y, X, i, j, n)
        degree = np.bincount(i, y, minlength=n) + np.bincount(j, y, minlength=n)
        keep = (degree[i] > 0) & (degree[j] > 0)
        dummies = np.zeros((len(i), n))
        dummies[np.arange(len(i)), i] = 1
        dummies[np.arange(len(i)), j] = 1
        design = np.column_stack([X.to_numpy()[keep], dummies[keep][:, degree > 0]])
        ref = sm.GLM(y[keep], design, family=sm.families.Poisson()).fit(tol=1e-13)
        assert ours.converged and ours.n_pairs == keep.sum() and ours.n_actors == (degree > 0).sum()
        np.testing.assert_allclose(ours.params.to_numpy(), ref.params[:2], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ours.se_naive, ref.bse[:2], rtol=1e-5)
        fitted = ours.fixed_effects[i[keep]] + ours.fixed_effects[j[keep]] + X.to_numpy()[keep] @ ours.params
        np.testing.assert_allclose(np.exp(fitted), ref.fittedvalues, rtol=1e-5)

    def test_robust_errors_match_the_dyad_sandwich_on_the_dummy_model(self):
        # Dyad-robust covariance of the full dummy model (statsmodels' scores and Hessian), block of β.
        y, X, i, j, n = self.case(5)
        ours = fe_poisson(y, X, i, j, n)
        degree = np.bincount(i, y, minlength=n) + np.bincount(j, y, minlength=n)
        keep = (degree[i] > 0) & (degree[j] > 0)
        dummies = np.zeros((len(i), n))
        dummies[np.arange(len(i)), i] = 1
        dummies[np.arange(len(i)), j] = 1
        design = np.column_stack([X.to_numpy()[keep], dummies[keep][:, degree > 0]])
        model = sm.GLM(y[keep], design, family=sm.families.Poisson())
        params = model.fit(tol=1e-13).params
        full = network_inference.dyad_robust_cov(model.score_obs(params), np.linalg.inv(-model.hessian(params)), i[keep], j[keep], n)
        np.testing.assert_allclose(ours.se_robust, np.sqrt(np.diag(full)[:2]), rtol=1e-4)


class TestEValue:
    def test_published_example(self):
        # VanderWeele & Ding (2017), Annals of Internal Medicine 167: RR 3.9 (95 % CI 1.8 to 8.7)
        # gives E-values 7.2 for the estimate and 3.0 for the lower bound.
        assert e_value(3.9) == pytest.approx(7.26, abs=0.01)
        assert e_value_interval(3.9, 1.8, 8.7) == pytest.approx(3.0, abs=1e-12)

    def test_hand_computed(self):
        assert e_value(2.0) == pytest.approx(2 + np.sqrt(2))
        assert e_value(0.5) == pytest.approx(2 + np.sqrt(2))  # inverted below 1
        assert e_value(1.0) == 1.0
        assert e_value_interval(0.5, 0.3, 0.8) == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))
        assert e_value_interval(1.4, 0.9, 2.1) == 1.0
        assert np.isnan(e_value(float("nan"))) and np.isnan(e_value(0.0))


class TestModelChoice:
    def test_thin_data_fall_back_to_prior_activity_controls(self):
        s = simulate_selection(n_actors=60, seed=1, effect=3.0)
        d, prior = s.pairs, s.prior
        assert d["new_tie"].sum() < 20
        r = network_effect(d, activity=prior)
        assert r.model == "prior_activity_controls" and r.reason == "too_few_new_ties_for_fixed_effects"
        assert r.estimable and r.controls == ("log_events_before", "log_ties_before")
        # Reference: the same Poisson model written out by hand for statsmodels.
        ev, ti = np.log1p(prior["events"].to_numpy()), np.log1p(prior["ties"].to_numpy())
        i, j = d["i"].to_numpy(), d["j"].to_numpy()
        X = sm.add_constant(np.column_stack([(d["copresence"] > 0).astype(float), ev[i] + ev[j], ti[i] + ti[j]]))
        ref = sm.GLM(d["new_tie"].to_numpy(float), X, family=sm.families.Poisson()).fit()
        assert r.estimate == pytest.approx(np.exp(ref.params[1]), rel=1e-6)
        assert r.se >= ref.bse[1] - 1e-9

    def test_min_actors_rule(self):
        s = simulate_selection(seed=0)
        r = network_effect(s.pairs, activity=s.prior, min_actors=10_000)
        assert r.model == "prior_activity_controls" and r.reason == "too_few_actors_with_ties_for_fixed_effects"

    def test_not_estimable(self):
        d = pd.DataFrame({"i": [0, 0, 1], "j": [1, 2, 2], "copresence": [1, 0, 0], "new_tie": [0, 0, 1]})
        r = network_effect(d)
        assert not r.estimable and r.model is None and r.reason == "too_few_new_ties" and np.isnan(r.estimate)
        d["new_tie"] = [0, 1, 1]
        r = network_effect(d)
        assert not r.estimable and r.reason == "no_new_tie_among_met_or_unmet"
        with pytest.raises(ValueError, match="exposure"):
            network_effect(d, exposure="some")


def falsification_run(seed: int):
    s = simulate_selection(seed=seed, effect=3.0)
    before, after = network_build.split_periods(s.split_date)
    nodes = s.actors.set_index("actor_id").assign(urban_rural="urbain")
    universe = network_build.active_actors(s.attendance, s.events, s.collaborations, before).intersection(
        network_build.active_actors(s.attendance, s.events, s.collaborations, after))
    table = falsification_dyads(nodes, network_build.copresence(s.attendance, s.events, period=after),
                                network_build.collaboration_ties(s.collaborations, period=before), universe=universe)
    activity = prior_activity(s.attendance, s.events, None, universe=universe, period=after)
    return table, falsification(table, activity=activity)


def test_falsification_is_quiet_where_crude_comparison_is_not():
    """Meetings after cannot cause ties before: the adjusted placebo is mostly quiet, the crude one is not."""
    warnings, crude = [], []
    for seed in range(8):
        table, result = falsification_run(seed)
        assert result.effect.model == "actor_fixed_effects"
        warnings.append(result.warning)
        crude.append(network_inference.conversion(table).ci_low > 1)
    assert np.mean(warnings) <= 0.25 and np.mean(crude) >= 0.75


class TestStratifiedQAP:
    @staticmethod
    def case(seed=0, n=40):
        rng = np.random.default_rng(seed)
        x = np.triu(rng.poisson(0.3, (n, n)), 1)
        x = x + x.T
        iu = np.triu_indices(n, 1)
        pick = rng.choice(iu[0].size, 60, replace=False)
        return x, (iu[0][pick], iu[1][pick]), n

    def test_one_stratum_is_the_plain_qap(self):
        x, y, n = self.case()
        plain = network_inference.qap_test(x, y, n, permutations=300, seed=3)
        ours = stratified_qap(x, y, n, np.zeros(n, dtype=int), permutations=300, seed=3)
        np.testing.assert_allclose(ours.null, plain.null)
        assert ours.p_value == plain.p_value and ours.statistic == plain.statistic

    def test_singleton_strata_do_not_move(self):
        x, y, n = self.case(1)
        r = stratified_qap(x, y, n, np.arange(n), permutations=50)
        np.testing.assert_allclose(r.null, r.statistic)
        assert r.p_value == 1.0

    def test_strata_by_rank(self):
        strata = activity_strata(np.array([0, 0, 0, 0, 5, 9, 1, 1, 2, 3]), bins=5)
        assert np.bincount(strata).tolist() == [2, 2, 2, 2, 2]
        assert strata[5] == 4 and strata[4] == 4


def test_analyse_network_adds_the_adjusted_results(reference):
    """On a simulated territory without any effect: the crude ratio 'finds' one, the adjusted one does not."""
    s = simulate_selection(seed=11, effect=1.0)
    na = network.analyse_network(s.actors, s.events, s.attendance, s.collaborations, reference,
                            communes=[s.commune_code], periods=network_build.split_periods(s.split_date), permutations=200)
    assert na.conversion.ci_low > 1
    assert na.effect.model == "actor_fixed_effects" and na.effect.ci_low <= 1 <= na.effect.ci_high
    assert na.effect.n_pairs == len(na.dyads) and na.effect.n_new_ties == int(na.dyads["new_tie"].sum())
    assert na.falsification.effect.estimable
    assert na.qap_stratified.permutations == 200 and np.isfinite(na.qap_stratified.statistic)
    assert na.effect.e_value == pytest.approx(e_value(na.effect.estimate))


@pytest.fixture(scope="module")
def chenove_measures():
    from evaluation.report.context import measure, prepare_context

    ctx = prepare_context("chenove")
    return ctx, measure(ctx, permutations=99)


class TestReading:
    """The French reading of the adjusted effect (``sections.network_effect``), from the publication alone."""

    @staticmethod
    def effect(estimate, low, high, model="actor_fixed_effects", reason="fixed_effects", estimable=True):
        return NetworkEffect(estimate, low, high, 0.01, model if estimable else None, reason, estimable, 5000, 60,
                             40, "any", e_value=e_value(estimate), e_value_ci=e_value_interval(estimate, low, high))

    @staticmethod
    def reading(measures, effect, placebo=None, *, threshold=5):
        import dataclasses

        from evaluation.report import sections
        from evaluation.report.publication import publish

        ctx, m = measures
        net = dataclasses.replace(m.network, effect=effect, falsification=placebo)
        pub = publish(ctx, m.summary, net, m.venue, threshold=threshold)
        return sections.network_effect(pub).split("\n\n", 1)[-1], pub  # the text under its annex heading

    def test_leads_with_adjusted_estimate_model_falsification_and_e_value(self, chenove_measures):
        placebo = Falsification(self.effect(2.5, 1.4, 4.4), warning=True)
        text, pub = self.reading(chenove_measures, self.effect(3.9, 1.8, 8.7), placebo)
        split = f"{pub.territory.split_date:%d/%m/%Y}"
        assert text.startswith("**À propension des acteurs égale") and f"avant le {split}" in text
        assert "3,90 (IC 95\u202f% 1,80 à 8,70" in text and "avec un effet fixe par acteur" in text
        assert "signal d'alerte" in text
        # E-values of VanderWeele & Ding's example: 7.3 for the estimate, 3.0 for the bound.
        assert "un facteur de confusion non mesuré devrait multiplier par au moins 7,3" in text
        assert "au moins 3,0" in text
        ind = pub.indicators.set_index("code")
        assert ind.loc["effet_reseau", "valeur"] == 3.9 and ind.loc["effet_reseau_evalue", "valeur"] == 1
        # In plain words for L'essentiel: the alarm is said, and the finding is graded fragile (issue 27).
        from evaluation.report.sections.findings import findings

        plain = next(f for f in findings(pub) if f.key == "network")
        assert "sans doute trop forte" in plain.text and plain.grade == "fragile"
        assert "environ quatre fois plus souvent" in plain.text

    def test_says_when_meeting_and_activity_cannot_be_separated(self, chenove_measures):
        text, _ = self.reading(chenove_measures, self.effect(1.1, 0.7, 1.7),
                               Falsification(self.effect(1.0, 0.6, 1.6), False))
        assert "ne permettent pas de séparer l'effet des rencontres de celui de l'activité" in text
        assert "pas d'association nette" in text and "l'intervalle contient déjà 1" in text
        text, pub = self.reading(chenove_measures,
                                 self.effect(np.nan, np.nan, np.nan, reason="too_few_new_ties", estimable=False))
        assert text.startswith("**Les données ne permettent pas de séparer") and "moins de deux nouveaux liens" in text
        ind = pub.indicators.set_index("code")
        assert not ind.loc["effet_reseau", "estimable"]
        assert ind.loc["effet_reseau", "motif"] == "moins de deux nouveaux liens"
        assert ind.loc["effet_reseau_evalue", "valeur"] == 0
        fallback = self.effect(2.0, 1.2, 3.3, model="prior_activity_controls",
                               reason="too_few_new_ties_for_fixed_effects")
        text, _ = self.reading(chenove_measures, fallback)
        assert "ajusté sur l'activité antérieure" in text and "trop peu de nouveaux liens" in text

    def test_withheld_with_the_conversion_counts(self, chenove_measures):
        """At a threshold above the conversion counts the effect, its E-value and the falsification
        are not published: the text says so and carries none of their numbers.
        """
        placebo = Falsification(self.effect(2.5, 1.4, 4.4), warning=True)
        text, pub = self.reading(chenove_measures, self.effect(3.9, 1.8, 8.7), placebo, threshold=100)
        assert pub.network.conversion["suppressed"].any()
        e = pub.network.effect
        assert e.effect.withheld and np.isnan(e.effect.value) and np.isnan(e.e_value) and not e.falsification.shown
        assert "secret statistique" in text
        effect = text.split("\n\n")[0]  # the mechanisms' paragraph may give public shares of ties
        assert not re.search(r"\d,\d", effect)  # no ratio, interval or E-value
        assert pub.indicators.set_index("code").loc["effet_reseau", "secret"]


def test_every_reason_code_has_french_words():
    from evaluation.measures.network.effect import REASONS
    from evaluation.report.tables import EFFECT_REASONS

    assert set(REASONS) == set(EFFECT_REASONS)

"""Degenerate designs of the fixed-effects Poisson fit: separation, collinearity, divergence.

The falsification test of the illustrative Corsican territories crashed inside
:func:`fe_poisson` (``ValueError: array must not contain infs or NaNs`` from the Cholesky
solve): among the pairs kept, a pair control and the actor effects predicted some pairs
without a tie perfectly, the Poisson maximum did not exist and the iterations overflowed.
References here: hand reasoning on small tables, scipy's linear programming for the
separated pairs, statsmodels' GLM with actor dummies for the estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.optimize import linprog

from evaluation.measures.network.effect import network_effect
from evaluation.measures.network.fe_poisson import fe_poisson, identified_columns, separated_pairs
from evaluation.measures.network.robustness import falsification

# Actors 0-3 form group G, actors 4-6 group H; every pair of the 7 actors, (i, j, met, tie).
# No pair inside H has a tie: with the control "same group" and the actor effects, those 3
# pairs are predicted perfectly. The combination z = same_group + (h_i + h_j)/2 − (g_i + g_j)/2
# is 0 on every pair of G (1 − 1) and between the groups (0 + 1/2 − 1/2), and 2 inside H:
# moving the estimate along it raises the likelihood for ever (separation).
GROUPS = np.array([1, 1, 1, 1, 0, 0, 0], dtype=bool)
PAIRS = [(0, 1, 1, 1), (0, 2, 0, 0), (0, 3, 1, 0), (1, 2, 1, 1), (1, 3, 0, 1), (2, 3, 0, 0),
         (0, 4, 1, 1), (0, 5, 0, 0), (0, 6, 0, 1), (1, 4, 0, 0), (1, 5, 1, 0), (1, 6, 1, 1),
         (2, 4, 0, 1), (2, 5, 1, 1), (2, 6, 0, 0), (3, 4, 1, 0), (3, 5, 0, 1), (3, 6, 1, 1),
         (4, 5, 1, 0), (4, 6, 0, 0), (5, 6, 1, 0)]


def grouped_table() -> pd.DataFrame:
    d = pd.DataFrame(PAIRS, columns=["i", "j", "copresence", "new_tie"])
    g_i, g_j = GROUPS[d["i"]], GROUPS[d["j"]]
    return d.assign(same_group=(g_i == g_j).astype(float), both_g=(g_i & g_j).astype(float))


def dummies(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    f = np.zeros((len(i), n))
    f[np.arange(len(i)), i] = 1
    f[np.arange(len(i)), j] += 1
    return f


def lp_separated(y: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Pairs a certificate z = design @ γ (0 where y > 0, ≥ 0 elsewhere) makes positive, by scipy's HiGHS.

    Maximises the sum of z on the pairs without a tie, each capped at 1, then again on
    those not yet found, until none is added: the union is the largest separated set.
    """
    pos, zero = y > 0, design[y == 0]
    found = np.zeros(len(zero), dtype=bool)
    while True:
        res = linprog(-zero[~found].sum(axis=0), A_ub=np.vstack([-zero, zero]),
                      b_ub=np.r_[np.zeros(len(zero)), np.ones(len(zero))], A_eq=design[pos],
                      b_eq=np.zeros(pos.sum()), bounds=[(None, None)] * design.shape[1], method="highs")
        new = (zero @ res.x > 1e-7) & ~found
        if not new.any():
            break
        found |= new
    out = np.zeros(len(y), dtype=bool)
    out[np.flatnonzero(~pos)[found]] = True
    return out


class TestSeparation:
    def test_the_pairs_inside_h_are_separated(self):
        d = grouped_table()
        y, X = d["new_tie"].to_numpy(float), d[["copresence", "same_group", "both_g"]].to_numpy()
        i, j = d["i"].to_numpy(), d["j"].to_numpy()
        ours = separated_pairs(y, X, i, j, 7)
        inside_h = ~GROUPS[i] & ~GROUPS[j]
        np.testing.assert_array_equal(ours, inside_h)  # hand reasoning (module constants)
        np.testing.assert_array_equal(ours, lp_separated(y, np.column_stack([X, dummies(i, j, 7)])))

    def test_no_separation_in_a_random_design(self):
        rng = np.random.default_rng(3)
        i, j = np.triu_indices(12, 1)
        x = rng.integers(0, 2, len(i)).astype(float)
        y = (rng.random(len(i)) < 0.4).astype(float)
        assert not separated_pairs(y, x[:, None], i, j, 12).any()
        assert not lp_separated(y, np.column_stack([x, dummies(i, j, 12)])).any()

    def test_without_actor_effects(self):
        # One regressor, no pair with z = 1 has a tie: those pairs are separated (constant + z).
        y = np.array([1, 0, 1, 0, 0, 0, 2, 0], dtype=float)
        z = np.array([0, 0, 0, 0, 1, 1, 0, 0], dtype=float)
        X = np.column_stack([z, np.ones(8)])
        none = np.zeros(0, dtype=np.int64)
        np.testing.assert_array_equal(separated_pairs(y, X, none, none, 0), z > 0)
        np.testing.assert_array_equal(separated_pairs(y, X, none, none, 0), lp_separated(y, X))

    def test_identified_columns(self):
        d = grouped_table()
        rest = ~(~GROUPS[d["i"]] & ~GROUPS[d["j"]])
        X = d.loc[rest, ["copresence", "same_group", "both_g"]].to_numpy()
        i, j = d.loc[rest, "i"].to_numpy(), d.loc[rest, "j"].to_numpy()
        # Without the pairs inside H, both_g = g_i + g_j − 1 and same_group = both_g: actor effects.
        np.testing.assert_array_equal(identified_columns(X, i, j, 7), [True, False, False])
        np.testing.assert_array_equal(identified_columns(X[:, [1, 0]], i, j, 7), [False, True])


class TestDegenerateFits:
    def test_separated_pairs_are_set_aside_and_the_estimate_is_the_dummy_glm(self):
        """The old fit raised (a singular system); the estimate is that of the pairs not separated."""
        d = grouped_table()
        X = d[["copresence", "same_group", "both_g"]]
        y, i, j = d["new_tie"].to_numpy(float), d["i"].to_numpy(), d["j"].to_numpy()
        ours = fe_poisson(y, X, i, j, 7)
        rest = ~(~GROUPS[i] & ~GROUPS[j])
        ref = sm.GLM(y[rest], np.column_stack([d.loc[rest, "copresence"], dummies(i[rest], j[rest], 7)]),
                     family=sm.families.Poisson()).fit(tol=1e-13)
        assert ref.converged
        assert ours.converged and ours.n_separated == 3 and ours.n_pairs == 18
        assert ours.collinear == ("same_group", "both_g")
        assert ours.params["copresence"] == pytest.approx(ref.params[0], rel=1e-6)
        assert ours.se_naive[0] == pytest.approx(ref.bse[0], rel=1e-5)
        assert np.isnan(ours.params[["same_group", "both_g"]]).all()
        fitted = ours.fixed_effects[i[rest]] + ours.fixed_effects[j[rest]] + ours.params["copresence"] * d.loc[rest, "copresence"]
        np.testing.assert_allclose(np.exp(fitted), ref.fittedvalues, rtol=1e-5)

    def test_the_report_crash(self):
        """7 actors in 3 communes, none of the ties among met pairs, distance as control.

        The old fit stopped with the report's ``ValueError: array must not contain infs or
        NaNs``. No tie among met pairs: the likelihood rises for ever as β → −∞, the
        exposure is not identified, and the fit says so with NaN.
        """
        commune = np.array([0, 0, 0, 1, 2, 1, 2])
        i, j = np.triu_indices(7, 1)
        met = np.array([0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1], dtype=float)
        tie = np.array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0], dtype=float)
        km = {(0, 1): 1.7625, (0, 2): 3.5970, (1, 2): 5.3592}  # tens of km between communes
        ci, cj = np.minimum(commune[i], commune[j]), np.maximum(commune[i], commune[j])
        distance = np.array([0.0 if a == b else km[(a, b)] for a, b in zip(ci, cj, strict=True)])
        assert tie[met > 0].sum() == 0
        fit = fe_poisson(tie, pd.DataFrame({"copresence": met, "distance_km": distance}), i, j, 7)
        assert "copresence" in fit.collinear and np.isnan(fit.params["copresence"]) and fit.n_separated > 0

    def test_nothing_to_fit(self):
        i, j = np.triu_indices(4, 1)
        fit = fe_poisson(np.zeros(6), np.ones((6, 1)), i, j, 4)
        assert not fit.converged and np.isnan(fit.params).all() and fit.n_pairs == 0


class TestNetworkEffect:
    def test_separated_pairs_leave_the_fixed_effects_estimate(self):
        d = grouped_table()
        r = network_effect(d, controls=("same_group", "both_g"), min_new_ties=2, min_actors=2)
        assert r.estimable and r.model == "actor_fixed_effects" and r.n_separated == 3 and r.controls == ()
        # Reference: the dummy GLM on the pairs not separated, with the exposure alone (the
        # two controls are then actor effects).
        rest = ~(~GROUPS[d["i"]] & ~GROUPS[d["j"]])
        glm = sm.GLM(d.loc[rest, "new_tie"].to_numpy(float),
                     np.column_stack([d.loc[rest, "copresence"], dummies(d.loc[rest, "i"].to_numpy(),
                                                                         d.loc[rest, "j"].to_numpy(), 7)]),
                     family=sm.families.Poisson()).fit(tol=1e-13)
        assert r.estimate == pytest.approx(np.exp(glm.params[0]), rel=1e-6)

    def test_exposure_not_identified_within_actors(self):
        # Met = both in G. With the actor effects, z = x + (h_i + h_j)/2 − (g_i + g_j)/2 is 0
        # on G and between groups, 1 inside H: those pairs are separated, and on the others
        # meeting is g_i + g_j − 1, an actor effect. Without them (a constant, no actor
        # effect) nothing is separated: the prior-activity model is the crude rate ratio.
        d = grouped_table().assign(copresence=lambda t: t["both_g"])
        r = network_effect(d, controls=(), min_new_ties=2, min_actors=2)
        assert r.model == "prior_activity_controls" and r.reason == "exposure_not_identified_within_actors"
        y, met = d["new_tie"].to_numpy(float), d["copresence"].to_numpy() > 0
        assert r.estimate == pytest.approx(y[met].mean() / y[~met].mean(), rel=1e-6) and r.n_separated == 0
        # And with the group as a control it is not identified at all (same_group = met off H).
        r = network_effect(d, controls=("same_group",), min_new_ties=2, min_actors=2)
        assert not r.estimable and np.isnan(r.estimate) and r.reason == "controls_model_failed"

    def test_falsification_never_raises(self):
        d = grouped_table()
        f = falsification(d, controls=("same_group", "both_g"), min_new_ties=2, min_actors=2)
        assert f.effect.estimable and np.isfinite(f.effect.estimate)

    def test_falsification_uses_the_model_of_the_estimate(self):
        """A placebo with actor effects would vouch for a model the estimate did not use."""
        d = grouped_table()
        with_fe = falsification(d, controls=("same_group",), min_new_ties=2, min_actors=2)
        same = falsification(d, controls=("same_group",), min_new_ties=2, min_actors=2,
                             model="prior_activity_controls")
        assert with_fe.effect.model == "actor_fixed_effects"
        assert same.effect.model == "prior_activity_controls" and same.effect.reason == "same_model_as_estimate"
        X = sm.add_constant(d[["copresence", "same_group"]].to_numpy(float))
        ref = sm.GLM(d["new_tie"].to_numpy(float), X, family=sm.families.Poisson()).fit(tol=1e-13)
        assert same.effect.estimate == pytest.approx(np.exp(ref.params[1]), rel=1e-6)

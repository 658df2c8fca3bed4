"""The networking effect adjusted for actor heterogeneity: the effect of meeting, apart from being active.

Actors who go to many events also form many partnerships, meeting or not. Comparing pairs
who met with pairs who did not (:func:`evaluation.measures.network.inference.conversion`,
:func:`evaluation.measures.network.inference.dyad_model`) then credits the meetings with what active actors
would have done anyway. This module estimates the effect of co-presence *within* actors:

* :func:`~evaluation.measures.network.fe_poisson.fe_poisson` — a Poisson model of new ties on the pair table with a fixed effect
  for each actor on either side of the pair, fitted by our own vectorised algorithm;
* :func:`network_effect` — the adjusted rate ratio with dyad-robust inference, falling
  back to controls for prior activity (events attended, ties held before) when the data
  are too thin for fixed effects, the model used and why recorded as codes;
* :func:`~evaluation.measures.network.robustness.falsification` — the same model with co-presence *after* predicting ties that
  already existed *before*: a "significant" effect there is a warning sign;
* :func:`e_value` — sensitivity to unmeasured confounding (VanderWeele & Ding 2017);
* :func:`~evaluation.measures.network.robustness.stratified_qap` — a QAP permutation test whose permutations only swap actors of
  the same activity stratum, so that activity is not part of what is permuted away.

Model choice
------------
The pair table is a gravity-type dyadic regression: the count (here 0/1) of new ties of
pair *ij* is modelled as

.. math:: E[y_{ij}] = \\exp(\\alpha_i + \\alpha_j + \\beta x_{ij} + \\gamma^\\top z_{ij})

where :math:`\\alpha_i` is actor *i*'s general propensity to form ties (its "degree
heterogeneity", Graham 2017) and :math:`x_{ij}` co-presence before. :math:`e^\\beta`
compares pairs *of the same actors* who met more or less: everything that makes an actor
active, measured or not, is absorbed by :math:`\\alpha`. Poisson pseudo-maximum
likelihood is the estimator of choice for such multiplicative models with many zeros
(Santos Silva & Tenreyro 2006): it is consistent whenever the conditional mean is right,
whatever the distribution of :math:`y` (0/1 included, where :math:`e^\\beta` is a risk
ratio, Zou 2004), and unlike the logit its actor effects cause no incidental-parameter
bias in :math:`\\beta` (Charbonneau 2017; Weidner & Zylkin 2021; the logit needs Graham's
2017 tetrad conditional likelihood instead). Inference is dyad-robust (Aronow, Samii &
Assenova 2015; :func:`evaluation.measures.network.inference.dyad_robust_cov`) on the scores with the actor
effects partialled out, and, as in :func:`evaluation.measures.network.inference.dyad_model`, each standard
error is the larger of the dyad-robust and the model-based one.

``pyfixest`` (``fepois`` with both actor columns as fixed effects, the pair table stacked
in both orders) fits the same model; it installs from PyPI as wheels but brings 13 more
packages (great-tables, htmltools, lxml, websockets…) and would double a 4.5-million-row
table. The undirected model has one effect per actor, so the algorithm below is short:
iteratively reweighted least squares where the actor effects are partialled out exactly
through the :math:`n \\times n` system :math:`F^\\top W F` (:math:`F` the pair × actor
incidence, two ones a row), solved by Cholesky — the approach of PPML-HDFE (Correia,
Guimarães & Zylkin 2020) without the alternating projections. Actors with no new tie have
:math:`\\hat\\alpha = -\\infty`: their pairs carry no information and are dropped first.

References
----------
Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. *Review of Economics and
Statistics* 88(4), 641–658.
Graham, B. S. (2017). An econometric model of network formation with degree
heterogeneity. *Econometrica* 85(4), 1033–1063.
Charbonneau, K. B. (2017). Multiple fixed effects in binary response panel data models.
*The Econometrics Journal* 20(3), S1–S13.
Weidner, M. & Zylkin, T. (2021). Bias and consistency in three-way gravity models.
*Journal of International Economics* 132, 103513.
Correia, S., Guimarães, P. & Zylkin, T. (2020). Fast Poisson estimation with
high-dimensional fixed effects. *The Stata Journal* 20(1), 95–115.
Zou, G. (2004). A modified Poisson regression approach to prospective studies with binary
data. *American Journal of Epidemiology* 159(7), 702–706.
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). Cluster–robust variance estimation for
dyadic data. *Political Analysis* 23(4), 564–577.
VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational research:
introducing the E-value. *Annals of Internal Medicine* 167(4), 268–274.
Krackhardt, D. (1988). Predicting with networks: nonparametric multiple regression
analysis of dyadic data. *Social Networks* 10, 359–381.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from evaluation.measures.estimation import z_value
from evaluation.measures.network.build import Period, _period_attendance, collaboration_ties
from evaluation.measures.network.fe_poisson import fe_poisson, identified_columns, separated_pairs
from evaluation.measures.network.inference import CONTROLS, dyad_robust_cov

__all__ = ["ModelCode", "Exposure", "REASONS", "prior_activity", "NetworkEffect", "network_effect", "e_value",
           "e_value_interval"]

ModelCode = Literal["actor_fixed_effects", "prior_activity_controls"]
Exposure = Literal["any", "count"]

#: Reason codes of :class:`NetworkEffect` (why this model, or why nothing was estimable).
REASONS = {
    "fixed_effects": "enough new ties spread over enough actors for actor fixed effects",
    "too_few_new_ties_for_fixed_effects": "fewer new ties than min_new_ties",
    "too_few_actors_with_ties_for_fixed_effects": "fewer actors with a new tie than min_actors",
    "no_contrast_within_actors": "among actors with new ties, the met or the unmet pairs have none",
    "fixed_effects_not_converged": "the fixed-effects fit did not converge",
    "exposure_not_identified_within_actors": "once the pairs predicted perfectly are set aside, the exposure is in the "
                                             "span of the actor effects and the pair controls",
    "too_few_new_ties": "fewer than 2 new ties in all",
    "no_new_tie_among_met_or_unmet": "no new tie among the pairs who met, or among those who did not",
    "no_exposure_contrast": "every pair met, or none did",
    "controls_model_failed": "the prior-activity model could not be fitted (singular or not converged)",
    "same_model_as_estimate": "a falsification test uses the prior-activity model, as the estimate it tests did",
}


# --------------------------------------------------------------------------- activity
def prior_activity(attendance: pd.DataFrame, events: pd.DataFrame, collaborations: pd.DataFrame | None, *,
                   universe: Sequence[str], period: Period | None) -> pd.DataFrame:
    """Each actor's activity in a period, measured without the outcome: events and ties.

    Returns a frame indexed by ``actor_id`` in the order of :func:`evaluation.measures.network.build.dyads`
    (sorted ids, so row *k* is the actor of position *k*), with ``events`` (events
    attended in the period) and ``ties`` (collaboration ties active in it; 0 when
    ``collaborations`` is None).
    """
    ids = pd.Index(sorted(map(str, universe)), name="actor_id")
    att = _period_attendance(attendance, events, period)
    out = pd.DataFrame({"events": att["actor_id"].astype(str).value_counts().reindex(ids, fill_value=0)})
    if collaborations is not None:
        ties = collaboration_ties(collaborations, period=period)
        ends = pd.concat([ties["actor_a"], ties["actor_b"]]).astype(str)
        out["ties"] = ends.value_counts().reindex(ids, fill_value=0)
    else:
        out["ties"] = 0
    return out.astype("int64")


# --------------------------------------------------------------------------- estimate
@dataclass(frozen=True)
class NetworkEffect:
    """The adjusted networking effect (see :func:`network_effect`).

    ``estimate`` is the rate ratio :math:`e^\\beta` of new ties for pairs who met (or per
    shared event with ``exposure="count"``); ``model`` says which model produced it
    (``None`` when nothing was estimable) and ``reason`` why (a key of :data:`REASONS`).
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    model: ModelCode | None
    reason: str
    estimable: bool
    n_pairs: int
    n_new_ties: int
    n_actors_with_ties: int
    exposure: str
    se: float = float("nan")
    se_robust: float = float("nan")
    se_naive: float = float("nan")
    e_value: float = float("nan")
    e_value_ci: float = float("nan")
    controls: tuple[str, ...] = ()
    n_separated: int = 0  # pairs without a new tie predicted perfectly, set aside by the fixed-effects fit

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 1."""
        return bool(self.estimable and (self.ci_low > 1 or self.ci_high < 1))


def _exposure(d: pd.DataFrame, exposure: str) -> np.ndarray:
    if exposure not in ("any", "count"):
        raise ValueError(f"exposure must be 'any' or 'count', got {exposure!r}")
    x = d["copresence"].to_numpy(dtype=float)
    return x if exposure == "count" else (x > 0).astype(float)


def _pair_controls(d: pd.DataFrame, controls: Sequence[str], keep: np.ndarray | None = None) -> dict[str, np.ndarray]:
    out = {}
    for c in controls:
        if c in d:
            v = d[c].to_numpy(dtype=float) / (10.0 if c == "distance_km" else 1.0)
            sub = v if keep is None else v[keep]
            if np.isfinite(sub).all() and np.ptp(sub) > 0:
                out[c] = v
    return out


def _activity_controls(d: pd.DataFrame, activity: pd.DataFrame) -> dict[str, np.ndarray]:
    """Symmetric pair terms: :math:`\\log(1 + e_i) + \\log(1 + e_j)` for each activity column."""
    out = {}
    i, j = d["i"].to_numpy(), d["j"].to_numpy()
    for c in activity.columns:
        v = np.log1p(activity[c].to_numpy(dtype=float))
        term = v[i] + v[j]
        if np.ptp(term) > 0:
            out[f"log_{c}_before"] = term
    return out


def _result(beta: float, se: float, se_robust: float, se_naive: float, *, alpha: float, **kw) -> NetworkEffect:
    z = z_value(alpha)
    est, low, high = np.exp(beta), np.exp(beta - z * se), np.exp(beta + z * se)
    return NetworkEffect(estimate=float(est), ci_low=float(low), ci_high=float(high),
                         p_value=float(2 * stats.norm.sf(abs(beta / se))), estimable=True, se=float(se),
                         se_robust=float(se_robust), se_naive=float(se_naive), e_value=e_value(est),
                         e_value_ci=e_value_interval(est, low, high), **kw)


def network_effect(dyad_table: pd.DataFrame, *, activity: pd.DataFrame | None = None, exposure: Exposure = "any",
                   controls: Sequence[str] = CONTROLS, min_new_ties: int = 20, min_actors: int = 10,
                   alpha: float = 0.05, fixed_effects: bool = True) -> NetworkEffect:
    """The effect of co-presence on new ties, adjusted for each actor's propensity.

    On the pair table of :func:`evaluation.measures.network.build.dyads` (pairs not tied before;
    ``copresence``, ``new_tie``, ``i``, ``j`` and pair controls):

    1. **actor fixed effects** (``model="actor_fixed_effects"``): the Poisson model of
       :func:`~evaluation.measures.network.fe_poisson.fe_poisson` with ``x`` = met before (``exposure="any"``) or shared events
       (``"count"``) and the pair controls that vary; used when there are at least
       ``min_new_ties`` new ties, at least ``min_actors`` actors with a new tie, and a new
       tie both among pairs who met and among pairs who did not once actors without ties
       are set aside (otherwise :math:`\\hat\\beta` is infinite or rests on a handful of
       actors, and cluster-robust errors on few clusters are unreliable);
       pairs without a new tie that the model predicts perfectly (separation,
       :func:`evaluation.measures.network.fe_poisson.separated_pairs`) are set aside
       (``n_separated``) and the controls they leave collinear dropped; when the exposure
       itself is then collinear (``"exposure_not_identified_within_actors"``) or the fit
       does not converge, the next model is used;
    2. otherwise **controls for prior activity** (``"prior_activity_controls"``): a
       Poisson model with a constant, the same exposure and pair controls, and for each
       column of ``activity`` (:func:`prior_activity`: events attended and ties held
       before — never the outcome) the pair term :math:`\\log(1+a_i) + \\log(1+a_j)`,
       with dyad-robust errors; it removes the measured part of activity only (separated
       pairs set aside in the same way; the exposure collinear or the fit not converged
       gives ``"controls_model_failed"``);
    3. not estimable (``estimable=False``) with fewer than 2 new ties, no new tie among
       the pairs who met or among those who did not, or no pair that met.

    ``fixed_effects=False`` skips step 1 (``reason="same_model_as_estimate"``): the
    falsification test of an estimate that had to use prior-activity controls.

    ``reason`` records why (see :data:`REASONS`). The estimate is a rate ratio, which for
    a 0/1 outcome is a risk ratio (Zou 2004); its E-values are attached.
    """
    d = dyad_table
    y = d["new_tie"].to_numpy(dtype=float)
    x = _exposure(d, exposure)
    n_pairs, n_new = len(d), int(y.sum())
    i, j = d["i"].to_numpy(dtype=np.int64), d["j"].to_numpy(dtype=np.int64)
    n_actors = int(max(i.max(), j.max()) + 1) if n_pairs else 0
    degree = np.bincount(i, y, minlength=n_actors) + np.bincount(j, y, minlength=n_actors)
    n_with = int((degree > 0).sum())
    base = dict(n_pairs=n_pairs, n_new_ties=n_new, n_actors_with_ties=n_with, exposure=exposure)

    def not_estimable(reason: str) -> NetworkEffect:
        nan = float("nan")
        return NetworkEffect(nan, nan, nan, nan, None, reason, False, **base)

    met = x > 0
    if n_new < 2:
        return not_estimable("too_few_new_ties")
    if met.all() or not met.any():
        return not_estimable("no_exposure_contrast")
    if not (y[met].any() and y[~met].any()):
        return not_estimable("no_new_tie_among_met_or_unmet")

    keep = (degree[i] > 0) & (degree[j] > 0)
    if not fixed_effects:
        reason = "same_model_as_estimate"
    elif n_new < min_new_ties:
        reason = "too_few_new_ties_for_fixed_effects"
    elif n_with < min_actors:
        reason = "too_few_actors_with_ties_for_fixed_effects"
    elif not (y[keep & met].any() and y[keep & ~met].any()):
        reason = "no_contrast_within_actors"
    else:
        pair = _pair_controls(d, controls, keep)
        X = pd.DataFrame({"copresence": x, **pair})
        fit = fe_poisson(y, X, i, j, n_actors)
        if "copresence" in fit.collinear:
            reason = "exposure_not_identified_within_actors"
        elif fit.converged and np.isfinite(fit.params.iloc[0]) and np.isfinite(fit.cov[0, 0]) and fit.cov[0, 0] > 0:
            se = float(np.sqrt(fit.cov[0, 0]))
            return _result(float(fit.params.iloc[0]), se, float(fit.se_robust[0]), float(fit.se_naive[0]),
                           alpha=alpha, model="actor_fixed_effects", reason="fixed_effects",
                           controls=tuple(c for c in pair if c not in fit.collinear),
                           n_separated=fit.n_separated, **base)
        else:
            reason = "fixed_effects_not_converged"
    try:
        return _controls_fit(d, y, x, activity, controls, reason=reason, alpha=alpha, base=base)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return not_estimable("controls_model_failed")


def _controls_fit(d: pd.DataFrame, y: np.ndarray, x: np.ndarray, activity: pd.DataFrame | None,
                  controls: Sequence[str], *, reason: str, alpha: float, base: dict) -> NetworkEffect:
    act = _activity_controls(d, activity) if activity is not None else {}
    pair = _pair_controls(d, controls)
    X = pd.DataFrame({"copresence": x, "const": 1.0, **act, **pair})
    # Pairs predicted perfectly (separation) have no finite estimate: set them aside, then
    # the columns they leave collinear, as fe_poisson does; the exposure must stay identified.
    none = np.zeros(0, dtype=np.int64)
    keep = ~separated_pairs(y, X.to_numpy(), none, none, 0)
    cols = identified_columns(X.to_numpy()[keep], none, none, 0)
    if not cols[0]:
        raise ValueError("exposure not identified in the prior-activity model")
    X = X.loc[keep, cols]
    fit = sm.GLM(y[keep], X, family=sm.families.Poisson()).fit()
    params = fit.params.to_numpy()
    if not (fit.converged and np.isfinite(params).all()):
        raise ValueError("prior-activity model not converged")
    bread = np.linalg.inv(-fit.model.hessian(params))
    n_actors = int(max(d["i"].max(), d["j"].max()) + 1)
    robust = dyad_robust_cov(fit.model.score_obs(params), bread, d["i"].to_numpy()[keep], d["j"].to_numpy()[keep],
                             n_actors)
    k = list(X.columns).index("copresence")
    se_robust, se_naive = float(np.sqrt(max(robust[k, k], 0.0))), float(np.sqrt(bread[k, k]))
    kept = tuple(c for c in (*act, *pair) if c in X.columns)
    return _result(float(params[k]), max(se_robust, se_naive), se_robust, se_naive, alpha=alpha,
                   model="prior_activity_controls", reason=reason, controls=kept, n_separated=int((~keep).sum()),
                   **base)


# --------------------------------------------------------------------------- sensitivity
def e_value(ratio: float) -> float:
    """E-value of a risk ratio (VanderWeele & Ding 2017).

    .. math:: E = RR + \\sqrt{RR\\,(RR - 1)}

    for :math:`RR \\ge 1`, and the same for :math:`1/RR` when :math:`RR < 1`: the minimum
    strength of association, on the risk-ratio scale, that an unmeasured confounder would
    need with both co-presence and new ties to explain the estimate away. A Poisson rate
    ratio of a 0/1 outcome is a risk ratio; an odds ratio of a rare outcome approximates
    one. NaN for a missing or non-positive ratio.
    """
    if not np.isfinite(ratio) or ratio <= 0:
        return float("nan")
    rr = ratio if ratio >= 1 else 1 / ratio
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value_interval(ratio: float, low: float, high: float) -> float:
    """E-value of the interval bound closest to 1 (1 when the interval contains 1)."""
    if not (np.isfinite(ratio) and np.isfinite(low) and np.isfinite(high)):
        return float("nan")
    if low <= 1 <= high:
        return 1.0
    return e_value(low if ratio > 1 else high)

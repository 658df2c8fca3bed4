"""Inference on dyads: the conversion of co-presence into collaboration, the dyad logit with dyad-robust errors, and the QAP permutation test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from evaluation.measures.estimation import (
    GRADIENT_TOLERANCE,
    MIN_EVENTS_PER_PARAMETER,
    capture_warnings,
    events_reason,
    z_value,
)

__all__ = ["Conversion", "conversion", "dyad_robust_cov", "DyadModel", "CONTROLS", "dyad_model", "QAPResult",
           "qap_test"]


@dataclass
class Conversion:
    """Result of :func:`conversion`: the 2 × 2 table and the risk ratio.

    ``risk_ratio``, ``ci_low``, ``ci_high`` and ``p_value`` are NaN when the ratio is not
    estimable (``estimable`` False, ``reason`` a code of
    :data:`evaluation.measures.estimation.REASONS`).
    """

    met_new: int
    met_total: int
    unmet_new: int
    unmet_total: int
    risk_met: float
    risk_unmet: float
    risk_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


def conversion(dyad_table: pd.DataFrame, *, alpha: float = 0.05) -> Conversion:
    """Share of pairs who start collaborating, among pairs who met vs pairs who never met.

    On the dyads of :func:`~evaluation.measures.network.build.dyads` (pairs not collaborating in the earlier period), with
    *a* of the *a + b* pairs who co-attended and *c* of the *c + d* pairs who never met
    starting a collaboration:

    .. math:: RR = \\frac{a / (a + b)}{c / (c + d)}, \\qquad
              \\exp\\Big(\\log RR \\pm z_{1-\\alpha/2}
              \\sqrt{\\tfrac{1}{a} - \\tfrac{1}{a+b} + \\tfrac{1}{c} - \\tfrac{1}{c+d}}\\Big)

    the Katz log interval, and the Wald p-value of :math:`\\log RR = 0` (statsmodels
    ``Table2x2`` with ``shift_zeros=False``: the counts as they are, the textbook
    formula, which holds when b = 0 or d = 0 — epitools' ``riskratio.wald`` in R).
    Estimable when both groups have pairs, a > 0 and c > 0 (otherwise the ratio is 0 or
    infinite: ``"zero_cell"``) and a + c ≥ 10 new ties (one parameter, see
    :mod:`evaluation.measures.estimation`: ``"too_few_events"``).

    References
    ----------
    Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence
    intervals for the risk ratio in cohort studies. *Biometrics* 34(3), 469–474.
    """
    met = dyad_table["copresence"].to_numpy() > 0
    new = dyad_table["new_tie"].to_numpy().astype(bool)
    a, b = int((met & new).sum()), int((met & ~new).sum())
    c, d = int((~met & new).sum()), int((~met & ~new).sum())
    risk_met = a / (a + b) if a + b else float("nan")
    risk_unmet = c / (c + d) if c + d else float("nan")
    if not (a + b and c + d):
        reason = "no_data" if not (a + b + c + d) else "no_variation"
    elif a + c == 0:
        reason = "no_variation"
    elif a == 0 or c == 0:
        reason = "zero_cell"
    else:
        reason = events_reason(a + c, 1)
    out = Conversion(a, a + b, c, c + d, risk_met, risk_unmet, float("nan"), float("nan"), float("nan"),
                     float("nan"), estimable=reason is None, reason=reason)
    if reason is None:
        with capture_warnings() as captured:
            table = Table2x2(np.array([[a, b], [c, d]], dtype=float), shift_zeros=False)
            low, high = table.riskratio_confint(alpha=alpha)
            out.risk_ratio, out.ci_low, out.ci_high = float(table.riskratio), float(low), float(high)
            out.p_value = float(table.riskratio_pvalue())
        out.warnings = captured.codes
        if not (np.isfinite(out.ci_low) and np.isfinite(out.ci_high)):
            out.estimable, out.reason = False, "infinite_interval"
    return out


def dyad_robust_cov(scores: np.ndarray, hessian_inv: np.ndarray, i: np.ndarray, j: np.ndarray,
                    n_actors: int) -> np.ndarray:
    """Dyad-robust sandwich covariance (Aronow, Samii & Assenova 2015).

    .. math:: V = H^{-1} \\Big(\\sum_a S_a S_a^\\top - \\sum_d s_d s_d^\\top\\Big) H^{-1},
              \\qquad S_a = \\sum_{d \\ni a} s_d

    which adds up :math:`s_d s_{d'}^\\top` over every pair of dyads that share an actor
    (each dyad with itself once). ``scores`` are the per-dyad score vectors and
    ``hessian_inv`` the inverse of the negative Hessian of the log-likelihood.
    """
    k = scores.shape[1]
    incidence = sp.csr_matrix((np.ones(2 * len(i)), (np.concatenate([i, j]), np.tile(np.arange(len(i)), 2))),
                              shape=(n_actors, len(i)))
    per_actor = incidence @ scores  # S_a, one row per actor
    meat = per_actor.T @ per_actor - scores.T @ scores
    return hessian_inv @ meat.reshape(k, k) @ hessian_inv


@dataclass
class DyadModel:
    """Result of :func:`dyad_model`.

    ``estimable`` is False when the model cannot be read (``reason``, a code of
    :data:`evaluation.measures.estimation.REASONS`); ``table`` is then empty. Rows also carry
    ``estimable`` and ``reason`` (a term whose interval is not finite).
    """

    table: pd.DataFrame  # term, odds_ratio, ci_low, ci_high, p_value, se (used), se_robust, se_naive, estimable, reason
    n_dyads: int
    n_actors: int
    new_ties: int
    exposure: str
    note: str = ""
    params: pd.Series = field(default_factory=pd.Series)
    parameters: int = 0  # coefficients besides the intercept
    converged: bool = False  # the optimiser converged and the score is near zero
    gradient_max: float = float("nan")  # max |∂ℓ/∂β| at the estimate
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


CONTROLS = ("same_kind", "same_sector", "same_commune", "both_qpv", "urban_rural_pair", "distance_km")


_ODDS_COLUMNS = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "se", "se_robust", "se_naive", "estimable",
                 "reason"]


def dyad_model(dyad_table: pd.DataFrame, *, exposure: str = "count", controls: Sequence[str] = CONTROLS,
               alpha: float = 0.05, min_events_per_parameter: int = MIN_EVENTS_PER_PARAMETER) -> DyadModel:
    """Logistic model of a new collaboration on co-attendance, with dyad-robust errors.

    .. math:: \\operatorname{logit} P(y_{ab} = 1) = \\beta_0 + \\beta_1 x_{ab} + \\gamma^\\top z_{ab}

    where :math:`x_{ab}` is the number of events the pair attended together before
    (``exposure="count"``) or whether they met at all (``"any"``), and :math:`z_{ab}` the
    controls present in the table (distance in tens of km). Odds ratios
    :math:`e^{\\beta}` come with Wald intervals whose standard errors account for dyads
    sharing actors: dyads with a common actor are not independent — an actor who
    collaborates a lot raises all its dyads — so ordinary or one-way clustered errors are
    too small. The **dyad-robust** sandwich (:func:`dyad_robust_cov`, Aronow et al. 2015)
    handles that dependence, but like every cluster-robust estimator it is biased
    downwards when actors are few; each coefficient therefore uses the larger of the
    dyad-robust and the conventional standard error (Angrist & Pischke 2009, §8.2). Both
    are reported (``se_robust``, ``se_naive``). Controls without variation are dropped.

    **Estimability** (:mod:`evaluation.measures.estimation`): at least ``min_events_per_parameter``
    (10, Peduzzi et al. 1996) of the rarer outcome — new ties, usually — per coefficient
    besides the intercept (``"too_few_events"``; ``"no_variation"`` without any new tie
    or without variation in co-attendance), a converged fit whose score is near zero
    (``"not_converged"``), no separation and finite intervals (``"infinite_interval"``).
    The model is not fitted when there are too few events. Warnings raised by the fit
    are captured (``warnings``), never shown.

    References
    ----------
    Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, §8.2.
    Peduzzi, P. et al. (1996), see :mod:`evaluation.measures.estimation`.
    """
    d = dyad_table
    x = (d["copresence"] if exposure == "count" else (d["copresence"] > 0).astype(float)).astype(float)
    X = pd.DataFrame({"copresence": x})
    for c in controls:
        if c in d and d[c].nunique() > 1:
            X[c] = d[c].astype(float) / (10.0 if c == "distance_km" else 1.0)
    X = sm.add_constant(X, has_constant="add")
    y = d["new_tie"].to_numpy(dtype=float)
    n_actors = int(max(d["i"].max(), d["j"].max()) + 1) if len(d) else 0
    empty = pd.DataFrame(columns=_ODDS_COLUMNS)
    parameters = X.shape[1] - 1
    events = min(y.sum(), len(y) - y.sum())
    base = dict(n_dyads=len(d), n_actors=n_actors, new_ties=int(y.sum()), exposure=exposure, parameters=parameters)
    reason = ("no_data" if not len(d) else "no_variation" if x.nunique() < 2
              else events_reason(events, parameters, per_parameter=min_events_per_parameter))
    if reason is not None:
        return DyadModel(empty, note="trop peu de nouveaux liens", reason=reason, **base)
    with capture_warnings() as captured:
        try:
            fit = sm.Logit(y, X).fit(disp=0, maxiter=200)
        except (PerfectSeparationError, np.linalg.LinAlgError) as error:
            fit, failure = None, "infinite_interval" if isinstance(error, PerfectSeparationError) else "not_converged"
        if fit is not None:
            beta = fit.params.to_numpy()
            gradient = float(np.abs(fit.model.score(beta)).max())
            converged = bool(fit.mle_retvals["converged"]) and gradient <= GRADIENT_TOLERANCE * max(1.0, events)
            try:
                cov = dyad_robust_cov(fit.model.score_obs(beta), np.linalg.inv(-fit.model.hessian(beta)),
                                      d["i"].to_numpy(), d["j"].to_numpy(), n_actors)
            except np.linalg.LinAlgError:
                cov = np.full((len(beta), len(beta)), np.nan)
            se_robust = np.sqrt(np.clip(np.diag(cov), 0, None))
            se_naive = fit.bse.to_numpy()
            se = np.fmax(se_robust, se_naive)
            z = z_value(alpha)
            table = pd.DataFrame({"term": list(X.columns), "odds_ratio": np.exp(beta), "ci_low": np.exp(beta - z * se),
                                  "ci_high": np.exp(beta + z * se), "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
                                  "se": se, "se_robust": se_robust, "se_naive": se_naive})
    if fit is None:
        return DyadModel(empty, reason=failure, warnings=captured.codes, **base)
    model = DyadModel(empty, params=fit.params, converged=converged, gradient_max=gradient, warnings=captured.codes,
                      **base)
    table = table[table["term"] != "const"].reset_index(drop=True)
    finite = np.isfinite(table[["odds_ratio", "ci_low", "ci_high", "se"]]).all(axis=1) & (table["ci_low"] > 0)
    table["estimable"] = finite.to_numpy()
    table["reason"] = np.where(finite, None, "infinite_interval")
    if not converged:
        model.reason = "not_converged"
    elif "perfect_separation" in captured.codes or not finite.all():
        model.reason = "infinite_interval"
    else:
        model.table, model.estimable = table, True
    return model


@dataclass
class QAPResult:
    """Result of :func:`qap_test`."""

    statistic: float  # correlation over dyads
    p_value: float  # one-sided: permuted ≥ observed
    p_value_two_sided: float
    permutations: int
    seed: int
    null_mean: float
    null_sd: float
    null: np.ndarray = field(default_factory=lambda: np.empty(0))  # the permuted statistics
    ties: int = 0  # ties of ``y`` (new collaborations)
    estimable: bool = False
    reason: str | None = None  # a code of evaluation.measures.estimation.REASONS
    warnings: tuple[str, ...] = ()


def _permutations(rng: np.random.Generator, size: int, n: int, strata: np.ndarray | None) -> np.ndarray:
    """``size`` random permutations of ``n`` actors (one per row), within ``strata`` when given."""
    noise = rng.random((size, n))
    if strata is None:
        return np.argsort(noise, axis=1)
    strata = np.asarray(strata)
    shuffled = np.argsort(strata[None, :] + noise, axis=1)  # by stratum, at random within it
    perms = np.empty_like(shuffled)
    perms[:, np.argsort(strata, kind="stable")] = shuffled
    return perms


def qap_test(x: np.ndarray, y_edges: tuple[np.ndarray, np.ndarray], n: int, *, permutations: int = 1000,
             seed: int = 0, batch: int = 250, min_ties: int = MIN_EVENTS_PER_PARAMETER,
             strata: np.ndarray | None = None) -> QAPResult:
    """QAP test of the correlation between a dense dyadic matrix and a set of ties.

    The statistic is Pearson's correlation over the :math:`n(n-1)/2` dyads between
    ``x`` (symmetric, e.g. co-presence counts before) and the 0/1 indicator of the ties
    ``y_edges`` (pairs of integer positions, e.g. new collaborations after). Under the
    null, actor labels of ``x`` are exchangeable: rows and columns are permuted together
    ``permutations`` times (seeded). Because permuting labels only reorders the dyads,
    the means and variances are unchanged and only :math:`\\sum_{ab \\in Y} x_{\\pi(a)\\pi(b)}`
    varies: each permutation costs one gather over the ties, all permutations of a batch
    at once. With ``strata`` (one integer code per actor), a permutation only exchanges
    actors of the same stratum (restricted permutations, Krackhardt 1988): sorting on
    stratum + uniform noise shuffles within strata, and strata of one actor stay fixed.

    Estimable (:mod:`evaluation.measures.estimation`) when ``x`` varies and there are ties but not
    every dyad is one (``"no_variation"``), and at least ``min_ties`` ties — 10 by
    default, the events-per-parameter rule for one coefficient (``"too_few_events"``);
    otherwise the statistic and p-values are NaN and no permutation is drawn.

    References
    ----------
    Krackhardt, D. (1988), see the module references.
    """
    iu = np.triu_indices(n, k=1)
    xv = x[iu].astype(float)
    m = xv.size
    yr, yc = np.minimum(*y_edges), np.maximum(*y_edges)
    k = len(yr)
    mean_x, sd_x = (xv.mean(), xv.std()) if m else (0.0, 0.0)
    p = k / m if m else 0.0
    sd_y = np.sqrt(p * (1 - p))

    def corr(sum_xy: np.ndarray) -> np.ndarray:
        return (sum_xy / m - mean_x * p) / (sd_x * sd_y)

    reason = ("no_data" if m == 0 else "no_variation" if not (sd_x > 0 and sd_y > 0)
              else "too_few_events" if k < min_ties else None)
    if reason is not None:
        nan = float("nan")
        return QAPResult(nan, nan, nan, permutations, seed, nan, nan, ties=k, reason=reason)
    with capture_warnings() as captured:
        observed = float(corr(np.array([x[yr, yc].sum()], dtype=float))[0])
        rng = np.random.default_rng(seed)
        null = np.empty(permutations)
        for start in range(0, permutations, batch):
            perms = _permutations(rng, min(batch, permutations - start), n, strata)
            null[start:start + len(perms)] = corr(x[perms[:, yr], perms[:, yc]].sum(axis=1).astype(float))
    tol = 1e-12
    return QAPResult(observed, float((1 + (null >= observed - tol).sum()) / (permutations + 1)),
                     float((1 + (np.abs(null) >= abs(observed) - tol).sum()) / (permutations + 1)),
                     permutations, seed, float(null.mean()), float(null.std()), null, ties=k, estimable=True,
                     warnings=captured.codes)

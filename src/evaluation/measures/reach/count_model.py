"""The count model of accompaniments per commune (Poisson or negative binomial with a population offset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from evaluation.geo.reference import URBAN
from evaluation.measures.estimation import (
    GRADIENT_TOLERANCE,
    MIN_EVENTS_PER_PARAMETER,
    capture_warnings,
    events_reason,
    z_value,
)
from evaluation.measures.reach.classify import _classified_communes
from evaluation.measures.reach.shares import communes_reached

__all__ = ["CountModel", "count_model"]


@dataclass
class CountModel:
    """Result of :func:`count_model`.

    ``estimable`` is False when the model as a whole cannot be read (``reason``, a code of
    :data:`evaluation.measures.estimation.REASONS`); ``table`` is then empty. Each row of
    ``table`` also carries its own ``estimable`` and ``reason`` (a level with no
    accompaniment has a rate ratio of 0: ``"zero_cell"``), with NaN figures when False.
    """

    term: str
    family: str  # "poisson", "negative binomial" or "" when not estimable
    table: pd.DataFrame  # term, rate_ratio, ci_low, ci_high, p_value, se, estimable, reason
    dispersion: float = float("nan")  # Pearson χ² / residual df of the Poisson fit
    alpha_nb: float = float("nan")  # NB2 over-dispersion parameter (Var = μ + α μ²; R's theta = 1/α)
    n_communes: int = 0
    excluded_zero_population: int = 0
    reference_level: str = ""
    note: str = ""
    aic: dict = field(default_factory=dict)
    events: int = 0  # accompaniments in the modelled communes
    parameters: int = 0  # coefficients besides the intercept
    converged: bool = False  # the optimiser converged and the score is near zero
    gradient_max: float = float("nan")  # max |∂ℓ/∂θ| at the estimate (θ = β, and α for NB2)
    iterations: int = 0  # of the final Newton (NB) or IRLS (Poisson) fit
    estimable: bool = False
    reason: str | None = None
    warnings: tuple[str, ...] = ()


_MODEL_COLUMNS = ["term", "rate_ratio", "ci_low", "ci_high", "p_value", "se", "estimable", "reason"]


def _negative_binomial(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray, start: np.ndarray):
    """NB2 maximum likelihood: BFGS on (β, log α) from ``start``, then Newton on (β, α).

    statsmodels' default BFGS stops when its own step criterion is met, which can be
    short of the maximum (relative error 5·10⁻⁵ on rate ratios measured against R's
    ``MASS::glm.nb``); Newton's method from there converges quadratically. Returns the
    Newton fit and the largest absolute score at its estimate.
    """
    model = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
    first = model.fit(start_params=start, method="bfgs", disp=0, maxiter=500)
    fit = model.fit(start_params=first.params.to_numpy(), method="newton", disp=0, maxiter=100, tol=1e-12)
    gradient = np.abs(model.score(fit.params.to_numpy())).max()
    return fit, float(gradient)


def count_model(table: pd.DataFrame, communes: pd.DataFrame, *,
                term: Literal["urban_rural", "density_label"] = "urban_rural", weight: str | None = None,
                alpha: float = 0.05, overdispersion_threshold: float = 1.5,
                reached: pd.DataFrame | None = None,
                min_events_per_parameter: int = MIN_EVENTS_PER_PARAMETER) -> CountModel:
    """Model of accompaniments per commune with a log-population offset: rate ratios.

    .. math:: \\log E[a_c] = \\log P_c + \\beta_0 + \\beta^\\top x_c

    :math:`e^{\\beta}` is the rate ratio of a group against the reference group (urban,
    or the most populated density level). A Poisson GLM (IRLS) is fitted first; when its
    dispersion (Pearson χ² / residual degrees of freedom) exceeds
    ``overdispersion_threshold`` a negative binomial model is used instead, whose
    intervals allow for the extra variance. Communes with no population are excluded
    (the offset is undefined) and counted in ``excluded_zero_population``. ``reached``
    (from :func:`~evaluation.measures.reach.shares.communes_reached`) may be passed to skip counting ``table`` again.

    **Negative binomial.** NB2, :math:`\\operatorname{Var}(a_c) = \\mu_c + \\alpha\\mu_c^2`
    (R's ``MASS::glm.nb`` has :math:`\\theta = 1/\\alpha`). The dispersion
    :math:`\\alpha` is estimated by maximum likelihood *jointly* with :math:`\\beta`
    (statsmodels ``NegativeBinomial``): BFGS from the Poisson estimates, then Newton's
    method to the maximum (``_negative_binomial``). The fit counts as converged when
    the optimiser says so and every component of the score is at most
    :data:`~evaluation.measures.estimation.GRADIENT_TOLERANCE` × the number of accompaniments in absolute value
    (``gradient_max`` records the largest; the same check applies to the Poisson fit). Standard
    errors are the square roots of the inverse **observed** information of
    :math:`(\\beta, \\alpha)` jointly (the negative Hessian of the log-likelihood at the
    maximum, as Stata's ``nbreg``); ``MASS::glm.nb`` reports instead the expected
    information of :math:`\\beta` at fixed :math:`\\theta`, which differs by about 1 % on
    moderate samples. Poisson standard errors are the GLM's (expected = observed
    information for the log link). Intervals are Wald intervals on the log scale,
    :math:`\\exp(\\hat\\beta \\pm z_{1-\\alpha/2}\\,\\mathrm{se})`.

    **Estimability** (:mod:`evaluation.measures.estimation`): at least two groups present
    (``"no_variation"``), more communes than coefficients (``"too_few_units"``), at least
    ``min_events_per_parameter`` (10) accompaniments per coefficient besides the intercept
    (``"too_few_events"``), a
    converged fit (``"not_converged"``), accompaniments in the reference group
    (``"zero_cell"``); per row, accompaniments in the group (``"zero_cell"``) and a finite
    interval (``"infinite_interval"``). Warnings raised by the fits are captured
    (``warnings``), never shown.

    References
    ----------
    Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed.,
    Cambridge University Press, ch. 3. Venables, W. N. & Ripley, B. D. (2002). *Modern
    Applied Statistics with S*, 4th ed., §7.4.
    """
    d = communes_reached(table, _classified_communes(communes), weight=weight) if reached is None else reached
    zero = int((d["population"].fillna(0) <= 0).sum())
    d = d[d["population"].fillna(0) > 0]
    groups = d[term].astype("object").dropna()
    present = [g for g in d[term].cat.categories if (groups == g).any()]
    empty = pd.DataFrame(columns=_MODEL_COLUMNS)
    if len(present) < 2:
        return CountModel(term, "", empty, n_communes=len(d), excluded_zero_population=zero,
                          note="un seul groupe présent : pas de comparaison possible", events=int(d["count"].sum()),
                          reason="no_variation" if len(d) else "no_data")
    ref_level = URBAN if term == "urban_rural" and URBAN in present else (
        d.groupby(d[term].astype("object"))["population"].sum().idxmax())
    others = [g for g in present if g != ref_level]
    d = d[d[term].notna()]
    X = pd.DataFrame({g: (d[term] == g).astype(float).to_numpy() for g in others})
    X.insert(0, "const", 1.0)
    y = d["count"].to_numpy(dtype=float)
    base = dict(n_communes=len(d), excluded_zero_population=zero, reference_level=str(ref_level),
                events=int(y.sum()), parameters=len(others))
    if len(d) <= X.shape[1]:
        return CountModel(term, "", empty, note="trop peu de communes pour estimer le modèle",
                          reason="too_few_units", **base)
    per_group = d.groupby(d[term].astype("object"))["count"].sum()
    reason = (events_reason(y.sum(), len(others), per_parameter=min_events_per_parameter)
              or ("zero_cell" if per_group.get(ref_level, 0) == 0 else None))
    if reason is not None:
        return CountModel(term, "", empty, reason=reason, **base)
    offset = np.log(d["population"].to_numpy(dtype=float))
    with capture_warnings() as captured:
        poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid > 0 else float("nan")
        fit, family, alpha_nb = poisson, "poisson", float("nan")
        aic = {"poisson": float(poisson.aic)}
        converged, iterations = bool(poisson.converged), int(poisson.fit_history["iteration"])
        gradient = float(np.abs(poisson.model.score(poisson.params.to_numpy())).max())
        if dispersion > overdispersion_threshold:
            start = np.append(poisson.params.to_numpy(), 1.0)  # from the Poisson fit: fewer iterations
            family = "negative binomial"
            try:
                fit, gradient = _negative_binomial(y, X, offset, start)
            except np.linalg.LinAlgError:  # a singular Hessian on the way: no maximum found
                fit, gradient = None, float("nan")
            if fit is not None:
                alpha_nb = float(fit.params["alpha"])
                aic["negative binomial"] = float(fit.aic)
                converged = bool(fit.mle_retvals["converged"]) and alpha_nb > 0
                iterations = int(fit.mle_retvals["iterations"])
            else:
                converged = False
        converged = converged and gradient <= GRADIENT_TOLERANCE * max(1.0, y.sum())
        if converged:
            rows = list(others)
            beta, se = fit.params[rows].to_numpy(), fit.bse[rows].to_numpy()
            z = z_value(alpha)
            out = pd.DataFrame({"term": rows, "rate_ratio": np.exp(beta), "ci_low": np.exp(beta - z * se),
                                "ci_high": np.exp(beta + z * se), "p_value": fit.pvalues[rows].to_numpy(), "se": se})
    model = CountModel(term, family, empty, dispersion, alpha_nb, aic=aic, converged=converged,
                       gradient_max=gradient, iterations=iterations, warnings=captured.codes, **base)
    if not converged:
        model.reason = "not_converged"
        return model
    finite = np.isfinite(out[["ci_low", "ci_high", "se"]]).all(axis=1).to_numpy() & (out["ci_low"] > 0).to_numpy()
    has_events = per_group.reindex(rows).fillna(0).to_numpy() > 0
    out["estimable"] = has_events & finite
    out["reason"] = np.where(~has_events, "zero_cell", np.where(~finite, "infinite_interval", None))
    out.loc[~out["estimable"], ["rate_ratio", "ci_low", "ci_high", "p_value", "se"]] = np.nan
    if not out["estimable"].any():  # no row can be read: the model cannot either
        model.reason = str(out["reason"].iloc[0])
        return model
    model.table, model.estimable = out, True
    return model

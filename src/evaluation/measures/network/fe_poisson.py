"""Poisson regression with two-way actor fixed effects on dyads (both actors of a pair), solved by partialling out the actors' effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as sla

from evaluation.measures.network.inference import dyad_robust_cov

__all__ = ["FEPoissonFit", "fe_poisson", "separated_pairs", "identified_columns"]

#: Weight of the pairs with a positive outcome in the iterative rectifier (their linear
#: combination must be 0; a larger weight costs precision in the Cholesky factor).
_SEPARATION_WEIGHT = 1e8
#: |z| below this is 0 in the iterative rectifier (its precision, given the weight above,
#: is about 1e-7); a pair is separated when its z, which starts at 1, settles above
#: ``_SEPARATED`` — values between are what the zeroing leaves of pairs on their way to 0.
_SEPARATION_TOL = 1e-6
_SEPARATED = 1e-3
#: A column whose residual on the others keeps less than this share of its norm is collinear.
_COLLINEAR_TOL = 1e-5
#: A fitted mean below this is a separated pair the rectifier missed: the fit is refused.
_MU_FLOOR = 1e-10


@dataclass
class FEPoissonFit:
    """Result of :func:`fe_poisson`.

    ``params`` is NaN for a column of X that is not identified (``collinear``: in the span
    of the actor effects and the other columns once separated pairs are set aside); every
    parameter is NaN and ``converged`` False when the fit diverged.
    """

    params: pd.Series  # β, one per column of X
    cov: np.ndarray  # the covariance used: per coefficient the larger of dyad-robust and model-based variances
    se_robust: np.ndarray
    se_naive: np.ndarray
    fixed_effects: np.ndarray  # α per actor position; -inf for actors without any tie
    n_pairs: int  # pairs kept (both actors with at least one tie, not separated)
    n_actors: int  # actors kept
    iterations: int
    converged: bool
    deviance: float
    n_separated: int = 0  # pairs without a tie whose μ̂ is 0 at the maximum (perfect prediction), set aside
    collinear: tuple[str, ...] = ()  # columns of X not identified (NaN in params)


def _partial_out(chol, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Residuals of the weighted regression of each column of ``v`` on the actor dummies.

    Solves :math:`(F^\\top W F) u = F^\\top W v` and returns :math:`v - F u`, with
    :math:`(F u)_{ij} = u_i + u_j`.
    """
    wv = w[:, None] * v
    rhs = np.stack([np.bincount(rows, wv[:, k], minlength=n) + np.bincount(cols, wv[:, k], minlength=n)
                    for k in range(v.shape[1])], axis=1)
    u = sla.cho_solve(chol, rhs, check_finite=False)
    return v - u[rows] - u[cols]


def separated_pairs(y: np.ndarray, X: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, *,
                    tol: float = _SEPARATION_TOL, max_iter: int = 200) -> np.ndarray:
    """Pairs perfectly predicted to have no tie: their :math:`\\hat\\mu` is 0 at the maximum.

    The Poisson likelihood has no finite maximum when some combination
    :math:`z = X\\gamma + F\\delta` of the columns and actor effects is 0 on every pair
    with :math:`y > 0` and :math:`\\ge 0` on the others, positive on some ("separation";
    Santos Silva & Tenreyro 2010): moving the estimate along :math:`-\\gamma` raises the
    likelihood for ever. The pairs with :math:`z > 0` have :math:`\\hat\\mu \\to 0`; once they
    are set aside the other estimates are the maximum likelihood ones, and the columns
    along :math:`\\gamma` become collinear (Correia, Guimarães & Zylkin 2021).

    Found by their iterative rectifier: starting from :math:`u = 1[y = 0]`, regress
    :math:`u` on the columns and the actor dummies by least squares with weight
    ``1e8`` on the pairs with :math:`y > 0` (so that :math:`\\hat u \\approx 0` there), set
    :math:`|\\hat u| <` ``tol`` to 0, stop when :math:`\\hat u \\ge 0` everywhere, else
    replace :math:`u` by :math:`\\max(\\hat u, 0)` on the pairs without a tie. The pairs
    separated are those with :math:`\\hat u >` ``1e-3`` (:math:`u` starts at 1; smaller
    values are what the zeroing leaves of pairs still shrinking to 0). ``rows``, ``cols`` are actor positions
    (``< n``; every actor with a pair); with ``n = 0`` there are no actor effects and X
    should hold a constant. Returns a boolean mask over the pairs (all False when the
    rectifier has not settled in ``max_iter`` steps: the fit then reports whether it
    converges).

    Correia, S., Guimarães, P. & Zylkin, T. (2021). Verifying the existence of maximum
    likelihood estimates for generalized linear models. arXiv:1903.01633.
    """
    y = np.asarray(y, dtype=float)
    zero = y == 0
    if not zero.any() or zero.all():
        return np.zeros(len(y), dtype=bool)
    w = np.where(zero, 1.0, _SEPARATION_WEIGHT)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    if n:
        chol = _gram_cholesky(rows, cols, w, n)
        Xt = _partial_out(chol, rows, cols, w, X, n) if X.shape[1] else X
    else:
        chol, Xt = None, X
    inv = np.linalg.pinv((Xt.T * w) @ Xt)  # k × k: least squares even with collinear columns
    u = zero.astype(float)
    for _ in range(max_iter):
        ut = _partial_out(chol, rows, cols, w, u[:, None], n)[:, 0] if n else u
        z = u - ut + Xt @ (inv @ (Xt.T @ (w * ut)))
        z[np.abs(z) < tol] = 0.0
        if (z >= 0).all():
            return zero & (z > _SEPARATED)
        u = np.where(zero, np.maximum(z, 0.0), 0.0)
    return np.zeros(len(y), dtype=bool)


def identified_columns(X: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Which columns of X stay in the model: those not in the span of the actor effects and the others.

    The first column (the exposure) is tested against all the others; each further column
    against the actor effects and the columns kept before it. A column is in the span when
    its residual (least squares on the actor dummies, then on the other columns) keeps
    less than ``1e-5`` of its norm. With ``n = 0`` there are no actor effects.
    """
    k = X.shape[1]
    keep = np.zeros(k, dtype=bool)
    if not k or not len(X):
        return keep
    Xt = _partial_out(_gram_cholesky(rows, cols, np.ones(len(X)), n), rows, cols, np.ones(len(X)), X, n) if n else X
    scale = np.maximum(np.linalg.norm(X, axis=0), 1e-300)

    def share(c: int, others: list[int]) -> float:
        r = Xt[:, c]
        if others:
            r = r - Xt[:, others] @ np.linalg.lstsq(Xt[:, others], r, rcond=None)[0]
        return float(np.linalg.norm(r) / scale[c])

    keep[0] = share(0, list(range(1, k))) > _COLLINEAR_TOL
    for c in range(1, k):
        keep[c] = share(c, [q for q in range(1, c) if keep[q]]) > _COLLINEAR_TOL
    return keep


def fe_poisson(y: np.ndarray, X: np.ndarray | pd.DataFrame, i: np.ndarray, j: np.ndarray, n_actors: int, *,
               tol: float = 1e-10, max_iter: int = 100) -> FEPoissonFit:
    """Poisson pseudo-maximum likelihood with one fixed effect per actor of each pair.

    .. math:: E[y_{ij}] = \\exp(\\alpha_i + \\alpha_j + x_{ij}^\\top \\beta)

    Fitted by IRLS (Fisher scoring, Newton's method for the canonical Poisson link): at
    each step the working response :math:`z = \\eta + (y - \\mu)/\\mu` and the columns of
    X are residualised on the actor dummies with weights μ (Frisch–Waugh–Lovell), the
    weighted normal equations :math:`F^\\top W F u = F^\\top W v` being solved exactly by
    a Cholesky factorisation of the :math:`n \\times n` matrix (diagonal
    :math:`\\sum_{j} \\mu_{ij}`, off-diagonal :math:`\\mu_{ij}`); then β by weighted least
    squares. Stops when the deviance changes by less than ``tol`` (relative).

    Before fitting, as ``ppmlhdfe`` does (Correia, Guimarães & Zylkin 2020, 2021):

    * pairs with an actor who has no tie (:math:`\\sum_j y_{ij} = 0`) are dropped: that
      actor's :math:`\\hat\\alpha` is :math:`-\\infty` and its pairs have
      :math:`\\hat\\mu = 0` whatever β;
    * pairs without a tie that a combination of the columns and the actor effects predicts
      perfectly (:func:`separated_pairs`) are dropped (``n_separated``): their
      :math:`\\hat\\mu` is 0 at the maximum, which otherwise does not exist (the
      iterations diverge);
    * columns then in the span of the actor effects and the other columns are not
      identified (``collinear``, NaN in ``params``); the first column (the exposure) is
      kept only if it is not in the span of all the others.

    The covariance uses the residualised scores :math:`\\tilde x_{ij}(y_{ij} - \\hat\\mu_{ij})`
    and the bread :math:`(\\tilde X^\\top W \\tilde X)^{-1}`: dyad-robust
    (:func:`evaluation.measures.network.inference.dyad_robust_cov`) and model-based; each coefficient keeps
    the larger variance. A fit whose iterations leave the finite numbers stops with
    ``converged`` False and NaN estimates; no data make it raise.

    Parameters
    ----------
    y
        Outcome per pair (0/1 or counts).
    X
        Pair covariates, without a constant (the actor effects contain it).
    i, j
        Integer positions (< ``n_actors``) of the two actors of each pair.
    """
    names = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{k}" for k in range(np.shape(X)[1])]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    degree = np.bincount(i, y, minlength=n_actors) + np.bincount(j, y, minlength=n_actors)
    keep = (degree[i] > 0) & (degree[j] > 0)
    kept_actors = np.flatnonzero(degree > 0)
    pos = np.full(n_actors, -1, dtype=np.int64)
    pos[kept_actors] = np.arange(len(kept_actors))
    n, k_all = len(kept_actors), X.shape[1]
    nan_k = np.full(k_all, np.nan)

    def failed(n_pairs: int = 0, it: int = 0, n_separated: int = 0, collinear: tuple[str, ...] = ()) -> FEPoissonFit:
        return FEPoissonFit(pd.Series(nan_k, index=names), np.full((k_all, k_all), np.nan), nan_k.copy(),
                            nan_k.copy(), np.full(n_actors, np.nan), n_pairs, n, it, False, float("nan"),
                            n_separated, collinear)

    if not keep.any() or not np.isfinite(X[keep]).all():
        return failed()
    try:
        sep = separated_pairs(y[keep], X[keep], pos[i[keep]], pos[j[keep]], n)
    except (np.linalg.LinAlgError, ValueError):  # F'F singular: the actors' pairs do not pin their effects down
        return failed(int(keep.sum()))
    n_separated = int(sep.sum())
    keep[np.flatnonzero(keep)[sep]] = False
    rows, cols, yk = pos[i[keep]], pos[j[keep]], y[keep]
    try:
        ident = identified_columns(X[keep], rows, cols, n)
    except (np.linalg.LinAlgError, ValueError):
        return failed(int(keep.sum()), n_separated=n_separated)
    collinear = tuple(c for c, ok in zip(names, ident, strict=True) if not ok)
    if not ident.any():
        return failed(int(keep.sum()), n_separated=n_separated, collinear=collinear)
    Xk = X[keep][:, ident]
    fit = _irls(yk, Xk, rows, cols, n, tol=tol, max_iter=max_iter)
    if fit is None:
        return failed(int(keep.sum()), max_iter, n_separated, collinear)
    beta, cov, se_robust, se_naive, alpha_kept, it, converged, deviance = fit
    params, full_cov = nan_k.copy(), np.full((k_all, k_all), np.nan)
    params[ident] = beta
    full_cov[np.ix_(ident, ident)] = cov
    se_r, se_n = nan_k.copy(), nan_k.copy()
    se_r[ident], se_n[ident] = se_robust, se_naive
    alpha = np.full(n_actors, -np.inf)
    alpha[kept_actors] = alpha_kept
    return FEPoissonFit(pd.Series(params, index=names), full_cov, se_r, se_n, alpha, int(keep.sum()), n, it,
                        converged, deviance, n_separated, collinear)


def _irls(yk: np.ndarray, Xk: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, *, tol: float,
          max_iter: int):
    """The IRLS of :func:`fe_poisson` on the pairs kept; None when it leaves the finite numbers."""
    k = Xk.shape[1]
    mu = (yk + yk.mean()) / 2
    eta = np.log(mu)
    deviance, converged, it = np.inf, False, 0
    beta = np.zeros(k)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for it in range(1, max_iter + 1):  # noqa: B007 (the count of iterations is read after the loop)
                z = eta + (yk - mu) / mu
                chol, mu_factored = _gram_cholesky(rows, cols, mu, n), mu
                resid = _partial_out(chol, rows, cols, mu, np.column_stack([z, Xk]), n)
                zt, Xt = resid[:, 0], resid[:, 1:]
                XtW = Xt.T * mu
                beta = np.linalg.solve(XtW @ Xt, XtW @ zt)
                eta = z - (zt - Xt @ beta)
                mu = np.exp(eta)
                if not (np.isfinite(mu).all() and (mu > _MU_FLOOR).all()):
                    return None
                dev = 2 * float(np.sum(np.where(yk > 0, yk * np.log(yk / mu), 0.0) - (yk - mu)))
                if abs(deviance - dev) <= tol * max(1.0, abs(dev)):
                    converged = True
                    deviance = dev
                    break
                deviance = dev
            # Inference at the estimate: residualise X with the final weights. At convergence they
            # differ from those of the last factorisation by less than the tolerance, so the last
            # Cholesky factor is reused when the fit converged (one n³ factorisation saved).
            chol_w = mu if not converged else mu_factored
            if not converged:
                chol = _gram_cholesky(rows, cols, mu, n)
            Xt = _partial_out(chol, rows, cols, chol_w, Xk, n)
            bread = np.linalg.inv((Xt.T * mu) @ Xt)
        except (np.linalg.LinAlgError, ValueError):  # a factor or a system lost its positive definiteness
            return None
    scores = Xt * (yk - mu)[:, None]
    robust = dyad_robust_cov(scores, bread, rows, cols, n)
    se_robust = np.sqrt(np.clip(np.diag(robust), 0, None))
    se_naive = np.sqrt(np.diag(bread))
    scale = np.where(se_robust >= se_naive, 1.0, se_naive / np.where(se_robust > 0, se_robust, 1.0))
    cov = robust * np.outer(scale, scale)  # per-coefficient max, correlations of the robust estimate
    # Actor effects: log of the offset-free part, recovered from η = α_i + α_j + xβ.
    # η − xβ = α_i + α_j exactly at the IRLS solution: any weights recover α; reuse the factor.
    offset = (eta - Xk @ beta) * chol_w
    rhs = np.bincount(rows, offset, minlength=n) + np.bincount(cols, offset, minlength=n)
    alpha = sla.cho_solve(chol, rhs, check_finite=False)
    if not (np.isfinite(beta).all() and np.isfinite(deviance)):
        return None
    return beta, cov, se_robust, se_naive, alpha, it, converged, deviance


def _gram_cholesky(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int):
    """Cholesky factor of :math:`F^\\top W F` (dense n × n; 72 MB at 3,000 actors)."""
    gram = np.bincount(rows * n + cols, w, minlength=n * n).reshape(n, n)
    gram += gram.T
    gram[np.diag_indices(n)] = np.bincount(rows, w, minlength=n) + np.bincount(cols, w, minlength=n)
    return sla.cho_factor(gram, lower=True, check_finite=False)

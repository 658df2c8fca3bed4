"""Poisson regression with two-way actor fixed effects on dyads (both actors of a pair), solved by partialling out the actors' effects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg as sla

from evaluation.measures.network.fe_linalg import PairDesign, actor_sums, factor, gram, partial_out, solve
from evaluation.measures.network.inference import dyad_robust_cov

__all__ = ["FEPoissonFit", "PairDesign", "fe_poisson", "separated_pairs", "identified_columns", "certify",
           "start_from"]

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


def start_from(effects: pd.Series | None, universe) -> FEPoissonFit | None:
    """A start for :func:`fe_poisson` on the actors of the sorted ``universe`` from actor effects by id."""
    if effects is None:
        return None
    ids = pd.Index(sorted(map(str, universe)))
    a = effects.reindex(ids).to_numpy(dtype=float)
    nan = np.full(0, np.nan)
    return FEPoissonFit(pd.Series(dtype=float), np.empty((0, 0)), nan, nan, a, 0, len(ids), 0, True, float("nan"))


def certify(design: PairDesign, y: np.ndarray, X: np.ndarray, i: np.ndarray, j: np.ndarray, n_actors: int) -> bool:
    """Check once that no combination of the columns of ``X`` (the union of several models' columns on
    the same pairs) and the actor effects separates any pair (:func:`separated_pairs`); when none
    does, no model using a subset of those columns can be separated either, and :func:`fe_poisson`
    given ``design`` skips its own check on these pairs. Returns whether it is certified.
    """
    y = np.asarray(y, dtype=float)
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    degree = np.bincount(i, y, minlength=n_actors) + np.bincount(j, y, minlength=n_actors)
    keep = (degree[i] > 0) & (degree[j] > 0)
    pos = np.cumsum(degree > 0) - 1
    rows, cols, n = pos[i[keep]], pos[j[keep]], int((degree > 0).sum())
    X = np.asarray(X, dtype=float)[keep]
    X = X[:, np.ptp(X, axis=0) > 0] if len(X) else X
    try:
        clear = not separated_pairs(y[keep], X, rows, cols, n, design=design).any()
    except (np.linalg.LinAlgError, ValueError):
        clear = False
    if clear:
        design.certified.add(PairDesign.key("rows", rows, cols, n))
    return clear


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


def _cached(design: PairDesign | None, kind: str, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int):
    """The Cholesky factor of :math:`F^\\top W F` for fixed weights (``kind`` names them), kept in ``design``."""
    if design is None:
        return factor(gram(rows, cols, w, n))
    key = PairDesign.key(kind, rows, cols, n)
    if key not in design.factors:
        design.factors[key] = factor(gram(rows, cols, w, n))
    return design.factors[key]


def separated_pairs(y: np.ndarray, X: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, *,
                    tol: float = _SEPARATION_TOL, max_iter: int = 200, design: PairDesign | None = None) -> np.ndarray:
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
    converges). ``design`` keeps the factor of the weighted actor system for later fits
    of the same pairs and outcome.

    Correia, S., Guimarães, P. & Zylkin, T. (2021). Verifying the existence of maximum
    likelihood estimates for generalized linear models. arXiv:1903.01633.
    """
    y = np.asarray(y, dtype=float)
    zero = y == 0
    if not zero.any() or zero.all():
        return np.zeros(len(y), dtype=bool)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    plain = _one_signed(y, X)
    rest = np.flatnonzero(~plain)
    kept = np.zeros(n, dtype=bool)
    if n:
        kept[np.r_[rows[rest], cols[rest]].astype(np.int64)] = True
    if plain.any() and kept.all():  # rows a column of one sign and no tie separates: set aside, then the rest
        out = plain.copy()
        r, c = (rows[rest], cols[rest]) if n else (rows, cols)
        out[rest] = separated_pairs(y[rest], X[rest], r, c, n, tol=tol, max_iter=max_iter, design=design)
        return out
    w = np.where(zero, 1.0, _SEPARATION_WEIGHT)
    if n:
        tag = PairDesign.key("y", np.flatnonzero(~zero), np.empty(0, dtype=np.int64), len(y))
        chol = _cached(design, f"separation-{tag}", rows, cols, w, n)
        Xt = partial_out(chol, rows, cols, w, X, n) if X.shape[1] else X
    else:
        chol, Xt = None, X
    inv = np.linalg.pinv((Xt.T * w) @ Xt)  # k × k: least squares even with collinear columns
    u = zero.astype(float)
    for _ in range(max_iter):
        ut = partial_out(chol, rows, cols, w, u[:, None], n)[:, 0] if n else u
        z = u - ut + Xt @ (inv @ (Xt.T @ (w * ut)))
        z[np.abs(z) < tol] = 0.0
        if (z >= 0).all():
            return zero & (z > _SEPARATED)
        u = np.where(zero, np.maximum(z, 0.0), 0.0)
    return np.zeros(len(y), dtype=bool)


def _one_signed(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Rows separated by a single column: a column ≥ 0 (or ≤ 0) everywhere and 0 on every row with a tie
    gives :math:`z = \\pm x`; its nonzero rows are separated. Repeated until no column does (a dummy
    of a cell without tie, in the event study). Cheap (one pass over X per round).
    """
    out = np.zeros(len(y), dtype=bool)
    tie = y > 0
    while True:
        rest = ~out
        Xr = X[rest]
        signed = (Xr >= 0).all(axis=0) | (Xr <= 0).all(axis=0)
        free = signed & ~(Xr[tie[rest]] != 0).any(axis=0) & (Xr != 0).any(axis=0)
        if not free.any():
            return out
        out[np.flatnonzero(rest)[(Xr[:, free] != 0).any(axis=1)]] = True


def identified_columns(X: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, *,
                       design: PairDesign | None = None) -> np.ndarray:
    """Which columns of X stay in the model: those not in the span of the actor effects and the others.

    The first column (the exposure) is tested against all the others; each further column
    against the actor effects and the columns before it. A column is in the span when its
    residual (least squares on the actor dummies, then on the other columns) keeps less
    than ``1e-5`` of its norm. The residual norms are the diagonal of R in the QR
    factorisation of the partialled-out columns, ordered with the exposure last. With
    ``n = 0`` there are no actor effects.
    """
    X = np.asarray(X, dtype=float)
    k = X.shape[1]
    keep = np.zeros(k, dtype=bool)
    if not k or not len(X):
        return keep
    ones = np.ones(len(X))
    Xt = partial_out(_cached(design, "unit", rows, cols, ones, n), rows, cols, ones, X, n) if n else X
    scale = np.maximum(np.linalg.norm(X, axis=0), 1e-300)
    order = [*range(1, k), 0]
    r = np.linalg.qr(np.asfortranarray(Xt[:, order]), mode="r")
    keep[order] = np.abs(np.diag(r)) / scale[order] > _COLLINEAR_TOL
    return keep


def fe_poisson(y: np.ndarray, X: np.ndarray | pd.DataFrame, i: np.ndarray, j: np.ndarray, n_actors: int, *,
               tol: float = 1e-10, max_iter: int = 100, weights: np.ndarray | None = None,
               design: PairDesign | None = None, start: FEPoissonFit | None = None) -> FEPoissonFit:
    """Poisson pseudo-maximum likelihood with one fixed effect per actor of each pair.

    .. math:: E[y_{ij}] = \\exp(\\alpha_i + \\alpha_j + x_{ij}^\\top \\beta)

    Fitted by Newton's method on :math:`(\\alpha, \\beta)` (for the canonical Poisson link
    the same iterates as IRLS): the actor block :math:`F^\\top W F` of the Hessian is
    eliminated through its Schur complement :math:`X^\\top W X - B^\\top (F^\\top W F)^{-1} B`,
    :math:`B = F^\\top W X` (Frisch–Waugh–Lovell), the n × n systems being solved exactly
    (:func:`evaluation.measures.network.fe_linalg.solve`: Cholesky, or conjugate gradients
    preconditioned by the last factor). Steps are halved while the deviance rises. Stops
    when the deviance changes by less than ``tol`` (relative).

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

    The covariance uses the residualised scores :math:`w_{ij}\\tilde x_{ij}(y_{ij} - \\hat\\mu_{ij})`
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
    weights
        Case weights (default 1): the inverse of each pair's probability of being kept
        when the pairs without a tie were sampled (Horvitz–Thompson weighting of the
        likelihood equations); the dyad-robust covariance then carries the sampling.
    design
        Factors shared with other fits of the same pairs (:class:`PairDesign`), and whether
        their separation check was already passed by a larger set of columns (:func:`certify`).
    start
        A fit of another model of the same actors (:func:`start_from` maps one by actor id):
        its actor effects and the coefficients of the columns of the same names start the
        iterations (0 for the others; an actor it lacks starts from its ties).
    """
    names = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{k}" for k in range(np.shape(X)[1])]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
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

    if not keep.any() or not np.isfinite(X[keep]).all() or not (np.isfinite(w) & (w > 0)).all():
        return failed()
    certified = design is not None and PairDesign.key("rows", pos[i[keep]], pos[j[keep]], n) in design.certified
    try:
        sep = (np.zeros(int(keep.sum()), dtype=bool) if certified else
               separated_pairs(y[keep], X[keep], pos[i[keep]], pos[j[keep]], n, design=design))
    except (np.linalg.LinAlgError, ValueError):  # F'F singular: the actors' pairs do not pin their effects down
        return failed(int(keep.sum()))
    n_separated = int(sep.sum())
    keep[np.flatnonzero(keep)[sep]] = False
    rows, cols, yk = pos[i[keep]], pos[j[keep]], y[keep]
    try:
        ident = identified_columns(X[keep], rows, cols, n, design=design)
    except (np.linalg.LinAlgError, ValueError):
        return failed(int(keep.sum()), n_separated=n_separated)
    collinear = tuple(c for c, ok in zip(names, ident, strict=True) if not ok)
    if not ident.any():
        return failed(int(keep.sum()), n_separated=n_separated, collinear=collinear)
    Xk = X[keep][:, ident]
    alpha0 = beta0 = None
    if start is not None and len(start.fixed_effects) == n_actors:
        a = start.fixed_effects[kept_actors]
        seen = np.isfinite(a)
        if seen.mean() > 0.5:  # the others from their ties, as a cold start does
            tied = actor_sums(rows, cols, w[keep] * yk, n)
            alpha0 = np.where(seen, a, np.log(tied / np.sqrt(tied.sum())))
        beta0 = np.nan_to_num(start.params.reindex([c for c, ok in zip(names, ident, strict=True) if ok])
                              .to_numpy(dtype=float))
    fit = _newton(yk, Xk, rows, cols, n, w[keep], tol=tol, max_iter=max_iter, alpha=alpha0, beta=beta0,
                  design=design)
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


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * float(np.sum(w * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))))


#: Actors from which a system is solved by conjugate gradients with the last factor rather than
#: factorised afresh (below, a factorisation costs less than a few iterations).
_PCG_FROM = 500


def _solve(matrix: np.ndarray, fac, rhs: np.ndarray, *, tol: float = 1e-12):
    """``(factor, solution)``: conjugate gradients with the last factor, else a fresh factor.

    Newton steps need no more than ``tol`` = 1e-9 (an inexact Newton step converges to the
    same maximum); the covariance is computed with 1e-12.
    """
    if fac is not None and len(matrix) >= _PCG_FROM:
        x, ok = solve(matrix, fac, rhs, tol=tol)
        if ok:
            return fac, x
    fac = factor(matrix)
    return fac, solve(matrix, fac, rhs, max_iter=0)[0]


def _newton(yk: np.ndarray, Xk: np.ndarray, rows: np.ndarray, cols: np.ndarray, n: int, w: np.ndarray, *,
            tol: float, max_iter: int, alpha: np.ndarray | None, beta: np.ndarray | None,
            design: PairDesign | None):
    """The Newton iterations of :func:`fe_poisson` on the pairs kept; None when they leave the finite numbers."""
    XT = np.ascontiguousarray(Xk.T)  # k × N: one contiguous row per column
    cold = alpha is None
    if cold:
        degree = actor_sums(rows, cols, w * yk, n)
        alpha = np.log(degree / np.sqrt(degree.sum()))
    beta = np.zeros(len(XT)) if beta is None else beta.copy()
    key = PairDesign.key("mu", rows, cols, n) if design is not None else None
    fac = design.factors.get(key) if design is not None else None
    converged, it = False, 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            eta = alpha[rows] + alpha[cols] + beta @ XT
            mu = np.exp(eta)
            deviance = _deviance(yk, mu, w)
            if not np.isfinite(deviance):
                return None
            chord = fac is not None and n >= _PCG_FROM and not cold  # large: steps from the last factor (below)
            last_step = np.inf
            for it in range(1, max_iter + 1):  # noqa: B007 (the count of iterations is read after the loop)
                wm, r = w * mu, w * (yk - mu)
                B = actor_sums(rows, cols, wm * XT, n)
                rhs = np.column_stack([actor_sums(rows, cols, r, n), B])
                if chord:
                    sol = sla.cho_solve(fac, rhs, check_finite=False)
                else:
                    fac, sol = _solve(gram(rows, cols, wm, n), fac, rhs, tol=1e-9)
                schur = (XT * wm) @ XT.T - B.T @ sol[:, 1:]
                d_beta = np.linalg.solve(schur, XT @ r - B.T @ sol[:, 0])
                d_alpha = sol[:, 0] - sol[:, 1:] @ d_beta
                step = d_alpha[rows] + d_alpha[cols] + d_beta @ XT
                for halving in range(31):
                    t = 0.5 ** halving
                    mu_new = np.exp(eta + t * step)
                    dev_new = _deviance(yk, mu_new, w)
                    if np.isfinite(dev_new) and dev_new <= deviance + 1e-12 * max(1.0, abs(deviance)):
                        break
                else:
                    if chord:  # the old factor gave no ascent direction: factorise afresh and start again
                        chord, fac = False, None
                        continue
                    return None
                alpha, beta, eta, mu = alpha + t * d_alpha, beta + t * d_beta, eta + t * step, mu_new
                if not (mu > _MU_FLOOR).all():
                    return None
                size = float(np.max(np.abs(t * d_beta), initial=0.0))
                gain = abs(deviance - dev_new) / max(1.0, abs(dev_new))
                done = gain <= tol and (not chord or size <= 1e-9 * max(1.0, float(np.max(np.abs(beta), initial=0.0))))
                deviance = dev_new
                if done:
                    converged = True
                    break
                # Large actor systems: exact Newton steps (a factor per step) while the steps are large, then
                # chord steps from the last factor, which converge linearly; when they slow down (or were
                # shortened), one more factor at the current weights.
                if chord and (halving or size > 0.5 * last_step):
                    fac = factor(gram(rows, cols, w * mu, n))
                last_step = size
                chord = n >= _PCG_FROM and fac is not None and (chord or gain < 1e-6)
            # Inference at the estimate: the Schur complement is the bread (X̃ᵀWX̃), X̃ = X − F K⁻¹B.
            wm, r = w * mu, w * (yk - mu)
            B = actor_sums(rows, cols, wm * XT, n)
            fac, U = _solve(gram(rows, cols, wm, n), fac, B)
            bread = np.linalg.inv((XT * wm) @ XT.T - B.T @ U)
        except (np.linalg.LinAlgError, ValueError):  # a factor or a system lost its positive definiteness
            return None
    if design is not None:
        design.factors[key] = fac
    UT = np.ascontiguousarray(U.T)
    scores = np.empty((len(yk), len(XT)))
    for c in range(len(XT)):
        scores[:, c] = (XT[c] - UT[c][rows] - UT[c][cols]) * r
    robust = dyad_robust_cov(scores, bread, rows, cols, n)
    se_robust = np.sqrt(np.clip(np.diag(robust), 0, None))
    se_naive = np.sqrt(np.diag(bread))
    scale = np.where(se_robust >= se_naive, 1.0, se_naive / np.where(se_robust > 0, se_robust, 1.0))
    cov = robust * np.outer(scale, scale)  # per-coefficient max, correlations of the robust estimate
    if not (np.isfinite(beta).all() and np.isfinite(deviance)):
        return None
    return beta, cov, se_robust, se_naive, alpha, it, converged, deviance

"""Adjusted models with several exposure terms: the dose, the venue, the structure, the bridging pairs and the periods share one fitter.

:func:`adjusted_model` fits, on a table of pairs (or pairs × periods), the model the
headline estimate used (:func:`evaluation.measures.network.effect.network_effect`):

* ``actor_fixed_effects``: :math:`E[y] = \\exp(\\alpha_i + \\alpha_j + x^\\top\\beta + z^\\top\\gamma)`,
  :func:`evaluation.measures.network.fe_poisson.fe_poisson`;
* ``prior_activity_controls``: the same with a constant instead of the actor effects and,
  for each activity column, the pair term :math:`\\log(1+a_i)+\\log(1+a_j)`;

with dyad-robust errors, each term's rate ratio and interval, and the covariance for linear
combinations (:func:`combination`: the effect among bridging pairs, an event-study average).

**Large tables.** When a table has more than ``max_rows`` rows, the rows without a tie are
sampled, separately among exposed and unexposed rows (every row with a tie is kept), and
each kept row is weighted by the inverse of its probability of being kept: the likelihood
equations are then unbiased (Horvitz–Thompson) and the dyad-robust covariance of the
weighted scores carries the sampling. This is the case–control sampling of the risk set
that relational event models use on large networks (Vu et al. 2015; Lerner & Lomi 2020).
The headline estimate is never sampled; the territories' reports (hundreds of actors) are
far below the threshold.

References
----------
Vu, D., Pattison, P. & Robins, G. (2015). Relational event models for social learning in
MOOCs. *Social Networks* 43, 121–135.
Lerner, J. & Lomi, A. (2020). Reliability of relational event model estimates under
sampling: how to fit a relational event model to 360 million dyadic events. *Network
Science* 8(1), 97–135.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from evaluation.measures.estimation import z_value
from evaluation.measures.network.fe_poisson import FEPoissonFit, PairDesign, fe_poisson, separated_pairs
from evaluation.measures.network.inference import dyad_robust_cov

__all__ = ["REASONS", "AdjustedModel", "adjusted_model", "not_estimable", "combination", "sample_rows", "MAX_ROWS"]

#: Rows above which the rows without a tie are sampled (see the module).
MAX_ROWS = 200_000

#: Why a model of this module is not estimable.
REASONS = {
    "no_model": "the headline estimate itself was not estimable",
    "too_few_new_ties": "fewer than 2 new ties",
    "no_exposure": "no row is exposed to any of the model's terms",
    "not_identified": "the term is in the span of the actor effects and the other columns, or has no tie",
    "not_converged": "the fit did not converge",
    "too_few_ties_for_fixed_effects": "fewer first ties, or actors with one, than the fixed-effects model needs",
    "no_windows": "the data cover fewer than two windows",
    "split_outside_data": "the shifted split date leaves a period without events or new ties",
}


@dataclass
class AdjustedModel:
    """A fitted model: one row per exposure term (rate ratio, interval, p-value), or why not.

    ``table`` has ``term``, ``ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``se``,
    ``estimable``; ``params``/``cov`` cover the terms and the controls kept (NaN for a
    column not identified). ``sampled`` says whether rows without a tie were sampled.
    """

    name: str
    model: str | None
    table: pd.DataFrame
    n_rows: int
    n_new_ties: int
    n_actors_with_ties: int
    controls: tuple[str, ...] = ()
    estimable: bool = False
    reason: str | None = None
    sampled: bool = False
    params: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    cov: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    alpha: float = 0.05
    fit: FEPoissonFit | None = None  # the fixed-effects fit (to start another model from it)

    def term(self, name: str) -> pd.Series:
        """The row of ``name`` (NaN numbers and not estimable when absent)."""
        rows = self.table[self.table["term"] == name]
        if len(rows):
            return rows.iloc[0]
        return pd.Series({"term": name, "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                          "se": np.nan, "estimable": False})


_TABLE = ["term", "ratio", "ci_low", "ci_high", "p_value", "se", "estimable"]


def not_estimable(name: str, terms: Sequence[str], reason: str, *, model: str | None = None, n_rows: int = 0,
                  n_new_ties: int = 0, n_actors_with_ties: int = 0, alpha: float = 0.05) -> AdjustedModel:
    """A model not fitted, and why (a key of :data:`REASONS`)."""
    table = pd.DataFrame({"term": list(terms), "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                          "p_value": np.nan, "se": np.nan, "estimable": False})[_TABLE]
    return AdjustedModel(name, model, table, n_rows, n_new_ties, n_actors_with_ties, reason=reason, alpha=alpha)


def sample_rows(y: np.ndarray, exposed: np.ndarray, *, max_rows: int = MAX_ROWS,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows kept and their weights: every row when there are at most ``max_rows``, else all rows
    with a tie and, among the others, about ``max_rows / 2`` exposed and as many unexposed ones,
    each drawn with a constant probability *p* in its stratum and weighted ``1/p``.
    """
    n = len(y)
    if n <= max_rows:
        return np.arange(n), np.ones(n)
    rng = np.random.default_rng(seed)
    tie = np.asarray(y) > 0
    exposed = np.asarray(exposed, dtype=bool)
    keep, weight = tie.copy(), np.ones(n)
    budget = max(max_rows - int(tie.sum()), 2) / 2
    for stratum in (exposed & ~tie, ~exposed & ~tie):
        size = int(stratum.sum())
        p = min(1.0, budget / size) if size else 1.0
        drawn = stratum & (rng.random(n) < p)
        keep |= drawn
        weight[drawn] = 1 / p
    rows = np.flatnonzero(keep)
    return rows, weight[rows]


def adjusted_model(name: str, table: pd.DataFrame, terms: Mapping[str, np.ndarray], *, model: str | None,
                   outcome: str = "new_tie", controls: Mapping[str, np.ndarray] | None = None,
                   activity: pd.DataFrame | None = None, alpha: float = 0.05, max_rows: int = MAX_ROWS,
                   seed: int = 0, design: PairDesign | None = None, start: FEPoissonFit | None = None,
                   weights: np.ndarray | None = None) -> AdjustedModel:
    """Fit ``terms`` (exposure columns, one value per row of ``table``) with ``controls``.

    ``table`` has ``i``, ``j`` (actor positions) and the 0/1 ``outcome``; ``model`` is that
    of the headline estimate (``"actor_fixed_effects"`` or ``"prior_activity_controls"``;
    ``None``: not estimable, reason ``"no_model"``); ``activity`` (one row per actor
    position) gives the prior-activity terms of the second model. Controls that do not
    vary are left out. Terms not identified are rows with NaN (``"not_identified"``).
    ``design`` shares factors between fits of the same rows; ``start`` starts the
    iterations from another fit on them. ``weights``: the rows' weights when the table is
    itself a sample (:func:`sample_rows`), which is then not sampled again.
    """
    weights_in = weights
    y_all = table[outcome].to_numpy(dtype=float)
    i_all, j_all = table["i"].to_numpy(dtype=np.int64), table["j"].to_numpy(dtype=np.int64)
    n_actors = int(max(i_all.max(), j_all.max()) + 1) if len(table) else 0
    degree = np.bincount(i_all, y_all, minlength=n_actors) + np.bincount(j_all, y_all, minlength=n_actors)
    base = dict(n_rows=len(table), n_new_ties=int(y_all.sum()), n_actors_with_ties=int((degree > 0).sum()),
                alpha=alpha)
    empty = pd.DataFrame({"term": list(terms), "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                          "p_value": np.nan, "se": np.nan, "estimable": False})[_TABLE]

    def refused(reason: str, **kw) -> AdjustedModel:
        return AdjustedModel(name, model, empty, reason=reason, **base, **kw)

    if model is None:
        return refused("no_model")
    if y_all.sum() < 2:
        return refused("too_few_new_ties")
    X_terms = {t: np.asarray(v, dtype=float) for t, v in terms.items()}
    exposed = np.zeros(len(table), dtype=bool)
    for v in X_terms.values():
        exposed |= v != 0
    if not exposed.any():
        return refused("no_exposure")
    if weights_in is None:
        rows, weights = sample_rows(y_all, exposed, max_rows=max_rows, seed=seed)
    else:  # a sample already (sample_rows, or a panel built sampled): never sampled twice
        rows, weights = np.arange(len(table)), np.asarray(weights_in, dtype=float)
    sampled = len(rows) < len(table)
    weighted = sampled or bool((weights != 1).any())
    y, i, j = y_all[rows], i_all[rows], j_all[rows]
    ctrl = {}
    for c, v in (controls or {}).items():
        v = np.asarray(v, dtype=float)[rows]
        if np.isfinite(v).all() and np.ptp(v) > 0:
            ctrl[c] = v
    # Controls first: each term is tested against the controls and the terms before it.
    X = pd.DataFrame({**ctrl, **{t: v[rows] for t, v in X_terms.items()}})
    if model == "actor_fixed_effects":
        fit = fe_poisson(y, X, i, j, n_actors, weights=weights if weighted else None,
                         design=design if not sampled else None, start=start)
        if not fit.converged:
            return refused("not_converged", sampled=sampled)
        params, cov, kept_fit = fit.params, fit.cov, fit
    else:
        try:
            params, cov = _controls_fit(y, X, i, j, n_actors, activity, weights)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return refused("not_converged", sampled=sampled)
        kept_fit = None
    z = z_value(alpha)
    rows_out = []
    names = list(X.columns)
    for t in terms:
        k = names.index(t)
        b, v = params.get(t, np.nan), cov[k, k]
        se = float(np.sqrt(v)) if np.isfinite(v) and v > 0 else np.nan
        ok = bool(np.isfinite(b) and np.isfinite(se) and se > 0)
        rows_out.append({"term": t, "ratio": np.exp(b) if ok else np.nan,
                         "ci_low": np.exp(b - z * se) if ok else np.nan, "ci_high": np.exp(b + z * se) if ok else np.nan,
                         "p_value": 2 * stats.norm.sf(abs(b / se)) if ok else np.nan, "se": se if ok else np.nan,
                         "estimable": ok})
    out = pd.DataFrame(rows_out, columns=_TABLE)
    any_ok = bool(out["estimable"].any())
    return AdjustedModel(name, model, out, controls=tuple(c for c in ctrl if np.isfinite(params.get(c, np.nan))),
                         estimable=any_ok, reason=None if any_ok else "not_identified", sampled=weighted,
                         params=params, cov=cov, fit=kept_fit, **base)


def _controls_fit(y: np.ndarray, X: pd.DataFrame, i: np.ndarray, j: np.ndarray, n_actors: int,
                  activity: pd.DataFrame | None, weights: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """The prior-activity model (constant, activity pair terms, controls), as in ``network_effect``.

    Returns the parameters and dyad-robust covariance (larger of robust and model-based
    variance per coefficient) over the columns of ``X`` (NaN for those not identified).
    """
    act = {}
    if activity is not None:
        for c in activity.columns:
            v = np.log1p(activity[c].to_numpy(dtype=float))
            term = v[i] + v[j]
            if np.ptp(term) > 0:
                act[f"log_{c}_before"] = term
    full = pd.concat([pd.DataFrame({"const": 1.0, **act}, index=X.index), X], axis=1)
    none = np.zeros(0, dtype=np.int64)
    keep = ~separated_pairs(y, full.to_numpy(), none, none, 0)
    # every column is tested against those before it (constant, activity, controls, terms)
    cols = _sequential(full.to_numpy()[keep])
    use = full.loc[keep, cols]
    fit = sm.GLM(y[keep], use, family=sm.families.Poisson(), var_weights=weights[keep]).fit()
    beta = fit.params.to_numpy()
    if not (fit.converged and np.isfinite(beta).all()):
        raise ValueError("prior-activity model not converged")
    mu = fit.mu
    Xu = use.to_numpy()
    bread = np.linalg.inv((Xu.T * (weights[keep] * mu)) @ Xu)
    scores = Xu * (weights[keep] * (y[keep] - mu))[:, None]
    robust = dyad_robust_cov(scores, bread, i[keep], j[keep], n_actors)
    se_r, se_n = np.sqrt(np.clip(np.diag(robust), 0, None)), np.sqrt(np.diag(bread))
    scale = np.where(se_r >= se_n, 1.0, se_n / np.where(se_r > 0, se_r, 1.0))
    cov_kept = robust * np.outer(scale, scale)
    names = list(X.columns)
    params = pd.Series(np.nan, index=names)
    cov = np.full((len(names), len(names)), np.nan)
    kept = [c for c in use.columns if c in names]
    idx = [list(use.columns).index(c) for c in kept]
    params[kept] = beta[idx]
    pos = [names.index(c) for c in kept]
    cov[np.ix_(pos, pos)] = cov_kept[np.ix_(idx, idx)]
    return params, cov


def _sequential(X: np.ndarray) -> np.ndarray:
    """Columns not in the span of those before them (QR of X: |R_kk| relative to the column's norm)."""
    r = np.linalg.qr(X, mode="r")
    scale = np.maximum(np.linalg.norm(X, axis=0), 1e-300)
    return np.abs(np.diag(r)) / scale > 1e-5


def combination(m: AdjustedModel, weights: Mapping[str, float]) -> dict[str, float]:
    """A linear combination :math:`\\sum_k c_k \\beta_k` of a model's coefficients as a rate ratio.

    .. math:: \\exp(c^\\top\\hat\\beta), \\quad \\exp\\big(c^\\top\\hat\\beta \\pm z\\sqrt{c^\\top V c}\\big)

    (the delta method on the log scale). NaN when a coefficient used is not estimable.
    """
    names = list(m.params.index)
    c = np.zeros(len(names))
    for t, v in weights.items():
        if t not in names:
            return {"ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "se": np.nan}
        c[names.index(t)] = v
    used = c != 0
    beta = m.params.to_numpy(dtype=float)
    if not used.any() or not np.isfinite(beta[used]).all() or not np.isfinite(m.cov[np.ix_(used, used)]).all():
        return {"ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "se": np.nan}
    est = float(c[used] @ beta[used])
    se = float(np.sqrt(max(c[used] @ m.cov[np.ix_(used, used)] @ c[used], 0.0)))
    z = z_value(m.alpha)
    if not se > 0:
        return {"ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "se": np.nan}
    return {"ratio": float(np.exp(est)), "ci_low": float(np.exp(est - z * se)), "ci_high": float(np.exp(est + z * se)),
            "p_value": float(2 * stats.norm.sf(abs(est / se))), "se": se}


def terms_only(model: AdjustedModel, names: Sequence[str]) -> pd.DataFrame:
    """The rows of ``names`` in ``model.table``, in that order."""
    return pd.concat([model.term(n).to_frame().T for n in names], ignore_index=True)

"""Linear algebra of the actor fixed effects of a pair table: the n × n system, its Cholesky factor reused as a preconditioner, the partialling out of columns.

Every fit with one effect per actor of each pair (:mod:`evaluation.measures.network.fe_poisson`)
solves systems :math:`F^\\top W F\\,u = r` where :math:`F` is the pair × actor incidence
(two ones a row) and :math:`W` a diagonal of pair weights. On a table of all the pairs of
*n* actors that matrix is dense (diagonal :math:`\\sum_j w_{ij}`, off-diagonal
:math:`w_{ij}`), and its Cholesky factorisation, :math:`n^3/3` operations, is the dearest
step of a fit (a second at 3,000 actors). Two things make it rare:

* :class:`PairDesign` keeps the factors of one pair table, so that the separation check, the
  identification check and the later fits of other models on the same pairs share them;
* :func:`solve` solves a system whose weights changed since the last factorisation by
  conjugate gradients preconditioned with that factor (Golub & Van Loan 2013, §11.5):
  as a Newton fit converges its weights change little and a handful of iterations, each
  one product by the n × n matrix, give the solution to rounding error. When they do not,
  the matrix is factorised afresh.

References
----------
Golub, G. H. & Van Loan, C. F. (2013). *Matrix Computations*, 4th ed., §11.5.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla

__all__ = ["PairDesign", "gram", "factor", "solve", "partial_out"]

#: Relative residual at which the preconditioned conjugate gradients stop.
_PCG_TOL = 1e-12
#: Iterations of conjugate gradients before the matrix is factorised afresh.
_PCG_MAX = 25


@dataclass
class PairDesign:
    """Factors shared by the fits of one pair table (same pairs, same actors).

    ``factors`` maps a key (what the weights are, and a digest of the pairs kept) to a
    Cholesky factor; :func:`evaluation.measures.network.fe_poisson.fe_poisson` fills it
    and reads it when given the same design again.
    """

    factors: dict = field(default_factory=dict)
    certified: set = field(default_factory=set)  # pairs (keys) no column set in use separates

    @staticmethod
    def key(kind: str, rows: np.ndarray, cols: np.ndarray, n: int) -> str:
        """The key of the factor of ``kind`` on the pairs ``rows``/``cols`` of ``n`` actors."""
        digest = hashlib.blake2b(np.ascontiguousarray(rows).tobytes(), digest_size=16)
        digest.update(np.ascontiguousarray(cols).tobytes())
        return f"{kind}:{n}:{len(rows)}:{digest.hexdigest()}"


def gram(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """:math:`F^\\top W F`, dense n × n (72 MB at 3,000 actors)."""
    g = np.bincount(rows * n + cols, w, minlength=n * n).reshape(n, n)
    g += g.T
    g[np.diag_indices(n)] = np.bincount(rows, w, minlength=n) + np.bincount(cols, w, minlength=n)
    return g


def factor(matrix: np.ndarray):
    """Lower Cholesky factor (scipy's ``cho_factor``) of a symmetric positive definite matrix."""
    return sla.cho_factor(matrix, lower=True, check_finite=False)


def solve(matrix: np.ndarray, fac, rhs: np.ndarray, *, tol: float = _PCG_TOL,
          max_iter: int = _PCG_MAX) -> tuple[np.ndarray, bool]:
    """Solve ``matrix @ x = rhs`` (one column or several) by conjugate gradients preconditioned with ``fac``.

    ``fac`` is the Cholesky factor of ``matrix`` or of a nearby matrix (the same pairs with
    earlier weights). Each column is iterated until its residual is below ``tol`` times
    its right-hand side, at most ``max_iter`` times. Returns the solution and whether every
    column converged (the caller then factorises ``matrix`` itself).
    """
    b = rhs.reshape(len(rhs), -1)
    x = sla.cho_solve(fac, b, check_finite=False)
    r = b - matrix @ x
    scale = np.maximum(np.linalg.norm(b, axis=0), 1e-300)
    z = sla.cho_solve(fac, r, check_finite=False)
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    for _ in range(max_iter + 1):
        if (np.linalg.norm(r, axis=0) <= tol * scale).all():
            return x.reshape(rhs.shape), True
        kp = matrix @ p
        pkp = np.einsum("ij,ij->j", p, kp)
        step = np.divide(rz, pkp, out=np.zeros_like(rz), where=pkp > 0)
        x += p * step
        r -= kp * step
        z = sla.cho_solve(fac, r, check_finite=False)
        rz_new = np.einsum("ij,ij->j", r, z)
        p = z + p * np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        rz = rz_new
    return x.reshape(rhs.shape), False


def actor_sums(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """:math:`F^\\top v`: for each actor the sum of ``values`` over its pairs (each column of a 2-D
    ``values`` given as k × N, one row per column, for contiguous access); returns n or n × k.
    """
    if values.ndim == 1:
        return np.bincount(rows, values, minlength=n) + np.bincount(cols, values, minlength=n)
    return np.stack([np.bincount(rows, v, minlength=n) + np.bincount(cols, v, minlength=n) for v in values], axis=1)


def partial_out(fac, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Residuals of the weighted regression of each column of ``v`` (N × k) on the actor dummies.

    Solves :math:`(F^\\top W F) u = F^\\top W v` with the factor ``fac`` of :math:`F^\\top W F`
    and returns :math:`v - F u`, with :math:`(F u)_{ij} = u_i + u_j` (N × k, column-major).
    """
    vt = np.ascontiguousarray(np.asarray(v, dtype=float).T)
    u = sla.cho_solve(fac, actor_sums(rows, cols, w * vt, n), check_finite=False)
    ut = np.ascontiguousarray(u.T)
    out = np.empty_like(vt)
    for c in range(len(vt)):
        np.subtract(vt[c], ut[c][rows], out=out[c])
        out[c] -= ut[c][cols]
    return out.T

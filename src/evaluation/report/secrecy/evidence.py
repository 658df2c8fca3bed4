"""Why a withheld cell can be recovered: the published cells that bound it (for ``evaluation audit``)."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from evaluation.report.secrecy.cells import LinkedCells

__all__ = ["involved_cells"]


def involved_cells(linked: LinkedCells, cell: str, *, withheld: np.ndarray, limit: int = 12) -> list[str]:
    """The published cells that bound ``cell``'s feasible range: those whose value constrains
    the attacker's programmes at their optimum (non-zero reduced cost), the largest first; the
    evidence ``evaluation audit`` prints beside a recoverable cell.
    """
    names = linked.cells["cell"].to_numpy()
    s = int(np.flatnonzero(names == cell)[0])
    n, k = len(names), linked.atoms
    values = np.nan_to_num(linked.cells["value"].to_numpy(dtype=float))
    lo = np.concatenate([np.where(withheld, 0.0, values), np.zeros(k)])
    hi = np.concatenate([np.where(withheld, np.inf, values), np.full(k, np.inf)])
    # the relations of the cell's connected block only
    R = linked.relations.tocsr()
    adj = sparse.bmat([[None, (R != 0).astype(np.int8)], [(R != 0).astype(np.int8).T, None]]).tocsr()
    labels = connected_components(adj, directed=False)[1]
    block = np.flatnonzero(labels[R.shape[0]:] == labels[R.shape[0] + s])
    rows = np.flatnonzero(labels[:R.shape[0]] == labels[R.shape[0] + s])
    A = R[rows][:, block]
    weight = np.zeros(len(block))
    for sign in (1.0, -1.0):
        c = np.zeros(len(block))
        c[np.searchsorted(block, s)] = sign
        res = linprog(c, A_eq=A, b_eq=linked.rhs[rows], bounds=np.column_stack([lo[block], hi[block]]),
                      method="highs")
        if res.status == 0:
            weight += np.abs(res.lower.marginals) + np.abs(np.where(np.isfinite(hi[block]), res.upper.marginals, 0))
    published = (block < n) & ~np.concatenate([withheld, np.ones(k, bool)])[block] & (weight > 1e-9)
    order = np.argsort(-weight[published], kind="stable")
    return [str(names[v]) for v in block[published][order][:limit]]

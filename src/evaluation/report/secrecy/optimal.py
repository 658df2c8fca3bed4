"""Optimal secondary suppression: the complementary cells chosen by an integer programme.

Primary suppression withholds every count from 1 to ``threshold − 1``. Secondary
suppression must then withhold enough other cells that no withheld count can be
recomputed, to within less than its protection interval, from what is published and the
relations between cells (:mod:`evaluation.report.secrecy.links`). Among all the ways of
doing so, :func:`optimal_suppress` chooses one that withholds the fewest table rows (the
cells a reader sees as « s »), ties broken by the counts they hold.

**Formulation** (Fischetti and Salazar-González 2001; Hundepool et al. 2012, §4.2.3). A
binary ``z_r`` per table row (1: suppressed) and, per cell, ``w_i = min_r z_r`` over the
rows showing it (a cell is withheld when all its rows are), linearised as
``w_i ≤ z_r`` and ``w_i ≥ Σ_r z_r − (n_i − 1)``. Minimise ``Σ_r c_r z_r`` with

* ``z_r = 1`` for the rows of a primary cell, ``z_r = 0`` for rows always printed;
* for every protected cell ``s`` (primary, or withheld and found possibly small by the
  audit) its **sliding protection**: the attacker's range ``max x_s − min x_s`` over
  ``{x : R x = rhs, L(w) ≤ x ≤ U(w)}`` must reach ``p_s`` (``threshold − 1``), where a
  published cell is fixed (``L = U = v``) and a withheld one ranges over ``[0, M]``.

The range is not linear in ``w``; it is enforced lazily by **Benders (capacity) cuts**:
when the linear-programming audit (:func:`evaluation.report.secrecy.audit.audit_cells`)
finds a cell too narrowly bounded, the two attacker programmes are solved at the current
``w`` (HiGHS, ``scipy.optimize.linprog``) and their duals ``(λ, μ_L, μ_U)`` give, by weak
duality, a bound valid for every ``w``::

    max x_s − min x_s ≤ K + Σ_i a_i w_i,   a_i = μ_L,i v_i − μ_U,i (M − v_i) ≥ 0

so ``K + Σ_i a_i w_i ≥ p_s w_s`` is a valid inequality that the current choice violates.
The master programme is re-solved (HiGHS branch and cut, ``scipy.optimize.milp``) with the
cuts found so far, until the audit passes. Before the first solve, each relation without an
unpublished unknown gets the classic cut « a protected cell is not alone withheld in it »
(``Σ_{j≠s} w_j ≥ w_s``), which settles most tables in one round.

**Speed.** The relations and the rows split into connected components (cells linked by no
relation nor row never interact); each is solved on its own, and only those holding a
protected cell. Cuts are kept from one round to the next (the master starts from everything
learnt so far), and the audit of a round checks only the cells it has to.

**Optimality.** ``M`` is twice the largest count plus ``10 × threshold``: moving along a
relation's ±1 coefficients, a withheld cell's range is then capped far beyond any protection
interval, so the cuts exclude no protected choice, so the first choice that passes the audit is optimal (up to HiGHS's
zero gap). With ``time_limit`` reached, the best choice found is kept if it passes the audit;
otherwise the greedy heuristic (:func:`evaluation.report.secrecy.audit.greedy_suppress`)
decides, as it does whenever it withholds less. Tests compare the programme with an exhaustive
enumeration on small tables and with the greedy heuristic on every bundled territory.

References
----------
Fischetti, M. and Salazar-González, J. J. (2001). Solving the cell suppression problem on
tabular data with linear constraints. *Management Science* 47(7), 1008–1027.
Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, §4.2–4.3.
de Wolf, P.-P. (2002). HiTaS: a heuristic approach to cell suppression in hierarchical
tables. *Inference Control in Statistical Databases*, LNCS 2316, 74–82 (τ-ARGUS).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from evaluation.report.secrecy.audit import audit_cells, failing, greedy_suppress
from evaluation.report.secrecy.cells import LinkedCells

__all__ = ["joint_suppress", "optimal_suppress", "row_costs", "SuppressionStats", "TOTAL_ROW_COST"]

#: Capacity cuts added per round of the master programme, at most.
CUTS_PER_ROUND = 25
#: Cost of withholding the row of the territory's total, printed throughout a report, so that
#: it is withheld only when nothing else protects a cell.
TOTAL_ROW_COST = 50.0


@dataclass
class SuppressionStats:
    """What the integer programme did: components solved, master solves, cuts, audits."""

    components: int = 0
    solves: int = 0
    cuts: int = 0
    rounds: list[int] = field(default_factory=list)
    fallback: int = 0  # components decided by the greedy heuristic (time limit)


def _failing(result: pd.DataFrame, *, threshold: int, protection: pd.Series) -> np.ndarray:
    """:func:`evaluation.report.secrecy.audit.failing` on an audit's rows, with each cell's own
    protection interval where it has one.
    """
    need = result["cell"].map(protection).fillna(float(threshold - 1)).to_numpy(dtype=float)
    return failing(result["low"].to_numpy(), result["high"].to_numpy(), threshold=threshold, need=need)


def row_costs(linked: LinkedCells) -> np.ndarray:
    """Cost of withholding each row: 1 (a cell read « s »), plus a tie-break of at most 0.01 by
    the largest count on it (the less information lost, the better); the row showing the
    territory's total costs :data:`TOTAL_ROW_COST`, and so does a row whose counts are all zero:
    a zero withheld protects nothing once a later edition or another report shows it (a commune
    not reached by then was not reached before), so it is chosen only when nothing else will do.
    """
    values = np.nan_to_num(linked.cells["value"].to_numpy(dtype=float))
    pos = linked.positions.tocsr()
    top = np.zeros(pos.shape[1])
    coo = pos.tocoo()
    np.maximum.at(top, coo.col, values[coo.row])
    cost = 1.0 + 0.01 * top / max(float(values.max(initial=0.0)), 1.0)
    shown = np.zeros(pos.shape[1], dtype=bool)
    shown[coo.col] = True
    cost[shown & (top == 0)] = TOTAL_ROW_COST
    grand = np.flatnonzero(linked.cells["cell"].to_numpy() == "total")
    if len(grand):
        cost[pos[grand].indices] = TOTAL_ROW_COST
    return cost


def _components(linked: LinkedCells) -> tuple[int, np.ndarray]:
    """Components of the variables (cells then atoms) linked by a relation or a shared row."""
    n = len(linked.cells)
    nv = n + linked.atoms
    R = (linked.relations != 0).astype(np.int8).tocsr()
    P = sparse.vstack([linked.positions.astype(np.int8),
                       sparse.csr_matrix((linked.atoms, linked.positions.shape[1]), dtype=np.int8)]).tocsr()
    # variables × (relations + rows) incidence, then the bipartite graph
    inc = sparse.hstack([R.T, P]).tocsr()
    adj = sparse.bmat([[None, inc], [inc.T, None]]).tocsr()
    k, labels = connected_components(adj, directed=False)
    return k, labels[:nv]


class _Component:
    """One connected component: its master programme, cuts and attacker programmes."""

    def __init__(self, linked: LinkedCells, cells: np.ndarray, atoms: np.ndarray, *, z0: np.ndarray,
                 free_rows: np.ndarray, cost: np.ndarray, big_m: float) -> None:
        self.linked, self.cells, self.atoms = linked, cells, atoms
        n = len(linked.cells)
        self.vars = np.concatenate([cells, n + atoms])  # columns of the relations
        rel = linked.relations.tocsc()[:, self.vars].tocsr()
        self.rel_rows = np.flatnonzero(np.diff(rel.indptr) > 0)
        self.R = rel[self.rel_rows]
        self.rhs = linked.rhs[self.rel_rows]
        self.values = linked.cells["value"].to_numpy(dtype=float)[cells]
        self.unknown = np.isnan(self.values)  # unknown to everyone: free like an atom
        pos = linked.positions[cells].tocsc()
        rows = np.flatnonzero(np.diff(pos.indptr) > 0)
        self.rows = rows
        self.pos = pos[:, rows].tocsr()  # local cells × local rows
        self.free = free_rows[rows]
        self.z0 = z0[rows].astype(float)
        self.cost = cost[rows]
        self.big_m = big_m
        # a cell's status: constant (all its rows fixed) or a function of the free rows
        fixed_shown = self.pos @ ((~self.free) & (self.z0 < 0.5)).astype(np.int64) > 0
        n_free = self.pos @ self.free.astype(np.int64)
        self.dependent = ~fixed_shown & (n_free > 0) & ~self.unknown
        self.const_withheld = (~fixed_shown & (n_free == 0)) | self.unknown
        self.fr = np.flatnonzero(self.free)  # master variables: z of free rows, then w of dependent cells
        self.dep = np.flatnonzero(self.dependent)
        self.w_col = np.full(len(cells), -1)
        self.w_col[self.dep] = len(self.fr) + np.arange(len(self.dep))
        self.cuts: list[tuple[np.ndarray, np.ndarray, float]] = []  # (columns, coefficients, lower bound)

    # ------------------------------------------------------------------ master
    def _linking(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """w_i ≤ z_r and w_i ≥ Σ z_r − (n_i − 1) over the free rows of each dependent cell."""
        p = self.pos[self.dep][:, self.fr].tocoo()
        nz, nw = len(self.fr), len(self.dep)
        k = len(p.data)
        # w_i − z_r ≤ 0
        a1 = sparse.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                                (np.tile(np.arange(k), 2), np.concatenate([nz + p.row, p.col]))), shape=(k, nz + nw))
        # w_i − Σ z_r ≥ 1 − n_i
        n_i = np.bincount(p.row, minlength=nw)
        a2 = sparse.csr_matrix((np.concatenate([np.ones(nw), -np.ones(k)]),
                                (np.concatenate([np.arange(nw), p.row]), np.concatenate([nz + np.arange(nw), p.col]))),
                               shape=(nw, nz + nw))
        a = sparse.vstack([a1, a2]).tocsr()
        lo = np.concatenate([np.full(k, -np.inf), 1.0 - n_i])
        hi = np.concatenate([np.zeros(k), np.full(nw, np.inf)])
        return a, lo, hi

    def solve_master(self, *, time_limit: float) -> tuple[np.ndarray, bool]:
        """The rows suppressed (local) by the master programme with the cuts so far, and
        whether HiGHS proved it optimal.
        """
        nz, nw = len(self.fr), len(self.dep)
        if nz == 0:
            return self.z0.copy(), True
        c = np.concatenate([self.cost[self.fr], np.zeros(nw)])
        a, lo, hi = self._linking()
        blocks, los, his = [a], [lo], [hi]
        if self.cuts:
            rows, cols, data, lb = [], [], [], []
            for k, (cc, coef, bound) in enumerate(self.cuts):
                rows.append(np.full(len(cc), k))
                cols.append(cc)
                data.append(coef)
                lb.append(bound)
            blocks.append(sparse.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                                            shape=(len(self.cuts), nz + nw)))
            los.append(np.asarray(lb))
            his.append(np.full(len(self.cuts), np.inf))
        constraint = LinearConstraint(sparse.vstack(blocks).tocsr(), np.concatenate(los), np.concatenate(his))
        integrality = np.concatenate([np.ones(nz), np.zeros(nw)])
        res = milp(c, integrality=integrality, bounds=Bounds(np.zeros(nz + nw), np.ones(nz + nw)),
                   constraints=[constraint], options={"time_limit": time_limit, "mip_rel_gap": 0.0})
        if res.x is None:
            raise RuntimeError(f"the suppression programme found no solution ({res.message})")
        z = self.z0.copy()
        z[self.fr] = np.round(res.x[:nz])
        return z, res.status == 0

    # ------------------------------------------------------------------ cuts
    def _w_terms(self, coef_by_cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Master columns and coefficients of ``Σ_i coef_i w_i`` over the dependent cells."""
        keep = self.dependent & (np.abs(coef_by_cell) > 1e-12)
        return self.w_col[keep], coef_by_cell[keep]

    def pinning_cuts(self, protected: np.ndarray) -> None:
        """``Σ_{j ≠ s} w_j ≥ w_s`` for each protected cell ``s`` and relation holding no
        unpublished unknown (atom or cell of unknown value) besides the cells.
        """
        R = self.R.tocsr()
        nc = len(self.cells)
        for k in range(R.shape[0]):
            cols = R.indices[R.indptr[k]:R.indptr[k + 1]]
            if (cols >= nc).any() or self.unknown[cols].any() or self.const_withheld[cols].sum() > 1:
                continue
            for s in cols[protected[cols]]:
                others = cols[cols != s]
                if self.const_withheld[others].any():
                    continue
                if not self.dependent[others].any():
                    continue  # nothing can protect it here: the audit's cuts will say what can
                coef = np.zeros(nc)
                coef[others] = 1.0
                if self.dependent[s]:
                    coef[s] -= 1.0
                    bound = 0.0
                elif self.const_withheld[s]:
                    bound = 1.0
                else:
                    continue
                c, a = self._w_terms(coef)
                self.cuts.append((c, a, bound))

    def benders_cut(self, s: int, need: float, w: np.ndarray) -> bool:
        """Add the capacity cut of local cell ``s`` at the current withheld cells ``w``
        (boolean, local); False when the attacker's range already reaches ``need`` with the
        finite bound ``M`` (nothing to learn here).
        """
        nc, na = len(self.cells), len(self.atoms)
        v = np.nan_to_num(self.values)
        # bounds as L = L0 + Lw w, U = U0 + Uw w: a dependent cell is fixed at v when shown,
        # in [0, M] when withheld; others are constant
        l0 = np.concatenate([np.where(self.const_withheld, 0.0, v), np.zeros(na)])
        u0 = np.concatenate([np.where(self.unknown, np.inf, np.where(self.const_withheld, self.big_m, v)),
                             np.full(na, np.inf)])
        lw = np.concatenate([np.where(self.dependent, -v, 0.0), np.zeros(na)])
        uw = np.concatenate([np.where(self.dependent, self.big_m - v, 0.0), np.zeros(na)])
        wf = np.concatenate([w.astype(float), np.zeros(na)])
        bounds = np.column_stack([l0 + lw * wf, u0 + uw * wf])
        finite_u0 = np.where(np.isfinite(u0), u0, 0.0)
        k_const, a = 0.0, np.zeros(nc + na)
        for sign in (-1.0, 1.0):  # maximise x_s (minimise −x_s), then minimise it
            c = np.zeros(nc + na)
            c[s] = sign
            res = linprog(c, A_eq=self.R, b_eq=self.rhs, bounds=bounds, method="highs")
            if res.status == 3:  # unbounded: the range is infinite
                return False
            if res.status != 0:
                raise RuntimeError(f"attacker programme failed ({res.message})")
            lam, ml = res.eqlin.marginals, res.lower.marginals
            mu = np.where(np.isfinite(u0), res.upper.marginals, 0.0)
            # each optimum ≥ b·λ + Σ L(w) μ_L + Σ U(w) μ_U for every w (weak duality), and the
            # range is max x_s − min x_s = −(optimum of min −x_s) − (optimum of min x_s)
            k_const -= self.rhs @ lam + ml @ l0 + mu @ finite_u0
            a -= ml * lw + mu * uw
        coef = a[:nc].copy()
        if k_const + coef @ w.astype(float) >= need - 1e-7:
            return False
        if self.dependent[s]:  # K + Σ a_i w_i ≥ need · w_s
            coef[s] -= need
            rhs = -k_const
        else:
            rhs = need - k_const
        cols, vals = self._w_terms(coef)
        self.cuts.append((cols, vals, rhs - 1e-7))
        return True


def optimal_suppress(linked: LinkedCells, *, threshold: int, protection: pd.Series | None = None,
                     magnitudes: Collection[str] = (), fixed_rows: np.ndarray | None = None,
                     time_limit: float = 60.0, max_rounds: int = 100,
                     stats: SuppressionStats | None = None) -> LinkedCells:
    """Secondary suppression by integer programming (see the module's docstring).

    Parameters
    ----------
    linked
        The cells with their true values (``NaN``: unknown to everyone, such as an earlier
        edition's withheld cell) and rows; rows already ``suppressed`` stay so.
    threshold
        Counts from 1 to ``threshold − 1`` are withheld and protected by an interval of
        ``threshold − 1``.
    protection
        Other cells to protect, by name, with their protection interval (a magnitude that a
        dominance rule withholds, :mod:`evaluation.report.secrecy.dominance`); they are
        withheld too.
    magnitudes
        Cells that are sums of amounts (jobs), not counts: the count threshold does not apply to
        their value; they are withheld when ``protection`` names them.
    fixed_rows
        Rows whose status cannot change (an earlier edition's, already published).
    time_limit
        Seconds per master programme; beyond, the best choice found is used, or the greedy
        heuristic's when it withholds less.


    Returns
    -------
    LinkedCells
        A copy of ``linked`` with ``rows["suppressed"]`` set.
    """
    stats = stats if stats is not None else SuppressionStats()
    out = replace(linked, rows=linked.rows.copy())
    names = out.cells["cell"].to_numpy()
    values = out.cells["value"].to_numpy(dtype=float)
    n = len(values)
    unknown_values = np.isnan(values)
    counts = ~np.isin(names, list(magnitudes))
    need = np.where((values > 0) & (values < threshold) & counts, float(threshold - 1), 0.0)
    if protection is not None and len(protection):
        idx = pd.Index(names).get_indexer(protection.index)
        ok = idx >= 0
        need[idx[ok]] = np.maximum(need[idx[ok]], protection.to_numpy(dtype=float)[ok])
    rows = out.rows
    suppressible = rows["suppressible"].to_numpy(dtype=bool)
    pos = out.positions
    # a protected cell shown on a row that is always printed cannot be withheld: left as it is
    printed = pos @ (~suppressible).astype(np.int64) > 0
    protected = (need > 0) & ~printed
    z0 = rows["suppressed"].to_numpy(dtype=bool).copy()
    z0[np.unique(pos[np.flatnonzero(protected)].indices)] = True
    z0 &= suppressible
    fixed = np.zeros(len(rows), dtype=bool) if fixed_rows is None else np.asarray(fixed_rows, dtype=bool)
    free = suppressible & ~z0 & ~fixed
    rows["suppressed"] = z0
    cost = row_costs(out)
    # the attacker's bound on a withheld cell: larger than any count of the tables (the tighter,
    # the stronger the cuts), so that it caps no range a protection needs
    big_m = 2.0 * float(np.nanmax(np.abs(values), initial=0.0)) + 10.0 * threshold + 1.0
    _, labels = _components(out)
    cell_label = labels[:n]
    todo = np.unique(cell_label[protected])
    col = rows.columns.get_loc("suppressed")
    unsettled = False
    protect_by_name = pd.Series(need[need > 0], index=names[need > 0])
    for comp in todo:
        cells = np.flatnonzero(cell_label == comp)
        atoms = np.flatnonzero(labels[n:] == comp)
        part = _Component(out, cells, atoms, z0=z0, free_rows=free, cost=cost, big_m=big_m)
        stats.components += 1
        part.pinning_cuts(protected[cells])
        suspects = np.zeros(n, dtype=bool)  # cells that failed or were newly withheld: audited first
        before = out.withheld | unknown_values
        for round_ in range(max_rounds):
            z, proven = part.solve_master(time_limit=time_limit)
            stats.solves += 1
            rows.iloc[part.rows, col] = z > 0.5
            hidden = out.withheld
            withheld = hidden | unknown_values  # a value nobody knows is an unknown too
            bad = _audit_failing(out, cells, withheld, hidden & (suspects | ~before), threshold=threshold,
                                 need=need, protection=protect_by_name, hidden=hidden)
            before = withheld.copy()
            if bad.empty:
                stats.rounds.append(round_ + 1)
                unsettled |= not proven
                break
            local = pd.Index(names[cells]).get_indexer(bad["cell"])
            suspects = np.zeros(n, dtype=bool)
            suspects[cells[local]] = True
            w_local = withheld[cells]
            # the protected cells first; at most CUTS_PER_ROUND cuts a round (one cut often settles a cycle)
            local = local[np.argsort(need[cells[local]] <= 0, kind="stable")][:CUTS_PER_ROUND]
            added = 0
            for s in local:
                need_s = need[cells[s]] if need[cells[s]] > 0 else float(threshold - 1)
                added += part.benders_cut(int(s), need_s, w_local)
            stats.cuts += added
            if not added:
                unsettled = True
                break
        else:
            unsettled = True
    if unsettled:  # keep the greedy heuristic's choice when it withholds less, or when ours failed
        greedy = greedy_suppress(linked, threshold=threshold)
        ours_ok = not _failing(audit_cells(out, threshold=threshold, targets=out.withheld,
                                           withheld=out.withheld | unknown_values),
                               threshold=threshold, protection=protect_by_name).any()
        if not ours_ok or cost @ _rows(greedy) < cost @ _rows(out):
            stats.fallback += 1
            return greedy
    return out


def _audit_failing(out: LinkedCells, cells: np.ndarray, withheld: np.ndarray, suspects: np.ndarray, *,
                   threshold: int, need: np.ndarray, protection: pd.Series, hidden: np.ndarray) -> pd.DataFrame:
    """The withheld cells (``hidden``; ``withheld``: every unknown) of a component that fail the
    audit: the suspects first (cheap when they fail), then all of them.
    """
    target = np.zeros(len(withheld), dtype=bool)
    target[cells] = hidden[cells] & suspects[cells]
    if target.any():
        result = audit_cells(out, threshold=threshold, withheld=withheld, targets=target, exact=False, wide=need)
        bad = result[_failing(result, threshold=threshold, protection=protection)]
        if not bad.empty:
            return bad
    target[cells] = hidden[cells]
    result = audit_cells(out, threshold=threshold, withheld=withheld, targets=target, exact=False, wide=need)
    return result[_failing(result, threshold=threshold, protection=protection)]


def _rows(linked: LinkedCells) -> np.ndarray:
    """The rows suppressed, as floats."""
    return linked.rows["suppressed"].to_numpy(dtype=float)


def joint_suppress(linked: LinkedCells, *, threshold: int, method: str = "optimal", **options) -> LinkedCells:
    """Decide suppression for all the linked tables of a report (or of a publication set)
    together: :func:`optimal_suppress` (``method="optimal"``, the default) or the greedy
    heuristic :func:`evaluation.report.secrecy.audit.greedy_suppress` (``"greedy"``).
    """
    if method == "greedy":
        return greedy_suppress(linked, threshold=threshold)
    if method != "optimal":
        raise ValueError(f"unknown suppression method {method!r}: 'optimal' or 'greedy'")
    return optimal_suppress(linked, threshold=threshold, **options)

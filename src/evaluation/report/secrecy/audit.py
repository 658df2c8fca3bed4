"""Secrecy across the linked tables of a report: cells, relations, joint suppression, audit.

The tables of a report are not independent: the 7 density levels add up to the urban and
rural counts, communes add up to EPCIs, distance bands and the territory total, and the
counts by programme, by year and by QPV are margins of one programme × year × QPV ×
urban/rural table. A cell withheld in one table can be recovered from another one. This
module describes everything a report publishes as one system of linear relations and
decides suppression for all of it together.

**Cells** are the counts a report shows or lets a reader compute (a share next to its
count reveals the total). Each cell sits on one or more **rows** of the publication's
tables (a row is what disclosure control shows or replaces by ``s``); a cell is published
when at least one of its rows is shown, withheld when all are suppressed. **Atoms** are
counts nobody publishes (the interior of the programme × year × QPV × urban/rural table):
they are unknowns of the system, never targets. **Relations** are linear equalities
``R x = 0`` over cells and atoms (each total equals the sum of its parts).

:func:`greedy_suppress` does primary suppression (counts from 1 to ``threshold − 1``),
then secondary suppression in two stages: a relation whose only unknown is one withheld
cell gets its smallest published non-zero cell withheld too (repeated until no relation
pins a cell, vectorised over all relations), then the linear-programming audit
(:func:`audit`) finds the cells still too narrowly bounded, and for each the smallest
published non-zero cell of a relation it takes part in is withheld, until the audit
passes. This is the greedy scheme of tau-Argus's modular/hypercube heuristics (Hundepool
et al. 2012, §4.2–4.3) applied to the report's relations at once.

**Zeros.** Zero counts are published (a structural or observed zero points to nobody),
and secondary suppression only withholds non-zero cells, so a reader knows that a
withheld cell is at least 1 whenever every other cell on its rows is published (then the
row was hidden for that cell). The audit uses that knowledge: lower bound 1 for such
cells, 0 otherwise.

**Audit.** For each withheld cell, the smallest and largest value consistent with every
published value and relation is found by linear programming (HiGHS through
``scipy.optimize.linprog``), integrality relaxed (the continuous range contains the
integer one, so a relaxed range can only be wider: the audit is exact for pinning, since
a cell pinned over the integers is pinned by the equalities over the reals whenever the
relations are totally unimodular — as sums of hierarchical and two-way tables are). A
cell passes when ``high − low ≥ threshold − 1``.

References
----------
Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E.,
Spicer, K. and de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley, ch. 4
(cell suppression, linked tables, audit by linear programming).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from evaluation.report.secrecy.cells import LinkedCells, Publishable
from evaluation.report.secrecy.links import linked_cells

__all__ = ["AUDIT_COLUMNS", "Audited", "audit", "audit_cells", "sensitive", "greedy_suppress", "failing"]

AUDIT_COLUMNS = ["cell", "table", "low", "high", "ok"]


class Audited(Protocol):
    """What the audit reads of a publication (:class:`evaluation.report.published.Publication`)."""

    threshold: int

    def publishable(self) -> Publishable:
        """The tables that carry counts."""


# --------------------------------------------------------------------------- audit
def _lower_bounds(linked: LinkedCells, withheld: np.ndarray) -> np.ndarray:
    """1 for a withheld cell whose rows hold no other withheld cell (it was hidden for itself,
    and only non-zero cells are hidden), else 0.
    """
    pos = linked.positions
    on_rows = pos.T @ withheld.astype(np.int64)  # withheld cells on each row
    crowded = (pos @ (on_rows > 1).astype(np.int64)) > 0
    placed = np.asarray(pos.sum(axis=1)).ravel() > 0
    return np.where(withheld & placed & ~crowded, 1.0, 0.0)


def sensitive(linked: LinkedCells, *, threshold: int, withheld: np.ndarray | None = None) -> np.ndarray:
    """Withheld cells the audit must protect: counts a table shows, and derived totals or
    complements (or cells printed nowhere) that are small themselves (1 to ``threshold − 1``)
    or of unknown value.
    A large total hidden only because it shares a row with a withheld count is not one.
    """
    withheld = linked.withheld if withheld is None else withheld
    v = linked.cells["value"].to_numpy(dtype=float)
    unplaced = np.diff(linked.positions.indptr) == 0  # printed nowhere: a margin like the derived ones
    derived = linked.cells["derived"].to_numpy(dtype=bool) | unplaced
    return withheld & (~derived | np.isnan(v) | ((v > 0) & (v < threshold)))


def audit_cells(linked: LinkedCells, *, threshold: int, withheld: np.ndarray | None = None,
                targets: np.ndarray | None = None, exact: bool = True,
                nonzero_known: bool = False, wide: np.ndarray | None = None) -> pd.DataFrame:
    """The feasible range of every sensitive withheld cell given what is published.

    For each withheld cell *i*: ``low = min x_i`` and ``high = max x_i`` subject to
    ``R x = rhs``, published cells fixed to their values, every unknown ≥ 0 (with
    ``nonzero_known``, withheld cells that a reader can tell are non-zero ≥ 1, see
    ``_lower_bounds``); integrality relaxed. Solved with HiGHS
    (``scipy.optimize.linprog(method="highs")``) on each connected block of the
    relations separately, published cells substituted out. Fewer programs are solved
    than two per cell, with the same results: one program finds every cell that can grow
    without bound (the support of the recession cone ``{d ≥ 0 : R d = 0}``), and a cell
    already seen at its lower bound in a solution of another program has that bound for
    minimum. With ``exact=False`` (used while suppressing, and by the audit of a set) a cell
    is also passed without its own programs once two solutions found so far set it
    ``threshold − 1`` apart (``wide``: per cell, a larger width to reach first); its
    ``low``/``high`` are then those solutions' values, and pass/fail is the same as exact.

    Returns
    -------
    DataFrame
        ``cell``, ``table``, ``low``, ``high`` (``inf`` when unbounded), ``ok`` (not
        :func:`failing`: ``high − low ≥ threshold − 1``, or ``high = 0`` — a cell known to be
        zero reveals nobody, and zeros are published anyway —, or ``low ≥ threshold``). One
        row per target: by default the cells of :func:`sensitive`.
    """
    withheld = linked.withheld if withheld is None else withheld
    n, k = len(linked.cells), linked.atoms
    values = linked.cells["value"].to_numpy(dtype=float)
    # A cell without a value (blanked by its own table's rule, or not in a register) is unknown
    # to a reader: an unknown, not a published zero.
    withheld = np.asarray(withheld, dtype=bool) | np.isnan(values)
    targets = sensitive(linked, threshold=threshold, withheld=withheld) if targets is None else targets & withheld
    unknown = np.concatenate([withheld, np.ones(k, dtype=bool)])
    R = linked.relations.tocsc()
    known = ~withheld
    rhs = linked.rhs - R[:, :n][:, known] @ np.nan_to_num(values[known])
    U = R[:, np.flatnonzero(unknown)].tocsr()
    lb = np.concatenate([_lower_bounds(linked, withheld)[withheld] if nonzero_known else np.zeros(int(withheld.sum())),
                         np.zeros(k)])
    n_withheld = int(withheld.sum())  # withheld cells are the first unknowns, then the atoms
    is_target = np.zeros(n_withheld + k, dtype=bool)
    is_target[:n_withheld] = targets[withheld]
    tvars = np.flatnonzero(is_target)
    targets = np.flatnonzero(targets)
    active = np.diff(U.indptr) > 0
    if np.any(~active & (np.abs(rhs) > 1e-6)):
        raise ValueError("the published cells contradict their relations: the tables are inconsistent")
    U, rhs = U[active], rhs[active]
    nv, nr = U.shape[1], U.shape[0]
    if nr:
        adj = sparse.bmat([[None, U], [U.T, None]]).tocsr()
        labels = connected_components(adj, directed=False)[1]
        rel_label, var_label = labels[:nr], labels[nr:]
    else:
        rel_label, var_label = np.array([], int), np.arange(nv)
    low, high = lb[tvars].copy(), np.full(len(tvars), np.inf)
    need = np.isin(var_label[tvars], rel_label)  # the others are in no relation: [lb, ∞)
    gap = threshold - 1 - 1e-9
    widths = np.full(len(tvars), gap) if wide is None else np.maximum(gap, np.asarray(wide, float)[targets] - 1e-9)
    for block in np.unique(var_label[tvars][need]):
        vars_ = np.flatnonzero(var_label == block)
        A, b_eq = U[rel_label == block][:, vars_].tocsc(), rhs[rel_label == block]
        in_block = np.flatnonzero(var_label[tvars] == block)  # target numbers
        local = tvars[in_block]  # their variables
        j = np.searchsorted(vars_, local)  # their positions in the block
        bounds = np.column_stack([lb[vars_], np.full(len(vars_), np.inf)])

        def solve(c, *, A=A, b_eq=b_eq, bounds=bounds):
            res = linprog(c, A_eq=A, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 2:
                raise ValueError("the published cells admit no non-negative solution: the tables are inconsistent")
            return res

        unbounded = _unbounded(A)[j]
        seen_lo, seen_hi = np.full(len(j), np.inf), np.full(len(j), -np.inf)
        at_lb = np.zeros(len(j), dtype=bool)

        def record(x, j=j, local=local):
            nonlocal seen_lo, seen_hi, at_lb
            seen_lo, seen_hi = np.minimum(seen_lo, x[j]), np.maximum(seen_hi, x[j])
            at_lb |= x[j] <= lb[local] + 1e-9

        c = np.zeros(len(vars_))
        c[j] = 1.0
        record(solve(c).x)
        if not exact:  # programmes pushing every open target at once, each up or down at random
            def still(unbounded=unbounded, in_block=in_block):
                return ~unbounded & (seen_hi - seen_lo < widths[in_block])  # noqa: B023 - the ranges seen so far

            _push(solve, record, j, len(vars_), still)
        lo_b, hi_b = np.full(len(j), np.nan), np.where(unbounded, np.inf, np.nan)
        for q in range(len(j)):
            if not exact and (unbounded[q] or seen_hi[q] - seen_lo[q] >= widths[in_block[q]]):
                lo_b[q], hi_b[q] = seen_lo[q], max(seen_hi[q], seen_lo[q]) if not unbounded[q] else np.inf
                continue
            if not unbounded[q]:
                c = np.zeros(len(vars_))
                c[j[q]] = -1.0
                res = solve(c)
                if res.status == 3:
                    hi_b[q] = np.inf
                else:
                    hi_b[q] = -res.fun
                    record(res.x)
            if at_lb[q]:
                lo_b[q] = lb[local[q]]
            else:
                c = np.zeros(len(vars_))
                c[j[q]] = 1.0
                res = solve(c)
                lo_b[q] = res.fun
                record(res.x)
        low[in_block], high[in_block] = lo_b, hi_b
    low, high = np.round(low, 6), np.round(high, 6)
    return pd.DataFrame({"cell": linked.cells["cell"].to_numpy()[targets],
                         "table": linked.cells["table"].to_numpy()[targets],
                         "low": low, "high": high,
                         "ok": ~failing(low, high, threshold=threshold)})


def failing(low: np.ndarray, high: np.ndarray, *, threshold: int, need: np.ndarray | float | None = None
            ) -> np.ndarray:
    """Whether withheld cells of feasible range ``[low, high]`` are disclosed: the range is
    narrower than the protection interval ``need`` (default ``threshold − 1``) while the cell
    could be a small count, ``high > 0`` (a cell known to be zero reveals nobody) and
    ``low < threshold`` (a count known to be at least the threshold is no small count).

    The rule needs no withheld value, so a reader's audit of the published files
    (:mod:`evaluation.report.secrecy.sets`) applies it exactly as the publisher does.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    need = float(threshold - 1) if need is None else np.asarray(need, dtype=float)
    return ((high - low) < need - 1e-9) & (high > 1e-9) & (low < threshold - 1e-9)


def audit(publication: Audited, *, extra: Sequence[tuple[Mapping[str, float], float]] = ()) -> pd.DataFrame:
    """Audit a report's publication: the feasible range of every withheld cell, from what the
    publication shows alone (withheld values are blanked in it).

    The cells and relations are derived from the publication's own tables
    (:func:`~evaluation.report.secrecy.links.linked_cells` on :meth:`evaluation.report.published.Publication.publishable`), so the
    audit sees what the report shows. ``extra`` adds numbers published elsewhere (in
    sentences, for instance) as ``(terms, value)`` pairs, see
    :meth:`~evaluation.report.secrecy.cells.LinkedCells.with_published`.

    Returns
    -------
    DataFrame
        ``cell``, ``table``, ``low``, ``high``, ``ok`` (see :func:`audit_cells`).
    """
    linked = linked_cells(publication.publishable())
    for terms, value in extra:
        linked = linked.with_published(terms, value)
    targets = linked.withheld  # every withheld cell: the rule of `failing` needs no withheld value
    # A cell the publication leaves empty (an indicator that cannot be estimated) is unknown
    # to a reader, like a withheld one.
    unknown = linked.withheld | np.isnan(linked.cells["value"].to_numpy(dtype=float))
    return audit_cells(linked.masked(), threshold=publication.threshold, targets=targets, withheld=unknown)


def _push(solve, record, j: np.ndarray, n_vars: int, still, *, rounds: int = 8) -> None:
    """Record solutions of programmes that push the targets still open (``still()``) at random,
    half up and half down, then the reverse, until few are left or little changes: most
    targets are then seen ``threshold − 1`` apart and need no programme of their own.
    """
    rng = np.random.default_rng(0)
    for _ in range(rounds):
        open_ = still()
        if open_.sum() < 4:
            return
        signs = rng.choice([-1.0, 1.0], int(open_.sum())) * rng.uniform(0.5, 1.5, int(open_.sum()))
        for flip in (1.0, -1.0):
            c = np.zeros(n_vars)
            c[j[open_]] = flip * signs
            res = solve(c)
            if res.status == 0:
                record(res.x)
        if still().sum() > 0.9 * open_.sum():
            return


def _unbounded(A: sparse.spmatrix) -> np.ndarray:
    """Variables that can grow without bound on ``{x ≥ lb : A x = b}``: the support of the
    recession cone ``{d ≥ 0 : A d = 0}``, found with one program: maximise ``Σ t`` with
    ``t ≤ d``, ``t ≤ 1`` (any ray scaled up reaches ``t_i = 1`` on its whole support).
    """
    m, v = A.shape
    eye = sparse.identity(v, format="csr")
    res = linprog(np.concatenate([np.zeros(v), -np.ones(v)]),
                  A_ub=sparse.hstack([-eye, eye]).tocsr(), b_ub=np.zeros(v),
                  A_eq=sparse.hstack([A, sparse.csr_matrix((m, v))]).tocsr(), b_eq=np.zeros(m),
                  bounds=np.column_stack([np.zeros(2 * v), np.concatenate([np.full(v, np.inf), np.ones(v)])]),
                  method="highs")
    return res.x[v:] > 0.5


# --------------------------------------------------------------------------- suppression
def _withhold(linked: LinkedCells, cells: np.ndarray) -> None:
    """Suppress every suppressible row of the given cells (in place)."""
    if not len(cells):
        return
    rows = np.unique(linked.positions[cells].indices)
    ok = linked.rows["suppressible"].to_numpy(dtype=bool)[rows]
    col = linked.rows.columns.get_loc("suppressed")
    linked.rows.iloc[rows[ok], col] = True


def greedy_suppress(linked: LinkedCells, *, threshold: int, max_rounds: int = 200) -> LinkedCells:
    """Decide suppression for all the linked tables of a report together, greedily (the
    heuristic :func:`evaluation.report.secrecy.optimal.joint_suppress` is compared with, and
    falls back on).

    1. Primary: every cell from 1 to ``threshold − 1`` is withheld (all its rows
       suppressed).
    2. Relations: while a relation has exactly one unknown, a sensitive withheld cell
       (:func:`sensitive`; the others and no atom being published), the smallest published non-zero cell of that
       relation (on a row that can be suppressed) is withheld, all such relations at once.
    3. Audit: while :func:`audit_cells` finds withheld cells whose range is narrower than
       ``threshold − 1``, for each of them the smallest published non-zero cell sharing a
       relation with it (or, failing one, sharing one with a cell of its relations) is
       withheld.

    Returns a copy of ``linked`` with ``rows["suppressed"]`` set.
    """
    out = replace(linked, rows=linked.rows.copy())
    values = out.cells["value"].to_numpy(dtype=float)
    n = len(values)
    primary = np.flatnonzero((values > 0) & (values < threshold))
    _withhold(out, primary)
    placed = np.asarray(out.positions.sum(axis=1)).ravel() > 0
    suppressible_cell = (out.positions @ out.rows["suppressible"].to_numpy(dtype=np.int64)) == \
        np.asarray(out.positions.sum(axis=1)).ravel()
    R = out.relations.tocsr()
    cell_part = (R[:, :n] != 0).astype(np.int64).tocsr()
    incidence = (R != 0).astype(np.int64).tocsr()
    atom_count = np.asarray((R[:, n:] != 0).sum(axis=1)).ravel() if out.atoms else np.zeros(R.shape[0])
    derived = out.cells["derived"].to_numpy(dtype=bool)
    # the territory total is printed throughout a report: withheld only when small itself
    grand = out.cells["cell"].to_numpy() == "total"
    # a derived total spanning several rows (a table's total) is not chosen; a complement on one row is
    one_row = np.diff(out.positions.indptr) == 1
    candidate_value = np.where((values > 0) & placed & suppressible_cell & (~derived | one_row) & ~grand,
                               values, np.inf)
    signed = R[:, :n].tocsr()
    restored = np.zeros(n, dtype=bool)
    for _ in range(max_rounds):
        withheld = out.withheld
        unknown_cells = cell_part @ withheld.astype(np.int64)
        pinned_sensitive = cell_part @ sensitive(out, threshold=threshold, withheld=withheld).astype(np.int64)
        lone = np.flatnonzero((unknown_cells == 1) & (atom_count == 0) & (pinned_sensitive == 1))
        # orient each lone relation so that its withheld cell has a positive sign: its siblings too
        sign = np.sign(np.asarray((signed[lone].multiply(withheld.astype(float)[None, :])).sum(axis=1)).ravel())
        picks = _smallest_published(sparse.diags(sign) @ signed[lone], candidate_value, withheld)
        if not len(picks):
            break
        _withhold(out, picks)
    # Withholding more cells only widens the others' ranges: a cell found wide enough stays so,
    # and each round audits only the cells still failing and those newly withheld.
    checked = np.zeros(n, dtype=bool)
    failing_before = np.zeros(n, dtype=bool)
    for _ in range(max_rounds):
        withheld = out.withheld
        todo = (withheld & ~checked) | failing_before
        result = audit_cells(out, threshold=threshold, withheld=withheld, exact=False,
                             targets=todo & sensitive(out, threshold=threshold, withheld=withheld))
        checked |= withheld
        failing_before = np.zeros(n, dtype=bool)
        failing_before[pd.Index(out.cells["cell"]).get_indexer(result.loc[~result["ok"], "cell"])] = True
        bad = pd.Index(out.cells["cell"]).get_indexer(result.loc[~result["ok"], "cell"])
        if not len(bad):
            break
        # a secondary cell pinned by what is published protects nothing: once nothing else
        # fails, it is published again
        pinned = bad[(result.loc[~result["ok"], "high"] - result.loc[~result["ok"], "low"]).to_numpy() < 1e-9]
        harmless = pinned[values[pinned] >= threshold]
        if len(harmless) == len(bad):
            if restored[harmless].all() or not _restore(out, harmless, threshold=threshold):
                break
            restored[harmless] = True
            candidate_value[harmless] = np.inf  # not chosen again
            continue
        # for each failing cell, the cells sharing a relation with it, positive for its siblings
        share = (R[:, bad].T @ signed).tocsr()
        picks = _smallest_published(share, candidate_value, withheld)
        if not len(picks):  # one step further, through the atoms: cells of the relations of its relations' unknowns
            touched = ((R[:, bad] != 0).T.astype(np.int64) @ incidence).tocsr()  # failing × variables
            reach = (touched @ incidence.T @ cell_part).tocsr()
            picks = _smallest_published(reach, candidate_value, withheld)
        if not len(picks):
            break
        _withhold(out, picks)
    return out


def _restore(linked: LinkedCells, cells: np.ndarray, *, threshold: int) -> bool:
    """Show again the rows of ``cells`` whose other withheld cells are not sensitive (in place)."""
    rows = np.unique(linked.positions[cells].indices)
    others = sensitive(linked, threshold=threshold)
    others[cells] = False
    rows = rows[(linked.positions[:, rows].T @ others.astype(np.int64)) == 0]
    rows = rows[linked.rows["suppressed"].to_numpy(dtype=bool)[rows]]
    linked.rows.iloc[rows, linked.rows.columns.get_loc("suppressed")] = False
    return bool(len(rows))


def _smallest_published(part: sparse.csr_matrix, candidate_value: np.ndarray, withheld: np.ndarray) -> np.ndarray:
    """For each row of ``part`` (a relation, or a failing cell's relations), its published
    candidate of smallest value, among the positive entries (siblings) when there are
    any, else among all entries.
    """
    if part.shape[0] == 0:
        return np.array([], dtype=int)
    coo = part.tocoo()
    frame = pd.DataFrame({"row": coo.row, "cell": coo.col, "sibling": coo.data > 0,
                          "value": np.where(withheld[coo.col], np.inf, candidate_value[coo.col])})
    frame = frame[np.isfinite(frame["value"]) & (coo.data != 0)]
    if frame.empty:
        return np.array([], dtype=int)
    best = frame.sort_values(["row", "sibling", "value", "cell"], ascending=[True, False, True, True],
                             kind="stable").drop_duplicates("row")
    return np.unique(best["cell"].to_numpy())

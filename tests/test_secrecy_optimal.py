"""Optimal secondary suppression (integer programme): exhaustive optimum on small tables, never
worse than the greedy heuristic, and the linear-programming audit passes.

The reference audit of these tests is written here from scratch with ``scipy.optimize.linprog``
(two programmes per withheld cell, nothing shared with :mod:`evaluation.report.secrecy.audit`),
and the reference optimum enumerates every set of complementary rows.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from evaluation.report.secrecy.audit import audit_cells, greedy_suppress
from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.optimal import SuppressionStats, joint_suppress, optimal_suppress, row_costs


def table_with_margins(inner) -> LinkedCells:
    """An r × c table with its row totals, column totals and grand total, each cell on its own row."""
    inner = np.asarray(inner, dtype=float)
    r, c = inner.shape
    names = ([f"x{i}{j}" for i in range(r) for j in range(c)] + [f"r{i}" for i in range(r)]
             + [f"c{j}" for j in range(c)] + ["total"])
    values = np.concatenate([inner.ravel(), inner.sum(axis=1), inner.sum(axis=0), [inner.sum()]])
    n = len(names)
    idx = {k: i for i, k in enumerate(names)}
    dense = []
    for i in range(r):
        row = np.zeros(n)
        row[[idx[f"x{i}{j}"] for j in range(c)]] = 1
        row[idx[f"r{i}"]] = -1
        dense.append(row)
    for j in range(c):
        row = np.zeros(n)
        row[[idx[f"x{i}{j}"] for i in range(r)]] = 1
        row[idx[f"c{j}"]] = -1
        dense.append(row)
    row = np.zeros(n)
    row[[idx[f"r{i}"] for i in range(r)]] = 1
    row[idx["total"]] = -1
    dense.append(row)
    cells = pd.DataFrame({"cell": names, "table": "t", "value": values, "derived": False})
    rows = pd.DataFrame({"table": "t", "index": np.arange(n), "suppressible": True, "suppressed": False})
    return LinkedCells(cells, rows, sparse.identity(n, format="csr", dtype=np.int64),
                       sparse.csr_matrix(np.array(dense)), np.zeros(len(dense)), 0)


def reference_audit_passes(linked: LinkedCells, withheld: np.ndarray, threshold: int) -> bool:
    """Every withheld cell's range (published cells fixed, withheld ones ≥ 0) is at least
    ``threshold − 1`` wide, or it cannot be a small count (high = 0 or low ≥ threshold).
    """
    values = linked.cells["value"].to_numpy(dtype=float)
    n = len(values)
    bounds = [(0, None) if w else (v, v) for v, w in zip(values, withheld, strict=True)]
    A = linked.relations.toarray()
    for i in np.flatnonzero(withheld):
        c = np.zeros(n)
        c[i] = 1
        low = linprog(c, A_eq=A, b_eq=linked.rhs, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=A, b_eq=linked.rhs, bounds=bounds, method="highs")
        lo, hi = low.fun, (np.inf if high.status == 3 else -high.fun)
        if hi - lo < threshold - 1 - 1e-9 and hi > 1e-9 and lo < threshold - 1e-9:
            return False
    return True


def brute_force_optimum(linked: LinkedCells, threshold: int) -> float:
    """The least cost of a set of rows that, with the primary ones, passes the reference audit."""
    values = linked.cells["value"].to_numpy(dtype=float)
    primary = (values > 0) & (values < threshold)
    cost = row_costs(linked)
    others = np.flatnonzero(~primary)
    choices = []
    for k in range(len(others) + 1):
        for chosen in itertools.combinations(others, k):
            w = primary.copy()
            w[list(chosen)] = True
            choices.append((float(cost[w].sum()), w))
    choices.sort(key=lambda t: t[0])
    for total, w in choices:
        if reference_audit_passes(linked, w, threshold):
            return total
    raise AssertionError("no suppression passes")


SMALL_TABLES = [
    [[3, 7, 6], [6, 4, 9]],
    [[1, 8, 12], [9, 2, 7]],
    [[0, 3, 11], [14, 6, 0]],
    [[2, 2, 9], [8, 10, 1]],
]


class TestAgainstExhaustiveSearch:
    @pytest.mark.parametrize("inner", SMALL_TABLES)
    def test_equals_the_brute_force_optimum(self, inner):
        linked = table_with_margins(inner)
        decided = optimal_suppress(linked, threshold=5)
        withheld = decided.withheld
        assert reference_audit_passes(linked, withheld, 5)
        cost = row_costs(linked)
        assert cost[withheld].sum() == pytest.approx(brute_force_optimum(linked, 5), abs=1e-9)

    def test_a_hand_computed_case(self):
        # 3 7 6 / 6 4 9 at threshold 5: 3 and 4 are withheld; the cheapest protection is the
        # rectangle 3 7 / 6 4 (rows 1–2, columns 1–2): withholding 7 and 6 too (4 cells)
        decided = optimal_suppress(table_with_margins(SMALL_TABLES[0]), threshold=5)
        assert set(decided.cells.loc[decided.withheld, "cell"]) == {"x00", "x01", "x10", "x11"}

    def test_the_check_can_fail(self):
        # primary suppression alone leaves 3 = 16 − 7 − 6: the reference audit refuses it
        linked = table_with_margins(SMALL_TABLES[0])
        values = linked.cells["value"].to_numpy()
        assert not reference_audit_passes(linked, (values > 0) & (values < 5), 5)


class TestAgainstGreedy:
    @pytest.mark.parametrize("seed", range(6))
    def test_never_worse_on_random_tables(self, seed):
        inner = np.random.default_rng(seed).integers(0, 16, size=(3, 4))
        linked = table_with_margins(inner)
        cost = row_costs(linked)
        greedy = greedy_suppress(linked, threshold=5)
        stats = SuppressionStats()
        best = optimal_suppress(linked, threshold=5, stats=stats)
        assert audit_cells(best, threshold=5, targets=best.withheld)["ok"].all()
        assert reference_audit_passes(linked, best.withheld, 5)
        greedy_ok = audit_cells(greedy, threshold=5, targets=greedy.withheld)["ok"].all()
        if greedy_ok:
            assert cost[best.withheld].sum() <= cost[greedy.withheld].sum() + 1e-9

    def test_method_names(self):
        linked = table_with_margins(SMALL_TABLES[0])
        assert joint_suppress(linked, threshold=5, method="greedy").withheld.sum() >= \
            joint_suppress(linked, threshold=5).withheld.sum()
        with pytest.raises(ValueError, match="unknown suppression method"):
            joint_suppress(linked, threshold=5, method="other")


@pytest.fixture(scope="module")
def raw_linked():
    """The raw linked cells of the bundled territories' publications (before suppression)."""
    from evaluation.report import context, publication

    out = {}
    original = publication.joint_suppress

    def grab(linked, *, threshold, **options):
        out[current[0]] = linked
        return original(linked, threshold=threshold, **options)

    current = [""]
    publication.joint_suppress = grab
    try:
        for slug in ("chenove", "chatillonnais", "auxois"):
            current[0] = slug
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ctx = context.prepare_context(slug)
                publication.publish(ctx, ctx.reach(), ctx.network(permutations=20), ctx.venue(), threshold=11)
    finally:
        publication.joint_suppress = original
    return out


@pytest.mark.parametrize("slug", ["chenove", "chatillonnais", "auxois"])
def test_bundled_territories_never_worse_than_greedy(raw_linked, slug):
    linked = raw_linked[slug]
    cost = row_costs(linked)
    best = optimal_suppress(linked, threshold=11)
    assert audit_cells(best, threshold=11, targets=best.withheld)["ok"].all()
    greedy = greedy_suppress(linked, threshold=11)
    if audit_cells(greedy, threshold=11, targets=greedy.withheld)["ok"].all():
        assert cost @ best.rows["suppressed"].to_numpy(float) <= cost @ greedy.rows["suppressed"].to_numpy(float) + 1e-9

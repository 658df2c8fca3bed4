"""Secrecy across linked tables: LP audit ranges, the issue's leak, every bundled territory."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from evaluation.geo.reference import RURAL
from evaluation.measures.reach.summary import reach_summary
from evaluation.report.secrecy.audit import audit, audit_cells, sensitive
from evaluation.report.secrecy.cells import LinkedCells, Publishable
from evaluation.report.secrecy.disclosure import suppress
from evaluation.report.secrecy.links import linked_cells
from evaluation.report.secrecy.optimal import joint_suppress


def two_by_two(*, own_rows: bool = True) -> LinkedCells:
    """A 2 × 2 table a b / c d = 3 7 / 6 4 with its published margins (rows 10, 10; columns 9, 11)."""
    names = ["a", "b", "c", "d", "r1", "r2", "c1", "c2"]
    values = [3, 7, 6, 4, 10, 10, 9, 11]
    cells = pd.DataFrame({"cell": names, "table": "t", "value": np.array(values, float), "derived": False})
    # each inner cell on its own row (then a withheld cell is known to be ≥ 1), or all four on one row
    inner_rows = [0, 1, 2, 3] if own_rows else [0, 0, 0, 0]
    n_rows = 8
    pc = np.arange(8)
    pr = np.array(inner_rows + [4, 5, 6, 7])
    positions = sparse.csr_matrix((np.ones(8, dtype=np.int64), (pc, pr)), shape=(8, n_rows))
    rows = pd.DataFrame({"table": "t", "index": np.arange(n_rows), "suppressible": True,
                         "suppressed": [True] * 4 + [False] * 4})
    relations = sparse.csr_matrix(np.array([
        [1, 1, 0, 0, -1, 0, 0, 0],   # a + b = r1
        [0, 0, 1, 1, 0, -1, 0, 0],   # c + d = r2
        [1, 0, 1, 0, 0, 0, -1, 0],   # a + c = c1
        [0, 1, 0, 1, 0, 0, 0, -1],   # b + d = c2
    ], dtype=float))
    return LinkedCells(cells, rows, positions, relations, np.zeros(4), 0)


def brute_force_ranges(margins, lb):
    """Integer enumeration of every 2 × 2 table with the margins (the reference)."""
    r1, r2, c1, c2 = margins
    found = [(a, r1 - a, c1 - a, r2 - c1 + a) for a in range(0, r1 + 1)]
    found = [t for t in found if min(t) >= lb]
    return [(min(t[k] for t in found), max(t[k] for t in found)) for k in range(4)]


class TestLinearProgrammingRanges:
    def test_two_by_two_with_margins(self):
        # a ∈ [1, 8]: b = 10 − a ≥ 1, c = 9 − a ≥ 1 (hand-computed; lower bound 1 since zeros are published)
        result = audit_cells(two_by_two().masked(), threshold=5, nonzero_known=True).set_index("cell")
        expected = brute_force_ranges((10, 10, 9, 11), lb=1)
        assert expected == [(1, 8), (2, 9), (1, 8), (2, 9)]
        for cell, (lo, hi) in zip("abcd", expected, strict=False):
            assert (result.loc[cell, "low"], result.loc[cell, "high"]) == (lo, hi)
        assert result["ok"].all()  # 7 ≥ 5 − 1
        assert not audit_cells(two_by_two().masked(), threshold=9, nonzero_known=True)["ok"].any()  # 7 < 9 − 1
        # by default only non-negativity: a ∈ [0, 9] (Fréchet bounds max(0, c1 − r2) … min(r1, c1))
        default = audit_cells(two_by_two().masked(), threshold=5).set_index("cell")
        assert list(zip(default["low"], default["high"], strict=False)) == brute_force_ranges((10, 10, 9, 11), lb=0)

    def test_lower_bound_zero_when_a_row_holds_other_withheld_cells(self):
        # the four cells on one suppressed row: a zero could hide there, so the lower bound is 0
        result = audit_cells(two_by_two(own_rows=False).masked(), threshold=5, nonzero_known=True).set_index("cell")
        expected = brute_force_ranges((10, 10, 9, 11), lb=0)
        assert expected == [(0, 9), (1, 10), (0, 9), (1, 10)]
        for cell, (lo, hi) in zip("abcd", expected, strict=False):
            assert (result.loc[cell, "low"], result.loc[cell, "high"]) == (lo, hi)

    def test_a_number_printed_elsewhere_pins_a_cell(self):
        linked = two_by_two().with_published({"a": 1.0, "b": -3 / 7}, 0.0)  # "a is 3/7 of b" in a sentence
        result = audit_cells(linked.masked(), threshold=5).set_index("cell")
        assert result.loc["a", "low"] == pytest.approx(3) and result.loc["a", "high"] == pytest.approx(3)
        assert not result.loc["a", "ok"]

    def test_a_withheld_margin_pinned_by_the_others(self):
        linked = two_by_two()
        linked = LinkedCells(linked.cells, linked.rows.assign(suppressed=[True] * 4 + [True, False, False, False]),
                             linked.positions, linked.relations, linked.rhs, 0)
        result = audit_cells(linked.masked(), threshold=5).set_index("cell")
        # r1 = c1 + c2 − r2 = 9 + 11 − 10: withholding one margin of a two-way table protects nothing
        assert result.loc["r1", "low"] == result.loc["r1", "high"] == 10
        # ... but 10 is no small count at threshold 5 (a reader learns it is 10, nobody's count
        # below 5): the audit passes it; at threshold 11 it could be small, and fails
        assert result.loc["r1", "ok"]
        assert not audit_cells(linked.masked(), threshold=11).set_index("cell").loc["r1", "ok"]
        assert (result.loc["a", "low"], result.loc["a", "high"]) == (0, 9)

    def test_unbounded_cell(self):
        linked = two_by_two()
        linked = LinkedCells(linked.cells, linked.rows.assign(suppressed=[True] * 4 + [True, True, False, False]),
                             linked.positions, linked.relations, linked.rhs, 0)
        result = audit_cells(linked.masked(), threshold=5).set_index("cell")
        # both row totals withheld: only the column totals bind, so a ≤ 9 but r1 = a + b ≤ 20; nothing unbounded
        assert result.loc["a", "high"] == 9 and result.loc["r1", "high"] == 20
        linked = LinkedCells(linked.cells, linked.rows.assign(suppressed=True), linked.positions, linked.relations,
                             linked.rhs, 0)
        assert np.isinf(audit_cells(linked.masked(), threshold=5)["high"]).all()


# --------------------------------------------------------------------------- the issue's leak
#: Two EPCIs of Côte-d'Or (INSEE codes): Gevrey-Chambertin–Nuits-Saint-Georges (21110 Ceintures
#: urbaines, 21001 Rural à habitat dispersé) and Plaine Dijonnaise (21292 Petites villes,
#: 21005 Bourgs ruraux).
LEAK_COUNTS = {"21292": 2, "21110": 23, "21001": 2, "21005": 5}


def _leak_summary(reference):
    communes = reference[reference["commune_code"].isin(LEAK_COUNTS)]
    codes = np.repeat(list(LEAK_COUNTS), list(LEAK_COUNTS.values()))
    n = len(codes)
    acc = pd.DataFrame({"commune_code": codes, "programme": np.where(np.arange(n) % 2, "creation", "dla"),
                        "in_qpv": False,
                        "start_date": pd.to_datetime("2021-01-01") + pd.to_timedelta(np.arange(n) % 3 * 365, "D")})
    return reach_summary(acc, communes)


def _tables(summary, *, old_rule: bool, threshold: int = 5) -> Publishable:
    """The count tables of a report; with ``old_rule``, suppressed table by table as before."""
    bp = summary.by_programme["urban_rural"]
    trends = {k: t for k, (t, _) in summary.trends.items()}
    rep, rates, qpv, reached = dict(summary.representation), dict(summary.rates), summary.by["qpv"], summary.reached
    if old_rule:
        def protect(f, **kw):
            return suppress(f, threshold=threshold, **kw)
        rep = {g: protect(r) for g, r in rep.items()}
        rates = {g: protect(r) for g, r in rates.items()}
        qpv, reached = protect(qpv), protect(reached)
        bp = protect(bp, within=["programme"])
        trends = {k: t.assign(suppressed=(t["count"].between(1, threshold - 1)
                                          | (t["total"] - t["count"]).between(1, threshold - 1)).to_numpy())
                  for k, t in trends.items()}
    return Publishable(reached=reached, representation=rep, rates=rates, qpv=qpv,
                       rural_by_programme=bp[bp["urban_rural"] == RURAL].reset_index(drop=True), trends=trends)


class TestIssueLeak:
    def test_table_by_table_suppression_leaks_and_audit_catches_it(self, reference):
        summary = _leak_summary(reference)
        linked = linked_cells(_tables(summary, old_rule=True))
        cells = linked.cells.set_index("cell")
        hidden = set(cells.index[linked.withheld])
        assert {"density|Petites villes", "density|Rural à habitat dispersé"} <= hidden
        assert not {"urban_rural|urbain", "urban_rural|rural"} & hidden  # 25 / 7 published
        result = audit_cells(linked.masked(), threshold=5,
                             targets=linked.withheld & ~linked.cells["derived"].to_numpy()).set_index("cell")
        for cell in ("density|Petites villes", "density|Rural à habitat dispersé"):
            assert result.loc[cell, "low"] == result.loc[cell, "high"] == 2  # 25 − 23 and 7 − 5
            assert not result.loc[cell, "ok"]

    def test_joint_suppression_protects_them(self, reference):
        summary = _leak_summary(reference)
        decided = joint_suppress(linked_cells(_tables(summary, old_rule=False)), threshold=5)
        result = audit_cells(decided.masked(), threshold=5, targets=sensitive(decided, threshold=5))
        assert len(result) and result["ok"].all(), result.to_string()
        hidden = set(decided.cells.loc[decided.withheld, "cell"])
        assert {"density|Petites villes", "density|Rural à habitat dispersé"} <= hidden


# --------------------------------------------------------------------------- every bundled territory
@pytest.fixture(scope="module")
def contexts():
    from evaluation.report import context

    cache = {}

    def get(slug):
        if slug not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ctx = context.prepare_context(slug)
                cache[slug] = (ctx, ctx.reach(), ctx.network(permutations=50), ctx.venue(), ctx.denominators())
        return cache[slug]
    return get


@pytest.mark.parametrize("slug, threshold", list(itertools.product(
    ["chenove", "dijon-metropole", "chatillonnais", "auxois", "cote-d-or"], [5, 11, 100])))
def test_audit_passes_on_every_bundled_territory(contexts, slug, threshold):
    from evaluation.report import publication

    ctx, summary, network, venue, denominators = contexts(slug)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # structures, QPV and target populations linked too (issue 28)
        pub = publication.publish(ctx, summary, network, venue, threshold=threshold, denominators=denominators)
    result = audit(pub)
    assert list(result.columns) == ["cell", "table", "low", "high", "ok"]
    assert len(result)  # something is withheld at these thresholds on the sample
    bad = result[~result["ok"]]
    assert bad.empty, bad.to_string()
    # the tables a reader sees agree with the decision: a withheld count is shown as "s", or
    # only inside the group of communes with small counts (coarsening)
    hidden = set(result["cell"])
    reached = pub.reached.set_index("commune_code")
    shown_alone = ~(reached["suppressed"] | reached["grouped"])
    assert not any(shown_alone[c.split("|", 1)[1]] for c in hidden if c.startswith("commune|"))

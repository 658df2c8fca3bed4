"""The linked cells of a publication: every published count as a cell, and the sums that tie them (one sparse system), with what is withheld."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["LinkedCells", "Publishable", "withhold_cells"]


@dataclass
class LinkedCells:
    """The counts a report publishes, where they are shown, and the relations between them.

    Attributes
    ----------
    cells
        One row per cell: ``cell`` (unique name, e.g. ``"density|Petites villes"``),
        ``table`` (the table it belongs to), ``value`` (float; NaN when not known),
        ``derived`` (a total or complement a share reveals, as opposed to a count a
        table shows: chosen for secondary suppression only when on a single row, and
        audited only when small).
    rows
        One row per row of the publication's tables: ``table`` (key of the frame, e.g.
        ``"representation:density_label"``), ``index`` (position in that frame),
        ``suppressible`` (False for rows always printed), ``suppressed``.
    positions
        Sparse boolean matrix cells × rows: which rows show (or let a reader compute) each cell.
    relations
        Sparse matrix relations × (cells + atoms): every row sums to ``rhs``.
    rhs
        Right-hand sides of the relations (0 for structural relations).
    atoms
        Number of unpublished unknowns after the cells.
    cube
        The hidden programme × year × QPV × urban/rural table of the report: the variable
        (column of ``relations``) of each of its atoms, shape ``(3, P, Y, 3)`` (urban, rural,
        unclassified × programme × year × QPV, non-QPV, unknown), and the labels of its
        programme and year axes (``cube_programmes``, ``cube_years``). A publication set ties
        the cubes of its reports (:mod:`evaluation.report.secrecy.sets`).
    """

    cells: pd.DataFrame
    rows: pd.DataFrame
    positions: sparse.csr_matrix
    relations: sparse.csr_matrix
    rhs: np.ndarray
    atoms: int
    cube: np.ndarray | None = None
    cube_programmes: tuple = ()
    cube_years: tuple = ()

    @property
    def withheld(self) -> np.ndarray:
        """Cells none of whose rows is shown (cells on no row are never published)."""
        shown = (~self.rows["suppressed"].to_numpy(dtype=bool)).astype(np.int64)
        return (self.positions @ shown) == 0

    def is_withheld(self, cell: str) -> bool:
        """Whether the named cell is withheld (e.g. ``"venue_participants"``)."""
        found = np.flatnonzero(self.cells["cell"].to_numpy() == cell)
        if not found.size:
            raise KeyError(f"no cell named {cell!r}")
        return bool(self.withheld[found[0]])

    def with_published(self, terms: Mapping[str, float], value: float = 0.0) -> LinkedCells:
        """Add a published linear combination ``Σ coefficient × cell = value``.

        For numbers printed outside the tables: a share in a sentence ``p = a / b`` is
        ``{a: 1, b: -p}`` with value 0 (rounding ignored, which only narrows the audit's
        ranges: a stricter audit).
        """
        names = pd.Index(self.cells["cell"])
        idx = names.get_indexer(list(terms))
        if (idx < 0).any():
            raise KeyError(f"unknown cells: {[t for t, i in zip(terms, idx, strict=False) if i < 0]}")
        row = sparse.csr_matrix((np.asarray(list(terms.values()), dtype=float), (np.zeros(len(idx), int), idx)),
                                shape=(1, self.relations.shape[1]))
        return replace(self, relations=sparse.vstack([self.relations, row]).tocsr(),
                       rhs=np.append(self.rhs, float(value)))

    def suppressed_rows(self, table: str) -> np.ndarray:
        """Positions (in the frame ``table``) of its suppressed rows."""
        r = self.rows
        return r.loc[(r["table"] == table) & r["suppressed"], "index"].to_numpy(dtype=int)

    def masked(self) -> LinkedCells:
        """The same cells with the values of withheld cells removed (what a reader knows)."""
        cells = self.cells.assign(value=self.cells["value"].where(~self.withheld))
        return replace(self, cells=cells)


def withhold_cells(linked: LinkedCells, names) -> LinkedCells:
    """A copy of ``linked`` with every suppressible row of the named cells suppressed (names
    absent from ``linked`` are ignored: a publication set may name cells another report holds).
    """
    idx = pd.Index(linked.cells["cell"]).get_indexer(list(names))
    idx = idx[idx >= 0]
    rows = linked.rows.copy()
    if len(idx):
        hit = np.unique(linked.positions[idx].indices)
        hit = hit[rows["suppressible"].to_numpy(dtype=bool)[hit]]
        rows.iloc[hit, rows.columns.get_loc("suppressed")] = True
    return replace(linked, rows=rows)


@dataclass
class Publishable:
    """The tables of one report that carry counts, as :func:`~evaluation.report.secrecy.links.linked_cells` reads them.

    Frames are those of :class:`evaluation.report.published.Publication` (optionally with a
    boolean ``suppressed`` column). ``reached`` needs ``commune_code``, ``count``,
    ``density_label``, ``urban_rural``, ``epci_name`` and, when ``decay`` is given,
    ``distance_band``. ``indicators`` is the indicator table (codes and ``valeur``); its
    withheld rows are read from ``secret``. ``conversion`` has ``group`` (``met``,
    ``unmet``), ``new``, ``total`` and optionally ``suppressed``. ``area_classes``, for a
    publication whose geography is the département (``reached`` holds one row per
    département, :func:`evaluation.measures.reach.comparison.departement_geography`): the
    département × density-class pairs present (``commune_code``, ``density_label``).
    ``denominators`` (:class:`evaluation.measures.reach.denominators.ReachDenominators`): distinct
    structures, the territory's QPV, the programmes against their target populations
    (:mod:`evaluation.report.secrecy.denominator_links`).
    ``outcomes``: the counts of the chapter after the accompaniment
    (:func:`evaluation.report.outcomes.outcome_tables`).
    ``network_counts``: the network annex's counts standing alone (``key``, ``count``: new
    ties after meeting at a venue, :func:`evaluation.report.mechanisms.mechanism_counts`).
    ``coarsening``: for each coarsened table (``density_label``, ``epci_name``,
    ``programme``), its merged fine categories → their group
    (:class:`evaluation.report.secrecy.coarsen.Coarsened`); trend tables may hold periods
    (``year`` to ``year_end``). ``reached`` may mark ``grouped`` communes, whose counts are
    shown only as the total of ``commune_groups``. ``venue_monthly``: the tiers-lieu's
    activity by period (``period``, ``participations``, ``new_participants``).
    """

    reached: pd.DataFrame
    representation: Mapping[str, pd.DataFrame]
    rates: Mapping[str, pd.DataFrame]
    qpv: pd.DataFrame
    rural_by_programme: pd.DataFrame
    trends: Mapping[str, pd.DataFrame]
    decay: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    venue_origins: pd.DataFrame | None = None
    venue_participations: pd.DataFrame | None = None
    conversion: pd.DataFrame | None = None
    themes: pd.DataFrame | None = None
    area_classes: pd.DataFrame | None = None
    denominators: object | None = None
    outcomes: Mapping[str, pd.DataFrame] | None = None
    network_counts: pd.DataFrame | None = None
    coarsening: Mapping[str, Mapping[str, str]] | None = None
    commune_groups: pd.DataFrame | None = None
    venue_monthly: pd.DataFrame | None = None


class _Builder:
    """Accumulates cells, rows, positions and relations (all vectorised per table)."""

    def __init__(self) -> None:
        self.names: list[np.ndarray] = []
        self.tables: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.derived: list[np.ndarray] = []
        self.n = 0
        self.row_table: list[np.ndarray] = []
        self.row_index: list[np.ndarray] = []
        self.row_suppressible: list[np.ndarray] = []
        self.row_suppressed: list[np.ndarray] = []
        self.n_rows = 0
        self.pos: list[tuple[np.ndarray, np.ndarray]] = []
        self.rel: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (relation, variable, coefficient)
        self.n_rel = 0
        self.atoms = 0
        self.index: dict[str, int] = {}

    def cells(self, names: Sequence[str], values, *, table: str, derived: bool = False) -> np.ndarray:
        names = np.asarray(list(names), dtype=object)
        values = np.asarray(values, dtype=float).reshape(-1)
        if len(values) != len(names):
            values = np.broadcast_to(values, len(names)).copy()
        idx = np.arange(self.n, self.n + len(names))
        self.names.append(names)
        self.tables.append(np.full(len(names), table, dtype=object))
        self.values.append(values)
        self.derived.append(np.full(len(names), derived))
        self.index.update(zip(names.tolist(), idx.tolist(), strict=False))
        self.n += len(names)
        return idx

    def cell(self, name: str, value: float, *, table: str, derived: bool = False) -> int:
        if name in self.index:
            return self.index[name]
        return int(self.cells([name], [value], table=table, derived=derived)[0])

    def rows(self, table: str, frame: pd.DataFrame | None, n: int | None = None, *,
             suppressible: bool = True) -> np.ndarray:
        n = len(frame) if frame is not None else int(n)
        if frame is not None and "suppressed" in frame:
            sup = frame["suppressed"].to_numpy(dtype=bool)
        elif frame is not None and "secret" in frame:
            sup = frame["secret"].to_numpy(dtype=bool)
        else:
            sup = np.zeros(n, dtype=bool)
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.row_table.append(np.full(n, table, dtype=object))
        self.row_index.append(np.arange(n))
        self.row_suppressible.append(np.full(n, suppressible))
        self.row_suppressed.append(sup & suppressible)
        self.n_rows += n
        return idx

    def place(self, cells, rows) -> None:
        cells, rows = np.broadcast_arrays(np.asarray(cells, dtype=int), np.asarray(rows, dtype=int))
        self.pos.append((cells.ravel(), rows.ravel()))

    def sums(self, parents, children, groups) -> None:
        """``parents[g] = Σ children[groups == g]`` for every g (``parents`` an index array;
        ``children`` cell or atom variables, ``groups`` their group positions).
        """
        parents = np.asarray(parents, dtype=int)
        children, groups = np.asarray(children, dtype=int), np.asarray(groups, dtype=int)
        rel = self.n_rel + np.arange(len(parents))
        self.rel.append((rel, parents, -np.ones(len(parents))))
        self.rel.append((self.n_rel + groups, children, np.ones(len(children))))
        self.n_rel += len(parents)

    def new_atoms(self, k: int) -> np.ndarray:
        """Atom variables, numbered after the cells once :meth:`build` knows their number."""
        idx = -1 - (self.atoms + np.arange(k))  # negative until then
        self.atoms += k
        return idx

    def build(self) -> LinkedCells:
        cells = pd.DataFrame({"cell": np.concatenate(self.names) if self.names else [],
                              "table": np.concatenate(self.tables) if self.tables else [],
                              "value": np.concatenate(self.values) if self.values else [],
                              "derived": np.concatenate(self.derived) if self.derived else []})
        rows = pd.DataFrame({"table": np.concatenate(self.row_table), "index": np.concatenate(self.row_index),
                             "suppressible": np.concatenate(self.row_suppressible),
                             "suppressed": np.concatenate(self.row_suppressed)}) if self.row_table else \
            pd.DataFrame({"table": [], "index": [], "suppressible": [], "suppressed": []})
        pc = np.concatenate([c for c, _ in self.pos]) if self.pos else np.array([], int)
        pr = np.concatenate([r for _, r in self.pos]) if self.pos else np.array([], int)
        positions = sparse.csr_matrix((np.ones(len(pc), dtype=np.int64), (pc, pr)), shape=(self.n, self.n_rows))
        positions.data[:] = 1  # a cell placed twice on a row is still on it once
        rr = np.concatenate([r for r, _, _ in self.rel]) if self.rel else np.array([], int)
        rv = np.concatenate([v for _, v, _ in self.rel]) if self.rel else np.array([], int)
        rc = np.concatenate([c for _, _, c in self.rel]) if self.rel else np.array([], float)
        rv = np.where(rv < 0, self.n - 1 - rv, rv)  # atoms after the cells
        relations = sparse.csr_matrix((rc, (rr, rv)), shape=(self.n_rel, self.n + self.atoms))
        return LinkedCells(cells, rows, positions, relations, np.zeros(self.n_rel), self.atoms)

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

:func:`joint_suppress` does primary suppression (counts from 1 to ``threshold − 1``),
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
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from evaluation.measures.reach import DEFAULT_BANDS, distance_to_sites
from evaluation.geo.reference import DENSITY_LABELS, RURAL, RURAL_LEVELS, URBAN

__all__ = ["LinkedCells", "Publishable", "linked_cells", "joint_suppress", "audit", "audit_cells", "sensitive",
           "distance_bands", "AUDIT_COLUMNS"]

AUDIT_COLUMNS = ["cell", "table", "low", "high", "ok"]
_QPV, _NON_QPV = "QPV", "hors QPV"


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
    """

    cells: pd.DataFrame
    rows: pd.DataFrame
    positions: sparse.csr_matrix
    relations: sparse.csr_matrix
    rhs: np.ndarray
    atoms: int

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
            raise KeyError(f"unknown cells: {[t for t, i in zip(terms, idx) if i < 0]}")
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


@dataclass
class Publishable:
    """The tables of one report that carry counts, as :func:`linked_cells` reads them.

    Frames are those of :class:`evaluation.report.publication.Publication` (optionally with a
    boolean ``suppressed`` column). ``reached`` needs ``commune_code``, ``count``,
    ``density_label``, ``urban_rural``, ``epci_name`` and, when ``decay`` is given,
    ``distance_band``. ``indicators`` is the indicator table (codes and ``valeur``); its
    withheld rows are read from ``secret``. ``conversion`` has ``group`` (``met``,
    ``unmet``), ``new``, ``total`` and optionally ``suppressed``.
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
        self.index.update(zip(names.tolist(), idx.tolist()))
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
        ``children`` cell or atom variables, ``groups`` their group positions)."""
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


def _published_total(frame: pd.DataFrame, *, indicators: pd.DataFrame | None = None) -> float:
    """The total of a table's counts as a reader knows it: the sum of its counts when all are
    shown, else its ``total`` column (or the territory's ``acc_total`` indicator), else
    unknown (NaN). A publication blanks withheld counts, so their sum is not the total."""
    counts = frame["count"].astype(float)
    if counts.notna().all():
        return float(counts.sum())
    if "total" in frame and frame["total"].notna().any():
        return float(frame["total"].dropna().iloc[0])
    if indicators is not None and "acc_total" in set(indicators["code"]):
        value = indicators.set_index("code").loc["acc_total", "valeur"]
        return float(value) if pd.notna(value) else float("nan")
    return float("nan")


def linked_cells(tables: Publishable) -> LinkedCells:
    """Every count of a report's tables as cells, and the linear relations between them.

    Relations considered (``=`` means "equals the sum of"):

    * territory total = communes = EPCIs; density level = its communes; urban = levels
      1–4, rural = levels 5–7; urban + rural = the total of the density and urban/rural
      tables (revealed by their shares); distance band = its communes;
    * the hidden programme × year × QPV × urban/rural table (``U × P × Y × Q`` atoms,
      with a third "unclassified"/"unknown" level on U and Q) has for margins: urban and
      rural counts, the territory total, rural and urban counts of each programme (the
      urban count is the programme's total minus its rural count, which the share
      reveals), rural and urban counts of each year, QPV and non-QPV counts of each year
      and in all, and the last year's counts of the creation + development and DLA
      programmes (indicators);
    * the tiers-lieu: participants = their origins = first visits; participations =
      first visits + returns;
    * conversion: pairs who met = new collaborations + the others (likewise for pairs who
      never met), the pair totals being always printed;
    * jobs and testimony counts, and theme counts (overlapping: no relation), stand alone.

    Rows a share reveals the total of carry that total as a cell too (so hiding a total
    hides every row of its table). Indicators are rows of the ``indicators`` table
    holding the cells they reveal.
    """
    b = _Builder()
    reached = tables.reached
    codes = reached["commune_code"].astype(str).to_numpy()
    counts = reached["count"].to_numpy(dtype=float)
    # ---- geography: communes and their aggregates
    commune = b.cells([f"commune|{c}" for c in codes], counts, table="reached")
    b.place(commune, b.rows("reached", reached))
    total = b.cell("total", _published_total(reached, indicators=tables.indicators), table="total")
    b.sums([total], commune, np.zeros(len(commune), int))
    classified = b.cell("classified", np.nan, table="total", derived=True)
    for by, name in (("density_label", "density"), ("urban_rural", "urban_rural"), ("epci_name", "epci")):
        rate = tables.rates.get(by)
        rep = tables.representation.get(by)
        frame = rate if rate is not None else rep
        if frame is None:
            continue
        labels = frame[by].astype(str).to_numpy()
        ids = b.cells([f"{name}|{v}" for v in labels], frame["count"].to_numpy(dtype=float), table=name)
        if by != "urban_rural":  # urban and rural are tied to density levels and the hidden cube below
            key = pd.Categorical(reached[by].astype(object).where(reached[by].notna()).astype(str), categories=labels)
            member = np.asarray(key.codes) >= 0
            b.sums(ids, commune[member], np.asarray(key.codes)[member])
        if rate is not None:
            b.place(ids, b.rows(f"rates:{by}", rate))
        if rep is not None:
            rows = b.rows(f"representation:{by}", rep)
            b.place(ids, rows)
            b.place(classified, rows)
        if by == "density_label":
            density = dict(zip(labels, ids))
        if by == "urban_rural":
            ur = dict(zip(labels, ids))
    # urban and rural from density levels; classified = urban + rural
    for side, levels in ((URBAN, [lv for lv in DENSITY_LABELS if lv not in RURAL_LEVELS]), (RURAL, list(RURAL_LEVELS))):
        kids = [density[DENSITY_LABELS[lv]] for lv in levels if DENSITY_LABELS[lv] in density]
        b.sums([ur[side]], kids, np.zeros(len(kids), int))
    b.sums([classified], [ur[URBAN], ur[RURAL]], [0, 0])
    if tables.decay is not None and len(tables.decay):
        labels = tables.decay["band"].astype(str).to_numpy()
        ids = b.cells([f"band|{v}" for v in labels], tables.decay["count"].to_numpy(dtype=float), table="band")
        key = pd.Categorical(reached["distance_band"].astype(object).where(reached["distance_band"].notna())
                             .astype(str), categories=labels)
        member = np.asarray(key.codes) >= 0
        b.sums(ids, commune[member], np.asarray(key.codes)[member])
        b.place(ids, b.rows("decay", tables.decay))
    # ---- the hidden programme × year × QPV × urban/rural table
    prog = tables.rural_by_programme
    programmes = prog["programme"].astype(str).to_numpy()
    years = sorted({int(y) for t in tables.trends.values() for y in t["year"]})
    if tables.indicators is not None:
        years = sorted(set(years) | {int(p) for p in tables.indicators.loc[
            tables.indicators["code"].isin(["acc_creation_dev", "acc_dla"]), "periode"] if str(p).isdigit()})
    n_p, n_y = len(programmes), len(years)
    shape = (3, max(n_p, 1), max(n_y, 1), 3)  # U: urban, rural, unclassified; Q: QPV, hors QPV, unknown
    atoms = b.new_atoms(int(np.prod(shape))).reshape(shape)
    b.sums([total], atoms.ravel(), np.zeros(atoms.size, int))
    for u, side in enumerate((URBAN, RURAL)):
        b.sums([ur[side]], atoms[u].ravel(), np.zeros(atoms[u].size, int))

    def margin(parents, sub: np.ndarray, axis_groups: int) -> None:
        """parents[g] = sum of sub[g, ...] (sub's first axis indexes the groups)."""
        flat = sub.reshape(axis_groups, -1)
        b.sums(parents, flat.ravel(), np.repeat(np.arange(axis_groups), flat.shape[1]))

    if n_p:
        rural_p = b.cells([f"programme_rural|{p}" for p in programmes], prog["count"], table="programme")
        urban_p = b.cells([f"programme_urban|{p}" for p in programmes], prog["total"] - prog["count"],
                          table="programme", derived=True)
        total_p = b.cells([f"programme_total|{p}" for p in programmes], prog["total"], table="programme", derived=True)
        rows = b.rows("rural_by_programme", prog)
        for ids in (rural_p, urban_p, total_p):
            b.place(ids, rows)
        margin(rural_p, atoms[1], n_p)
        margin(urban_p, atoms[0], n_p)
        b.sums(total_p, np.concatenate([rural_p, urban_p]), np.tile(np.arange(n_p), 2))
    year_pos = {y: k for k, y in enumerate(years)}
    for key, hit, rest in (("rural", "rural", "urban"), ("qpv", "qpv", "nonqpv")):
        per = tables.trends.get(key)
        if per is None or not len(per):
            continue
        ys = per["year"].astype(int).to_numpy()
        c_hit = b.cells([f"year_{hit}|{y}" for y in ys], per["count"], table=f"trend_{key}")
        c_rest = b.cells([f"year_{rest}|{y}" for y in ys], per["total"] - per["count"], table=f"trend_{key}",
                         derived=True)
        c_tot = b.cells([f"year_{key}_total|{y}" for y in ys], per["total"], table=f"trend_{key}", derived=True)
        rows = b.rows(f"trends:{key}", per)
        for ids in (c_hit, c_rest, c_tot):
            b.place(ids, rows)
        k = np.array([year_pos[y] for y in ys])
        if key == "rural":
            hit_atoms, rest_atoms = atoms[1][:, k, :], atoms[0][:, k, :]
        else:
            hit_atoms, rest_atoms = atoms[:, :, k, 0], atoms[:, :, k, 1]
        for ids, sub in ((c_hit, hit_atoms), (c_rest, rest_atoms)):
            moved = np.moveaxis(sub, 1 if key == "rural" else 2, 0)
            margin(ids, moved, len(ys))
        b.sums(c_tot, np.concatenate([c_hit, c_rest]), np.tile(np.arange(len(ys)), 2))
    # redundant margins over cells (implied by the atoms; they let the relation stage see them)
    if n_p:
        b.sums([ur[RURAL], ur[URBAN]], np.concatenate([rural_p, urban_p]), np.repeat([0, 1], n_p))
    for key, hit, rest, parents in (("rural", "rural", "urban", (ur[RURAL], ur[URBAN])),):
        per = tables.trends.get(key)
        if per is not None and len(per) and sorted(per["year"].astype(int)) == years:
            kids = [b.index[f"year_{hit}|{y}"] for y in years] + [b.index[f"year_{rest}|{y}"] for y in years]
            b.sums(list(parents), kids, np.repeat([0, 1], len(years)))
    q = tables.qpv
    q_ids = b.cells([f"qpv|{v}" for v in q["qpv"].astype(str)], q["count"], table="qpv")
    q_known = b.cell("qpv_known", _published_total(q), table="qpv", derived=True)
    rows = b.rows("qpv", q)
    b.place(q_ids, rows)
    b.place(q_known, rows)
    for j, v in enumerate(q["qpv"].astype(str)):
        col = {_QPV: 0, _NON_QPV: 1}[v]
        b.sums([q_ids[j]], atoms[..., col].ravel(), np.zeros(atoms[..., col].size, int))
    b.sums([q_known], q_ids, np.zeros(len(q_ids), int))
    per = tables.trends.get("qpv")
    labels_q = q["qpv"].astype(str).tolist()
    if per is not None and len(per) and sorted(per["year"].astype(int)) == years and labels_q == [_QPV, _NON_QPV]:
        kids = [b.index[f"year_qpv|{y}"] for y in years] + [b.index[f"year_nonqpv|{y}"] for y in years]
        b.sums(list(q_ids), kids, np.repeat([0, 1], len(years)))
    # ---- indicators
    ind = tables.indicators
    if ind is not None:
        ind_rows = b.rows("indicators", ind)
        value = dict(zip(ind["code"], ind["valeur"]))
        where = {code: ind_rows[i] for i, code in enumerate(ind["code"])}
        if "acc_total" in where:
            b.place(total, where["acc_total"])
        for code, chosen in (("acc_creation_dev", ("creation", "development")), ("acc_dla", ("dla",))):
            if code not in where:
                continue
            period = str(ind.loc[ind["code"] == code, "periode"].iloc[0])
            c = b.cell(f"indicator|{code}", value[code], table="indicators")
            b.place(c, where[code])
            pick = np.flatnonzero(np.isin(programmes, chosen))
            sub = atoms[:, pick, year_pos[int(period)], :] if period.isdigit() and n_p else atoms[:, :0, 0, :]
            b.sums([c], sub.ravel(), np.zeros(sub.size, int))
        if "part_rural" in where:
            b.place([ur[RURAL], classified], where["part_rural"])
        if "part_qpv" in where and _QPV in q["qpv"].astype(str).tolist():
            b.place([q_ids[q["qpv"].astype(str).tolist().index(_QPV)], q_known], where["part_qpv"])
        if "taux_10k" in where:
            b.place(classified, where["taux_10k"])
        for code in ("emplois_crees", "emplois_maintenus", "temoignages"):
            if code in where:
                b.place(b.cell(f"indicator|{code}", value[code], table="indicators"), where[code])
    # ---- tiers-lieu
    if tables.venue_origins is not None:
        o = tables.venue_origins
        ids = b.cells([f"venue_origin|{v}" for v in o["origin"].astype(str)], o["count"], table="venue")
        people = b.cell("venue_participants", _published_total(o), table="venue", derived=True)
        rows = b.rows("venue_origins", o)
        b.place(ids, rows)
        b.place(people, rows)
        b.sums([people], ids, np.zeros(len(ids), int))
        if tables.venue_participations is not None:
            p = tables.venue_participations
            ids = b.cells([f"venue_visit|{v}" for v in p["visit"].astype(str)], p["count"], table="venue")
            visits = b.cell("venue_participations", _published_total(p), table="venue", derived=True)
            rows = b.rows("venue_participations", p)
            b.place(ids, rows)
            b.place(visits, rows)
            b.sums([visits], ids, np.zeros(len(ids), int))
            first = [i for i, v in zip(ids, p["visit"].astype(str)) if v == "première venue"]
            if first:
                b.sums([people], first, [0])
    # ---- conversion of co-presence into collaboration
    if tables.conversion is not None and len(tables.conversion):
        cv = tables.conversion
        groups = cv["group"].astype(str).to_numpy()
        new = b.cells([f"conversion_new|{g}" for g in groups], cv["new"], table="conversion")
        rest = b.cells([f"conversion_other|{g}" for g in groups], cv["total"] - cv["new"], table="conversion",
                       derived=True)
        tot = b.cells([f"conversion_pairs|{g}" for g in groups], cv["total"], table="conversion", derived=True)
        b.place(new, b.rows("conversion", cv))
        b.place(tot, b.rows("conversion_pairs", None, len(cv), suppressible=False))
        b.sums(tot, np.concatenate([new, rest]), np.tile(np.arange(len(cv)), 2))
        if ind is not None:
            met = new[groups == "met"]
            if "taux_conversion" in where and len(met):
                b.place(met, where["taux_conversion"])
            for code in ("rapport_conversion", "effet_reseau"):  # ratios of the two groups' new ties
                if code in where:
                    b.place(new, where[code])
    # ---- themes (overlapping counts: no relation)
    if tables.themes is not None and len(tables.themes):
        t = tables.themes
        ids = b.cells([f"theme|{v}" for v in t["theme"].astype(str)], t["count"], table="themes")
        b.place(ids, b.rows("themes", t))
    out = b.build()
    # the classified total's value: urban + rural
    vals = out.cells["value"].to_numpy(dtype=float).copy()
    vals[b.index["classified"]] = vals[ur[URBAN]] + vals[ur[RURAL]]
    out.cells["value"] = vals
    return out


# --------------------------------------------------------------------------- audit
def _lower_bounds(linked: LinkedCells, withheld: np.ndarray) -> np.ndarray:
    """1 for a withheld cell whose rows hold no other withheld cell (it was hidden for itself,
    and only non-zero cells are hidden), else 0."""
    pos = linked.positions
    on_rows = pos.T @ withheld.astype(np.int64)  # withheld cells on each row
    crowded = (pos @ (on_rows > 1).astype(np.int64)) > 0
    placed = np.asarray(pos.sum(axis=1)).ravel() > 0
    return np.where(withheld & placed & ~crowded, 1.0, 0.0)


def sensitive(linked: LinkedCells, *, threshold: int, withheld: np.ndarray | None = None) -> np.ndarray:
    """Withheld cells the audit must protect: counts a table shows, and derived totals or
    complements (or cells printed nowhere) that are small themselves (1 to ``threshold − 1``)
    or of unknown value.
    A large total hidden only because it shares a row with a withheld count is not one."""
    withheld = linked.withheld if withheld is None else withheld
    v = linked.cells["value"].to_numpy(dtype=float)
    unplaced = np.diff(linked.positions.indptr) == 0  # printed nowhere: a margin like the derived ones
    derived = linked.cells["derived"].to_numpy(dtype=bool) | unplaced
    return withheld & (~derived | np.isnan(v) | ((v > 0) & (v < threshold)))


def audit_cells(linked: LinkedCells, *, threshold: int, withheld: np.ndarray | None = None,
                targets: np.ndarray | None = None, exact: bool = True,
                nonzero_known: bool = False) -> pd.DataFrame:
    """The feasible range of every sensitive withheld cell given what is published.

    For each withheld cell *i*: ``low = min x_i`` and ``high = max x_i`` subject to
    ``R x = rhs``, published cells fixed to their values, every unknown ≥ 0 (with
    ``nonzero_known``, withheld cells that a reader can tell are non-zero ≥ 1, see
    :func:`_lower_bounds`); integrality relaxed. Solved with HiGHS
    (``scipy.optimize.linprog(method="highs")``) on each connected block of the
    relations separately, published cells substituted out. Fewer programs are solved
    than two per cell, with the same results: one program finds every cell that can grow
    without bound (the support of the recession cone ``{d ≥ 0 : R d = 0}``), and a cell
    already seen at its lower bound in a solution of another program has that bound for
    minimum. With ``exact=False`` (used while suppressing) a cell is also passed without
    its own programs once two solutions found so far set it ``threshold − 1`` apart; its
    ``low``/``high`` are then those solutions' values.

    Returns
    -------
    DataFrame
        ``cell``, ``table``, ``low``, ``high`` (``inf`` when unbounded), ``ok`` (``high −
        low ≥ threshold − 1``, or ``high = 0``: a cell known to be zero reveals nobody, and
        zeros are published anyway). One row per target: by default the cells of
        :func:`sensitive`.
    """
    withheld = linked.withheld if withheld is None else withheld
    targets = sensitive(linked, threshold=threshold, withheld=withheld) if targets is None else targets & withheld
    n, k = len(linked.cells), linked.atoms
    values = linked.cells["value"].to_numpy(dtype=float)
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

        def record(x):
            nonlocal seen_lo, seen_hi, at_lb
            seen_lo, seen_hi = np.minimum(seen_lo, x[j]), np.maximum(seen_hi, x[j])
            at_lb |= x[j] <= lb[local] + 1e-9

        c = np.zeros(len(vars_))
        c[j] = 1.0
        record(solve(c).x)
        lo_b, hi_b = np.full(len(j), np.nan), np.where(unbounded, np.inf, np.nan)
        for q in range(len(j)):
            if not exact and (unbounded[q] or seen_hi[q] - seen_lo[q] >= gap):
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
                         "ok": ((high - low) >= gap) | (high <= 1e-9)})


def audit(publication, *, extra: Sequence[tuple[Mapping[str, float], float]] = ()) -> pd.DataFrame:
    """Audit a report's publication: the feasible range of every withheld cell.

    The cells and relations are derived from the publication's own tables
    (:func:`linked_cells` on :meth:`evaluation.report.publication.Publication.publishable`), so the
    audit sees what the report shows. ``extra`` adds numbers published elsewhere (in
    sentences, for instance) as ``(terms, value)`` pairs, see
    :meth:`LinkedCells.with_published`.

    Returns
    -------
    DataFrame
        ``cell``, ``table``, ``low``, ``high``, ``ok`` (see :func:`audit_cells`).
    """
    linked = linked_cells(publication.publishable())
    for terms, value in extra:
        linked = linked.with_published(terms, value)
    targets = sensitive(linked, threshold=publication.threshold)  # the only use of withheld values
    # A cell the publication leaves empty (an indicator that cannot be estimated) is unknown
    # to a reader, like a withheld one.
    unknown = linked.withheld | np.isnan(linked.cells["value"].to_numpy(dtype=float))
    return audit_cells(linked.masked(), threshold=publication.threshold, targets=targets, withheld=unknown)


def _unbounded(A: sparse.spmatrix) -> np.ndarray:
    """Variables that can grow without bound on ``{x ≥ lb : A x = b}``: the support of the
    recession cone ``{d ≥ 0 : A d = 0}``, found with one program: maximise ``Σ t`` with
    ``t ≤ d``, ``t ≤ 1`` (any ray scaled up reaches ``t_i = 1`` on its whole support)."""
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


def joint_suppress(linked: LinkedCells, *, threshold: int, max_rounds: int = 200) -> LinkedCells:
    """Decide suppression for all the linked tables of a report together.

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
        failing = pd.Index(out.cells["cell"]).get_indexer(result.loc[~result["ok"], "cell"])
        if not len(failing):
            break
        # a secondary cell pinned by what is published protects nothing: once nothing else
        # fails, it is published again
        pinned = failing[(result.loc[~result["ok"], "high"] - result.loc[~result["ok"], "low"]).to_numpy() < 1e-9]
        harmless = pinned[values[pinned] >= threshold]
        if len(harmless) == len(failing):
            if restored[harmless].all() or not _restore(out, harmless, threshold=threshold):
                break
            restored[harmless] = True
            candidate_value[harmless] = np.inf  # not chosen again
            continue
        # for each failing cell, the cells sharing a relation with it, positive for its siblings
        share = (R[:, failing].T @ signed).tocsr()
        picks = _smallest_published(share, candidate_value, withheld)
        if not len(picks):  # one step further, through the atoms: cells of the relations of its relations' unknowns
            touched = ((R[:, failing] != 0).T.astype(np.int64) @ incidence).tocsr()  # failing × variables
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
    any, else among all entries."""
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


# --------------------------------------------------------------------------- helpers
def distance_bands(communes: pd.DataFrame, sites: pd.DataFrame, *, bands: Sequence[float] = DEFAULT_BANDS) -> pd.Series:
    """The distance band of each commune, labelled as :func:`evaluation.measures.reach.distance_decay` does."""
    edges = list(bands)
    labels = [f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g} km et plus"
              for lo, hi in zip(edges[:-1], edges[1:])]
    d = distance_to_sites(communes, sites)
    return pd.cut(d, edges, labels=labels, right=False, include_lowest=True).astype(object).rename("distance_band")

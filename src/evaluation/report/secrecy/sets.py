"""One publication set: the reports of one batch and the editions of a territory, linked.

Reports rendered from the same exports are not independent publications. A département's
counts are the sums of its EPCI's; an EPCI's counts are those of its communes, which the
département's report shows too; the tiers-lieu's tables are the same in every report that
shows it; an edition's counts include the earlier edition's. A count withheld in one report
can then be the difference of counts published in others. :func:`link_set` puts the linked
cells of every report of a set into one system (:class:`~evaluation.report.secrecy.cells.LinkedCells`)
with the relations between reports, so that suppression
(:func:`evaluation.report.secrecy.optimal.joint_suppress`) and the audit
(:func:`evaluation.report.secrecy.audit.audit_cells`) run over the whole set.

Relations between the reports of a set (names prefixed by each report's key, ``slug@date``):

* **communes**: a commune's count is one cell shown by every report of the same date that
  shows it (withheld only where all of them withhold it); between two editions of a territory, the later is the earlier plus
  a non-negative increment;
* **the hidden programme × year × QPV × urban/rural tables**: the communes of all the reports
  and areas of a date are split into **pieces** (communes belonging to the same reports and
  areas); each piece has its own hidden table; a report's hidden table is the sum of those of
  its pieces, and a piece's urban, rural and unclassified margins are the sums of its
  communes of each class. Every margin a report publishes (urban/rural, QPV, programmes,
  years, indicators) is thereby tied to the others' through the pieces;
* **areas**: a département shown by département (France, a région), or an area of the
  comparison table (the département, région or France around a territory, with its count,
  rural count and QPV count), is the sum of its pieces;
* **the tiers-lieu**: its cells are shared likewise by every report of a date showing the
  same venue;
* **editions**: a later edition's hidden table is the earlier one's plus non-negative
  increments, nothing added to the years complete at the earlier date (a dated report
  counts the accompaniments started by its date); its jobs and theme counts are the
  earlier ones plus non-negative increments.

Earlier editions take part as published: their withheld cells are unknowns and their rows
cannot change (``fixed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from evaluation.geo.reference import RURAL, URBAN
from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.coarsen import CODES as COARSE_CODES

__all__ = ["Member", "SetCells", "link_set", "member_key"]

_CLASS = {URBAN: 0, RURAL: 1}


def member_key(territory: str, as_of: object) -> str:
    """``slug@YYYY-MM-DD``: a report of a set."""
    return f"{territory}@{pd.Timestamp(as_of).date().isoformat()}"


@dataclass
class Member:
    """One report of a set.

    ``communes``: the territory's communes (``commune_code``, ``urban_rural`` — ``urbain``,
    ``rural`` or missing —, ``departement``). ``comparison``: the areas the report compares
    the territory with (``level``, ``code``, ``count``, ``rural``, ``qpv`` and
    ``*_withheld``) with ``areas`` their communes (by ``(level, code)``). ``venue``: a key of the
    tiers-lieu it shows (its commune and start), so that reports showing the same one share it.
    ``fixed``: already published (an earlier edition): nothing of it can change.
    """

    territory: str
    as_of: dt.date
    linked: LinkedCells
    communes: pd.DataFrame
    geography: str = "commune"
    venue: str | None = None
    comparison: pd.DataFrame | None = None
    areas: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    fixed: bool = False

    @property
    def key(self) -> str:
        """``slug@YYYY-MM-DD``."""
        return member_key(self.territory, self.as_of)


@dataclass
class SetCells:
    """The linked cells of a set (:func:`link_set`) and where each report's cells and rows are."""

    linked: LinkedCells
    members: list[Member]
    cells: list[np.ndarray]  # for each member, the position of each of its cells in ``linked.cells`` (shared
    # cells — a commune's count, the tiers-lieu's — are one cell, shown on the rows of every report)
    rows: list[np.ndarray]  # positions of each member's rows in ``linked.rows``

    def withheld_by_member(self) -> dict[str, list[str]]:
        """The names of the cells each report withholds (unprefixed), by key."""
        withheld = self.linked.withheld
        return {m.key: m.linked.cells["cell"].astype(str).to_numpy()[withheld[idx]].tolist()
                for m, idx in zip(self.members, self.cells, strict=True)}

    @property
    def fixed_rows(self) -> np.ndarray:
        """The rows that cannot change (fixed members' and the comparison tables')."""
        out = ~self.linked.rows["suppressible"].to_numpy(dtype=bool)
        for m, idx in zip(self.members, self.rows, strict=True):
            if m.fixed:
                out[idx] = True
        return out


class _Relations:
    """Relations added between members: (relation, variable, coefficient) triplets and new atoms."""

    def __init__(self, first_atom: int) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.n = 0
        self.next_atom = first_atom

    def add(self, plus, minus=()) -> None:
        """``Σ plus − Σ minus = 0``."""
        plus, minus = np.asarray(plus, dtype=int).ravel(), np.asarray(minus, dtype=int).ravel()
        if not len(plus) and not len(minus):
            return
        self.rows.append(np.full(len(plus) + len(minus), self.n))
        self.cols.append(np.concatenate([plus, minus]))
        self.vals.append(np.concatenate([np.ones(len(plus)), -np.ones(len(minus))]))
        self.n += 1

    def atoms(self, shape) -> np.ndarray:
        k = int(np.prod(shape))
        out = np.arange(self.next_atom, self.next_atom + k).reshape(shape)
        self.next_atom += k
        return out


def _shared_key(m: Member, name: str) -> tuple | None:
    """Cells that are one number in every report of a date showing them: a commune's count, and
    the tiers-lieu's cells (of the same venue).
    """
    if name.startswith("commune|") and m.geography == "commune":
        return (m.as_of, name)
    if name.startswith("venue") and m.venue is not None:
        return (m.as_of, m.venue, name)
    return None


def _union(members: Sequence[Member]) -> tuple[LinkedCells, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The members' systems side by side (names prefixed), the cells they share merged into one
    cell shown on each report's rows (withheld only when every report withholds it); and the
    variable of each member's variable (cells, then its atoms after every cell).
    """
    ids, frames, seen = [], [], {}
    n = 0
    for m in members:
        names = m.linked.cells["cell"].astype(str).to_numpy()
        mine = np.empty(len(names), dtype=int)
        for j, name in enumerate(names):
            key = _shared_key(m, name)
            if key is not None and key in seen:
                mine[j] = seen[key]
                continue
            mine[j] = n
            if key is not None:
                seen[key] = n
            n += 1
        ids.append(mine)
        frames.append((m, mine))
    cells = pd.DataFrame({"cell": np.empty(n, dtype=object), "table": np.empty(n, dtype=object),
                          "value": np.full(n, np.nan), "derived": np.zeros(n, dtype=bool)})
    for m, mine in reversed(frames):  # the first report's name; a value known from any report
        lk = m.linked.cells
        cells.loc[mine, "cell"] = (m.key + "/" + lk["cell"].astype(str)).to_numpy()
        cells.loc[mine, "table"] = (m.key + "/" + lk["table"].astype(str)).to_numpy()
        cells.loc[mine, "derived"] = lk["derived"].to_numpy(dtype=bool)
        values = lk["value"].to_numpy(dtype=float)
        known = ~np.isnan(values)
        cells.loc[mine[known], "value"] = values[known]
    n_atoms = [m.linked.atoms for m in members]
    atom_start = n + np.concatenate([[0], np.cumsum(n_atoms)])
    row_start = np.concatenate([[0], np.cumsum([len(m.linked.rows) for m in members])])
    pos_r, pos_c, rel_r, rel_c, rel_v, rhs, var_maps = [], [], [], [], [], [], []
    offset = 0
    for i, m in enumerate(members):
        lk = m.linked
        coo = lk.positions.tocoo()
        pos_r.append(ids[i][coo.row])
        pos_c.append(row_start[i] + coo.col)
        var_map = np.concatenate([ids[i], atom_start[i] + np.arange(n_atoms[i])])
        var_maps.append(var_map)
        coo = lk.relations.tocoo()
        rel_r.append(coo.row + offset)
        rel_c.append(var_map[coo.col])
        rel_v.append(coo.data)
        rhs.append(lk.rhs)
        offset += lk.relations.shape[0]
    n_rows = int(row_start[-1])
    positions = sparse.csr_matrix((np.ones(sum(len(r) for r in pos_r), dtype=np.int64),
                                   (np.concatenate(pos_r), np.concatenate(pos_c))), shape=(n, n_rows))
    positions.data[:] = 1
    rows = pd.concat([m.linked.rows.assign(table=m.key + "/" + m.linked.rows["table"].astype(str)) for m in members],
                     ignore_index=True)
    union = LinkedCells(cells, rows, positions,
                        sparse.csr_matrix((np.concatenate(rel_v), (np.concatenate(rel_r), np.concatenate(rel_c))),
                                          shape=(offset, int(atom_start[-1]))),
                        np.concatenate(rhs), int(atom_start[-1]) - n)
    row_pos = [row_start[i] + np.arange(len(m.linked.rows)) for i, m in enumerate(members)]
    return union, ids, row_pos, var_maps


def _cell_index(member: Member, var_map: np.ndarray) -> dict[str, int]:
    names = member.linked.cells["cell"].astype(str).to_numpy()
    return dict(zip(names, var_map[:len(names)].tolist(), strict=True))


def _axis_groups(member_labels: tuple, global_labels: list, *, dummy: bool) -> np.ndarray:
    """For each global label, the member's position of it (−1: absent; 0 for a dummy axis)."""
    if dummy:
        return np.zeros(len(global_labels), dtype=int)
    pos = {v: k for k, v in enumerate(member_labels)}
    return np.array([pos.get(v, -1) for v in global_labels], dtype=int)


def _cube_vars(member: Member, var_map: np.ndarray) -> np.ndarray | None:
    cube = member.linked.cube
    return None if cube is None else var_map[np.asarray(cube, dtype=int)]


def link_set(members: Sequence[Member]) -> SetCells:
    """The linked cells of a publication set (see the module's docstring)."""
    members = list(members)
    union, cell_pos, row_pos, var_maps = _union(members)
    rel = _Relations(first_atom=len(union.cells) + union.atoms)
    index = [_cell_index(m, v) for m, v in zip(members, var_maps, strict=True)]
    by_date: dict[dt.date, list[int]] = {}
    for i, m in enumerate(members):
        by_date.setdefault(m.as_of, []).append(i)
    extra_cells: list[dict] = []
    for _date, ids in sorted(by_date.items()):
        _link_pieces(members, ids, index, var_maps, rel, extra_cells)
    _link_editions(members, index, var_maps, rel)
    return _assemble(union, cell_pos, row_pos, members, rel, extra_cells)


def _link_pieces(members, ids, index, var_maps, rel: _Relations, extra_cells: list[dict]) -> None:
    """The pieces of one date: their hidden tables, tied to the reports' and the areas'."""
    sets = [(i, frozenset(members[i].communes["commune_code"].astype(str))) for i in ids]
    areas: dict[tuple[str, str], frozenset[str]] = {}
    for i in ids:
        for key, communes in members[i].areas.items():
            areas.setdefault(key, frozenset(communes))
    universe = sorted(set().union(*[s for _, s in sets], *areas.values()))
    if not universe:
        return
    codes = pd.Index(universe)
    columns = [s for _, s in sets] + list(areas.values())
    signature = np.zeros((len(codes), len(columns)), dtype=bool)
    for k, s in enumerate(columns):
        signature[codes.get_indexer(list(s)), k] = True
    keys, piece_of = np.unique(signature, axis=0, return_inverse=True)
    piece_of = piece_of.ravel()
    in_member = keys[:, :len(sets)].any(axis=1)
    programmes = sorted({p for i in ids for p in members[i].linked.cube_programmes})
    years = sorted({y for i in ids for y in members[i].linked.cube_years})
    shape = (3, max(len(programmes), 1), max(len(years), 1), 3)
    cubes = [rel.atoms(shape) if in_member[k] else rel.atoms((3, 1, 1, 3)) for k in range(len(keys))]
    # each piece's total, rural and QPV counts, once (areas add these up, not the whole tables)
    margins = rel.atoms((len(keys), 3))
    for k, cube in enumerate(cubes):
        for what, part in enumerate((cube, cube[1], cube[..., 0])):
            rel.add(part.ravel(), [margins[k, what]])
    _link_piece_communes(members, [i for i, _ in sets], index, codes, piece_of, in_member, cubes, rel)
    shared: dict[tuple, int] = {}  # one variable per area and count, shared by the reports showing it
    for col, (i, _) in enumerate(sets):
        m = members[i]
        inside = [k for k in np.flatnonzero(keys[:, col]) if in_member[k]]
        cube = _cube_vars(m, var_maps[i])
        if cube is not None and inside:
            _link_member_cube(m, cube, [cubes[k] for k in inside], programmes, years, rel)
        if m.geography == "departement":
            deps = m.communes.set_index(m.communes["commune_code"].astype(str))["departement"].astype(str)
            for dep in sorted(set(deps)):
                var = index[i].get(f"commune|{dep}")
                if var is not None:
                    mine = np.isin(codes, deps.index[deps == dep].to_numpy())
                    rel.add(margins[np.unique(piece_of[mine]), 0], [var])
        _link_comparison(m, areas, codes, piece_of, margins, rel, extra_cells, shared)


def _link_piece_communes(members, ids, index, codes, piece_of, in_member, cubes, rel: _Relations) -> None:
    """A piece's urban, rural and unclassified margins = the sums of its communes of each class."""
    klass: dict[str, int] = {}
    for i in ids:
        c = members[i].communes
        u = c["urban_rural"].astype(object).map(_CLASS).fillna(2).astype(int)
        klass.update(zip(c["commune_code"].astype(str), u, strict=True))
    shown: dict[str, int] = {}
    for i in ids:
        if members[i].geography == "commune":
            for name, var in index[i].items():
                if name.startswith("commune|"):
                    shown.setdefault(name[len("commune|"):], var)
    for k in np.flatnonzero(in_member):
        communes = codes[piece_of == k]
        if not all(c in shown for c in communes):
            continue
        for u in range(3):
            rel.add(cubes[k][u].ravel(), [shown[c] for c in communes if klass.get(c, 2) == u])


def _link_member_cube(m: Member, cube: np.ndarray, parts: list[np.ndarray], programmes: list, years: list,
                      rel: _Relations) -> None:
    """A report's hidden table = the sum of its pieces'; nothing in the pieces for a programme
    or a year the report has none of.
    """
    p_map = _axis_groups(m.linked.cube_programmes, programmes, dummy=not m.linked.cube_programmes) \
        if programmes else np.zeros(1, int)
    y_map = _axis_groups(m.linked.cube_years, years, dummy=not m.linked.cube_years) if years else np.zeros(1, int)
    stacked = np.stack(parts)  # pieces × 3 × P × Y × 3
    absent = (p_map[:, None] < 0) | (y_map[None, :] < 0)
    for u in range(3):
        for q in range(3):
            for pg, yg in zip(*np.nonzero(absent), strict=True):
                rel.add(stacked[:, u, pg, yg, q])
            for pm in range(cube.shape[1]):
                for ym in range(cube.shape[2]):
                    sub = stacked[:, u][:, p_map == pm][:, :, y_map == ym][..., q]
                    rel.add(sub.ravel(), [cube[u, pm, ym, q]])


def _link_comparison(m: Member, areas, codes, piece_of, margins, rel: _Relations, extra_cells: list[dict],
                     shared: dict) -> None:
    """The comparison table's areas (count, rural, QPV): each the sum of its pieces' margins (a
    row of the rest of an area, without the territory, is left out: see below).
    """
    if m.comparison is None or not len(m.comparison):
        return
    for r in m.comparison.itertuples(index=False):
        if r.level == "territory":
            key, communes = (m.key, "territory"), frozenset(m.communes["commune_code"].astype(str))
        else:
            key, communes = (str(r.level), str(r.code)), areas.get((str(r.level), str(r.code)))
            if communes is None:
                continue
            if bool(getattr(r, "rest", False)):
                # The area without the territory: the area's count less the territory's, both in the set
                # already (the area's own report, this report's total); the report withholds it with the
                # territory's (evaluation.report.sections.areas.protect), so it adds nothing to recover.
                continue
        pieces = np.unique(piece_of[np.isin(codes, list(communes))])
        for what, col in (("count", 0), ("rural", 1), ("qpv", 2)):
            if (key, what) not in shared:
                shared[(key, what)] = rel.atoms((1,))[0]
                rel.add(margins[pieces, col], [shared[(key, what)]])
            value = getattr(r, what)
            withheld = bool(getattr(r, f"{what}_withheld", False)) or pd.isna(value)
            var = rel.atoms((1,))[0]  # the cell itself, numbered among the new variables
            extra_cells.append({"cell": f"{m.key}/area|{r.level}|{r.code}|{what}", "table": f"{m.key}/comparison",
                                "value": float(value) if not pd.isna(value) else np.nan, "derived": False,
                                "var": var, "withheld": withheld})
            rel.add([var], [shared[(key, what)]])


def _link_editions(members, index, var_maps, rel: _Relations) -> None:
    """A later edition of a territory = the earlier one + non-negative increments."""
    by_territory: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        by_territory.setdefault(m.territory, []).append(i)
    for ids in by_territory.values():
        ids = sorted(ids, key=lambda i: members[i].as_of)
        for a, b in zip(ids[:-1], ids[1:], strict=False):
            early, late = members[a], members[b]
            if early.as_of == late.as_of:
                continue
            # Communes and themes grow. Not jobs: each structure's latest declaration is counted, which
            # may be lower than its earlier one; nor a category merged for secrecy, whose members change.
            for name, var in index[b].items():
                if name.startswith(("commune|", "theme|")) and name.split("|")[-1] not in COARSE_CODES \
                        and name in index[a]:
                    rel.add([var], [index[a][name], rel.atoms((1,))[0]])
            ca, cb = _cube_vars(early, var_maps[a]), _cube_vars(late, var_maps[b])
            if ca is None or cb is None or not early.linked.cube_programmes or not late.linked.cube_programmes:
                continue
            programmes = sorted(set(early.linked.cube_programmes) | set(late.linked.cube_programmes))
            years = sorted(set(early.linked.cube_years) | set(late.linked.cube_years))
            pa = _axis_groups(early.linked.cube_programmes, programmes, dummy=False)
            pb = _axis_groups(late.linked.cube_programmes, programmes, dummy=False)
            ya = _axis_groups(early.linked.cube_years, years, dummy=False)
            yb = _axis_groups(late.linked.cube_years, years, dummy=False)
            complete = early.as_of.year  # years before it were complete at the earlier date
            for u in range(3):
                for q in range(3):
                    for gp in range(len(programmes)):
                        for gy, y in enumerate(years):
                            old = [ca[u, pa[gp], ya[gy], q]] if pa[gp] >= 0 and ya[gy] >= 0 else []
                            new = [cb[u, pb[gp], yb[gy], q]] if pb[gp] >= 0 and yb[gy] >= 0 else []
                            grow = [] if y < complete else [rel.atoms((1,))[0]]
                            rel.add(new, old + grow)


def _assemble(union: LinkedCells, cell_pos, row_pos, members, rel: _Relations, extra_cells) -> SetCells:
    """The union with the new relations, atoms and the comparison tables' cells (published as
    they are: rows that cannot change).
    """
    n_old = len(union.cells)
    extra = pd.DataFrame(extra_cells, columns=["cell", "table", "value", "derived", "var", "withheld"])
    k = len(extra)
    # variables: old cells, extra cells, then atoms (old atoms, then the new ones but the extra cells)
    new_vars = rel.next_atom - (n_old + union.atoms)
    is_extra = np.zeros(new_vars, dtype=bool)
    if k:
        is_extra[extra["var"].to_numpy(dtype=int) - (n_old + union.atoms)] = True
    order = np.empty(n_old + union.atoms + new_vars, dtype=int)
    order[:n_old] = np.arange(n_old)
    extra_vars = n_old + union.atoms + np.flatnonzero(is_extra)
    order[extra_vars] = n_old + np.arange(k)
    atoms_old = n_old + np.arange(union.atoms)
    order[atoms_old] = n_old + k + np.arange(union.atoms)
    atoms_new = n_old + union.atoms + np.flatnonzero(~is_extra)
    order[atoms_new] = n_old + k + union.atoms + np.arange(len(atoms_new))
    n_vars = len(order)
    old = union.relations.tocoo()
    rows = [old.row] + [r + union.relations.shape[0] for r in rel.rows]
    cols = [order[old.col]] + [order[c] for c in rel.cols]
    vals = [old.data] + rel.vals
    relations = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                  shape=(union.relations.shape[0] + rel.n, n_vars))
    cells = pd.concat([union.cells, extra[["cell", "table", "value", "derived"]]], ignore_index=True)
    extra_rows = pd.DataFrame({"table": extra["table"], "index": np.arange(k), "suppressible": False,
                               "suppressed": extra["withheld"].astype(bool)})
    rows_frame = pd.concat([union.rows, extra_rows], ignore_index=True)
    positions = sparse.block_diag([union.positions, sparse.identity(k, format="csr", dtype=np.int64)], format="csr") \
        if k else sparse.vstack([union.positions]).tocsr()
    linked = LinkedCells(cells, rows_frame, positions.astype(np.int64), relations,
                         np.concatenate([union.rhs, np.zeros(rel.n)]), n_vars - n_old - k)
    return SetCells(linked, list(members), cell_pos, row_pos)

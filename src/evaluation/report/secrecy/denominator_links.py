"""The counts of reach against its denominators as linked cells (issue 28): distinct structures, the QPV
of the territory, the programmes against their target populations.

:func:`link_denominators` is called by :func:`evaluation.report.secrecy.links.linked_cells` with the
cells it has already made (the territory's total, the urban/rural and QPV counts, the programmes'
counts), so that the new tables are protected jointly with every other table of the report:

* accompaniments: the total, rural and QPV rows are the cells the reach tables show already; the
  accompaniments whose QPV situation is unknown are the unknown level of the hidden programme ×
  year × QPV × urban/rural table;
* distinct structures: their total = QPV + not QPV + unknown, and = rural + urban + unclassified
  (each structure counted once, where its latest accompaniment is); they are bound to no count of
  accompaniments by an equality (a structure may have several), and stand on their own otherwise;
* each QPV's accompaniments, and those in a QPV without saying which, add up to the QPV count;
* a programme against its target population shows the programme's count (the cell of the
  programme table) and its distinct structures (a cell of its own); by space, the programme's
  rural and urban counts (cells of the programme table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evaluation.measures.reach.denominators import ALL_QPV
from evaluation.report.secrecy.cells import _Builder

__all__ = ["link_denominators", "UNITS", "QPV_AREAS", "TARGETS", "TARGET_GROUPS"]

#: Row tables of the denominators' frames (``LinkedCells.rows["table"]``).
UNITS, QPV_AREAS, TARGETS, TARGET_GROUPS = "units", "qpv_areas", "targets", "target_groups"


def link_denominators(b: Any, d: Any, ids: Mapping[str, object], *, unknown_atoms: np.ndarray | None = None) -> None:
    """Add the cells and relations of ``d`` (a :class:`evaluation.measures.reach.denominators.ReachDenominators`
    or its protected copy) to ``b``, the builder of :func:`~evaluation.report.secrecy.links.linked_cells`. ``ids`` holds the cells already made: ``total``, ``classified``,
    ``rural`` (urban/rural's rural cell), ``qpv``, ``qpv_known`` (the QPV table's), and
    ``programme_total|…``, ``programme_rural|…``, ``programme_urban|…`` by name (``b.index``);
    ``unknown_atoms`` the atoms of the unknown QPV level.
    """
    _units(b, d.units, ids, unknown_atoms)
    _qpv_areas(b, d.qpv, ids)
    _targets(b, d.targets, d.target_groups)


def _units(b: _Builder, units: pd.DataFrame, ids: Mapping[str, object], unknown_atoms: np.ndarray | None) -> None:
    rows = b.rows(UNITS, units)
    value = {(u, m): float(c) for u, m, c in zip(units["unit"], units["measure"], units["count"], strict=True)}
    total_of = {(u, m): float(t) for u, m, t in zip(units["unit"], units["measure"], units["total"], strict=True)}
    unknown = b.cell("qpv|unknown", value.get(("accompaniments", "qpv_unknown"), np.nan), table="qpv")
    if unknown_atoms is not None and len(unknown_atoms):
        b.sums([unknown], unknown_atoms, np.zeros(len(unknown_atoms), int))
    s = {name: b.cell(f"structures|{name}", val, table="structures", derived=derived) for name, val, derived in (
        ("total", value.get(("structures", "total"), np.nan), False),
        ("rural", value.get(("structures", "rural"), np.nan), False),
        ("classified", total_of.get(("structures", "rural"), np.nan), True),
        ("urban", total_of.get(("structures", "rural"), np.nan) - value.get(("structures", "rural"), np.nan), True),
        ("qpv", value.get(("structures", "qpv"), np.nan), False),
        ("qpv_known", total_of.get(("structures", "qpv"), np.nan), True),
        ("not_qpv", total_of.get(("structures", "qpv"), np.nan) - value.get(("structures", "qpv"), np.nan), True),
        ("qpv_unknown", value.get(("structures", "qpv_unknown"), np.nan), False))}
    b.sums([s["classified"]], [s["rural"], s["urban"]], [0, 0])
    # structures in communes without a density level: never shown, an unknown like the atoms of the
    # programme × year × QPV × urban/rural table
    b.sums([s["total"]], np.concatenate([[s["classified"]], b.new_atoms(1)]), [0, 0])
    b.sums([s["qpv_known"]], [s["qpv"], s["not_qpv"]], [0, 0])
    b.sums([s["total"]], [s["qpv_known"], s["qpv_unknown"]], [0, 0])
    shown = {("accompaniments", "total"): [ids["total"]],
             ("accompaniments", "rural"): [ids["rural"], ids["classified"]],
             ("accompaniments", "qpv"): [ids["qpv"], ids["qpv_known"]],
             ("accompaniments", "qpv_unknown"): [unknown, ids["total"]],
             ("structures", "total"): [s["total"]],
             ("structures", "rural"): [s["rural"], s["classified"]],
             ("structures", "qpv"): [s["qpv"], s["qpv_known"]],
             ("structures", "qpv_unknown"): [s["qpv_unknown"], s["total"]]}
    for i, key in enumerate(zip(units["unit"], units["measure"], strict=True)):
        b.place(shown.get(key, []), rows[i])


def _qpv_areas(b: _Builder, qpv: pd.DataFrame, ids: Mapping[str, object]) -> None:
    rows = b.rows(QPV_AREAS, qpv)
    labels = qpv["qpv"].astype(str).tolist()
    parts = []
    for i, label in enumerate(labels):
        if label == ALL_QPV:
            cell = ids["qpv"]
        else:
            cell = b.cell(f"qpv_area|{label}", float(qpv["count"].iloc[i]), table="qpv_areas")
            parts.append(cell)
        b.place([cell, ids["qpv_known"]], rows[i])
    if parts:
        b.sums([ids["qpv"]], parts, np.zeros(len(parts), int))


def _targets(b: _Builder, targets: pd.DataFrame, groups: pd.DataFrame) -> None:
    if targets is not None and len(targets):
        rows = b.rows(TARGETS, targets)
        for i, (programme, structures) in enumerate(zip(targets["programme"], targets["structures"], strict=True)):
            count = b.index.get(f"programme_total|{programme}")
            own = b.cell(f"target_structures|{programme}", float(structures), table="targets")
            b.place([own] + ([count] if count is not None else []), rows[i])
    if groups is not None and len(groups):
        rows = b.rows(TARGET_GROUPS, groups)
        for i, (programme, space) in enumerate(zip(groups["programme"], groups["urban_rural"], strict=True)):
            name = f"programme_{'rural' if space == 'rural' else 'urban'}|{programme}"
            cells = [b.index[k] for k in (name, f"programme_total|{programme}") if k in b.index]
            b.place(cells, rows[i])

"""The register of a published report: what it published, cell by cell, and how its cells are tied.

Each report writes ``secret.json`` beside ``indicators.csv``: the cells of its tables as
published (a withheld cell has no value), the rows that show them, the relations between
them (the structure of the tables, which a reader knows), the territory's communes with
their urban/rural class, and the areas of its comparison table. Nothing in it is withheld
from the report itself: it is the report's tables in the form an audit reads.
:mod:`evaluation.report.secrecy.sets` links the registers of a publication set — a batch, the
editions of a territory — so that later suppression and ``evaluation audit`` see what
earlier reports published.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from evaluation._io import atomic_write
from evaluation.io.schema import PROGRAMMES
from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.sets import Member

__all__ = ["REGISTER", "FORMAT", "register_content", "write_register", "read_register", "indicator_member"]

REGISTER = "secret.json"
FORMAT = 1


def _null(v):
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else v


def register_content(member: Member, *, threshold: int) -> dict:
    """The register of a report (a :class:`~evaluation.report.secrecy.sets.Member` whose cells
    carry the published values only), as JSON-safe content.
    """
    lk = member.linked
    pos = lk.positions.tocoo()
    # A cell's value is in the register only when a published row shows it (or lets a reader
    # compute it): a total that only withheld rows reveal is not published, whatever its value.
    shown_rows = ~lk.rows["suppressed"].to_numpy(dtype=bool)
    shown = np.asarray(lk.positions.astype(bool) @ shown_rows.astype(int)).ravel() > 0
    values = np.where(shown, lk.cells["value"].to_numpy(dtype=float), np.nan)
    rel = lk.relations.tocoo()
    comparison = None
    if member.comparison is not None:
        keep = ["level", "code", "count", "rural", "qpv", "count_withheld", "rural_withheld", "qpv_withheld"]
        keep += ["rest"] if "rest" in member.comparison else []  # a row of the area without the territory
        comparison = [{k: (_null(float(v)) if k in ("count", "rural", "qpv") else
                           bool(v) if k.endswith("_withheld") or k == "rest" else (None if pd.isna(v) else str(v)))
                       for k, v in row.items()}
                      for row in member.comparison[keep].to_dict("records")]
    communes = member.communes
    return {
        "format": FORMAT, "territory": member.territory, "as_of": member.as_of.isoformat(),
        "threshold": int(threshold), "geography": member.geography, "venue": member.venue,
        "communes": {"code": communes["commune_code"].astype(str).tolist(),
                     "urban_rural": [None if pd.isna(v) else str(v) for v in communes["urban_rural"].astype(object)],
                     "departement": [None if pd.isna(v) else str(v) for v in
                                     communes.get("departement", pd.Series([None] * len(communes))).astype(object)]},
        "comparison": comparison,
        "cells": {"cell": lk.cells["cell"].astype(str).tolist(), "table": lk.cells["table"].astype(str).tolist(),
                  "value": [_null(float(v)) for v in values],
                  "derived": lk.cells["derived"].astype(bool).tolist()},
        "rows": {"table": lk.rows["table"].astype(str).tolist(), "index": lk.rows["index"].astype(int).tolist(),
                 "suppressible": lk.rows["suppressible"].astype(bool).tolist(),
                 "suppressed": lk.rows["suppressed"].astype(bool).tolist()},
        "positions": [pos.row.tolist(), pos.col.tolist()],
        "relations": {"shape": list(lk.relations.shape), "row": rel.row.tolist(), "col": rel.col.tolist(),
                      "coef": rel.data.tolist(), "rhs": lk.rhs.tolist()},
        "atoms": int(lk.atoms),
        "cube": None if lk.cube is None else {"shape": list(lk.cube.shape), "vars": lk.cube.ravel().tolist(),
                                              "programmes": list(lk.cube_programmes),
                                              "years": [int(y) for y in lk.cube_years]},
    }


def write_register(member: Member, folder: str | Path, *, threshold: int) -> Path:
    """Write ``folder/secret.json`` (atomically)."""
    text = json.dumps(register_content(member, threshold=threshold), ensure_ascii=False, separators=(",", ":"))
    return atomic_write(Path(folder) / REGISTER, lambda p: p.write_text(text, encoding="utf-8"))


def read_register(path: str | Path, *, areas=None) -> tuple[Member, int]:
    """A register back as a fixed :class:`~evaluation.report.secrecy.sets.Member` (already
    published), with its threshold. ``areas``: a function ``(level, code) → communes`` giving
    the communes of the comparison table's areas (from the commune reference).
    """
    content = json.loads(Path(path).read_text(encoding="utf-8"))
    if content.get("format") != FORMAT:
        raise ValueError(f"{path}: not a register of format {FORMAT}")
    c = content["cells"]
    cells = pd.DataFrame({"cell": c["cell"], "table": c["table"],
                          "value": np.array([np.nan if v is None else v for v in c["value"]], dtype=float),
                          "derived": np.asarray(c["derived"], dtype=bool)})
    rows = pd.DataFrame(content["rows"])
    pr, pc = content["positions"]
    positions = sparse.csr_matrix((np.ones(len(pr), dtype=np.int64), (pr, pc)), shape=(len(cells), len(rows)))
    r = content["relations"]
    relations = sparse.csr_matrix((r["coef"], (r["row"], r["col"])), shape=tuple(r["shape"]))
    cube = content.get("cube")
    linked = LinkedCells(cells, rows, positions, relations, np.asarray(r["rhs"], dtype=float), int(content["atoms"]),
                         cube=None if cube is None else np.asarray(cube["vars"], dtype=int).reshape(cube["shape"]),
                         cube_programmes=tuple(cube["programmes"]) if cube else (),
                         cube_years=tuple(cube["years"]) if cube else ())
    communes = pd.DataFrame({"commune_code": content["communes"]["code"],
                             "urban_rural": content["communes"]["urban_rural"],
                             "departement": content["communes"]["departement"]})
    comparison = pd.DataFrame(content["comparison"]) if content.get("comparison") else None
    found = {}
    if comparison is not None and areas is not None:
        for row in comparison.itertuples(index=False):
            if row.level != "territory":
                found[(str(row.level), str(row.code))] = frozenset(areas(str(row.level), str(row.code)))
    member = Member(content["territory"], dt.date.fromisoformat(content["as_of"]), linked, communes,
                    geography=content.get("geography", "commune"), venue=content.get("venue"),
                    comparison=comparison, areas=found, fixed=True)
    return member, int(content["threshold"])


def indicator_member(manifest: dict, communes: pd.DataFrame) -> Member:
    """An edition published without a register, as a fixed member of a publication set: the
    counts its manifest's indicators give (total, rural and QPV counts when the total is
    published, the latest years' creation-development and DLA counts, jobs, testimonies),
    tied to a hidden programme × year × QPV × urban/rural table over its period
    (``communes``: the territory's, with ``urban_rural`` and ``departement``).
    """
    records = {r["code"]: r for r in manifest["indicators"]}

    def value(code: str) -> float:
        r = records.get(code)
        return np.nan if r is None or r.get("valeur") is None or r.get("secret") else float(r["valeur"])

    total = value("acc_total")
    period = str(records.get("acc_total", {}).get("periode", ""))
    years = _period_years(period) or [dt.date.fromisoformat(manifest["as_of"]).year]
    programmes = list(PROGRAMMES)
    names, vals = ["total"], [total]
    for code, cell in (("part_rural", "urban_rural|rural"), ("part_qpv", "qpv|QPV")):
        share = value(code)
        names.append(cell)
        vals.append(round(share * total) if np.isfinite(share) and np.isfinite(total) else np.nan)
    for code in ("acc_creation_dev", "acc_dla", "emplois_crees", "emplois_maintenus", "temoignages"):
        if code in records:
            names.append(f"indicator|{code}")
            vals.append(value(code))
    n = len(names)
    shape = (3, len(programmes), len(years), 3)
    cube = n + np.arange(int(np.prod(shape))).reshape(shape)
    relations = [(0, cube.ravel()), (1, cube[1].ravel()), (2, cube[..., 0].ravel())]
    for code, chosen in (("acc_creation_dev", ("creation", "development")), ("acc_dla", ("dla",))):
        if f"indicator|{code}" in names:
            span = [years.index(y) for y in _period_years(str(records[code].get("periode", ""))) if y in years]
            pick = [programmes.index(p) for p in chosen]
            relations.append((names.index(f"indicator|{code}"), cube[:, pick][:, :, span, :].ravel()))
    rr = np.concatenate([np.full(len(parts) + 1, k) for k, (_, parts) in enumerate(relations)])
    cc = np.concatenate([np.concatenate([[cell], parts]) for cell, parts in relations])
    vv = np.concatenate([np.concatenate([[-1.0], np.ones(len(parts))]) for _, parts in relations])
    cells = pd.DataFrame({"cell": names, "table": "indicators", "value": np.asarray(vals, dtype=float),
                          "derived": False})
    rows = pd.DataFrame({"table": "indicators", "index": np.arange(n), "suppressible": True,
                         "suppressed": np.isnan(cells["value"].to_numpy())})
    linked = LinkedCells(cells, rows, sparse.identity(n, format="csr", dtype=np.int64),
                         sparse.csr_matrix((vv, (rr, cc)), shape=(len(relations), n + cube.size)),
                         np.zeros(len(relations)), int(cube.size), cube=cube, cube_programmes=tuple(programmes),
                         cube_years=tuple(years))
    return Member(manifest["territory"], dt.date.fromisoformat(manifest["as_of"]), linked,
                  communes[["commune_code", "urban_rural", "departement"]].copy(), fixed=True)


def _period_years(period: str) -> list[int]:
    """``"2018–2024"`` → 2018 … 2024; ``"2024"`` → [2024]; other text → []."""
    parts = period.split("–")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return list(range(int(parts[0]), int(parts[1]) + 1))
    return [int(period)] if period.isdigit() else []

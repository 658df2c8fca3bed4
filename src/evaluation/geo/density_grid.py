"""Reading INSEE's *grille communale de densité* as published (XLSX with title rows, or CSV)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import decode_text
from evaluation.errors import ValidationError
from evaluation.geo.reference import COMMUNE_CODE_PATTERN, DENSITY_LABELS
from evaluation.problems import Problems

__all__ = ["read_density_grid"]


def _find_header(frame: pd.DataFrame, token: str = "CODGEO") -> int | None:
    hits = frame.apply(lambda col: col.astype(str).str.strip().str.upper() == token).any(axis=1)
    return int(np.flatnonzero(hits.to_numpy())[0]) if hits.any() else None


def read_density_grid(path: Path | str) -> pd.DataFrame:
    """Read INSEE's *grille communale de densité* (7 levels) as INSEE publishes it.

    Accepts the XLSX file (title rows above the header ``CODGEO, LIBGEO, DENS, LIBDENS,
    PMUNyy, P1…P7``, any sheet order) or a CSV export of it (``;`` or ``,``), for a region
    or for all of France.

    Returns
    -------
    DataFrame
        ``commune_code`` (5-character string), ``commune_name``, ``density_level``
        (1–7), ``density_label`` (INSEE's label), ``population_grid`` (the municipal
        population INSEE used, from the ``PMUNyy`` column) and ``population_year``.
    """
    path = Path(path)
    problems = Problems()
    if not path.is_file():
        problems.add(path.name, "density_file_missing", folder=str(path.parent))
        raise ValidationError(problems.frame())
    try:
        table, header = _read_density_table(path)
    except Exception as exc:  # unreadable: report it as a problem, not a traceback
        problems.add(path.name, "unreadable", error=f"{type(exc).__name__}: {exc}"[:200])
        raise ValidationError(problems.frame()) from exc
    if table is None:
        problems.add(path.name, "density_no_header")
        raise ValidationError(problems.frame())
    table.columns = [str(c).strip().upper() for c in table.columns]
    table.index = pd.RangeIndex(header + 2, header + 2 + len(table), name="row")  # spreadsheet rows
    pop_cols = [c for c in table.columns if re.fullmatch(r"PMUN\d{2,4}", c)]
    for column in ("CODGEO", "LIBGEO", "DENS"):
        if column not in table.columns:
            problems.add(path.name, "column_missing", column=column, found=", ".join(table.columns),
                         aliases_en="", aliases_fr="")
    if problems:
        raise ValidationError(problems.frame())
    table = table[table["CODGEO"].notna() & (table["CODGEO"].astype(str).str.strip() != "")]
    code = table["CODGEO"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True).str.zfill(5)
    level = pd.to_numeric(table["DENS"], errors="coerce")
    bad_code = ~code.str.fullmatch(COMMUNE_CODE_PATTERN)
    bad_level = ~level.isin(list(DENSITY_LABELS))
    if bad_code.any():
        problems.add(path.name, "commune_malformed", rows=table.index[bad_code], column="CODGEO",
                     values=table.loc[bad_code, "CODGEO"])
    if bad_level.any():
        problems.add(path.name, "density_level_invalid", rows=table.index[bad_level], column="DENS",
                     values=table.loc[bad_level, "DENS"])
    duplicated = code.duplicated(keep=False) & ~bad_code
    if duplicated.any():
        problems.add(path.name, "id_duplicated", rows=table.index[duplicated], column="CODGEO",
                     values=code[duplicated])
    if problems:
        raise ValidationError(problems.frame())
    out = pd.DataFrame({
        "commune_code": code.to_numpy(),
        "commune_name": table["LIBGEO"].astype(str).str.strip().to_numpy(),
        "density_level": level.astype("int64").to_numpy(),
    })
    out["density_label"] = out["density_level"].map(DENSITY_LABELS)
    if pop_cols:
        out["population_grid"] = pd.to_numeric(table[pop_cols[0]], errors="coerce").round().astype("Int64").to_numpy()
        year = int(pop_cols[0][4:])
        out["population_year"] = year + 2000 if year < 100 else year
    return out


def _read_density_table(path: Path) -> tuple[pd.DataFrame | None, int]:
    """INSEE's table below its title rows, and the 0-based row of its header (None if not found)."""
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        # One pass over the workbook with calamine (a Rust reader): the national file
        # (35,000 rows) takes seconds, against a minute for openpyxl.
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
        for raw in sheets.values():
            header = _find_header(raw.head(40))
            if header is not None:
                table = raw.iloc[header + 1:].reset_index(drop=True)
                table.columns = [str(c) for c in raw.iloc[header]]
                return table, header
        return None, 0
    lines = decode_text(path.read_bytes())[0].splitlines()
    header = next((i for i, line in enumerate(lines[:40]) if re.search(r"\bCODGEO\b", line, re.I)), None)
    if header is None:
        return None, 0
    sep = ";" if lines[header].count(";") >= lines[header].count(",") else ","
    return pd.read_csv(io.StringIO("\n".join(lines[header:])), sep=sep, dtype=str, skip_blank_lines=False), header

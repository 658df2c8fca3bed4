"""Reading a raw table as text cells: CSV dialect and encoding sniffing, XLSX sheets, the header row, ``read_options.yml``."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evaluation._io import decode_text
from evaluation._text import normalise_name
from evaluation.io.schema import COLUMN_ALIASES, SCHEMAS, header_key
from evaluation.messages import yaml_problem_fr
from evaluation.problems import Problems

__all__ = ["ReadOptions", "READ_OPTIONS_FILE", "CellsBeyondHeader", "read_raw"]

log = logging.getLogger(__name__)
_ZIP_MAGIC, _OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


SEPARATORS = (";", ",", "\t", "|")



#: How many lines at the top of a file are searched for the row of column names.
HEADER_SEARCH_ROWS = 30



@dataclass(frozen=True)
class ReadOptions:
    """How to read one file; every ``None`` is detected automatically (and logged).

    ``header_row`` is the spreadsheet row (1 = first) holding the column names; ``sheet``
    the workbook's sheet (name or 0-based position; default: the sheet whose header holds
    the most known column names, the first one on a tie).
    """

    sep: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    sheet: str | int | None = None



def _cell_text(values: pd.Series) -> pd.Series:
    """Spreadsheet cells (numbers, datetimes, text) as the text a user sees."""

    def one(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return ""
        if isinstance(v, (dt.datetime, pd.Timestamp, dt.date)):
            return v.strftime("%d/%m/%Y")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return values.map(one).astype(object)



def _known_names(table: str | None) -> set[str]:
    """Normalised column names (schema names and French aliases) that identify a header row."""
    if table is None:
        return set()
    names = {c.name for c in SCHEMAS[table].columns}
    for aliases in COLUMN_ALIASES.get(table, {}).values():
        names.update(aliases)
    return {header_key(n) for n in names}



def _header_score(cells: Sequence[object], known: set[str]) -> int:
    return len({header_key(normalise_name(c)) for c in cells if str(c).strip()} & known)



def _pick_header(rows: Sequence[Sequence[object]], known: set[str]) -> int:
    """0-based index of the row with the most known column names (the first row if none)."""
    scores = [_header_score(r, known) for r in rows[:HEADER_SEARCH_ROWS]]
    return int(np.argmax(scores)) if scores and max(scores) >= min(2, len(known)) else 0



def _read_xlsx(path: Path, options: ReadOptions, known: set[str]) -> tuple[pd.DataFrame, int]:
    sheets = pd.read_excel(path, sheet_name=None if options.sheet is None else [options.sheet], header=None,
                           dtype=object, engine="openpyxl")  # explicit: pandas 4 changes the default
    best = None
    for name, grid in sheets.items():
        grid = grid.apply(_cell_text) if not grid.empty else grid
        rows = grid.to_numpy().tolist()
        header = options.header_row - 1 if options.header_row else _pick_header(rows, known)
        score = _header_score(rows[header], known) if header < len(rows) else -1
        if best is None or score > best[0]:
            best = (score, name, grid, header)
    _, name, grid, header = best
    if grid.empty or header >= len(grid):
        return pd.DataFrame(), 1
    names = grid.iloc[header].tolist()
    body = grid.iloc[header + 1:]
    body.columns = [n if n != "" else f"Unnamed: {i}" for i, n in enumerate(names)]
    log.info("%s: sheet %r, column names on row %d", path.name, name, header + 1)
    return body.reset_index(drop=True), header + 1



def _read_csv(path: Path, options: ReadOptions, known: set[str]) -> tuple[pd.DataFrame, int]:
    text, encoding = decode_text(path.read_bytes(), options.encoding)
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    if options.header_row:
        header = options.header_row - 1
        sep = options.sep or max(SEPARATORS, key=(lines[header] if header < len(lines) else "").count)
    else:
        candidates = [options.sep] if options.sep else list(SEPARATORS)
        scored = [(_header_score(line.split(s), known), -i, line.count(s), s)
                  for s in candidates for i, line in enumerate(lines)]
        best = max(scored, default=(0, 0, 0, options.sep or ";"))
        if best[0] >= min(2, len(known)) and known:
            header, sep = -best[1], best[3]
        else:  # no known names: the header is the first line, the separator its most frequent one
            header = 0
            sep = options.sep or max(SEPARATORS, key=(lines[0] if lines else "").count)
    log.info("%s: encoding %s, separator %r, column names on line %d", path.name, encoding, sep, header + 1)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                            skiprows=header, engine="python" if len(sep) > 1 else "c")
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            raise CellsBeyondHeader(int(found[2]), sep) from exc
        raise
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas took the first column for an index: the first data row has a cell more than the header.
        raise CellsBeyondHeader(header + 2, sep)
    return frame.astype(object), header + 1



class CellsBeyondHeader(ValueError):
    """A CSV row with more cells than the header has names (row as a spreadsheet shows it)."""

    def __init__(self, row: int, sep: str) -> None:
        super().__init__(f"row {row} has more cells than the header")
        self.row, self.sep = row, sep



def read_raw(path: Path | str, *, table: str | None = None, options: ReadOptions | None = None) -> pd.DataFrame:
    """Read one raw CSV or XLSX file as text cells, without interpreting values.

    Parameters
    ----------
    path
        A ``.csv`` (any of ``;`` ``,`` tab ``|`` separators, UTF-8 with or without BOM,
        Windows-1252 or Latin-1) or ``.xlsx`` file.
    table
        The table the file holds; its column names (and their French aliases) are used to
        find the row of column names below title rows, and the separator.
    options
        Overrides of what is otherwise detected: separator, encoding, header row, sheet.

    Returns
    -------
    DataFrame
        Text cells, stripped; fully empty rows and unnamed empty columns (trailing
        separators) dropped. The index is the row number as a spreadsheet shows it.
    """
    path, options = Path(path), options or ReadOptions()
    known = _known_names(table)
    reader = _read_xlsx if path.suffix.lower() in {".xlsx", ".xlsm"} else _read_csv
    frame, header = reader(path, options, known)
    frame.index = pd.RangeIndex(header + 1, header + 1 + len(frame), name="row")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.astype(str).str.strip()) if len(frame.columns) else frame
    empty_cols = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    frame = frame.drop(columns=empty_cols)
    return frame.loc[~(frame == "").all(axis=1)] if len(frame.columns) else frame



def _find_files(data_dir: Path, problems: Problems) -> dict[str, Path]:
    found = {}
    for name, schema in SCHEMAS.items():
        candidates = [p for ext in ("csv", "xlsx") for p in [data_dir / f"{name}.{ext}"] if p.is_file()]
        if len(candidates) > 1:
            problems.add(f"{name}.csv / {name}.xlsx", "two_files", table=name)
        elif candidates:
            found[name] = candidates[0]
        elif schema.required_file:
            problems.add(f"{name}.csv", "file_missing", folder=str(data_dir), table=name)
    return found



#: Optional file of a data folder overriding what is detected, per table (or ``"*"`` for all).
READ_OPTIONS_FILE = "read_options.yml"


def _folder_read_options(data_dir: Path, problems: Problems) -> dict[str, ReadOptions]:
    """``read_options.yml`` of a data folder, e.g. ``accompaniments: {sep: ";", header_row: 3}``."""
    path = data_dir / READ_OPTIONS_FILE
    if not path.is_file():
        return {}
    fields = set(ReadOptions.__dataclass_fields__)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            raise ValueError("expected one entry per table", "une entrée par table est attendue")
        out = {}
        for table, spec in doc.items():
            if table != "*" and table not in SCHEMAS:
                raise ValueError(f"unknown table {table!r}", f"table inconnue {table!r}")
            if not isinstance(spec, dict) or set(spec) - fields:
                raise ValueError(f"{table}: settings must be among {sorted(fields)}",
                                 f"{table} : les réglages admis sont {sorted(fields)}")
            out[table] = ReadOptions(**spec)
        return out
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        ours = isinstance(exc, ValueError) and len(exc.args) == 2  # (English, French), raised above
        mark = getattr(exc, "problem_mark", None)
        french = (exc.args[1] if ours else yaml_problem_fr(str(getattr(exc, "problem", None) or exc))
                  + (f" (ligne {mark.line + 1})" if mark else ""))
        problems.add(path.name, "read_options_invalid", error=str(exc.args[0] if ours else exc)[:200],
                     error_fr=french[:200])
        return {}



def _read_options(read_options: Mapping[str, ReadOptions] | ReadOptions | None, table: str) -> ReadOptions:
    if isinstance(read_options, ReadOptions):
        return read_options
    return (read_options or {}).get(table) or (read_options or {}).get("*") or ReadOptions()



def _content_mismatch(path: Path) -> str | None:
    """The problem code when a file's content does not match its extension, else ``None``.

    A ``.csv`` holding a workbook, a ``.xlsx`` holding text (a CSV renamed), or an old
    ``.xls`` workbook under either name.
    """
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        return "file_is_xls"
    if path.suffix.lower() == ".csv":
        return "file_is_xlsx" if head.startswith(_ZIP_MAGIC) else None
    if head.startswith(_ZIP_MAGIC) or not head:
        return None
    sample = path.read_bytes()[:4096]
    return "file_is_csv" if b"\x00" not in sample else None

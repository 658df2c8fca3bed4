"""The survey tools' export layouts, read into the form's fields: KoboToolbox, ODK Central, LimeSurvey.

Each export becomes one :class:`Export`: the main questionnaire (one row per response) and,
for each repeat group, its rows linked to their response, with the form's field names as
columns. Values are left as written (codes or labels): :mod:`evaluation.io.survey.answers`
reads them. The layouts, as the tools write them:

* **KoboToolbox XLSX** (formpack's ``to_xlsx``): one sheet per section, the main one first;
  a repeat group's sheet is named after it, its rows carry ``_index``, ``_parent_table_name``
  and ``_parent_index`` (the ``_index`` of the main row) and ``_submission_…`` copies. Headers
  are the field names (« XML values and headers ») or the labels in the chosen language, with
  the group path (``partenaires/intensite``) when « include groups in headers » is ticked.
* **KoboToolbox CSV**: the current export writes the main section only (``;``, every value
  quoted) — a form with repeat groups must be exported as XLSX; the legacy CSV flattens each
  repeat's iterations into columns ``partenaires[1]/intensite``, ``partenaires[2]/intensite``…
* **ODK Central CSV** (« briefcase » layout): a zip (or its CSV files in the folder) with
  ``<form>.csv`` (``SubmissionDate``, the fields with group paths joined by ``-`` such as
  ``meta-instanceID``, ``KEY``, ``SubmitterID``…) and one ``<form>-<repeat>.csv`` per repeat
  group whose ``PARENT_KEY`` is the main row's ``KEY``.
* **LimeSurvey CSV** (« code de la question » headings): ``id``, ``submitdate``… then the
  question codes of :data:`~evaluation.io.survey.questions.LIMESURVEY`, arrays as
  ``INTENSITE[A001]`` (one sub-question per actor), a list's « other » as ``REPONDANT[other]``;
  a response without ``submitdate`` is incomplete and is not read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation._io import decode_text
from evaluation._text import normalise_name
from evaluation.io.readers import _cell_text
from evaluation.io.survey.questions import LABELS, LIMESURVEY, MAIN_FIELDS, REPEATS
from evaluation.problems import Problems

__all__ = ["Export", "read_exports", "field_of"]

_KOBO_META = {"_id", "_uuid", "_submission_time", "_index", "_validation_status", "_status", "_submitted_by"}
_ODK_MAIN = {"SubmissionDate", "KEY"}
_FLAT = re.compile(r"^(?:.*/)?(?P<repeat>[A-Za-z_][\w.]*)\[(?P<n>\d+)\]/(?:.*/)?(?P<field>[^/]+)$")
_LS_COLUMN = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9]*)(?:\[(?P<sub>[^\]]+)\])?$")
_LS_CODE = {name: code for code, name in LIMESURVEY.items()}
_LS_META = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "token", "ipaddr",
            "refurl"}


@dataclass
class Export:
    """One export read into the form's fields.

    ``main``: one row per response, columns the form's field names found and ``_key`` (the
    response's key, unique in the export); ``repeats``: per repeat group, its rows with
    ``_parent`` (the key of their response). Indexes are the rows as a spreadsheet shows them.
    ``where`` names each part's file (and sheet) for problems, ``headers`` each field's header
    as written in it.
    """

    layout: str
    file: str
    main: pd.DataFrame
    repeats: dict[str, pd.DataFrame] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    dropped: int = 0  # incomplete responses left out (LimeSurvey)


_LABEL_FIELDS = {normalise_name(text): name for name, texts in LABELS.items() for text in texts}


def field_of(header: str, names: set[str]) -> str | None:
    """The form's field among ``names`` that a header stands for: its name, with or without the
    group path (``partenaires/intensite``, ``meta-instanceID``), or its label in French or English.
    """
    text = str(header).strip()
    for candidate in (text, text.split("/")[-1], text.split("-")[-1]):
        if candidate in names:
            return candidate
    for candidate in (text, text.split("/")[-1]):
        name = _LABEL_FIELDS.get(normalise_name(candidate))
        if name in names:
            return name
    return None


def _fields(frame: pd.DataFrame, names: set[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The columns of ``frame`` that are fields among ``names``, renamed (first header wins)."""
    found: dict[str, str] = {}
    for col in frame.columns:
        name = field_of(col, names)
        if name is not None and name not in found:
            found[name] = col
    out = pd.DataFrame({n: frame[c] for n, c in found.items()}, index=frame.index)
    return out, found


def _csv_text(raw: bytes) -> pd.DataFrame:
    """A CSV's text cells, separator ``,`` ``;`` or tab (the one giving the header most fields),
    rows numbered as a spreadsheet shows them (header = 1).
    """
    text, _ = decode_text(raw)
    first = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=lambda s: len(next(csv.reader([first], delimiter=s), [])))
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip())
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame.loc[~(frame == "").all(axis=1)] if len(frame.columns) else frame


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    grids = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    out = {}
    for name, grid in grids.items():
        if grid.empty:
            continue
        grid = grid.apply(_cell_text).apply(lambda s: s.str.strip())
        body = grid.iloc[1:].copy()
        body.columns = [str(c).strip() for c in grid.iloc[0]]
        body.index = pd.RangeIndex(2, 2 + len(body), name="row")
        out[str(name)] = body.loc[~(body == "").all(axis=1)]
    return out


def _repeat_name(name: str, frame: pd.DataFrame) -> str | None:
    """Which repeat group a sheet or file holds: by its name, else by its columns."""
    for repeat in REPEATS:
        if name == repeat or name.endswith(f"-{repeat}") or name.split("~")[0].endswith(f"-{repeat}"):
            return repeat
    scores = {r: len(_fields(frame, set(f))[1]) for r, f in REPEATS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] else None


def _kobo_xlsx(path: Path, problems: Problems) -> Export | None:
    sheets = _sheets(path)
    if not sheets:
        problems.add(path.name, "survey_layout_unknown")
        return None
    main_name = next((n for n, s in sheets.items() if "_parent_index" not in s.columns), next(iter(sheets)))
    main_sheet = sheets[main_name]
    main, headers = _fields(main_sheet, set(MAIN_FIELDS))
    keys = (main_sheet["_index"] if "_index" in main_sheet else pd.Series(range(1, len(main_sheet) + 1),
                                                                          index=main_sheet.index).astype(str))
    out = Export("kobo_xlsx", path.name, main.assign(_key=keys.astype(str)), where={"main": f"{path.name} [{main_name}]"},
                 headers={"main": headers})
    for name, sheet in sheets.items():
        if name == main_name or "_parent_index" not in sheet.columns:
            continue
        repeat = _repeat_name(name, sheet)
        if repeat is None:
            continue
        rows, found = _fields(sheet, set(REPEATS[repeat]))
        out.repeats[repeat] = rows.assign(_parent=sheet["_parent_index"].astype(str))
        out.where[repeat], out.headers[repeat] = f"{path.name} [{name}]", found
    return out


def _kobo_csv(name: str, frame: pd.DataFrame) -> Export:
    """The current KoboToolbox CSV (main section only), or the legacy one whose repeats are flattened
    (kobocat's, which writes ``n/a`` for an empty cell).
    """
    frame = frame.mask(frame == "n/a", "")
    main, headers = _fields(frame, set(MAIN_FIELDS))
    key = (frame["_uuid"] if "_uuid" in frame else frame["_id"] if "_id" in frame
           else pd.Series(frame.index.astype(str), index=frame.index))
    out = Export("kobo_csv", name, main.assign(_key=key.astype(str)), where={"main": name}, headers={"main": headers})
    flat = [(m["repeat"], int(m["n"]), m["field"], c) for c in frame.columns if (m := _FLAT.match(c))]
    for repeat in {r for r, *_ in flat if r in REPEATS}:
        cells = [(n, f, c) for r, n, f, c in flat if r == repeat and f in REPEATS[repeat]]
        if not cells:
            continue
        out.layout = "kobo_csv_flat"
        long = pd.concat([frame[c].rename("value").to_frame().assign(_parent=key.astype(str), _n=n, _field=f,
                                                                     _row=frame.index)
                          for n, f, c in cells])
        wide = long.pivot_table(index=["_row", "_parent", "_n"], columns="_field", values="value", aggfunc="first")
        wide = wide[(wide.fillna("") != "").any(axis=1)].reset_index().sort_values(["_row", "_n"])
        out.repeats[repeat] = wide.set_index("_row").rename_axis("row").drop(columns="_n")
        out.where[repeat] = name
        out.headers[repeat] = {f: f"{repeat}[…]/{f}" for _, f, _ in cells}
    return out


def _odk(name: str, main_frame: pd.DataFrame, repeats: dict[str, tuple[str, pd.DataFrame]]) -> Export:
    main, headers = _fields(main_frame, set(MAIN_FIELDS))
    out = Export("odk_central", name, main.assign(_key=main_frame["KEY"].astype(str)), where={"main": name},
                 headers={"main": headers})
    for repeat, (file, frame) in repeats.items():
        rows, found = _fields(frame, set(REPEATS[repeat]))
        out.repeats[repeat] = rows.assign(_parent=frame["PARENT_KEY"].astype(str))
        out.where[repeat], out.headers[repeat] = file, found
    return out


def _limesurvey(name: str, frame: pd.DataFrame) -> Export:
    """LimeSurvey's wide table: the arrays' sub-questions become rows of the repeat groups."""
    complete = frame["submitdate"] != "" if "submitdate" in frame else pd.Series(True, index=frame.index)
    dropped = int((~complete).sum())
    frame = frame[complete]
    parsed = [(m["code"].upper(), m["sub"], c) for c in frame.columns if (m := _LS_COLUMN.match(c))
              and c.lower() not in _LS_META]
    key = frame["id"] if "id" in frame else pd.Series(frame.index.astype(str), index=frame.index)
    main = {}
    headers = {}
    for code, sub, col in parsed:
        target = LIMESURVEY.get(code)
        if target in MAIN_FIELDS and sub is None:
            main[target], headers[target] = frame[col], col
        elif target in ("repondant", "commune") and sub and sub.lower() == "other":
            main[f"{target}_autre"], headers[f"{target}_autre"] = frame[col], col
    out = Export("limesurvey", name, pd.DataFrame(main, index=frame.index).assign(_key=key.astype(str)),
                 where={"main": name, "partenaires": name, "autres": name}, headers={"main": headers}, dropped=dropped)
    for repeat, fields in REPEATS.items():
        cells = [(LIMESURVEY[code], sub, col) for code, sub, col in parsed
                 if sub and LIMESURVEY.get(code) in fields]
        known = [(sub, col) for code, sub, col in parsed if sub and LIMESURVEY.get(code) == "connus"]
        if not cells:
            continue
        long = pd.concat([frame[col].rename("value").to_frame().assign(_parent=key.astype(str), _sub=sub, _field=f,
                                                                        _row=frame.index)
                          for f, sub, col in cells]
                         + [frame[col].rename("value").to_frame().assign(_parent=key.astype(str), _sub=sub,
                                                                         _field="_known", _row=frame.index)
                            for sub, col in known if repeat == "partenaires"])
        wide = long.pivot_table(index=["_row", "_parent", "_sub"], columns="_field", values="value", aggfunc="first")
        wide = wide.reindex(columns=sorted(set(wide.columns) | {"_known"})).astype(object)
        answered = (wide.drop(columns="_known").fillna("") != "").any(axis=1) | wide["_known"].fillna("").str.upper().eq("Y")
        wide = wide[answered].reset_index().sort_values(["_row", "_sub"])
        if repeat == "partenaires":
            wide["partenaire"] = wide["_sub"]
        out.repeats[repeat] = wide.set_index("_row").rename_axis("row").drop(columns=["_sub", "_known"])
        out.headers[repeat] = {f: f"{_LS_CODE[f]}[…]" for f, _, _ in cells}
    return out


def _kind(frame: pd.DataFrame) -> str | None:
    cols = set(frame.columns)
    if "PARENT_KEY" in cols:
        return "odk_repeat"
    if _ODK_MAIN <= cols:
        return "odk_main"
    if any(m and m["code"] in LIMESURVEY for m in map(_LS_COLUMN.match, cols)):
        return "limesurvey"
    if cols & _KOBO_META or any(_FLAT.match(c) for c in cols):
        return "kobo_csv"
    return None


def _csv_set(files: dict[str, pd.DataFrame], problems: Problems, label: str) -> list[Export]:
    """Exports from a set of CSV tables (a folder's, or a zip's, ``label`` naming the zip): ODK's main
    and repeat files paired.
    """
    files = {f"{label}{n}": f for n, f in files.items()}
    out, kinds = [], {n: _kind(f) for n, f in files.items()}
    mains = [n for n, k in kinds.items() if k == "odk_main"]
    for n in mains:
        stem = Path(n).stem
        repeats = {}
        for r, k in kinds.items():
            if k == "odk_repeat" and Path(r).stem.startswith(f"{stem}-") and r.startswith(label):
                repeat = _repeat_name(Path(r).stem, files[r])
                if repeat is not None:
                    repeats[repeat] = (r, files[r])
        out.append(_odk(n, files[n], repeats))
    paired = {r for e in out for r in e.where.values()}
    for n, k in kinds.items():
        if k == "limesurvey":
            out.append(_limesurvey(n, files[n]))
        elif k == "kobo_csv":
            out.append(_kobo_csv(n, files[n]))
        elif k == "odk_repeat" and n not in paired:
            problems.add(n, "survey_repeat_alone")
        elif k is None:
            problems.add(n, "survey_layout_unknown")
    return out


def read_exports(folder: Path | str, problems: Problems) -> list[Export]:
    """Every export of a survey folder (``.xlsx``, ``.csv``, ``.zip``), each read into the form's fields.

    Files that are not an export of the form are problems (:data:`evaluation.problems.CATALOGUE`'s
    ``survey_…`` codes); files whose name starts with ``.`` or ``~`` and ``README`` files are skipped.
    """
    folder = Path(folder)
    exports: list[Export] = []
    csvs: dict[str, pd.DataFrame] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~"))):
        suffix = path.suffix.lower()
        try:
            if suffix in (".xlsx", ".xlsm"):
                sheets = _sheets(path)
                first = next(iter(sheets.values()), pd.DataFrame())
                if any("_parent_index" in s.columns for s in sheets.values()) or set(first.columns) & _KOBO_META:
                    exported = _kobo_xlsx(path, problems)
                    exports += [exported] if exported is not None else []
                elif _kind(first) == "limesurvey":
                    exports.append(_limesurvey(path.name, first))
                else:
                    problems.add(path.name, "survey_layout_unknown")
            elif suffix == ".csv":
                csvs[path.name] = _csv_text(path.read_bytes())
            elif suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    members = {Path(m).name: _csv_text(archive.read(m)) for m in archive.namelist()
                               if m.lower().endswith(".csv")}
                exports += _csv_set(members, problems, f"{path.name} : ")
            elif suffix not in (".md", ".txt"):
                problems.add(path.name, "survey_layout_unknown")
        except (ValueError, OSError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
            problems.add(path.name, "unreadable", error=f"{type(exc).__name__}: {exc}"[:200])
    exports += _csv_set(csvs, problems, "")
    return exports

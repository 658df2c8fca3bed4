"""Priority neighbourhoods (QPV) of the commune reference: their codes, communes and populations.

A QPV population table is read from the file the evaluator downloads (:func:`read_qpv_populations`):

* INSEE's or the national politique-de-la-ville observatory's file **as published** (XLSX
  with title rows above the header, or CSV), for the 2024 list (« quartiers prioritaires
  2024 », codes ``QN…``, in force in metropolitan France since 1 January 2024) or the 2015
  list (codes ``QP…``). The header row is the first row, among the first 40 of any sheet,
  that names a QPV code column (``CODE_QP``, ``QP``, ``CODGEO``, ``qpv_code``…) whose cells
  below are QPV codes; the commune, name and population columns are recognised by their
  names (``COMMUNE_HEADERS``, ``NAME_HEADERS``, a header starting with ``pop``,
  ``pmun`` or ``population``, the municipal population preferred to the total);
* or a small table written by hand in the documented layout ``qpv_code; qpv_name;
  commune_code; population; year; source`` (one row per QPV and commune: a QPV across two
  communes has two rows, each with the population of its part).

The reference keeps one row per QPV and commune (``qpv.csv``, :data:`QPV_COLUMNS`): a row
whose population is unknown keeps the QPV with an empty population. A row naming several
communes (``21166, 21231``) with one population holds the population of the whole QPV
(``population_scope = "qpv"``): it cannot be split between the communes.

References
----------
Décret n° 2023-1314 du 28 décembre 2023 (list of the QPV of metropolitan France from
1 January 2024; codes ``QNXXXYYZ``: XXX the département, YY the order, Z a letter), and
Décret n° 2014-1750 du 30 décembre 2014 (the 2015 list, codes ``QP…``). INSEE, *Données sur
les quartiers 2024 de la politique de la ville*, https://www.insee.fr/fr/statistiques/8243167
(populations of the QPV and of their communes' parts).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import decode_text
from evaluation._text import normalise_name, normalise_names
from evaluation.config import get_paths
from evaluation.errors import ValidationError
from evaluation.geo.reference import COMMUNE_CODE_PATTERN
from evaluation.problems import Problems

__all__ = ["QPV_CSV", "QPV_COLUMNS", "QPV_CODE_PATTERN", "QPV_LISTS", "qpv_list", "read_qpv_populations",
           "load_qpv", "qpv_of_communes"]

QPV_CSV = "qpv.csv"
#: Columns of the reference's QPV table, one row per QPV and commune.
QPV_COLUMNS = ["qpv_code", "qpv_name", "commune_code", "population", "population_year", "population_scope",
               "list", "source"]
#: The pattern of a QPV code, ``QN`` (2024 list) or ``QP`` (2015 list), the département on 3 characters,
#: then 3 characters (``QN02104M``, ``QP021003``; Corsica ``QN02A01M``).
QPV_CODE_PATTERN = r"Q[NP]\d[\dAB]\d[\dA-Z]{3}"
#: The list of a QPV by the prefix of its code, ``QN`` the list in force since 1 January 2024
#: (metropolitan France; overseas from 2025), ``QP`` the list in force from 2015 to 2023.
QPV_LISTS = {"QN": "2024", "QP": "2015"}

#: Headers (after :func:`normalise_name`) of the columns read, by what they hold.
CODE_HEADERS = frozenset({"qpv_code", "code_qpv", "code_qp", "codeqp", "cod_qp", "qp", "qpv", "code_quartier",
                          "codgeo", "code_qp_2024", "code_qp_2015", "quartier_prioritaire"})
NAME_HEADERS = ("qpv_name", "lib_qp", "nom_qp", "libgeo", "nom_qpv", "lib_qpv", "libelle_qp", "nom_quartier",
                "libelle", "nom")
COMMUNE_HEADERS = ("commune_code", "com", "depcom", "code_commune", "codgeo_com", "code_com", "insee_com",
                   "code_insee", "codecom", "cod_com", "communes", "commune_qp", "code_commune_qp", "list_com")
_POPULATION = re.compile(r"^(pop|pmun|population|p\d{2}_pop)")
_YEAR_HEADERS = ("year", "annee", "millesime")


def qpv_list(codes: pd.Series) -> pd.Series:
    """The list (``"2024"``, ``"2015"``) of QPV codes by their prefix; missing for other values."""
    return codes.astype("string").str[:2].map(QPV_LISTS).astype("string").rename("list")


def _find_header(raw: pd.DataFrame) -> int | None:
    """The first row naming a QPV code column whose cells below are (mostly) QPV codes."""
    head = raw.head(40)
    for i in range(len(head)):
        names = [normalise_name(v) for v in head.iloc[i]]
        for j, name in enumerate(names):
            if name in CODE_HEADERS:
                below = raw.iloc[i + 1:i + 51, j].dropna().astype(str).str.strip().str.upper()
                if len(below) and below.str.fullmatch(QPV_CODE_PATTERN).mean() >= 0.5:
                    return i
    return None


def _read_cells(path: Path) -> tuple[pd.DataFrame | None, int]:
    """The table below the header (text cells) and the 0-based row of its header."""
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        for raw in pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine").values():
            header = _find_header(raw)
            if header is not None:
                table = raw.iloc[header + 1:].reset_index(drop=True)
                table.columns = [str(c) for c in raw.iloc[header]]
                # a number cell of a workbook (a commune code, a population) may come as 21166.0
                return table.astype("string").apply(lambda c: c.str.replace(r"^(\d+)\.0$", r"\1", regex=True)), header
        return None, 0
    text = decode_text(path.read_bytes())[0]
    lines = text.splitlines()
    sep = max(";,\t", key=lambda s: sum(line.count(s) for line in lines[:40]))
    raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, skip_blank_lines=False,
                      names=range(max((line.count(sep) for line in lines[:200]), default=0) + 1))
    header = _find_header(raw)
    if header is None:
        return None, 0
    table = raw.iloc[header + 1:].reset_index(drop=True)
    table.columns = [str(c) for c in raw.iloc[header]]
    return table.astype("string"), header


def _pick(columns: list[str], wanted, *, values: pd.DataFrame | None = None, pattern: str | None = None) -> str | None:
    """The first column whose folded header is in ``wanted`` (in its order), whose cells match
    ``pattern`` when given.
    """
    folded = {c: normalise_name(c) for c in columns}
    for name in wanted:
        for column, f in folded.items():
            if f == name and (pattern is None or values[column].dropna().str.strip().str.upper()
                              .str.split(r"[,;|\s]+").explode().dropna().str.fullmatch(pattern).mean() >= 0.5):
                return column
    return None


def _population_column(columns: list[str]) -> str | None:
    """The population column: a header starting with ``pop``/``pmun``/``population``, the municipal
    population (``PMUN``, ``POP_MUN``, ``population municipale``) before any other.
    """
    candidates = [c for c in columns if _POPULATION.match(normalise_name(c))]
    municipal = [c for c in candidates if "mun" in normalise_name(c)]
    return (municipal or candidates or [None])[0]


def _year_of(header: str | None) -> int | None:
    """``PMUN20`` → 2020, ``POP2021`` → 2021, ``population`` → None."""
    if header is None:
        return None
    found = re.search(r"(\d{4}|\d{2})$", normalise_name(header))
    if not found:
        return None
    year = int(found.group(1))
    return year + 2000 if year < 100 else year


def read_qpv_populations(path: Path | str, *, source: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read a QPV population file as published (INSEE or the observatory) or in the documented layout.

    Parameters
    ----------
    path
        The XLSX or CSV file (see the module docstring for the layouts read).
    source
        What the reference records as the source of the populations (default: the ``source``
        column of a hand-made table, else the file's name).
    year
        The year of the populations when neither a ``year`` column nor the population's header
        (``PMUN20``) says it.

    Returns
    -------
    DataFrame
        :data:`QPV_COLUMNS`, one row per QPV and commune (a row listing several communes gives
        one row per commune with ``population_scope = "qpv"``), in code order.

    Raises
    ------
    ValidationError
        Naming the file, the rows and the columns of every problem (no header, malformed QPV
        or commune codes, populations that are not whole numbers ≥ 0, a QPV and commune twice).
    """
    path = Path(path)
    problems = Problems()
    if not path.is_file():
        problems.add(path.name, "qpv_file_missing", folder=str(path.parent))
        raise ValidationError(problems.frame())
    try:
        table, header = _read_cells(path)
    except Exception as exc:  # unreadable: a problem, not a traceback
        problems.add(path.name, "unreadable", error=f"{type(exc).__name__}: {exc}"[:200])
        raise ValidationError(problems.frame()) from exc
    if table is None:
        problems.add(path.name, "qpv_no_header")
        raise ValidationError(problems.frame())
    table.index = pd.RangeIndex(header + 2, header + 2 + len(table), name="row")  # rows as a spreadsheet shows them
    columns = list(table.columns)
    code_col = _pick(columns, sorted(CODE_HEADERS, key=lambda h: h != "qpv_code"), values=table,
                     pattern=QPV_CODE_PATTERN)
    commune_col = _pick(columns, COMMUNE_HEADERS, values=table, pattern=COMMUNE_CODE_PATTERN)
    name_col = _pick(columns, NAME_HEADERS)
    pop_col = _population_column(columns)
    year_col = _pick(columns, _YEAR_HEADERS)
    source_col = _pick(columns, ("source",))
    for wanted, found in (("qpv_code", code_col), ("commune_code", commune_col), ("population", pop_col)):
        if found is None:
            problems.add(path.name, "column_missing", column=wanted, found=", ".join(columns),
                         aliases_en=" (or INSEE's name of it)", aliases_fr=" (ou son nom dans le fichier de l'INSEE)")
    if problems:
        raise ValidationError(problems.frame())
    table = table[table[code_col].notna() & (table[code_col].str.strip() != "")]
    code = table[code_col].str.strip().str.upper()
    bad = ~code.str.fullmatch(QPV_CODE_PATTERN).fillna(False)
    if bad.any():
        problems.add(path.name, "qpv_code_malformed", rows=table.index[bad], column=code_col, values=table.loc[bad, code_col])
    communes = table[commune_col].fillna("").str.strip().str.upper().str.split(r"[,;|\s]+")
    communes = communes.map(lambda xs: [x.zfill(5) if x.isdigit() else x for x in xs if x])
    bad_commune = communes.map(lambda xs: not xs or not all(re.fullmatch(COMMUNE_CODE_PATTERN, x) for x in xs))
    if bad_commune.any():
        problems.add(path.name, "commune_malformed", rows=table.index[bad_commune], column=commune_col,
                     values=table.loc[bad_commune, commune_col])
    text = table[pop_col].fillna("").str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    population = pd.to_numeric(text.replace("", None), errors="coerce")
    unknown = text.str.lower().isin(["", "nd", "n.d.", "s", "secret", "na", "-"])  # published as not available
    bad_pop = (~unknown & population.isna()) | (population < 0) | (population.notna() & (population % 1 != 0))
    if bad_pop.any():
        problems.add(path.name, "qpv_population_invalid", rows=table.index[bad_pop], column=pop_col,
                     values=table.loc[bad_pop, pop_col])
    years = (pd.to_numeric(table[year_col], errors="coerce") if year_col is not None
             else pd.Series(_year_of(pop_col) or year, index=table.index, dtype="Float64"))
    out = pd.DataFrame({
        "qpv_code": code, "qpv_name": table[name_col].str.strip() if name_col else pd.NA,
        "commune_code": communes, "population": population.where(~bad_pop).round().astype("Int64"),
        "population_year": years.round().astype("Int64"),
        "population_scope": np.where(communes.map(len) > 1, "qpv", "commune"),
        "list": qpv_list(code),
        "source": (table[source_col].str.strip() if source_col else pd.Series(source or path.name, index=table.index)),
    }).explode("commune_code")
    if source and source_col is None:
        out["source"] = source
    key = out[["qpv_code", "commune_code"]]
    twice = key.duplicated(keep=False) & ~bad.reindex(out.index).to_numpy()
    if twice.any():
        problems.add(path.name, "id_duplicated", rows=out.index[twice], column=f"{code_col} / {commune_col}",
                     values=(key["qpv_code"] + " / " + key["commune_code"].astype(str))[twice])
    if problems:
        raise ValidationError(problems.frame())
    return out.sort_values(["qpv_code", "commune_code"]).reset_index(drop=True)[QPV_COLUMNS]


def load_qpv(directory: Path | str | None = None) -> pd.DataFrame:
    """The reference's QPV table (``qpv.csv`` of the reference folder; default
    ``data/raw/reference``): :data:`QPV_COLUMNS`, empty when the reference has none.
    """
    directory = Path(directory) if directory is not None else get_paths().reference
    path = directory / QPV_CSV
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c in ("population", "population_year") else "string")
                             for c in QPV_COLUMNS})
    table = pd.read_csv(path, dtype={"qpv_code": "string", "qpv_name": "string", "commune_code": "string",
                                     "population": "Int64", "population_year": "Int64",
                                     "population_scope": "string", "list": "string", "source": "string"})
    return table[QPV_COLUMNS]


def qpv_of_communes(qpv: pd.DataFrame, communes: pd.Series, *, declared: tuple[dict, ...] = ()) -> pd.DataFrame:
    """The QPV of a territory: the rows of ``qpv`` in its communes, or those it declares.

    ``declared`` is the territory's ``qpv`` list (``territories.yml``): each entry names a QPV by
    ``code``, or by ``name`` and ``commune`` (matched on the folded name within the commune).
    A declared QPV absent from ``qpv`` is kept, with its name and commune and no code nor
    population (``population_scope = "absent"``), so that the report can say so. Without a
    declaration, every QPV of ``qpv`` in ``communes`` is the territory's.
    """
    inside = qpv[qpv["commune_code"].isin(set(communes.astype(str)))]
    if not declared:
        return inside.reset_index(drop=True)
    rows, missing = [], []
    folded = normalise_names(inside["qpv_name"].fillna(""))
    for entry in declared:
        code = str(entry.get("code", "")).strip().upper()
        if code:
            hit = inside[inside["qpv_code"] == code]
        else:
            name, commune = normalise_name(entry.get("name", "")), str(entry.get("commune", ""))
            hit = inside[(folded == name).to_numpy() & (inside["commune_code"] == commune).to_numpy()]
        if len(hit):
            rows.append(hit)
        else:
            missing.append({"qpv_code": code or pd.NA, "qpv_name": entry.get("name", pd.NA),
                            "commune_code": entry.get("commune", pd.NA), "population": pd.NA,
                            "population_year": pd.NA, "population_scope": "absent",
                            "list": QPV_LISTS.get(code[:2], pd.NA) if code else pd.NA, "source": pd.NA})
    parts = [*rows, pd.DataFrame(missing, columns=QPV_COLUMNS)] if missing else rows
    out = pd.concat(parts, ignore_index=True) if parts else inside.iloc[:0]
    return out.drop_duplicates(["qpv_code", "commune_code", "qpv_name"]).reset_index(drop=True)[QPV_COLUMNS]

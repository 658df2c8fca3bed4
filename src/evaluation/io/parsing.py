"""Typing a raw table's text cells by its schema (numbers, dates, communes, codes) and checking keys and cross-table references, every problem collected."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation._text import normalise_names
from evaluation.errors import ValidationError
from evaluation.geo.qpv import QPV_CODE_PATTERN
from evaluation.geo.reference import COMMUNE_CODE_PATTERN
from evaluation.geo.territory import Territory
from evaluation.io.redaction_words import fold_key
from evaluation.io.schema import (
    COLUMN_ALIASES,
    EARLIEST_DATE,
    FALSE_WORDS,
    INTENSITY_LEVELS,
    TRUE_WORDS,
    UNKNOWN_WORDS,
    VALUE_ALIASES,
    VERIFIED_SOURCE_WORDS,
    Column,
    Schema,
    choice_lookup,
    holds_names,
)
from evaluation.problems import Problems

__all__ = ["parse_table"]

log = logging.getLogger(__name__)


def _parse_number(text: pd.Series) -> pd.Series:
    """French or English numbers: ``1 234,5``, ``1.234,5``, ``1234.5`` → 1234.5; a percentage ``61 %`` → 0.61;
    a currency sign (``12 000 €``) is dropped.
    """
    cleaned = text.str.replace(r"[\s\u00a0\u202f'€]", "", regex=True)
    percent = cleaned.str.endswith("%")
    cleaned = cleaned.str.removesuffix("%")
    comma = cleaned.str.contains(",", regex=False)
    cleaned = cleaned.mask(comma, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    number = pd.to_numeric(cleaned.replace("", None), errors="coerce")
    return number.where(~percent, number / 100)



def _parse_date(text: pd.Series) -> pd.Series:
    out = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    for fmt in ("%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out



@dataclass(frozen=True)
class _Checks:
    """What cells are checked against, beyond their own type."""

    file: str
    problems: Problems
    notices: Problems
    commune_codes: frozenset[str] | None = None
    former_communes: pd.DataFrame | None = None
    commune_names: Mapping[str, str] | None = None



#: The municipal arrondissements of Paris, Lyon and Marseille (INSEE codes 75101–75120, 69381–69389,
#: 13201–13216) and their commune: the density grid and the reference count the commune as a whole.
_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
_ARRONDISSEMENT_OF = {
    **{f"751{k:02d}": "75056" for k in range(1, 21)},
    **{f"6938{k}": "69123" for k in range(1, 10)},
    **{f"132{k:02d}": "13055" for k in range(1, 17)},
}


def _commune(col: Column, text: pd.Series, empty: pd.Series, checks: _Checks) -> pd.Series:
    code = text.str.upper()
    repair = code.str.fullmatch(r"\d{4}")
    if repair.any():
        log.info("%s: %d commune codes had lost their leading zero and were repaired",  # a notice says it
                 checks.file, int(repair.sum()))
        checks.notices.add(checks.file, "leading_zero_repaired", rows=text.index[repair], column=col.name,
                           values=text[repair])
        code = code.mask(repair, "0" + code)
    bad_form = ~empty & ~code.str.fullmatch(COMMUNE_CODE_PATTERN)
    if bad_form.any():
        checks.problems.add(checks.file, "commune_malformed", rows=text.index[bad_form], column=col.name,
                            values=text[bad_form])
    if checks.commune_codes is not None:
        codes = pd.Index(list(checks.commune_codes))
        unknown = ~empty & ~bad_form & pd.Series(codes.get_indexer(code.fillna("")) < 0, index=code.index)
        former = checks.former_communes
        merged = unknown & code.isin(former.index) if former is not None else unknown & False
        for old, rows in code[merged].groupby(code[merged]).groups.items():
            info = former.loc[old]
            checks.problems.add(checks.file, "commune_merged", rows=rows, column=col.name, values=text[rows],
                                name=info["commune_name"], successor=info["successor_code"],
                                successor_name=info["successor_name"])
        city = code.map(_ARRONDISSEMENT_OF).where(unknown & ~merged)
        for commune, rows in code[city.notna()].groupby(city[city.notna()]).groups.items():
            checks.problems.add(checks.file, "commune_arrondissement", rows=rows, column=col.name, values=text[rows],
                                commune=commune, name=_CITIES[commune])
        gone = unknown & ~merged & city.isna()
        if gone.any():
            checks.problems.add(checks.file, "commune_unknown", rows=text.index[gone], column=col.name,
                                values=text[gone])
    return code.mask(empty).astype("string")



def _parse_column(col: Column, text: pd.Series, checks: _Checks) -> pd.Series:
    problems, file = checks.problems, checks.file

    def flag(mask: pd.Series, code: str, **params) -> None:
        if mask.any():
            problems.add(file, code, rows=text.index[mask], column=col.name, values=text[mask], **params)

    empty = text == ""
    if not col.nullable:
        flag(empty, "value_empty")
    kind = col.kind
    if kind in ("id", "text"):
        return text.mask(empty).astype("string")
    if kind == "choice":
        codes = normalise_names(text).map(choice_lookup(col.choices))
        bad = ~empty & codes.isna()
        flag(bad, "choice_unknown", choices=list(col.choices), names=[VALUE_ALIASES.get(c, (c,))[0]
                                                                      for c in col.choices])
        codes = codes.mask(empty | bad)
        if not col.categorical:
            return codes.astype("string")
        return pd.Categorical(codes, categories=col.choices, ordered=col.choices == INTENSITY_LEVELS)
    if kind == "commune":
        return _commune(col, text, empty, checks)
    if kind == "qpv":  # oui / non / unknown (missing, counted apart) / a QPV code (oui)
        folded = normalise_names(text)
        code = text.str.strip().str.upper().str.fullmatch(QPV_CODE_PATTERN).fillna(False)
        unknown = folded.isin(UNKNOWN_WORDS) | folded.isin({"", "_"})
        flag(~empty & ~unknown & ~code & ~folded.isin(TRUE_WORDS | FALSE_WORDS), "qpv_value_invalid")
        answer = pd.Series(pd.NA, index=text.index, dtype="boolean")
        return answer.mask(folded.isin(TRUE_WORDS) | code, True).mask(folded.isin(FALSE_WORDS), False)
    if kind == "bool":
        folded = normalise_names(text)
        flag(~empty & ~folded.isin(TRUE_WORDS | FALSE_WORDS), "bool_invalid")
        answer = pd.Series(pd.NA, index=text.index, dtype="boolean")
        return answer.mask(folded.isin(TRUE_WORDS), True).mask(folded.isin(FALSE_WORDS), False)
    if kind == "date":
        parsed = _parse_date(text)
        flag(~empty & parsed.isna(), "date_invalid")
        latest = pd.Timestamp(dt.date.today()) + pd.DateOffset(years=1)
        flag(parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed > latest)), "date_out_of_range",
             first=f"{EARLIEST_DATE:%d/%m/%Y}", last=f"{latest:%d/%m/%Y}")
        return parsed.astype("datetime64[ns]")
    number = _parse_number(text)
    bad = ~empty & number.isna()
    if kind == "int":
        bad |= number.notna() & (number % 1 != 0)
    flag(bad, "int_invalid" if kind == "int" else "number_invalid")
    if col.min_value is not None:
        flag(number.notna() & (number < col.min_value), "below_minimum", minimum=f"{col.min_value:g}")
    number = number.mask(bad)
    return number.round().astype("Int64") if kind == "int" else number.astype("Float64")



def _aliases(table: str, column: str) -> dict[str, str]:
    names = COLUMN_ALIASES.get(table, {}).get(column, ())
    if not names:
        return {"aliases_en": "", "aliases_fr": ""}
    shown = ", ".join(names[:3])
    return {"aliases_en": f" (or a French name such as {shown})", "aliases_fr": f" (ou un nom français comme {shown})"}



def _qpv_codes(raw: pd.DataFrame, table: pd.DataFrame, checks: _Checks) -> pd.Series:
    """The QPV code of each row: its ``qpv_code`` cell, else its ``in_qpv`` cell when that is a
    code (``QN02104M``: in that QPV). A malformed code, or a code beside « non », is a problem.
    """
    flagged = raw["in_qpv"].str.strip().str.upper() if "in_qpv" in raw else pd.Series("", index=raw.index)
    from_flag = flagged.where(flagged.str.fullmatch(QPV_CODE_PATTERN).fillna(False))
    if "qpv_code" not in raw:
        return from_flag.astype("string")
    given = raw["qpv_code"].str.strip().str.upper()
    bad = (given != "") & ~given.str.fullmatch(QPV_CODE_PATTERN).fillna(False)
    if bad.any():
        checks.problems.add(checks.file, "qpv_code_malformed", rows=raw.index[bad], column="qpv_code",
                            values=raw.loc[bad, "qpv_code"])
    said_no = ((given != "") & ~bad & table["in_qpv"].eq(False).fillna(False).to_numpy() if "in_qpv" in table
               else pd.Series(False, index=raw.index))
    if said_no.any():
        checks.problems.add(checks.file, "qpv_value_invalid", rows=raw.index[said_no], column="in_qpv",
                            values=raw.loc[said_no, "in_qpv"])
    return given.where((given != "") & ~bad, from_flag).astype("string")


def _fold_commune(names: pd.Series) -> pd.Series:
    """A commune's name folded for comparison: no case, accents, article, postcode; ``St`` = ``Saint``."""
    folded = normalise_names(names.str.replace(r"\d{5}", " ", regex=True))
    folded = folded.str.replace(r"^(le|la|les|l)_", "", regex=True)
    return folded.str.replace(r"(^|_)st(?=_|$)", r"\1saint", regex=True).str.replace(
        r"(^|_)ste(?=_|$)", r"\1sainte", regex=True)


def _check_commune_names(raw: pd.DataFrame, table: pd.DataFrame, checks: _Checks) -> None:
    """A commune named beside its code must be the reference's commune of that code."""
    if "commune_name" not in table or "commune_code" not in table or not checks.commune_names:
        return
    given = table["commune_name"]
    expected = table["commune_code"].map(checks.commune_names)
    known = given.notna() & expected.notna()
    if not known.any():
        return
    differ = known & (_fold_commune(given.fillna("")) != _fold_commune(expected.fillna(""))).fillna(False)
    for (code, name), rows in table[differ].groupby(["commune_code", expected[differ]]).groups.items():
        checks.problems.add(checks.file, "commune_name_mismatch", rows=rows, column="commune_name",
                            values=given[rows], commune=code, reference_name=name)


def parse_table(raw: pd.DataFrame, schema: Schema, *, file: str, problems: Problems | None = None,
                notices: Problems | None = None, commune_codes: frozenset[str] | None = None,
                former_communes: pd.DataFrame | None = None,
                commune_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Type the text cells of one raw table according to its schema.

    Problems (missing or duplicated columns, unparsable values, duplicated keys, end
    before start, unknown or merged communes, a commune named beside its code that is not
    the reference's commune of that code, with ``commune_names``) are added to
    ``problems``; when called without it, they are raised as a
    :class:`~evaluation.errors.ValidationError`. Automatic repairs (lost leading zeros) are
    added to ``notices``. Columns not in the schema are left out
    (:func:`~evaluation.io.datasets.validate_tables` lists them). A ``qpv`` column
    (``in_qpv``) reads oui/non, « ne sait pas » or an empty cell as unknown (missing), and a
    QPV code as oui, the code going to ``qpv_code``.
    """
    own = problems is None
    checks = _Checks(file, problems if problems is not None else Problems(),
                     notices if notices is not None else Problems(), commune_codes, former_communes, commune_names)
    for c in raw.columns[raw.columns.duplicated()].unique():
        checks.problems.add(file, "column_duplicated", column=c)
    raw = raw.loc[:, ~raw.columns.duplicated()]
    out = {}
    for col in schema.columns:
        if col.name not in raw.columns:
            if col.required:
                checks.problems.add(file, "column_missing", column=col.name, found=", ".join(raw.columns) or "-",
                                    **_aliases(schema.name, col.name))
            continue
        if col.name != "qpv_code":  # from its own column or in_qpv, below
            out[col.name] = _parse_column(col, raw[col.name], checks)
    table = pd.DataFrame(out, index=raw.index)
    if any(c.kind == "qpv" for c in schema.columns) and "qpv_code" in {c.name for c in schema.columns}:
        table["qpv_code"] = _qpv_codes(raw, table, checks)
        if "in_qpv" in table:
            table["in_qpv"] = table["in_qpv"].mask(table["in_qpv"].isna() & table["qpv_code"].notna(), True)
    _check_commune_names(raw, table, checks)
    if schema.key and all(k in table for k in schema.key):
        dup = table.duplicated(list(schema.key), keep=False) & table[list(schema.key)].notna().all(axis=1)
        if dup.any():
            values = table.loc[dup, list(schema.key)].astype(str).agg(" / ".join, axis=1)
            checks.problems.add(file, "id_duplicated", rows=table.index[dup], column=" / ".join(schema.key),
                                values=values)
    if {"start_date", "end_date"} <= set(table):
        bad = table["end_date"] < table["start_date"]
        if bad.any():
            checks.problems.add(file, "end_before_start", rows=table.index[bad], column="end_date",
                                values=table.loc[bad, "end_date"].dt.strftime("%d/%m/%Y"))
    if schema.name == "followups" and "source" in table:
        table = _verified_from_source(table)
    if own and checks.problems:
        raise ValidationError(checks.problems.frame())
    return table



def _verified_from_source(followups: pd.DataFrame) -> pd.DataFrame:
    """Fill a follow-up's empty ``verified`` from its ``source``: true when the source names an
    administrative check (:data:`~evaluation.io.schema.VERIFIED_SOURCE_WORDS`), false when it names
    something else (a survey, a call), empty when there is no source. Done before the source is redacted.
    """
    words = normalise_names(followups["source"].fillna("")).str.split("_")
    named = words.map(lambda ws: bool(VERIFIED_SOURCE_WORDS.intersection(ws))).astype("boolean")
    said = followups["verified"] if "verified" in followups else pd.Series(pd.NA, index=followups.index,
                                                                           dtype="boolean")
    guessed = named.where(followups["source"].notna(), pd.NA)
    return followups.assign(verified=said.astype("boolean").fillna(guessed))


def _check_references(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems,
                      territories: Collection[str] | Mapping[str, Territory] | None, territories_file: str) -> None:
    def refs(table: str, column: str, target: str, target_col: str, code: str) -> None:
        if table not in tables or target not in tables or column not in tables[table] \
                or target_col not in tables[target]:  # a missing column is reported already
            return
        values = tables[table][column]
        targets = pd.Index(tables[target][target_col].dropna().astype(str).unique())
        bad = values.notna() & (targets.get_indexer(values.fillna("").astype(str)) < 0)
        if bad.any():
            problems.add(files[table], code, rows=values.index[bad], column=column, values=values[bad],
                         target=files[target])

    refs("attendance", "event_id", "events", "event_id", "event_unknown")
    refs("attendance", "actor_id", "actors", "actor_id", "actor_unknown")
    refs("events", "organiser", "actors", "actor_id", "actor_unknown")
    refs("collaborations", "actor_a", "actors", "actor_id", "actor_unknown")
    refs("collaborations", "actor_b", "actors", "actor_id", "actor_unknown")
    for dependent, needs in [("attendance", ("events", "actors")), ("collaborations", ("actors",))]:
        for need in needs:
            if dependent in tables and need not in files:  # a file that failed is reported already
                problems.add(files[dependent], "table_needed", table=need)
    refs("followups", "structure_id", "accompaniments", "structure_id", "structure_unknown")
    _check_outcomes(tables, files, problems)
    _check_territory_columns(tables, files, problems, territories, territories_file)
    actors = tables.get("actors")
    if isinstance(territories, Mapping) and actors is not None and "actor_id" in actors:
        known = pd.Index(actors["actor_id"].dropna().astype(str).unique())
        for slug, territory in territories.items():
            missing = [a for a in territory.network_roles if a not in known]
            if missing:
                problems.add(territories_file, "role_actor_unknown", column=f"{slug}.network_roles",
                             rows=[territory.line("network_roles", a) for a in missing], values=missing,
                             target=files["actors"])
    collab = tables.get("collaborations")
    if collab is not None and {"actor_a", "actor_b"} <= set(collab):
        self_tie = (collab["actor_a"] == collab["actor_b"]).fillna(False).astype(bool)
        if self_tie.any():
            problems.add(files["collaborations"], "self_tie", rows=collab.index[self_tie], column="actor_b",
                         values=collab.loc[self_tie, "actor_b"])
        a, b = (collab[c].fillna("").astype(str).to_numpy(dtype=object) for c in ("actor_a", "actor_b"))
        lo, hi = pd.Series(np.where(a <= b, a, b), index=collab.index), pd.Series(np.where(a <= b, b, a),
                                                                                   index=collab.index)
        pair = pd.DataFrame({"lo": lo, "hi": hi, "kind": collab.get("kind"),
                             "start": collab.get("start_date")}, index=collab.index)
        dup = pair.duplicated(keep=False)
        if dup.any():
            problems.add(files["collaborations"], "tie_duplicated", rows=collab.index[dup], column="actor_a / actor_b",
                         values=lo[dup] + " – " + hi[dup])



def _check_territory_columns(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems,
                             territories: Collection[str] | Mapping[str, Territory] | None,
                             territories_file: str) -> None:
    """A testimony's or a cost's ``territory`` must be a slug of the territories file."""
    for name in ("testimonies", "costs"):
        table = tables.get(name)
        if territories is None or table is None or "territory" not in table:
            continue
        where = table["territory"]
        bad = where.notna() & ~where.isin(list(territories))
        if bad.any():
            known = sorted(territories)
            slugs = ", ".join(known[:8]) + (f"… ({len(known)} in all)" if len(known) > 8 else "")
            problems.add(files[name], "territory_unknown", rows=where.index[bad], column="territory",
                         values=where[bad], target=territories_file, slugs=slugs)



def _check_outcomes(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems) -> None:
    """A follow-up dated before the structure's first accompaniment started is a problem, and so is
    a benchmark survival rate above 1 (a percentage written without its sign).
    """
    follow, acc = tables.get("followups"), tables.get("accompaniments")
    if follow is not None and acc is not None and {"structure_id", "date"} <= set(follow) \
            and {"structure_id", "start_date"} <= set(acc):
        start = follow["structure_id"].map(acc.groupby("structure_id")["start_date"].min())
        early = (follow["date"] < start).fillna(False).astype(bool)
        if early.any():
            problems.add(files["followups"], "followup_before_start", rows=follow.index[early], column="date",
                         values=follow.loc[early, "date"].dt.strftime("%d/%m/%Y"), target=files["accompaniments"])
    bench = tables.get("benchmarks")
    if bench is not None and {"indicator", "value"} <= set(bench):
        share = bench["indicator"].fillna("").str.startswith("survie") & (bench["value"] > 1).fillna(False)
        if share.any():
            problems.add(files["benchmarks"], "benchmark_share_invalid", rows=bench.index[share], column="value",
                         values=bench.loc[share, "value"])



def _name_cells(cells: pd.DataFrame) -> pd.Series:
    """Every non-empty cell of ``cells``, and each part of a cell listing several names
    (separated by ``;``, ``/``, ``|`` or a line break), as one Series of strings.
    """
    values = pd.Series(cells.to_numpy().ravel(), dtype="string").str.strip()
    values = values[values.notna() & (values != "")]
    parts = values.str.split(r"\s*[;/|\n]\s*", regex=True).explode().astype("string").str.strip()
    out = pd.concat([values, parts[parts.notna() & (parts != "")]], ignore_index=True)
    return out.drop_duplicates().reset_index(drop=True)



def _drop_extra_columns(raw: pd.DataFrame, schema: Schema, file: str, ignored: Problems, *,
                        sources: dict[str, tuple[str, str, int]] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Drop the columns of ``raw`` that are not in ``schema``, recording each in ``ignored``;
    return the kept columns and the names held by the dropped name columns.

    ``sources``, if given, receives where each name was first read: folded name → (file,
    column, spreadsheet row), for messages that must say where a name came from.
    """
    wanted = {c.name for c in schema.columns}
    extra = [c for c in dict.fromkeys(raw.columns) if c not in wanted]
    if not extra:
        return raw, pd.Series([], dtype="string")
    named = [c for c in extra if holds_names(c, _cells_of(raw, [c]).droplevel(1))]
    for column in extra:
        ignored.add(file, "column_ignored_names" if column in named else "column_ignored", column=column)
    log.info("%s: %d column(s) not in the data model, not read: %s", file, len(extra), ", ".join(map(repr, extra)))
    names = _name_cells(raw.loc[:, raw.columns.isin(named)]) if named else pd.Series([], dtype="string")
    if sources is not None and named:
        cells = _cells_of(raw, named)
        cells = cells[cells.astype(str).str.strip() != ""]
        keys = cells.astype(str).map(fold_key)
        for (row, column), key in keys[~keys.duplicated()].items():
            sources.setdefault(key, (file, str(column), int(row)))
    return raw.loc[:, ~raw.columns.isin(extra)], names


def _cells_of(raw: pd.DataFrame, columns: list) -> pd.Series:
    """The filled cells of the ``columns`` of ``raw``, indexed by (row, column), row by row. By
    position: an export may repeat a header (``DataFrame.stack`` refuses repeated labels).
    """
    mask = raw.columns.isin(columns)
    block = raw.loc[:, mask]
    values = pd.Series(block.to_numpy().ravel(), dtype=object,
                       index=pd.MultiIndex.from_product([raw.index, raw.columns[mask]]))
    return values[values.notna()]

"""Load and validate the raw tables: accompaniments, actors, events, attendance,
collaborations, testimonies.

Each table is one file in the data folder, ``<table>.csv`` or ``<table>.xlsx``, as
evaluators export them: ``;`` or ``,`` separators, UTF-8 (with or without BOM) or
Windows-1252, ``dd/mm/yyyy`` or ISO dates, decimal commas. Every problem in every file
is collected in one pass and raised as one :class:`~evaluation.errors.ValidationError`
whose table names the file, the row as the user sees it in a spreadsheet (the header is
row 1), the column and the value. Nothing is written when validation fails.

Validated, typed tables are cached as parquet in ``data/processed/`` under a key made of
the content hashes of the input files and of the commune reference; they are reused
while those inputs are unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ._io import atomic_dir, sha256_file
from .config import get_paths
from .errors import PROBLEM_COLUMNS, ValidationError

__all__ = [
    "Column",
    "Schema",
    "SCHEMAS",
    "TABLES",
    "Dataset",
    "read_raw",
    "parse_table",
    "validate_tables",
    "load_dataset",
    "split_themes",
    "COLUMN_ALIASES",
    "normalise_name",
    "canonical_columns",
]

log = logging.getLogger(__name__)

Kind = Literal["id", "text", "commune", "bool", "date", "int", "float", "choice"]
SCHEMA_VERSION = "1"

COLLABORATION_KINDS = ("joint_project", "partnership", "purchase", "pooling")
#: Ordered intensity scale of network-evaluation surveys.
INTENSITY_LEVELS = ("awareness", "cooperation", "coordination", "integration")

TRUE_WORDS = {"1", "true", "vrai", "oui", "o", "yes", "y", "x"}
FALSE_WORDS = {"0", "false", "faux", "non", "n", "no"}
EARLIEST_DATE = pd.Timestamp("1990-01-01")


@dataclass(frozen=True)
class Column:
    """One column of a raw table.

    ``required`` columns must be present; ``nullable`` columns may have empty cells.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None


@dataclass(frozen=True)
class Schema:
    """A raw table: its columns and the columns whose values must be unique together."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required_file: bool = False


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in [
        Schema(
            "accompaniments",
            (
                Column("accompaniment_id", "id"),
                Column("structure_id", "id"),
                Column("programme", "text"),
                Column("commune_code", "commune"),
                Column("in_qpv", "bool"),
                Column("start_date", "date"),
                Column("end_date", "date", nullable=True),
                Column("sector", "text", nullable=True),
                Column("jobs_created", "int", nullable=True, min_value=0),
                Column("jobs_maintained", "int", nullable=True, min_value=0),
                Column("structure_name", "text", required=False, nullable=True),
            ),
            key=("accompaniment_id",),
            required_file=True,
        ),
        Schema(
            "actors",
            (
                Column("actor_id", "id"),
                Column("name", "text", nullable=True),
                Column("kind", "text"),
                Column("sector", "text", nullable=True),
                Column("commune_code", "commune"),
                Column("in_qpv", "bool"),
            ),
            key=("actor_id",),
        ),
        Schema(
            "events",
            (
                Column("event_id", "id"),
                Column("date", "date"),
                Column("kind", "text"),
                Column("commune_code", "commune"),
                Column("organiser", "id", nullable=True),
                Column("title", "text", required=False, nullable=True),
            ),
            key=("event_id",),
        ),
        Schema("attendance", (Column("event_id", "id"), Column("actor_id", "id")),
               key=("event_id", "actor_id")),
        Schema(
            "collaborations",
            (
                Column("actor_a", "id"),
                Column("actor_b", "id"),
                Column("start_date", "date"),
                Column("end_date", "date", required=False, nullable=True),
                Column("kind", "choice", choices=COLLABORATION_KINDS),
                Column("source", "text", nullable=True),
                Column("intensity", "choice", required=False, nullable=True, choices=INTENSITY_LEVELS),
            ),
        ),
        Schema(
            "testimonies",
            (
                Column("testimony_id", "id"),
                Column("date", "date"),
                Column("actor_kind", "text"),
                Column("territory", "text"),
                Column("themes", "text"),
                Column("text", "text"),
            ),
            key=("testimony_id",),
        ),
    ]
}
TABLES = tuple(SCHEMAS)

#: Column names evaluators' French exports use, per table, mapped to the schema's names.
#: Names are compared after :func:`normalise_name` (lower case, no accents, ``_`` for
#: spaces and punctuation), so ``Code INSEE``, ``code_insee`` and ``CODE-INSEE`` match.
_COMMUNE = ("code_commune", "code_insee", "codgeo", "insee", "code_geo", "commune_insee")
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accompaniments": {
        "accompaniment_id": ("id_accompagnement", "identifiant_accompagnement", "n_accompagnement"),
        "structure_id": ("id_structure", "identifiant_structure"),
        "structure_name": ("nom_structure", "raison_sociale", "structure"),
        "programme": ("dispositif", "type_accompagnement"),
        "commune_code": _COMMUNE,
        "in_qpv": ("qpv", "en_qpv", "quartier_prioritaire"),
        "start_date": ("date_debut", "debut", "date_de_debut"),
        "end_date": ("date_fin", "fin", "date_de_fin"),
        "sector": ("secteur", "secteur_activite", "domaine"),
        "jobs_created": ("emplois_crees", "nb_emplois_crees"),
        "jobs_maintained": ("emplois_maintenus", "nb_emplois_maintenus"),
    },
    "actors": {
        "actor_id": ("id_acteur", "identifiant_acteur"),
        "name": ("nom", "raison_sociale", "nom_acteur"),
        "kind": ("type", "type_acteur", "categorie"),
        "sector": ("secteur", "secteur_activite"),
        "commune_code": _COMMUNE,
        "in_qpv": ("qpv", "en_qpv", "quartier_prioritaire"),
    },
    "events": {
        "event_id": ("id_evenement", "id_rencontre", "identifiant_evenement"),
        "kind": ("type", "type_evenement", "format"),
        "commune_code": _COMMUNE,
        "organiser": ("organisateur", "id_organisateur"),
        "title": ("titre", "intitule"),
    },
    "attendance": {"event_id": ("id_evenement", "id_rencontre"), "actor_id": ("id_acteur",)},
    "collaborations": {
        "actor_a": ("acteur_a", "id_acteur_a"), "actor_b": ("acteur_b", "id_acteur_b"),
        "start_date": ("date_debut", "debut"), "end_date": ("date_fin", "fin"),
        "kind": ("type", "type_collaboration", "nature"), "intensity": ("intensite",),
    },
    "testimonies": {
        "testimony_id": ("id_temoignage", "identifiant_temoignage"),
        "actor_kind": ("type_acteur", "profil"), "territory": ("territoire",),
        "themes": ("theme", "thematiques"), "text": ("texte", "citation", "verbatim", "temoignage"),
    },
}


def normalise_name(name: object) -> str:
    """``" Code INSEE "`` → ``"code_insee"``: lower case, no accents, ``_`` between words."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def canonical_columns(columns: Sequence[str], table: str) -> dict[str, str]:
    """Renaming from a file's column names to the schema's: exact names after
    :func:`normalise_name`, then the French aliases of :data:`COLUMN_ALIASES`.

    A schema column already present is never taken by an alias.
    """
    wanted = {c.name for c in SCHEMAS[table].columns}
    lookup = {canonical: canonical for canonical in wanted}
    for canonical, aliases in COLUMN_ALIASES.get(table, {}).items():
        lookup.update({alias: canonical for alias in aliases})
    mapping, taken = {}, set()
    normalised = {col: normalise_name(col) for col in columns}
    for col, norm in normalised.items():  # exact names first
        if norm in wanted and norm not in taken:
            mapping[col], taken = norm, taken | {norm}
    for col, norm in normalised.items():
        target = lookup.get(norm)
        if col not in mapping and target and target not in taken:
            mapping[col], taken = target, taken | {target}
    return {k: v for k, v in mapping.items() if k != v}


# --------------------------------------------------------------------------- reading
def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"  # pragma: no cover - latin-1 decodes any byte


def _cell_text(values: pd.Series) -> pd.Series:
    """Spreadsheet cells (numbers, datetimes, text) as the text a user sees."""

    def one(v: object) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return ""
        if isinstance(v, (dt.datetime, pd.Timestamp)):
            return v.strftime("%d/%m/%Y")
        if isinstance(v, dt.date):
            return v.strftime("%d/%m/%Y")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return values.map(one).astype(object)


def read_raw(path: Path | str) -> pd.DataFrame:
    """Read one raw CSV or XLSX file as text cells, without interpreting values.

    Column names are stripped; fully empty rows and unnamed empty columns (trailing
    separators) are dropped. The index is the row number as a spreadsheet shows it
    (header = 1). The separator and encoding of a CSV are detected and logged.
    """
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        frame = pd.read_excel(path, dtype=object, header=0)
        frame = frame.apply(_cell_text)
    else:
        text, encoding = _decode(path.read_bytes())
        first = text.split("\n", 1)[0]
        sep = max([";", ",", "\t"], key=first.count)
        log.info("%s: encoding %s, separator %r", path.name, encoding, sep)
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
        frame = frame.astype(object)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.astype(str).str.strip())
    empty_cols = [c for c in frame.columns if c.startswith("Unnamed:") and (frame[c] == "").all()]
    frame = frame.drop(columns=empty_cols)
    return frame.loc[~(frame == "").all(axis=1)]


# --------------------------------------------------------------------------- parsing
class _Problems:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, file: str, rows: pd.Index | list | None, column: str | None, values, problem: str) -> None:
        if rows is None:
            self.rows.append({"file": file, "row": None, "column": column, "value": None, "problem": problem})
            return
        values = list(values) if values is not None else [None] * len(rows)
        self.rows.extend({"file": file, "row": int(r), "column": column, "value": v, "problem": problem}
                         for r, v in zip(rows, values))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=PROBLEM_COLUMNS)
        out["row"] = out["row"].astype("Int64")
        return out


def _parse_number(text: pd.Series) -> pd.Series:
    cleaned = (text.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
               .str.replace(",", ".", regex=False))
    return pd.to_numeric(cleaned.replace("", None), errors="coerce")


def _parse_date(text: pd.Series) -> pd.Series:
    out = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    for fmt in ("%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"):
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def _parse_column(col: Column, text: pd.Series, *, file: str, problems: _Problems,
                  commune_codes: frozenset[str] | None) -> pd.Series:
    empty = text == ""
    if not col.nullable and empty.any():
        problems.add(file, text.index[empty], col.name, None, "empty value in a required column")
    kind = col.kind
    if kind in ("id", "text"):
        return text.mask(empty).astype("string")
    if kind == "choice":
        norm = text.str.lower().str.replace(r"[\s-]+", "_", regex=True)
        bad = ~empty & ~norm.isin(col.choices)
        if bad.any():
            problems.add(file, text.index[bad], col.name, text[bad],
                         f"unknown value; expected one of {', '.join(col.choices)}")
        return pd.Categorical(norm.mask(empty | bad), categories=col.choices,
                              ordered=col.choices == INTENSITY_LEVELS)
    if kind == "commune":
        code = text.str.upper()
        repair = code.str.fullmatch(r"\d{4}")
        if repair.any():
            log.warning("%s: %d commune codes had lost their leading zero and were repaired",
                        file, int(repair.sum()))
            code = code.mask(repair, "0" + code)
        bad_form = ~empty & ~code.str.fullmatch(r"\d[\dAB]\d{3}")
        if bad_form.any():
            problems.add(file, text.index[bad_form], col.name, text[bad_form],
                         "not an INSEE commune code (5 characters, e.g. 21166)")
        if commune_codes is not None:
            unknown = ~empty & ~bad_form & ~code.isin(commune_codes)
            if unknown.any():
                problems.add(file, text.index[unknown], col.name, text[unknown],
                             "commune code not in the commune reference")
        return code.mask(empty).astype("string")
    if kind == "bool":
        low = text.str.lower()
        bad = ~empty & ~low.isin(TRUE_WORDS | FALSE_WORDS)
        if bad.any():
            problems.add(file, text.index[bad], col.name, text[bad], "expected oui/non (or true/false, 1/0)")
        return low.map(lambda v: True if v in TRUE_WORDS else (False if v in FALSE_WORDS else pd.NA)).astype("boolean")
    if kind == "date":
        parsed = _parse_date(text)
        bad = ~empty & parsed.isna()
        if bad.any():
            problems.add(file, text.index[bad], col.name, text[bad], "not a date (expected dd/mm/yyyy)")
        latest = pd.Timestamp(dt.date.today()) + pd.DateOffset(years=1)
        out_of_range = parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed > latest))
        if out_of_range.any():
            problems.add(file, text.index[out_of_range], col.name, text[out_of_range],
                         f"date out of range ({EARLIEST_DATE:%d/%m/%Y} to {latest:%d/%m/%Y})")
        return parsed.astype("datetime64[ns]")
    number = _parse_number(text)
    bad = ~empty & number.isna()
    if kind == "int":
        bad |= number.notna() & (number % 1 != 0)
    if bad.any():
        problems.add(file, text.index[bad], col.name, text[bad],
                     "not a whole number" if kind == "int" else "not a number")
    if col.min_value is not None:
        low = number.notna() & (number < col.min_value)
        if low.any():
            problems.add(file, text.index[low], col.name, text[low], f"must be ≥ {col.min_value:g}")
    number = number.mask(bad)
    return number.round().astype("Int64") if kind == "int" else number.astype("Float64")


def parse_table(raw: pd.DataFrame, schema: Schema, *, file: str, problems: _Problems | None = None,
                commune_codes: frozenset[str] | None = None) -> pd.DataFrame:
    """Type the text cells of one raw table according to its schema.

    Problems (missing or duplicated columns, unparsable values, duplicated keys, end
    before start) are added to ``problems``; when called without it, they are raised as
    a :class:`ValidationError`. Unknown extra columns are kept as text.
    """
    own = problems is None
    problems = problems if problems is not None else _Problems()
    dup_cols = raw.columns[raw.columns.duplicated()].unique().tolist()
    for c in dup_cols:
        problems.add(file, None, c, None, "column appears more than once")
    raw = raw.loc[:, ~raw.columns.duplicated()]
    out = {}
    for col in schema.columns:
        if col.name not in raw.columns:
            if col.required:
                problems.add(file, None, col.name, None,
                             f"missing column (found: {', '.join(raw.columns) or 'none'})")
            continue
        out[col.name] = _parse_column(col, raw[col.name], file=file, problems=problems,
                                      commune_codes=commune_codes)
    known = {c.name for c in schema.columns}
    for extra in (c for c in raw.columns if c not in known):
        out[extra] = raw[extra].replace("", None).astype("string")
    table = pd.DataFrame(out, index=raw.index)
    if schema.key and all(k in table for k in schema.key):
        dup = table.duplicated(list(schema.key), keep=False) & table[list(schema.key)].notna().all(axis=1)
        if dup.any():
            values = table.loc[dup, list(schema.key)].astype(str).agg(" / ".join, axis=1)
            problems.add(file, table.index[dup], " / ".join(schema.key), values, "duplicated identifier")
    if {"start_date", "end_date"} <= set(table):
        bad = table["end_date"] < table["start_date"]
        if bad.any():
            problems.add(file, table.index[bad], "end_date", table.loc[bad, "end_date"].dt.strftime("%d/%m/%Y"),
                         "end date before start date")
    if own and problems.rows:
        raise ValidationError(problems.frame())
    return table


def _check_references(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: _Problems) -> None:
    def refs(table: str, column: str, target: str, target_col: str) -> None:
        if table not in tables or target not in tables or column not in tables[table]:
            return
        values = tables[table][column]
        bad = values.notna() & ~values.isin(tables[target][target_col].dropna())
        if bad.any():
            problems.add(files[table], values.index[bad], column, values[bad],
                         f"unknown {target_col} (not in {files[target]})")

    refs("attendance", "event_id", "events", "event_id")
    refs("attendance", "actor_id", "actors", "actor_id")
    refs("events", "organiser", "actors", "actor_id")
    refs("collaborations", "actor_a", "actors", "actor_id")
    refs("collaborations", "actor_b", "actors", "actor_id")
    for dependent, needs in [("attendance", ("events", "actors")), ("collaborations", ("actors",))]:
        for need in needs:
            if dependent in tables and need not in tables:
                problems.add(files[dependent], None, None, None, f"needs the {need} table, which is missing")
    collab = tables.get("collaborations")
    if collab is not None and {"actor_a", "actor_b"} <= set(collab):
        self_tie = collab["actor_a"] == collab["actor_b"]
        if self_tie.any():
            problems.add(files["collaborations"], collab.index[self_tie.fillna(False)], "actor_b",
                         collab.loc[self_tie.fillna(False), "actor_b"], "an actor cannot collaborate with itself")
        lo = np.minimum(collab["actor_a"].astype(str), collab["actor_b"].astype(str))
        hi = np.maximum(collab["actor_a"].astype(str), collab["actor_b"].astype(str))
        pair = pd.DataFrame({"lo": lo, "hi": hi, "kind": collab.get("kind"),
                             "start": collab.get("start_date")}, index=collab.index)
        dup = pair.duplicated(keep=False)
        if dup.any():
            problems.add(files["collaborations"], collab.index[dup], "actor_a / actor_b",
                         (lo[dup] + " – " + hi[dup]), "the same tie is declared twice (same kind and date)")


def split_themes(themes: pd.Series) -> pd.Series:
    """Split a themes column (``|``, ``;`` or ``,`` separated) into lists of lower-case themes."""
    return themes.fillna("").str.lower().str.split(r"\s*[|;,]\s*", regex=True).map(
        lambda xs: [x for x in xs if x])


# --------------------------------------------------------------------------- dataset
@dataclass
class Dataset:
    """The validated raw tables of one data folder.

    ``files`` maps each table to the file it was read from and that file's SHA-256, for
    provenance. Tables whose file is absent are empty, typed frames.
    """

    tables: dict[str, pd.DataFrame]
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    data_dir: Path | None = None
    from_cache: bool = False

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.tables[name]
        raise AttributeError(name)


def _find_files(data_dir: Path, problems: _Problems) -> dict[str, Path]:
    found = {}
    for name, schema in SCHEMAS.items():
        candidates = [p for ext in ("csv", "xlsx") for p in [data_dir / f"{name}.{ext}"] if p.is_file()]
        if len(candidates) > 1:
            problems.add(f"{name}.csv / {name}.xlsx", None, None, None,
                         "two files for the same table: keep only one")
        elif candidates:
            found[name] = candidates[0]
        elif schema.required_file:
            problems.add(f"{name}.csv", None, None, None, f"file not found in {data_dir}")
    return found


def _empty_table(schema: Schema) -> pd.DataFrame:
    return parse_table(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in schema.columns if c.required}),
                       schema, file=schema.name)


def validate_tables(data_dir: Path | str, *, commune_codes: frozenset[str] | None = None,
                    ) -> tuple[dict[str, pd.DataFrame], dict[str, Path]]:
    """Read, type and cross-check every table of a data folder; raise on any problem.

    Returns the typed tables and the files they came from. Raises one
    :class:`ValidationError` listing every problem of every file.
    """
    data_dir = Path(data_dir)
    problems = _Problems()
    if not data_dir.is_dir():
        problems.add(str(data_dir), None, None, None, "data folder not found")
        raise ValidationError(problems.frame())
    paths = _find_files(data_dir, problems)
    tables: dict[str, pd.DataFrame] = {}
    for name, path in paths.items():
        try:
            raw = read_raw(path)
        except Exception as exc:  # unreadable file: report it, keep checking the others
            problems.add(path.name, None, None, None, f"cannot read the file: {exc}")
            continue
        if raw.empty:
            problems.add(path.name, None, None, None, "the file has no data rows")
            continue
        renamed = canonical_columns(list(raw.columns), name)
        if renamed:
            log.info("%s: columns read as %s", path.name, ", ".join(f"{a!r} → {b}" for a, b in renamed.items()))
            raw = raw.rename(columns=renamed)
        tables[name] = parse_table(raw, SCHEMAS[name], file=path.name, problems=problems,
                                   commune_codes=commune_codes)
    _check_references(tables, {n: p.name for n, p in paths.items()}, problems)
    if problems.rows:
        raise ValidationError(problems.frame())
    for name, schema in SCHEMAS.items():
        tables.setdefault(name, _empty_table(schema))
    return tables, paths


def _cache_key(paths: dict[str, Path], reference_file: Path | None) -> str:
    h = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    for name in sorted(paths):
        h.update(f"{name} {paths[name].suffix} {sha256_file(paths[name])}\n".encode())
    if reference_file is not None and reference_file.is_file():
        h.update(f"reference {sha256_file(reference_file)}\n".encode())
    return h.hexdigest()[:16]


def load_dataset(data_dir: Path | str | None = None, *, reference: pd.DataFrame | None = None,
                 reference_dir: Path | str | None = None, processed_dir: Path | str | None = None,
                 use_cache: bool = True) -> Dataset:
    """Load, validate and cache the raw tables of a data folder.

    Parameters
    ----------
    data_dir
        Folder with ``accompaniments.csv|xlsx`` and, optionally, the other tables
        (default: the bundled illustrative sample ``data/raw/sample``).
    reference
        The commune reference (default: loaded from ``reference_dir``); commune codes
        not in it are errors.
    processed_dir
        Where typed tables are cached (default ``data/processed``).
    use_cache
        Reuse cached tables when the input files' hashes match.
    """
    from .reference import REFERENCE_CSV, load_reference

    paths_cfg = get_paths()
    data_dir = Path(data_dir) if data_dir is not None else paths_cfg.sample
    ref_dir = Path(reference_dir) if reference_dir is not None else paths_cfg.reference
    if reference is None:
        reference = load_reference(ref_dir)
    codes = frozenset(reference["commune_code"])
    processed = Path(processed_dir) if processed_dir is not None else paths_cfg.processed

    files_found = {n: p for n in TABLES for ext in ("csv", "xlsx")
                   for p in [data_dir / f"{n}.{ext}"] if p.is_file()}
    key = _cache_key(files_found, ref_dir / REFERENCE_CSV)
    cache = processed / f"{data_dir.name}-{key}"
    manifest = cache / "manifest.json"
    if use_cache and manifest.is_file():
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        tables = {n: pd.read_parquet(cache / f"{n}.parquet") for n in TABLES}
        return Dataset(tables, meta["files"], data_dir, from_cache=True)

    tables, paths = validate_tables(data_dir, commune_codes=codes)
    files = {n: {"file": p.name, "sha256": sha256_file(p)} for n, p in paths.items()}
    if use_cache:
        with atomic_dir(cache) as tmp:
            for name, table in tables.items():
                table.to_parquet(tmp / f"{name}.parquet")
            (tmp / "manifest.json").write_text(json.dumps({"files": files, "key": key}, indent=2),
                                               encoding="utf-8")
    return Dataset(tables, files, data_dir)

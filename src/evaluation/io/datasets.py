"""Load and validate the raw tables: accompaniments, actors, events, attendance,
collaborations, testimonies.

Each table is one file in the data folder, ``<table>.csv`` or ``<table>.xlsx``, as
evaluators export them: ``;`` or ``,`` separators, UTF-8 (with or without BOM) or
Windows-1252, ``dd/mm/yyyy`` or ISO dates, decimal commas and thousands separators,
title rows above the column names, French column names. Every problem in every file is
collected in one pass and raised as one :class:`~evaluation.errors.ValidationError` whose
table names the file, the row as the user sees it in a spreadsheet (the header is row 1),
the column, the value, what is wrong and how to fix it. Nothing is written when
validation fails; raw files are only ever opened for reading.

Names of actors and structures are replaced by keyed pseudonyms as soon as the tables
are validated (:mod:`evaluation.io.pseudonyms`).

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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from evaluation._io import atomic_dir, decode_text, sha256_file
from evaluation.config import get_paths
from evaluation.errors import ValidationError
from evaluation.problems import Lang, Problems, render_problems
from evaluation.io.pseudonyms import PseudonymKey, pseudonymise, redact_names, resolve_key

__all__ = [
    "Column",
    "Schema",
    "SCHEMAS",
    "TABLES",
    "Dataset",
    "ReadOptions",
    "read_raw",
    "parse_table",
    "validate_tables",
    "load_dataset",
    "split_themes",
    "pseudonymise_tables",
    "NAME_COLUMNS",
    "COLUMN_ALIASES",
    "SHARED_ALIASES",
    "TABLE_ALIASES",
    "VALUE_ALIASES",
    "PROGRAMMES",
    "ACTOR_KINDS",
    "COLLABORATION_KINDS",
    "INTENSITY_LEVELS",
    "normalise_name",
    "normalise_names",
    "canonical_columns",
    "choice_lookup",
    "holds_names",
    "raw_names",
]

log = logging.getLogger(__name__)

Kind = Literal["id", "text", "commune", "bool", "date", "int", "float", "choice"]
SCHEMA_VERSION = "2"

#: Programmes of the support organisation (``tables.PROGRAMME_LABELS`` gives their French names).
PROGRAMMES = ("creation", "development", "dla", "tiers_lieu")
#: Kinds of local actors (``tables.KIND_LABELS`` gives their French names).
ACTOR_KINDS = ("association", "ess_enterprise", "business", "local_authority", "social_landlord",
               "residents_group", "institution")
COLLABORATION_KINDS = ("joint_project", "partnership", "purchase", "pooling")
#: Ordered intensity scale of network-evaluation surveys.
INTENSITY_LEVELS = ("awareness", "cooperation", "coordination", "integration")

#: French (and spelled-out) words read as each code of a coded column. Values are compared
#: after :func:`normalise_name` (case, accents, spaces, hyphens and apostrophes folded), so
#: ``Tiers-lieu``, ``TIERS LIEU`` and ``tiers_lieu`` are the same value; the code itself is
#: always accepted. The first word of each entry is the French name shown in problems.
VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    # programmes
    "creation": ("Création", "Création d'activité", "Création d'entreprise", "Création d'activités"),
    "development": ("Développement", "Développement d'activité", "Consolidation"),
    "dla": ("DLA", "Dispositif local d'accompagnement"),
    "tiers_lieu": ("Tiers-lieu", "Tiers lieux", "Tiers-lieux"),
    # collaboration kinds
    "joint_project": ("Projet commun", "Projets communs", "Projet partagé", "Projet en commun"),
    "partnership": ("Partenariat", "Partenariats"),
    "purchase": ("Achat", "Achats", "Prestation", "Achat de prestation"),
    "pooling": ("Mutualisation", "Mutualisations", "Mise en commun"),
    # intensity of a tie, weakest to strongest
    "awareness": ("Connaissance", "Interconnaissance", "Connaissance mutuelle"),
    "cooperation": ("Coopération",),
    "coordination": ("Coordination",),
    "integration": ("Intégration",),
    # actor kinds
    "association": ("Association", "Asso"),
    "ess_enterprise": ("Entreprise de l'ESS", "Entreprise ESS", "Structure de l'ESS",
                       "Entreprise de l'économie sociale et solidaire"),
    "business": ("Entreprise", "Entreprise privée", "Entreprise classique", "Commerce"),
    "local_authority": ("Collectivité", "Collectivité territoriale", "Collectivité locale"),
    "social_landlord": ("Bailleur social", "Bailleur", "Bailleurs sociaux"),
    "residents_group": ("Collectif d'habitants", "Collectif habitants", "Groupe d'habitants",
                        "Association d'habitants"),
    "institution": ("Institution", "Institution publique", "Établissement public"),
}

#: Yes/no cells, compared after :func:`normalise_name` (``OUI``, `` Oui `` and ``oui`` are one value).
TRUE_WORDS = {"1", "true", "vrai", "oui", "o", "yes", "y", "x"}
FALSE_WORDS = {"0", "false", "faux", "non", "n", "no"}
EARLIEST_DATE = pd.Timestamp("1990-01-01")


@dataclass(frozen=True)
class Column:
    """One column of a raw table.

    ``required`` columns must be present; ``nullable`` columns may have empty cells.
    A ``choice`` column holds one of ``choices`` (or a word of :data:`VALUE_ALIASES` for
    it), as a categorical (ordered when the choices are a scale) if ``categorical``, else
    as plain strings.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    categorical: bool = True


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
                Column("programme", "choice", choices=PROGRAMMES, categorical=False),
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
                Column("kind", "choice", choices=ACTOR_KINDS, categorical=False),
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

#: French column names of evaluators' exports for a schema column, in every table that has
#: that column (``Date de début`` is ``start_date`` in accompaniments and in collaborations).
#: Names are compared after :func:`normalise_name` (lower case, no accents, ``_`` for
#: spaces and punctuation), so ``Code INSEE``, ``code_insee`` and ``CODE-INSEE`` match.
SHARED_ALIASES: dict[str, tuple[str, ...]] = {
    "commune_code": ("code_commune", "code_insee", "codgeo", "insee", "code_geo", "commune_insee",
                     "code_insee_commune", "code_officiel_geographique"),
    "in_qpv": ("qpv", "en_qpv", "quartier_prioritaire", "quartier_prioritaire_de_la_ville"),
    "start_date": ("date_debut", "debut", "date_de_debut", "date_demarrage", "date_de_demarrage"),
    "end_date": ("date_fin", "fin", "date_de_fin", "date_cloture", "date_de_cloture"),
    "sector": ("secteur", "secteur_activite", "secteur_d_activite", "domaine", "domaine_d_activite"),
    "kind": ("type", "nature", "categorie"),
    "date": ("jour",),
    "event_id": ("id_evenement", "id_rencontre", "identifiant_evenement", "n_evenement"),
    "actor_id": ("id_acteur", "identifiant_acteur", "n_acteur"),
}
#: French column names whose meaning depends on the table (an actor's ``kind`` is not an event's).
TABLE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accompaniments": {
        "accompaniment_id": ("id_accompagnement", "identifiant_accompagnement", "n_accompagnement"),
        "structure_id": ("id_structure", "identifiant_structure", "n_structure"),
        "structure_name": ("nom_structure", "raison_sociale", "structure", "nom_de_la_structure"),
        "programme": ("dispositif", "type_accompagnement", "type_d_accompagnement", "programme_d_accompagnement"),
        "jobs_created": ("emplois_crees", "nb_emplois_crees", "nombre_d_emplois_crees"),
        "jobs_maintained": ("emplois_maintenus", "nb_emplois_maintenus", "nombre_d_emplois_maintenus"),
    },
    "actors": {
        "name": ("nom", "raison_sociale", "nom_acteur", "nom_de_l_acteur"),
        "kind": ("type_acteur", "type_d_acteur", "categorie_d_acteur", "type_de_structure"),
    },
    "events": {
        "kind": ("type_evenement", "type_d_evenement", "format"),
        "organiser": ("organisateur", "id_organisateur"),
        "title": ("titre", "intitule"),
        "date": ("date_evenement", "date_de_l_evenement"),
    },
    "collaborations": {
        "actor_a": ("acteur_a", "id_acteur_a"), "actor_b": ("acteur_b", "id_acteur_b"),
        "kind": ("type_collaboration", "type_de_collaboration", "nature_de_la_collaboration"),
        "intensity": ("intensite", "niveau", "intensite_du_lien"),
    },
    "testimonies": {
        "testimony_id": ("id_temoignage", "identifiant_temoignage"),
        "actor_kind": ("type_acteur", "profil"), "territory": ("territoire",),
        "themes": ("theme", "thematiques"), "text": ("texte", "citation", "verbatim", "temoignage"),
        "date": ("date_temoignage", "date_du_temoignage"),
    },
}


def _table_aliases(table: str) -> dict[str, tuple[str, ...]]:
    columns = [c.name for c in SCHEMAS[table].columns]
    own = TABLE_ALIASES.get(table, {})
    return {c: SHARED_ALIASES.get(c, ()) + own.get(c, ()) for c in columns
            if SHARED_ALIASES.get(c) or own.get(c)}


#: Every French column name read, per table: :data:`SHARED_ALIASES` for each of the table's
#: columns, then the table's own :data:`TABLE_ALIASES`.
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {t: _table_aliases(t) for t in SCHEMAS}


#: Characters NFKD does not reduce to ASCII but a French writer uses for ASCII ones: typographic
#: apostrophes (``d’habitants`` is ``d'habitants``) and ligatures (``Œuvre`` is ``Oeuvre``).
_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "œ": "oe", "Œ": "OE", "æ": "ae",
                       "Æ": "AE"})


def normalise_name(name: object) -> str:
    """``" Code INSEE "`` → ``"code_insee"``: lower case, no accents, ``_`` between words.

    Typographic apostrophes fold like ``'`` and ligatures to their letters
    (``"Collectif d’habitants"`` and ``"collectif d'habitants"`` are one name).
    """
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(name).translate(_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def normalise_names(names: pd.Series) -> pd.Series:
    """:func:`normalise_name` on a whole Series at once (missing values stay missing)."""
    plain = (names.astype("string").str.translate(_FOLD).str.normalize("NFKD").str.encode("ascii", "ignore")
             .str.decode("ascii").astype("string").str.lower())
    return plain.str.replace(r"[^a-z0-9]+", "_", regex=True).str.strip("_")


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
    return names


def _header_score(cells: Sequence[object], known: set[str]) -> int:
    return len({normalise_name(c) for c in cells if str(c).strip()} & known)


def _pick_header(rows: Sequence[Sequence[object]], known: set[str]) -> int:
    """0-based index of the row with the most known column names (the first row if none)."""
    scores = [_header_score(r, known) for r in rows[:HEADER_SEARCH_ROWS]]
    return int(np.argmax(scores)) if scores and max(scores) >= min(2, len(known)) else 0


def _read_xlsx(path: Path, options: ReadOptions, known: set[str]) -> tuple[pd.DataFrame, int]:
    sheets = pd.read_excel(path, sheet_name=None if options.sheet is None else [options.sheet], header=None,
                           dtype=object)
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


# --------------------------------------------------------------------------- parsing
def _parse_number(text: pd.Series) -> pd.Series:
    """French or English numbers: ``1 234,5``, ``1.234,5``, ``1234.5`` → 1234.5."""
    cleaned = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    comma = cleaned.str.contains(",", regex=False)
    cleaned = cleaned.mask(comma, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(cleaned.replace("", None), errors="coerce")


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


def _commune(col: Column, text: pd.Series, empty: pd.Series, checks: _Checks) -> pd.Series:
    code = text.str.upper()
    repair = code.str.fullmatch(r"\d{4}")
    if repair.any():
        log.warning("%s: %d commune codes had lost their leading zero and were repaired",
                    checks.file, int(repair.sum()))
        checks.notices.add(checks.file, "leading_zero_repaired", rows=text.index[repair], column=col.name,
                           values=text[repair])
        code = code.mask(repair, "0" + code)
    bad_form = ~empty & ~code.str.fullmatch(r"\d[\dAB]\d{3}")
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
        gone = unknown & ~merged
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


def choice_lookup(choices: Sequence[str]) -> dict[str, str]:
    """Folded spelling (:func:`normalise_name`) → code, for the codes ``choices`` and their
    French words in :data:`VALUE_ALIASES`."""
    return {normalise_name(word): code for code in choices for word in (code, *VALUE_ALIASES.get(code, ()))}


def _aliases(table: str, column: str) -> dict[str, str]:
    names = COLUMN_ALIASES.get(table, {}).get(column, ())
    if not names:
        return {"aliases_en": "", "aliases_fr": ""}
    shown = ", ".join(names[:3])
    return {"aliases_en": f" (or a French name such as {shown})", "aliases_fr": f" (ou un nom français comme {shown})"}


def parse_table(raw: pd.DataFrame, schema: Schema, *, file: str, problems: Problems | None = None,
                notices: Problems | None = None, commune_codes: frozenset[str] | None = None,
                former_communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Type the text cells of one raw table according to its schema.

    Problems (missing or duplicated columns, unparsable values, duplicated keys, end
    before start, unknown or merged communes) are added to ``problems``; when called
    without it, they are raised as a :class:`ValidationError`. Automatic repairs (lost
    leading zeros) are added to ``notices``. Columns not in the schema are left out
    (:func:`validate_tables` lists them).
    """
    own = problems is None
    checks = _Checks(file, problems if problems is not None else Problems(),
                     notices if notices is not None else Problems(), commune_codes, former_communes)
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
        out[col.name] = _parse_column(col, raw[col.name], checks)
    table = pd.DataFrame(out, index=raw.index)
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
    if own and checks.problems:
        raise ValidationError(checks.problems.frame())
    return table


def _check_references(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems,
                      territories: Collection[str] | None, territories_file: str) -> None:
    def refs(table: str, column: str, target: str, target_col: str, code: str) -> None:
        if table not in tables or target not in tables or column not in tables[table]:
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
    testimonies = tables.get("testimonies")
    if territories is not None and testimonies is not None and "territory" in testimonies:
        where = testimonies["territory"]
        bad = where.notna() & ~where.isin(list(territories))
        if bad.any():
            known = sorted(territories)
            slugs = ", ".join(known[:8]) + (f"… ({len(known)} in all)" if len(known) > 8 else "")
            problems.add(files["testimonies"], "territory_unknown", rows=where.index[bad], column="territory",
                         values=where[bad], target=territories_file, slugs=slugs)
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


def split_themes(themes: pd.Series) -> pd.Series:
    """Split a themes column (``|``, ``;`` or ``,`` separated) into lists of lower-case themes."""
    return themes.fillna("").str.lower().str.split(r"\s*[|;,]\s*", regex=True).map(
        lambda xs: [x for x in xs if x])


# --------------------------------------------------------------------------- dataset
#: Columns holding names of people or structures, replaced by pseudonyms at load.
NAME_COLUMNS = {"actors": ("name",), "accompaniments": ("structure_name",)}
#: Free-text columns redacted at load (:func:`pseudonymise_tables`).
FREE_TEXT_COLUMNS = {"testimonies": ("text",), "events": ("title",), "collaborations": ("source",)}

#: Words of a column name (after :func:`normalise_name`) that say the column holds names of
#: people, structures or contacts: such a column, when it is not in the data model, is
#: dropped like any other, but its values are first added to the names redacted from free text.
NAME_HEADER_WORDS = frozenset({
    "nom", "noms", "prenom", "prenoms", "name", "names", "firstname", "lastname", "surname", "contact", "contacts",
    "referent", "referente", "referents", "responsable", "responsables", "charge", "chargee", "charges",
    "interlocuteur", "interlocutrice", "interlocuteurs", "porteur", "porteuse", "porteurs", "porteuses",
    "structure", "structures", "organisme", "organisation", "denomination", "enseigne", "sigle", "mail", "email",
    "mails", "emails", "courriel", "courriels", "telephone", "tel", "portable", "mobile", "phone", "dirigeant",
    "dirigeante", "president", "presidente", "gerant", "gerante", "directeur", "directrice", "signataire",
    "accompagnateur", "accompagnatrice", "conseiller", "conseillere", "animateur", "animatrice", "coordinateur",
    "coordinatrice", "salarie", "salariee", "salaries", "benevole", "benevoles", "representant", "representante",
    "participant", "participante", "participants", "beneficiaire", "beneficiaires", "partenaire", "partenaires",
    "personne", "personnes", "auteur", "autrice", "temoin", "interviewe", "interviewee", "suivi", "membre",
    "membres", "adherent", "adherente", "adherents",
})
#: Phrases (folded) that mark a name column even without one of :data:`NAME_HEADER_WORDS`.
NAME_HEADER_PHRASES = ("raison_sociale", "suivi_par", "e_mail", "charge_de_mission", "charge_e_de_mission")
#: First words of a column name that describe something *about* a person or structure
#: (``Type de structure``, ``Date du contact``, ``Nombre de bénévoles``), not a name.
NOT_NAME_FIRST_WORDS = frozenset({
    "type", "types", "categorie", "nature", "code", "codes", "id", "identifiant", "numero", "n", "no", "num", "nb",
    "nombre", "date", "dates", "statut", "forme", "secteur", "taille", "montant", "qualite", "fonction", "role",
    "poste", "genre", "sexe", "age", "annee", "mode", "motif", "objet", "duree", "siret", "siren", "effectif",
    "effectifs",
})
#: Words of a column name that say it holds places (``Nom de la commune``), kept out of the names.
PLACE_HEADER_WORDS = frozenset({
    "commune", "communes", "ville", "localite", "quartier", "territoire", "departement", "region", "epci", "lieu",
    "site", "adresse", "pays", "cp", "postal", "iris", "qpv",
})


def holds_names(column: str) -> bool:
    """Whether a column name says it holds names of people, structures or contacts.

    ``Nom de la structure``, ``Chargé(e) de mission``, ``Contact``, ``Référent``, ``Prénom``,
    ``E-mail`` and ``Téléphone`` do; ``Type de structure``, ``Date du contact`` and
    ``Nom de la commune`` do not (see :data:`NAME_HEADER_WORDS`, :data:`NAME_HEADER_PHRASES`,
    :data:`NOT_NAME_FIRST_WORDS`, :data:`PLACE_HEADER_WORDS`).
    """
    folded = normalise_name(column)
    words = folded.split("_")
    if not folded or words[0] in NOT_NAME_FIRST_WORDS or PLACE_HEADER_WORDS & set(words):
        return False
    return bool(NAME_HEADER_WORDS & set(words)) or any(p in folded for p in NAME_HEADER_PHRASES)


def _name_cells(cells: pd.DataFrame) -> pd.Series:
    """Every non-empty cell of ``cells``, and each part of a cell listing several names
    (separated by ``;``, ``/``, ``|`` or a line break), as one Series of strings."""
    values = pd.Series(cells.to_numpy().ravel(), dtype="string").str.strip()
    values = values[values.notna() & (values != "")]
    parts = values.str.split(r"\s*[;/|\n]\s*", regex=True).explode().astype("string").str.strip()
    out = pd.concat([values, parts[parts.notna() & (parts != "")]], ignore_index=True)
    return out.drop_duplicates().reset_index(drop=True)


def _drop_extra_columns(raw: pd.DataFrame, schema: Schema, file: str,
                        ignored: Problems) -> tuple[pd.DataFrame, pd.Series]:
    """Drop the columns of ``raw`` that are not in ``schema``, recording each in ``ignored``;
    return the kept columns and the names held by the dropped name columns."""
    wanted = {c.name for c in schema.columns}
    extra = [c for c in dict.fromkeys(raw.columns) if c not in wanted]
    if not extra:
        return raw, pd.Series([], dtype="string")
    named = [c for c in extra if holds_names(c)]
    for column in extra:
        ignored.add(file, "column_ignored_names" if column in named else "column_ignored", column=column)
    log.info("%s: %d column(s) not in the data model, not read: %s", file, len(extra), ", ".join(map(repr, extra)))
    names = _name_cells(raw.loc[:, raw.columns.isin(named)]) if named else pd.Series([], dtype="string")
    return raw.loc[:, ~raw.columns.isin(extra)], names


@dataclass
class Dataset:
    """The validated raw tables of one data folder.

    ``files`` maps each table to the file it was read from and that file's SHA-256, for
    provenance. Tables whose file is absent are empty, typed frames. Names are already
    pseudonymised (``pseudonyms`` says with which key: source, fingerprint, stability).
    ``notices`` lists what was repaired automatically (same columns as a problems table).
    ``ignored`` records the columns of the files that are not in the data model, dropped at
    load (as :meth:`Problems.frame` records them; :meth:`ignored_columns` renders them).
    ``extra_names`` holds the raw names found in the dropped columns that hold names
    (:func:`holds_names`): they are redacted from free text, and are kept only in memory,
    never cached nor logged (when the tables come from the cache, they are read again from
    the raw files on first use).
    """

    tables: dict[str, pd.DataFrame]
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    data_dir: Path | None = None
    from_cache: bool = False
    notices: pd.DataFrame = field(default_factory=lambda: render_problems(Problems().frame()))
    pseudonyms: dict[str, object] = field(default_factory=dict)
    ignored: pd.DataFrame = field(default_factory=lambda: Problems().frame())
    _extra_names: pd.Series | None = field(default=None, repr=False)
    _options: Mapping[str, ReadOptions] | ReadOptions | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.tables[name]
        raise AttributeError(name)

    @property
    def extra_names(self) -> pd.Series:
        """Raw names held by the columns dropped at load (never written anywhere)."""
        if self._extra_names is None:
            self._extra_names = (raw_names(self.data_dir, read_options=self._options)[1]
                                 if self.data_dir is not None else pd.Series([], dtype="string"))
        return self._extra_names

    def ignored_columns(self, *, lang: Lang = "en") -> pd.DataFrame:
        """The columns dropped at load, one row per file and column, in English or French."""
        return render_problems(self.ignored, lang=lang)[["file", "column", "problem", "fix", "code"]]

    @property
    def paths(self) -> dict[str, Path]:
        """The file each table was read from."""
        return {name: self.data_dir / info["file"] for name, info in self.files.items()}


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


def _empty_table(schema: Schema) -> pd.DataFrame:
    return parse_table(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in schema.columns if c.required}),
                       schema, file=schema.name)


def pseudonymise_tables(tables: dict[str, pd.DataFrame], key: PseudonymKey, *,
                        extra_names: Mapping[str, Collection[str]] | pd.Series | None = None,
                        place_names: Collection[str] = ()) -> dict[str, pd.DataFrame]:
    """Replace the names of :data:`NAME_COLUMNS` by keyed pseudonyms, and redact the free text
    of :data:`FREE_TEXT_COLUMNS`: known names → their pseudonyms, other persons and
    organisations → ``[personne]`` / ``[structure]`` (see :mod:`evaluation.io.redaction`).

    ``extra_names`` maps ``"person"`` and ``"structure"`` to raw names found in columns
    that are not kept (staff, contacts; :attr:`Dataset.extra_names`): they are redacted from
    free text like known names. A plain Series is taken as structure names (matched whole).
    ``place_names`` (the reference's communes) stay in free text, with the bundled ones.
    """
    from evaluation.io.redaction import place_names as kept_places, redact_texts

    places = kept_places(place_names)
    out = dict(tables)
    extra = ({"structure": extra_names.dropna().tolist()} if isinstance(extra_names, pd.Series)
             else extra_names or {})
    names = pd.concat([tables[t][c] for t, cols in NAME_COLUMNS.items() for c in cols
                       if t in tables and c in tables[t]] + [pd.Series(list(extra.get("structure", ())), dtype="string")])
    persons = pd.Series(list(extra.get("person", ())), dtype="string")
    for t, cols in NAME_COLUMNS.items():
        for c in (c for c in cols if t in out and c in out[t]):
            out[t] = out[t].assign(**{c: pseudonymise(out[t][c], key)})
    for t, cols in FREE_TEXT_COLUMNS.items():
        for c in (c for c in cols if t in out and c in out[t]):
            known = redact_names(out[t][c], names, key, persons=persons)
            out[t] = out[t].assign(**{c: redact_texts(known, places=places)})
    return out


#: Optional file of a data folder overriding what is detected, per table (or ``"*"`` for all).
READ_OPTIONS_FILE = "read_options.yml"


def _folder_read_options(data_dir: Path, problems: Problems) -> dict[str, ReadOptions]:
    """``read_options.yml`` of a data folder, e.g. ``accompaniments: {sep: ";", header_row: 3}``."""
    import yaml

    path = data_dir / READ_OPTIONS_FILE
    if not path.is_file():
        return {}
    fields = set(ReadOptions.__dataclass_fields__)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            raise ValueError("expected one entry per table")
        out = {}
        for table, spec in doc.items():
            if table != "*" and table not in SCHEMAS:
                raise ValueError(f"unknown table {table!r}")
            if not isinstance(spec, dict) or set(spec) - fields:
                raise ValueError(f"{table}: settings must be among {sorted(fields)}")
            out[table] = ReadOptions(**spec)
        return out
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        problems.add(path.name, "read_options_invalid", error=str(exc)[:200])
        return {}


def _read_options(read_options: Mapping[str, ReadOptions] | ReadOptions | None, table: str) -> ReadOptions:
    if isinstance(read_options, ReadOptions):
        return read_options
    return (read_options or {}).get(table) or (read_options or {}).get("*") or ReadOptions()


def validate_tables(data_dir: Path | str, *, commune_codes: Collection[str] | None = None,
                    former_communes: pd.DataFrame | None = None, territories: Collection[str] | None = None,
                    territories_file: str = "territories.yml",
                    read_options: Mapping[str, ReadOptions] | ReadOptions | None = None,
                    pseudonym_key: PseudonymKey | None = None, place_names: Collection[str] = ()) -> Dataset:
    """Read, type, cross-check and pseudonymise every table of a data folder; raise on any problem.

    Parameters
    ----------
    data_dir
        Folder holding ``<table>.csv`` or ``<table>.xlsx`` files.
    commune_codes
        Valid INSEE codes (the commune reference); other codes are problems.
    former_communes
        Codes that no longer exist, indexed by code, with ``commune_name``,
        ``successor_code`` and ``successor_name`` (:func:`evaluation.geo.reference.load_former_communes`):
        the problem then names the successor.
    territories
        Slugs of ``territories.yml``; a testimony's ``territory`` must be one of them.
    read_options
        :class:`ReadOptions` for all files, or a mapping from table name (or ``"*"``) to
        options; by default those of the folder's ``read_options.yml`` if it has one,
        else everything is detected.
    pseudonym_key
        Key of the name pseudonyms (default: :func:`evaluation.io.pseudonyms.resolve_key`).
    place_names
        Names of the reference's communes, kept in free text (besides the bundled ones).

    Returns
    -------
    Dataset
        The typed tables (empty tables for absent optional files), the files read with
        their hashes, and what was repaired automatically.

    Raises
    ------
    ValidationError
        Listing every problem of every file, with how to fix it.
    """
    data_dir = Path(data_dir)
    problems, notices = Problems(), Problems()
    if not data_dir.is_dir():
        problems.add(str(data_dir), "folder_missing")
        raise ValidationError(problems.frame())
    codes = frozenset(commune_codes) if commune_codes is not None else None
    if read_options is None:
        read_options = _folder_read_options(data_dir, problems)
    paths = _find_files(data_dir, problems)
    tables: dict[str, pd.DataFrame] = {}
    ignored, extra_names = Problems(), []
    for name, path in paths.items():
        raw = _read_table(path, name, _read_options(read_options, name), problems)
        if raw is None:
            continue
        raw, names = _drop_extra_columns(raw, SCHEMAS[name], path.name, ignored)
        extra_names.append(names)
        tables[name] = parse_table(raw, SCHEMAS[name], file=path.name, problems=problems, notices=notices,
                                   commune_codes=codes, former_communes=former_communes)
    _check_references(tables, {n: p.name for n, p in paths.items()}, problems, territories, territories_file)
    if problems:
        raise ValidationError(problems.frame())
    for name, schema in SCHEMAS.items():
        if name not in tables:
            tables[name] = _empty_table(schema)
    key = pseudonym_key or resolve_key()
    files = {n: {"file": p.name, "sha256": sha256_file(p)} for n, p in paths.items()}
    extra = pd.concat(extra_names or [pd.Series([], dtype="string")], ignore_index=True).drop_duplicates()
    return Dataset(pseudonymise_tables(tables, key, extra_names=extra, place_names=place_names), files, data_dir,
                   notices=render_problems(notices.frame()),
                   pseudonyms={"source": key.source, "fingerprint": key.fingerprint, "stable": key.stable},
                   ignored=ignored.frame(), _extra_names=extra.reset_index(drop=True), _options=read_options)


def _read_table(path: Path, table: str, options: ReadOptions, problems: Problems) -> pd.DataFrame | None:
    """One raw file as text cells with the schema's column names, or ``None`` (and a problem)."""
    mismatch = _content_mismatch(path)
    if mismatch:
        problems.add(path.name, mismatch, stem=path.stem, suffix=path.suffix)
        return None
    try:
        raw = read_raw(path, table=table, options=options)
    except CellsBeyondHeader as exc:  # read on, it would shift every cell of the row: say where
        problems.add(path.name, "cells_beyond_header", rows=[exc.row], sep=exc.sep)
        return None
    except Exception as exc:  # unreadable file: report it, keep checking the others
        problems.add(path.name, "unreadable", error=f"{type(exc).__name__}: {exc}"[:200])
        return None
    if raw.empty:
        problems.add(path.name, "no_rows")
        return None
    renamed = canonical_columns(list(raw.columns), table)
    if renamed:
        log.info("%s: columns read as %s", path.name, ", ".join(f"{a!r} → {b}" for a, b in renamed.items()))
        raw = raw.rename(columns=renamed)
    return raw


#: First bytes of a zip archive (an XLSX workbook) and of an old binary Excel workbook (XLS).
_ZIP_MAGIC, _OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


def raw_names(data_dir: Path | str, *,
              read_options: Mapping[str, ReadOptions] | ReadOptions | None = None) -> tuple[pd.Series, pd.Series]:
    """The raw names of a data folder, read again from its files: those of
    :data:`NAME_COLUMNS`, and those of the columns outside the data model that hold names
    (:func:`holds_names`). Unreadable files are skipped. Kept in memory only."""
    data_dir = Path(data_dir)
    if read_options is None:
        read_options = _folder_read_options(data_dir, Problems())
    known, extra = [], []
    for name, path in _find_files(data_dir, Problems()).items():
        raw = _read_table(path, name, _read_options(read_options, name), Problems())
        if raw is None:
            continue
        cols = [c for c in NAME_COLUMNS.get(name, ()) if c in raw.columns]
        known.append(_name_cells(raw.loc[:, raw.columns.isin(cols)]) if cols else pd.Series([], dtype="string"))
        extra.append(_drop_extra_columns(raw, SCHEMAS[name], path.name, Problems())[1])
    empty = [pd.Series([], dtype="string")]
    return (pd.concat(known + empty, ignore_index=True).drop_duplicates().reset_index(drop=True),
            pd.concat(extra + empty, ignore_index=True).drop_duplicates().reset_index(drop=True))


def _cache_key(paths: dict[str, Path], reference_file: Path | None, extra: str) -> str:
    h = hashlib.sha256(f"schema {SCHEMA_VERSION}\n{extra}\n".encode())
    for name in sorted(paths):
        h.update(f"{name} {paths[name].suffix} {sha256_file(paths[name])}\n".encode())
    if reference_file is not None and reference_file.is_file():
        h.update(f"reference {sha256_file(reference_file)}\n".encode())
    return h.hexdigest()[:16]


def load_dataset(data_dir: Path | str | None = None, *, reference: pd.DataFrame | None = None,
                 reference_dir: Path | str | None = None, processed_dir: Path | str | None = None,
                 territories: Collection[str] | None = None,
                 read_options: Mapping[str, ReadOptions] | ReadOptions | None = None,
                 pseudonym_key: PseudonymKey | None = None, use_cache: bool = True) -> Dataset:
    """Load, validate, pseudonymise and cache the raw tables of a data folder.

    Parameters
    ----------
    data_dir
        Folder with ``accompaniments.csv|xlsx`` and, optionally, the other tables
        (default: the bundled illustrative sample ``data/raw/sample``).
    reference
        The commune reference (default: loaded from ``reference_dir``); commune codes
        not in it are errors, and merged communes are named with their successor.
    processed_dir
        Where typed tables are cached (default ``data/processed``).
    territories, read_options, pseudonym_key
        As in :func:`validate_tables`.
    use_cache
        Reuse cached tables when the input files' hashes (and the key) match. Never used
        with a random pseudonym key, so that such pseudonyms live only for the run.
    """
    from evaluation.io.redaction import redaction_version
    from evaluation.geo.reference import REFERENCE_CSV, load_former_communes, load_reference

    paths_cfg = get_paths()
    data_dir = Path(data_dir) if data_dir is not None else paths_cfg.sample
    ref_dir = Path(reference_dir) if reference_dir is not None else paths_cfg.reference
    if reference is None:
        reference = load_reference(ref_dir)
    key = pseudonym_key or resolve_key()
    processed = Path(processed_dir) if processed_dir is not None else paths_cfg.processed
    use_cache = use_cache and key.stable

    files_found = {n: p for n in (*TABLES, "read_options") for ext in ("csv", "xlsx", "yml")
                   for p in [data_dir / f"{n}.{ext}"] if p.is_file()}
    extra = json.dumps({"key": key.fingerprint, "territories": sorted(territories or []),
                        "read": repr(read_options), "redaction": redaction_version()})
    cache = processed / f"{data_dir.name}-{_cache_key(files_found, ref_dir / REFERENCE_CSV, extra)}"
    manifest = cache / "manifest.json"
    if use_cache and manifest.is_file():
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        tables = {n: pd.read_parquet(cache / f"{n}.parquet") for n in TABLES}
        notices = pd.read_parquet(cache / "notices.parquet")
        ignored = pd.read_parquet(cache / "ignored.parquet").astype({"row": "Int64"})
        return Dataset(tables, meta["files"], data_dir, from_cache=True, notices=notices,
                       pseudonyms=meta["pseudonyms"], ignored=ignored, _options=read_options)

    dataset = validate_tables(data_dir, commune_codes=reference["commune_code"],
                              former_communes=load_former_communes(ref_dir), territories=territories,
                              read_options=read_options, pseudonym_key=key,
                              place_names=reference["commune_name"].dropna().tolist()
                              if "commune_name" in reference else ())
    if use_cache:
        with atomic_dir(cache) as tmp:
            for name, table in dataset.tables.items():
                table.to_parquet(tmp / f"{name}.parquet")
            dataset.notices.to_parquet(tmp / "notices.parquet")
            dataset.ignored.to_parquet(tmp / "ignored.parquet")  # file and column names, never values
            (tmp / "manifest.json").write_text(
                json.dumps({"files": dataset.files, "pseudonyms": dataset.pseudonyms}, indent=2), encoding="utf-8")
    return dataset

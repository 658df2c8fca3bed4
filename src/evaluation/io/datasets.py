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
while those inputs are unchanged. Only pseudonymised and redacted tables are written, and
only the latest version of each data folder is kept (:mod:`evaluation.io.cache`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation._io import atomic_dir, sha256_file
from evaluation.config import get_paths
from evaluation.errors import ValidationError
from evaluation.geo.areas import load_departements
from evaluation.geo.reference import REFERENCE_CSV, load_former_communes, load_reference
from evaluation.geo.territory import Territory
from evaluation.io.cache import purge_versions, source_id
from evaluation.io.identifiers import redact_identifiers
from evaluation.io.parsing import _check_references, _drop_extra_columns, _name_cells, parse_table
from evaluation.io.privacy import check_identifiers, check_labels, public_place_names
from evaluation.io.privacy import labels as territory_labels
from evaluation.io.pseudonyms import PseudonymKey, pseudonymise, redact_names, resolve_key
from evaluation.io.readers import (
    CellsBeyondHeader,
    ReadOptions,
    _content_mismatch,
    _find_files,
    _folder_read_options,
    _read_options,
    read_raw,
)
from evaluation.io.redaction import redact_texts
from evaluation.io.redaction_words import place_names as kept_places
from evaluation.io.redaction_words import redaction_version
from evaluation.io.schema import (
    FREE_TEXT_COLUMNS,
    NAME_COLUMNS,
    SCHEMA_VERSION,
    SCHEMAS,
    TABLES,
    Schema,
    canonical_columns,
)
from evaluation.problems import Lang, Problems, render_problems

__all__ = ["Dataset", "validate_tables", "load_dataset", "pseudonymise_tables", "raw_names"]

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------- dataset


@dataclass
class Dataset:
    """The validated raw tables of one data folder.

    ``files`` maps each table to the file it was read from and that file's SHA-256, for
    provenance. Tables whose file is absent are empty, typed frames. Names are already
    pseudonymised (``pseudonyms`` says with which key: source, fingerprint, stability).
    ``notices`` lists what was repaired automatically (same columns as a problems table).
    ``ignored`` records the columns of the files that are not in the data model, dropped at
    load (as :meth:`~evaluation.problems.Problems.frame` records them; :meth:`ignored_columns` renders them).
    ``extra_names`` holds the raw names found in the dropped columns that hold names
    (:func:`~evaluation.io.schema.holds_names`): they are redacted from free text, and are kept only in memory,
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


def _empty_table(schema: Schema) -> pd.DataFrame:
    return parse_table(pd.DataFrame({c.name: pd.Series([], dtype=object) for c in schema.columns if c.required}),
                       schema, file=schema.name)


def pseudonymise_tables(tables: dict[str, pd.DataFrame], key: PseudonymKey, *,
                        extra_names: Mapping[str, Collection[str]] | pd.Series | None = None,
                        place_names: Collection[str] = ()) -> dict[str, pd.DataFrame]:
    """Replace the names of :data:`~evaluation.io.schema.NAME_COLUMNS` by keyed pseudonyms, and redact the free text
    of :data:`~evaluation.io.schema.FREE_TEXT_COLUMNS`: direct identifiers (e-mails, phone numbers, addresses,
    URLs, IBAN, NIR) → their tags (:mod:`evaluation.io.identifiers`), known names → their
    pseudonyms, other persons and organisations → ``[personne]`` / ``[structure]`` (see
    :mod:`evaluation.io.redaction`).

    ``extra_names`` maps ``"person"`` and ``"structure"`` to raw names found in columns
    that are not kept (staff, contacts; :attr:`Dataset.extra_names`): they are redacted from
    free text like known names. A plain Series is taken as structure names (matched whole).
    ``place_names`` (the reference's communes) stay in free text, with the bundled ones.
    """
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
            bare = redact_identifiers(out[t][c])  # before the names: an e-mail's domain names a structure
            known = redact_names(bare, names, key, persons=persons)
            out[t] = out[t].assign(**{c: redact_texts(known, places=places, identifiers=False)})
    return out


def validate_tables(data_dir: Path | str, *, commune_codes: Collection[str] | None = None,
                    former_communes: pd.DataFrame | None = None,
                    territories: Collection[str] | Mapping[str, Territory] | None = None,
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
        Given as the territories themselves (:func:`evaluation.geo.territories.load_territories`),
        the actors named in their ``network_roles`` must also be in the actors table.
    read_options
        :class:`~evaluation.io.readers.ReadOptions` for all files, or a mapping from table name (or ``"*"``) to
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
    ignored, extra_names, extra_sources = Problems(), [], {}
    for name, path in paths.items():
        raw = _read_table(path, name, _read_options(read_options, name), problems)
        if raw is None:
            continue
        raw, names = _drop_extra_columns(raw, SCHEMAS[name], path.name, ignored, sources=extra_sources)
        extra_names.append(names)
        tables[name] = parse_table(raw, SCHEMAS[name], file=path.name, problems=problems, notices=notices,
                                   commune_codes=codes, former_communes=former_communes)
    _check_references(tables, {n: p.name for n, p in paths.items()}, problems, territories, territories_file)
    check_identifiers(tables, {n: p.name for n, p in paths.items()}, problems)
    extra = pd.concat(extra_names or [pd.Series([], dtype="string")], ignore_index=True).drop_duplicates()
    if isinstance(territories, Mapping):
        check_labels(territories, tables, extra_sources, problems, territories_file=territories_file, files=paths,
                     place_names=place_names)
    if problems:
        raise ValidationError(problems.frame())
    for name, schema in SCHEMAS.items():
        if name not in tables:
            tables[name] = _empty_table(schema)
    key = pseudonym_key or resolve_key()
    files = {n: {"file": p.name, "sha256": sha256_file(p)} for n, p in paths.items()}
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


def raw_names(data_dir: Path | str, *,
              read_options: Mapping[str, ReadOptions] | ReadOptions | None = None) -> tuple[pd.Series, pd.Series]:
    """The raw names of a data folder, read again from its files: those of
    :data:`~evaluation.io.schema.NAME_COLUMNS`, and those of the columns outside the data model that hold names
    (:func:`~evaluation.io.schema.holds_names`). Unreadable files are skipped. Kept in memory only.
    """
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
                 territories: Collection[str] | Mapping[str, Territory] | None = None,
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
    # what validation checks of the territories: their roles' actors and their published labels
    labels = {s: territory_labels(t) for s, t in territories.items()} if isinstance(territories, Mapping) else {}
    extra = json.dumps({"key": key.fingerprint, "territories": sorted(territories or []), "labels": labels,
                        "read": repr(read_options), "redaction": redaction_version()})
    cache = processed / f"{data_dir.name}-{_cache_key(files_found, ref_dir / REFERENCE_CSV, extra)}"
    version = _cache_key(files_found, ref_dir / REFERENCE_CSV, redaction_version())  # the exports' content
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
                              place_names=public_place_names(reference, load_departements(ref_dir)))
    if use_cache:
        with atomic_dir(cache) as tmp:
            for name, table in dataset.tables.items():
                table.to_parquet(tmp / f"{name}.parquet")
            dataset.notices.to_parquet(tmp / "notices.parquet")
            dataset.ignored.to_parquet(tmp / "ignored.parquet")  # file and column names, never values
            (tmp / "manifest.json").write_text(
                json.dumps({"files": dataset.files, "pseudonyms": dataset.pseudonyms, "source": source_id(data_dir),
                            "version": version}, indent=2), encoding="utf-8")
        purge_versions(processed, data_dir, keep=cache, version=version)  # older exports: never kept
    return dataset

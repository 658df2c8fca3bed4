"""Defence in depth: search every output of a run for the raw names of the exports, and for direct identifiers.

Names are pseudonymised and free text redacted at load (:mod:`evaluation.io.pseudonyms`,
:mod:`evaluation.io.redaction`). As a last check, before a run publishes anything, the files
it wrote — HTML, notebook, CSV, XLSX (cell values), GraphML, the index page, and the
processed tables cached in ``data/processed``, the Word document (paragraphs, tables,
headers and footers, alternative text, properties) and the PDF (each page's text,
bookmarks, document information) — are searched for every raw name of the
exports, folded like the matching (case, accents, punctuation, spacing;
:func:`evaluation.io.redaction_words.fold`). A hit raises :class:`NameLeakError`, naming the output
file and where in it (line, notebook cell, sheet and cell, column and row), and where the
name comes from in the exports (file, column, row) — never the name itself, since the
message may be shown in ``index.html``.

The raw names are read again from the exports (never written to disk; a process keeps them
in memory only while the export files are unchanged): every value of the data
model's name columns (:data:`evaluation.io.schema.NAME_COLUMNS`) and of the other columns
whose header says they hold names (:func:`evaluation.io.schema.holds_names`: ``Contact``,
``Chargé(e) de mission``, ``Nom de la structure``…, but not ``Type de structure``, nor a
column of yes/no words, numbers or dates). Official names of places and public areas, and
the names of actors that are public bodies, are not searched (they are not personal data).

The same pass searches every piece of text for direct identifiers — phone numbers,
e-mails, IBAN, NIR, addresses, personal URLs — by their patterns
(:mod:`evaluation.report.secrecy.patterns`); a find raises :class:`IdentifierLeakError`,
naming the output, where in it, and the export cell it was read in, in English or French.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from evaluation._text import normalise_names
from evaluation.errors import EvaluationError
from evaluation.io.privacy import PUBLIC_BODY_KINDS, official_names, searched_name
from evaluation.io.redaction import known_names
from evaluation.io.redaction_words import fold, fold_key, place_names
from evaluation.io.schema import (
    ACTOR_KINDS,
    NAME_COLUMNS,
    SCHEMAS,
    canonical_columns,
    choice_lookup,
    holds_names,
)
from evaluation.messages import coded, render_message
from evaluation.problems import Problems
from evaluation.report.secrecy.patterns import (
    Origin,
    kind_words,
    raw_exports,
    report_words,
    scan_text,
    where_fr,
)

__all__ = ["RawName", "Leak", "NameLeakError", "IdentifierLeakError", "raw_names", "trace_names", "find_leaks",
           "check_outputs", "output_files", "names_in_report_words", "check_report_words"]

_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


class NameLeakError(EvaluationError, RuntimeError):
    """A raw name of the exports was found in an output: nothing was published.

    ``leaks`` lists every find (:class:`Leak`); ``removed`` says which cache folders holding one
    were removed (:func:`evaluation.report.runs.render.render_report`), as a message parameter.
    """

    leaks: list[Leak] = []


class IdentifierLeakError(NameLeakError):
    """A direct identifier (phone, e-mail, address…) was found in an output: nothing was published."""


@dataclass(frozen=True)
class RawName:
    """A name read from the exports and where it was read (``source``: file, column, row; also
    apart when known).
    """

    name: str
    source: str
    file: str = ""
    column: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Leak:
    """A raw name or a direct identifier found in an output file: the file, where in it, and
    where it was read in the exports (``source``; empty for an identifier read in no export).
    ``kind`` is ``"name"`` or a class of :data:`evaluation.io.identifiers.KINDS`.
    """

    file: str
    where: str
    source: str
    kind: str = "name"

    def __str__(self) -> str:
        return render_message(**self.coded())

    def coded(self) -> dict:
        """The leak as a message (:func:`evaluation.messages.coded`), said in either language."""
        if self.kind == "name":
            return coded("leak_name", file=self.file, where=self.where, where_fr=where_fr(self.where),
                         source=self.source, source_fr=where_fr(self.source))
        what = {"what": kind_words(self.kind), "what_fr": kind_words(self.kind, "fr")}
        if not self.source:
            return coded("leak_identifier_unread", file=self.file, where=self.where, where_fr=where_fr(self.where),
                         **what)
        return coded("leak_identifier", file=self.file, where=self.where, where_fr=where_fr(self.where),
                     source=self.source, source_fr=where_fr(self.source), **what)


def _name_columns(raw: pd.DataFrame, table: str) -> list[int]:
    """The positions of the columns of a raw table that hold names: the data model's name
    columns, and the columns outside the data model whose header says so and whose cells are
    not all yes/no words, numbers or dates (:func:`evaluation.io.schema.holds_names`). By
    position: an export may repeat a header.
    """
    columns = list(raw.columns)
    canonical = canonical_columns(columns, table)
    wanted = set(NAME_COLUMNS.get(table, ()))
    modelled = {c.name for c in SCHEMAS[table].columns}
    out = []
    for i, col in enumerate(columns):
        name = canonical.get(col, col)
        if name in wanted or (name not in modelled and holds_names(col, raw.iloc[:, i])):
            out.append(i)
    return out


def _stamp(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of each file: a key that changes when a file does."""
    return tuple((str(p.resolve()), (st := p.stat()).st_mtime_ns, st.st_size) for p in sorted(paths))


#: Raw names per state of an export folder (a batch worker renders many territories from one).
_RAW_NAMES: dict[tuple, list[RawName]] = {}
#: Cached processed tables already searched for a set of names, per state of the file.
_CLEAN_CACHED: set[tuple] = set()


def raw_names(data_dir: Path | str, *, official: Collection[str] = ()) -> list[RawName]:
    """Every name of the exports of ``data_dir`` (see the module's docstring), read as raw text.

    Names shorter than three letters, names of a public body of a place (``Mairie de
    Chenôve``) or of a place alone, official names (``official``, folded: communes, EPCI,
    départements, QPV; :func:`evaluation.io.privacy.official_names`) and the names of actors
    whose kind is a public body (``local_authority``, ``institution``) are left out: they are
    not personal data, and would be found in every report that names the place. The result is
    kept in memory while no file of ``data_dir`` changes (modification time and size).
    """
    data_dir = Path(data_dir)
    key = (_stamp(p for p in data_dir.iterdir() if p.is_file()) if data_dir.is_dir() else (),
           hash(frozenset(official)))
    if key not in _RAW_NAMES:
        _RAW_NAMES.clear()
        _RAW_NAMES[key] = _read_raw_names(data_dir, frozenset(official))
    return list(_RAW_NAMES[key])


def _public_rows(raw: pd.DataFrame, table: str) -> pd.Index:
    """Rows of a raw actors table whose kind is a public body (``Collectivité``, ``institution``…)."""
    kind = next((c for c, name in canonical_columns(list(raw.columns), table).items() if name == "kind"),
                "kind" if "kind" in raw.columns else None)
    if table != "actors" or kind is None:
        return pd.Index([])
    first = list(raw.columns).index(kind)  # a repeated header: the first column, as validation reads it
    codes = normalise_names(raw.iloc[:, first].astype("string")).map(choice_lookup(ACTOR_KINDS))
    return raw.index[codes.isin(PUBLIC_BODY_KINDS).to_numpy()]


def _read_raw_names(data_dir: Path, official: frozenset[str]) -> list[RawName]:
    places = place_names() | official
    out, seen = [], set()
    for table, path, raw in raw_exports(data_dir):
        public = _public_rows(raw, table)
        for i in _name_columns(raw, table):
            col = raw.columns[i]
            modelled = canonical_columns([col], table).get(col, col) in NAME_COLUMNS.get(table, ())
            for row, value in raw.iloc[:, i].items():
                if modelled and row in public:
                    continue  # a public body's official name
                key = fold_key(str(value))
                if key in seen or not searched_name(key, places):
                    continue
                seen.add(key)
                out.append(RawName(str(value).strip(), f"{path.name}, column {col!r}, row {row}", path.name,
                                   str(col), int(row)))
    return out


# --------------------------------------------------------------------------- reading outputs
def _walk(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _walk(v, where)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, where)


def _text_chunks(path: Path) -> Iterator[tuple[str, str]]:
    """``(where, text)`` pieces of what a reader or a program can get out of an output file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx_chunks(path)
    elif suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        yield from _walk(nb.get("metadata", {}), "notebook metadata")
        for i, cell in enumerate(nb.get("cells", []), start=1):
            yield from ((w, html.unescape(_DATA_URI.sub("", t))) for w, t in _walk(cell, f"cell {i}"))
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
        for col in frame.columns:
            values = frame[col]
            if values.dtype == object or pd.api.types.is_string_dtype(values):
                text = values.dropna().astype(str)
                for row, value in text.items():
                    yield f"column {col!r}, row {row}", value
    elif suffix == ".docx":
        yield from _docx_chunks(path)
    elif suffix == ".pdf":
        yield from _pdf_chunks(path)
    elif suffix in {".png", ".jpg", ".jpeg", ".svg", ".gif"} or path.name.endswith(".pickle"):
        return  # figures carry no names (labels are roles); the pickle is read by the run, never published
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(html.unescape(_DATA_URI.sub("", text)).splitlines(), start=1):
            yield f"line {n}", line


def _xlsx_chunks(path: Path) -> Iterator[tuple[str, str]]:
    """Text cells of every sheet of a workbook."""
    import openpyxl  # openpyxl only when an XLSX output is searched

    book = openpyxl.load_workbook(path, read_only=True)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell.value, (int, float)):
                    yield f"sheet {ws.title!r}, cell {cell.coordinate}", str(cell.value)
    book.close()


def _docx_chunks(path: Path) -> Iterator[tuple[str, str]]:
    """Text of a Word document: paragraphs, table cells, headers and footers, the figures'
    alternative text and the document's properties.
    """
    import docx  # python-docx only when a Word output is searched

    document = docx.Document(str(path))
    props = document.core_properties
    for name in ("title", "subject", "author", "keywords", "comments", "category"):
        if getattr(props, name):
            yield "document properties", str(getattr(props, name))
    for n, par in enumerate(document.paragraphs, start=1):
        yield f"paragraph {n}", par.text
    for t, table in enumerate(document.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            yield f"table {t}, row {r}", " | ".join(cell.text for cell in row.cells)
    for section in document.sections:
        for part, label in ((section.header, "header"), (section.footer, "footer"),
                            (section.first_page_header, "first-page header"),
                            (section.first_page_footer, "first-page footer")):
            for par in part.paragraphs:
                yield label, par.text
    for n, shape in enumerate(document.inline_shapes, start=1):
        doc_pr = shape._inline.docPr  # noqa: SLF001 - alternative text lives on wp:docPr
        yield f"figure {n} (alternative text)", " ".join(filter(None, (doc_pr.get("title"), doc_pr.get("descr"))))


def _pdf_chunks(path: Path) -> Iterator[tuple[str, str]]:
    """Text of a PDF: each page's text, the bookmarks and the document's information.

    Read with PDFium (``pypdfium2``), the text extractor of Chrome's PDF engine: about thirty
    times faster than pypdf's pure-Python extraction on a report, for the same words.
    """
    import pypdfium2 as pdfium  # PDFium only when a PDF output is searched

    pdf = pdfium.PdfDocument(str(path))
    try:
        for key, value in pdf.get_metadata_dict(skip_empty=True).items():
            yield "document information", f"{key}: {value}"
        for item in pdf.get_toc():
            yield "bookmarks", item.get_title()
        for n, page in enumerate(pdf, start=1):  # a page as one text: a name may wrap across lines
            yield f"page {n}", " ".join(page.get_textpage().get_text_range().split())
    finally:
        pdf.close()


def output_files(folder: Path | str) -> list[Path]:
    """Every file under ``folder`` (or ``folder`` itself if it is a file)."""
    folder = Path(folder)
    return [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())


def trace_names(names: Sequence[RawName], texts: Sequence[tuple[Origin, str]]) -> list[RawName]:
    """The raw names, each traced to the first text of ``territories.yml`` that holds it
    (:func:`evaluation.report.secrecy.patterns.territory_texts`: its key and line) rather than to
    the export cell it was read in: a report prints those texts as written, so a name found in an
    output most likely came from there, and is removed there.
    """
    keys = {fold_key(n.name): n for n in names}
    matcher = known_names(dict.fromkeys(keys, ""), texts=[t for _, t in texts], places=frozenset()) if keys else None
    if matcher is None or matcher.pattern is None:
        return list(names)
    where: dict[str, Origin] = {}
    for origin, text in texts:
        for m in matcher.pattern.finditer(fold(text)):
            where.setdefault(" ".join(m.group(0).split()), origin)
    return [replace(n, source=where[k].text(), file=where[k].file, column=where[k].column, row=where[k].row)
            if k in where else n for k, n in keys.items()]


def names_in_report_words(names: Sequence[RawName]) -> list[RawName]:
    """The raw names that are also words or phrases every report prints
    (:func:`evaluation.report.secrecy.patterns.report_words`): the final search would refuse
    every report. ``evaluation validate`` lists them beforehand.
    """
    sources = {fold_key(n.name): n for n in names}
    words = report_words()
    matcher = known_names(dict.fromkeys(sources, ""), texts=words, places=frozenset())
    if matcher.pattern is None:
        return []
    found = {" ".join(m.group(0).split()) for t in words for m in matcher.pattern.finditer(fold(t))}
    return [sources[k] for k in sorted(found)]


def check_report_words(data_dir: Path | str, problems: Problems, *, reference: pd.DataFrame | None = None,
                       territories: Mapping | None = None, departements: pd.DataFrame | None = None) -> None:
    """Record, for ``evaluation validate``, each raw name that the final search would find in
    every report (:func:`names_in_report_words`), with its file, column and row.
    """
    official = official_names(reference, territories, departements)
    for n in names_in_report_words(raw_names(data_dir, official=official)):
        problems.add(n.file, "name_is_a_report_word", rows=[n.row], column=n.column)


def find_leaks(paths: Iterable[Path], names: Sequence[RawName], *, root: Path | None = None,
               texts: Mapping[str, str] | None = None,
               identifiers: Mapping[tuple[str, str], Origin] | None = None,
               allowed: Collection[str] = ()) -> list[Leak]:
    """Where each raw name, and each direct identifier, occurs in the files ``paths`` (and in
    the named ``texts``).

    A name occurs where its folded words occur in a row, as whole words, with any spacing or
    punctuation between them (the same matching as :func:`evaluation.io.redaction.known_names`).
    With ``identifiers`` (:func:`evaluation.report.secrecy.patterns.identifier_sources`), every
    piece of text is also searched for identifier patterns
    (:func:`~evaluation.report.secrecy.patterns.scan_text`; ``allowed``: addresses that may be printed).
    """
    leaks = []
    sources = {fold_key(n.name): n.source for n in names}

    def search(label: str, chunks: Iterable[tuple[str, str]]) -> None:
        chunks = list(chunks)
        if identifiers is not None:
            for where, text in chunks:
                leaks.extend(Leak(label, where, origin.text() if origin else "", kind)
                             for kind, origin in scan_text(text, identifiers, allowed=allowed))
        if not sources:
            return
        matcher = known_names(dict.fromkeys(sources, ""), texts=[t for _, t in chunks], places=frozenset())
        if matcher.pattern is None:
            return
        for where, text in chunks:
            for m in matcher.pattern.finditer(fold(text)):
                leaks.append(Leak(label, where, sources[" ".join(m.group(0).split())]))

    names_key = hash((tuple(sorted(sources)), identifiers is not None, frozenset(allowed)))
    for path in paths:
        # processed tables are inputs of many runs: one search per state of the file and names
        key = (_stamp([path]), names_key) if path.suffix == ".parquet" else None
        if key in _CLEAN_CACHED:
            continue
        before = len(leaks)
        search(str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path),
               _text_chunks(path))
        if key is not None and len(leaks) == before:
            _CLEAN_CACHED.add(key)
    for label, text in (texts or {}).items():
        search(label, ((f"line {n}", line) for n, line in enumerate(text.splitlines(), start=1)))
    return leaks


def check_outputs(paths: Iterable[Path], names: Sequence[RawName], *, root: Path | None = None,
                  texts: Mapping[str, str] | None = None,
                  identifiers: Mapping[tuple[str, str], Origin] | None = None,
                  allowed: Collection[str] = ()) -> int:
    """Raise if any raw name or direct identifier occurs in the outputs; return how many names were searched.

    :class:`IdentifierLeakError` (a :class:`NameLeakError`) when an identifier is among the
    finds, :class:`NameLeakError` when only names are: each find is listed (at most 20) with
    the output file and where in it, and where it was read in the exports, never its text.
    """
    leaks = find_leaks(paths, names, root=root, texts=texts, identifiers=identifiers, allowed=allowed)
    if leaks:
        shown = [leak.coded() for leak in leaks[:20]]
        if any(leak.kind != "name" for leak in leaks):
            more = len(leaks) - 20
            error: NameLeakError = IdentifierLeakError(
                code="identifier_leak", count=len(leaks), shown=shown, removed="",
                more=f"\n  … and {more:,} more" if more > 0 else "",
                more_fr=f"\n  … et {more:,} autre(s)".replace(",", "\u202f") if more > 0 else "")
        else:
            error = NameLeakError(code="name_leak_more" if len(leaks) > 20 else "name_leak", count=len(leaks),
                                  shown=shown, more=len(leaks) - 20, removed="")
        error.leaks = leaks
        raise error
    return len(names)

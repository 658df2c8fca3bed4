"""Defence in depth: search every output of a run for the raw names of the exports.

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
``Chargé(e) de mission``, ``Nom de la structure``…, but not ``Type de structure``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.io.readers import _folder_read_options, _read_options, read_raw
from evaluation.io.redaction import known_names
from evaluation.io.redaction_words import KEEP_WORDS, fold, fold_key, place_names
from evaluation.io.schema import NAME_COLUMNS, SCHEMAS, TABLES, canonical_columns, holds_names
from evaluation.problems import Problems

__all__ = ["RawName", "Leak", "NameLeakError", "raw_names", "find_leaks", "check_outputs",
           "output_files"]

#: Words of a name that say it is a public body of a place (``Mairie de Chenôve``), not searched.
_PUBLIC_BODY_WORDS = frozenset("ville commune mairie de du des d la le les l communaute communes "
                               "agglomeration metropole departement conseil".split())
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


class NameLeakError(EvaluationError, RuntimeError):
    """A raw name of the exports was found in an output: nothing was published."""


@dataclass(frozen=True)
class RawName:
    """A name read from the exports and where it was read (file, column, row)."""

    name: str
    source: str


@dataclass(frozen=True)
class Leak:
    """A raw name found in an output file: the file, where in it, and the name's source."""

    file: str
    where: str
    source: str

    def __str__(self) -> str:
        return f"{self.file} ({self.where}): the name of {self.source}"


def _name_columns(columns: Sequence[str], table: str) -> list[str]:
    """The columns of a raw table that hold names: the data model's name columns, and the
    columns outside the data model whose header says so (:func:`datasets.holds_names`).
    """
    canonical = canonical_columns(columns, table)
    wanted = set(NAME_COLUMNS.get(table, ()))
    modelled = {c.name for c in SCHEMAS[table].columns}
    out = []
    for col in columns:
        name = canonical.get(col, col)
        if name in wanted or (name not in modelled and holds_names(col)):
            out.append(col)
    return out


def _stamp(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of each file: a key that changes when a file does."""
    return tuple((str(p.resolve()), (st := p.stat()).st_mtime_ns, st.st_size) for p in sorted(paths))


#: Raw names per state of an export folder (a batch worker renders many territories from one).
_RAW_NAMES: dict[tuple, list[RawName]] = {}
#: Cached processed tables already searched for a set of names, per state of the file.
_CLEAN_CACHED: set[tuple] = set()


def raw_names(data_dir: Path | str) -> list[RawName]:
    """Every name of the exports of ``data_dir`` (see the module's docstring), read as raw text.

    Names shorter than three letters, and names of a public body of a place
    (``Mairie de Chenôve``) or of a place alone, are left out: they would be found in
    every report that names the place. The result is kept in memory while no file of
    ``data_dir`` changes (modification time and size).
    """
    data_dir = Path(data_dir)
    key = _stamp(p for p in data_dir.iterdir() if p.is_file()) if data_dir.is_dir() else ()
    if key not in _RAW_NAMES:
        _RAW_NAMES.clear()
        _RAW_NAMES[key] = _read_raw_names(data_dir)
    return list(_RAW_NAMES[key])


def _read_raw_names(data_dir: Path) -> list[RawName]:
    options = _folder_read_options(data_dir, Problems())
    places = place_names()
    out, seen = [], set()
    for table in TABLES:
        for path in (data_dir / f"{table}.{ext}" for ext in ("csv", "xlsx")):
            if not path.is_file():
                continue
            try:
                raw = read_raw(path, table=table, options=_read_options(options, table))
            except Exception:  # noqa: BLE001 - unreadable files are reported by validation
                continue
            for col in _name_columns(list(raw.columns), table):
                for row, value in raw[col].items():
                    key = fold_key(str(value))
                    words = [w for w in key.split() if w not in _PUBLIC_BODY_WORDS]
                    if (len(key.replace(" ", "")) < 3 or key in seen or key in places or key in KEEP_WORDS
                            or (words and " ".join(words) in places)):
                        continue
                    seen.add(key)
                    out.append(RawName(str(value).strip(), f"{path.name}, column {col!r}, row {row}"))
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


def find_leaks(paths: Iterable[Path], names: Sequence[RawName], *, root: Path | None = None,
               texts: Mapping[str, str] | None = None) -> list[Leak]:
    """Where each raw name occurs in the files ``paths`` (and in the named ``texts``).

    A name occurs where its folded words occur in a row, as whole words, with any spacing or
    punctuation between them (the same matching as :func:`evaluation.io.redaction.known_names`).
    """
    if not names:
        return []
    leaks = []
    sources = {fold_key(n.name): n.source for n in names}

    def search(label: str, chunks: Iterable[tuple[str, str]]) -> None:
        chunks = list(chunks)
        matcher = known_names(dict.fromkeys(sources, ""), texts=[t for _, t in chunks], places=frozenset())
        if matcher.pattern is None:
            return
        for where, text in chunks:
            for m in matcher.pattern.finditer(fold(text)):
                leaks.append(Leak(label, where, sources[" ".join(m.group(0).split())]))

    names_key = hash(tuple(sorted(sources)))
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
                  texts: Mapping[str, str] | None = None) -> int:
    """Raise :class:`NameLeakError` if any raw name occurs in the outputs; return how many names were searched."""
    leaks = find_leaks(paths, names, root=root, texts=texts)
    if leaks:
        shown = "\n".join(f"  - {leak}" for leak in leaks[:20])
        raise NameLeakError(code="name_leak_more" if len(leaks) > 20 else "name_leak", count=len(leaks),
                            shown=shown, more=len(leaks) - 20)
    return len(names)

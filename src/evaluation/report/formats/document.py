"""The report as a structured document, for the Word and PDF formats (report layer).

The HTML report is the executed notebook exported by nbconvert. The dossier formats
(:mod:`evaluation.report.formats.docx`, :mod:`evaluation.report.formats.pdf`) are not converted from it:
they are built from the same protected :class:`evaluation.report.published.Publication` and the
same section builders (:mod:`evaluation.report.sections`), in the order of the same notebook.
:func:`build_document` walks the report notebook's cells: a Markdown cell is parsed into
headings and paragraphs (mistune, nbconvert's own Markdown parser), a code cell calling a
builder (``show(sections.density(pub))``) gives what ``show`` displayed in the kernel
(:mod:`evaluation.report.sections.shown`: figures drawn once, at print resolution), or, when the run
kept nothing, calls the builder again on the publication. These items become blocks:
headings, paragraphs, numbered tables (« Tableau n ») and figures (« Figure n ») with a
caption, a source line and alternative text.

The notebook's run stores the publication for the renderer with :func:`save_publication`
(a pickle in the run's temporary folder, never published; :func:`load_publication` reads
it back and the renderer deletes it), and what it showed with :func:`evaluation.report.sections.shown.keep`.
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
from matplotlib.figure import Figure

from evaluation._io import atomic_write
from evaluation.io.sample import SAMPLE_NOTE
from evaluation.report import sections
from evaluation.report.context import captured_warnings
from evaluation.report.sections import SAMPLE_SEED
from evaluation.report.sections.shown import FIGURE_DPI, ShownFigure, shown_figure
from evaluation.report.tables import indicators_table

__all__ = ["Heading", "Paragraph", "Span", "Table", "Picture", "Block", "Document", "build_document",
           "document_blocks", "table_caption", "save_publication", "load_publication", "PUBLICATION_FILE",
           "FIGURE_DPI", "anchor"]

#: File the notebook's run leaves for the renderer in its output folder (deleted before publishing).
PUBLICATION_FILE = ".publication.pickle"
#: Mark of a notebook cell whose output nbval compares (a test's fixture, not a part of the dossier).
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
log = logging.getLogger(__name__)
_CALL = re.compile(r"^\s*(show|print)\(sections\.(\w+)\(pub\)\)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


# --------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Span:
    """A run of inline text: ``bold``, ``italic``, ``code``, or a link to ``href`` (``#anchor``)."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str | None = None


@dataclass(frozen=True)
class Heading:
    """A heading of level 1–3 (``#`` to ``###``); ``anchor`` is nbconvert's id for it."""

    level: int
    text: str

    @property
    def anchor(self) -> str:
        """The HTML id of the heading (its text, slugged)."""
        return anchor(self.text)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of spans: ``kind`` is ``text``, ``bullet`` (an item of a list), ``quote``
    (a quotation) or ``pre`` (preformatted lines).
    """

    spans: tuple[Span, ...]
    kind: str = "text"

    @property
    def text(self) -> str:
        """The paragraph's plain text."""
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Table:
    """Table ``number`` (« Tableau n »): cells already formatted in French (``s`` where withheld).

    ``frame`` has string cells; when ``index`` is true its (named) index is the first column.
    """

    number: int
    caption: str
    frame: pd.DataFrame
    source: str
    index: bool = False
    appendix: bool = False

    def rows(self) -> list[list[str]]:
        """The header row, then every row, as strings."""
        frame = self.frame.reset_index() if self.index else self.frame
        return [[str(c) for c in frame.columns]] + [["" if pd.isna(v) else str(v) for v in row]
                                                     for row in frame.itertuples(index=False)]


@dataclass(frozen=True)
class Picture:
    """Figure ``number`` (« Figure n »): a PNG at :data:`~evaluation.report.sections.shown.FIGURE_DPI`, its caption, source and alt text."""

    number: int
    caption: str
    png: bytes
    alt: str
    source: str
    width_px: int
    height_px: int

    @property
    def aspect(self) -> float:
        """Height over width of the picture."""
        return self.height_px / self.width_px


Block = Heading | Paragraph | Table | Picture


@dataclass
class Document:
    """A report ready to be laid out: cover facts, body blocks and the appendix."""

    title: str
    territory: str
    as_of: dt.date | None
    run_date: dt.date
    edition: str | None
    warning: str | None  # the illustrative-data warning, when it applies
    blocks: list[Block] = field(default_factory=list)
    appendix: list[Block] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        """The document's numbered tables, in order."""
        return [b for b in [*self.blocks, *self.appendix] if isinstance(b, Table)]

    @property
    def pictures(self) -> list[Picture]:
        """The document's numbered figures, in order."""
        return [b for b in [*self.blocks, *self.appendix] if isinstance(b, Picture)]

    @property
    def headings(self) -> list[Heading]:
        """The document's headings, in order."""
        return [b for b in [*self.blocks, *self.appendix] if isinstance(b, Heading)]


def anchor(text: str) -> str:
    """The id nbconvert gives a heading (spaces → ``-``), as :func:`evaluation.report.sections.table_of_contents` links it."""
    return text.replace(" ", "-")


def fr_date(day: dt.date | None) -> str:
    """``2024-12-31`` → ``"31 décembre 2024"``."""
    if day is None:
        return "–"
    months = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()
    return f"{'1er' if day.day == 1 else day.day} {months[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------- publication hand-over
def save_publication(pub, folder: str | Path, *, as_of: dt.date | None) -> Path:
    """Leave the publication (and the date it describes) in ``folder`` for the Word and PDF renderer."""
    payload = pickle.dumps({"publication": pub, "as_of": as_of}, protocol=pickle.HIGHEST_PROTOCOL)
    return atomic_write(Path(folder) / PUBLICATION_FILE, lambda p: p.write_bytes(payload))


def load_publication(folder: str | Path) -> tuple[object, dt.date | None]:
    """Read what :func:`save_publication` left in ``folder`` (a file this run wrote itself)."""
    payload = pickle.loads((Path(folder) / PUBLICATION_FILE).read_bytes())  # noqa: S301 - our own run's file
    return payload["publication"], payload["as_of"]


# --------------------------------------------------------------------------- Markdown
def _spans(nodes: Iterable[dict], *, bold: bool = False, italic: bool = False, href: str | None = None) -> list[Span]:
    out: list[Span] = []
    for node in nodes:
        kind = node["type"]
        if kind == "text":
            out.append(Span(node["raw"], bold, italic, False, href))
        elif kind == "codespan":
            out.append(Span(node["raw"], bold, italic, True, href))
        elif kind in {"softbreak", "linebreak"}:
            out.append(Span(" " if kind == "softbreak" else "\n", bold, italic, False, href))
        elif kind == "strong":
            out += _spans(node["children"], bold=True, italic=italic, href=href)
        elif kind == "emphasis":
            out += _spans(node["children"], bold=bold, italic=True, href=href)
        elif kind == "link":
            out += _spans(node["children"], bold=bold, italic=italic, href=node["attrs"]["url"])
        elif "children" in node:
            out += _spans(node["children"], bold=bold, italic=italic, href=href)
        elif "raw" in node:
            out.append(Span(node["raw"], bold, italic, False, href))
    return out


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Adjacent spans of the same look as one (so that searching the text finds whole phrases)."""
    out: list[Span] = []
    for s in spans:
        if out and (out[-1].bold, out[-1].italic, out[-1].code, out[-1].href) == (s.bold, s.italic, s.code, s.href):
            out[-1] = Span(out[-1].text + s.text, s.bold, s.italic, s.code, s.href)
        else:
            out.append(s)
    return tuple(out)


def markdown_blocks(text: str) -> list[Block]:
    """Headings and paragraphs of a Markdown text (mistune's syntax tree)."""
    import mistune  # the Markdown parser only when a Word or PDF document is built

    tree = mistune.create_markdown(renderer=None)(_COMMENT.sub("", text))
    blocks: list[Block] = []

    def walk(nodes: list[dict], kind: str) -> None:
        for node in nodes:
            t = node["type"]
            if t == "heading":
                blocks.append(Heading(min(int(node["attrs"]["level"]), 3),
                                      "".join(s.text for s in _spans(node["children"])).strip()))
            elif t in {"paragraph", "block_text"}:
                spans = _merge(_spans(node["children"]))
                if "".join(s.text for s in spans).strip():
                    blocks.append(Paragraph(spans, kind))
            elif t == "block_quote":
                walk(node["children"], "quote")
            elif t == "list":
                for item in node["children"]:
                    walk(item["children"], "bullet")
            elif t == "block_code":
                blocks.append(Paragraph((Span(node["raw"].rstrip("\n"), code=True),), "pre"))
            elif "children" in node:
                walk(node["children"], kind)

    walk(tree, "text")
    return blocks


# --------------------------------------------------------------------------- building
def _lower_first(text: str) -> str:
    """``"Part de la population"`` → ``"part de la population"``; acronyms (``"IC 95 %"``) kept."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def table_caption(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A caption saying what a table shows, from its columns: the values, then « par » the first
    column (``Effectif, part et attendu si proportionnel, par espace``).

    For a table that has no caption of its own: the section's heading, just above it, would be
    said twice (« Urbain et rural » then « Tableau 3 : Urbain et rural »), and two tables of one
    section would share a caption.
    """
    columns = [str(c) for c in (frame.reset_index() if index else frame).columns]
    if len(columns) < 2:
        return columns[0] if columns else "Tableau"
    values = [columns[1]] + [_lower_first(c) for c in columns[2:]]
    listed = values[0] if len(values) == 1 else ", ".join(values[:-1]) + " et " + values[-1]
    return f"{listed}, par {_lower_first(columns[0])}"


class _Builder:
    """Turns the builders' items into numbered blocks."""

    def __init__(self, source: str) -> None:
        self.source = f"Source : {source}" if source else ""
        self.blocks: list[Block] = []
        self.tables = 0
        self.figures = 0

    def add_markdown(self, text: str) -> None:
        self.blocks.extend(markdown_blocks(text))

    def add_table(self, frame: pd.DataFrame, *, caption: str | None = None, appendix: bool = False,
                  source: str | None = None) -> None:
        last = self.blocks[-1] if self.blocks else None
        if caption is None and isinstance(last, Paragraph) and len(last.spans) == 1 and last.spans[0].bold:
            caption = last.text.strip()  # a bold line announcing the table is its caption
            self.blocks.pop()
        index = bool(frame.index.name)
        self.tables += 1
        self.blocks.append(Table(self.tables, caption or table_caption(frame, index=index), frame.astype(str),
                                 self.source if source is None else source, index=index, appendix=appendix))

    def add_figure(self, figure: ShownFigure) -> None:
        self.figures += 1
        # No source line under a figure: the figure draws its own (figures.add_source), which is the
        # one the notebook and the HTML show too; a second one under the caption would repeat it.
        self.blocks.append(Picture(self.figures, figure.title, figure.png, figure.alt, "",
                                   figure.width_px, figure.height_px))

    def add(self, items, *, verbatim: bool = False) -> None:
        for item in [items] if isinstance(items, str | pd.DataFrame | Figure | ShownFigure) else items:
            if isinstance(item, Figure):
                self.add_figure(shown_figure(item))
            elif isinstance(item, ShownFigure):
                self.add_figure(item)
            elif isinstance(item, pd.DataFrame):
                self.add_table(item)
            elif verbatim:
                self.blocks.append(Paragraph((Span(str(item)),), "pre"))
            else:
                self.add_markdown(str(item))


def document_blocks(pub, cells: Sequence[tuple[str, str]], *,
                    shown: Sequence[Sequence] | None = None) -> tuple[list[Block], list[Block]]:
    """Body and appendix blocks of the report: ``cells`` are the notebook's ``(cell_type, source)``.

    Markdown cells are parsed. A code cell ``show(sections.x(pub))`` gives the items the
    notebook showed, in order, when ``shown`` holds them (:func:`evaluation.report.sections.shown.load`:
    the figures as drawn, once, in the kernel); without them, or when their number is not the
    number of ``show`` calls, the builder is run again on ``pub`` and its figures drawn here.
    Cells whose output nbval checks (``CHECK_MARK``, plain-text facts that pin the
    notebook's results for the tests) are left out, and other code cells (parameters, set-up)
    show nothing. The appendix is the indicator table with its definitions, as in the XLSX.
    """
    calls = sum(how == "show" for kind, source in cells if kind == "code" for how, _ in _CALL.findall(source))
    if shown is not None and len(shown) != calls:
        log.warning("the notebook showed %d items for %d show() calls: the sections are built again", len(shown),
                    calls)
        shown = None
    pending = iter(shown or ())
    sections.setup()
    build = _Builder(pub.source)
    for kind, source in cells:
        if kind == "markdown":
            build.add_markdown(source)
            continue
        if kind != "code":
            continue
        for how, name in _CALL.findall(source):
            if how == "show" and shown is not None:
                items = next(pending)
            else:
                builder = getattr(sections, name, None)
                if builder is None or name.startswith("_") or CHECK_MARK in source:
                    continue
                with captured_warnings([]):
                    items = builder(pub)
            if CHECK_MARK not in source:
                build.add(items, verbatim=how == "print")
    body = build.blocks
    build.blocks = []
    build.add_markdown("## Annexe : tableau des indicateurs")
    table = indicators_table(pub.indicators, alpha=pub.alpha)
    table.insert(1, "Définition", pub.indicators["definition"].astype(str).to_numpy())
    build.add_table(table, caption="Indicateurs, avec leur définition (comme dans indicators.xlsx)")
    return body, build.blocks


def build_document(pub, notebook: str | Path, *, as_of: dt.date | None, edition: str | None = None,
                   run_date: dt.date | None = None, shown: Sequence[Sequence] | None = None) -> Document:
    """The structured report of ``pub``, in the order of the executed report ``notebook``
    (with what its run showed, ``shown``, when kept: see :func:`document_blocks`).
    """
    import nbformat  # Jupyter's packages only when a document is built from a notebook

    nb = nbformat.read(str(notebook), as_version=4)
    cells = [(c.cell_type, c.source) for c in nb.cells]
    body, appendix = document_blocks(pub, cells, shown=shown)
    t = pub.territory
    warning = (SAMPLE_NOTE.format(seed=SAMPLE_SEED).replace("`", "") + " Les chiffres de ce rapport montrent "
               "la méthode ; ils ne mesurent pas l'action réelle.") if pub.illustrative else None
    return Document(title="Rapport d'évaluation", territory=t.label, as_of=as_of,
                    run_date=run_date or dt.date.today(), edition=edition, warning=warning, blocks=body,
                    appendix=appendix)


def toc_entries(doc: Document, *, levels: int = 2) -> list[Heading]:
    """Headings of the table of contents (levels 1 to ``levels``)."""
    return [h for h in doc.headings if h.level <= levels]


def href_anchor(href: str) -> str:
    """The heading id a ``#…`` link of the report points at (links are percent-encoded)."""
    return unquote(href.lstrip("#"))


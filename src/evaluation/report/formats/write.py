"""Which formats a report is written in, and the Word and PDF step of a run (report layer).

``evaluation report … --formats html,docx,pdf`` (default: all three). The HTML is the
executed notebook exported by :func:`evaluation.report.runs.render.render_report`; the Word and PDF
documents are built by :func:`start_documents` from the publication and the items the
notebook's run left in its output folder (:func:`evaluation.report.formats.document.save_publication`,
:mod:`evaluation.report.sections.shown`), in the order of the executed notebook, once the search for
raw names passed (so they carry the same sentence saying so); the PDF is laid out in a forked
child process while the HTML is exported. When WeasyPrint or the Pango library it needs is missing, the PDF is
skipped with a message saying what is missing (:func:`evaluation.report.formats.pdf.pdf_unavailable`)
and HTML and Word are still written.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from evaluation._io import fork_available
from evaluation.errors import ConfigError
from evaluation.report.formats import pdf as pdf_report
from evaluation.report.formats.document import PUBLICATION_FILE, build_document, load_publication
from evaluation.report.formats.docx import write_docx
from evaluation.report.sections import shown

__all__ = ["FORMATS", "FORMATS_ENV", "parse_formats", "render_documents", "start_documents", "PendingDocuments",
           "FORMAT_FILES"]

#: Every format of a report, in the order of the index page's links.
FORMATS: tuple[str, ...] = ("html", "docx", "pdf")
#: File of each format in a report's folder.
FORMAT_FILES = {"html": "report.html", "docx": "report.docx", "pdf": "report.pdf"}

log = logging.getLogger(__name__)


#: Environment variable giving the default formats (e.g. ``html`` on a machine that only previews).
FORMATS_ENV = "EVALUATION_FORMATS"

def parse_formats(formats: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"html,docx"`` → ``("html", "docx")``; ``None`` → the formats of the environment variable
    ``EVALUATION_FORMATS`` if set, else every format. Unknown names raise
    :class:`evaluation.errors.ConfigError` naming them and the allowed ones.
    """
    if formats is None:
        formats = os.environ.get(FORMATS_ENV) or ",".join(FORMATS)
    names = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise ConfigError(code="formats_unknown", names=", ".join(map(repr, unknown)) or "(none given)",
                          names_fr=", ".join(map(repr, unknown)) or "(aucun)", allowed=list(FORMATS))
    return tuple(f for f in FORMATS if f in names)


@dataclass
class PendingDocuments:
    """The Word and PDF documents of a run, under way: :meth:`wait` returns the files written."""

    written: list[Path] = field(default_factory=list)
    pdf: Future | None = None
    executor: ProcessPoolExecutor | None = None

    def wait(self) -> list[Path]:
        """Wait for the PDF (when it is laid out in a child process) and return every file written."""
        try:
            if self.pdf is not None:
                self.written.append(self.pdf.result())
        finally:
            if self.executor is not None:
                self.executor.shutdown()
            self.pdf = self.executor = None
        return self.written


def start_documents(folder: str | Path, notebook: str | Path, *, formats: Sequence[str] = FORMATS,
                    edition: str | None = None, concurrent: bool = True,
                    step: Callable[[str], None] | None = None) -> PendingDocuments:
    """Start writing ``report.docx`` and/or ``report.pdf`` into ``folder`` from the publication and
    the items the notebook's run left there, in the order of the executed ``notebook``.

    The document is built here; the PDF's layout (WeasyPrint, the longest step) runs in a forked
    child process when ``concurrent`` (on Linux), so that it overlaps with what the caller does
    meanwhile (the HTML export, the Word document); :meth:`PendingDocuments.wait` collects it.
    The PDF is skipped (logged as a warning) when it cannot be made here. ``step`` is told of each
    step as it starts (``"document"``, ``"docx"``, ``"pdf"``), for a run's progress on the terminal.
    """
    step = step or (lambda what: None)
    folder = Path(folder)
    wanted = [f for f in ("docx", "pdf") if f in formats]
    if not wanted:
        return PendingDocuments()
    if "pdf" in wanted:
        missing = pdf_report.pdf_unavailable()
        if missing:
            log.warning("report.pdf not written: %s", missing)
            wanted.remove("pdf")
            if not wanted:
                return PendingDocuments()
    step("document")
    pub, as_of = load_publication(folder)
    items = shown.load(folder)  # what the notebook showed (figures drawn once, in its kernel)
    (folder / PUBLICATION_FILE).unlink()
    (folder / shown.SHOWN_FILE).unlink(missing_ok=True)
    doc = build_document(pub, notebook, as_of=as_of, edition=edition, shown=items)
    pending = PendingDocuments()
    if "pdf" in wanted:
        step("pdf")
    if "pdf" in wanted and concurrent and fork_available():
        pending.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        pending.pdf = pending.executor.submit(pdf_report.write_pdf, doc, folder / FORMAT_FILES["pdf"])
    try:
        if "docx" in wanted:
            step("docx")
            pending.written.append(write_docx(doc, folder / FORMAT_FILES["docx"]))
        if "pdf" in wanted and pending.pdf is None:
            pending.written.append(pdf_report.write_pdf(doc, folder / FORMAT_FILES["pdf"]))
    except BaseException:
        pending.wait()
        raise
    return pending


def render_documents(folder: str | Path, notebook: str | Path, *, formats: Sequence[str] = FORMATS,
                     edition: str | None = None) -> list[Path]:
    """Write ``report.docx`` and/or ``report.pdf`` into ``folder`` (:func:`start_documents`) and
    return the files written.
    """
    return start_documents(folder, notebook, formats=formats, edition=edition).wait()

"""The report as an editable Word document (report layer; python-docx).

Laid out from :class:`evaluation.report.formats.document.Document`: a cover page (territory, « état
au », date, edition, the illustrative-data warning), a running header « territoire — état au
… » and page numbers on every other page, document properties (author ``evaluation``, title,
subject with the territory and date), a table of contents field (Word fills
it when the document is opened: ``updateFields``), Word's built-in heading styles (the
navigation pane works), real tables with a repeated header row and rows that never split
across pages, figures at print resolution with alternative text, captions « Tableau n » /
« Figure n » numbered by ``SEQ`` fields (Word renumbers them when a chapter is pasted
elsewhere) with their source line, A4 portrait with a binding gutter and page numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from evaluation._io import atomic_write
from evaluation.report.formats.document import Document, Heading, Paragraph, Picture, Table, fr_date

__all__ = ["write_docx", "docx_bytes", "running_header", "PAGE_MARGINS_CM", "AUTHOR"]

#: Author of the Word document (its core properties) — the package that writes it.
AUTHOR = "evaluation"
#: A4 portrait margins (top, bottom, inside, outside) and the binding gutter, in cm.
PAGE_MARGINS_CM = {"top": 2.5, "bottom": 2.5, "left": 2.5, "right": 2.0, "gutter": 1.0}
_TEXT_WIDTH_CM = 21.0 - 2.5 - 2.0 - 1.0
_NUMERIC = set("0123456789,–-  % []<;")


def _field(paragraph, instruction: str, result: str = "") -> None:
    """A complex field (``PAGE``, ``SEQ Tableau``, ``TOC …``) with its current result."""
    def fld(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)  # noqa: SLF001 - python-docx has no field API

    fld("begin")
    instr = paragraph.add_run()._r  # noqa: SLF001
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    instr.append(text)
    fld("separate")
    paragraph.add_run(result)
    fld("end")


def _set_cell_shading(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()  # noqa: SLF001
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _row_props(row, *, header: bool) -> None:
    props = row._tr.get_or_add_trPr()  # noqa: SLF001
    props.append(OxmlElement("w:cantSplit"))
    if header:
        props.append(OxmlElement("w:tblHeader"))


def _setup(doc, d: Document) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    m = PAGE_MARGINS_CM
    section.top_margin, section.bottom_margin = Cm(m["top"]), Cm(m["bottom"])
    section.left_margin, section.right_margin, section.gutter = Cm(m["left"]), Cm(m["right"]), Cm(m["gutter"])
    section.different_first_page_header_footer = True  # no running header nor page number on the cover
    header = section.header.paragraphs[0]
    header.text = running_header(d)
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" sur ")
    _field(footer, "NUMPAGES", "1")
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "fr-FR")
    normal.element.get_or_add_rPr().append(lang)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        styles[name].paragraph_format.keep_with_next = True
    styles["Caption"].paragraph_format.keep_with_next = True
    # Word updates the fields (table of contents, page count) when the document is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _cover(doc, d: Document, header: str) -> None:
    title = doc.add_paragraph(d.title, style="Title")
    title.paragraph_format.space_before = Pt(120)
    sub = doc.add_paragraph()
    run = sub.add_run(d.territory)
    run.bold, run.font.size = True, Pt(22)
    for text in (f"État au {fr_date(d.as_of)}", f"Édité le {fr_date(d.run_date)}",
                 *([f"Édition : {d.edition}"] if d.edition else [])):
        p = doc.add_paragraph(text)
        p.runs[0].font.size = Pt(13)
    if d.warning:
        box = doc.add_paragraph()
        box.paragraph_format.space_before = Pt(36)
        run = box.add_run(d.warning)
        run.bold = True
        run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x1C)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("Sommaire", style="TOC Heading" if "TOC Heading" in doc.styles else "Title")
    toc = doc.add_paragraph()
    _field(toc, 'TOC \\o "1-3" \\h \\z \\u',
           "Table des matières : dans Word, clic droit puis « Mettre à jour les champs ».")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _properties(doc, d, header)


def running_header(d: Document) -> str:
    """The running header of every page but the cover: « territoire — état au … » (as the PDF's)."""
    return f"{d.territory} — état au {fr_date(d.as_of)}"


def _properties(doc, d: Document, title: str) -> None:
    """Word's document properties (File › Info), in place of python-docx's template's own."""
    props = doc.core_properties
    props.title = title
    props.subject = f"Rapport d'évaluation territorial — {d.territory} — état au {fr_date(d.as_of)}"
    props.author = props.last_modified_by = AUTHOR
    props.comments = (f"Édité le {fr_date(d.run_date)}" + (f" ; édition {d.edition}" if d.edition else "")
                      + " ; construit à partir de la publication protégée du rapport.")
    props.keywords = "évaluation ; ANRU ; économie sociale et solidaire"
    props.category = "Rapport d'évaluation"
    props.language = "fr-FR"
    stamp = dt.datetime.combine(d.run_date, dt.time(), tzinfo=dt.UTC)
    props.created = props.modified = stamp
    props.revision = 1


def _paragraph(doc, p: Paragraph) -> None:
    style = {"bullet": "List Bullet", "quote": "Quote", "pre": "No Spacing"}.get(p.kind)
    par = doc.add_paragraph(style=style)
    for span in p.spans:
        lines = span.text.split("\n") if p.kind == "pre" else [span.text]
        for i, line in enumerate(lines):
            run = par.add_run(line)
            run.bold, run.italic = span.bold or None, span.italic or None
            if span.code or p.kind == "pre":
                run.font.name = "Consolas"
                run.font.size = Pt(9)
            if i < len(lines) - 1:
                run.add_break()


def _caption(doc, label: str, number: int, text: str) -> None:
    cap = doc.add_paragraph(style="Caption")
    cap.add_run(f"{label} ")
    _field(cap, f"SEQ {label} \\* ARABIC", str(number))
    cap.add_run(f" : {text}")


def _source(doc, text: str) -> None:
    if not text:
        return
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.italic, run.font.size = True, Pt(8)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def _table(doc, t: Table) -> None:
    _caption(doc, "Tableau", t.number, t.caption)
    rows = t.rows()
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    small = Pt(8 if len(rows[0]) > 5 or t.appendix else 9)
    numeric = [all(set(r[j]) <= _NUMERIC or r[j] in {"s", "", "non estimable"} for r in rows[1:]) and j > 0
               for j in range(len(rows[0]))]
    for i, (values, row) in enumerate(zip(rows, table.rows, strict=False)):
        _row_props(row, header=i == 0)
        for j, (value, cell) in enumerate(zip(values, row.cells, strict=False)):
            par = cell.paragraphs[0]
            run = par.add_run(value)
            run.font.size = small
            if i == 0:
                run.bold = True
                _set_cell_shading(cell, "DCE6EA")
            elif numeric[j]:
                par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if i < len(rows) - 1:
                par.paragraph_format.keep_with_next = True  # a short table stays on one page
    _source(doc, t.source)


def _picture(doc, f: Picture) -> None:
    width = min(_TEXT_WIDTH_CM, 16.0, 21.0 / f.aspect)  # never taller than the page can hold
    par = doc.add_paragraph()
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    par.paragraph_format.keep_with_next = True
    shape = par.add_run().add_picture(io.BytesIO(f.png), width=Cm(width))
    doc_pr = shape._inline.docPr  # noqa: SLF001 - alternative text lives on wp:docPr
    doc_pr.set("descr", f.alt)
    doc_pr.set("title", f.caption)
    _caption(doc, "Figure", f.number, f.caption)
    _source(doc, f.source)


def docx_bytes(d: Document) -> bytes:
    """The Word document of ``d`` (OOXML bytes)."""
    doc = new_docx()
    _setup(doc, d)
    _cover(doc, d, f"{d.title} — {d.territory}")
    for block in [*d.blocks, *d.appendix]:
        if isinstance(block, Heading):
            if block.text.startswith("Annexe"):
                doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            doc.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            _paragraph(doc, block)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Picture):
            _picture(doc, block)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_docx(d: Document, path: str | Path) -> Path:
    """Write ``d`` to ``path`` (``report.docx``) atomically."""
    data = docx_bytes(d)
    return atomic_write(Path(path), lambda p: p.write_bytes(data))

"""The one-page fiche of a territory, for the annex of a dossier: ``fiche.pdf`` and ``fiche.docx``.

One A4 page: what the data cover, the period and the date, four key figures with their
confidence grade, the findings of L'essentiel (:func:`evaluation.report.sections.findings.findings`),
one chart (the rate per 10,000 inhabitants beside the rest of the area, else the networks'
before and after), and the source. Everything comes from the protected publication, as in
the report. ``evaluation report … --formats fiche`` writes both files (the PDF when WeasyPrint
can run, :func:`evaluation.report.formats.pdf.pdf_unavailable`).

The PDF is checked to fit its page: when the text runs over (long labels, six findings), the
chart is drawn smaller, then left out, until it fits (:func:`fiche_pdf_bytes`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document as new_docx
from docx.shared import Cm, Pt, RGBColor

from evaluation._io import atomic_write
from evaluation.report.formats.document import fr_date
from evaluation.report.published import Publication
from evaluation.report.sections import findings as found
from evaluation.report.sections import overview
from evaluation.report.sections.base import cutoff_text, period_text, report_title
from evaluation.report.sections.shown import shown_figure

__all__ = ["Fiche", "fiche", "fiche_html", "fiche_pdf_bytes", "fiche_docx_bytes", "write_fiche", "FICHE_FILES",
           "KEY_FIGURES", "CHART_HEIGHTS_CM"]

#: The fiche's files, in a report's folder.
FICHE_FILES = {"pdf": "fiche.pdf", "docx": "fiche.docx"}
#: Key figures on the fiche.
KEY_FIGURES = 4
#: Heights tried for the chart, in cm, until the PDF fits one page; the last, 0, draws no chart.
CHART_HEIGHTS_CM = (7.0, 5.5, 4.0, 0.0)


@dataclass
class Fiche:
    """What the fiche shows: each text already in French, each number protected and formatted."""

    title: str
    period: str
    cutoff: str
    run_date: dt.date
    findings: list[found.Finding]
    cannot: list[str]
    source: str
    warning: str | None = None
    chart: bytes | None = None  # PNG
    chart_alt: str = ""
    figures: list[found.Finding] = field(default_factory=list)


def fiche(pub: Publication, *, run_date: dt.date | None = None) -> Fiche:
    """The fiche of ``pub``: its findings, the first :data:`KEY_FIGURES` as key figures, one chart."""
    said = found.findings(pub)
    chart = overview.reach_chart(pub)
    if chart is None and pub.network is not None:
        chart = overview.network_chart(pub)
    drawn = shown_figure(chart) if chart is not None else None
    return Fiche(title=report_title(pub), period=period_text(pub), cutoff=cutoff_text(pub),
                 run_date=run_date or dt.date.today(), findings=said, cannot=found.cannot_say(pub)[:2],
                 source=pub.source, warning=("Données illustratives : les chiffres montrent la méthode, ils ne "
                                             "mesurent pas l'action réelle.") if pub.illustrative else None,
                 chart=drawn.png if drawn else None, chart_alt=drawn.alt if drawn else "",
                 figures=said[:KEY_FIGURES])


# --------------------------------------------------------------------------- PDF
_STYLE = """
@page { size: A4 portrait; margin: 1.5cm 1.7cm 1.4cm 1.7cm; }
html { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.2pt; line-height: 1.35; color: #111; }
body { margin: 0; }
header { border-bottom: 2px solid #1d3b47; padding-bottom: .25cm; margin-bottom: .3cm; }
header .kind { font-size: 8pt; color: #555; margin: 0; text-transform: uppercase; letter-spacing: .05em; }
header h1 { font-size: 17pt; color: #1d3b47; margin: .05cm 0; }
header p { margin: 0; }
.warning { color: #8a1c1c; font-weight: bold; margin-top: .1cm; }
.figures { display: flex; gap: .25cm; margin: .25cm 0 .35cm; }
.figure { flex: 1; border: 1px solid #9bb; border-radius: 3px; padding: .15cm .2cm; }
.figure .value { font-size: 15pt; font-weight: bold; color: #1d3b47; }
.figure .label { font-size: 7.5pt; min-height: 2.6em; }
.figure .grade { font-size: 7pt; color: #444; margin-top: .1cm; }
h2 { font-size: 10.5pt; color: #1d3b47; margin: .25cm 0 .1cm; }
ul { margin: 0; padding-left: 1.1em; }
li { margin: .08cm 0; }
.chart { text-align: center; margin: .2cm 0; }
.chart img { max-width: 100%; }
footer { font-size: 7pt; color: #555; margin-top: .3cm; border-top: 1px solid #ccc; padding-top: .1cm; }
"""


def _inline(text: str) -> str:
    """Markdown bold (``**…**``) and italics (``*…*``) of a finding as HTML."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", out)


def fiche_html(f: Fiche, *, chart_cm: float = CHART_HEIGHTS_CM[0]) -> str:
    """The fiche as print HTML, the chart ``chart_cm`` high (0: none)."""
    boxes = "".join(f'<div class="figure"><div class="value">{html.escape(k.figure)}</div>'
                    f'<div class="label">{html.escape(k.label)}</div>'
                    f'<div class="grade">Confiance : {k.grade}</div></div>' for k in f.figures)
    items = "".join(f"<li>{_inline(k.text)} <em>Confiance : {k.grade}.</em></li>" for k in f.findings)
    cannot = "".join(f"<li>{_inline(c)}</li>" for c in f.cannot)
    chart = ""
    if f.chart is not None and chart_cm > 0:
        data = base64.b64encode(f.chart).decode("ascii")
        chart = (f'<div class="chart"><img style="max-height:{chart_cm}cm" src="data:image/png;base64,{data}" '
                 f'alt="{html.escape(f.chart_alt)}"></div>')
    warning = f'<p class="warning">{html.escape(f.warning)}</p>' if f.warning else ""
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Fiche — {html.escape(f.title)}</title>'
            f'<meta name="author" content="evaluation"></head><body>'
            f'<header><p class="kind">Rapport d\'évaluation — fiche</p><h1>{html.escape(f.title)}</h1>'
            f"<p>Période {html.escape(f.period)}" + (f", {html.escape(f.cutoff)}" if f.cutoff else "")
            + f" ; édité le {html.escape(fr_date(f.run_date))}.</p>{warning}</header>"
            f'<div class="figures">{boxes}</div><h2>L\'essentiel</h2><ul>{items}</ul>{chart}'
            + (f"<h2>Ce que ces chiffres ne disent pas</h2><ul>{cannot}</ul>" if cannot else "")
            + f"<footer>Source : {html.escape(f.source)}. Le rapport complet donne les tableaux, les méthodes et "
              "les limites.</footer></body></html>")


def fiche_pdf_bytes(f: Fiche) -> bytes:
    """The fiche's PDF, on one page: the chart is drawn smaller, then left out, until it fits."""
    from weasyprint import CSS, HTML  # WeasyPrint only when a PDF is written

    css = CSS(string=_STYLE)
    for height in CHART_HEIGHTS_CM:
        document = HTML(string=fiche_html(f, chart_cm=height)).render(stylesheets=[css])
        if len(document.pages) == 1 or height == CHART_HEIGHTS_CM[-1]:
            return document.write_pdf()
    raise AssertionError("unreachable")  # the loop returns at its last height


# --------------------------------------------------------------------------- Word
def fiche_docx_bytes(f: Fiche) -> bytes:
    """The fiche as an editable Word document (A4, narrow margins, one page of content)."""
    doc = new_docx()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(1.4)
    section.left_margin = section.right_margin = Cm(1.6)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(9)
    normal.paragraph_format.space_after = Pt(2)
    props = doc.core_properties
    props.title, props.author, props.language = f"Fiche — {f.title}", "evaluation", "fr-FR"

    def runs(paragraph, text: str, *, size: float | None = None) -> None:
        for k, piece in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
            if piece:
                run = paragraph.add_run(piece.replace("*", ""))
                run.bold = bool(k % 2) or None
                if size:
                    run.font.size = Pt(size)

    head = doc.add_paragraph()
    head.add_run("Rapport d'évaluation — fiche").font.size = Pt(8)
    title = doc.add_paragraph()
    run = title.add_run(f.title)
    run.bold, run.font.size, run.font.color.rgb = True, Pt(16), RGBColor(0x1D, 0x3B, 0x47)
    doc.add_paragraph(f"Période {f.period}" + (f", {f.cutoff}" if f.cutoff else "")
                      + f" ; édité le {fr_date(f.run_date)}.")
    if f.warning:
        run = doc.add_paragraph().add_run(f.warning)
        run.bold, run.font.color.rgb = True, RGBColor(0x8A, 0x1C, 0x1C)
    table = doc.add_table(rows=3, cols=max(len(f.figures), 1))
    table.style = "Table Grid"
    for j, k in enumerate(f.figures):
        cells = table.columns[j].cells
        runs(cells[0].paragraphs[0], f"**{k.figure}**", size=13)
        runs(cells[1].paragraphs[0], k.label, size=8)
        runs(cells[2].paragraphs[0], f"Confiance : {k.grade}", size=7.5)
    doc.add_heading("L'essentiel", level=2)
    for k in f.findings:
        runs(doc.add_paragraph(style="List Bullet"), f"{k.text} Confiance : {k.grade}.")
    if f.chart is not None:
        picture = doc.add_paragraph().add_run().add_picture(io.BytesIO(f.chart), height=Cm(5.0))
        picture._inline.docPr.set("descr", f.chart_alt)  # noqa: SLF001 - alternative text lives on wp:docPr
    if f.cannot:
        doc.add_heading("Ce que ces chiffres ne disent pas", level=2)
        for c in f.cannot:
            runs(doc.add_paragraph(style="List Bullet"), c)
    source = doc.add_paragraph().add_run(f"Source : {f.source}. Le rapport complet donne les tableaux, les méthodes "
                                         "et les limites.")
    source.italic, source.font.size = True, Pt(7)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_fiche(pub: Publication, folder: str | Path, *, pdf: bool = True,
                run_date: dt.date | None = None) -> list[Path]:
    """Write ``fiche.docx`` and (when ``pdf``) ``fiche.pdf`` into ``folder``; return the files written."""
    f = fiche(pub, run_date=run_date)
    folder = Path(folder)
    written = [atomic_write(folder / FICHE_FILES["docx"], lambda p: p.write_bytes(fiche_docx_bytes(f)))]
    if pdf:
        data = fiche_pdf_bytes(f)
        written.append(atomic_write(folder / FICHE_FILES["pdf"], lambda p: p.write_bytes(data)))
    return written

"""The report as a paginated PDF (report layer; WeasyPrint from a print stylesheet).

Laid out from :class:`evaluation.report.formats.document.Document` as print HTML (not the notebook's
HTML): A4 pages with a binding margin on the inside, the cover of the Word document, a
clickable table of contents with page numbers, PDF bookmarks for chapters and sections
(WeasyPrint makes them from the headings), a running header with the territory and the
date, page numbers, table rows never split across pages (header rows repeated), figures
never cut (scaled to fit a page), fonts embedded (WeasyPrint embeds subsets).

WeasyPrint needs the Pango library of the system; :func:`pdf_unavailable` says what is
missing when it cannot be loaded, so that the caller can still write HTML and Word.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
from pathlib import Path

from evaluation._io import atomic_write
from evaluation.messages import render_message
from evaluation.problems import Lang
from evaluation.report.formats.document import (
    Document,
    Heading,
    Paragraph,
    Picture,
    Span,
    Table,
    fr_date,
    href_anchor,
    toc_entries,
)

__all__ = ["write_pdf", "pdf_bytes", "print_html", "pdf_unavailable", "STYLESHEET"]

STYLESHEET = """
@page { size: A4 portrait; margin: 2.5cm 2cm 2.2cm 3cm;
  @top-left { content: string(territory) " — état au " string(asof); font-size: 8pt; color: #555; }
  @bottom-center { content: "Page " counter(page) " sur " counter(pages); font-size: 8pt; color: #555; } }
@page :left { margin: 2.5cm 3cm 2.2cm 2cm; }
@page :first { @top-left { content: none; } @bottom-center { content: none; } }
html { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt; line-height: 1.35;
  color: #111; }
body { margin: 0; }
.cover { page-break-after: always; padding-top: 6cm; string-set: territory attr(data-territory), asof attr(data-asof); }
.cover .title { font-size: 26pt; font-weight: bold; margin: 0 0 .3em; }
.cover .territory { font-size: 20pt; margin: 0 0 1.2em; }
.cover p { font-size: 12pt; margin: .2em 0; }
.cover .warning { margin-top: 2.5cm; padding: .6em .8em; border-left: 4px solid #8a1c1c; color: #8a1c1c;
  font-weight: bold; font-size: 10pt; }
nav.toc { page-break-after: always; }
nav.toc h2 { bookmark-level: none; }
nav.toc ul { list-style: none; padding: 0; }
nav.toc li { margin: .15em 0; }
nav.toc li.l2 { margin-left: 1.2em; }
nav.toc a { color: #111; text-decoration: none; }
nav.toc a::after { content: leader('.') target-counter(attr(href), page); }
h1 { font-size: 16pt; margin: 0 0 .6em; page-break-before: always; }
h2 { font-size: 13pt; margin: 1.2em 0 .5em; }
h3 { font-size: 11pt; margin: 1em 0 .4em; }
h1, h2, h3 { break-after: avoid; color: #1d3b47; }
h2.chapter { page-break-before: always; }
p { margin: .35em 0; orphans: 2; widows: 2; }
blockquote { margin: .4em 1.2em; padding-left: .6em; border-left: 2px solid #9bb; color: #333; }
ul { margin: .3em 0; padding-left: 1.4em; }
pre { font-family: inherit; font-size: 8pt; white-space: pre-wrap; }
code { font-family: inherit; font-size: 8.5pt; color: #1d3b47; }
em { font-style: normal; text-decoration: underline; }
a { color: #1d5a73; }
.caption { font-weight: bold; font-size: 8.5pt; margin: .9em 0 .25em; break-after: avoid; }
.source { font-size: 7.5pt; color: #555; margin: .2em 0 .8em; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: .5pt solid #999; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #dce6ea; }
td.num { text-align: right; white-space: nowrap; }
table.appendix { font-size: 7pt; }
figure { margin: .6em 0; break-inside: avoid; page-break-inside: avoid; text-align: center; }
figure img { max-width: 100%; max-height: 20cm; }
"""

_NUMERIC = set("0123456789,–-  % []<;")


@functools.cache
def pdf_unavailable(*, lang: Lang = "en") -> str | None:
    """Why the PDF cannot be made here (WeasyPrint or its system libraries missing), in ``lang``, or ``None``."""
    # WeasyPrint logs its steps at INFO from its import on (its default stylesheets): with
    # `evaluation -v` every report would print them.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return render_message("pdf_no_weasyprint", lang=lang)
    except OSError as exc:  # the Pango / GObject shared libraries cannot be loaded
        return render_message("pdf_no_pango", {"error": str(exc)}, lang=lang)
    return None


def _spans(spans: tuple[Span, ...]) -> str:
    out = []
    for s in spans:
        text = html.escape(s.text).replace("\n", "<br>")
        if s.code:
            text = f"<code>{text}</code>"
        if s.italic:
            text = f"<em>{text}</em>"
        if s.bold:
            text = f"<strong>{text}</strong>"
        if s.href:
            target = f"#{href_anchor(s.href)}" if s.href.startswith("#") else s.href
            text = f'<a href="{html.escape(target)}">{text}</a>'
        out.append(text)
    return "".join(out)


def _table(t: Table) -> str:
    rows = t.rows()
    numeric = [j > 0 and all(set(r[j]) <= _NUMERIC or r[j] in {"s", "", "non estimable"} for r in rows[1:])
               for j in range(len(rows[0]))]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "\n".join("<tr>" + "".join(f'<td{" class=num" if numeric[j] else ""}>{html.escape(v)}</td>'
                                      for j, v in enumerate(r)) + "</tr>" for r in rows[1:])
    cls = ' class="appendix"' if t.appendix else ""
    return (f'<p class="caption">Tableau {t.number} : {html.escape(t.caption)}</p>\n'
            f"<table{cls}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>\n"
            + (f'<p class="source">{html.escape(t.source)}</p>' if t.source else ""))


def _picture(f: Picture) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(f.alt)}">'
            f'<figcaption class="caption">Figure {f.number} : {html.escape(f.caption)}</figcaption>'
            + (f'<p class="source">{html.escape(f.source)}</p>' if f.source else "") + "</figure>")


def print_html(d: Document) -> str:
    """The print HTML of ``d`` (what WeasyPrint lays out with ``STYLESHEET``)."""
    as_of = fr_date(d.as_of)
    parts = [f'<section class="cover" data-territory="{html.escape(d.territory)}" data-asof="{html.escape(as_of)}">',
             f'<p class="title">{html.escape(d.title)}</p><p class="territory">{html.escape(d.territory)}</p>',
             f"<p>État au {html.escape(as_of)}</p><p>Édité le {html.escape(fr_date(d.run_date))}</p>"]
    if d.edition:
        parts.append(f"<p>Édition : {html.escape(d.edition)}</p>")
    if d.warning:
        parts.append(f'<p class="warning">{html.escape(d.warning)}</p>')
    parts.append("</section>")
    parts.append('<nav class="toc"><h2>Sommaire</h2><ul>')
    parts += [f'<li class="l{h.level}"><a href="#{html.escape(h.anchor)}">{html.escape(h.text)}</a></li>'
              for h in toc_entries(d)]
    parts.append("</ul></nav>")
    chapter = False
    in_list = False
    for block in [*d.blocks, *d.appendix]:
        if in_list and not (isinstance(block, Paragraph) and block.kind == "bullet"):
            parts.append("</ul>")
            in_list = False
        if isinstance(block, Heading):
            # Chapters (level 2) start a page, except the summary that follows the title.
            cls = ' class="chapter"' if block.level == 2 and chapter else ""
            chapter |= block.level == 2
            parts.append(f'<h{block.level} id="{html.escape(block.anchor)}"{cls}>{html.escape(block.text)}'
                         f"</h{block.level}>")
        elif isinstance(block, Paragraph):
            text = _spans(block.spans)
            if block.kind == "bullet":
                if not in_list:
                    parts.append("<ul>")
                    in_list = True
                parts.append(f"<li>{text}</li>")
            elif block.kind == "quote":
                parts.append(f"<blockquote>{text}</blockquote>")
            elif block.kind == "pre":
                parts.append(f"<pre>{html.escape(block.text)}</pre>")
            else:
                parts.append(f"<p>{text}</p>")
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Picture):
            parts.append(_picture(block))
    if in_list:
        parts.append("</ul>")
    title = html.escape(f"{d.title} — {d.territory}")
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="author" content="evaluation"></head><body>\n' + "\n".join(parts) + "\n</body></html>")


def pdf_bytes(d: Document) -> bytes:
    """The PDF of ``d``; raises ``RuntimeError`` saying what is missing when WeasyPrint cannot run."""
    missing = pdf_unavailable()
    if missing:
        raise RuntimeError(f"report.pdf cannot be made: {missing}")
    from weasyprint import CSS, HTML  # WeasyPrint (and Pango behind it) only when a PDF is written

    # WeasyPrint warns when it subsets fonts with fontTools rather than HarfBuzz: slower, same PDF.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return HTML(string=print_html(d)).write_pdf(stylesheets=[CSS(string=STYLESHEET)], pdf_variant=None,
                                                 optimize_images=False)


def write_pdf(d: Document, path: str | Path) -> Path:
    """Write ``d`` to ``path`` (``report.pdf``) atomically."""
    data = pdf_bytes(d)
    return atomic_write(Path(path), lambda p: p.write_bytes(data))

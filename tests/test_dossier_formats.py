"""The Word and PDF reports: same headings, figures and withheld cells as the HTML; layout rules.

One Chenôve report is rendered in the three formats, with a disclosure threshold of 11 so
that indicators are withheld too. The DOCX is read with python-docx, the PDF with pypdf,
the HTML with regular expressions (nbconvert's headings, pandas' table cells).
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import logging
import re
from pathlib import Path

import docx
import pandas as pd
import pytest
from pypdf import PdfReader

from evaluation.errors import ConfigError
from evaluation.report.formats.document import markdown_blocks
from evaluation.report.formats.write import parse_formats
from evaluation.report.runs.render import render_report
from evaluation.report.secrecy.leaks import RawName, find_leaks

THRESHOLD = 11
NBSPS = {"\u00a0", "\u202f"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("formats")
    html = render_report("chenove", out_dir=out, parameters={"disclosure_threshold": THRESHOLD},
                         formats="html,docx,pdf,fiche")
    return html.parent


@pytest.fixture(scope="module")
def word(report):
    return docx.Document(str(report / "report.docx"))


@pytest.fixture(scope="module")
def pdf(report):
    return PdfReader(str(report / "report.pdf"))


@pytest.fixture(scope="module")
def pages(pdf) -> list[str]:
    return [page.extract_text() or "" for page in pdf.pages]


def _squash(text: str) -> str:
    """Text without any spacing (PDF extraction and Word differ in spaces and line breaks)."""
    return re.sub(r"\s+", "", "".join(" " if c in NBSPS else c for c in text))


def _html_headings(report: Path) -> list[tuple[int, str]]:
    html = (report / "report.html").read_text(encoding="utf-8")
    found = re.findall(r"<h([1-3])[^>]*>(.*?)</h\1>", html, flags=re.S)
    return [(int(level), htmllib.unescape(re.sub(r"<[^>]+>", "", text)).replace("¶", "").strip())
            for level, text in found]


def _word_headings(word) -> list[tuple[int, str]]:
    return [(int(p.style.name.split()[-1]), p.text.strip()) for p in word.paragraphs
            if p.style.name.startswith("Heading ")]


def _outline(pdf) -> list[str]:
    def walk(items):
        for item in items:
            yield from walk(item) if isinstance(item, list) else [item.title]
    return list(walk(pdf.outline))


def _word_tables(word) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in word.tables]


def _french_to_float(text: str) -> float:
    """``"66,9 %"`` → 0.669, ``"14 445"`` → 14445 (read back independently of the formatter)."""
    clean = "".join(c for c in text if c not in NBSPS and c != " ").replace(",", ".")
    return float(clean[:-1]) / 100 if clean.endswith("%") else float(clean)


# --------------------------------------------------------------------------- structure
def test_headings_and_their_order_match_the_html(report, word, pdf):
    html = _html_headings(report)
    # The HTML opens on the title, which Word and the PDF put on their cover.
    assert html[0] == (1, "Chenôve (dont le QPV du Mail)")
    assert len(html) > 15 and ("Méthode et sources" in [t for _, t in html])
    body = _word_headings(word)
    assert body == html[1:]
    assert body[0] == (2, "L'essentiel") and body[-1] == (3, "Glossaire")
    assert _outline(pdf) == [t for _, t in html[1:]]


def test_captions_are_numbered_without_gaps_with_sources_and_alt_text(word, pages):
    captions = [p.text for p in word.paragraphs if p.style.name == "Caption"]
    tables = [int(m.group(1)) for c in captions if (m := re.match(r"Tableau (\d+) : \S", c))]
    figures = [int(m.group(1)) for c in captions if (m := re.match(r"Figure (\d+) : \S", c))]
    assert tables == list(range(1, len(word.tables) + 1))
    assert figures == list(range(1, len(word.inline_shapes) + 1)) and len(figures) >= 4
    assert len(captions) == len(tables) + len(figures)
    # Word numbers them with SEQ fields, so that it renumbers a chapter pasted elsewhere.
    xml = word.element.xml
    assert xml.count(" SEQ Tableau ") == len(tables) and xml.count(" SEQ Figure ") == len(figures)
    # Every table is followed by a source line; a figure draws its own source (once, in the image).
    assert sum(p.text.startswith("Source : ") for p in word.paragraphs) == len(tables)
    for shape in word.inline_shapes:
        alt = shape._inline.docPr.get("descr")
        assert alt and len(alt) > 30
    text = "\n".join(pages)
    pdf_tables = sorted({int(n) for n in re.findall(r"Tableau (\d+) :", text)})
    pdf_figures = sorted({int(n) for n in re.findall(r"Figure (\d+) :", text)})
    assert pdf_tables == tables and pdf_figures == figures


def test_word_page_setup_toc_fields_and_cover(word, report):
    section = word.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert section.gutter.cm > 0 and section.left_margin.cm >= 2
    assert section.different_first_page_header_footer
    assert " PAGE " in section.footer._element.xml
    xml = word.element.xml
    assert 'TOC \\o "1-3"' in xml
    assert "w:updateFields" in word.settings.element.xml
    cover = "\n".join(p.text for p in word.paragraphs[:12])
    assert "Chenôve (dont le QPV du Mail)" in cover and "Période : 2018–2024" in cover and "Édité le " in cover
    assert "Données illustratives générées par evaluation sample" in cover
    # the date: the end of the last complete month of the data
    assert "Données arrêtées au 30 novembre 2024" in cover
    for style in ("Heading 1", "Heading 2", "Heading 3"):
        assert word.styles[style].builtin


def test_pdf_is_a4_with_bookmarks_embedded_fonts_header_and_page_numbers(pdf, pages):
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842 for p in pdf.pages)
    assert {"L'essentiel", "Qui l'action atteint-elle ?", "Annexe technique", "Méthode et sources"} <= set(_outline(pdf))
    fonts = 0
    for page in pdf.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
            fonts += 1
    assert fonts
    n = len(pages)
    assert "Page" not in pages[0]  # the cover has no number
    for i, text in enumerate(pages[1:], start=2):
        assert f"Page {i} sur {n}" in text
        assert "Chenôve (dont le QPV du Mail) — données au" in text
    # The table of contents links to the chapters' pages.
    links = [a.get_object() for a in pdf.pages[1].get("/Annots", [])]
    assert len(links) >= 5 and all(a["/Subtype"] == "/Link" for a in links)


# --------------------------------------------------------------------------- content
def test_every_indicator_figure_appears_in_both_with_the_same_french_formatting(report, word, pages):
    csv = pd.read_csv(report / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    appendix = _indicator_table(word)
    header = appendix[0]
    assert header[:3] == ["Indicateur", "Définition", "Valeur"]
    rows = {r[0]: r for r in appendix[1:]}
    html = htmllib.unescape((report / "report.html").read_text(encoding="utf-8"))
    text = _squash("".join(pages))
    assert len(rows) == len(csv)
    for ind in csv.itertuples():
        row = rows[ind.indicateur]
        value = row[2]
        assert row[1] == ind.definition
        if ind.secret == "oui":
            assert value == "non publié", ind.code
        elif ind.unite == "oui (1) / non (0)":  # a flag reads in words
            assert value == ("oui" if ind.valeur else "non"), ind.code
        elif ind.estimable == "non":
            assert value == "non estimable", ind.code
        else:  # the figure as written reads back as the CSV's value
            decimals = len(value.split(",")[1].rstrip(" %\u202f\u00a0")) if "," in value else 0
            half_unit = 0.5 * 10 ** -decimals / (100 if "%" in value else 1)  # rounded to the digits shown
            assert abs(_french_to_float(value) - ind.valeur) <= half_unit + 1e-9, (ind.code, value)
            assert "." not in value
        # the same string in the HTML's table of indicators (after the definition) and on a page of the PDF
        assert re.search(rf">{re.escape(ind.indicateur)}</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>{re.escape(value)}</td>",
                         html), ind.code
        assert _squash(ind.indicateur + value) in text or (
            _squash(ind.indicateur) in text and _squash(value) in text), ind.code
    assert (csv["secret"] == "oui").sum() >= 1  # the threshold of 11 withholds an indicator


WITHHELD = {"non publié", f"moins de {THRESHOLD}"}


def _indicator_table(word) -> list[list[str]]:
    return next(t for t in _word_tables(word) if t[0][:3] == ["Indicateur", "Définition", "Valeur"])


def test_every_withheld_cell_reads_in_words_in_both(report, word, pages):
    """No « s » anywhere: a withheld cell reads « non publié », or « moins de 11 » where it is known to be small."""
    html = htmllib.unescape((report / "report.html").read_text(encoding="utf-8"))
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert "s" not in cells
    html_w = sum(c in WITHHELD for c in cells)
    tables = _word_tables(word)
    assert not [c for t in tables for row in t for c in row if c == "s"]
    word_w = sum(cell in WITHHELD for t in tables for row in t[1:] for cell in row)
    assert html_w > 0 and word_w == html_w
    csv = pd.read_csv(report / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert sum(row[2] == "non publié" for row in _indicator_table(word)[1:]) == (csv["secret"] == "oui").sum()
    # In the PDF, each row with a withheld cell is whole on a page.
    words = [re.findall(r"\w+", p) for p in pages]
    for t in tables:
        for row in t[1:]:
            if WITHHELD & set(row):
                needed = set(re.findall(r"\w+", " ".join(row)))
                assert any(needed <= set(w) for w in words), row
    # No withheld number leaks through the withheld rows: a threshold of 11 hides every count below it.
    for t in tables:
        counts = [i for i, h in enumerate(t[0]) if h in {"Effectif", "Accompagnements", "Témoignages qui l'abordent"}]
        for row in t[1:]:
            for i in counts:
                if row[i] not in WITHHELD | {"–", ""}:
                    value = _french_to_float(row[i])
                    assert value == 0 or value >= THRESHOLD, (t[0], row)


def test_no_table_row_is_cut_across_pdf_pages(word, pages):
    """Every row of every table has all its words on one page (a cut row spreads over two)."""
    words = [set(re.findall(r"\w+", p)) for p in pages]
    for t in _word_tables(word):
        for row in t:
            needed = set(re.findall(r"\w+", " ".join(row)))
            assert any(needed <= w for w in words), row


def test_figures_fit_their_page(pdf):
    """Figures are never cut: every image is drawn inside the page's printable area."""
    for page in pdf.pages:
        for image in page.images:
            assert image.image.width > 600  # print resolution, downscaled from nothing smaller
    for page in pdf.pages:  # images are placed by the transformation matrix current at their `Do`
        boxes = []

        def visit(op, args, cm, tm, boxes=boxes):
            if op == b"Do":
                boxes.append((cm[4], cm[5], cm[0], cm[3]))

        page.extract_text(visitor_operand_before=visit)
        for x, y, w, h in boxes:
            assert 0 <= x and x + w <= float(page.mediabox.width) and 0 <= y and y + h <= float(page.mediabox.height)


# --------------------------------------------------------------------------- pieces
def test_parse_formats(monkeypatch):
    monkeypatch.delenv("EVALUATION_FORMATS", raising=False)
    assert parse_formats(None) == ("html", "docx", "pdf", "fiche")
    monkeypatch.setenv("EVALUATION_FORMATS", "pdf,html")
    assert parse_formats(None) == ("html", "pdf")
    assert parse_formats("pdf, HTML") == ("html", "pdf")
    assert parse_formats("fiche") == ("fiche",)
    with pytest.raises(ConfigError, match="'odt'.*html, docx, pdf, fiche"):
        parse_formats("html,odt")


def test_markdown_blocks_keep_headings_bold_links_and_quotes():
    blocks = markdown_blocks("<!-- hidden -->\n## Synthèse\n\n**Indicateurs clés**\n\n> « cité »\n\n- un [lien](#S)")
    assert [type(b).__name__ for b in blocks] == ["Heading", "Paragraph", "Paragraph", "Paragraph"]
    assert blocks[0].level == 2 and blocks[0].text == "Synthèse"
    assert blocks[1].spans[0].bold and blocks[2].kind == "quote" and blocks[3].kind == "bullet"
    assert blocks[3].spans[-1].href == "#S"


def test_docx_and_pdf_text_is_searched_for_names(tmp_path):
    from evaluation.report.formats.pdf import pdf_unavailable

    d = docx.Document()
    d.add_paragraph("Rien ici.")
    d.add_table(rows=1, cols=2).rows[0].cells[1].text = "avec EPICERIE du pont"
    d.save(tmp_path / "report.docx")
    names = [RawName("Épicerie du Pont", "actors.csv, column 'name', row 2")]
    leaks = find_leaks([tmp_path / "report.docx"], names, root=tmp_path)
    assert [(leak.file, leak.where) for leak in leaks] == [("report.docx", "table 1, row 1")]
    if pdf_unavailable():
        pytest.skip(pdf_unavailable())
    from weasyprint import HTML

    words = " ".join(["mot"] * 14)
    HTML(string=f'<p style="width:6cm">{words} Épicerie du Pont</p>').write_pdf(tmp_path / "report.pdf")
    assert [leak.where for leak in find_leaks([tmp_path / "report.pdf"], names)] == ["page 1"]


def test_without_pango_the_pdf_is_skipped_and_said(tmp_path, monkeypatch, caplog, paths):
    """HTML and Word are still written; the reason is logged (and printed once by the command)."""
    from evaluation.report.context import prepare_context
    from evaluation.report.formats import pdf as pdf_report
    from evaluation.report.formats import write as formats
    from evaluation.report.formats.document import save_publication
    from evaluation.report.publication import publish

    ctx = prepare_context("chatillonnais")
    pub = publish(ctx, ctx.reach(), None, None, source="test")
    save_publication(pub, tmp_path, as_of=dt.date(2024, 12, 31))
    monkeypatch.setattr(pdf_report, "pdf_unavailable", lambda **kw: "WeasyPrint cannot load the Pango library (test)")
    with caplog.at_level(logging.WARNING, logger="evaluation.formats"):
        written = formats.render_documents(tmp_path, paths.report_notebook)
    assert [p.name for p in written] == ["fiche.docx", "report.docx"]
    assert "report.pdf not written: WeasyPrint cannot load the Pango library" in caplog.text
    assert "fiche.pdf not written: WeasyPrint cannot load the Pango library" in caplog.text
    assert not (tmp_path / "report.pdf").exists() and not (tmp_path / ".publication.pickle").exists()
    word = docx.Document(io.BytesIO((tmp_path / "report.docx").read_bytes()))
    assert "Châtillonnais" in "\n".join(p.text for p in word.paragraphs[:5])
    assert "Données arrêtées au 31 décembre 2024" in "\n".join(p.text for p in word.paragraphs[:8])


def test_index_links_the_formats_written(tmp_path):
    from evaluation.report.runs.batch import RunResult, write_index

    for slug, files in (("chenove", ("report.html", "report.docx", "report.pdf")), ("auxois", ("report.html",))):
        (tmp_path / slug).mkdir()
        for name in files:
            (tmp_path / slug / name).write_bytes(b"")
    page = write_index([RunResult("chenove", True, str(tmp_path / "chenove" / "report.html")),
                        RunResult("auxois", True, str(tmp_path / "auxois" / "report.html"))],
                       out_dir=tmp_path).read_text(encoding="utf-8")
    assert ('<a href="chenove/report.html">rapport (HTML)</a> · <a href="chenove/report.docx">Word</a> · '
            '<a href="chenove/report.pdf">PDF</a> · <a href="chenove/indicators.xlsx">indicateurs</a>') in page
    assert '<a href="auxois/report.html">rapport (HTML)</a> · <a href="auxois/indicators.xlsx">' in page
    assert "auxois/report.pdf" not in page


def test_command_checks_formats_and_says_once_when_the_pdf_cannot_be_made(monkeypatch, capsys, tmp_path):
    from evaluation import cli
    from evaluation.report.formats import pdf as pdf_report

    monkeypatch.delenv("EVALUATION_FORMATS", raising=False)  # the command's default: all three
    assert cli.main(["report", "chenove", "--formats", "html,odt"]) == 2
    assert "unknown report format(s) 'odt'" in capsys.readouterr().err
    calls = []
    monkeypatch.setattr("evaluation.report.runs.render.render_report", lambda territory, **kw: calls.append(kw) or tmp_path)
    monkeypatch.setattr(pdf_report, "pdf_unavailable", lambda **kw: "WeasyPrint cannot load the Pango library (test)")
    assert cli.main(["report", "chenove"]) == 0
    err = capsys.readouterr().err
    assert err.count("report.pdf will not be written: WeasyPrint cannot load the Pango library (test)") == 1
    assert calls[0]["formats"] == ("html", "docx", "fiche")  # HTML, Word, the fiche's Word: no second message
    # the PDF alone was asked for and cannot be made: nothing is rendered, and the command fails
    assert cli.main(["report", "chenove", "--formats", "pdf"]) == 1
    assert "nothing was rendered" in capsys.readouterr().err and len(calls) == 1


def test_verbose_logging_does_not_print_weasyprint_s_steps():
    """`evaluation -v` logs at INFO: WeasyPrint's progress messages (from its import on) stay out."""
    import subprocess
    import sys

    code = ("import logging, datetime as dt\nlogging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"
            "from evaluation.report.formats.pdf import pdf_bytes\nfrom evaluation.report.formats.document import Document\n"
            "assert pdf_bytes(Document('T', 'X', None, dt.date(2024, 1, 1), None, None)).startswith(b'%PDF')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "weasyprint.progress" not in done.stderr


# --------------------------------------------------------------------------- a new user's findings
def _body_items(word) -> list[tuple[str, str]]:
    """``(style, text)`` of the Word body's paragraphs, and ``("table", "")`` for each table, in order."""
    from docx.text.paragraph import Paragraph

    out = []
    for el in word.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            par = Paragraph(el, word)
            out.append((par.style.name, par.text.strip()))
        elif tag == "tbl":
            out.append(("table", ""))
    return out


def test_the_notebooks_checked_facts_are_left_out_of_word_and_pdf(report, word, pages):
    """``print(sections.territory_facts(pub))`` pins the notebook's results for nbval (slug, raw
    listing): the analysts' notebook keeps it, the dossier formats do not show it as a raw block.
    """
    nb = (report / "report.ipynb").read_text(encoding="utf-8")
    assert "Territoire : Chenôve — quartier du Mail (chenove)" in nb  # still in the notebook
    text = "\n".join(p.text for p in word.paragraphs)
    assert "(chenove)" not in text and "Communes par niveau de densité :" not in text
    assert not [p.text for p in word.paragraphs if p.style.name == "No Spacing" and p.text.strip()]
    assert "(chenove)" not in _squash("".join(pages)) and _squash("Communes par niveau de densité :") \
        not in _squash("".join(pages))


def test_a_caption_does_not_repeat_the_heading_above_it(word, pages):
    items = _body_items(word)
    heading, captions = "", []
    for style, text in items:
        if style.startswith("Heading "):
            heading = text
        elif style == "Caption" and text.startswith("Tableau "):
            caption = text.split(" : ", 1)[1]
            assert caption != heading, text
            captions.append(caption)
    assert len(captions) == len(set(captions)) and len(captions) > 10  # two tables of a section differ too
    # The Word document's captions are the PDF's.
    assert all(_squash(c) in _squash("".join(pages)) for c in captions)


def test_table_caption_says_what_the_table_shows():
    frame = pd.DataFrame({"Espace": ["Urbain", "Rural"], "Effectif": ["12", "s"], "Part": ["80 %", "s"],
                          "IC 95 % (Wilson)": ["[1 ; 2]", "s"]})
    from evaluation.report.formats.document import table_caption

    assert table_caption(frame) == "Effectif, part et IC 95 % (Wilson), par espace"
    assert table_caption(frame.set_index("Espace"), index=True) == table_caption(frame)
    assert table_caption(frame[["Espace", "Part"]]) == "Part, par espace"


def test_a_maps_alternative_text_is_french_and_says_what_it_shows():
    """A map drawn by geopandas has its axes labelled with its CRS's English axis names, not shown."""
    import geopandas as gpd
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from shapely.geometry import box

    from evaluation.report.sections.shown import figure_alt, shown_figure

    communes = gpd.GeoDataFrame({"rate": [3.0, 7.0]}, geometry=[box(4.9, 47.2, 5.0, 47.3), box(5.0, 47.2, 5.1, 47.3)],
                                crs="EPSG:4326")
    fig, ax = plt.subplots()
    communes.plot(ax=ax, column="rate", legend=True, legend_kwds={"label": "Pour 10 000 habitants"})
    ax.set_axis_off()
    ax.set_title("Accompagnements pour 10 000 habitants")
    assert "Geodetic" in ax.get_xlabel() + ax.get_ylabel()  # what the old alt text said
    alt = figure_alt(fig)
    assert alt.startswith("Accompagnements pour 10 000 habitants. Carte des communes, colorées selon : "
                          "Pour 10 000 habitants.")
    assert not re.search(r"Geodetic|longitude|latitude|degree|\[", alt)
    ax.set_title("Accompagnements pour 10 000 habitants, par département — France")  # France: by département
    assert "Carte des départements, colorés selon : Pour 10 000 habitants." in figure_alt(fig)
    ax.set_title("Accompagnements pour 10 000 habitants")
    shown = shown_figure(fig)
    assert shown.alt == alt and shown.png.startswith(b"\x89PNG") and shown.width_px > 600


def test_word_alt_texts_carry_no_english_axis_names(word):
    alts = [shape._inline.docPr.get("descr") for shape in word.inline_shapes]
    assert alts and all(alts)
    assert not [a for a in alts if re.search(r"Geodetic|longitude|latitude|degree", a)]


def test_word_document_properties(word, report):
    props = word.core_properties
    assert props.author == "evaluation" and props.last_modified_by == "evaluation"
    assert props.title == "Rapport d'évaluation — Chenôve (dont le QPV du Mail)"
    assert props.subject == "Rapport d'évaluation territorial — Chenôve (dont le QPV du Mail) — données au 30 novembre 2024"
    assert "python-docx" not in f"{props.author} {props.comments} {props.last_modified_by}"
    assert props.created.date() == dt.date.today() and props.language == "fr-FR"


def test_word_has_a_running_header_and_page_numbers(word, pages):
    section = word.sections[0]
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert header == "Chenôve (dont le QPV du Mail) — données au 30 novembre 2024"
    assert _squash(header) in _squash(pages[1])  # the PDF's running header, word for word
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()  # not on the cover
    footer = section.footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer


def test_figures_are_drawn_once_the_html_and_word_embed_the_same_pngs(report, word):
    """The notebook draws each figure once at print resolution; Word embeds that very PNG."""
    import base64
    import hashlib

    html = (report / "report.html").read_text(encoding="utf-8")
    in_html = [hashlib.sha256(base64.b64decode(b)).hexdigest()
               for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]
    blobs = [word.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
             for shape in word.inline_shapes]
    in_word = [hashlib.sha256(blob).hexdigest() for blob in blobs]
    assert len(in_word) >= 4 and in_word == [h for h in in_html if h in set(in_word)]
    assert not (report / ".shown.pickle").exists()


def test_the_html_figures_carry_the_same_french_alternative_text(report, word):
    html = (report / "report.html").read_text(encoding="utf-8")
    alts = [htmllib.unescape(a) for a in re.findall(r'<img[^>]*\balt="([^"]*)"', html)]
    assert "No description has been provided for this image" not in alts
    assert alts == [shape._inline.docPr.get("descr") for shape in word.inline_shapes]


def test_the_pdf_is_not_forked_from_a_daemonic_process(monkeypatch):
    """A dask worker is a daemonic process, which may not have children: the PDF is laid out in it."""
    import multiprocessing
    import sys
    from types import SimpleNamespace

    from evaluation._io import fork_available

    linux = sys.platform.startswith("linux")
    assert fork_available() == linux
    monkeypatch.setattr(multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    assert not fork_available()


# --------------------------------------------------------------------------- L'essentiel and the fiche (issue 27)
def _page_lines(text: str) -> list[str]:
    """A page's lines without its running header (first line) and page number (last line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [line for line in lines if not line.startswith("Chenôve (dont le QPV du Mail) — données au")
            and not re.fullmatch(r"Page \d+ sur \d+", line)]


def test_page_3_is_l_essentiel_on_one_page_in_short_sentences_without_jargon(pages, word):
    from evaluation.report.sections.lexicon import terms_in

    from .test_essentiel import sentence_lengths

    essentiel = _page_lines(pages[2])
    assert essentiel[0] == "L'essentiel"
    following = _word_headings(word)[1]  # the chapter after L'essentiel (the objectives, when declared)
    assert following[0] == 2 and _page_lines(pages[3])[0] == following[1]  # it starts the next page: L'essentiel fits
    text = "\n".join(essentiel)
    lengths = sentence_lengths(text)
    assert len(lengths) >= 10
    assert sum(lengths) / len(lengths) <= 20 and max(lengths) <= 35, lengths
    assert terms_in(text) == []
    assert {"solide", "indicatif", "fragile"} & set(re.findall(r"Confiance : (\w+)", text))


def test_the_fiche_is_one_a4_page_in_pdf_and_word(report):
    fiche = PdfReader(str(report / "fiche.pdf"))
    assert len(fiche.pages) == 1
    page = fiche.pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    text = page.extract_text()
    assert "Chenôve (dont le QPV du Mail)" in text and "Période 2018–2024" in text and "Source :" in text
    assert len(re.findall(r"Confiance : (?:solide|indicatif|fragile)", text)) >= 4 + 3  # key figures and findings
    assert len(page.images) == 1  # one chart
    word = docx.Document(str(report / "fiche.docx"))
    assert "Chenôve (dont le QPV du Mail)" in "\n".join(p.text for p in word.paragraphs[:4])


def test_no_pseudonym_code_in_any_format(report, word, pages):
    html = (report / "report.html").read_text(encoding="utf-8")
    text = "\n".join(p.text for p in word.paragraphs) + "".join(pages) + html
    assert not re.search(r"\bP-[0-9a-f]{6,}", text)

"""The report as a document: Word and PDF from what the notebook showed.

``document`` (headings, paragraphs, numbered tables and figures, in the notebook's order),
``docx`` (python-docx), ``pdf`` (print HTML and stylesheet, WeasyPrint) and ``write``
(``--formats``, the Word and PDF step of a run, the PDF in a forked child).

May import :mod:`evaluation.report.sections` and everything below it (see :mod:`evaluation.report`).
"""

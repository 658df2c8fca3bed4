"""The dossier formats: a report in HTML, Word and PDF against the same report in HTML alone.

* ``formats``: ``render_report("chenove")`` writing ``report.html``, ``report.docx`` and
  ``report.pdf`` against ``render_report("chenove", formats="html")``, same data, same
  kernel, measured alternately in the same run (best of two each, after one run that
  fills the data cache and warms the imports). Target ≤ 1.3.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from evaluation.io.pseudonyms import KEY_ENV
from evaluation.report.formats.pdf import pdf_unavailable
from evaluation.report.runs.render import render_report

TERRITORY = "chenove"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> tuple[str, bool]:
    os.environ.setdefault(KEY_ENV, "benchmark-key-0123456789")  # as an evaluator with a key: cache used
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        render_report(TERRITORY, out_dir=tmp / "warm", formats="html")  # fill the data cache
        t_html, t_all = [], []
        for _ in range(2):
            t_html.append(_timed(lambda: render_report(TERRITORY, out_dir=tmp / "html", formats="html")))
            t_all.append(_timed(lambda: render_report(TERRITORY, out_dir=tmp / "all")))
        written = sorted(p.name for p in (tmp / "all" / TERRITORY).glob("report.*"))
        size = (tmp / "all" / TERRITORY / "report.pdf").stat().st_size // 1024 if "report.pdf" in written else 0
    ratio = min(t_all) / min(t_html)
    note = f"; PDF skipped: {pdf_unavailable()}" if pdf_unavailable() else f"; PDF {size} KB"
    return (f"formats: ratio={ratio:.2f} target<=1.3 (report {TERRITORY} in HTML, Word and PDF vs HTML alone, "
            f"best of 2; {min(t_all):.1f} s vs {min(t_html):.1f} s; written {', '.join(written)}{note})",
            ratio <= 1.3)

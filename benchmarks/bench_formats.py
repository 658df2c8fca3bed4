"""The dossier formats: a report in HTML, Word and PDF against the same report in HTML alone.

* ``formats``: ``render_report("chenove")`` writing ``report.html``, ``report.docx`` and
  ``report.pdf`` against ``render_report("chenove", formats="html")``, same data, same
  kernel, measured alternately in the same run (best of two each, after one run that
  fills the data cache and warms the imports). Target ≤ 1.3. The formats are named, not left
  to the default, which the environment variable ``EVALUATION_FORMATS`` may narrow.

At ``size="tiny"`` (the test suite): one turn each, no warm-up, on this process's warm kernels
rather than a kernel started for each report.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, sized, timed  # noqa: E402
from evaluation.io.pseudonyms import KEY_ENV  # noqa: E402
from evaluation.report.formats.pdf import pdf_unavailable  # noqa: E402
from evaluation.report.formats.write import FORMATS  # noqa: E402
from evaluation.report.runs.render import render_report  # noqa: E402

TERRITORY = "chenove"
SCALE = {"full": (2, False, True), "tiny": (1, True, False)}  # turns, warm kernels, a warm-up render


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    turns, warm, warm_up = sized(size, **SCALE)
    os.environ.setdefault(KEY_ENV, BENCH_KEY)  # as an evaluator with a key: cache used
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if warm_up:  # fill the data cache
            render_report(TERRITORY, out_dir=tmp / "warm", formats="html", warm=warm)
        t_html, t_all, written = [], [], []
        for _ in range(turns):
            t_html.append(timed(lambda: render_report(TERRITORY, out_dir=tmp / "html", formats="html", warm=warm)))
            t_all.append(timed(lambda: written.append(render_report(TERRITORY, out_dir=tmp / "all", formats=FORMATS,
                                                                   warm=warm))))
        # the files beside the first format's file, which render_report returns
        documents = {p.name: p.stat().st_size for p in written[-1].parent.glob("report.*")}
    ratio = min(t_all) / min(t_html)
    pdf = pdf_unavailable()
    note = f"; PDF skipped: {pdf}" if pdf else f"; PDF {documents.get('report.pdf', 0) // 1024} KB"
    return [(f"formats: ratio={ratio:.2f} target<=1.3 (report {TERRITORY} in HTML, Word and PDF vs HTML alone, "
             f"best of {turns}{', warm kernels' if warm else ''}; {min(t_all):.1f} s vs {min(t_html):.1f} s; "
             f"written {', '.join(sorted(documents))}{note})", ratio <= 1.3)]

"""Linear-programming audit of secrecy against rendering, on the 19 EPCI of Côte-d'Or.

``disclosure_audit``: the audit (:func:`evaluation.report.secrecy.audit.audit`) of the 19 EPCI
reports' publications (built with ``context.prepare_context``, the reach summary, the
network and venue analyses and ``publication.publish``, no notebook) against rendering the
same 19 reports with ``evaluation report --all --workers 2``
(:func:`evaluation.report.runs.batch.render_batch`). Target ≤ 0.2, so that the audit can run on
every batch. The reports are rendered in their three formats (HTML, Word, PDF), named rather
than left to the default, which the environment variable ``EVALUATION_FORMATS`` may narrow.
At ``size="tiny"`` (the test suite): one territory, rendered in HTML on one worker.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, failed_runs, sized  # noqa: E402
from bench_batch import epci_territories  # noqa: E402
from evaluation.io.pseudonyms import KEY_ENV  # noqa: E402
from evaluation.report import context, publication  # noqa: E402
from evaluation.report.formats.write import FORMATS, parse_formats  # noqa: E402
from evaluation.report.runs.batch import render_batch  # noqa: E402
from evaluation.report.secrecy.audit import audit  # noqa: E402

# territories (None: the 19), workers and formats of the rendering
SCALE = {"full": (None, 2, FORMATS), "tiny": (1, 1, "html")}


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    n_territories, workers, formats = sized(size, **SCALE)
    os.environ.setdefault(KEY_ENV, BENCH_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        terr, slugs, data = epci_territories(tmp)
        slugs = slugs[:n_territories]
        publications = []
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for slug in slugs:
                ctx = context.prepare_context(slug, data_dir=data, territories_file=terr)
                publications.append(publication.publish(ctx, ctx.reach(), ctx.network(), ctx.venue()))
        t_publish = time.perf_counter() - start
        start = time.perf_counter()
        audits = [audit(p) for p in publications]
        t_audit = time.perf_counter() - start
        start = time.perf_counter()
        results = render_batch(slugs, out_dir=tmp / "batch", workers=workers, progress=False, territories_file=terr,
                               data_dir=data, formats=formats)
        t_render = time.perf_counter() - start
    ok_reports = sum(r.ok for r in results)
    cells = sum(len(a) for a in audits)
    failing = sum(int((~a["ok"]).sum()) for a in audits)
    ratio = t_audit / t_render
    return [(f"disclosure_audit: ratio={ratio:.3f} target<=0.2 (LP audit of the {len(slugs)} EPCI publications of "
             f"Côte-d'Or, {cells} withheld cells, {failing} failing, vs `report --all --workers {workers}` rendering them "
             f"in {', '.join(parse_formats(formats))}, "
             f"{ok_reports} rendered; {t_audit:.1f} s vs {t_render:.0f} s; building the publications "
             f"(measures + joint suppression): {t_publish:.0f} s{failed_runs(results)})",
             ratio <= 0.2 and failing == 0 and ok_reports == len(slugs))]

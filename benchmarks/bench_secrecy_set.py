"""The audit of a publication set against rendering it, on the 19 EPCI of Côte-d'Or.

``secrecy_set``: ``evaluation audit FOLDER`` (:func:`evaluation.report.runs.secrecy.audit_folder`:
reading the 19 reports' registers, linking them as one set and auditing every withheld cell)
against rendering the same 19 reports with ``report --all --workers 2``. The reports' files are
written by the publication step of each report (``report_publication`` with the batch's set
decision, no notebook); rendering 19 notebooks takes long, so the render side is the time of
three reports rendered one after the other (HTML), scaled to 19 and halved for two workers —
the line says so. Target ≤ 0.3, so that a batch can be audited at no great cost. Territories
and data: those of the ``batch`` benchmark (the 19 EPCI of Côte-d'Or, the sample without its
testimonies). At ``size="tiny"`` (the test suite): two EPCI, one report rendered.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, sized  # noqa: E402
from bench_batch import epci_territories  # noqa: E402
from evaluation.io.pseudonyms import KEY_ENV  # noqa: E402
from evaluation.report.publication import report_publication  # noqa: E402
from evaluation.report.runs.render import render_report  # noqa: E402
from evaluation.report.runs.secrecy import audit_folder, decide_set  # noqa: E402

# EPCI in the set (None: the 19) and reports rendered to time the render side
SCALE = {"full": (None, 3), "tiny": (2, 1)}


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    n_territories, rendered = sized(size, **SCALE)
    os.environ.setdefault(KEY_ENV, BENCH_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        terr, slugs, data = epci_territories(tmp)
        slugs = slugs[:n_territories]
        options = {"territories_file": terr, "data_dir": data}
        out = tmp / "reports"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            decision = decide_set(slugs, threshold=5, out_dir=out, **options)
            t_decide = time.perf_counter() - start
            for slug in slugs:
                report_publication(slug, threshold=5, output_dir=out / slug, secrecy_set=decision, **options)
        start = time.perf_counter()
        result = audit_folder(out)
        t_audit = time.perf_counter() - start
        start = time.perf_counter()
        for slug in slugs[:rendered]:
            render_report(slug, out_dir=tmp / "rendered", formats="html", parameters={"secrecy_set": str(decision)},
                          **options)
        t_render = (time.perf_counter() - start) / rendered * len(slugs) / 2
    ratio = t_audit / t_render
    return [(f"secrecy_set: ratio={ratio:.3f} target<=0.3 (audit of the publication set of {len(slugs)} EPCI "
             f"of Côte-d'Or from their files, {result.cells} withheld cells, {len(result.recoverable)} recoverable, "
             f"vs rendering them with 2 workers, estimated from {rendered} report(s) rendered one after the other "
             f"(HTML) × {len(slugs)} / {rendered} / 2; {t_audit:.1f} s vs {t_render:.0f} s; deciding the set "
             f"beforehand: {t_decide:.0f} s)", ratio <= 0.3 and result.ok)]


if __name__ == "__main__":
    for line, _ in run():
        print(line)

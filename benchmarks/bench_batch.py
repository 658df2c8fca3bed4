"""Batch rendering of the 19 EPCI territories of Côte-d'Or.

* ``report``: one full report (papermill run of the report notebook and HTML export)
  against papermill running, on the same kernel, a notebook that only imports the same
  libraries — the floor set by kernel start and imports. Target ≤ 2×.
* ``report_warm``: the same report on a warm kernel (:mod:`evaluation.report.runs.warm`, the pool
  batches use) against a kernel started for the run (papermill's default). Target ≤ 0.4.
* ``batch``: throughput of ``evaluation report --all --workers 2`` (validation, warm
  kernels, notebook, HTML, indicators, index page) against a plain sequential loop of
  ``papermill.execute_notebook`` calls on the same notebook in one process. Target ≥ 3×.

At ``size="tiny"`` (the test suite): one turn of each side, a batch of one territory on one
worker, and no warm-up render before the timings.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, failed_runs, sized, timed  # noqa: E402
from evaluation.config import get_paths  # noqa: E402
from evaluation.geo.territories import load_territories  # noqa: E402
from evaluation.io.pseudonyms import KEY_ENV  # noqa: E402
from evaluation.kernel import ensure_kernel  # noqa: E402
from evaluation.report.runs.batch import render_batch  # noqa: E402
from evaluation.report.runs.render import render_report  # noqa: E402
from evaluation.report.runs.warm import import_lines  # noqa: E402

# turns, territories of the batch (None: all 19), workers, a warm-up render before the timings
SCALE = {"full": (2, None, 2, True), "tiny": (1, 1, 1, False)}
TERRITORIES = """territories: {}
generate:
  - every_epci_of: "21"
    split_date: 2020-01-01
    sites:
      - {label: "Pôle d'économie solidaire (Dijon)", commune: "21231"}
"""


def epci_territories(tmp: Path) -> tuple[Path, list[str], Path]:
    """A territories file with the 19 EPCI of Côte-d'Or and a copy of the sample without its
    testimonies and its partner survey (they name territories this file does not define), in ``tmp``.
    """
    terr = tmp / "territories.yml"
    terr.write_text(TERRITORIES, encoding="utf-8")
    data = tmp / "data"
    shutil.copytree(get_paths().sample, data, ignore=shutil.ignore_patterns("testimonies.*", "enquete"))
    return terr, list(load_territories(terr)), data


def _import_only_notebook(path: Path) -> None:
    """A notebook whose one cell imports what the report notebook imports."""
    report = nbformat.read(get_paths().report_notebook, as_version=4)
    nb = nbformat.v4.new_notebook(metadata=report.metadata)
    nb.cells = [nbformat.v4.new_code_cell(import_lines(get_paths().report_notebook))]
    nbformat.write(nb, path)


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    turns, n_batch, workers, warm_up = sized(size, **SCALE)
    kernel = ensure_kernel()
    os.environ.setdefault(KEY_ENV, BENCH_KEY)  # as an evaluator with a key: cache used
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        terr, slugs, data = epci_territories(tmp)
        batch_slugs = slugs[:n_batch]
        # notebook and HTML, as the papermill sides (the Word and PDF formats: bench_formats.py)
        options = {"territories_file": terr, "data_dir": data, "formats": "html"}
        floor_nb = tmp / "imports.ipynb"
        _import_only_notebook(floor_nb)
        if warm_up:  # fill the data cache, and start and warm the pool's kernel (idle while the cold sides run)
            render_report(slugs[0], out_dir=tmp / "warm", warm=True, **options)
        t_floor = min(timed(lambda: pm.execute_notebook(str(floor_nb), str(tmp / "floor.ipynb"), kernel_name=kernel,
                                                        progress_bar=False)) for _ in range(turns))
        t_report = min(timed(lambda: render_report(slugs[0], out_dir=tmp / "one", **options)) for _ in range(turns))
        report_ratio = t_report / t_floor
        t_warm = min(timed(lambda: render_report(slugs[0], out_dir=tmp / "warm", warm=True, **options))
                     for _ in range(turns))
        warm_ratio = t_warm / t_report
        notebook = str(get_paths().report_notebook)
        parameters = {"territories_file": str(terr), "data_dir": str(data)}
        t_seq = timed(lambda: [pm.execute_notebook(notebook, str(tmp / f"seq-{s}.ipynb"), kernel_name=kernel,
                                                   parameters={"territory": s, **parameters}, progress_bar=False)
                               for s in batch_slugs])
        results = []
        t_batch = timed(lambda: results.extend(render_batch(batch_slugs, out_dir=tmp / "batch", workers=workers,
                                                            progress=False, **options)))
        ok = sum(r.ok for r in results)
    batch_ratio = t_seq / t_batch
    return [
        (f"report: ratio={report_ratio:.2f} target<=2 (one full report, notebook and HTML, vs papermill on a "
         f"notebook that only imports the same libraries, same kernel, best of {turns}; {t_report:.1f} s vs "
         f"{t_floor:.1f} s)", report_ratio <= 2),
        (f"report_warm: ratio={warm_ratio:.2f} target<=0.4 (one full report on a warm kernel vs on a kernel "
         f"started for it, best of {turns}; {t_warm:.1f} s vs {t_report:.1f} s)", warm_ratio <= 0.4),
        (f"batch: ratio={batch_ratio:.2f} target>=3 (sequential papermill loop in one process vs "
         f"`report --all --workers {workers}`, {len(batch_slugs)} EPCI territories, {ok} rendered; "
         f"{t_seq:.0f} s vs {t_batch:.0f} s{failed_runs(results)})", batch_ratio >= 3 and ok == len(batch_slugs)),
    ]

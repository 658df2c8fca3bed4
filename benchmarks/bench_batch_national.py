"""Forty EPCI reports drawn across France on a Dask cluster of two workers.

The reference for all of France is built (``evaluation reference --departements all``),
illustrative data are generated on it (``evaluation sample --reference … --scale 20``:
about 16,000 accompaniments over the country), and a territories file declares every EPCI
of France (``every_epci_of: all``, 1,253 territories). Forty of them are drawn at random
(seed 16) across France. Both sides render those forty:

* floor: a plain sequential loop of ``papermill.execute_notebook`` calls on the report
  notebook in one process (a kernel started for each, the reference read by each);
* ours: :func:`evaluation.report.runs.batch.render_batch` on a ``dask.distributed.LocalCluster`` of
  two worker processes (one thread each), warm kernels, the reference read once per
  worker, HTML and indicators written, the index page written.

Target: sequential time / batch time ≥ 1.7. The line also gives the mean time per report
on the cluster, from which docs/methods/national.md extrapolates every EPCI of France on N machines.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import papermill as pm

sys.path.insert(0, str(Path(__file__).parent))

TARGET = 1.7
N = int(os.environ.get("BATCH_NATIONAL_N", "40"))  # fewer for a quick look; the target is stated for 40
TERRITORIES = """territories: {}
generate:
  - every_epci_of: all
    split_date: 2020-01-01
"""


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> tuple[str, bool]:
    from dask.distributed import LocalCluster

    from evaluation.config import get_paths
    from evaluation.geo.build import rebuild_reference
    from evaluation.geo.reference import load_reference
    from evaluation.geo.territories import load_territories
    from evaluation.io.pseudonyms import KEY_ENV
    from evaluation.io.sample import generate_sample, write_sample
    from evaluation.kernel import ensure_kernel
    from evaluation.report.runs.batch import render_batch

    kernel = ensure_kernel()
    os.environ.setdefault(KEY_ENV, "benchmark-key-0123456789")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref_dir = tmp / "reference"
        rebuild_reference("all", out_dir=ref_dir)
        terr = tmp / "territories.yml"
        terr.write_text(TERRITORIES, encoding="utf-8")
        territories = load_territories(terr, reference_dir=ref_dir)
        data = tmp / "data"
        write_sample(generate_sample(load_reference(ref_dir), territories, seed=2024, scale=20), data, seed=2024)
        slugs = sorted(np.random.default_rng(16).choice(sorted(territories), N, replace=False).tolist())
        # notebook and HTML, as the papermill side (the Word and PDF formats: bench_formats.py)
        options = {"territories_file": terr, "data_dir": data, "reference_dir": ref_dir, "formats": "html"}
        # Fill the validated-data cache once, as both sides then read it.
        render_batch(slugs[:1], out_dir=tmp / "warmup", workers=1, progress=False, warm=False, **options)
        notebook = str(get_paths().report_notebook)
        parameters = {"territories_file": str(terr), "data_dir": str(data), "reference_dir": str(ref_dir)}
        t_seq = _timed(lambda: [pm.execute_notebook(notebook, str(tmp / f"seq-{s}.ipynb"), kernel_name=kernel,
                                                    parameters={"territory": s, **parameters}, progress_bar=False)
                                for s in slugs])
        results = []
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            t_batch = _timed(lambda: results.extend(render_batch(slugs, out_dir=tmp / "batch", progress=False,
                                                                 scheduler=cluster.scheduler_address,
                                                                 workers=2, **options)))
        ok = sum(r.ok for r in results)
        per_report = float(np.mean([r.seconds for r in results if r.ok])) if ok else float("nan")
    ratio = t_seq / t_batch
    line = (f"batch_national: ratio={ratio:.2f} target>={TARGET:g} (sequential papermill loop vs render_batch on a "
            f"Dask LocalCluster of 2 workers, {N} EPCI drawn across France on the national reference, {ok} rendered; "
            f"{t_seq:.0f} s vs {t_batch:.0f} s; {per_report:.1f} s per report on a worker)")
    return line, ratio >= TARGET and ok == N

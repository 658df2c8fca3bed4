"""Editions (points d'étape) of one territory.

* ``editions``: ``publish_milestones("chenove")`` — three editions (end of 2020, 2022 and
  2024: validation, three dated reports, the SHA-256 of every input, the manifests) —
  against rendering the three plain reports of the same dates with ``render_report``, in
  the same run. Target ≤ 1.5: freezing an edition costs little beyond the report itself.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from evaluation.geo.territories import load_territories
from evaluation.io.pseudonyms import KEY_ENV
from evaluation.kernel import ensure_kernel
from evaluation.report.runs.publish import publish_milestones
from evaluation.report.runs.render import render_report

TERRITORY = "chenove"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> list[tuple[str, bool]]:
    ensure_kernel()
    os.environ.setdefault(KEY_ENV, "benchmark-key-0123456789")  # as an evaluator with a key: cache used
    dates = [d.isoformat() for d in sorted(load_territories()[TERRITORY].milestones.values())]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        render_report(TERRITORY, out_dir=tmp / "warm-up")  # fill the data cache for both sides
        t_plain = _timed(lambda: [render_report(TERRITORY, out_dir=tmp / f"plain-{d}", parameters={"as_of": d})
                                  for d in dates])
        t_editions = _timed(lambda: publish_milestones(TERRITORY, out_dir=tmp / "editions"))
        made = len(list((tmp / "editions" / TERRITORY / "editions").glob("*/manifest.json")))
    ratio = t_editions / t_plain
    return [(f"editions: ratio={ratio:.2f} target<=1.5 (publish --all-milestones of {TERRITORY}, {made} editions "
             f"with manifests, vs {len(dates)} plain reports of the same dates; {t_editions:.1f} s vs "
             f"{t_plain:.1f} s)", ratio <= 1.5 and made == len(dates))]

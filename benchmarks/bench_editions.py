"""Editions (points d'étape) of one territory.

* ``editions``: ``publish_milestones("chenove")`` — three editions (end of 2020, 2022 and
  2024: validation, three dated reports, the SHA-256 of every input, the manifests) —
  against rendering the three plain reports of the same dates with ``render_report``, in
  the same run. Target ≤ 1.5: freezing an edition costs little beyond the report itself.

At ``size="tiny"`` (the test suite): one milestone (a copy of the territories file where
chenove keeps only its first), no warm-up, and both sides on this process's warm kernels rather
than a kernel started for each report.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, sized, timed  # noqa: E402
from evaluation.config import get_paths  # noqa: E402
from evaluation.geo.territories import load_territories  # noqa: E402
from evaluation.io.pseudonyms import KEY_ENV  # noqa: E402
from evaluation.kernel import ensure_kernel  # noqa: E402
from evaluation.report.runs.publish import publish_milestones  # noqa: E402
from evaluation.report.runs.render import render_report  # noqa: E402

TERRITORY = "chenove"
SCALE = {"full": (None, False, True), "tiny": (1, True, False)}  # milestones kept (None: all), warm kernels, warm-up


def territories_file(tmp: Path, milestones: int | None) -> Path | None:
    """``None`` (the project's territories file), or a copy where the territory keeps only its
    first ``milestones``.
    """
    if milestones is None:
        return None
    source = get_paths().territories
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    kept = sorted(config["territories"][TERRITORY]["milestones"].items(), key=lambda kv: kv[1])[:milestones]
    config["territories"][TERRITORY]["milestones"] = dict(kept)
    path = tmp / "territories.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    milestones, warm, warm_up = sized(size, **SCALE)
    ensure_kernel()
    os.environ.setdefault(KEY_ENV, BENCH_KEY)  # as an evaluator with a key: cache used
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        options = {"territories_file": territories_file(tmp, milestones), "warm": warm}
        dates = [d.isoformat() for d in sorted(load_territories(options["territories_file"])[TERRITORY]
                                               .milestones.values())]
        if warm_up:  # fill the data cache for both sides
            render_report(TERRITORY, out_dir=tmp / "warm-up", **options)
        t_plain = timed(lambda: [render_report(TERRITORY, out_dir=tmp / f"plain-{d}", parameters={"as_of": d},
                                               **options) for d in dates])
        folders: list[Path] = []
        t_editions = timed(lambda: folders.extend(publish_milestones(TERRITORY, out_dir=tmp / "editions", **options)))
        made = sum((folder / "manifest.json").is_file() for folder in folders)
    ratio = t_editions / t_plain
    return [(f"editions: ratio={ratio:.2f} target<=1.5 (publish --all-milestones of {TERRITORY}, {made} editions "
             f"with manifests, vs {len(dates)} plain reports of the same dates{', warm kernels' if warm else ''}; "
             f"{t_editions:.1f} s vs {t_plain:.1f} s)", ratio <= 1.5 and made == len(dates))]

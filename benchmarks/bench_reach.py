"""Full reach summary on a million accompaniments vs the floor of reading and counting them.

A large reference is built with ``evaluation reference`` for the eight départements of
Bourgogne-Franche-Comté (3,697 communes, INSEE's official density levels), a million
accompaniments are generated on all its communes (``evaluation sample``'s generator with a
scale factor), validated with :func:`evaluation.io.datasets.load_dataset` and written to a
parquet file of the benchmark's own. Both sides then start from that file:

* floor: read it and count accompaniments by commune once (``value_counts``);
* ours: read it and compute :func:`evaluation.measures.reach.summary.reach_summary` (counts, shares and
  Wilson intervals by density, urban/rural, QPV and EPCI, per programme and per year,
  rates, representation indices, goodness of fit, communes reached, Lorenz and Gini,
  distances, both count models, trend tests).

Target: ours ≤ 3 × floor. At ``size="tiny"`` (the test suite): the reference of Côte-d'Or
alone, 5,000 accompaniments, one site, one turn.

The validated table is written by the benchmark, not read from ``load_dataset``'s cache:
the cache's layout is private, and no cache is written at all without a stable pseudonym
key (which made this benchmark stop with ``StopIteration`` when none was configured).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from _timing import best_of, sized  # noqa: E402
from evaluation.geo.build import rebuild_reference  # noqa: E402
from evaluation.geo.reference import load_reference  # noqa: E402
from evaluation.geo.territory import Site  # noqa: E402
from evaluation.io.datasets import load_dataset  # noqa: E402
from evaluation.io.sample import generate_accompaniments  # noqa: E402
from evaluation.measures.reach.distance import site_points  # noqa: E402
from evaluation.measures.reach.summary import reach_summary  # noqa: E402

TARGET = 3.0
BFC = ["21", "25", "39", "58", "70", "71", "89", "90"]
SITES = [Site("Dijon", commune="21231"), Site("Besançon", commune="25056")]
SCALE = {"full": (BFC, SITES, 1_000_000, 7), "tiny": (["21"], SITES[:1], 5_000, 1)}  # départements, sites, rows, turns


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    departements, site_list, rows, turns = sized(size, **SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rebuild_reference(departements, out_dir=tmp / "reference")
        reference = load_reference(tmp / "reference")
        base = len(generate_accompaniments(reference, seed=1))
        acc = generate_accompaniments(reference, seed=1, scale=rows / base)
        (tmp / "data").mkdir()
        acc.to_csv(tmp / "data" / "accompaniments.csv", sep=";", index=False)
        del acc
        dataset = load_dataset(tmp / "data", reference=reference, reference_dir=tmp / "reference",
                               use_cache=False)
        parquet = tmp / "accompaniments.parquet"
        dataset.accompaniments.to_parquet(parquet)
        n = len(dataset.accompaniments)
        del dataset
        sites = site_points(site_list, reference)

        def floor() -> object:
            return pd.read_parquet(parquet)["commune_code"].value_counts()

        def ours() -> object:
            return reach_summary(pd.read_parquet(parquet), reference, sites=sites)

        t_floor = best_of(floor, repeat=turns)
        t_ours = best_of(ours, repeat=turns)
    ratio = t_ours / t_floor
    line = (f"reach_summary: ratio={ratio:.2f} target<={TARGET:g} (full reach summary vs read parquet + count by "
            f"commune, {n} accompaniments, {len(reference)} communes; {t_ours * 1e3:.0f} ms vs {t_floor * 1e3:.0f} ms)")
    return [(line, ratio <= TARGET)]

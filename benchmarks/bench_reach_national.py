"""The full reach summary on 10 million accompaniments over the 34,935 communes of France.

The reference for all of France is built with ``evaluation reference --departements all``.
One million accompaniments are generated on all its communes (``evaluation sample``'s
generator with a scale factor) and validated into the processed parquet cache, then
repeated ten times with distinct ids into a 10-million-row parquet file (validating ten
million rows from CSV would take the benchmark's whole budget and is not what is measured).
Both sides then start from that file, each in a child process of its own whose peak memory
(maximum resident set size) is read:

* floor: read it and count accompaniments by commune once (``value_counts``);
* ours: read it and compute :func:`evaluation.measures.reach.summary.reach_summary` (counts, shares and
  Wilson intervals by density, urban/rural, QPV and EPCI, per programme and per year,
  rates, representation indices, goodness of fit, communes reached, Lorenz and Gini,
  distances, both count models, trend tests) over every commune of France.

Target: ours ≤ 3 × floor, with a peak memory under 8 GiB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

TARGET = 3.0
ROWS = 10_000_000
COPIES = 10
MEMORY_LIMIT = 8 * 2**30


_CHILD = """
import json, resource, sys, time
import pandas as pd
from evaluation.geo.reference import load_reference
from evaluation.geo.territory import Site
from evaluation.measures.reach.distance import site_points
from evaluation.measures.reach.summary import reach_summary

kind, parquet, reference_dir = sys.argv[1:4]
reference = load_reference(reference_dir)
sites = site_points([Site("Paris", commune="75056"), Site("Lyon", commune="69123")], reference)
times = []
for _ in range(2):
    start = time.perf_counter()
    table = pd.read_parquet(parquet)
    if kind == "floor":
        table["commune_code"].value_counts()
    else:
        reach_summary(table, reference, sites=sites)
    del table
    times.append(time.perf_counter() - start)
print(json.dumps([min(times), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))
"""


def _measure(kind: str, parquet: Path, reference_dir: Path) -> tuple[float, int]:
    """Best of two runs of one side in a child process of its own, and its peak memory."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(parquet), str(reference_dir)],
                         check=True, capture_output=True, text=True)
    seconds, peak = json.loads(out.stdout.strip().splitlines()[-1])
    return float(seconds), int(peak)


def run() -> tuple[str, bool]:
    import os

    from evaluation.geo.build import rebuild_reference
    from evaluation.geo.reference import load_reference
    from evaluation.io.datasets import load_dataset
    from evaluation.io.pseudonyms import KEY_ENV
    from evaluation.io.sample import generate_accompaniments

    os.environ.setdefault(KEY_ENV, "benchmark-key-0123456789")  # as an evaluator with a key: cache written
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rebuild_reference("all", out_dir=tmp / "reference")
        reference = load_reference(tmp / "reference")
        base = len(generate_accompaniments(reference, seed=1))
        acc = generate_accompaniments(reference, seed=1, scale=ROWS / COPIES / base)
        (tmp / "data").mkdir()
        acc.to_csv(tmp / "data" / "accompaniments.csv", sep=";", index=False)
        del acc
        load_dataset(tmp / "data", reference=reference, reference_dir=tmp / "reference",
                     processed_dir=tmp / "processed")
        one = pd.read_parquet(next((tmp / "processed").glob("*/accompaniments.parquet")))
        copies = []
        for k in range(COPIES):
            part = one.copy()
            part["accompaniment_id"] = part["accompaniment_id"].astype(str) + f"-{k}"
            part["structure_id"] = part["structure_id"].astype(str) + f"-{k}"
            copies.append(part)
        big = pd.concat(copies, ignore_index=True)
        del copies, one
        parquet = tmp / "accompaniments_10m.parquet"
        big.to_parquet(parquet)
        n, communes = len(big), len(reference)
        del big, reference
        t_floor, mem_floor = _measure("floor", parquet, tmp / "reference")
        t_ours, mem_ours = _measure("ours", parquet, tmp / "reference")
    ratio = t_ours / t_floor
    line = (f"reach_national: ratio={ratio:.2f} target<={TARGET:g} (full reach summary vs read parquet + count by "
            f"commune, {n} accompaniments, {communes} communes; {t_ours:.1f} s vs {t_floor:.1f} s; peak memory "
            f"{mem_ours / 2**30:.2f} GiB vs {mem_floor / 2**30:.2f} GiB, limit 8 GiB)")
    return line, ratio <= TARGET and mem_ours < MEMORY_LIMIT

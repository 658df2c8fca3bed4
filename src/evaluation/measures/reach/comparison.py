"""A territory beside its département, its région and France (measures layer).

The same exports, classified on the same commune reference, give the figures of the
territory and of the areas around it, so that a reader can place the territory: the
number of accompaniments, the rate per 10,000 inhabitants (exact Poisson interval), the
share of accompaniments in rural communes and in priority neighbourhoods (Wilson
intervals) and the share of communes reached.

An area is compared only when the reference covers it whole: a département when the
reference holds it (the reference is built département by département, so a département
it holds is complete), a région when it holds every département of the région, France
when it holds all of them. Levels are codes (``territory``, ``departement``, ``region``,
``france``); the report layer names them in French.

References
----------
Wilson, E. B. (1927). *JASA* 22(158), 209–212. Garwood, F. (1936). Fiducial limits for
the Poisson distribution. *Biometrika* 28, 437–442.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from statsmodels.stats.rates import confint_poisson

from evaluation.measures.reach.clustered import fixed_by_definition, weighted_poisson_interval
from evaluation.measures.reach.summary import ReachSummary
from evaluation.measures.stats import wilson_interval

__all__ = ["LEVELS", "Area", "surrounding_areas", "compare_areas", "departement_geography", "UNCLASSIFIED",
           "SLIVER_AREA", "without_slivers"]

LEVELS = ("territory", "departement", "region", "france")
RURAL = "rural"


@dataclass(frozen=True)
class Area:
    """One row of the comparison: a level, its code and name, and its communes' codes."""

    level: str
    code: str | None
    name: str | None
    communes: frozenset[str]


def surrounding_areas(territory_communes: pd.DataFrame, reference: pd.DataFrame, departements: pd.DataFrame, *,
                      departement: str | None) -> list[Area]:
    """The territory, its département, its région and France, each kept only when the
    reference covers it whole (see the module docstring).

    Parameters
    ----------
    territory_communes
        The territory's rows of the reference (``commune_code``).
    reference
        The commune reference (``commune_code``, ``departement``).
    departements
        :func:`evaluation.geo.areas.load_departements`: ``departement``, ``departement_name``,
        ``region``, ``region_name``.
    departement
        The territory's département (:func:`evaluation.geo.areas.territory_departement`).
    """
    areas = [Area("territory", None, None, frozenset(territory_communes["commune_code"]))]
    dep_of = reference["departement"]
    held = set(dep_of.dropna())
    deps = departements.set_index("departement")

    def communes_of(codes: set[str]) -> frozenset[str]:
        return frozenset(reference.loc[dep_of.isin(codes), "commune_code"])

    if departement is not None and departement in held:
        name = deps["departement_name"].get(departement)
        areas.append(Area("departement", departement, name, communes_of({departement})))
        if departement in deps.index:
            region = deps.loc[departement, "region"]
            members = set(deps.index[deps["region"] == region])
            if members <= held:
                areas.append(Area("region", region, deps.loc[departement, "region_name"], communes_of(members)))
    if set(deps.index) <= held:
        areas.append(Area("france", None, None, frozenset(reference["commune_code"])))
    return areas


def compare_areas(accompaniments: pd.DataFrame, reference: pd.DataFrame, areas: list[Area], *,
                  alpha: float = 0.05, rest: bool = False, years: float | None = None) -> pd.DataFrame:
    """Figures of each area from the same accompaniments.

    With ``rest``, each area around the territory is taken **without the territory** (the rest
    of its département, of its région, of France: ``rest`` column true), so that the territory
    is compared with the places it is not, not with a zone that contains it. With ``years``
    (the years covered), ``annual``, ``annual_low`` and ``annual_high`` give the rate per
    10,000 inhabitants per year, the count being a compound Poisson count of structures
    (Fay–Feuer interval, :func:`evaluation.measures.reach.clustered.weighted_poisson_interval`)
    when the accompaniments have a ``structure_id``; ``rate`` stays the cumulative rate.
    The QPV share is among the accompaniments whose QPV situation is known (``qpv_known``):
    an unknown situation is not counted as « hors QPV ».

    Parameters
    ----------
    accompaniments
        Every accompaniment of the exports (``commune_code``, ``in_qpv``), not only the
        territory's.
    reference
        The commune reference (``commune_code``, ``population``, ``urban_rural``).
    areas
        :func:`surrounding_areas`.

    Returns
    -------
    DataFrame
        One row per area: ``level``, ``code``, ``name``, ``communes``, ``population``,
        ``count`` (accompaniments), ``rate`` per 10,000 inhabitants with ``rate_low``,
        ``rate_high`` (exact Poisson), ``rural`` and ``qpv`` (counts) with their shares
        ``share_rural``, ``share_qpv`` and Wilson bounds (``*_low``, ``*_high``), and
        ``reached`` (communes with at least one accompaniment) with ``share_reached``.

        .. math:: r = 10^4\\,\\frac{n}{P}, \\qquad \\hat p = \\frac{k}{n}
    """
    ref = reference.set_index("commune_code")
    flag = accompaniments["in_qpv"].astype("boolean")
    flags = pd.DataFrame({"commune_code": accompaniments["commune_code"].astype(str), "count": 1,
                          "qpv": flag.fillna(False).astype("int64"), "qpv_known": flag.notna().astype("int64")})
    per_commune = flags.groupby("commune_code")[["count", "qpv", "qpv_known"]].sum()
    per_commune = per_commune.reindex(ref.index, fill_value=0)
    rural = (ref["urban_rural"].astype(str) == RURAL).to_numpy()
    pop = ref["population"].fillna(0).astype(float).to_numpy()
    count = per_commune["count"].to_numpy(dtype=float)
    qpv, known = per_commune["qpv"].to_numpy(dtype=float), per_commune["qpv_known"].to_numpy(dtype=float)
    position = pd.Series(np.arange(len(ref)), index=ref.index)
    territory = next((a.communes for a in areas if a.level == "territory"), frozenset())
    # each row's structure as a code, once (a row without structure_id is its own), and its commune's position
    structures = np.arange(len(accompaniments))
    if "structure_id" in accompaniments:
        structures, uniques = pd.factorize(accompaniments["structure_id"])
        structures[structures < 0] = len(uniques) + np.arange(int((structures < 0).sum()))
    row_commune = position.reindex(accompaniments["commune_code"].astype(str)).to_numpy()
    rows = []
    for area in areas:
        members = area.communes - territory if rest and area.level != "territory" else area.communes
        idx = position.reindex(list(members)).dropna().astype(int).to_numpy()
        n = count[idx].sum()
        member = np.zeros(len(ref) + 1, dtype=bool)
        member[idx] = True
        inside = member[np.nan_to_num(row_commune, nan=len(ref)).astype(int)]
        sizes = np.bincount(structures[inside])
        sizes = sizes[sizes > 0]
        rows.append({"level": area.level, "code": area.code, "name": area.name, "rest": rest and area.level != "territory",
                     "communes": len(idx), "population": pop[idx].sum(), "count": n,
                     "rural": count[idx][rural[idx]].sum(), "qpv": qpv[idx].sum(), "qpv_known": known[idx].sum(),
                     "reached": int((count[idx] > 0).sum()), "_v": float((sizes.astype(float) ** 2).sum()),
                     "_rural_pop": pop[idx][rural[idx]].sum(),
                     "_w": float(sizes.max()) if len(sizes) else 1.0})  # (bincount over all codes: cheap)
    out = pd.DataFrame(rows)
    population = out["population"].to_numpy(dtype=float)
    safe = np.where(population > 0, population, 1.0)
    low, high = confint_poisson(out["count"].to_numpy(dtype=float), safe, method="exact-c", alpha=alpha)
    valid = population > 0
    out["rate"] = np.where(valid, out["count"] / safe * 1e4, np.nan)
    out["rate_low"] = np.where(valid, low * 1e4, np.nan)
    out["rate_high"] = np.where(valid, high * 1e4, np.nan)
    if years is not None:
        a_low, a_high = weighted_poisson_interval(out["count"].to_numpy(dtype=float), out["_v"].to_numpy(),
                                                  out["_w"].to_numpy(), alpha=alpha)
        exposure = np.where(valid, safe * years, 1.0)
        out["annual"] = np.where(valid, out["count"] / exposure * 1e4, np.nan)
        out["annual_low"] = np.where(valid, a_low / exposure * 1e4, np.nan)
        out["annual_high"] = np.where(valid, a_high / exposure * 1e4, np.nan)
    for column, base in (("rural", "count"), ("qpv", "qpv_known")):
        lo, hi = wilson_interval(out[column], out[base], alpha=alpha)
        out[f"share_{column}"] = np.where(out[base] > 0, out[column] / out[base].where(out[base] > 0, 1), np.nan)
        out[f"share_{column}_low"], out[f"share_{column}_high"] = lo, hi
    # an area all urban or all rural: its rural share is 0 or 1 by definition, without an interval
    fixed = fixed_by_definition(out["_rural_pop"] / out["population"].where(out["population"] > 0))
    out.loc[fixed, ["share_rural_low", "share_rural_high"]] = np.nan
    out["share_reached"] = out["reached"] / out["communes"].where(out["communes"] > 0)
    for column in ("count", "rural", "qpv", "qpv_known", "population"):
        out[column] = out[column].astype("int64")
    return out.drop(columns=["_v", "_w", "_rural_pop"])


#: Holes smaller than this (square degrees, about 0.8 km² in France) are the gaps left between
#: communes simplified one by one, not enclaves: a département's union drops them.
SLIVER_AREA = 1e-4


def without_slivers(geometry):
    """``geometry`` (a polygon or multipolygon) without its interior rings smaller than
    :data:`SLIVER_AREA`.
    """
    def fill(polygon):
        holes = [r for r in polygon.interiors if shapely.Polygon(r).area >= SLIVER_AREA]
        return shapely.Polygon(polygon.exterior, holes)

    if geometry is None or geometry.is_empty:
        return geometry
    if geometry.geom_type == "Polygon":
        return fill(geometry)
    if geometry.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([fill(p) for p in geometry.geoms])
    return geometry


#: The density class of a commune without a level, in :func:`departement_geography`'s pairs.
UNCLASSIFIED = "unclassified"


def departement_geography(summary: ReachSummary) -> tuple[ReachSummary, pd.DataFrame]:
    """The reach summary of a territory whose geography is the département (France, a
    région): its commune-level results aggregated by département.

    ``reached`` gets one row per département (``commune_code`` and ``departement`` hold the
    département's code): ``count`` and ``population`` summed over its communes,
    ``communes`` and ``communes_reached``, ``reached`` (count > 0), ``rate_10k``
    (:math:`10^4\\,n/P`), the polygons dissolved into one per département (unary union,
    without the slivers left between simplified communes)
    and no commune class (``density_label``, ``urban_rural``, ``epci_name`` missing). The
    results that are drawn from each commune's count are dropped: the rates by EPCI, the
    Lorenz curve and Gini indices (``None``/NaN), the distance decay (empty) and summary (``None``).
    The tables by density level, urban/rural, QPV, programme and year, the count models
    and the coverage are unchanged.

    Returns the new summary and the département × density-class pairs present among the
    territory's communes (``commune_code`` = département, ``density_label``, with
    :data:`UNCLASSIFIED` for communes without a level): the hidden two-way table a reader
    knows the structure of, for disclosure control.
    """
    communes = summary.reached
    deps = communes["departement"].astype(str)
    grouped = pd.DataFrame({"count": communes["count"].to_numpy(), "population": communes["population"].fillna(0)
                            .to_numpy(dtype="int64"), "reached": communes["reached"].to_numpy()}).groupby(
        deps.to_numpy(), sort=True)
    sums = grouped.sum()
    table = pd.DataFrame({"commune_code": sums.index.astype(str), "departement": sums.index.astype(str),
                          "count": sums["count"].to_numpy(dtype="int64"),
                          "population": sums["population"].to_numpy(dtype="int64"),
                          "communes": grouped.size().to_numpy(dtype="int64"),
                          "communes_reached": sums["reached"].to_numpy(dtype="int64")})
    table["reached"] = table["count"] > 0
    pop = table["population"].astype(float)
    table["rate_10k"] = table["count"] / pop.where(pop > 0) * 1e4
    for column in ("density_label", "urban_rural", "epci_name", "distance_band"):
        table[column] = pd.Series([None] * len(table), dtype=object)
    if isinstance(communes, gpd.GeoDataFrame):
        shapes = gpd.GeoDataFrame({"departement": deps.to_numpy()}, geometry=communes.geometry.to_numpy(),
                                  crs=communes.crs)
        shapes = shapes[shapes.geometry.notna() & ~shapes.geometry.is_empty]
        # A unary union: the reference's polygons, simplified one by one, are not a clean
        # coverage (GEOS's coverage union refuses them). About 20 s for all of France.
        dissolved = shapes.dissolve(by="departement").geometry.map(without_slivers)
        table = gpd.GeoDataFrame(table, geometry=table["departement"].map(dissolved).to_numpy(), crs=communes.crs)
    pairs = pd.DataFrame({"commune_code": deps.to_numpy(),
                          "density_label": communes["density_label"].astype(object).where(
                              communes["density_label"].notna(), UNCLASSIFIED).astype(str).to_numpy()}
                         ).drop_duplicates().sort_values(["commune_code", "density_label"], ignore_index=True)
    rates = {k: v for k, v in summary.rates.items() if k != "epci_name"}
    national = replace(summary, reached=table, rates=rates, lorenz=None, gini=float("nan"),
                       gini_population=float("nan"), distance=None, decay=pd.DataFrame())
    return national, pairs

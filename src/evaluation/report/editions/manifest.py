"""The manifest of a published edition: what it was computed from, and with what (io layer).

An edition (a point d'étape) is a frozen report with a ``manifest.json``: the full SHA-256
of every input file (the exports, the commune reference, ``territories.yml``), the
parameters, the package version and the versions of the libraries that computed it, the
SHA-256 of the outputs, and the indicators. The manifest carries its own checksum
(``manifest_sha256``: SHA-256 of its canonical JSON without that key), so an edited
manifest is recognised.

Paths inside the project are stored relative to the project root (a committed edition
verifies on any clone); others are stored absolute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from evaluation._io import atomic_write, sha256_file
from evaluation.config import get_paths
from evaluation.errors import EvaluationError
from evaluation.geo.reference import (
    FORMER_COMMUNES_CSV,
    REFERENCE_CSV,
    REFERENCE_GEOJSON,
    REFERENCE_PROVENANCE,
)
from evaluation.geo.territory import Objective
from evaluation.measures.objectives import objective_status

__all__ = ["ManifestError", "MANIFEST", "FORMAT", "LIBRARIES", "InputChange", "IndicatorChange",
           "input_files", "hash_inputs", "library_versions", "indicator_records", "objective_records", "seal",
           "write_manifest", "read_manifest", "changed_inputs", "changed_indicators", "changed_objectives",
           "stored_path", "resolve_path"]

MANIFEST = "manifest.json"
FORMAT = 1
#: Libraries whose versions are recorded (those that compute or read what is published).
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "networkx", "geopandas", "shapely", "pyproj",
             "openpyxl", "matplotlib", "seaborn", "papermill", "nbconvert", "pyarrow")
#: Indicator fields recorded in a manifest and compared by :func:`changed_indicators`.
INDICATOR_FIELDS = ("code", "indicateur", "valeur", "ic_bas", "ic_haut", "unite", "periode", "secret", "estimable")
_NUMBERS = ("valeur", "ic_bas", "ic_haut")


class ManifestError(EvaluationError, ValueError):
    """A missing, unreadable or edited manifest, or an edition that cannot serve as asked."""


def stored_path(path: Path | str, *, root: Path | None = None) -> str:
    """``path`` as a manifest stores it: relative to the project root when inside it (POSIX)."""
    path = Path(path).resolve()
    root = (root or get_paths().root).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def resolve_path(stored: str, *, root: Path | None = None) -> Path:
    """The file a manifest's path names (relative paths from the project root)."""
    p = Path(stored)
    return p if p.is_absolute() else (root or get_paths().root) / p


def input_files(*, exports: Iterable[Path], reference_dir: Path, territories_file: Path,
                read_options: Path | None = None) -> list[tuple[str, Path]]:
    """The input files of a report, each with its role (``export``, ``read_options``,
    ``reference``, ``territories``): every export read, every file of the commune
    reference folder that a report reads (``communes.csv``, ``communes.geojson``,
    ``former_communes.csv``, ``provenance.json``), and the territories file.
    """
    files = [("export", Path(p)) for p in sorted(exports)]
    if read_options is not None and Path(read_options).is_file():
        files.append(("read_options", Path(read_options)))
    files += [("reference", reference_dir / name)
              for name in (REFERENCE_CSV, REFERENCE_GEOJSON, FORMER_COMMUNES_CSV, REFERENCE_PROVENANCE)
              if (reference_dir / name).is_file()]
    files.append(("territories", Path(territories_file)))
    return files


def hash_inputs(files: Iterable[tuple[str, Path]], *, root: Path | None = None) -> list[dict[str, str]]:
    """``[{"role", "path", "sha256"}]``: the full SHA-256 of each file."""
    return [{"role": role, "path": stored_path(path, root=root), "sha256": sha256_file(path)} for role, path in files]


def library_versions(names: Iterable[str] = LIBRARIES) -> dict[str, str]:
    """Installed versions of ``names`` (from the installed distributions' metadata)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return round(float(value), 6)


def indicator_records(indicators: pd.DataFrame) -> list[dict]:
    """The indicators as a manifest records them: JSON-safe, numbers rounded to 6 decimals
    (as in ``indicators.csv``), withheld or not estimable values ``null``.
    """
    rows = []
    for r in indicators.to_dict("records"):
        row = {k: r.get(k) for k in INDICATOR_FIELDS}
        for k in _NUMBERS:
            row[k] = _number(row[k])
        for k in ("secret", "estimable"):
            v = row[k]
            row[k] = (str(v).strip().lower() == "oui") if isinstance(v, str) else bool(v)
        for k in ("code", "indicateur", "unite", "periode"):
            row[k] = "" if row[k] is None or (isinstance(row[k], float) and math.isnan(row[k])) else str(row[k])
        rows.append(row)
    return rows


def objective_records(indicators: Sequence[Mapping], objectives: Sequence[Objective], *, on: dt.date) -> list[dict]:
    """The status of each objective at the edition's date ``on``, as a manifest records it, from the
    edition's indicator records (:func:`indicator_records`: a withheld or non-estimable value is
    ``null``, so its objective is ``not_measurable``; :func:`evaluation.measures.objectives.objective_status`).
    """
    if not objectives:
        return []
    frame = pd.DataFrame(list(indicators), columns=["code", "valeur", "ic_bas", "ic_haut", "secret", "estimable"])
    results = pd.DataFrame({"value": frame["valeur"], "low": frame["ic_bas"], "high": frame["ic_haut"],
                            "withheld": frame["secret"], "estimable": frame["estimable"]}).astype(
        {"value": float, "low": float, "high": float, "withheld": bool, "estimable": bool}).set_axis(frame["code"])
    status = objective_status(objectives, results, on=on)
    return [{"indicator": r["indicator"], "label": r["label"], "direction": r["direction"],
             "baseline": {"value": r["baseline"], "date": r["baseline_date"].isoformat()},
             "target": {"value": r["target"], "date": r["target_date"].isoformat()},
             "source": r["source"], "illustrative": bool(r["illustrative"]),
             "value": _number(r["value"]), "low": _number(r["low"]), "high": _number(r["high"]),
             "expected": _number(r["expected"]), "status": r["status"], "reason": r["reason"]}
            for r in status.to_dict("records")]


def _canonical(content: Mapping) -> bytes:
    return json.dumps({k: v for k, v in content.items() if k != "manifest_sha256"}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(content: Mapping) -> dict:
    """``content`` with its checksum ``manifest_sha256`` (SHA-256 of its canonical JSON)."""
    return {**content, "manifest_sha256": hashlib.sha256(_canonical(content)).hexdigest()}


def write_manifest(content: Mapping, folder: Path) -> Path:
    """Write ``folder/manifest.json`` (sealed), atomically."""
    sealed = seal(content)
    text = json.dumps(sealed, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    return atomic_write(Path(folder) / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))


def read_manifest(folder: Path | str) -> dict:
    """Read and check an edition's manifest.

    Raises
    ------
    ManifestError
        When the folder or its ``manifest.json`` is missing, unreadable, of another format,
        or edited after publication (its checksum does not match), saying what to do.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ManifestError(code="edition_folder_missing", folder=str(folder))
    if not path.is_file():
        raise ManifestError(code="manifest_missing", folder=str(folder), file=MANIFEST)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(code="manifest_unreadable", path=str(path), error=str(exc)) from exc
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ManifestError(code="manifest_format", path=str(path), format=FORMAT)
    expected = hashlib.sha256(_canonical(content)).hexdigest()
    if content.get("manifest_sha256") != expected:
        raise ManifestError(code="manifest_edited", path=str(path))
    return content


@dataclass(frozen=True)
class InputChange:
    """An input file whose content is not the one an edition was computed from."""

    role: str
    path: str
    recorded: str
    current: str | None  # None: the file is missing


@dataclass(frozen=True)
class IndicatorChange:
    """An indicator whose recomputed value differs from the recorded one (``None``: withheld,
    not estimable or absent).
    """

    code: str
    field: str
    recorded: object
    current: object


def changed_inputs(manifest: Mapping, *, root: Path | None = None) -> list[InputChange]:
    """Every input of the manifest whose file is missing or whose SHA-256 changed."""
    out = []
    for item in manifest["inputs"]:
        path = resolve_path(item["path"], root=root)
        current = sha256_file(path) if path.is_file() else None
        if current != item["sha256"]:
            out.append(InputChange(item["role"], item["path"], item["sha256"], current))
    return out


def _paired(old: dict, new: dict, out: list) -> Iterator[tuple[str, dict, dict]]:
    """The records of both sides by key, in order (the old ones, then the new); a key on one
    side only is appended to ``out`` as a ``presence`` change and not yielded.
    """
    for code in list(old) + [c for c in new if c not in old]:
        a, b = old.get(code), new.get(code)
        if a is None or b is None:
            out.append(IndicatorChange(code, "presence", a is not None, b is not None))
        else:
            yield code, a, b


def changed_indicators(recorded: list[dict], current: list[dict], *, tolerance: float = 1.5e-6) -> list[IndicatorChange]:
    """Every indicator field that differs between two indicator records (numbers, recorded to
    6 decimals, are equal within ``tolerance``: their published precision, a last digit
    rounded either way; an indicator present on one side only is a difference).
    """
    out = []
    for code, a, b in _paired({r["code"]: r for r in recorded}, {r["code"]: r for r in current}, out):
        for f in INDICATOR_FIELDS[1:]:
            x, y = a.get(f), b.get(f)
            if f in _NUMBERS and x is not None and y is not None:
                if not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=tolerance):
                    out.append(IndicatorChange(code, f, x, y))
            elif x != y:
                out.append(IndicatorChange(code, f, x, y))
    return out


def changed_objectives(recorded: list[dict], current: list[dict]) -> list[IndicatorChange]:
    """Every objective whose status (or why it is not measurable) differs between two records, or
    that is recorded on one side only; ``code`` names it ``indicator@target date``.
    """
    def key(r: dict) -> str:
        return f"{r['indicator']}@{r['target']['date']}"

    out = []
    for code, a, b in _paired({key(r): r for r in recorded}, {key(r): r for r in current}, out):
        out += [IndicatorChange(code, f, a.get(f), b.get(f)) for f in ("status", "reason") if a.get(f) != b.get(f)]
    return out

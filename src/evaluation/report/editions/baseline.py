"""Editions as baselines: where an edition lives, and whether it can serve as the baseline of a report.

An edition (:mod:`evaluation.report.runs.publish`) is a report frozen with its manifest
(:mod:`evaluation.report.editions.manifest`) in ``reports/<territory>/editions/<name>/``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evaluation._io import sha256_file
from evaluation.config import SLUG_PATTERN, get_paths
from evaluation.errors import ConfigError
from evaluation.geo.reference import (
    FORMER_COMMUNES_CSV,
    REFERENCE_CSV,
    REFERENCE_GEOJSON,
    REFERENCE_PROVENANCE,
)
from evaluation.report.editions.manifest import ManifestError, read_manifest

__all__ = ["EDITIONS", "edition_dir", "find_edition", "check_baseline"]

EDITIONS = "editions"


def edition_dir(territory: str, edition: str, *, out_dir: str | Path | None = None) -> Path:
    """``<out_dir>/<territory>/editions/<edition>`` (``out_dir`` default ``reports/``)."""
    for what, what_fr, name in (("territory", "territoire", territory), ("edition", "l'édition", edition)):
        if not isinstance(name, str) or not SLUG_PATTERN.match(name):
            raise ConfigError(code="name_invalid", what=what, what_fr=what_fr, name=str(name))
    return Path(out_dir if out_dir is not None else get_paths().reports) / territory / EDITIONS / edition


def find_edition(territory: str, edition: str | Path, *, out_dir: str | Path | None = None) -> Path:
    """The folder of an edition given by its name (in ``reports/<territory>/editions/``) or its path."""
    p = Path(edition)
    if p.is_dir() or len(p.parts) > 1:
        return p
    return edition_dir(territory, str(edition), out_dir=out_dir)


def check_baseline(baseline: str | Path, territory: str, *, threshold: int, reference_dir=None,
                   out_dir: str | Path | None = None, before: dt.date | None = None) -> tuple[Path, dict]:
    """Check that an edition can serve as the baseline of a report of ``territory``.

    Refused, with what to do: a missing or edited manifest, an edition of another
    territory, one published with another disclosure threshold or another commune
    reference (its files' SHA-256), one not earlier than ``before``.
    """
    folder = find_edition(territory, baseline, out_dir=out_dir)
    manifest = read_manifest(folder)
    if manifest["territory"] != territory:
        raise ManifestError(code="baseline_other_territory", folder=str(folder), other=manifest["territory"],
                            slug=territory)
    used = int(manifest["parameters"]["disclosure_threshold"])
    if used != int(threshold):
        raise ManifestError(code="baseline_threshold", folder=str(folder), used=used, threshold=threshold)
    ref = Path(reference_dir) if reference_dir else get_paths().reference
    recorded = {Path(i["path"]).name: i["sha256"] for i in manifest["inputs"] if i["role"] == "reference"}
    current = {n: sha256_file(ref / n) for n in (REFERENCE_CSV, REFERENCE_GEOJSON, FORMER_COMMUNES_CSV,
                                                 REFERENCE_PROVENANCE) if (ref / n).is_file()}
    if recorded != current:
        differ = sorted(n for n in set(recorded) | set(current) if recorded.get(n) != current.get(n))
        raise ManifestError(code="baseline_reference", folder=str(folder), files=differ)
    if before is not None and dt.date.fromisoformat(manifest["as_of"]) >= before:
        raise ManifestError(code="baseline_not_before", folder=str(folder), date=manifest["as_of"],
                            before=before.isoformat())
    return folder, manifest

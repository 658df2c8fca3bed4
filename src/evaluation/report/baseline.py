"""Editions as baselines: where an edition lives, and whether it can serve as the baseline of a report.

An edition (:mod:`evaluation.report.editions`) is a report frozen with its manifest
(:mod:`evaluation.report.manifest`) in ``reports/<territory>/editions/<name>/``.
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
from evaluation.report.manifest import ManifestError, read_manifest

__all__ = ["EDITIONS", "edition_dir", "find_edition", "check_baseline"]

EDITIONS = "editions"


def edition_dir(territory: str, edition: str, *, out_dir: str | Path | None = None) -> Path:
    """``<out_dir>/<territory>/editions/<edition>`` (``out_dir`` default ``reports/``)."""
    for what, name in (("territory", territory), ("edition", edition)):
        if not isinstance(name, str) or not SLUG_PATTERN.match(name):
            raise ConfigError(f"invalid {what} name {name!r}: use lowercase letters, digits and hyphens "
                              f"(e.g. point-etape-2022)")
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
    where = f"baseline edition {folder}"
    if manifest["territory"] != territory:
        raise ManifestError(f"{where} is of territory {manifest['territory']!r}, not {territory!r}: give an edition "
                            f"of {territory} (its editions are in reports/{territory}/editions/)")
    used = int(manifest["parameters"]["disclosure_threshold"])
    if used != int(threshold):
        raise ManifestError(f"{where} was published with disclosure threshold {used}, this report uses {threshold}: "
                            f"compare editions made with one threshold (publish the baseline again with "
                            f"disclosure_threshold={threshold}, or report with {used})")
    ref = Path(reference_dir) if reference_dir else get_paths().reference
    recorded = {Path(i["path"]).name: i["sha256"] for i in manifest["inputs"] if i["role"] == "reference"}
    current = {n: sha256_file(ref / n) for n in (REFERENCE_CSV, REFERENCE_GEOJSON, FORMER_COMMUNES_CSV,
                                                 REFERENCE_PROVENANCE) if (ref / n).is_file()}
    if recorded != current:
        differ = sorted(n for n in set(recorded) | set(current) if recorded.get(n) != current.get(n))
        raise ManifestError(f"{where} was built with another commune reference ({', '.join(differ)} differ): "
                            f"report with the reference it was built with (--reference), or publish the "
                            f"baseline again with this reference")
    if before is not None and dt.date.fromisoformat(manifest["as_of"]) >= before:
        raise ManifestError(f"{where} is dated {manifest['as_of']}, not before this report's date "
                            f"{before.isoformat()}: give an earlier edition as baseline")
    return folder, manifest

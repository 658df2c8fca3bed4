"""The cache of validated tables (``data/processed/<exports>-<key>/``): what it holds, and its purge.

:func:`evaluation.io.datasets.load_dataset` writes, per data folder and version of it, one
folder of parquet tables that are already pseudonymised and redacted (names → keyed
pseudonyms, free text without names nor direct identifiers), with ``notices.parquet``,
``ignored.parquet`` (file and column names, never values) and ``manifest.json`` (the input
files' names and SHA-256, the key's fingerprint, :func:`source_id` of the data folder and
the ``version`` of its content). Raw names are never written.

Only the latest version of each data folder is kept: when a folder is written, the others of
the same data folder whose version differs (older exports, older redaction rules) are
removed, and so are folders written before this manifest existed. Folders of the same version
but another pseudonym key or another ``territories.yml`` stay (their content is the same
exports). ``evaluation cache clear`` removes them all (:func:`clear_cache`); the commune
reference built by ``evaluation reference`` (``data/processed/reference``) is not a cache
folder and is never touched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

__all__ = ["MANIFEST", "source_id", "cache_folders", "purge_versions", "clear_cache"]

MANIFEST = "manifest.json"


def source_id(data_dir: Path) -> str:
    """Twelve hex digits naming a data folder by its absolute path (the path itself, which may
    name a person's home folder, is not written).
    """
    return hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:12]


def _manifest(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and "files" in meta and "pseudonyms" in meta else None


def cache_folders(processed: Path, *, data_dir: Path | None = None) -> list[Path]:
    """The cache folders under ``processed`` (those with a cache manifest), or those of ``data_dir``:
    its own (same :func:`source_id`) and, by name, the older ones whose manifest does not say.
    """
    if not processed.is_dir():
        return []
    out = []
    for folder in sorted(p for p in processed.iterdir() if p.is_dir()):
        meta = _manifest(folder)
        if meta is None:
            continue
        if data_dir is None or meta.get("source") == source_id(data_dir) or (
                "source" not in meta and folder.name.startswith(f"{Path(data_dir).name}-")):
            out.append(folder)
    return out


def purge_versions(processed: Path, data_dir: Path, *, keep: Path, version: str) -> list[Path]:
    """Remove the cache folders of ``data_dir`` of another version than ``version`` (``keep`` stays).

    Returns the folders removed.
    """
    gone = []
    for folder in cache_folders(processed, data_dir=data_dir):
        if folder.resolve() != keep.resolve() and (_manifest(folder) or {}).get("version") != version:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
    return gone


def clear_cache(processed: Path, *, data_dir: Path | None = None) -> list[Path]:
    """Remove every cache folder under ``processed`` (or only those of ``data_dir``); return them."""
    gone = cache_folders(processed, data_dir=data_dir)
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone

"""Paths: the one place where the project's locations are decided.

Every path is derived from the project root, found (in this order) from the
``EVALUATION_ROOT`` environment variable or by walking up from this file to the folder
that holds ``pyproject.toml`` and ``data/raw``. Nothing is resolved from the current
working directory, so notebooks run by papermill or JupyterLab from any folder find the
same files.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import ConfigError

__all__ = [
    "ROOT_ENV",
    "Paths",
    "project_root",
    "get_paths",
    "SLUG_PATTERN",
    "ascii_slug",
]

ROOT_ENV = "EVALUATION_ROOT"
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def ascii_slug(text: str, *, max_length: int = 60) -> str:
    """``"CC du Pays Châtillonnais"`` → ``"cc-du-pays-chatillonnais"`` (file and folder names)."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:max_length].strip("-")
    return slug or "x"


def project_root() -> Path:
    """Return the project root (see the module docstring for how it is found)."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "data" / "raw").is_dir():
            raise ConfigError(code="root_env_invalid", env=ROOT_ENV, value=repr(env))
        return root
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / "raw").is_dir():
            return parent
    raise ConfigError(code="root_not_found", env=ROOT_ENV)


@dataclass(frozen=True)
class Paths:
    """Standard locations of the project (cookiecutter-data-science layout)."""

    root: Path

    @property
    def raw(self) -> Path:
        """Raw inputs, never modified by code (``data/raw``)."""
        return self.root / "data" / "raw"

    @property
    def reference(self) -> Path:
        """The committed commune reference (``data/raw/reference``)."""
        return self.raw / "reference"

    @property
    def sample(self) -> Path:
        """The generated illustrative exports (``data/raw/sample``)."""
        return self.raw / "sample"

    @property
    def territories(self) -> Path:
        """The territories file (``data/raw/territories.yml``)."""
        return self.raw / "territories.yml"

    @property
    def processed(self) -> Path:
        """Validated, typed tables, the parquet cache (``data/processed``)."""
        return self.root / "data" / "processed"

    @property
    def external(self) -> Path:
        """Downloaded third-party files (git-ignored cache)."""
        return self.root / "data" / "external"

    @property
    def reports(self) -> Path:
        """Generated reports (``reports/``)."""
        return self.root / "reports"

    @property
    def notebooks(self) -> Path:
        """The report notebooks (``notebooks/``)."""
        return self.root / "notebooks"

    @property
    def report_notebook(self) -> Path:
        """The territory report notebook run by papermill."""
        return self.notebooks / "territory_report.ipynb"


def get_paths(root: Path | str | None = None) -> Paths:
    """Paths of the project at ``root`` (default: :func:`project_root`)."""
    return Paths(Path(root).resolve() if root is not None else project_root())



"""First set-up of the project's environment.

* ``setup``: creating ``.venv`` with the Makefile's installer (``make .venv/.installed``:
  ``python -m venv``, then uv installed into the environment and used for the project, its
  test and lab extras) against ``python -m venv`` + ``pip install -e .[test,lab]``. Both
  sides start from an empty download cache of their own, in copies of the project made for
  the run, so neither profits from the other's downloads. Target ≤ 0.4.

At ``size="tiny"`` (the test suite): the same commands on a copy of the project whose
``pyproject.toml`` lists no dependency (none in ``dependencies``, every extra empty), so that
each side creates its environment and installs the project alone (its build backend is still
fetched into an empty cache).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import sized, timed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "README.md", "Makefile", "src")


def _without_dependencies(pyproject: Path) -> None:
    """Empty the ``dependencies`` and every extra of a ``pyproject.toml``, keeping the rest."""
    text = pyproject.read_text(encoding="utf-8")
    project = tomllib.loads(text)["project"]
    text = re.sub(r"(?ms)^dependencies = \[.*?^\]", "dependencies = []", text)
    for extra in project.get("optional-dependencies", {}):
        text = re.sub(rf"(?m)^{re.escape(extra)} = \[[^\]]*\]", f"{extra} = []", text)
    stripped = tomllib.loads(text)["project"]
    if stripped.get("dependencies") or any(stripped.get("optional-dependencies", {}).values()):
        raise RuntimeError(f"{pyproject}: could not empty its dependencies (has its layout changed?)")
    pyproject.write_text(text, encoding="utf-8")


def _project_copy(dest: Path, *, dependencies: bool = True) -> Path:
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, dest / name)
    if not dependencies:
        _without_dependencies(dest / "pyproject.toml")
    return dest


def _timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    return timed(lambda: subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True))


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    dependencies = sized(size, full=True, tiny=False)
    python = os.environ.get("PYTHON", "python3.11")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "PIP_CACHE"))}
        make_env = {**base, "UV_CACHE_DIR": str(tmp / "cache-make" / "uv"),
                    "PIP_CACHE_DIR": str(tmp / "cache-make" / "pip")}
        pip_env = {**base, "PIP_CACHE_DIR": str(tmp / "cache-pip")}
        ours = _project_copy(tmp / "make", dependencies=dependencies)
        t_make = _timed(["make", f"PYTHON={python}", ".venv/.installed"], cwd=ours, env=make_env)
        theirs = _project_copy(tmp / "pip", dependencies=dependencies)
        t_pip = _timed([python, "-m", "venv", ".venv"], cwd=theirs, env=pip_env)
        t_pip += _timed([".venv/bin/python", "-m", "pip", "install", "--quiet", "-e", ".[test,lab]"],
                        cwd=theirs, env=pip_env)
        installer = "uv" if (ours / ".venv" / "bin" / "uv").exists() else "pip (uv unavailable)"
    ratio = t_make / t_pip
    what = "" if dependencies else ", the project without its dependencies"
    return [(f"setup: ratio={ratio:.2f} target<=0.4 (make's environment with {installer} vs python -m venv + "
             f"pip install -e .[test,lab], each from an empty cache{what}; {t_make:.0f} s vs {t_pip:.0f} s)",
             ratio <= 0.4)]

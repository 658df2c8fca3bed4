"""First set-up of the project's environment.

* ``setup``: creating ``.venv`` with the Makefile's installer (``make .venv/.installed``:
  ``python -m venv``, then uv installed into the environment and used for the project, its
  test and lab extras) against ``python -m venv`` + ``pip install -e .[test,lab]``. Both
  sides start from an empty download cache of their own, in copies of the project made for
  the run, so neither profits from the other's downloads. Target ≤ 0.4.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "README.md", "Makefile", "src")


def _project_copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, dest / name)
    return dest


def _timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run() -> tuple[str, bool]:
    python = os.environ.get("PYTHON", "python3.11")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "PIP_CACHE"))}
        make_env = {**base, "UV_CACHE_DIR": str(tmp / "cache-make" / "uv"),
                    "PIP_CACHE_DIR": str(tmp / "cache-make" / "pip")}
        pip_env = {**base, "PIP_CACHE_DIR": str(tmp / "cache-pip")}
        ours = _project_copy(tmp / "make")
        t_make = _timed(["make", f"PYTHON={python}", ".venv/.installed"], cwd=ours, env=make_env)
        theirs = _project_copy(tmp / "pip")
        t_pip = _timed([python, "-m", "venv", ".venv"], cwd=theirs, env=pip_env)
        t_pip += _timed([".venv/bin/python", "-m", "pip", "install", "--quiet", "-e", ".[test,lab]"],
                        cwd=theirs, env=pip_env)
        installer = "uv" if (ours / ".venv" / "bin" / "uv").exists() else "pip (uv unavailable)"
    ratio = t_make / t_pip
    return (f"setup: ratio={ratio:.2f} target<=0.4 (make's environment with {installer} vs python -m venv + "
            f"pip install -e .[test,lab], each from an empty cache; {t_make:.0f} s vs {t_pip:.0f} s)",
            ratio <= 0.4)


if __name__ == "__main__":
    line, ok = run()
    print(line)
    sys.exit(0 if ok else 1)

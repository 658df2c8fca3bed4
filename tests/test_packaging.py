"""The project's set-up files agree with each other."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

import nbformat
import pytest
import yaml


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _norm(spec: str) -> str:
    return re.sub(r"\s+", "", spec).lower().replace("_", "-")


def test_environment_yml_matches_pyproject(paths):
    project = tomllib.loads((paths.root / "pyproject.toml").read_text())["project"]
    runtime = {_name(d): _norm(d) for d in project["dependencies"]}
    env = yaml.safe_load((paths.root / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # packages only on PyPI (spaCy's models) are listed in the pip section
    conda_specs = {_name(d): _norm(d) for d in [*conda, *(p for p in pip if not p.startswith("-"))]}
    missing = {n: s for n, s in runtime.items() if conda_specs.get(n) != s}
    assert not missing, f"environment.yml lacks or differs on {missing}"
    extras = {_name(d) for group in project["optional-dependencies"].values() for d in group}
    unknown = set(conda_specs) - set(runtime) - extras - {"python", "pip"}
    assert not unknown, f"environment.yml lists packages pyproject.toml does not: {unknown}"
    assert "-e ." in pip
    assert any(str(d).startswith("python=3.11") for d in conda)


def test_notebooks_are_committed_without_outputs(paths):
    """No outputs in notebooks/; every nbval-checked cell has its expected output in tests/expected/."""
    from .conftest import EXPECTED, checked_cells

    for nb_path in paths.notebooks.glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "evaluation"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{nb_path.name}: clear outputs"
        for k, _ in enumerate(checked_cells(nb), start=1):
            assert (EXPECTED / f"{nb_path.stem}.{k}.txt").is_file()


def test_ci_runs_the_readme_test_command(paths):
    assert "make test" in (paths.root / ".ci" / "run").read_text()
    readme = (paths.root / "README.md").read_text()
    assert "make test" in readme and "make report" in readme


@pytest.mark.parametrize("uid, flag", [("0", True), ("1000", False)])
def test_make_lab_allows_root_only_as_root(paths, tmp_path, uid, flag):
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    recipe = subprocess.run(["make", "--no-print-directory", "-n", "lab"], cwd=paths.root, capture_output=True,
                            text=True, check=True).stdout.strip().splitlines()[-1]
    assert recipe.startswith(".venv/bin/jupyter lab notebooks/")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "jupyter").write_text('#!/bin/sh\necho "$@"\n')
    for tool in fake.iterdir():
        tool.chmod(0o755)
    done = subprocess.run(["/bin/sh", "-c", recipe.replace(".venv/bin/jupyter", str(fake / "jupyter"), 1)],
                          env={"PATH": f"{fake}:/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["lab", "notebooks/"] + (["--allow-root"] if flag else [])


def test_make_setup_makes_the_environment_and_renders_nothing(paths):
    """A new-user trial wanted the set-up without rendering the bundled reports (`make report`)."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    every = subprocess.run(["make", "--no-print-directory", "-n", "-B", "setup"], cwd=paths.root,
                           capture_output=True, text=True, check=True).stdout
    assert "-m evaluation.kernel" in every and "pip install" in every
    assert "evaluation report" not in every and "pytest" not in every


def test_the_suite_s_groups_hold_on_workers(tmp_path, paths):
    """`make test` spreads the suite over workers by group (tests/grouping.py): a module runs on
    one worker, modules of one shared group too. pytest 9.2 with pytest-xdist 3.8 silently
    dropped the groups (pytest-xdist#1386); this test fails if that happens again.
    """
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "import pytest\nfrom tests.grouping import assign_groups\n\n"
        "@pytest.hookimpl(tryfirst=True)\ndef pytest_collection_modifyitems(config, items):\n"
        "    assign_groups(items, {'test_b': 'shared', 'test_c': 'shared'})\n", encoding="utf-8")
    body = ("import os, pytest\n\n@pytest.mark.parametrize('i', range(6))\ndef test_x(i, worker_id):\n"
            "    with open(os.path.join({folder!r}, '{name}.' + worker_id), 'a') as fh:\n        fh.write('x')\n")
    for name in ("test_a", "test_b", "test_c", "test_d"):
        (tmp_path / f"{name}.py").write_text(body.format(folder=str(tmp_path), name=name), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
                           "-n", "2", "--dist", "loadgroup", str(tmp_path)], capture_output=True, text=True,
                          cwd=paths.root, env={**os.environ, "PYTHONPATH": str(paths.root)})
    assert done.returncode == 0, done.stdout[-2000:]
    workers = {n: {p.suffix for p in tmp_path.glob(f"{n}.gw*")} for n in ("test_a", "test_b", "test_c", "test_d")}
    assert all(len(w) == 1 for w in workers.values()), workers
    assert workers["test_b"] == workers["test_c"]

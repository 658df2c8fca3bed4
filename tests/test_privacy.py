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

    def test_a_yes_no_column_with_a_contact_like_header_passes(self, sample_copy, codes, paths):
        from evaluation.geo.territories import load_territories

        tm = read_export(sample_copy / "testimonies.csv")
        tm["Suivi post-création"] = ["oui" if i % 2 else "non" for i in range(len(tm))]
        write_export(tm, sample_copy / "testimonies.csv")
        dataset = validate_tables(sample_copy, commune_codes=codes, territories=load_territories(paths.territories))
        assert dataset.ignored_columns()[["column", "code"]].values.tolist() == [
            ["Suivi post-création", "column_ignored"]]
        assert not {n.name for n in raw_names(sample_copy)} & {"oui", "non"}

    def test_labels_name_the_file_column_and_row_of_a_contact_and_refuse_identifiers(self, sample_copy, codes,
                                                                                        paths):
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
            validate_tables(sample_copy, commune_codes=codes, territories=named)
        fr = err.value.table(lang="fr").set_index("code")
        assert fr.loc["label_is_a_name", "problem"].endswith("de accompaniments.csv, colonne 'Contact', ligne 4")
        assert fr.loc["label_has_identifier", "problem"] == ("ce libellé, publié tel quel, contient un numéro de "
                                                             "téléphone")
        assert set(fr.index) == {"label_is_a_name", "label_has_identifier"}  # the address may stay

    def test_a_public_body_named_after_its_epci_is_no_label_problem(self, sample_copy, codes, paths):
        from evaluation.geo.territories import load_territories

        actors = _actors(sample_copy)
        actors.loc[0, ["name", "kind"]] = ["Grand Besançon Métropole", "Collectivité"]
        actors.to_excel(sample_copy / "actors.xlsx", index=False)
        territories = load_territories(paths.territories)
        named = {**territories, "chenove": replace(territories["chenove"], label="Grand Besançon Métropole")}
        assert validate_tables(sample_copy, commune_codes=codes, territories=named)


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
        assert "report.html (line 3): a phone number, read in no export file" in en
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

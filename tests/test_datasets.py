"""Loaders: typed tables from evaluators' exports, every problem reported, nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.errors import ValidationError
from evaluation.io.datasets import load_dataset, validate_tables
from evaluation.io.readers import read_raw
from evaluation.io.schema import SCHEMAS, split_themes

from .conftest import read_export, write_export


@pytest.fixture(scope="module")
def codes(reference):
    return frozenset(reference["commune_code"])


def _problems(data_dir, codes) -> pd.DataFrame:
    with pytest.raises(ValidationError) as err:
        validate_tables(data_dir, commune_codes=codes)
    return err.value.problems


class TestSample:
    def test_types(self, paths, codes):
        dataset = validate_tables(paths.sample, commune_codes=codes)
        tables, files = dataset.tables, dataset.paths
        acc = tables["accompaniments"]
        assert files["actors"].suffix == ".xlsx"
        assert acc["commune_code"].dtype == "string" and acc["commune_code"].str.len().eq(5).all()
        assert acc["start_date"].dtype == "datetime64[ns]"
        assert acc["in_qpv"].dtype == "boolean"
        assert acc["jobs_created"].dtype == "Int64"
        assert tables["collaborations"]["intensity"].cat.ordered

    def test_values_match_a_plain_read(self, paths, codes):
        tables = validate_tables(paths.sample, commune_codes=codes).tables
        raw = read_export(paths.sample / "accompaniments.csv")
        acc = tables["accompaniments"]
        assert len(acc) == len(raw)
        assert (acc["commune_code"].to_numpy() == raw["commune_code"].to_numpy()).all()
        expected = pd.to_datetime(raw["start_date"], format="%d/%m/%Y")
        assert (acc["start_date"].to_numpy() == expected.to_numpy()).all()
        assert acc["jobs_created"].sum() == raw["jobs_created"].astype(int).sum()
        assert acc["in_qpv"].sum() == (raw["in_qpv"] == "oui").sum()
        # Row numbers are those a spreadsheet shows (header on row 1).
        assert acc.index[0] == 2

    def test_sample_matches_the_press_article(self, paths, codes, reference):
        acc = validate_tables(paths.sample, commune_codes=codes).accompaniments
        last = acc[acc["start_date"].dt.year == acc["start_date"].dt.year.max()]
        assert last["programme"].isin(["creation", "development"]).sum() == 68
        dla = last[last["programme"] == "dla"]
        assert len(dla) == 63
        rural = dla["commune_code"].map(reference.set_index("commune_code")["urban_rural"]) == "rural"
        assert 0.4 <= rural.mean() <= 0.6


class TestBadInput:
    def test_broken_rows_are_named(self, sample_copy, codes):
        acc = read_export(sample_copy / "accompaniments.csv")
        acc.loc[3, "start_date"] = "31/02/2021"       # impossible date -> spreadsheet row 5
        acc.loc[5, "commune_code"] = "99999"          # unknown commune -> row 7
        acc.loc[7, "accompaniment_id"] = acc.loc[8, "accompaniment_id"]  # duplicated id -> rows 9, 10
        acc.loc[10, "jobs_created"] = "-2"            # negative jobs -> row 12
        acc.loc[11, "in_qpv"] = "peut-être"           # not a boolean -> row 13
        acc.loc[12, "end_date"] = "01/01/2015"        # end before start -> row 14
        write_export(acc, sample_copy / "accompaniments.csv")
        problems = _problems(sample_copy, codes)
        got = set(zip(problems["row"], problems["column"], strict=False))
        assert {(5, "start_date"), (7, "commune_code"), (9, "accompaniment_id"), (10, "accompaniment_id"),
                (12, "jobs_created"), (13, "in_qpv"), (14, "end_date")} <= got
        assert (problems["file"] == "accompaniments.csv").all()

    def test_cross_table_references(self, sample_copy, codes):
        att = read_export(sample_copy / "attendance.csv")
        att.loc[0, "actor_id"] = "A999"
        att.loc[1, "event_id"] = "E9999"
        write_export(att, sample_copy / "attendance.csv")
        col = read_export(sample_copy / "collaborations.csv")
        col.loc[0, "actor_b"] = col.loc[0, "actor_a"]
        col = pd.concat([col, col.iloc[[1]]])
        write_export(col, sample_copy / "collaborations.csv")
        problems = _problems(sample_copy, codes)
        text = problems.astype(str).agg(" ".join, axis=1)
        assert text.str.contains("attendance.csv 2 actor_id A999 unknown actor").any()
        assert text.str.contains("attendance.csv 3 event_id E9999 unknown event").any()
        assert text.str.contains("itself").any()
        assert text.str.contains("declared twice").any()

    def test_missing_column_and_missing_file(self, sample_copy, codes):
        read_export(sample_copy / "events.csv").drop(columns="date").to_csv(sample_copy / "events.csv", sep=";", index=False)
        (sample_copy / "accompaniments.csv").unlink()
        problems = _problems(sample_copy, codes)
        assert ((problems["file"] == "events.csv") & (problems["column"] == "date")
                & problems["problem"].str.contains("missing column")).any()
        assert ((problems["file"] == "accompaniments.csv") & problems["problem"].str.contains("not found")).any()

    def test_unknown_choice_and_empty_file(self, sample_copy, codes):
        col = read_export(sample_copy / "collaborations.csv")
        col.loc[0, "kind"] = "amitié"
        write_export(col, sample_copy / "collaborations.csv")
        (sample_copy / "testimonies.csv").write_text("testimony_id;date;actor_kind;territory;themes;text\n")
        problems = _problems(sample_copy, codes)
        assert ((problems["row"] == 2) & (problems["column"] == "kind")).any()
        assert ((problems["file"] == "testimonies.csv") & problems["problem"].str.contains("no data")).any()

    def test_nothing_written_when_invalid(self, sample_copy, tmp_path, reference):
        acc = read_export(sample_copy / "accompaniments.csv")
        acc.loc[0, "commune_code"] = "ABCDE"
        write_export(acc, sample_copy / "accompaniments.csv")
        processed = tmp_path / "processed"
        with pytest.raises(ValidationError, match="row 2, column 'commune_code'"):
            load_dataset(sample_copy, reference=reference, processed_dir=processed)
        assert not processed.exists() or not any(processed.iterdir())


class TestFormats:
    def test_comma_separated_utf8_iso_dates_and_lost_zero(self, tmp_path, codes):
        (tmp_path / "accompaniments.csv").write_text(
            "accompaniment_id, structure_id ,programme,commune_code,in_qpv,start_date,end_date,sector,"
            "jobs_created,jobs_maintained,\n"
            "a1,s1,creation,21166,Oui,2021-03-04,,numérique,\"1,0\",2,\n"
            ",,,,,,,,,,\n", encoding="utf-8")
        tables = validate_tables(tmp_path, commune_codes=codes | {"01001"}).tables
        acc = tables["accompaniments"]
        assert list(acc.index) == [2]
        assert acc.loc[2, "start_date"] == pd.Timestamp("2021-03-04")
        assert acc.loc[2, "jobs_created"] == 1 and bool(acc.loc[2, "in_qpv"])
        assert "structure_id" in acc.columns

    def test_xlsx_numbers_and_dates(self, tmp_path, codes):
        frame = pd.DataFrame({"accompaniment_id": ["a1", "a2"], "structure_id": ["s1", "s2"],
                              "programme": ["dla", "dla"], "commune_code": [21166, 1001],
                              "in_qpv": ["non", "non"],
                              "start_date": pd.to_datetime(["2022-05-01", "2022-06-01"]),
                              "end_date": [None, None], "sector": ["x", "y"], "jobs_created": [0, 1],
                              "jobs_maintained": [3.0, 4.0]})
        frame.to_excel(tmp_path / "accompaniments.xlsx", index=False)
        tables = validate_tables(tmp_path, commune_codes=codes | {"01001"}).tables
        acc = tables["accompaniments"]
        assert acc["commune_code"].tolist() == ["21166", "01001"]  # leading zero repaired
        assert acc["start_date"].tolist() == list(pd.to_datetime(["2022-05-01", "2022-06-01"]))

    def test_read_raw_drops_trailing_empties(self, tmp_path):
        path = tmp_path / "t.csv"
        path.write_bytes("a;b;\n1;é;\n;;\n".encode("cp1252"))
        raw = read_raw(path)
        assert list(raw.columns) == ["a", "b"] and raw.loc[2, "b"] == "é" and len(raw) == 1


class TestCache:
    def test_reused_while_unchanged(self, sample_copy, tmp_path, reference):
        processed = tmp_path / "processed"
        first = load_dataset(sample_copy, reference=reference, processed_dir=processed)
        second = load_dataset(sample_copy, reference=reference, processed_dir=processed)
        assert not first.from_cache and second.from_cache
        for name in SCHEMAS:
            pd.testing.assert_frame_equal(first.tables[name], second.tables[name], check_index_type=False)
        acc = read_export(sample_copy / "accompaniments.csv").iloc[:-1]
        write_export(acc, sample_copy / "accompaniments.csv")
        third = load_dataset(sample_copy, reference=reference, processed_dir=processed)
        assert not third.from_cache and len(third.accompaniments) == len(first.accompaniments) - 1


def test_split_themes():
    out = split_themes(pd.Series(["Emploi|rural", "lien social ; confiance", None]))
    assert out.tolist() == [["emploi", "rural"], ["lien social", "confiance"], []]


class TestFrenchColumnNames:
    def test_aliases_and_messy_headers(self, tmp_path, codes):
        (tmp_path / "accompaniments.csv").write_text(
            "Identifiant accompagnement;ID structure;Dispositif;Code INSEE;QPV;Date de début;Date de fin;"
            "Secteur;Emplois créés;Emplois maintenus\n"
            "a1;s1;dla;21166;oui;03/02/2022;;culture;1;4\n", encoding="cp1252")
        (tmp_path / "actors.csv").write_text(" Actor_ID ;Nom;Type;Secteur;CODGEO;En QPV\nA1;X;association;y;21166;non\n",
                                            encoding="utf-8")
        tables = validate_tables(tmp_path, commune_codes=codes).tables
        acc, actors = tables["accompaniments"], tables["actors"]
        assert acc.loc[2, "commune_code"] == "21166" and acc.loc[2, "start_date"] == pd.Timestamp("2022-02-03")
        assert acc.loc[2, "jobs_maintained"] == 4 and bool(acc.loc[2, "in_qpv"])
        assert actors.loc[2, "actor_id"] == "A1" and actors.loc[2, "kind"] == "association"

    def test_schema_name_wins_over_an_alias(self):
        from evaluation.io.schema import canonical_columns

        mapping = canonical_columns(["commune_code", "Code INSEE", "QPV"], "accompaniments")
        assert mapping == {"QPV": "in_qpv"}  # commune_code already present: Code INSEE stays as is


class TestOverrides:
    """Detection can be overridden: per table in read_options.yml, for all files on the command line."""

    @staticmethod
    def _workbook(path):
        import openpyxl

        book = openpyxl.Workbook()
        book.active.title = "Notes"
        book.active["A1"] = "Export du CRM, voir l'onglet Export"
        sheet = book.create_sheet("Export")
        sheet.append(["accompaniment_id", "structure_id", "programme", "commune_code", "in_qpv", "start_date",
                      "end_date", "sector", "jobs_created", "jobs_maintained"])
        sheet.append(["a1", "s1", "dla", "21166", "oui", "03/02/2022", "", "x", 1, 2])
        book.save(path)

    def test_sheet_detected_or_given_in_read_options_file(self, tmp_path, codes):
        self._workbook(tmp_path / "accompaniments.xlsx")
        acc = validate_tables(tmp_path, commune_codes=codes).accompaniments  # the sheet with the header
        assert acc.loc[2, "accompaniment_id"] == "a1" and acc.loc[2, "jobs_maintained"] == 2
        (tmp_path / "read_options.yml").write_text("accompaniments: {sheet: Notes}\n", encoding="utf-8")
        problems = _problems(tmp_path, codes)
        assert problems["code"].tolist() == ["no_rows"]  # the forced sheet holds only a note

    def test_invalid_read_options_file(self, tmp_path, codes):
        self._workbook(tmp_path / "accompaniments.xlsx")
        (tmp_path / "read_options.yml").write_text("accompaniments: {separator: ';'}\n", encoding="utf-8")
        problems = _problems(tmp_path, codes)
        assert problems.loc[problems["file"] == "read_options.yml", "code"].tolist() == ["read_options_invalid"]

    def test_command_line_overrides(self, tmp_path, capsys):
        from evaluation.cli import main

        (tmp_path / "accompaniments.csv").write_text(
            "Export\n\naccompaniment_id;structure_id;programme;commune_code;in_qpv;start_date;end_date;sector;"
            "jobs_created;jobs_maintained\na1;s1;dla;21166;oui;03/02/2022;;économie;1;2\n", encoding="utf-8")
        assert main(["validate", "--data", str(tmp_path)]) == 0  # detected: header on line 3
        assert main(["validate", "--data", str(tmp_path), "--header-row", "3", "--sep", ";"]) == 0
        assert main(["validate", "--data", str(tmp_path), "--header-row", "1"]) == 1  # forced, and wrong
        assert "accompaniments.csv" in capsys.readouterr().err
        assert main(["validate", "--data", str(tmp_path), "--encoding", "ascii"]) == 1
        assert "cannot be read" in capsys.readouterr().err


# --------------------------------------------------------------------------- French values
ACC_HEADER = ("accompaniment_id;structure_id;programme;commune_code;in_qpv;start_date;end_date;sector;"
              "jobs_created;jobs_maintained\n")


class TestFrenchValues:
    """Every coded column reads the documented French words; anything else is a located problem."""

    def test_report_labels_fold_to_their_codes(self):
        # The report layer's French labels are what evaluators write: each must read as its code.
        from evaluation._text import normalise_name
        from evaluation.io.schema import ACTOR_KINDS, PROGRAMMES, choice_lookup
        from evaluation.measures.qualitative import LOCAL_ACTOR, ROLE_FAMILIES
        from evaluation.report.tables import KIND_LABELS, PROGRAMME_LABELS

        families = {*ROLE_FAMILIES.values(), LOCAL_ACTOR}  # the broader roles rare kinds are quoted under: labels only
        kinds = {k: v for k, v in KIND_LABELS.items() if k not in families}
        assert set(KIND_LABELS) == set(ACTOR_KINDS) | families
        for labels, codes in ((PROGRAMME_LABELS, PROGRAMMES), (kinds, ACTOR_KINDS)):
            assert set(labels) == set(codes)
            lookup = choice_lookup(codes)
            for code, label in labels.items():
                for spelling in (label, label.upper(), f"  {label.lower()} ", label.replace("-", " ")):
                    assert lookup[normalise_name(spelling)] == code, spelling

    def test_no_word_means_two_codes_of_one_column(self):
        from evaluation._text import normalise_name
        from evaluation.io.schema import VALUE_ALIASES

        for schema in SCHEMAS.values():
            for col in (c for c in schema.columns if c.kind == "choice"):
                words = [normalise_name(w) for code in col.choices for w in (code, *VALUE_ALIASES.get(code, ()))]
                owners = {}
                for code in col.choices:
                    for w in {normalise_name(x) for x in (code, *VALUE_ALIASES.get(code, ()))}:
                        owners.setdefault(w, set()).add(code)
                assert all(len(v) == 1 for v in owners.values()), (schema.name, col.name)
                assert words

    def test_french_values_are_read(self, tmp_path, codes):
        rows = ["a1;s1;Création;21166;OUI;03/02/2022;;x;1;0", "a2;s2;DÉVELOPPEMENT;21166;Non ;03/02/2022;;x;0;1",
                "a3;s3;Dla;21166;vrai;03/02/2022;;x;0;1", "a4;s4;Tiers lieu;21166;non;03/02/2022;;x;0;1",
                "a5;s5;tiers-lieu;21166;non;03/02/2022;;x;0;1", "a6;s6; creation ;21166;non;03/02/2022;;x;0;1"]
        (tmp_path / "accompaniments.csv").write_bytes((ACC_HEADER + "\n".join(rows) + "\n").encode("cp1252"))
        (tmp_path / "actors.csv").write_text(
            "actor_id;name;kind;sector;commune_code;in_qpv\n"
            "A1;x;Association;s;21166;non\nA2;y;Entreprise de l'ESS;s;21166;non\nA3;z;ENTREPRISE;s;21166;non\n"
            "A4;w;Collectivité;s;21166;non\nA5;v;Bailleur social;s;21166;non\nA6;u;Collectif d’habitants;s;21166;non\n"
            "A7;t;institution;s;21166;non\n", encoding="utf-8")
        (tmp_path / "collaborations.csv").write_text(
            "Acteur A;Acteur B;Date de début;Date de fin;Nature;Source;Intensité\n"
            "A1;A2;01/02/2021;01/02/2022;Projet commun;enquête;Connaissance\n"
            "A1;A3;01/02/2021;;Partenariat;enquête;Coopération\n"
            "A2;A3;01/02/2021;;Achat;enquête;COORDINATION\n"
            "A4;A5;01/02/2021;;mutualisation;enquête;intégration\n", encoding="utf-8")
        dataset = validate_tables(tmp_path, commune_codes=codes)
        acc = dataset.accompaniments
        assert acc["programme"].tolist() == ["creation", "development", "dla", "tiers_lieu", "tiers_lieu",
                                             "creation"]
        assert acc["in_qpv"].tolist() == [True, False, True, False, False, False]
        assert dataset.actors["kind"].tolist() == ["association", "ess_enterprise", "business", "local_authority",
                                                   "social_landlord", "residents_group", "institution"]
        collab = dataset.collaborations
        assert collab["kind"].tolist() == ["joint_project", "partnership", "purchase", "pooling"]
        assert collab["intensity"].tolist() == ["awareness", "cooperation", "coordination", "integration"]
        # "Date de fin" ends the first tie (it used to be ignored in collaborations).
        assert collab["end_date"].tolist()[0] == pd.Timestamp("2022-02-01") and collab["end_date"].isna().sum() == 3

    def test_unknown_programme_is_a_located_problem(self, tmp_path, codes):
        (tmp_path / "accompaniments.csv").write_bytes(
            (ACC_HEADER + "a1;s1;Création;21166;non;03/02/2022;;x;1;0\n"
             "a2;s2;Accompagnement renforcé;21166;non;03/02/2022;;x;1;0\n").encode("cp1252"))
        with pytest.raises(ValidationError) as err:
            validate_tables(tmp_path, commune_codes=codes)
        problems = err.value.problems
        assert problems[["file", "row", "column", "value", "code"]].values.tolist() == [
            ["accompaniments.csv", 3, "programme", "Accompagnement renforcé", "choice_unknown"]]
        assert "creation, development, dla, tiers_lieu" in problems.loc[0, "fix"]
        french = err.value.table(lang="fr").iloc[0]
        assert "Création, Développement, DLA, Tiers-lieu" in french["fix"]


# --------------------------------------------------------------------------- column aliases
class TestColumnAliasesEverywhere:
    """The alias table walked against every schema."""

    def test_shared_aliases_read_in_every_table_with_the_column(self):
        from evaluation.io.schema import SHARED_ALIASES, canonical_columns

        walked = 0
        for table, schema in SCHEMAS.items():
            for col in schema.columns:
                for alias in SHARED_ALIASES.get(col.name, ()):
                    spelled = alias.replace("_", " ").upper()
                    assert canonical_columns([spelled], table) == {spelled: col.name}, (table, alias)
                    walked += 1
        assert walked > 50

    def test_every_column_of_several_tables_has_shared_aliases(self):
        from collections import Counter

        from evaluation.io.schema import SHARED_ALIASES

        counts = Counter(c.name for s in SCHEMAS.values() for c in s.columns)
        assert {name for name, n in counts.items() if n > 1} <= set(SHARED_ALIASES)

    def test_every_alias_names_one_column_of_its_table(self):
        from evaluation.io.schema import COLUMN_ALIASES, canonical_columns, header_key

        for table, aliases in COLUMN_ALIASES.items():
            schema_names = {c.name for c in SCHEMAS[table].columns}
            owners = {}
            for column, names in aliases.items():
                assert column in schema_names, (table, column)
                for alias in names:
                    owners.setdefault(header_key(alias), set()).add(column)  # one owner, connecting words aside
                    assert alias not in schema_names, (table, alias)
                    assert canonical_columns([alias], table) == {alias: column}, (table, alias)
            assert all(len(v) == 1 for v in owners.values()), table

    @pytest.mark.parametrize(("header", "table", "column"), [
        ("N° d'accompagnement", "accompaniments", "accompaniment_id"),
        ("Numéro de l’accompagnement", "accompaniments", "accompaniment_id"),
        ("N° de la structure", "accompaniments", "structure_id"),
        ("No. événement", "events", "event_id"),
        ("Date de l'événement", "events", "date"),
        ("Type d'acteur", "actors", "kind"),
        ("Date de fin", "collaborations", "end_date"),
        ("Nombre d'emplois créés", "accompaniments", "jobs_created"),
        ("N° témoignage", "testimonies", "testimony_id"),
        ("Type d'acteur", "testimonies", "actor_kind"),
    ])
    def test_french_headers_with_elisions_and_numero(self, header, table, column):
        from evaluation.io.schema import canonical_columns

        assert canonical_columns([header], table) == {header: column}


# --------------------------------------------------------------------------- dropped columns
class TestColumnsOutsideTheModel:
    def test_name_headers(self):
        from evaluation.io.schema import holds_names

        for header in ["Nom de la structure", "Chargé(e) de mission", "Contact", "Référent", "Responsable",
                       "Prénom", "NOM", "Interlocuteur", "Porteur de projet", "E-mail", "Courriel",
                       "Téléphone", "Tél. portable", "Raison sociale", "Suivi par", "Référente ESS"]:
            assert holds_names(header), header
        for header in ["Type de structure", "Date du contact", "Nom de la commune", "Nombre de bénévoles",
                       "Commentaire", "Montant", "Code postal", "Statut juridique de la structure", ""]:
            assert not holds_names(header), header

    def test_dropped_listed_and_names_redacted_never_cached(self, sample_copy, tmp_path, reference):
        from evaluation.io.datasets import pseudonymise_tables
        from evaluation.io.pseudonyms import resolve_key

        staff = ["Julie Martin", "Paul Durand", "Karima Benali"]
        contacts = ["contact@pont-solidaire.fr", "03 80 12 34 56"]
        acc = read_export(sample_copy / "accompaniments.csv").drop(columns="structure_name")
        n = len(acc)
        acc.insert(2, "Chargé(e) de mission", [staff[i % 3] for i in range(n)])
        acc["Contact"] = [contacts[i % 2] for i in range(n)]
        acc["Nom de la structure"] = "Épicerie du Pont"
        acc["Commentaire interne"] = "RAS"
        write_export(acc, sample_copy / "accompaniments.csv")
        tm = read_export(sample_copy / "testimonies.csv")
        tm.loc[0, "text"] = "Julie Martin nous a suivis ; écrire à contact@pont-solidaire.fr ou au 03 80 12 34 56."
        write_export(tm, sample_copy / "testimonies.csv")
        processed = tmp_path / "processed"
        dataset = load_dataset(sample_copy, reference=reference, processed_dir=processed)

        ignored = dataset.ignored_columns(lang="fr")
        assert ignored[["file", "column", "code"]].values.tolist() == [
            ["accompaniments.csv", "Chargé(e) de mission", "column_ignored_names"],
            ["accompaniments.csv", "Contact", "column_ignored_names"],
            ["accompaniments.csv", "Commentaire interne", "column_ignored"]]
        # "Nom de la structure" is the French name of structure_name: read, and pseudonymised.
        assert dataset.accompaniments["structure_name"].str.fullmatch(r"P-[0-9a-f]{10}").all()
        # qpv_code is always derived (from in_qpv when the export has no QPV code column)
        assert set(acc.columns) - {"Chargé(e) de mission", "Contact", "Commentaire interne", "Nom de la structure"} \
            == set(dataset.accompaniments.columns) - {"structure_name", "qpv_code"}
        assert set(staff + contacts) <= set(dataset.extra_names)
        text = dataset.testimonies.loc[dataset.testimonies.index[0], "text"]
        assert not any(s in text for s in staff + contacts) and text.count("P-") == 1  # the staff's pseudonym
        assert text.endswith("écrire à [courriel] ou au [téléphone].")  # identifiers: tags, before the names

        raw_values = staff + contacts + ["Épicerie du Pont", "Chargé(e) de mission", "Commentaire interne", "RAS"]
        parquet = list(processed.rglob("*.parquet"))
        assert parquet
        for path in processed.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not any(v.encode() in data for v in staff + contacts + ["RAS"]), path
        for path in parquet:
            frame = pd.read_parquet(path)
            cells = " ".join(map(str, frame.to_numpy().ravel()))
            if path.name != "ignored.parquet":  # the list of ignored columns names them, nothing else
                assert not any(v in cells or v in frame.columns for v in raw_values), path
            else:
                assert not any(v in cells for v in staff + contacts + ["Épicerie du Pont", "RAS"])
        # From the cache: same tables, the dropped columns still listed, the names read again from the raw files.
        again = load_dataset(sample_copy, reference=reference, processed_dir=processed)
        assert again.from_cache
        pd.testing.assert_frame_equal(again.ignored_columns(), dataset.ignored_columns())
        assert set(again.extra_names) == set(dataset.extra_names)
        # The extra names are what pseudonymise_tables redacts as known names; the contact address and
        # phone number go without them too, found by their patterns (issue 24).
        raw_tm = {"testimonies": pd.DataFrame({"text": pd.Series([tm.loc[0, "text"]], dtype="string")})}
        key = resolve_key("unit-test-key-0123456789")
        bare = pseudonymise_tables(raw_tm, key)["testimonies"].loc[0, "text"]
        assert not any(c in bare for c in contacts) and "[courriel]" in bare and "[téléphone]" in bare
        assert not any(s in pseudonymise_tables(raw_tm, key, extra_names=dataset.extra_names)["testimonies"].loc[
            0, "text"] for s in staff + contacts)

    def test_validate_lists_ignored_columns_in_french(self, tmp_path, capsys):
        from evaluation.cli import main

        (tmp_path / "accompaniments.csv").write_text(
            ACC_HEADER.rstrip("\n") + ";Référent;Remarque\na1;s1;dla;21166;oui;03/02/2022;;x;1;2;Paul Durand;ok\n",
            encoding="utf-8")
        assert main(["--lang", "fr", "validate", "--data", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert "Colonnes ignorées" in out and "Référent" in out and "Remarque" in out
        assert "contenant des noms" in out and "Paul Durand" not in out


def test_file_named_with_the_wrong_extension_is_said_in_french(tmp_path, codes):
    (tmp_path / "accompaniments.xlsx").write_bytes((ACC_HEADER + "a1;s1;dla;21166;oui;03/02/2022;;x;1;2\n")
                                                   .encode("cp1252"))
    with pytest.raises(ValidationError) as err:
        validate_tables(tmp_path, commune_codes=codes)
    french = err.value.table(lang="fr")
    assert french[["file", "problem", "fix"]].values.tolist() == [
        ["accompaniments.xlsx", "ce fichier est un CSV nommé .xlsx", "renommez-le accompaniments.csv"]]


def test_the_guide_documents_every_value_alias(paths):
    """The evaluators' guide (docs/guide/exports.md, once the README's) lists every French value read."""
    from evaluation.io.schema import VALUE_ALIASES

    guide = (paths.root / "docs" / "guide" / "exports.md").read_text(encoding="utf-8")
    for code, words in VALUE_ALIASES.items():
        assert f"`{code}`" in guide, code
        for word in words:
            assert word in guide, (code, word)


@pytest.mark.parametrize("where", ["first", "later"])
def test_a_row_with_a_cell_too_many_is_located_not_shifted(tmp_path, codes, where):
    # An unquoted ";" inside a testimony: pandas would take the first column for an index
    # (first row) or stop with its own message (later row).
    rows = ['T1;12/12/2023;habitant;chenove;emploi;"Bien ; merci"', "T2;12/12/2023;habitant;chenove;emploi;Bien"]
    bad = "T3;12/12/2023;habitant;chenove;emploi;Bien ; merci"
    rows = [bad] + rows if where == "first" else rows + [bad]
    (tmp_path / "accompaniments.csv").write_text(ACC_HEADER + "a1;s1;dla;21166;oui;03/02/2022;;x;1;2\n")
    (tmp_path / "testimonies.csv").write_text("Titre de l'export\n" + "testimony_id;date;actor_kind;territory;themes;text\n"
                                              + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        validate_tables(tmp_path, commune_codes=codes)
    problems = err.value.problems
    row = 3 if where == "first" else 5
    assert problems[["file", "row", "code"]].values.tolist() == [["testimonies.csv", row, "cells_beyond_header"]]


def test_network_roles_must_name_actors_of_the_actors_table(paths, codes):
    """A typo in territories.yml's network_roles would leave a role with no actor behind it."""
    from dataclasses import replace

    from evaluation.geo.territories import load_territories

    territories = load_territories(paths.territories)
    assert validate_tables(paths.sample, commune_codes=codes, territories=territories)  # the bundled roles are known
    chenove = territories["chenove"]
    territories = {**territories, "chenove": replace(chenove, network_roles={**chenove.network_roles, "A9999": "X"})}
    with pytest.raises(ValidationError) as err:
        validate_tables(paths.sample, commune_codes=codes, territories=territories)
    problems = err.value.problems
    assert problems[["file", "column", "value", "code"]].values.tolist() == [
        ["territories.yml", "chenove.network_roles", "A9999", "role_actor_unknown"]]


def test_a_label_of_territories_yml_must_not_be_a_name_of_the_exports(paths, codes):
    """Labels are published as written (titles, figures): a structure's name there would be drawn into images."""
    from dataclasses import replace

    from evaluation.geo.territories import load_territories
    from evaluation.geo.territory import Site

    actors = pd.read_excel(paths.sample / "actors.xlsx", dtype=str, engine="openpyxl")
    name = actors["name"].dropna().iloc[3]
    territories = load_territories(paths.territories)
    chenove = territories["chenove"]
    named = {**territories, "chenove": replace(chenove, venue=Site(f"Tiers-lieu « {name.upper()} »", "21166"),
                                                network_roles={**chenove.network_roles, "A001": name})}
    with pytest.raises(ValidationError) as err:
        validate_tables(paths.sample, commune_codes=codes, territories=named)
    problems = err.value.problems
    assert set(problems["code"]) == {"label_is_a_name"}
    assert sorted(problems["column"]) == ["chenove.network_roles.A001", "chenove.venue.label"]
    assert problems["file"].eq("territories.yml").all()
    # Where the name was read, in the language of the table (issue 16).
    assert problems["problem"].str.contains("in actors.xlsx, column 'name', row 5 (not shown here)",
                                            regex=False).all()
    assert err.value.table(lang="fr")["problem"].str.contains("dans actors.xlsx, colonne 'name', ligne 5 (non reproduit",
                                                              regex=False).all()
    assert not problems["problem"].str.contains(name, regex=False).any()  # the name itself is never repeated


def test_actors_without_their_id_column_give_a_problem_not_a_crash(tmp_path, paths, codes):
    """An actors' workbook whose id column is headed « Identifiant » (not an alias): a missing
    column in the problems table, not a traceback from the cross-table checks.
    """
    import shutil

    data = tmp_path / "exports"
    shutil.copytree(paths.sample, data)
    actors = pd.read_excel(data / "actors.xlsx", dtype=str, engine="openpyxl")
    actors.rename(columns={"actor_id": "Identifiant"}).to_excel(data / "actors.xlsx", index=False)
    with pytest.raises(ValidationError) as err:
        validate_tables(data, commune_codes=codes)
    problems = err.value.problems
    assert set(problems["code"]) == {"column_missing"} and problems["column"].tolist() == ["actor_id"]

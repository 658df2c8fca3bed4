"""Loaders: typed tables from evaluators' exports, every problem reported, nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.datasets import SCHEMAS, load_dataset, read_raw, split_themes, validate_tables
from evaluation.errors import ValidationError

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
        got = set(zip(problems["row"], problems["column"]))
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
        from evaluation.datasets import canonical_columns

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

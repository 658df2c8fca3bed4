"""Defence in depth: outputs searched for every raw name of the exports before publication."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from evaluation.report.runs.batch import RunResult, write_index
from evaluation.report.secrecy.leaks import NameLeakError, RawName, check_outputs, find_leaks, raw_names

NAMES = [RawName("Épicerie du Pont", "actors.csv, column 'name', row 2"),
         RawName("Jean-Pierre Dubois", "actors.csv, column 'Contact', row 3")]


def test_raw_names_come_from_name_columns_and_named_headers(tmp_path):
    pd.DataFrame({"actor_id": ["A1", "A2", "A3", "A4"],
                  "Nom": ["Épicerie du Pont", "Mairie de Chenôve", "Chenôve", "AB"],
                  "Type": ["business", "local_authority", "local_authority", "business"],
                  "Commune": ["21166"] * 4, "QPV": ["oui"] * 4,
                  "Chargé(e) de mission": ["Jean-Pierre Dubois", "", "", ""],
                  "Contact": ["", "Mme Aïcha Benali", "", ""],
                  "Type de structure": ["Entreprise", "Collectivité", "", ""]},
                 ).to_csv(tmp_path / "actors.csv", sep=";", index=False, encoding="cp1252")
    found = {n.name: n.source for n in raw_names(tmp_path)}
    # Public bodies of a place, places alone and two-letter names would be found in every report.
    assert set(found) == {"Épicerie du Pont", "Jean-Pierre Dubois", "Mme Aïcha Benali"}
    assert found["Jean-Pierre Dubois"] == "actors.csv, column 'Chargé(e) de mission', row 2"


def test_every_kind_of_output_is_searched_with_folding(tmp_path):
    (tmp_path / "report.html").write_text("<p>ok</p>\n<p>avec l&#x27;EPICERIE-DU-PONT</p>", encoding="utf-8")
    nb = {"cells": [{"cell_type": "markdown", "source": ["rien"]},
                    {"cell_type": "code", "outputs": [{"text": ["dubois  JEAN pierre"]}]}], "metadata": {}}
    (tmp_path / "report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = "Indicateurs"
    book.active["B3"] = "Épicerie du pont"
    book.active["C3"] = 12
    book.save(tmp_path / "indicators.xlsx")
    pd.DataFrame({"text": ["ras", "vu Jean Pierre Dubois"], "n": [1, 2]}).to_parquet(tmp_path / "t.parquet")
    (tmp_path / "edges.csv").write_text("a;b\nÉpicerie du Pontet;x\n", encoding="utf-8")  # another name
    leaks = find_leaks(sorted(tmp_path.iterdir()), [*NAMES, RawName("Dubois Jean Pierre", "x")], root=tmp_path)
    where = sorted((leak.file, leak.where) for leak in leaks)
    assert where == [("indicators.xlsx", "sheet 'Indicateurs', cell B3"), ("report.html", "line 2"),
                     ("report.ipynb", "cell 2"), ("t.parquet", "column 'text', row 1")]


def test_a_hit_is_located_without_showing_the_name(tmp_path):
    (tmp_path / "indicators.csv").write_text("x\nJEAN-PIERRE DUBOIS\n", encoding="utf-8")
    with pytest.raises(NameLeakError) as err:
        check_outputs([tmp_path / "indicators.csv"], NAMES, root=tmp_path)
    assert "indicators.csv (line 2): the name of actors.csv, column 'Contact', row 3" in str(err.value)
    assert "Dubois" not in str(err.value)
    assert check_outputs([tmp_path / "indicators.csv"], NAMES[:1], root=tmp_path) == 1


def test_index_page_with_a_name_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr("evaluation.report.runs.batch.raw_names", lambda data_dir: NAMES)
    failed = RunResult("chenove", False, "", error="KeyError: 'Épicerie du Pont'")
    with pytest.raises(NameLeakError, match="index.html"):
        write_index([failed], out_dir=tmp_path)
    assert not (tmp_path / "index.html").exists()
    write_index([RunResult("chenove", False, "", error="KeyError: 'x'")], out_dir=tmp_path)
    assert (tmp_path / "index.html").is_file()


# test_a_report_with_a_raw_name_is_not_published: in tests/test_privacy_render.py, on its rendered report.

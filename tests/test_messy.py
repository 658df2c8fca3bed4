"""Realistic messy exports (tests/fixtures/messy/): what is read, what is refused, and how it is said."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaluation.errors import ValidationError
from evaluation.geo.reference import load_former_communes
from evaluation.geo.territories import load_territories
from evaluation.io.datasets import validate_tables
from evaluation.problems import CATALOGUE, Problems, render_problems

from .fixtures import make_messy

CASES = Path(make_messy.__file__).parent / "messy"


def check_folder(folder: Path, reference: pd.DataFrame):
    """What `evaluation validate` does, with the two extra communes the cases use."""
    problems, territories = Problems(), None
    try:
        territories = list(load_territories(folder / "territories.yml"))
    except ValidationError as exc:
        problems.extend(exc.recorded)
    try:
        dataset = validate_tables(folder, commune_codes=set(reference["commune_code"]) | set(make_messy.EXTRA_COMMUNES),
                                  former_communes=load_former_communes(), territories=territories)
    except ValidationError as exc:
        problems.extend(exc.recorded)
        dataset = None
    return dataset, (ValidationError(problems.frame()) if problems else None)


def _cells(path: Path) -> list[tuple]:
    import io

    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))  # also a workbook named .csv
    return [tuple(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_committed_fixtures_are_what_the_script_makes(tmp_path):
    expected = make_messy.build(tmp_path)
    for case in make_messy.CASES:
        made = sorted(p.name for p in (tmp_path / case).iterdir())
        assert made == sorted(p.name for p in (CASES / case).iterdir()), case
        for name in made:
            ours, committed = tmp_path / case / name, CASES / case / name
            if committed.read_bytes()[:2] == b"PK" and len(committed.read_bytes()) > 100:  # a workbook, any name
                assert _cells(ours) == _cells(committed), (case, name)
            else:
                assert ours.read_bytes() == committed.read_bytes(), (case, name)
        assert len(expected[case]) == len(pd.read_csv(CASES / case / make_messy.EXPECTED))


def _key(frame: pd.DataFrame) -> list[tuple]:
    cols = make_messy.EXPECTED_COLUMNS
    frame = frame[cols].astype(object).where(frame[cols].notna(), None)
    return sorted(tuple("" if v is None else str(v) for v in row) for row in frame.itertuples(index=False))


@pytest.mark.parametrize("case", [c for c in make_messy.CASES if c != "valid_messy"])
def test_every_problem_is_found_and_located(case, reference):
    _, error = check_folder(CASES / case, reference)
    assert error is not None
    expected = pd.read_csv(CASES / case / make_messy.EXPECTED, dtype=str, keep_default_na=False)
    assert _key(error.problems) == _key(expected.replace("", None))
    assert error.problems["fix"].str.len().gt(0).all()


def test_messy_but_valid_exports_are_read(reference):
    dataset, error = check_folder(CASES / "valid_messy", reference)
    assert error is None, error
    source = make_messy._accompaniments()
    acc = dataset.accompaniments
    # Header below three title rows of the workbook: data start on spreadsheet row 5.
    assert acc.index.tolist() == [5, 6, 7, 8, 9]
    assert acc["accompaniment_id"].tolist() == source["accompaniment_id"].tolist()
    assert acc["commune_code"].tolist() == ["21166", "21231", "21154", "21425", "2A004"]  # Corsica kept as is
    assert acc["start_date"].tolist() == pd.to_datetime(source["start_date"], format="%d/%m/%Y").tolist()
    assert acc["jobs_maintained"].tolist() == [4, 2, 1200, 0, 1]  # "1 200": thousands separator
    assert acc["in_qpv"].tolist() == [True, False, False, False, False]
    events = dataset.events
    assert events.index.tolist() == [3, 4, 5] and events["organiser"].isna().tolist() == [False, False, True]
    collab = dataset.collaborations
    assert collab["start_date"].tolist() == pd.to_datetime(["2021-06-01", "2022-01-15", "2023-03-01"]).tolist()
    assert collab["source"].tolist() == ["enquête"] * 3  # Latin-1
    actors = dataset.actors
    assert actors["actor_id"].tolist() == ["A1", "A2", "A3", "A4", "A5"] and len(actors) == 5  # trailing empties
    # The lost leading zero is repaired and reported, not silently.
    notice = dataset.notices
    assert notice[["file", "row", "column", "value", "code"]].values.tolist() == [
        ["actors.csv", 6, "commune_code", "1053", "leading_zero_repaired"]]
    assert actors.loc[6, "commune_code"] == "01053"


def test_names_are_pseudonymised_everywhere(reference):
    dataset, _ = check_folder(CASES / "valid_messy", reference)
    texts = pd.concat([dataset.actors["name"], dataset.accompaniments["structure_name"],
                       dataset.testimonies["text"], dataset.events["title"]]).astype(str)
    for name in make_messy.NAMES + make_messy.STRUCTURES:
        assert not texts.str.contains(name, case=False, regex=False).any(), name
    assert dataset.actors["name"].str.fullmatch(r"P-[0-9a-f]{10}").all()
    # The testimony quoting "Café associatif L'Escale" now quotes its pseudonym.
    escale = dataset.actors.loc[dataset.actors["actor_id"] == "A3", "name"].iloc[0]
    assert escale in dataset.testimonies["text"].iloc[1]


def test_problems_in_french(reference):
    _, error = check_folder(CASES / "broken", reference)
    french = error.table(lang="fr")
    merged = french.loc[french["code"] == "commune_merged"].iloc[0]
    assert merged["problem"] == ("ce code commune n'existe plus : Bierre-lès-Semur a fusionné dans "
                                 "Val-Larrey (21272)")
    assert merged["fix"] == "remplacer 21073 par 21272"
    english = error.table(lang="en")
    assert (french["problem"] != english["problem"]).all() and (french["fix"] != english["fix"]).all()
    assert (french[["file", "row", "column", "value", "code"]] == english[["file", "row", "column", "value",
                                                                          "code"]]).all().all()


def test_cli_validate_in_french_names_everything_and_writes_nothing(tmp_path):
    import shutil

    folder = tmp_path / "broken"
    shutil.copytree(CASES / "broken", folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = subprocess.run([sys.executable, "-m", "evaluation.cli", "--lang", "fr", "validate", "--data", str(folder),
                           "--territories", str(folder / "territories.yml")], capture_output=True, text=True)
    assert done.returncode == 1
    assert "correction" in done.stderr and "remplacer 21073 par 21272" in done.stderr
    assert "22 problème(s) : rien n'a été écrit." in done.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_every_message_is_used_and_every_code_used_has_a_message():
    src = Path(validate_tables.__code__.co_filename).parents[1]  # the package: io/, geo/… and the base modules
    text = "\n".join(p.read_text(encoding="utf-8") for p in src.rglob("*.py") if p.name != "problems.py")
    used = set(re.findall(r'"([a-z_]+)"', text)) & set(CATALOGUE)
    assert used == set(CATALOGUE)
    for message in CATALOGUE.values():
        assert all(s.strip() for s in (message.en, message.fix_en, message.fr, message.fix_fr))


def test_messages_are_formatted_once_per_distinct_text():
    problems = Problems()
    problems.add("a.csv", "date_invalid", rows=range(2, 100_002), column="date", values=["x"] * 100_000)
    problems.add("a.csv", "commune_merged", rows=[100_005, 100_006], column="commune_code", values=["21073", "21073"],
                 name="Bierre-lès-Semur", successor="21272", successor_name="Val-Larrey")
    table = render_problems(problems.frame(), lang="fr")
    assert len(table) == 100_002 and table["problem"].nunique() == 2
    assert table.loc[table["row"] == 100_005, "fix"].iloc[0] == "remplacer 21073 par 21272"
    assert table["row"].is_monotonic_increasing


def test_redaction_of_names_in_free_text():
    from evaluation.io.pseudonyms import pseudonymise, redact_names, resolve_key

    key = resolve_key("unit-test-key-0123456789")
    names = pd.Series(["Régie de quartier", "Régie de quartier du Mail", "Le Fournil 12", "AB"],
                      index=[2, 3, 2, 3])  # row labels repeat across tables
    texts = pd.Series(["Avec la RÉGIE DE QUARTIER DU MAIL et la Régie de quartier.",
                       "Le Fournil 123 n'est pas Le Fournil 12 ; AB reste AB.", None])
    out = redact_names(texts, names, key)
    p = dict(zip(names, pseudonymise(names, key), strict=False))
    assert out[0] == f"Avec la {p['Régie de quartier du Mail']} et la {p['Régie de quartier']}."
    assert out[1] == f"Le Fournil 123 n'est pas {p['Le Fournil 12']} ; AB reste AB."
    assert out.isna()[2]
    # Same name, other spelling: same pseudonym.
    assert pseudonymise(pd.Series(["  régie de QUARTIER "]), key)[0] == p["Régie de quartier"]


def test_an_arrondissement_code_is_told_to_become_its_commune(tmp_path, reference):
    """Codes of Lyon's, Paris's and Marseille's municipal arrondissements (69383, 75112, 13201): the
    fix names the commune's code (69123, 75056, 13055), in French and in English.
    """
    import shutil

    folder = tmp_path / "arrondissements"
    shutil.copytree(CASES / "valid_messy", folder)
    book = openpyxl.load_workbook(folder / "accompaniments.xlsx")
    sheet = book.active
    column = [c.value for c in sheet[4]].index("Code INSEE") + 1
    for row, code in zip((5, 6, 7), ("69383", "75112", "13201"), strict=True):
        sheet.cell(row=row, column=column, value=code)
    book.save(folder / "accompaniments.xlsx")
    _, error = check_folder(folder, reference)
    french = error.table(lang="fr").set_index("value")
    assert french.loc["69383", "fix"] == "remplacer 69383 par 69123"
    assert french.loc["75112", "fix"] == "remplacer 75112 par 75056"
    assert french.loc["13201", "problem"].startswith("code d'un arrondissement municipal de Marseille")
    assert french.loc[["69383", "75112", "13201"], "row"].astype(int).tolist() == [5, 6, 7]
    assert error.table(lang="en").set_index("value").loc["69383", "fix"] == "replace 69383 by 69123"

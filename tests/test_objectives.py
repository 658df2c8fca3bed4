"""Objectives and targets (issue 27, item 2): declared in territories.yml, checked with their
lines, judged at a report's date by a rule that uses the interval, shown protected, recorded
in editions.

The statuses are checked on small cases computed by hand (the planned path is a straight
line between two dates: its value is worked out below from day counts).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import TerritoriesError
from evaluation.geo.objectives import INDICATOR_KINDS
from evaluation.geo.territories import load_territories
from evaluation.geo.territory import Objective
from evaluation.measures.objectives import objective_status
from evaluation.report.editions.manifest import changed_objectives, indicator_records, objective_records
from evaluation.report.sections import objectives as objectives_section
from evaluation.report.sections.targets import objectives_table

D = dt.date


def _territories(tmp_path: Path, objectives: str) -> Path:
    path = tmp_path / "territories.yml"
    path.write_text('territories:\n  test:\n    label: "Test"\n    split_date: 2020-01-01\n    communes: ["21166"]\n'
                    "    objectives:\n" + objectives, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- declaring
def test_the_bundled_chenove_objectives_are_illustrative_and_on_indicators_the_data_have():
    chenove = load_territories()["chenove"]
    assert len(chenove.objectives) >= 3
    assert all(o.illustrative and "illustratif" in o.source for o in chenove.objectives)
    text = (Path(__file__).resolve().parents[1] / "data" / "raw" / "territories.yml").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE objectives" in text
    assert {o.indicator for o in chenove.objectives} <= set(INDICATOR_KINDS)
    qpv = next(o for o in chenove.objectives if o.indicator == "part_qpv")
    assert qpv.target == 0.8 and qpv.direction == "increase" and not qpv.direction_declared  # "80 %" read as 0.8
    assert all(not load_territories()[s].objectives for s in ("chatillonnais", "auxois", "cote-d-or"))


def test_a_well_formed_objective_is_read(tmp_path):
    path = _territories(tmp_path, """\
      - indicator: taux_10k
        label: "Taux d'accompagnement"
        baseline: {value: "95,5", date: 31/12/2019}
        target: {value: 80, date: 2026-12-31}
        source: "convention ANRU, article 7"
""")
    (o,) = load_territories(path)["test"].objectives
    assert o == Objective("taux_10k", 95.5, D(2019, 12, 31), 80.0, D(2026, 12, 31), "decrease",
                          "convention ANRU, article 7", label="Taux d'accompagnement")


def test_every_mistake_is_in_one_table_with_its_line(tmp_path):
    path = _territories(tmp_path, """\
      - indicator: part_qpx
        baseline: {value: 0.4, date: 2019-12-31}
        target: {value: 0.6, date: 2026-12-31}
        source: convention
      - indicator: part_qpv
        baseline: {value: 0.4, date: 2024-12-31}
        target: {value: 0.6, date: 2020-12-31}
        source: convention
      - indicator: acc_total
        baseline: {value: beaucoup, date: 2019-12-31}
        target: {value: 150, date: fin 2026}
        source: convention
      - indicator: part_qpv
        baseline: {value: 40, date: 2019-12-31}
        target: {value: "60 %", date: 2026-12-31}
        source: convention
      - indicator: acc_dla
        baseline: {value: 5, date: 2019-12-31}
        target: {value: 10, date: 2026-12-31}
      - indicator: acc_dla
        baseline: {value: 5, date: 2019-12-31}
        target: {value: 10, date: 2026-12-31}
        direction: decrease
        source: convention
      - indicator: emplois_crees
        baseline: {value: 5, date: 2019-12-31}
        target: {value: 5, date: 2026-12-31}
        source: convention
        colour: red
""")
    with pytest.raises(TerritoriesError) as caught:
        load_territories(path)
    table = caught.value.problems
    found = {(int(r.row), r.code) for r in table.itertuples()}
    # Lines of the file: the header takes 6 lines, the objectives start on lines 7, 11, 15, 19, 23
    # (three lines: no source), 26 and 31.
    assert found == {(7, "objective_indicator_unknown"),
                     (13, "objective_dates_order"),  # the « target: » line of the second objective
                     (16, "objective_value_invalid"), (17, "objective_date_invalid"),
                     (20, "objective_value_invalid"),  # a share of 40 (not between 0 and 1)
                     (23, "objective_invalid"),  # no source
                     (29, "objective_direction_conflict"),  # the « direction: » line
                     (31, "objective_direction_needed"), (31, "unknown_keys")}
    assert "part_qpx" in set(table["value"]) and "beaucoup" in set(table["value"])
    fr = caught.value.table(lang="fr")
    assert "code d'indicateur inconnu" in set(fr["problem"])
    assert any("n'est pas après celle de la valeur de départ" in p for p in fr["problem"])
    assert any("part_qpv" in f and "emplois_crees" in f for f in table.loc[
        table["code"] == "objective_indicator_unknown", "fix"])


def test_objectives_not_a_list_and_duplicates(tmp_path):
    path = _territories(tmp_path, "      indicator: acc_total\n")
    with pytest.raises(TerritoriesError) as caught:
        load_territories(path)
    assert list(caught.value.problems["code"]) == ["list_expected"]
    twice = "".join(f"""\
      - indicator: acc_total
        baseline: {{value: 5, date: 2019-12-31}}
        target: {{value: {v}, date: 2026-12-31}}
        source: convention
""" for v in (10, 20))
    with pytest.raises(TerritoriesError) as caught:
        load_territories(_territories(tmp_path, twice))
    assert [(int(r.row), r.code) for r in caught.value.problems.itertuples()] == [(11, "objective_duplicated")]


def test_the_indicator_codes_are_those_the_indicator_table_writes():
    """INDICATOR_KINDS lists every code of territory_indicators, with a kind matching its unit."""
    report = Path(__file__).resolve().parents[1] / "src" / "evaluation" / "report"
    # The indicator table's rows are added in indicators.py, outcomes.py (after the accompaniment) and survey.py.
    tree = ast.Module(body=[node for name in ("indicators.py", "outcomes.py", "survey.py")
                            for node in ast.parse((report / name).read_text(encoding="utf-8")).body], type_ignores=[])
    looped = {}  # add(code, …) inside « for code, …, unit in (("part_rural", …, "part"), …) »: the loop's rows
    for loop in (n for n in ast.walk(tree) if isinstance(n, ast.For) and isinstance(n.iter, ast.Tuple)):
        names = [t.id for t in loop.target.elts] if isinstance(loop.target, ast.Tuple) else [loop.target.id]
        rows = [dict(zip(names, t.elts, strict=True)) for t in loop.iter.elts if isinstance(t, ast.Tuple)]
        for call in (n for n in ast.walk(loop) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "add"):
            looped[id(call)] = rows

    def constant(node, row=None):
        """A unit as written: a string, either branch of « a if … else b » (both counts), or a loop variable."""
        if isinstance(node, ast.IfExp):
            return constant(node.body, row)
        if isinstance(node, ast.Name):
            return constant(row[node.id], row)
        return node.value

    written = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "add" and node.args:
            unit = next((k.value for k in node.keywords if k.arg == "unit"), None)
            if isinstance(node.args[0], ast.Constant):
                written[node.args[0].value] = constant(unit) if unit is not None else None
            else:
                for row in looped[id(node)]:
                    written[constant(node.args[0], row)] = constant(unit, row) if unit is not None else None
    assert set(written) == set(INDICATOR_KINDS)
    kinds = {"part": "share", "pour 10 000 habitants": "rate", "pour 10 000 habitants par an": "rate",
             "rapport": "ratio", "indice": "ratio", "oui (1) / non (0)": "flag", "score sur 4": "score"}
    assert {c: kinds.get(u, "count") for c, u in written.items()} == INDICATOR_KINDS


# --------------------------------------------------------------------------- the rule
def _result(value, low=np.nan, high=np.nan, *, withheld=False, estimable=True, code="x") -> pd.DataFrame:
    return pd.DataFrame({"value": [value], "low": [low], "high": [high], "withheld": [withheld],
                         "estimable": [estimable]}, index=[code])


def _status(objective: Objective, result: pd.DataFrame, on: dt.date) -> pd.Series:
    return objective_status([objective], result, on=on).iloc[0]


UP = Objective("x", 0.5, D(2020, 1, 1), 0.7, D(2024, 1, 1), "increase", "convention")
DOWN = Objective("x", 20.0, D(2020, 1, 1), 10.0, D(2024, 1, 1), "decrease", "convention")
MID = D(2022, 1, 1)  # 731 of the 1,461 days from 1 January 2020 to 1 January 2024
PATH_UP = 0.5 + 0.2 * 731 / 1461  # 0.600068…, by hand
PATH_DOWN = 20 - 10 * 731 / 1461  # 14.996577…


@pytest.mark.parametrize(("objective", "result", "on", "status"), [
    (UP, _result(0.75, 0.71, 0.79), MID, "met"),  # the lower bound is beyond the target
    (UP, _result(0.75, 0.70, 0.79), MID, "met"),  # … at the target counts
    (UP, _result(0.72, 0.69, 0.75), MID, "on_track"),  # value beyond the target, interval not: not met yet
    (UP, _result(0.58, 0.52, 0.61), MID, "on_track"),  # value below the path, interval reaches it
    (UP, _result(0.58, 0.52, 0.60), MID, "not_met"),  # the whole interval below the path (0.600068)
    (UP, _result(0.75, 0.66, 0.84), D(2024, 1, 1), "not_met"),  # target date reached, not surely met
    (UP, _result(0.75, 0.66, 0.84), D(2025, 6, 1), "not_met"),
    (UP, _result(0.75, 0.71, 0.84), D(2025, 6, 1), "met"),
    (DOWN, _result(9.0, 8.0, 10.0), MID, "met"),  # lower is better: the upper bound at the target
    (DOWN, _result(16.0, 14.9, 17.0), MID, "on_track"),  # the lower bound reaches the path (14.9966)
    (DOWN, _result(16.0, 15.0, 17.0), MID, "not_met"),
    (Objective("x", 40, D(2020, 1, 1), 150, D(2024, 1, 1), "increase", "c"), _result(95.0), MID, "not_met"),
    (Objective("x", 40, D(2020, 1, 1), 150, D(2024, 1, 1), "increase", "c"), _result(96.0), MID, "on_track"),
    (Objective("x", 40, D(2020, 1, 1), 150, D(2024, 1, 1), "increase", "c"), _result(150.0), MID, "met"),
])
def test_status_branches(objective, result, on, status):
    """A count (no interval) is exact: path 40 + 110 × 731/1461 = 95.04 at MID."""
    assert _status(objective, result, on)["status"] == status


@pytest.mark.parametrize(("result", "on", "reason"), [
    (_result(np.nan, withheld=True), MID, "withheld"),
    (_result(0.8, 0.75, 0.85, withheld=True), MID, "withheld"),  # even a value a caller left in
    (_result(np.nan, estimable=False), MID, "not_estimable"),
    (_result(0.8, 0.75, 0.85, code="y"), MID, "absent"),
    (_result(0.8, 0.75, 0.85), D(2019, 6, 30), "before_baseline"),
])
def test_not_measurable(result, on, reason):
    row = _status(UP, result, on)
    assert (row["status"], row["reason"]) == ("not_measurable", reason)
    if reason != "before_baseline":
        assert np.isnan(row["value"]) and np.isnan(row["low"]) and np.isnan(row["high"])


def test_path_and_progress_by_hand():
    rows = objective_status([UP, DOWN], pd.concat([_result(0.6, 0.55, 0.65), _result(12.0, code="z")]).rename(
        index={"z": "x2"}), on=MID)
    assert rows.loc[0, "expected"] == pytest.approx(PATH_UP, abs=1e-12)
    assert rows.loc[1, "expected"] == pytest.approx(PATH_DOWN, abs=1e-12)
    assert rows.loc[0, "progress"] == pytest.approx((0.6 - 0.5) / 0.2)
    after = objective_status([UP], _result(0.6), on=D(2030, 1, 1)).iloc[0]
    assert after["expected"] == pytest.approx(0.7)  # the path stops at the target
    assert list(objective_status([], _result(0.6), on=MID).columns)[-2:] == ["status", "reason"]


# --------------------------------------------------------------------------- the report's table
def _indicators(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["code", "indicateur", "valeur", "ic_bas", "ic_haut", "unite", "secret",
                                       "estimable"])


LATE_2022 = D(2022, 12, 31)


def _pub(objectives, indicators, on=LATE_2022):
    territory = SimpleNamespace(objectives=tuple(objectives))
    return SimpleNamespace(territory=territory, indicators=indicators, alpha=0.05,
                           snapshot=SimpleNamespace(date=on))


def test_the_table_shows_no_withheld_value_and_says_non_mesurable():
    objectives = [Objective("acc_total", 40, D(2019, 12, 31), 150, D(2026, 12, 31), "increase", "convention ANRU, art. 7"),
                  Objective("part_qpv", 0.6, D(2019, 12, 31), 0.75, D(2026, 12, 31), "increase", "objectif illustratif",
                            illustrative=True),
                  Objective("effet_reseau", 1, D(2019, 12, 31), 1.5, D(2026, 12, 31), "increase", "convention")]
    ind = _indicators([("acc_total", "Accompagnements", np.nan, np.nan, np.nan, "accompagnements", True, True),
                       ("part_qpv", "Part en QPV", 0.66, 0.57, 0.75, "part", False, True),
                       ("effet_reseau", "Effet", np.nan, np.nan, np.nan, "rapport", False, False)])
    items = objectives_section(_pub(objectives, ind))
    table = next(i for i in items if isinstance(i, pd.DataFrame))
    assert list(table["Statut"]) == ["non mesurable", "en bonne voie", "non mesurable"]
    assert list(table["Résultat (fourchette à 95 %)"]) == ["non publié (secret statistique)",
                                                      "66,0\u202f% [57,0\u202f% ; 75,0\u202f%]", "non estimable"]
    assert table.loc[1, "Cible"] == "au moins 75,0\u202f% au 31/12/2026"
    assert "objectif illustratif" in table.loc[1, "Source"] and "s" not in set(table.to_numpy().ravel())
    assert items[0].startswith("## Résultats au regard des objectifs") and "illustratif" in items[0]


def test_no_objective_shows_nothing():
    assert objectives_section(_pub([], _indicators([]))) == []


def test_the_path_column_is_at_the_report_date():
    o = Objective("acc_total", 40, D(2020, 1, 1), 150, D(2024, 1, 1), "increase", "c")
    ind = _indicators([("acc_total", "Accompagnements", 96.0, np.nan, np.nan, "accompagnements", False, True)])
    table = objectives_table(_pub([o], ind, on=MID))
    assert table.loc[0, "Trajectoire au 01/01/2022"] == "95,0" and table.loc[0, "Statut"] == "en bonne voie"


# --------------------------------------------------------------------------- editions
def test_objective_records_and_their_changes():
    objectives = [UP, Objective("x", 20.0, D(2020, 1, 1), 10.0, D(2026, 1, 1), "decrease", "convention")]
    ind = _indicators([("x", "X", 0.58, 0.52, 0.60, "part", False, True)])
    records = objective_records(indicator_records(ind.assign(periode="", unite="part")), objectives, on=MID)
    assert [(r["indicator"], r["status"], r["reason"]) for r in records] == [("x", "not_met", None),
                                                                             ("x", "met", None)]
    assert records[0]["expected"] == round(PATH_UP, 6) and records[0]["target"] == {"value": 0.7,
                                                                                  "date": "2024-01-01"}
    assert changed_objectives(records, records) == []
    better = objective_records(indicator_records(ind.assign(periode="", ic_haut=0.61)), objectives, on=MID)
    (change,) = changed_objectives(records, better)
    assert (change.code, change.field, change.recorded, change.current) == ("x@2024-01-01", "status", "not_met",
                                                                            "on_track")
    assert objective_records([], [], on=MID) == []
    json.dumps(records, allow_nan=False)  # a manifest is JSON: no NaN, no numpy type
    withheld = objective_records(indicator_records(ind.assign(periode="", valeur=np.nan, ic_bas=np.nan, ic_haut=np.nan,
                                                              secret=True)), objectives, on=MID)
    assert [(r["status"], r["reason"], r["value"]) for r in withheld] == [("not_measurable", "withheld", None)] * 2


def test_chenove_end_of_2020_a_withheld_result_reads_non_mesurable():
    """On the bundled data at the end of 2020 the adjusted effect is withheld (its conversion counts
    are small): its objective is not measurable and its value appears nowhere in the section.
    """
    from evaluation.report.publication import report_publication

    pub = report_publication("chenove", as_of="2020-12-31")
    effect = pub.indicators.set_index("code").loc["effet_reseau"]
    assert effect["secret"] and np.isnan(effect["valeur"])
    items = objectives_section(pub)
    table = next(i for i in items if isinstance(i, pd.DataFrame))
    row = table[table["Indicateur"].str.startswith("Effet des rencontres")].iloc[0]
    assert row["Statut"] == "non mesurable" and row["Résultat (fourchette à 95 %)"] == "non publié (secret statistique)"
    assert "au 31/12/2020" in items[1] and len(table) == len(pub.territory.objectives)


def test_verify_recomputes_the_recorded_statuses(paths, monkeypatch):
    """The committed 2022 edition records its objectives' statuses; verify recomputes them and names
    one that no longer holds (here a target lowered, as if territories.yml said so).
    """
    from dataclasses import replace

    from evaluation.report.runs import publish

    folder = paths.root / "examples" / "chenove" / "editions" / "point-etape-2022"
    recorded = {r["indicator"]: r["status"] for r in publish.read_manifest(folder)["objectives"]}
    assert recorded["part_qpv"] == "on_track"
    real = publish.get_territory

    def lowered(slug, *args, **kwargs):
        t = real(slug, *args, **kwargs)
        return replace(t, objectives=tuple(replace(o, target=0.5) if o.indicator == "part_qpv" else o
                                           for o in t.objectives))

    monkeypatch.setattr(publish, "get_territory", lowered)
    result = publish.verify_edition(folder)
    assert not result.ok and not result.inputs and not result.indicators
    assert [(c.code, c.field, c.recorded, c.current) for c in result.objectives] == [
        ("part_qpv@2026-12-31", "status", "on_track", "met")]  # its lower bound 0.568 is above 0.5
    assert result.lines(lang="fr") == ["objectif part_qpv@2026-12-31 status : enregistré 'on_track', recalculé 'met'"]


def test_an_objective_label_or_source_must_not_be_a_name_of_the_exports(paths):
    """An objective's label and source are printed as written: a structure's name there is refused."""
    from dataclasses import replace

    from evaluation.errors import ValidationError
    from evaluation.geo.reference import load_reference
    from evaluation.io.datasets import validate_tables

    actors = pd.read_excel(paths.sample / "actors.xlsx", dtype=str, engine="openpyxl")
    name = actors["name"].dropna().iloc[3]
    territories = load_territories(paths.territories)
    chenove = territories["chenove"]
    first, *rest = chenove.objectives
    named = {**territories, "chenove": replace(chenove, objectives=(
        replace(first, source=f"convention signée avec {name}"), *rest))}
    with pytest.raises(ValidationError) as err:
        validate_tables(paths.sample, commune_codes=load_reference()["commune_code"], territories=named)
    problems = err.value.problems
    assert problems[["column", "code"]].values.tolist() == [["chenove.objectives[1].source", "label_is_a_name"]]

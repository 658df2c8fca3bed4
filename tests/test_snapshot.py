"""The data as they stood on a date (evaluation.snapshot), on a small hand-made case."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evaluation.measures.snapshot import (
    SnapshotError,
    as_of,
    data_dates,
    last_complete_month_end,
    resolve_as_of,
)

D = pd.Timestamp


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return {
        "accompaniments": pd.DataFrame({
            "accompaniment_id": ["a1", "a2", "a3", "a4"],
            "start_date": [D("2020-03-01"), D("2022-12-31"), D("2023-01-01"), D("2021-06-01")],
            "end_date": [D("2021-01-01"), D("2023-06-30"), pd.NaT, pd.NaT],
        }),
        "actors": pd.DataFrame({"actor_id": ["x", "y", "z"]}),
        "events": pd.DataFrame({"event_id": ["e1", "e2", "e3"],
                                "date": [D("2019-05-01"), D("2022-12-31"), D("2024-02-01")]}),
        "attendance": pd.DataFrame({"event_id": ["e1", "e1", "e2", "e3", "e3"],
                                    "actor_id": ["x", "y", "x", "y", "z"]}),
        "collaborations": pd.DataFrame({"actor_a": ["x", "x", "y"], "actor_b": ["y", "z", "z"],
                                        "start_date": [D("2019-06-01"), D("2022-01-01"), D("2024-03-01")],
                                        "end_date": [D("2020-06-01"), D("2025-01-01"), pd.NaT]}),
        "testimonies": pd.DataFrame({"testimony_id": ["t1", "t2"],
                                     "date": [D("2021-01-01"), D("2023-01-02")]}),
    }


def test_rows_started_by_the_date_are_kept_and_later_ends_opened(tables):
    out = as_of(tables, dt.date(2022, 12, 31))
    # a1 (ended 2021) kept with its end; a2 starts on the date itself: kept, its 2023 end emptied;
    # a3 starts the day after: dropped; a4 open: kept.
    acc = out["accompaniments"].set_index("accompaniment_id")
    assert list(acc.index) == ["a1", "a2", "a4"]
    assert acc.loc["a1", "end_date"] == D("2021-01-01")
    assert pd.isna(acc.loc["a2", "end_date"]) and pd.isna(acc.loc["a4", "end_date"])
    assert list(out["events"]["event_id"]) == ["e1", "e2"]
    assert list(zip(out["attendance"]["event_id"], out["attendance"]["actor_id"], strict=False)) == [
        ("e1", "x"), ("e1", "y"), ("e2", "x")]
    ties = out["collaborations"]
    assert list(zip(ties["actor_a"], ties["actor_b"], strict=False)) == [("x", "y"), ("x", "z")]
    assert ties["end_date"].iloc[0] == D("2020-06-01") and pd.isna(ties["end_date"].iloc[1])
    assert list(out["testimonies"]["testimony_id"]) == ["t1"]
    assert out["actors"] is tables["actors"]  # actors have no date


def test_inputs_are_not_modified_and_index_kept(tables):
    before = {k: v.copy() for k, v in tables.items()}
    out = as_of(tables, "2021-12-31")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert list(out["accompaniments"].index) == [0, 3]


def test_the_latest_date_is_the_last_start_and_keeps_every_row(tables):
    first, latest = data_dates(tables)
    # starts only: the tie x–z's planned end (2025-01-01) does not move the date past the last activity
    assert (first, latest) == (dt.date(2019, 5, 1), dt.date(2024, 3, 1))
    out = as_of(tables, latest)
    for name in tables:
        assert len(out[name]) == len(tables[name])  # every row had started
    ties = out["collaborations"]
    assert pd.isna(ties["end_date"].iloc[1]) and ties["end_date"].iloc[0] == D("2020-06-01")  # x–z still open


def test_resolve_default_is_the_end_of_the_last_complete_month_capped_at_today(tables):
    s = resolve_as_of(tables, None, today=dt.date(2030, 1, 1))
    # the latest record is on 1 March 2024: February is the last complete month
    assert s.default and s.date == dt.date(2024, 2, 29) and s.first == dt.date(2019, 5, 1)
    assert s.latest == dt.date(2024, 3, 1)
    assert resolve_as_of(tables, None, today=dt.date(2024, 2, 1)).date == dt.date(2024, 1, 31)
    s = resolve_as_of(tables, "31/12/2022", today=dt.date(2030, 1, 1))
    assert not s.default and s.date == dt.date(2022, 12, 31)


@pytest.mark.parametrize(("latest", "first", "expected"), [
    (dt.date(2024, 12, 30), None, dt.date(2024, 11, 30)),  # December is not complete
    (dt.date(2024, 12, 31), None, dt.date(2024, 12, 31)),  # the last day: complete
    (dt.date(2024, 3, 1), None, dt.date(2024, 2, 29)),  # leap year
    (dt.date(2024, 1, 15), None, dt.date(2023, 12, 31)),  # across a year
    (dt.date(2024, 1, 15), dt.date(2024, 1, 3), dt.date(2024, 1, 15)),  # less than a month of data: the latest
])
def test_last_complete_month_end(latest, first, expected):
    assert last_complete_month_end(latest, first=first) == expected


@pytest.mark.parametrize(("value", "match"), [
    ("2019-04-30", "before the first record of the data \\(2019-05-01\\)"),
    ("2031-01-01", "after today \\(2030-01-01\\)"),
    ("fin 2022", "is not a date"),
])
def test_bad_dates_refused_with_what_to_do(tables, value, match):
    with pytest.raises(SnapshotError, match=match):
        resolve_as_of(tables, value, today=dt.date(2030, 1, 1))


def test_dated_report_restricts_and_states_the_date():
    from evaluation.report.context import measure, prepare_context
    from evaluation.report.publication import publish
    from evaluation.report.sections import as_of_sentence
    from evaluation.report.sections.overview import title_text

    ctx = prepare_context("chenove", as_of="2021-12-31")
    assert ctx.accompaniments["start_date"].max() <= D("2021-12-31")
    assert ctx.dataset.collaborations["start_date"].max() <= D("2021-12-31")
    assert ctx.parameters["as_of"] == "2021-12-31"
    full = prepare_context("chenove")
    # The sample's latest record, read plainly: a meeting or an accompaniment of 30 December 2024.
    from evaluation.config import get_paths

    from .conftest import read_export
    sample = get_paths().sample
    raw = [pd.to_datetime(read_export(sample / f)[c], dayfirst=True).max()
           for f, c in (("accompaniments.csv", "start_date"), ("events.csv", "date"))]
    assert max(raw) == D("2024-12-30")
    # December 2024 is not complete: the default date is the end of November, said as such
    assert full.snapshot.default and full.snapshot.latest == dt.date(2024, 12, 30)
    assert full.snapshot.date == dt.date(2024, 11, 30)
    starts = pd.concat([full.dataset.tables[t][c] for t, c in (("accompaniments", "start_date"), ("events", "date"),
                                                                ("collaborations", "start_date"), ("testimonies", "date"))])
    assert starts.max() <= D("2024-11-30")
    expected_2021 = int((full.accompaniments["start_date"].dt.year == 2021).sum())
    m = measure(ctx, permutations=50)
    pub = publish(ctx, m.summary, m.network, m.venue)
    ind = pub.indicators.set_index("code")
    assert ind.loc["acc_total", "valeur"] == (full.accompaniments["start_date"] <= D("2021-12-31")).sum()
    assert ind.loc["acc_creation_dev", "periode"] == "2021"
    assert expected_2021 > 0
    pub.comparison = None
    text = title_text(pub)
    assert text.startswith("# Chenôve (dont le QPV du Mail)\n\nRapport d'évaluation, 2018–2021 (données arrêtées au "
                           "31 décembre 2021)")
    assert "la date demandée" in as_of_sentence(pub)  # why that date: said once, in the annex's method
    again = publish(full, *(lambda m: (m.summary, m.network, m.venue))(measure(full, permutations=50)))
    assert "fin du dernier mois complet des données (dernier enregistrement : 30 décembre 2024)" in as_of_sentence(again)


def test_latest_year_is_the_year_of_the_date_even_when_partial():
    from evaluation.report.context import measure, prepare_context
    from evaluation.report.publication import publish

    ctx = prepare_context("chenove", as_of="2023-06-30")
    m = measure(ctx, permutations=50)
    ind = publish(ctx, m.summary, m.network, m.venue).indicators.set_index("code")
    assert ind.loc["acc_dla", "periode"] == "2023"
    assert "année 2023 en cours : jusqu'au 30/06/2023" in ind.loc["acc_dla", "definition"]


def test_cli_refuses_a_date_before_the_data_and_writes_nothing(tmp_path, capsys):
    from evaluation.cli import main

    assert main(["report", "chenove", "--as-of", "2010-01-01", "--out", str(tmp_path)]) == 1
    assert "before the first record" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_no_dated_record_is_not_an_error():
    empty = {"accompaniments": pd.DataFrame({"start_date": pd.Series([], dtype="datetime64[ns]"),
                                             "end_date": pd.Series([], dtype="datetime64[ns]")})}
    s = resolve_as_of(empty, None, today=dt.date(2025, 1, 1))
    assert s.default and s.date == dt.date(2025, 1, 1)
    assert resolve_as_of(empty, "2024-06-30", today=dt.date(2025, 1, 1)).date == dt.date(2024, 6, 30)
    with pytest.raises(SnapshotError, match="after today"):
        resolve_as_of(empty, "2026-01-01", today=dt.date(2025, 1, 1))


def test_a_report_dated_before_the_split_date_says_so():
    """Before the « avant / après » date there is no "after": the network and tiers-lieu chapters leave
    the report, and « Limites » says why, instead of claiming the territory has no network data or
    no tiers-lieu.
    """
    import datetime as dt
    from types import SimpleNamespace

    from evaluation.measures.snapshot import Snapshot
    from evaluation.report.sections.network import network_reading
    from evaluation.report.sections.reach import venue
    from evaluation.report.sections.scope import CHECKS

    territory = SimpleNamespace(split_date=dt.date(2021, 1, 1), venue=SimpleNamespace(commune="21166"))
    early = SimpleNamespace(network=None, venue=None, territory=territory,
                            snapshot=Snapshot(dt.date(2020, 12, 31), False, dt.date(2019, 1, 1), dt.date(2024, 6, 1)))
    assert network_reading(early) == "" and venue(early) == []
    assert CHECKS["network"](early).why == "la date qui sépare « avant » et « après » n'est pas encore atteinte"
    assert CHECKS["venue"](early).why == "la date qui sépare « avant » et « après » n'est pas encore atteinte"
    late = SimpleNamespace(**{**vars(early), "snapshot": Snapshot(dt.date(2022, 6, 30), False, dt.date(2019, 1, 1),
                                                                   dt.date(2024, 6, 1))})
    assert "pas de données sur les rencontres" in CHECKS["network"](late).why

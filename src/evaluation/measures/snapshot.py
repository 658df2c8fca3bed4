"""The data as they stood on a date (« état au »): io layer.

A dated report evaluates the situation on a date ``as_of``: only the accompaniments,
events, attendance, ties, testimonies and follow-ups that had started (or taken place) by then, with
end dates after it treated as open (the end was not known on that date). Actors carry no
date and are kept: an actor with no event or tie by then is simply inactive.

Pure functions over the validated tables; nothing here reads or writes a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from evaluation.errors import EvaluationError

__all__ = ["SnapshotError", "DATED_COLUMNS", "Snapshot", "data_dates", "last_complete_month_end", "resolve_as_of",
           "as_of"]


class SnapshotError(EvaluationError, ValueError):
    """An ``as_of`` date the data cannot be evaluated at (before the first record, after today)."""


#: For each table, the column giving the date a row started (or took place) and the column
#: of its end, if any.
DATED_COLUMNS: dict[str, tuple[str, str | None]] = {
    "accompaniments": ("start_date", "end_date"),
    "events": ("date", None),
    "collaborations": ("start_date", "end_date"),
    "testimonies": ("date", None),
    "followups": ("date", None),
}


@dataclass(frozen=True)
class Snapshot:
    """The date a report is evaluated at.

    ``date`` is the « état au »; ``default`` is true when it was not asked for and is the end
    of the last complete month of the data (:func:`last_complete_month_end`; a report states
    it); ``first`` and ``latest`` are the data's first start date and latest date
    (:func:`data_dates`).
    """

    date: dt.date
    default: bool
    first: dt.date
    latest: dt.date


def data_dates(tables: Mapping[str, pd.DataFrame]) -> tuple[dt.date, dt.date] | None:
    """First and latest start dates of the dated tables (``None``: no dated row).

    Both are starts (:data:`DATED_COLUMNS`: an accompaniment, a meeting, a tie or a testimony
    beginning), the records of activity. End dates are left out: exports carry planned ends,
    often after the export was made, and one of them would move the default « état au » past
    the last recorded activity (a year with no record would then read as a year with no
    activity).
    """
    def column(name: str, col: str | None) -> pd.Series:
        table = tables.get(name)
        if table is None or col is None or col not in table:
            return pd.Series([], dtype="datetime64[ns]")
        return pd.to_datetime(table[col], errors="coerce").dropna()

    starts = pd.concat([column(n, s) for n, (s, _) in DATED_COLUMNS.items()])
    if starts.empty:
        return None
    return starts.min().date(), starts.max().date()


def last_complete_month_end(latest: dt.date, *, first: dt.date | None = None) -> dt.date:
    """The last day of the last complete month of data whose latest record is on ``latest``.

    A month is complete when the data reach its last day: ``latest`` itself when it is the
    last day of its month (2024-12-31 → 2024-12-31), else the end of the month before
    (2024-12-30 → 2024-11-30: December's records so far are a part of the month, and a
    monthly or yearly count cut there would read as a drop in activity). When that date
    would fall before ``first`` (the data span less than one complete month), ``latest``.
    """
    if (latest + dt.timedelta(days=1)).month != latest.month:
        return latest
    end = latest.replace(day=1) - dt.timedelta(days=1)
    return latest if first is not None and end < first else end


def _parse(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise SnapshotError(code="as_of_invalid", value=repr(value))


def resolve_as_of(tables: Mapping[str, pd.DataFrame], as_of: object = None, *,
                  today: dt.date | None = None) -> Snapshot:
    """The date to evaluate at: ``as_of`` checked, or by default the end of the last complete
    month of the data (:func:`last_complete_month_end` of the latest date, capped at ``today``).

    Raises
    ------
    SnapshotError
        When ``as_of`` is not a date, is before the first record of the data or after
        ``today`` (default: today's date), with what to do instead.
    """
    today = today or dt.date.today()
    span = data_dates(tables)
    if span is None:  # nothing recorded yet: any date up to today shows the same (empty) data
        if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
            return Snapshot(today, True, today, today)
        date = _parse(as_of)
        if date > today:
            raise SnapshotError(code="as_of_future", date=date.isoformat(), today=today.isoformat())
        return Snapshot(date, False, date, date)
    first, latest = span
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return Snapshot(last_complete_month_end(min(latest, today), first=first), True, first, latest)
    date = _parse(as_of)
    if date > today:
        raise SnapshotError(code="as_of_future_data", date=date.isoformat(), today=today.isoformat(),
                            latest=latest.isoformat())
    if date < first:
        raise SnapshotError(code="as_of_before_data", date=date.isoformat(), first=first.isoformat())
    return Snapshot(date, False, first, latest)


def as_of(tables: Mapping[str, pd.DataFrame], date: dt.date | pd.Timestamp | str) -> dict[str, pd.DataFrame]:
    """The tables as they stood at the end of ``date``.

    Rows of the dated tables (:data:`DATED_COLUMNS`) whose start is after ``date`` are
    dropped, and end dates after ``date`` are emptied (the row is open on that date);
    attendance is kept for the events kept. Other tables (actors) are returned unchanged.
    The input frames are not modified; the index of each table is kept.
    """
    cut = pd.Timestamp(date).normalize()
    out = dict(tables)
    for name, (start, end) in DATED_COLUMNS.items():
        if name not in tables or start not in tables[name]:
            continue
        table = tables[name]
        started = pd.to_datetime(table[start], errors="coerce")
        kept = table[(started <= cut).fillna(False).to_numpy()].copy()
        if end is not None and end in kept:
            ends = pd.to_datetime(kept[end], errors="coerce")
            kept[end] = kept[end].where(~(ends > cut).fillna(False))
        out[name] = kept
    if "attendance" in tables and "events" in out:
        attendance = tables["attendance"]
        out["attendance"] = attendance[attendance["event_id"].isin(out["events"]["event_id"])].copy()
    return out

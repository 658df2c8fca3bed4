"""The actors a wave's form lists, with what is known of respondents and non-respondents alike.

The roster of a territory at a date is the rule of the network chapter
(:func:`evaluation.measures.network.analysis.analyse_network`): the actors located in its
communes and those who attended an event held there, up to that date. What is known of every
actor of the roster — its kind, whether it is located in the territory, whether it attended
the territory's events in a period — is what respondents and non-respondents can be compared on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from evaluation.io.datasets import _read_table
from evaluation.io.readers import _find_files, _folder_read_options, _read_options
from evaluation.problems import Problems

__all__ = ["roster_frame", "declared_pairs", "actor_names"]


def _territory_attendance(events: pd.DataFrame, attendance: pd.DataFrame, communes: Collection[str]) -> pd.DataFrame:
    held = events[events["commune_code"].astype(str).isin(set(map(str, communes)))]
    return attendance.merge(held[["event_id", "date"]], on="event_id", how="inner")


def roster_frame(actors: pd.DataFrame, events: pd.DataFrame, attendance: pd.DataFrame, *,
                 communes: Collection[str], until: dt.date, since: dt.date | None = None) -> pd.DataFrame:
    """The territory's actors at ``until`` and what is known of each.

    Parameters
    ----------
    actors, events, attendance
        The loaded tables (``actor_id``, ``kind``, ``commune_code``; ``event_id``, ``date``,
        ``commune_code``; ``event_id``, ``actor_id``).
    communes
        The territory's INSEE codes.
    until
        The wave's date: the roster holds the actors located in the communes and those who
        attended an event held there on or before it.
    since
        Start of the period whose attendance is recorded in ``attended`` (default: the whole past).

    Returns
    -------
    DataFrame
        Indexed by ``actor_id`` (sorted): ``kind``, ``commune_code``, ``inside`` (located in the
        territory), ``attended`` (at least one event of the territory in ``(since, until]``).
    """
    communes = set(map(str, communes))
    end = pd.Timestamp(until)
    att = _territory_attendance(events, attendance, communes)
    att = att[att["date"] <= end]
    came = set(att["actor_id"].astype(str))
    inside = actors["commune_code"].astype(str).isin(communes)
    listed = actors[inside | actors["actor_id"].astype(str).isin(came)]
    recent = att if since is None else att[att["date"] > pd.Timestamp(since)]
    ids = listed["actor_id"].astype(str)
    out = pd.DataFrame({"kind": listed["kind"].astype(object).to_numpy(),
                        "commune_code": listed["commune_code"].astype(str).to_numpy(),
                        "inside": listed["commune_code"].astype(str).isin(communes).to_numpy(),
                        "attended": ids.isin(set(recent["actor_id"].astype(str))).to_numpy()},
                       index=pd.Index(ids.to_numpy(), name="actor_id"))
    return out.sort_index()


def declared_pairs(collaborations: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The declared collaborations active in ``[start, end]`` (begun by ``end``, not ended before
    ``start``), as unordered pairs ``actor_a`` < ``actor_b``, one row per pair.
    """
    c = collaborations
    began = c["start_date"] <= pd.Timestamp(end)
    ended = c["end_date"] < pd.Timestamp(start) if "end_date" in c else pd.Series(False, index=c.index)
    active = c[began & ~ended.fillna(False).astype(bool)]
    a, b = active["actor_a"].astype(str), active["actor_b"].astype(str)
    pairs = pd.DataFrame({"actor_a": a.where(a < b, b).to_numpy(), "actor_b": b.where(a < b, a).to_numpy()})
    return pairs.drop_duplicates().reset_index(drop=True)


def actor_names(data_dir: Path | str) -> pd.Series:
    """The actors' names as written in the data folder's actors file (``actor_id`` → name), for the
    form's list only: read again from the raw file, kept in memory, never written but in the form.
    An actor without a name is listed by its id.
    """
    data_dir = Path(data_dir)
    files = _find_files(data_dir, Problems())
    if "actors" not in files:
        return pd.Series([], dtype="string", name="name")
    raw = _read_table(files["actors"], "actors", _read_options(_folder_read_options(data_dir, Problems()), "actors"),
                      Problems())
    if raw is None or "actor_id" not in raw:
        return pd.Series([], dtype="string", name="name")
    ids = raw["actor_id"].astype(str).str.strip()
    names = raw["name"].astype(str).str.strip() if "name" in raw else ids
    return pd.Series(names.where(names != "", ids).to_numpy(), index=pd.Index(ids.to_numpy(), name="actor_id"),
                     name="name", dtype="string")

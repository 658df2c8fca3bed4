"""One survival history per accompanied structure, from its accompaniments and its follow-ups.

**Origin.** A structure enters at its first accompaniment: the start of that accompaniment,
or for the creation programme the structure's creation, since it does not exist before
(``creation_date`` of the accompaniment; without it, the end of the creation support, when the
creation is usually registered — the history says which, ``origin_basis``; a creation
accompaniment neither dated nor ended has not created anything yet and is left out).

**Closure or censoring.** Follow-ups dated from the origin to the report's date are read.
The first follow-up that finds the structure ``closed`` is its closure (write the closure
date, e.g. SIRENE's, as the follow-up's date where it is known). Otherwise the structure is
*censored* at its last follow-up that found it ``active``, or at the date it was found
``merged`` (absorbed or taken over: no longer observable as itself, and not a closure).
A follow-up of ``unknown`` status tells nothing about survival: it is censoring, like no
follow-up at all, and the share of structures whose latest follow-up is unknown is stated
beside the curves. A structure never found active, closed or merged after its origin has no
history (``followed`` false) and takes no part in the curves.

Pure functions over the validated tables; durations in years of 365.25 days.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["YEAR_DAYS", "ORIGIN_BASES", "structure_histories", "declared_jobs"]

YEAR_DAYS = 365.25

#: How a structure's origin was dated — ``start`` (start of its first accompaniment), ``creation_date``
#: (creation programme, date given), ``end_date`` (creation programme, end of the support used for
#: the creation), ``not_created`` (creation programme, neither: left out).
ORIGIN_BASES = ("start", "creation_date", "end_date", "not_created")

_GROUP_COLUMNS = ("programme", "urban_rural", "qpv", "commune_code")


def declared_jobs(accompaniments: pd.DataFrame) -> pd.DataFrame:
    """Jobs declared at the accompaniment, once per structure: ``jobs_declared`` is the largest
    ``jobs_created + jobs_maintained`` over the structure's accompaniments (summing them would
    count the jobs maintained at each accompaniment again), NaN when none is given.
    """
    jobs = (pd.to_numeric(accompaniments.get("jobs_created"), errors="coerce").astype(float)
            .add(pd.to_numeric(accompaniments.get("jobs_maintained"), errors="coerce").astype(float), fill_value=0))
    return jobs.groupby(accompaniments["structure_id"].to_numpy()).max().rename("jobs_declared").to_frame()


def structure_histories(accompaniments: pd.DataFrame, followups: pd.DataFrame, *,
                        as_of: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """The survival history of every structure of ``accompaniments`` (one row per ``structure_id``).

    Parameters
    ----------
    accompaniments
        Validated accompaniments (optionally classified: ``urban_rural``, ``qpv`` are carried over).
    followups
        Validated follow-ups (``structure_id``, ``date``, ``status``; other structures' rows ignored).
    as_of
        The report's date: later follow-ups are not read (default: all).

    Returns
    -------
    DataFrame
        Indexed by ``structure_id``: ``programme``, ``urban_rural``, ``qpv``, ``commune_code``
        of the first accompaniment; ``start`` (its start), ``origin`` and ``origin_basis``
        (:data:`ORIGIN_BASES`); ``followups`` (rows read), ``last_status`` (of the latest
        follow-up, any status); ``followed`` (a known status after the origin), ``closed``
        (the event), ``end`` (closure or censoring date), ``duration`` (years from the origin to
        ``end``; NaN when not followed); ``jobs_declared`` (:func:`declared_jobs`).
    """
    acc = accompaniments.sort_values(["start_date", "accompaniment_id"], kind="stable")
    first = acc.drop_duplicates("structure_id").set_index("structure_id")
    out = first[[c for c in _GROUP_COLUMNS if c in first]].copy()
    out["start"] = first["start_date"]
    creation = (first["programme"] == "creation").to_numpy()
    created = first["creation_date"] if "creation_date" in first else pd.Series(pd.NaT, index=first.index)
    ended = first["end_date"] if "end_date" in first else pd.Series(pd.NaT, index=first.index)
    out["origin"] = np.where(creation, created.fillna(ended), first["start_date"]).astype("datetime64[ns]")
    out["origin_basis"] = np.select([~creation, created.notna().to_numpy(), ended.notna().to_numpy()],
                                    ["start", "creation_date", "end_date"], "not_created")
    f = followups[followups["structure_id"].isin(out.index)]
    if as_of is not None:
        f = f[f["date"] <= pd.Timestamp(as_of)]
    f = f.sort_values(["structure_id", "date"], kind="stable")
    out["followups"] = f.groupby("structure_id").size().reindex(out.index, fill_value=0)
    out["last_status"] = f.groupby("structure_id")["status"].last().reindex(out.index)
    origin_of = out["origin"].reindex(f["structure_id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    after = f[f["date"].to_numpy(dtype="datetime64[ns]") >= origin_of]
    by = after.groupby("structure_id")

    def first_date(status: str, how: str) -> pd.Series:
        dates = after.loc[after["status"] == status].groupby("structure_id")["date"]
        return getattr(dates, how)().reindex(out.index)

    closed, merged, active = first_date("closed", "min"), first_date("merged", "min"), first_date("active", "max")
    event = closed.notna() & ~(merged < closed)
    censor = merged.where(merged.notna(), active)
    out["closed"] = event.to_numpy()
    out["end"] = closed.where(event, censor)
    out["followed"] = out["end"].notna() & out["origin"].notna() & (by.size().reindex(out.index, fill_value=0) > 0)
    out["end"] = out["end"].where(out["followed"])
    out["duration"] = ((out["end"] - out["origin"]).dt.days / YEAR_DAYS).clip(lower=0).where(out["followed"])
    out = out.join(declared_jobs(accompaniments))
    return out

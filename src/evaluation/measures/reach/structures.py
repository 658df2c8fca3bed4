"""Distinct structures beside accompaniments: who was reached, once each, and their declared jobs.

An accompaniment is one row of the exports; a structure (``structure_id``) accompanied three
times is three rows. The reach tables count rows (accompaniments delivered); this module counts
structures (structures reached), each once:

* a structure's place (commune, QPV status, QPV code) and programme are those of its **latest
  accompaniment** (latest ``start_date``, then the latest ``accompaniment_id``) in the rows
  given: a structure that moved is counted where it was last accompanied;
* its jobs are its **latest declaration**: the jobs created (and maintained) of its latest
  accompaniment that declares them (a non-empty cell). Summing over accompaniments counts a
  structure's jobs once per accompaniment: a structure declaring 3 jobs created at each of
  three accompaniments has 3 declared jobs, not 9. They are declarations of the structures,
  not verified, without durability nor full-time equivalence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["latest_per_structure", "declared_jobs", "DeclaredJobs", "structures_by"]


def _ordered(accompaniments: pd.DataFrame) -> pd.DataFrame:
    """The rows in the order that makes the last row of each structure its latest accompaniment."""
    return accompaniments.sort_values(["structure_id", "start_date", "accompaniment_id"], kind="stable",
                                      na_position="first")


def latest_per_structure(accompaniments: pd.DataFrame) -> pd.DataFrame:
    """One row per structure: its latest accompaniment, with ``accompaniments`` (its number of rows).

    Rows without ``structure_id`` are each their own structure (they cannot be matched).
    The index is the ``structure_id``.
    """
    acc = accompaniments.copy()
    missing = acc["structure_id"].isna()
    if missing.any():
        acc.loc[missing, "structure_id"] = "row:" + acc.loc[missing, "accompaniment_id"].astype(str)
    ordered = _ordered(acc)
    last = ordered.groupby("structure_id", sort=True, observed=True).tail(1).set_index("structure_id")
    last["accompaniments"] = ordered.groupby("structure_id", sort=True, observed=True).size()
    return last.sort_index()


@dataclass(frozen=True)
class DeclaredJobs:
    """Jobs as the structures declared them, once per structure (:func:`declared_jobs`)."""

    created: int  # sum over structures of their latest declaration of jobs created
    maintained: int
    structures_declaring: int  # structures with at least one declaration (created or maintained)
    structures: int
    summed_over_accompaniments: tuple[int, int]  # (created, maintained) as summed over rows, for the record


def declared_jobs(accompaniments: pd.DataFrame) -> DeclaredJobs:
    """Jobs created and maintained, the latest declaration of each structure (see the module docstring).

    .. math:: J = \\sum_{s} j_{s,\\,\\ell(s)}, \\qquad \\ell(s) = \\text{the latest accompaniment of } s
              \\text{ with a declaration}
    """
    if accompaniments.empty:
        return DeclaredJobs(0, 0, 0, 0, (0, 0))
    ordered = _ordered(accompaniments.assign(structure_id=accompaniments["structure_id"].fillna(
        "row:" + accompaniments["accompaniment_id"].astype(str))))
    out = {}
    for column in ("jobs_created", "jobs_maintained"):
        values = pd.to_numeric(ordered[column], errors="coerce")
        declared = ordered.loc[values.notna(), ["structure_id"]].assign(v=values[values.notna()])
        out[column] = declared.groupby("structure_id", sort=False)["v"].last()
    declaring = set(out["jobs_created"].index) | set(out["jobs_maintained"].index)
    summed = tuple(int(pd.to_numeric(accompaniments[c], errors="coerce").fillna(0).sum())
                   for c in ("jobs_created", "jobs_maintained"))
    return DeclaredJobs(int(out["jobs_created"].sum()), int(out["jobs_maintained"].sum()), len(declaring),
                        int(ordered["structure_id"].nunique()), summed)


def structures_by(latest: pd.DataFrame, column: str, *, categories: list) -> pd.DataFrame:
    """Distinct structures by the value of ``column`` of their latest accompaniment.

    Returns one row per category: ``count`` (structures), ``total`` (structures whose value is
    known), ``share``; structures whose value is missing are in no category and not in the total.
    """
    values = pd.Categorical(latest[column], categories=categories)
    counts = np.bincount(values.codes[values.codes >= 0], minlength=len(categories))
    total = int(counts.sum())
    return pd.DataFrame({column: categories, "count": counts.astype("int64"), "total": total,
                         "share": counts / total if total else np.nan})

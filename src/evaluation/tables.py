"""French formatting of numbers and report tables (the reports are read in French)."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["PROGRAMME_LABELS", "fr_label", "fr_number", "fr_percent", "fr_interval", "shares_table"]

NBSP = "\u202f"  # narrow no-break space, the French thousands separator

#: French labels of the programme codes used in the raw tables.
PROGRAMME_LABELS = {"creation": "Création", "development": "Développement", "dla": "DLA",
                    "tiers_lieu": "Tiers-lieu"}


def fr_label(value: object) -> str:
    """French label of a code (programme codes; others capitalised as they are)."""
    text = str(value)
    return PROGRAMME_LABELS.get(text, text[:1].upper() + text[1:])


def fr_number(value: float | int | None, *, digits: int = 0) -> str:
    """``1234.5`` → ``"1 234,5"`` (narrow no-break space, decimal comma); NaN → ``"–"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fr_percent(value: float | None, *, digits: int = 1) -> str:
    """``0.4523`` → ``"45,2 %"``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{fr_number(100 * value, digits=digits)}{NBSP}%"


def fr_interval(low: float, high: float, *, digits: int = 1) -> str:
    """A percentage interval: ``"[38,1 % ; 52,3 %]"``."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    return f"[{fr_percent(low, digits=digits)} ; {fr_percent(high, digits=digits)}]"


def shares_table(shares: pd.DataFrame, by: str, *, label: str, confidence: int = 95) -> pd.DataFrame:
    """Format the output of :func:`evaluation.reach.counts_and_shares` for a French report.

    Columns: ``label`` (the group), ``Effectif``, ``Part``, ``IC {confidence} %`` (Wilson).
    """
    return pd.DataFrame({
        label: [fr_label(v) for v in shares[by]],
        "Effectif": [fr_number(v) for v in shares["count"]],
        "Part": [fr_percent(v) for v in shares["share"]],
        f"IC {confidence}{NBSP}% (Wilson)": [fr_interval(lo, hi) for lo, hi in zip(shares["ci_low"], shares["ci_high"])],
    })

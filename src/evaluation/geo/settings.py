"""Settings of a territory in ``territories.yml`` that follow rules of their own: its QPV
entries, the programmes' target populations (denominators) and its milestones (editions).

Each parser records what is wrong with ``report.add(where, code, value=…, **params)`` (the
problems collector of :mod:`evaluation.geo.territories`) and returns what it could read.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Protocol

from evaluation.config import SLUG_PATTERN
from evaluation.geo.qpv import QPV_CODE_PATTERN

__all__ = ["PROGRAMMES", "Reporter", "number", "qpv_entry_ok", "parse_denominators", "parse_milestones"]


class Reporter(Protocol):
    """What the parsers need of :mod:`evaluation.geo.territories`' problems collector."""

    def add(self, where: tuple, code: str, *, value: Any = None, **params: Any) -> None:
        """Record the problem ``code`` of the setting at ``where``."""


#: The programmes a denominator may be declared for (those of :data:`evaluation.io.schema.PROGRAMMES`,
#: which this layer cannot import; a test keeps both equal).
PROGRAMMES = ("creation", "development", "dla", "tiers_lieu")
#: A QPV code of territories.yml (:data:`evaluation.geo.qpv.QPV_CODE_PATTERN`).
_QPV_CODE = re.compile(QPV_CODE_PATTERN)


def number(value: Any) -> float | None:
    """A YAML number as a float (``None`` for anything else, booleans included)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def qpv_entry_ok(q: Any) -> bool:
    """A QPV of a territory: ``{code: QN02104M}`` (and optionally its name), or ``{name, commune}``."""
    if not isinstance(q, dict):
        return False
    if "code" in q:
        return bool(_QPV_CODE.fullmatch(str(q["code"]).strip().upper()))
    return "name" in q


def parse_denominators(value: Any, where: tuple, report: Reporter, *,
                        defaults: dict[str, dict] | None = None) -> dict[str, dict]:
    """``denominators: {dla: {variable: etablissements_employeurs_ess, label: "…", per: 100}}``: the
    target population of each programme (a variable of denominators.csv), over ``defaults``.
    """
    out = dict(defaults or {})
    if value is None:
        return out
    ok = isinstance(value, dict)
    for programme, item in (value.items() if ok else []):
        good = (programme in PROGRAMMES and isinstance(item, dict) and set(item) <= {"variable", "label", "per"}
                and isinstance(item.get("variable"), str) and item["variable"].strip()
                and isinstance(item.get("label"), str) and item["label"].strip() and "<" not in item["label"]
                and number(item.get("per", 100)) is not None and float(item.get("per", 100)) > 0)
        if not good:
            ok = False
            continue
        out[programme] = {"variable": item["variable"].strip(), "label": item["label"].strip(),
                          "per": float(item.get("per", 100))}
    if not ok:
        report.add(where, "denominators_invalid", value=value, programmes=", ".join(PROGRAMMES))
    return out


def parse_milestones(value: Any, where: tuple, report: Reporter) -> dict[str, dt.date]:
    """``milestones: {convention: 2020-12-31, point-etape-1: 2022-12-31}``: edition name → date."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.add(where, "milestones_invalid", value=value)
        return {}
    out = {}
    for name, date in value.items():
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                date = None
        if not isinstance(name, str) or not SLUG_PATTERN.match(name) or not isinstance(date, dt.date):
            report.add(where + (name,), "milestones_invalid", value=f"{name}: {date}")
            continue
        out[name] = date
    return out

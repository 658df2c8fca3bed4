"""The objectives a territory declares in ``territories.yml``: read and checked (geo layer).

A territory may list the targets of its convention, one per indicator of the indicator table
(:mod:`evaluation.report.indicators`)::

    objectives:
      - indicator: part_qpv                       # a code of INDICATOR_KINDS
        label: "Part des accompagnements en QPV"   # optional (default: the indicator's label)
        baseline: {value: 0.55, date: 2019-12-31}  # where it stood, and when
        target: {value: 0.70, date: 2026-12-31}    # where it should be, and by when
        direction: increase                        # optional: increase or decrease (default: baseline → target)
        source: "convention ANRU, article 7"       # the document that sets the target
        illustrative: true                         # optional: a target made up to show the method

Values are in the indicator's unit: a share between 0 and 1 (or a percentage written
``"55 %"``), a count, a rate per 10,000 inhabitants, a ratio. Every mistake is recorded in
the problems table of ``territories.yml`` with its line (:mod:`evaluation.geo.territories`);
the status of each objective at a report's date is :func:`evaluation.measures.objectives.objective_status`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Protocol

from evaluation.geo.territory import Objective

__all__ = ["INDICATOR_KINDS", "OBJECTIVE_KEYS", "ProblemReport", "parse_objectives"]

#: Every code of the indicator table (:func:`evaluation.report.indicators.territory_indicators`)
#: with the kind of number it holds: what an objective's values are checked against.
#: ``tests/test_objectives.py`` checks that the indicator table writes exactly these codes.
INDICATOR_KINDS: dict[str, str] = {
    "acc_total": "count", "acc_creation_dev": "count", "acc_dla": "count", "part_rural": "share",
    "part_qpv": "share", "taux_10k": "rate", "communes_atteintes": "count", "emplois_crees": "count",
    "emplois_maintenus": "count", "acteurs_reseau": "count", "liens_avant": "count", "liens_apres": "count",
    "liens_nouveaux": "count", "effet_reseau": "ratio", "effet_reseau_evalue": "flag", "taux_conversion": "share",
    "rapport_conversion": "ratio", "temoignages": "count",
}

#: The settings of one objective.
OBJECTIVE_KEYS = ("indicator", "label", "baseline", "target", "direction", "source", "illustrative")
_REQUIRED = ("indicator", "baseline", "target", "source")
_DIRECTIONS = {"increase": "increase", "hausse": "increase", "decrease": "decrease", "baisse": "decrease"}

#: What a value of each kind must be, in English and in French, with an example.
_EXPECTED = {
    "share": ("a share between 0 and 1, or a percentage", "une part entre 0 et 1, ou un pourcentage", "0.55 or '55 %'"),
    "count": ("a count, zero or more", "un effectif, positif ou nul", "150"),
    "rate": ("a rate per 10,000 inhabitants, zero or more", "un taux pour 10 000 habitants, positif ou nul", "95.5"),
    "ratio": ("a ratio, above zero", "un rapport, supérieur à zéro", "1.5"),
    "flag": ("1 (yes) or 0 (no)", "1 (oui) ou 0 (non)", "1"),
}
_EXAMPLE = ("- {indicator: part_qpv, baseline: {value: 0.55, date: 2019-12-31}, "
            "target: {value: 0.7, date: 2026-12-31}, source: 'convention ANRU, article 7'}")


class ProblemReport(Protocol):
    """Where the territories file's problems are collected (its problems table)."""

    def add(self, where: tuple, code: str, *, value: Any = None, **params: Any) -> None:
        """Record problem ``code`` at ``where`` (file, line, column)."""


def _value(raw: Any, kind: str) -> float | None:
    """The number an objective's value holds in the indicator's unit, or ``None`` if invalid."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        percent = kind == "share" and text.endswith("%")
        try:
            number = float(text.rstrip("%").replace(",", "."))
        except ValueError:
            return None
        if text.endswith("%") and not percent:
            return None
        raw = number / 100 if percent else number
    if not isinstance(raw, int | float) or raw != raw or raw in (float("inf"), float("-inf")):
        return None
    value = float(raw)
    ok = {"share": 0 <= value <= 1, "count": value >= 0, "rate": value >= 0, "ratio": value > 0,
          "flag": value in (0, 1)}[kind]
    return value if ok else None


def _date(raw: Any) -> dt.date | None:
    """A date written ``2026-12-31`` (YAML's date) or ``31/12/2026``."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        try:
            return dt.date(int(match[3]), int(match[2]), int(match[1])) if match else dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _point(raw: Any, kind: str, where: tuple, report: ProblemReport, *, indicator: str) -> tuple[float | None, dt.date | None]:
    """The ``{value, date}`` of a baseline or a target."""
    if not isinstance(raw, dict) or not {"value", "date"} <= set(raw):
        report.add(where, "objective_setting_invalid", value=raw, key=where[-1], expected="{value: …, date: …}",
                   expected_fr="{value: …, date: …}", example="{value: 0.55, date: 2019-12-31}")
        return None, None
    unknown = sorted(set(map(str, raw)) - {"value", "date"})
    if unknown:
        report.add(where, "unknown_keys", value=", ".join(unknown), keys=unknown, allowed=["value", "date"])
    value = _value(raw["value"], kind)
    if value is None:
        en, fr, example = _EXPECTED[kind]
        report.add(where + ("value",), "objective_value_invalid", value=raw["value"], indicator=indicator,
                   expected=en, expected_fr=fr, example=example)
    date = _date(raw["date"])
    if date is None:
        report.add(where + ("date",), "objective_date_invalid", value=raw["date"])
    return value, date


def _text(spec: dict, key: str, where: tuple, report: ProblemReport) -> str | None:
    """An objective's text (``label``, ``source``), printed in the report as written: no markup."""
    raw = spec.get(key, "")
    if isinstance(raw, str | int | float) and not isinstance(raw, bool) and not re.search(r"[<>]", str(raw)):
        return str(raw).strip()
    report.add(where + (key,), "objective_setting_invalid", value=raw, key=key, expected="a text without < or >",
               expected_fr="un texte sans < ni >", example="convention ANRU, article 7")
    return None


def _objective(spec: Any, where: tuple, report: ProblemReport) -> Objective | None:
    """One objective, or ``None`` when it has a problem (recorded in ``report``)."""
    missing = [k for k in _REQUIRED if not isinstance(spec, dict) or spec.get(k) in (None, "")]
    if missing:
        report.add(where, "objective_invalid", value=spec if not isinstance(spec, dict) else None,
                   missing=missing, example=_EXAMPLE)
        return None
    unknown = sorted(set(map(str, spec)) - set(OBJECTIVE_KEYS))
    if unknown:
        report.add(where, "unknown_keys", value=", ".join(unknown), keys=unknown, allowed=list(OBJECTIVE_KEYS))
    indicator = str(spec["indicator"]).strip()
    kind = INDICATOR_KINDS.get(indicator)
    if kind is None:
        report.add(where + ("indicator",), "objective_indicator_unknown", value=spec["indicator"],
                   codes=list(INDICATOR_KINDS))
        return None
    baseline, baseline_date = _point(spec["baseline"], kind, where + ("baseline",), report, indicator=indicator)
    target, target_date = _point(spec["target"], kind, where + ("target",), report, indicator=indicator)
    label, source = _text(spec, "label", where, report), _text(spec, "source", where, report)
    illustrative = spec.get("illustrative", False)
    if not isinstance(illustrative, bool):
        report.add(where + ("illustrative",), "objective_setting_invalid", value=illustrative, key="illustrative",
                   expected="true or false", expected_fr="true ou false", example="true")
    declared = spec.get("direction")
    direction = _DIRECTIONS.get(str(declared).strip().lower()) if declared is not None else None
    if declared is not None and direction is None:
        report.add(where + ("direction",), "objective_setting_invalid", value=declared, key="direction",
                   expected="increase or decrease", expected_fr="increase (hausse) ou decrease (baisse)",
                   example="increase")
    if None in (baseline, baseline_date, target, target_date, label, source) or (declared and not direction) \
            or not isinstance(illustrative, bool):
        return None
    if target_date <= baseline_date:
        report.add(where + ("target", "date"), "objective_dates_order", value=target_date.isoformat(),
                   target=target_date.isoformat(), baseline=baseline_date.isoformat())
        return None
    implied = "increase" if target > baseline else "decrease" if target < baseline else None
    if direction is None and implied is None:
        report.add(where, "objective_direction_needed", value=f"{baseline:g} → {target:g}")
        return None
    if direction is not None and implied is not None and direction != implied:
        report.add(where + ("direction",), "objective_direction_conflict", value=declared,
                   baseline=f"{baseline:g}", target=f"{target:g}")
        return None
    return Objective(indicator, baseline, baseline_date, target, target_date, direction or implied, source,
                     label=label, illustrative=illustrative, direction_declared=direction is not None)


def parse_objectives(value: Any, where: tuple, report: ProblemReport) -> tuple[Objective, ...]:
    """The ``objectives`` list of one territory; each problem goes to ``report`` (its ``add``
    locates it by ``where``, the YAML path of the setting), and the objective is left out.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        report.add(where, "list_expected", value=value, key="objectives")
        return ()
    found = [_objective(spec, where + (i + 1,), report) for i, spec in enumerate(value)]
    out, seen = [], set()
    for i, objective in enumerate(found):
        if objective is None:
            continue
        key = (objective.indicator, objective.target_date)
        if key in seen:
            report.add(where + (i + 1,), "objective_duplicated", value=f"{key[0]}, {key[1].isoformat()}")
            continue
        seen.add(key)
        out.append(objective)
    return tuple(out)

"""The partner survey's questionnaire as an XLSForm, the open format of KoboToolbox, ODK and SurveyCTO.

One form per territory and wave: the territory's actors listed by the names the respondents
know (the roster), « autre » for a structure not listed, and for each actor the respondent
knows — one iteration of a repeat group over the actors selected (ODK's ``selected-at``
idiom) — the intensity of the tie and the six PARTNER items (:mod:`evaluation.io.survey.questions`).
The territory, the wave and its date are calculated fields of the form: every export carries
them.

**The form holds the names of the actors: it is personal data.** :func:`write_form` refuses to
write it inside the project's ``reports/`` folder or the cache (``data/processed``); it is never
read by a report.

The form is checked by :func:`check_form` with pyxform (the reference XLSForm converter of the
ODK project), which needs no Java; with ``odk_validate=True`` pyxform also runs ODK Validate,
which needs Java (``java`` on the path).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from evaluation._io import atomic_write
from evaluation.config import get_paths
from evaluation.errors import ConfigError
from evaluation.io.survey.questions import (
    CHOICES,
    ITEMS,
    LABELS,
    LIMESURVEY,
    OTHER_ACTOR,
    OTHER_COMMUNE,
    PARTNER_FIELDS,
    limesurvey_code,
)

__all__ = ["FR", "EN", "WAVE_PATTERN", "form_sheets", "write_form", "check_form", "limesurvey_guide",
           "write_limesurvey_guide"]

FR, EN = "Français (fr)", "English (en)"
#: The pattern of a wave's name (lowercase letters, digits and hyphens, like ``vague-1`` or ``2024``).
WAVE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_CHOICE_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
_ITEM_FIELDS = {c: n for n, c in PARTNER_FIELDS.items() if c in ITEMS}


def _row(kind: str, name: str = "", *, label: tuple[str, str] | None = None, **extra: str) -> dict[str, str]:
    fr, en = label or LABELS.get(name, ("", ""))
    return {"type": kind, "name": name, f"label::{FR}": fr, f"label::{EN}": en, **extra}


def _partner_rows(prefix: str) -> list[dict[str, str]]:
    """The intensity and the six items of one partner (``prefix`` ``autre_`` for partners not listed)."""
    rows = [_row("select_one intensite", f"{prefix}intensite", required="yes")]
    rows += [_row("select_one echelle", f"{prefix}{_ITEM_FIELDS[item]}", required="yes") for item in ITEMS]
    return rows


def form_sheets(roster: pd.DataFrame, *, territory: str, label: str, wave: str, date: dt.date,
                communes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The XLSForm's sheets ``survey``, ``choices`` and ``settings`` for one territory and wave.

    Parameters
    ----------
    roster
        The territory's actors: ``actor_id`` (the choice codes, letters, digits, ``_ . : -``),
        ``name`` as the respondents know it.
    territory, label
        The territory's slug (written in every answer) and its French name (the form's title).
    wave, date
        The wave's name (:data:`WAVE_PATTERN`) and date, written in every answer.
    communes
        The communes offered for the respondent's own (``commune_code``, ``commune_name``).

    Raises
    ------
    ConfigError
        An actor id that cannot be a choice code, a wave name that is not a slug, an empty roster.
    """
    if not WAVE_PATTERN.match(wave):
        raise ConfigError(code="survey_wave_invalid", wave=wave)
    ids = roster["actor_id"].astype(str)
    bad = sorted(i for i in ids if not _CHOICE_NAME.match(i) or i == "autre")
    if bad or roster.empty:
        raise ConfigError(code="survey_roster_invalid", ids=bad[:10], territory=territory)
    names = roster["name"].fillna(roster["actor_id"]).astype(str).str.strip().tolist()
    day = date.isoformat()
    intro = (f"Enquête auprès des partenaires — {label} — {wave} ({date:%d/%m/%Y}). Vos réponses décrivent les "
             "relations entre structures du territoire ; elles sont pseudonymisées dès leur lecture et aucun nom "
             "de structure ou de personne n'apparaît dans les rapports.",
             f"Partner survey — {label} — {wave} ({date:%d/%m/%Y}). Your answers describe the relationships "
             "between the territory's organisations; they are pseudonymised as soon as they are read and no name "
             "of an organisation or a person appears in the reports.")
    survey = [
        _row("calculate", "territoire", calculation=f"'{territory}'"),
        _row("calculate", "vague", calculation=f"'{wave}'"),
        _row("calculate", "date_vague", calculation=f"'{day}'"),
        _row("note", "presentation", label=intro),
        _row("select_one acteurs", "repondant", required="yes"),
        _row("text", "repondant_autre", required="yes", relevant="${repondant} = 'autre'"),
        _row("select_one types", "type_structure", required="yes"),
        _row("select_one communes", "commune"),
        _row("text", "commune_autre", relevant="${commune} = 'autre'"),
        _row("select_one oui_non", "participation", required="yes"),
        _row("select_multiple liste", "connus", choice_filter="name != ${repondant}"),
        _row("begin_repeat", "partenaires", label=("Vos relations avec chaque structure que vous connaissez",
                                                   "Your relationship with each organisation you know"),
             repeat_count="count-selected(${connus})"),
        _row("calculate", "partenaire", calculation="selected-at(${connus}, position(..) - 1)"),
        _row("calculate", "partenaire_nom", calculation="jr:choice-name(${partenaire}, '${connus}')"),
        *_partner_rows(""),
        _row("end_repeat", ""),
        _row("select_one oui_non", "autres_partenaires", required="yes"),
        _row("begin_repeat", "autres", label=("Une structure qui n'est pas dans la liste",
                                              "An organisation not in the list"),
             relevant="${autres_partenaires} = 'oui'"),
        _row("text", "autre_nom", required="yes"),
        _row("select_one types", "autre_type"),
        *_partner_rows("autre_"),
        _row("end_repeat", ""),
    ]
    choices = [{"list_name": "acteurs", "name": i, f"label::{FR}": n, f"label::{EN}": n}
               for i, n in zip(ids, names, strict=True)]
    choices.append({"list_name": "acteurs", "name": "autre", f"label::{FR}": OTHER_ACTOR[0],
                    f"label::{EN}": OTHER_ACTOR[1]})
    choices += [{**c, "list_name": "liste"} for c in choices[:-1]]
    choices += [{"list_name": "communes", "name": str(r.commune_code), f"label::{FR}": str(r.commune_name),
                 f"label::{EN}": str(r.commune_name)} for r in communes.itertuples()]
    choices.append({"list_name": "communes", "name": "autre", f"label::{FR}": OTHER_COMMUNE[0],
                    f"label::{EN}": OTHER_COMMUNE[1]})
    choices += [{"list_name": list_name, "name": c.name, f"label::{FR}": c.fr, f"label::{EN}": c.en}
                for list_name, options in CHOICES.items() for c in options]
    settings = pd.DataFrame([{"form_title": f"Enquête partenaires — {label} — {wave}",
                              "form_id": re.sub(r"[^a-z0-9_]", "_", f"enquete_{territory}_{wave}"),
                              "version": day.replace("-", ""), "default_language": FR}])
    return {"survey": pd.DataFrame(survey).fillna(""), "choices": pd.DataFrame(choices).fillna(""),
            "settings": settings}


def _refused_place(path: Path) -> str | None:
    """The project folder a form must not be written to (reports, the cache), if ``path`` is in one."""
    try:
        paths = get_paths()
    except ConfigError:  # an installed package without a project: nothing to protect
        return None
    target = path.resolve()
    for folder in (paths.reports, paths.processed):
        if target.is_relative_to(folder.resolve()):
            return str(folder)
    return None


def write_form(sheets: dict[str, pd.DataFrame], path: Path | str, *, overwrite: bool = False) -> Path:
    """Write the XLSForm (atomically), never inside ``reports/`` or ``data/processed/``.

    Raises
    ------
    ConfigError
        The path is in a refused folder, is not an ``.xlsx`` file, or exists (without ``overwrite``).
    """
    path = Path(path)
    refused = _refused_place(path)
    if refused:
        raise ConfigError(code="survey_form_place", path=str(path), folder=refused)
    if path.suffix.lower() != ".xlsx":
        raise ConfigError(code="survey_form_suffix", path=str(path))
    if path.exists() and not overwrite:
        raise ConfigError(code="survey_form_exists", path=str(path))

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)

    return atomic_write(path, write)


def check_form(path: Path | str, *, odk_validate: bool = False) -> list[str]:
    """Convert the XLSForm with pyxform, as KoboToolbox and ODK Central do on upload.

    Returns pyxform's warnings; raises pyxform's error if the form does not convert. With
    ``odk_validate``, the XForm is also checked by ODK Validate (shipped with pyxform; needs Java).
    """
    from pyxform.xls2xform import convert  # pyxform only when a form is checked

    warnings: list[str] = []
    convert(xlsform=str(path), validate=odk_validate, warnings=warnings)
    return warnings


def limesurvey_guide(roster: pd.DataFrame) -> str:
    """The codes a LimeSurvey version of the questionnaire must use, and its sub-questions to paste.

    LimeSurvey does not read XLSForms: the survey is built by hand with these question codes
    (arrays whose sub-questions are the actors, coded by
    :func:`~evaluation.io.survey.questions.limesurvey_code`), so that its CSV export (« code de la
    question » headings) reads as the form's. The sub-question lines ``code;name`` are for
    LimeSurvey's « ajout rapide ». Holds the actors' names: personal data, like the form.
    """
    def answers(list_name: str) -> str:
        return ", ".join(f"{c.ls} = {c.fr}" for c in CHOICES[list_name])

    kinds = {"REPONDANT": "liste (avec « Autre »), réponses = sous-questions ci-dessous",
             "TYPE": f"liste : {answers('types')}", "COMMUNE": "liste (avec « Autre ») des codes INSEE",
             "PARTICIPATION": "oui/non", "CONNUS": "choix multiples, sous-questions ci-dessous",
             "AUTRENOM": "textes courts multiples SQ001 à SQ003", "AUTRETYPE": "tableau SQ001 à SQ003 : types",
             "TERRITOIRE": "équation (slug du territoire)", "VAGUE": "équation (nom de la vague)",
             "DATEVAGUE": "équation (date de la vague, AAAA-MM-JJ)"}
    lines = ["# Questionnaire LimeSurvey : codes des questions", ""]
    for code, name in LIMESURVEY.items():
        kind = kinds.get(code) or (f"tableau SQ001 à SQ003 : {answers('intensite' if 'INT' in code else 'echelle')}"
                                   if code.startswith("AUTRE") else
                                   f"tableau, sous-questions ci-dessous : {answers('intensite')}" if code == "INTENSITE"
                                   else f"tableau, sous-questions ci-dessous : {answers('echelle')}")
        lines.append(f"{code}\t{kind}\t{LABELS.get(name, ('', ''))[0]}")
    lines += ["", "# Sous-questions (ajout rapide : une ligne code;nom)", ""]
    lines += [f"{limesurvey_code(i)};{n}" for i, n in zip(roster["actor_id"].astype(str),
                                                           roster["name"].astype(str), strict=True)]
    return "\n".join(lines) + "\n"


def write_limesurvey_guide(roster: pd.DataFrame, path: Path | str) -> Path:
    """Write :func:`limesurvey_guide` (atomically; refused where the form is: it lists names too)."""
    path = Path(path)
    refused = _refused_place(path)
    if refused:
        raise ConfigError(code="survey_form_place", path=str(path), folder=refused)
    text = limesurvey_guide(roster)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))

"""The survey's answers read from every export of a folder, checked and pseudonymised.

:func:`read_survey` gives two tables, whatever the tool and whether the export holds codes or
labels, in French or English:

* ``respondents``: one row per questionnaire — ``response``, ``territory``, ``wave``,
  ``wave_date``, ``respondent``, ``listed`` (the respondent is in the actors table), ``kind``,
  ``commune_code``, ``attended`` (as the respondent says), ``layout``, ``file``, ``row``;
* ``ties``: one row per partner rated — ``response``, ``territory``, ``wave``, ``respondent``,
  ``partner``, ``listed`` (in the actors table), ``from_list`` (chosen in the form's list, not
  written in as « autre »), ``partner_kind``, ``intensity`` (ordered, awareness <
  cooperation < coordination < integration), the six items ``reliability`` … ``resources``
  (1 to 4), ``file``, ``row``.

A structure is its ``actor_id`` when it is in the actors table (found by its code, its
LimeSurvey code, or its name — which, like any name written in the answers, is
pseudonymised at once with the key of the actors table and compared with the actors' own
pseudonyms); else the keyed pseudonym of its name (``P-…``). No name is kept, and problems
never quote a name. Every problem of every file is raised at once
(:class:`~evaluation.errors.ValidationError`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import sha256_file
from evaluation._text import normalise_names
from evaluation.errors import ConfigError, ValidationError
from evaluation.io.parsing import _parse_date
from evaluation.io.pseudonyms import PseudonymKey, pseudonymise
from evaluation.io.schema import FALSE_WORDS, INTENSITY_LEVELS, TRUE_WORDS
from evaluation.io.survey.layouts import Export, read_exports
from evaluation.io.survey.questions import (
    CHOICES,
    ITEMS,
    OTHER_FIELDS,
    OTHER_WORDS,
    PARTNER_FIELDS,
    choice_codes,
    limesurvey_code,
)
from evaluation.problems import Problems, render_problems

__all__ = ["SurveyAnswers", "read_survey", "survey_files", "RESPONDENT_COLUMNS", "TIE_COLUMNS", "EXPORT_SUFFIXES"]

RESPONDENT_COLUMNS = ["response", "territory", "wave", "wave_date", "respondent", "listed", "kind", "commune_code",
                      "attended", "layout", "file", "row"]
TIE_COLUMNS = ["response", "territory", "wave", "respondent", "partner", "listed", "from_list", "partner_kind",
               "intensity", *ITEMS, "file", "row"]
#: The files of a survey folder that are read (the others — ``README.md``… — are left alone).
EXPORT_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".zip")
_NAMED = {"repondant", "repondant_autre", "partenaire", "autre_nom"}  # fields that may hold names: never quoted


@dataclass
class SurveyAnswers:
    """The answers of a survey folder (see the module docstring), the files read with their SHA-256,
    and what was left out or repaired (``notices``, a rendered problems table).
    """

    respondents: pd.DataFrame
    ties: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)
    notices: pd.DataFrame = field(default_factory=lambda: render_problems(Problems().frame()))

    @property
    def waves(self) -> pd.DataFrame:
        """The territories and waves, one row each with its date and number of questionnaires, by date."""
        r = self.respondents
        return (r.groupby(["territory", "wave"], observed=True).agg(wave_date=("wave_date", "min"),
                                                                    responses=("response", "size"))
                .reset_index().sort_values(["territory", "wave_date", "wave"], ignore_index=True))


class _Reader:
    """Reads the values of one export, recording problems (rows and columns as in the file)."""

    def __init__(self, export: Export, actors: pd.DataFrame, key: PseudonymKey, problems: Problems,
                 notices: Problems, communes: Mapping[str, str]) -> None:
        self.e, self.key, self.problems, self.notices = export, key, problems, notices
        ids = actors["actor_id"].astype(str)
        self.ids = set(ids)
        self.by_code = {limesurvey_code(i): i for i in ids} | {i: i for i in ids}
        names = actors["name"].astype("string")
        self.by_pseudonym = dict(zip(names[names.notna()], ids[names.notna()], strict=True))
        self.communes = communes

    def flag(self, part: str, mask: pd.Series, code: str, name: str, values: pd.Series, **params: object) -> None:
        if mask.any():
            self.problems.add(self.e.where.get(part, self.e.file), code, rows=values.index[mask],
                              column=self.e.headers.get(part, {}).get(name, name),
                              values=None if name in _NAMED else values[mask], **params)

    def cells(self, frame: pd.DataFrame, name: str) -> pd.Series:
        return frame[name].fillna("").astype(str).str.strip() if name in frame else pd.Series("", index=frame.index)

    def choice(self, part: str, frame: pd.DataFrame, name: str, list_name: str) -> pd.Series:
        text = self.cells(frame, name)
        codes = normalise_names(text).map(choice_codes(list_name))
        bad = (text != "") & codes.isna()
        self.flag(part, bad, "choice_unknown", name, text, choices=[c.name for c in CHOICES[list_name]],
                  names=[c.fr for c in CHOICES[list_name]])
        return codes.astype(object).where(codes.notna(), None)

    def structure(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Codes or names → (``actor_id`` or pseudonym, in the actors table); names pseudonymised here."""
        coded = text.map(self.by_code)
        hashed = pseudonymise(text.where(coded.isna() & (text != "")), self.key)
        matched = hashed.map(self.by_pseudonym)
        out = coded.fillna(matched).fillna(hashed).astype(object)
        return out.where(text != "", None), (coded.notna() | matched.notna())

    def respondents(self) -> pd.DataFrame:
        m, part = self.e.main, "main"
        missing = [f for f in ("territoire", "vague", "date_vague", "repondant") if f not in m]
        for f in missing:
            self.problems.add(self.e.where["main"], "column_missing", column=f, aliases_en="", aliases_fr="",
                              found=", ".join(c for c in m.columns if not c.startswith("_")) or "-")
        if missing:
            return pd.DataFrame(columns=RESPONDENT_COLUMNS)
        wave, territory = self.cells(m, "vague"), self.cells(m, "territoire")
        date_text = self.cells(m, "date_vague")
        date = _parse_date(date_text)
        for name, text in (("vague", wave), ("territoire", territory), ("date_vague", date_text)):
            self.flag(part, text == "", "value_empty", name, text)
        self.flag(part, (date_text != "") & date.isna(), "date_invalid", "date_vague", date_text)
        chosen = self.cells(m, "repondant")
        other = normalise_names(chosen).isin(OTHER_WORDS)
        written = self.cells(m, "repondant_autre")
        who, listed = self.structure(chosen.mask(other, written))
        self.flag(part, (chosen == "") | (other & (written == "")), "value_empty", "repondant", chosen)
        unlisted = ~other & (chosen != "") & ~listed
        if unlisted.any():
            self.notices.add(self.e.where["main"], "survey_unlisted", rows=m.index[unlisted],
                             column=self.e.headers["main"].get("repondant", "repondant"))
        attended_text = normalise_names(self.cells(m, "participation"))
        yes, no = attended_text.isin(TRUE_WORDS | {"oui"}), attended_text.isin(FALSE_WORDS | {"non"})
        self.flag(part, (attended_text != "") & ~yes & ~no, "bool_invalid", "participation",
                  self.cells(m, "participation"))
        return pd.DataFrame({
            "response": self.e.file + "#" + m["_key"].astype(str), "territory": territory, "wave": wave,
            "wave_date": date.astype("datetime64[ns]"), "respondent": who, "listed": listed.astype(bool),
            "kind": self.choice(part, m, "type_structure", "types"), "commune_code": self.commune(m),
            "attended": pd.array(np.where(yes, True, np.where(no, False, None)), dtype="boolean"),
            "layout": self.e.layout, "file": self.e.where["main"], "row": m.index.astype("int64")}, index=m.index)

    def commune(self, m: pd.DataFrame) -> pd.Series:
        text = self.cells(m, "commune")
        other = normalise_names(text).isin(OTHER_WORDS)
        text = text.mask(other, self.cells(m, "commune_autre"))
        by_name = normalise_names(text).map(self.communes).astype(object)
        code = text.astype(object).where(text.str.fullmatch(r"\d[0-9AB]\d{3}"), by_name)
        unread = (text != "") & code.isna()
        if unread.any():
            self.notices.add(self.e.where["main"], "survey_commune_unread", rows=m.index[unread],
                             column=self.e.headers["main"].get("commune", "commune"), values=text[unread])
        return code.astype("string")

    def ties(self, repeat: str, responses: pd.DataFrame) -> pd.DataFrame:
        fields = PARTNER_FIELDS if repeat == "partenaires" else OTHER_FIELDS
        r = self.e.repeats[repeat]
        by_key = responses.set_index(self.e.main.loc[responses.index, "_key"].astype(str))
        parent = r["_parent"].astype(str)
        orphan = ~parent.isin(by_key.index)
        if orphan.any():
            self.problems.add(self.e.where[repeat], "survey_orphan", rows=r.index[orphan])
        r, parent = r[~orphan], parent[~orphan]
        if repeat == "partenaires":
            text = self.cells(r, "partenaire")
            partner = text.map(self.by_code)
            self.flag(repeat, (text != "") & partner.isna(), "actor_unknown", "partenaire", text,
                      target="actors")
            self.flag(repeat, text == "", "value_empty", "partenaire", text)
            listed, kind = partner.notna(), pd.Series(None, index=r.index, dtype=object)
        else:
            text = self.cells(r, "autre_nom")
            partner, listed = self.structure(text)
            self.flag(repeat, text == "", "value_empty", "autre_nom", text)
            kind = self.choice(repeat, r, "autre_type", "types")
        names = {c: n for n, c in fields.items()}
        intensity = self.choice(repeat, r, names["intensity"], "intensite")
        items = {}
        for item in ITEMS:
            score = self.choice(repeat, r, names[item], "echelle")
            items[item] = pd.array(pd.to_numeric(score), dtype="Int64")
        owner = by_key.loc[parent.to_numpy()]
        out = pd.DataFrame({
            "response": owner["response"].to_numpy(), "territory": owner["territory"].to_numpy(),
            "wave": owner["wave"].to_numpy(), "respondent": owner["respondent"].to_numpy(), "partner": partner,
            "listed": listed.astype(bool), "from_list": repeat == "partenaires", "partner_kind": kind,
            "intensity": pd.Categorical(intensity, categories=INTENSITY_LEVELS, ordered=True), **items,
            "file": self.e.where[repeat], "row": r.index.astype("int64")}, index=r.index)
        name = "partenaire" if repeat == "partenaires" else "autre_nom"
        self.flag(repeat, (out["partner"] == out["respondent"]).fillna(False).astype(bool), "survey_self_tie",
                  name, text)
        twice = out.duplicated(["response", "partner"], keep=False) & out["partner"].notna()
        self.flag(repeat, twice, "survey_partner_twice", name, text)
        return out


def _check_waves(respondents: pd.DataFrame, problems: Problems, territories: Collection[str] | None,
                 territories_file: str) -> None:
    r = respondents
    if territories is not None:
        bad = (r["territory"] != "") & ~r["territory"].isin(list(territories))
        for file, rows in r[bad].groupby("file").groups.items():
            problems.add(file, "territory_unknown", rows=r.loc[rows, "row"], column="territoire",
                         values=r.loc[rows, "territory"], target=territories_file, slugs=", ".join(sorted(territories)))
    dated = r[r["wave_date"].notna()]
    dates = dated.groupby(["territory", "wave"])["wave_date"].nunique()
    for (territory, wave) in dates[dates > 1].index:
        rows = dated[(dated["territory"] == territory) & (dated["wave"] == wave)]
        shown = sorted(rows["wave_date"].dt.strftime("%d/%m/%Y").unique())
        for file, part in rows.groupby("file").groups.items():
            problems.add(file, "survey_wave_dates", rows=r.loc[part, "row"], column="date_vague", wave=wave,
                         dates=", ".join(shown))
    twice = r["respondent"].notna() & r.duplicated(["territory", "wave", "respondent"], keep=False)
    for (file, wave), part in r[twice].groupby(["file", "wave"]).groups.items():
        problems.add(file, "survey_respondent_twice", rows=r.loc[part, "row"], column="repondant", wave=wave)


def survey_files(folder: Path | str) -> list[Path]:
    """The exports of a survey folder (:data:`EXPORT_SUFFIXES`, not hidden), sorted; none if it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES
                  and not p.name.startswith((".", "~")))


def read_survey(folder: Path | str, *, actors: pd.DataFrame, key: PseudonymKey,
                territories: Collection[str] | None = None, territories_file: str = "territories.yml",
                communes: pd.DataFrame | None = None) -> SurveyAnswers:
    """Read, check and pseudonymise every export of a survey folder.

    Parameters
    ----------
    folder
        The folder of the exports (``<data>/enquete`` for a report).
    actors
        The actors table as loaded (``actor_id``, and ``name`` already pseudonymised with ``key``).
    key
        The pseudonymisation key of the actors table.
    territories
        The slugs a form's ``territoire`` may take (default: any).
    communes
        ``commune_code`` and ``commune_name`` of the reference, to read communes given by name.

    Raises
    ------
    ConfigError
        The folder does not exist.
    ValidationError
        Listing every problem of every export.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(code="survey_folder_missing", path=str(folder))
    problems, notices = Problems(), Problems()
    exports = read_exports(folder, problems)
    if not exports and not problems:
        problems.add(folder.name, "survey_folder_empty")
    lookup: dict[str, str] = {}
    if communes is not None:
        folded = normalise_names(communes["commune_name"].astype("string"))
        unique = ~folded.duplicated(keep=False)
        lookup = dict(zip(folded[unique], communes["commune_code"].astype(str)[unique], strict=True))
    respondents, ties = [], []
    for export in exports:
        if export.dropped:
            notices.add(export.file, "survey_incomplete", count=export.dropped)
        reader = _Reader(export, actors, key, problems, notices, lookup)
        main = reader.respondents()
        if main.empty and len(export.main):
            continue
        respondents.append(main)
        if "partenaires" not in export.repeats and export.layout in ("kobo_csv", "odk_central") and len(main):
            problems.add(export.file, "survey_repeats_missing")
        ties += [reader.ties(repeat, main) for repeat in export.repeats if len(export.repeats[repeat])]
    respondents_frame = (pd.concat(respondents, ignore_index=True) if respondents
                         else pd.DataFrame(columns=RESPONDENT_COLUMNS))
    _check_waves(respondents_frame, problems, territories, territories_file)
    if problems:
        raise ValidationError(problems.frame())
    ties_frame = pd.concat(ties, ignore_index=True) if ties else pd.DataFrame(columns=TIE_COLUMNS)
    files = {p.name: sha256_file(p) for p in survey_files(folder)}
    return SurveyAnswers(respondents_frame[RESPONDENT_COLUMNS], ties_frame[TIE_COLUMNS], files,
                         render_problems(notices.frame()))

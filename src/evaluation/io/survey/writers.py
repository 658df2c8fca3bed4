"""Answers written the way KoboToolbox and ODK Central export them (for the illustrative data).

:func:`write_kobo_xlsx` writes KoboToolbox's XLSX export (formpack's layout: a sheet per section,
``_index`` / ``_parent_table_name`` / ``_parent_index`` links, the ``_submission_…`` copies),
with labels in French or with the form's codes; :func:`write_odk_zip` writes ODK Central's zip
of CSV files (``SubmissionDate`` … ``KEY`` in ``<form>.csv``, ``PARENT_KEY`` and ``KEY`` in
``<form>-<repeat>.csv``). Names are written as the respondents would see them: these files are
personal data like any real export. Both are deterministic (fixed dates inside the files).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evaluation._io import atomic_write
from evaluation.io.survey.questions import CHOICES, ITEMS, LABELS, OTHER_ACTOR, OTHER_FIELDS, PARTNER_FIELDS

__all__ = ["write_kobo_xlsx", "write_odk_zip"]

_FIXED = dt.datetime(2024, 12, 31)
_ITEM_FIELD = {c: n for n, c in PARTNER_FIELDS.items() if c in ITEMS}


def _uuid(*parts: object) -> str:
    h = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _labels(list_name: str, codes: pd.Series, labels: bool) -> pd.Series:
    """Codes of a choice list as an export writes them: codes, or French labels."""
    text = codes.astype(object).where(codes.notna(), "").astype(str)
    if not labels:
        return text
    return text.map({c.name: c.fr for c in CHOICES[list_name]}).fillna(text)


def _head(name: str, labels: bool) -> str:
    return LABELS[name][0] if labels and name in LABELS else name


def _parts(respondents: pd.DataFrame, ties: pd.DataFrame, names: Mapping[str, str], *, labels: bool,
           communes: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Main, ``partenaires`` and ``autres`` tables (field names as columns, ``_parent`` the response's
    number from 1), in the order of the answers.
    """
    r = respondents.reset_index(drop=True)
    number = pd.Series(range(1, len(r) + 1), index=r["response"])
    who = r["respondent"].astype(str)
    written = who.map(names).fillna(who)
    listed = r["listed"].astype(bool)
    chosen = ties[ties["from_list"].astype(bool)]
    partner = chosen["partner"].astype(str)
    shown = partner.map(names).fillna(partner) if labels else partner
    known = shown.groupby(chosen["response"]).agg(" ".join)
    other = ties[~ties["from_list"].astype(bool)]
    code = r["commune_code"].astype(object).where(r["commune_code"].notna(), "").astype(str)
    main = pd.DataFrame({
        "territoire": r["territory"], "vague": r["wave"], "date_vague": r["wave_date"].dt.strftime("%Y-%m-%d"),
        "repondant": (written if labels else who).where(listed, OTHER_ACTOR[0] if labels
                                                        else "autre"),
        "repondant_autre": written.where(~listed, ""), "type_structure": _labels("types", r["kind"], labels),
        "commune": code.map(communes).fillna(code) if labels else code, "commune_autre": "",
        "participation": _labels("oui_non", r["attended"].astype(object).map({True: "oui", False: "non"}), labels),
        "connus": r["response"].map(known).fillna(""),
        "partenaires_count": r["response"].map(chosen.groupby("response").size()).fillna(0).astype(int).astype(str),
        "autres_partenaires": _labels("oui_non", r["response"].isin(other["response"]).map({True: "oui",
                                                                                              False: "non"}), labels),
        "_parent": number.to_numpy()})
    items = {_ITEM_FIELD[i]: i for i in ITEMS}
    listed_rows = pd.DataFrame({"partenaire": partner, "partenaire_nom": partner.map(names).fillna(partner),
                                "intensite": _labels("intensite", chosen["intensity"], labels),
                                **{f: _labels("echelle", chosen[i], labels) for f, i in items.items()},
                                "_parent": chosen["response"].map(number)})
    name = other["partner"].astype(str)
    other_rows = pd.DataFrame({"autre_nom": name.map(names).fillna(name),
                               "autre_type": _labels("types", other["partner_kind"], labels),
                               "autre_intensite": _labels("intensite", other["intensity"], labels),
                               **{f"autre_{f}": _labels("echelle", other[i], labels) for f, i in items.items()},
                               "_parent": other["response"].map(number)})
    return main, listed_rows.reset_index(drop=True), other_rows.reset_index(drop=True)


def write_kobo_xlsx(respondents: pd.DataFrame, ties: pd.DataFrame, path: Path | str, *, names: Mapping[str, str],
                    communes: Mapping[str, str], labels: bool = True, title: str = "Enquête partenaires") -> Path:
    """KoboToolbox's XLSX export of the answers (« labels » in French, or « XML values and headers »)."""
    main, listed, others = _parts(respondents, ties, names, labels=labels, communes=communes)
    sheet = title[:31]
    fields = ["territoire", "vague", "date_vague", "repondant", "repondant_autre", "type_structure", "commune",
              "commune_autre", "participation", "connus", "partenaires_count", "autres_partenaires"]
    submitted = respondents["wave_date"].dt.strftime("%Y-%m-%dT09:00:00").tolist()
    ids = pd.Series([f"{50000 + k}" for k in main["_parent"]], index=main["_parent"].to_numpy())
    uuids = pd.Series([_uuid(sheet, w, k) for w, k in zip(main["vague"], main["_parent"], strict=True)],
                      index=ids.index)
    times = pd.Series(submitted, index=ids.index)
    frame = main[fields].rename(columns=lambda f: _head(f, labels)).assign(
        _id=ids.to_numpy(), _uuid=uuids.to_numpy(), _submission_time=submitted, _validation_status="", _notes="",
        _status="submitted_via_web", _submitted_by="", __version__="v1", _tags="", _index=main["_parent"])
    sheets = {sheet: frame}
    for repeat, rows, part in (("partenaires", listed, PARTNER_FIELDS), ("autres", others, OTHER_FIELDS)):
        cols = [*part][:1] + (["partenaire_nom"] if repeat == "partenaires" else []) + [*part][1:]
        parent = rows["_parent"]
        sheets[repeat] = rows[cols].rename(columns=lambda c: _head(c, labels)).assign(
            _index=range(1, len(rows) + 1), _parent_table_name=sheet, _parent_index=parent,
            _submission__id=parent.map(ids), _submission__uuid=parent.map(uuids),
            _submission__submission_time=parent.map(times), _submission__validation_status="",
            _submission__notes="", _submission__status="submitted_via_web", _submission__submitted_by="",
            _submission___version__="v1", _submission__tags="")

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in sheets.items():
                table.to_excel(writer, sheet_name=name, index=False)
            writer.book.properties.created = writer.book.properties.modified = _FIXED

    return atomic_write(Path(path), write)


def _csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return out.getvalue().encode("utf-8")


def write_odk_zip(respondents: pd.DataFrame, ties: pd.DataFrame, path: Path | str, *, form_id: str,
                  names: Mapping[str, str]) -> Path:
    """ODK Central's « CSV (zip) » download of the answers: codes, ``-``-joined group paths."""
    main, listed, others = _parts(respondents, ties, names, labels=False, communes={})
    keys = pd.Series([f"uuid:{_uuid(form_id, w, k)}" for w, k in zip(main["vague"], main["_parent"], strict=True)],
                     index=main["_parent"].to_numpy())
    fields = ["territoire", "vague", "date_vague", "repondant", "repondant_autre", "type_structure", "commune",
              "commune_autre", "participation", "connus", "partenaires_count", "autres_partenaires"]
    files = {f"{form_id}.csv": pd.DataFrame({
        "SubmissionDate": respondents["wave_date"].dt.strftime("%Y-%m-%dT09:00:00.000Z").to_numpy(),
        **{f: main[f].to_numpy() for f in fields}, "meta-instanceID": keys.to_numpy(), "KEY": keys.to_numpy(),
        "SubmitterID": "7", "SubmitterName": "enqueteur", "AttachmentsPresent": "0", "AttachmentsExpected": "0",
        "Status": "", "ReviewState": "", "DeviceID": "", "Edits": "0", "FormVersion": "v1"})}
    for repeat, rows, part in (("partenaires", listed, PARTNER_FIELDS), ("autres", others, OTHER_FIELDS)):
        cols = [*part][:1] + (["partenaire_nom"] if repeat == "partenaires" else []) + [*part][1:]
        parent = rows["_parent"].map(keys)
        turn = rows.groupby("_parent").cumcount() + 1
        files[f"{form_id}-{repeat}.csv"] = rows[cols].assign(PARENT_KEY=parent,
                                                             KEY=parent + f"/{repeat}[" + turn.astype(str) + "]")

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, table in files.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED.timetuple()[:6]), _csv(table))

    return atomic_write(Path(path), write)

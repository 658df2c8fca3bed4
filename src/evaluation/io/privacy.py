"""What validation checks so that the final search of the outputs (:mod:`evaluation.report.secrecy.leaks`)
finds nothing: names in the labels of ``territories.yml``, direct identifiers in the columns
a report prints as written, and which names are public (public bodies and places).

- **Labels** of ``territories.yml`` (territory, tiers-lieu, site, role, objective) are published as
  written: one holding the name of an actor, a structure or a person of the exports, or a
  phone number, an e-mail, a URL, an IBAN or a NIR, is a problem naming the label and
  where the name was read (file, column, row).
- **Columns printed as written** — every text or identifier column of the data model but the
  free text (redacted) and the names (pseudonymised): a sector, a kind, an actor's id — must
  hold no direct identifier: the problem names the file, the column and the rows, never the
  identifier.
- **Public names**: the official names of communes, EPCI, départements and QPV, and the
  names of actors that are public bodies (``local_authority``, ``institution``), are not
  personal data. They may be printed (the EPCI table of a département's report prints
  ``Grand Besançon Métropole``): they are not searched for in the outputs and not refused
  in labels.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from evaluation.geo.territory import Territory
from evaluation.io.identifiers import MAY_HOLD, find_identifiers
from evaluation.io.redaction_words import fold_key
from evaluation.io.redaction_words import place_names as kept_places
from evaluation.io.schema import FREE_TEXT_COLUMNS, NAME_COLUMNS
from evaluation.problems import Problems

__all__ = ["PUBLIC_BODY_KINDS", "KIND_WORDS", "public_body_names", "official_names", "public_place_names", "labels",
           "check_labels", "check_identifiers"]

#: Kinds of actors that are public bodies, whose official names are not personal data.
PUBLIC_BODY_KINDS = ("local_authority", "institution")

#: Each class of identifier in problems, in English and in French.
KIND_WORDS = {"email": ("an e-mail address", "une adresse électronique"),
              "phone": ("a phone number", "un numéro de téléphone"),
              "address": ("a postal address", "une adresse postale"), "url": ("a web address", "une adresse web"),
              "iban": ("a bank account number (IBAN)", "un numéro de compte bancaire (IBAN)"),
              "nir": ("a social security number", "un numéro de sécurité sociale")}


def public_body_names(actors: pd.DataFrame) -> frozenset[str]:
    """Folded names of the actors whose kind is a public body (:data:`PUBLIC_BODY_KINDS`)."""
    if "name" not in actors or "kind" not in actors:
        return frozenset()
    names = actors.loc[actors["kind"].isin(PUBLIC_BODY_KINDS), "name"].dropna().astype(str)
    return frozenset(names.map(fold_key))


def official_names(reference: pd.DataFrame | None = None, territories: Mapping[str, Territory] | None = None,
                   departements: pd.DataFrame | None = None) -> frozenset[str]:
    """Folded official names of places and public areas: communes and EPCI of the reference,
    départements, and the QPV of ``territories.yml``.
    """
    out: set[str] = set()
    for frame, cols in ((reference, ("commune_name", "epci_name")), (departements, ("departement_name",))):
        for col in (c for c in cols if frame is not None and c in frame):
            out.update(frame[col].dropna().astype(str).drop_duplicates().map(fold_key))
    for territory in (territories or {}).values():
        out.update(fold_key(q.get("name", "")) for q in territory.qpv if q.get("name"))
    return frozenset(n for n in out if n)


def public_place_names(reference: pd.DataFrame, departements: pd.DataFrame | None = None) -> list[str]:
    """Official names kept in free text and never taken for a person's or structure's name:
    the reference's communes and EPCI, and the départements.
    """
    out = [reference[c].dropna().astype(str).drop_duplicates() for c in ("commune_name", "epci_name") if c in reference]
    if departements is not None and "departement_name" in departements:
        out.append(departements["departement_name"].dropna().astype(str))
    return pd.concat(out, ignore_index=True).tolist() if out else []


def labels(territory: Territory) -> dict[str, str]:
    """Where → text of everything of a territory that a report prints as written."""
    out = {"label": territory.label}
    if territory.venue is not None:
        out["venue.label"] = territory.venue.label
    out.update({f"sites[{i + 1}].label": s.label for i, s in enumerate(territory.sites)})
    out.update({f"network_roles.{k}": v for k, v in territory.network_roles.items()})
    for i, o in enumerate(territory.objectives):  # printed in « Résultats au regard des objectifs »
        out.update({f"objectives[{i + 1}].label": o.label, f"objectives[{i + 1}].source": o.source})
    return out


def check_labels(territories: Mapping[str, Territory], tables: Mapping[str, pd.DataFrame],
                 extra: Mapping[str, tuple[str, str, int]], problems: Problems, *, territories_file: str,
                 files: Mapping[str, Path], place_names: Collection[str]) -> None:
    """A label of territories.yml is published as written: it must not contain the name of an
    actor, a structure or a person of the exports, nor a direct identifier other than an address.

    Names and labels are compared folded (:func:`evaluation.io.redaction_words.fold_key`), a
    name as a whole run of words of the label. Not looked for: names of places kept in text
    (the reference's communes, the bundled neighbourhoods), official names
    (:func:`official_names`, given in ``place_names``), names of public bodies
    (:func:`public_body_names`), names shorter than 4 letters, and single words of the
    columns left out of the data model (first names of staff). ``extra`` maps the names of
    those columns to where each was read (file, column, row).
    """
    places = kept_places(place_names) | public_body_names(tables.get("actors", pd.DataFrame()))
    sources: dict[str, tuple[str, str]] = {}  # folded name → where it was read, in English and French
    for table, cols in NAME_COLUMNS.items():
        for col in (c for c in cols if table in tables and c in tables[table]):
            values = tables[table][col].dropna().astype(str)
            for row, name in values[~values.map(fold_key).duplicated()].items():
                sources.setdefault(fold_key(name), (f"{files[table].name}, column {col!r}, row {row}",
                                                    f"{files[table].name}, colonne {col!r}, ligne {row}"))
    for key, (file, col, row) in extra.items():  # contacts, staff: a lone first name is too common a word
        if len(key.split()) > 1:
            sources.setdefault(key, (f"{file}, column {col!r}, row {row}", f"{file}, colonne {col!r}, ligne {row}"))
    sources = {k: v for k, v in sources.items() if len(k.replace(" ", "")) >= 4 and k not in places}
    longest = max((len(k.split()) for k in sources), default=0)
    for slug, territory in territories.items():
        for where, text in labels(territory).items():
            words = fold_key(text).split()
            runs = {" ".join(words[i:i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)}
            for name in sorted(runs & sources.keys()):
                problems.add(territories_file, "label_is_a_name", column=f"{slug}.{where}", rows=[None],
                             values=[text], name=name, source=sources[name][0], source_fr=sources[name][1])
            for kind in dict.fromkeys(f.kind for f in find_identifiers(text) if f.kind != "address"):
                problems.add(territories_file, "label_has_identifier", column=f"{slug}.{where}", rows=[None],
                             what=KIND_WORDS[kind][0], what_fr=KIND_WORDS[kind][1])


def check_identifiers(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str], problems: Problems) -> None:
    """Direct identifiers in the columns a report may print as written: every text column of
    the tables but the free text (redacted at load) and the names (pseudonymised). One problem
    per file, column and class of identifier, listing the rows (spreadsheet rows), never the value.
    """
    for table, frame in tables.items():
        skip = set(FREE_TEXT_COLUMNS.get(table, ())) | set(NAME_COLUMNS.get(table, ()))
        for col in frame.columns:
            values = frame[col]
            if col in skip or not (values.dtype == object or pd.api.types.is_string_dtype(values)):
                continue
            text = values.dropna().astype(str)
            text = text[text.str.contains(MAY_HOLD, regex=True)]
            found: dict[str, list] = {}
            for row, cell in text.items():  # only the cells with a digit, "@", "www"…: few
                for kind in dict.fromkeys(f.kind for f in find_identifiers(cell)):
                    found.setdefault(kind, []).append(row)
            for kind, rows in found.items():
                problems.add(files.get(table, table), "identifier_in_column", rows=rows, column=col,
                             what=KIND_WORDS[kind][0], what_fr=KIND_WORDS[kind][1])

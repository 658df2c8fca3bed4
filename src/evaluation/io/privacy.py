"""What validation checks so that the final search of the outputs (:mod:`evaluation.report.secrecy.leaks`)
finds nothing: names and direct identifiers in what a report prints as written — the texts of
``territories.yml`` and the columns of :data:`~evaluation.io.schema.PRINTED_COLUMNS` — and which
names are public (public bodies and places).

- **Texts of territories.yml** (territory, description, tiers-lieu, site, role, objective and
  its source) are published as written: one holding the name of an actor, a structure or a
  person of the exports, a person's name found by the rules and model of the redaction
  (:func:`evaluation.io.redaction.find_mentions`), or a phone number, an e-mail, a URL, an
  IBAN or a NIR, is a problem naming the key and its line in the file, and where a known name
  was read (file, column, row) — never the name.
- **Columns printed as written** (:data:`~evaluation.io.schema.PRINTED_COLUMNS`: sectors, kinds of
  events, the testimonies' profile and themes) get the same search as free text, on their
  distinct values: a known name of the exports, a person's name or a direct identifier is a
  problem naming the file, the column and the rows, never the value. Every other text column
  but the free text (redacted) and the names (pseudonymised) is searched for direct identifiers.
- **Public names**: the official names of communes, EPCI, départements and QPV, and the
  names of actors that are public bodies (``local_authority``, ``institution``), are not
  personal data. They may be printed (the EPCI table of a département's report prints
  ``Grand Besançon Métropole``) and stay as written in free text: they are not searched for
  in the outputs and not refused in labels.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import pandas as pd

from evaluation.geo.territory import Territory
from evaluation.io.identifiers import MAY_HOLD, find_identifiers, redact_identifiers
from evaluation.io.redaction import find_mentions, known_names
from evaluation.io.redaction_words import (
    HONORIFICS,
    KEEP_WORDS,
    PARTICLES,
    first_names,
    fold,
    fold_key,
    word_first_names,
)
from evaluation.io.redaction_words import place_names as kept_places
from evaluation.io.schema import FREE_TEXT_COLUMNS, NAME_COLUMNS, PRINTED_COLUMNS
from evaluation.problems import Problems

__all__ = ["PUBLIC_BODY_KINDS", "PUBLIC_BODY_WORDS", "KIND_WORDS", "public_body_names", "public_bodies",
           "official_names", "public_place_names", "short_area_name", "searched_name", "labels", "printed_texts",
           "name_sources", "persons_in", "check_labels", "check_printed_columns", "check_identifiers"]

#: Kinds of actors that are public bodies, whose official names are not personal data.
PUBLIC_BODY_KINDS = ("local_authority", "institution")

#: Each class of identifier in problems, in English and in French.
KIND_WORDS = {"email": ("an e-mail address", "une adresse électronique"),
              "phone": ("a phone number", "un numéro de téléphone"),
              "address": ("a postal address", "une adresse postale"), "url": ("a web address", "une adresse web"),
              "iban": ("a bank account number (IBAN)", "un numéro de compte bancaire (IBAN)"),
              "nir": ("a social security number", "un numéro de sécurité sociale")}


#: Words of a name that say it is a public body of a place (``Mairie de Chenôve``): such a name
#: is not searched for when its other words are a place.
PUBLIC_BODY_WORDS = frozenset("ville commune mairie de du des d la le les l communaute communes "
                              "agglomeration metropole departement conseil".split())


def public_bodies(actors: pd.DataFrame) -> list[str]:
    """Names, as written, of the actors whose kind is a public body (:data:`PUBLIC_BODY_KINDS`)."""
    if "name" not in actors or "kind" not in actors:
        return []
    return actors.loc[actors["kind"].isin(PUBLIC_BODY_KINDS), "name"].dropna().astype(str).drop_duplicates().tolist()


def public_body_names(actors: pd.DataFrame) -> frozenset[str]:
    """Folded names of the actors whose kind is a public body (:data:`PUBLIC_BODY_KINDS`)."""
    return frozenset(map(fold_key, public_bodies(actors)))


def searched_name(key: str, places: Collection[str]) -> bool:
    """Whether the final search looks for a folded name of the exports: not a name shorter than
    three letters, a place or a word of :data:`~evaluation.io.redaction_words.KEEP_WORDS`, nor a
    public body of a place (``Mairie de Chenôve``: its words but :data:`PUBLIC_BODY_WORDS` are a place).
    """
    words = [w for w in key.split() if w not in PUBLIC_BODY_WORDS]
    return not (len(key.replace(" ", "")) < 3 or key in places or key in KEEP_WORDS
                or (bool(words) and " ".join(words) in places))


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


_AREA_FORM = re.compile(r"^(?:communaut[ée] (?:de communes|d['’]agglom[ée]ration|urbaine)|m[ée]tropole|cc|ca|cu)"
                        r"\s+(?:(?:du|des|de la|de l['’]|d['’]|de)\s*)?", re.IGNORECASE)


def short_area_name(name: str) -> str:
    """An EPCI's name without its legal form, as people write it: ``Communauté de communes des
    Terres d'Auxois`` → ``Terres d'Auxois``; unchanged when it has none (``Dijon Métropole``).
    """
    return _AREA_FORM.sub("", name.strip()) or name


def public_place_names(reference: pd.DataFrame, departements: pd.DataFrame | None = None) -> list[str]:
    """Official names kept in free text and never taken for a person's or structure's name:
    the reference's communes and EPCI (also without their legal form: :func:`short_area_name`),
    and the départements.
    """
    out = [reference[c].dropna().astype(str).drop_duplicates() for c in ("commune_name", "epci_name") if c in reference]
    if "epci_name" in reference:
        epcis = reference["epci_name"].dropna().astype(str).drop_duplicates()
        out.append(epcis.map(short_area_name))
    if departements is not None and "departement_name" in departements:
        out.append(departements["departement_name"].dropna().astype(str))
    return pd.concat(out, ignore_index=True).drop_duplicates().tolist() if out else []




def printed_texts(territory: Territory) -> list[tuple[str, tuple, str]]:
    """``(where, path, text)`` of everything of a territory that a report prints as written:
    ``where`` names it in problems (``"sites[1].label"``), ``path`` is its setting under the
    territory in ``territories.yml`` (:meth:`~evaluation.geo.territory.Territory.line` gives its line).
    """
    out = [("label", ("label",), territory.label)]
    if territory.description:  # on the report's first page
        out.append(("description", ("description",), territory.description))
    if territory.venue is not None:
        out.append(("venue.label", ("venue", "label"), territory.venue.label))
    out += [(f"venue[{i + 1}].label", ("venue", i + 1, "label"), v.label) for i, v in enumerate(territory.venues) if i]
    out += [(f"sites[{i + 1}].label", ("sites", i + 1, "label"), s.label) for i, s in enumerate(territory.sites)]
    out += [(f"network_roles.{k}", ("network_roles", k), v) for k, v in territory.network_roles.items()]
    for i, o in enumerate(territory.objectives):  # printed in « Résultats au regard des objectifs »
        out += [(f"objectives[{i + 1}].label", ("objectives", i + 1, "label"), o.label),
                (f"objectives[{i + 1}].source", ("objectives", i + 1, "source"), o.source)]
    return [(where, path, text) for where, path, text in out if text]


def labels(territory: Territory) -> dict[str, str]:
    """Where → text of everything of a territory that a report prints as written (:func:`printed_texts`)."""
    return {where: text for where, _, text in printed_texts(territory)}


def name_sources(tables: Mapping[str, pd.DataFrame], extra: Mapping[str, tuple[str, str, int]],
                 files: Mapping[str, Path | str], places: Collection[str]) -> dict[str, tuple[str, str]]:
    """Folded name → where it was first read (in English and French: file, column, spreadsheet
    row), for every name the final search of the outputs looks for (:func:`searched_name`): the
    values of the name columns (:data:`~evaluation.io.schema.NAME_COLUMNS`) but public bodies'
    (``places`` holds their folded names with the places'), and the names of the columns left out
    of the data model (``extra``: folded name → file, column, row).
    """
    sources: dict[str, tuple[str, str]] = {}
    for table, cols in NAME_COLUMNS.items():
        for col in (c for c in cols if table in tables and c in tables[table]):
            values = tables[table][col].dropna().astype(str)
            for row, name in values[~values.map(fold_key).duplicated()].items():
                file = Path(files.get(table, table)).name
                sources.setdefault(fold_key(name), (f"{file}, column {col!r}, row {row}",
                                                    f"{file}, colonne {col!r}, ligne {row}"))
    for key, (file, col, row) in extra.items():  # contacts, staff
        sources.setdefault(key, (f"{file}, column {col!r}, row {row}", f"{file}, colonne {col!r}, ligne {row}"))
    return {k: v for k, v in sources.items() if searched_name(k, places)}


def persons_in(texts: list[str], *, places: frozenset[str], kept: Iterable[str] = ()) -> list[bool]:
    """Whether each text names a person, by the rules and model of the redaction of free text
    (:func:`evaluation.io.redaction.find_mentions`, after its direct identifiers became tags), the
    names ``kept`` (public bodies, official names) and places left out.

    Texts printed as written are short (labels, themes): a mention counts only when it looks like
    a name (``_name_like``: two words, a first name, or an honorific before it), not a single
    word the model alone took for a person (``Creusot-Montceau``, a territory's label).
    """
    if not texts:
        return []
    tagged = redact_identifiers(pd.Series(texts, dtype="string")).astype(str).tolist()
    return [any(m.kind == "person" and _name_like(text, m.start, m.end) for m in found)
            for text, found in zip(tagged, find_mentions(tagged, places=places, kept=list(kept)), strict=True)]


def _name_like(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` looks like a person's name: two words or more (``Rose Marchand``),
    a word of the first names' lists (``Karim``, ``Jean-Pierre``) not after a particle (« Vallée de
    la Loue » is a river), or an honorific before it (``M. Dupont``).
    """
    words = text[start:end].split()  # words as written: « Creusot-Montceau » is one
    while words and fold_key(words[0]) in PARTICLES:  # « de Pontarlier »: one word, a place's way of being named
        words = words[1:]
    before = fold_key(text[:start]).split()
    # After « de », « du », « de la »… a lone first name is a place (« Vallée de la Loue »), as in labels.
    placed = bool(before) and before[-1] in PARTICLES
    folded = fold_key(" ".join(words)).split()
    return (len(words) > 1 or not placed and any(w in first_names() or w in word_first_names() for w in folded)
            or bool(before) and before[-1] in HONORIFICS)


def _matcher(sources: Mapping[str, tuple[str, str]], texts: Iterable[str]):
    """The pattern finding the names of ``sources`` in ``texts`` (folded, whole words), or ``None``."""
    matcher = known_names(dict.fromkeys(sources, ""), texts=texts, places=frozenset()) if sources else None
    return matcher.pattern if matcher is not None else None


def check_labels(territories: Mapping[str, Territory], tables: Mapping[str, pd.DataFrame],
                 extra: Mapping[str, tuple[str, str, int]], problems: Problems, *, territories_file: str,
                 files: Mapping[str, Path], place_names: Collection[str]) -> None:
    """What ``territories.yml`` lets a report print as written (:func:`printed_texts`: labels,
    description, roles, objectives) must not name an actor, a structure or a person of the
    exports (``label_is_a_name``), nor name a person the redaction would find in free text
    (``label_has_person``), nor hold a direct identifier other than an address (``label_has_identifier``).

    Names and texts are compared folded (:func:`evaluation.io.redaction_words.fold`), a name as a
    whole run of words of the text; the names are those the final search would look for
    (:func:`name_sources`): places kept in text (the reference's communes, the bundled
    neighbourhoods), official names (``place_names``, with the QPV of ``territories.yml``) and
    public bodies (:func:`public_body_names`) are not. Each problem names the territory's key and
    its line in the file, and where a known name was read (file, column, row) — never the name.
    """
    qpv = [q["name"] for t in territories.values() for q in t.qpv if q.get("name")]
    places = kept_places([*place_names, *qpv]) | public_body_names(tables.get("actors", pd.DataFrame()))
    sources = name_sources(tables, extra, files, places)
    items = [(slug, territory, where, path, text) for slug, territory in territories.items()
             for where, path, text in printed_texts(territory)]
    pattern = _matcher(sources, [text for *_, text in items])
    named: set[int] = set()
    for i, (slug, territory, where, path, text) in enumerate(items):
        at = {"column": f"{slug}.{where}", "rows": [territory.line(*path)]}
        for name in dict.fromkeys(" ".join(m.group(0).split()) for m in pattern.finditer(fold(text))) if pattern else ():
            named.add(i)
            problems.add(territories_file, "label_is_a_name", **at, source=sources[name][0],
                         source_fr=sources[name][1])
        for kind in dict.fromkeys(f.kind for f in find_identifiers(text) if f.kind != "address"):
            problems.add(territories_file, "label_has_identifier", **at, what=KIND_WORDS[kind][0],
                         what_fr=KIND_WORDS[kind][1])
    # persons the rules and model find, in the texts that are not official names and hold no known name
    todo = [i for i, item in enumerate(items) if i not in named and fold_key(item[-1]) not in places]
    kept = [*public_bodies(tables.get("actors", pd.DataFrame())), *place_names, *qpv]
    for i, person in zip(todo, persons_in([items[i][-1] for i in todo], places=places, kept=_multiword(kept)),
                         strict=True):
        if person:
            slug, territory, where, path, _ = items[i]
            problems.add(territories_file, "label_has_person", column=f"{slug}.{where}", rows=[territory.line(*path)])


def _multiword(names: Iterable[str]) -> list[str]:
    """The names of several words (one word is a place :func:`~evaluation.io.redaction_words.place_names` keeps)."""
    return [n for n in dict.fromkeys(names) if " " in fold_key(n)]


def _theme_parts(values: pd.Series) -> pd.Series:
    """Each theme of the cells of a themes column, as written (the report prints each theme; split
    like :func:`~evaluation.io.schema.split_themes`), indexed by its cell's row.
    """
    parts = values.str.split(r"\s*[|;,]\s*", regex=True).explode().astype("string").str.strip()
    return parts[parts.notna() & (parts != "")]


def check_printed_columns(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str], problems: Problems, *,
                          extra: Mapping[str, tuple[str, str, int]], place_names: Collection[str]) -> None:
    """The columns a report prints as written (:data:`~evaluation.io.schema.PRINTED_COLUMNS`) get the
    search free text gets, on their distinct values: a name the final search would look for
    (:func:`name_sources`) or a person's name found by the rules and model of the redaction
    (:func:`persons_in`) is a problem (``name_in_column``) naming the file, the column and the rows
    (spreadsheet rows), never the value. Direct identifiers are :func:`check_identifiers`'.
    """
    actors = tables.get("actors", pd.DataFrame())
    places = kept_places(place_names) | public_body_names(actors)
    sources = name_sources(tables, extra, files, places)
    cells: list[tuple[str, str, pd.Series]] = []  # table, column, its filled cells
    texts: dict[str, None] = {}  # every distinct text to search: cells, and each theme of a cell
    for table, cols in PRINTED_COLUMNS.items():
        for col in (c for c in cols if table in tables and c in tables[table]):
            values = tables[table][col].dropna().astype("string")
            values = values[values.str.strip() != ""]
            cells.append((table, col, values))  # themes are printed one by one: their parts are searched
            texts.update(dict.fromkeys((_theme_parts(values) if col == "themes" else values).unique().tolist()))
    texts = [t for t in texts if fold_key(t) not in places]
    pattern = _matcher(sources, texts)
    named = {t for t in texts if pattern is not None and pattern.search(fold(t))}
    rest = [t for t in texts if t not in named]
    kept = _multiword([*public_bodies(actors), *place_names])
    named |= {t for t, person in zip(rest, persons_in(rest, places=places, kept=kept), strict=True) if person}
    for table, col, values in cells:
        if col == "themes":
            parts = _theme_parts(values)
            hit = values.index.isin(parts.index[parts.isin(named)])
        else:
            hit = values.isin(named).to_numpy(dtype=bool)
        if hit.any():
            problems.add(files.get(table, table), "name_in_column", rows=values.index[hit], column=col)


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

"""The schema of the raw tables: columns, kinds, codes and the French aliases read for them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evaluation._text import normalise_name
from evaluation.io.columns import Column, Kind, Schema
from evaluation.io.schema_outcomes import (
    BENCHMARK_GROUPS,
    BENCHMARK_INDICATORS,
    FOLLOWUP_STATUSES,
    OUTCOME_TABLE_ALIASES,
    OUTCOME_VALUE_ALIASES,
    VERIFIED_SOURCE_WORDS,
    outcome_schemas,
)

__all__ = ["Kind", "Column", "Schema", "SCHEMAS", "TABLES", "NAME_COLUMNS", "FREE_TEXT_COLUMNS", "PRINTED_COLUMNS",
           "COLUMN_ALIASES", "header_key",
           "SHARED_ALIASES", "TABLE_ALIASES", "VALUE_ALIASES", "PROGRAMMES", "ACTOR_KINDS",
           "COLLABORATION_KINDS", "INTENSITY_LEVELS", "canonical_columns", "choice_lookup", "holds_names",
           "values_hold_names", "split_themes", "FOLLOWUP_STATUSES", "BENCHMARK_INDICATORS", "BENCHMARK_GROUPS",
           "VERIFIED_SOURCE_WORDS"]


SCHEMA_VERSION = "3"


#: Programmes of the support organisation (``tables.PROGRAMME_LABELS`` gives their French names).
PROGRAMMES = ("creation", "development", "dla", "tiers_lieu")


#: Kinds of local actors (``tables.KIND_LABELS`` gives their French names).
ACTOR_KINDS = ("association", "ess_enterprise", "business", "local_authority", "social_landlord",
               "residents_group", "institution")


COLLABORATION_KINDS = ("joint_project", "partnership", "purchase", "pooling")


#: Ordered intensity scale of network-evaluation surveys.
INTENSITY_LEVELS = ("awareness", "cooperation", "coordination", "integration")


#: French (and spelled-out) words read as each code of a coded column. Values are compared
#: after :func:`~evaluation._text.normalise_name` (case, accents, spaces, hyphens and apostrophes folded), so
#: ``Tiers-lieu``, ``TIERS LIEU`` and ``tiers_lieu`` are the same value; the code itself is
#: always accepted. The first word of each entry is the French name shown in problems.
VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    # programmes
    "creation": ("Création", "Création d'activité", "Création d'entreprise", "Création d'activités"),
    "development": ("Développement", "Développement d'activité", "Consolidation"),
    "dla": ("DLA", "Dispositif local d'accompagnement", "DLA individuel", "DLA collectif", "Accompagnement DLA"),
    "tiers_lieu": ("Tiers-lieu", "Tiers lieux", "Tiers-lieux"),
    # collaboration kinds
    "joint_project": ("Projet commun", "Projets communs", "Projet partagé", "Projet en commun"),
    "partnership": ("Partenariat", "Partenariats"),
    "purchase": ("Achat", "Achats", "Prestation", "Achat de prestation"),
    "pooling": ("Mutualisation", "Mutualisations", "Mise en commun"),
    # intensity of a tie, weakest to strongest
    "awareness": ("Connaissance", "Interconnaissance", "Connaissance mutuelle"),
    "cooperation": ("Coopération",),
    "coordination": ("Coordination",),
    "integration": ("Intégration",),
    # actor kinds
    "association": ("Association", "Asso"),
    "ess_enterprise": ("Entreprise de l'ESS", "Entreprise ESS", "Structure de l'ESS",
                       "Entreprise de l'économie sociale et solidaire"),
    "business": ("Entreprise", "Entreprise privée", "Entreprise classique", "Commerce"),
    "local_authority": ("Collectivité", "Collectivité territoriale", "Collectivité locale"),
    "social_landlord": ("Bailleur social", "Bailleur", "Bailleurs sociaux"),
    "residents_group": ("Collectif d'habitants", "Collectif habitants", "Groupe d'habitants",
                        "Association d'habitants"),
    "institution": ("Institution", "Institution publique", "Établissement public"),
    **OUTCOME_VALUE_ALIASES,  # follow-up statuses, benchmark groups
}


#: Yes/no cells, compared after :func:`~evaluation._text.normalise_name` (``OUI``, `` Oui `` and ``oui`` are one value).
TRUE_WORDS = {"1", "true", "vrai", "oui", "o", "yes", "y", "x"}


FALSE_WORDS = {"0", "false", "faux", "non", "n", "no"}


#: Cells of a ``qpv`` column (``in_qpv``) saying the situation is not known: read as missing,
#: counted apart (never as « non »). Compared after :func:`normalise_name`.
UNKNOWN_WORDS = {"ne_sait_pas", "nsp", "ns", "ne_sais_pas", "inconnu", "inconnue", "non_renseigne", "nr", "nc",
                 "non_connu", "a_verifier", "unknown", "dont_know", "don_t_know"}


EARLIEST_DATE = pd.Timestamp("1990-01-01")


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in [
        Schema(
            "accompaniments",
            (
                Column("accompaniment_id", "id"),
                Column("structure_id", "id"),
                Column("programme", "choice", choices=PROGRAMMES, categorical=False),
                Column("commune_code", "commune"),
                # oui / non / « ne sait pas » (or empty: unknown, counted apart) / a QPV code (then oui)
                Column("in_qpv", "qpv", nullable=True),
                Column("start_date", "date"),
                Column("end_date", "date", nullable=True),
                Column("sector", "text", nullable=True),
                Column("jobs_created", "int", nullable=True, min_value=0),
                Column("jobs_maintained", "int", nullable=True, min_value=0),
                Column("structure_name", "text", required=False, nullable=True),
                # the commune's name beside its code: checked against the reference
                Column("commune_name", "text", required=False, nullable=True),
                # the QPV's code (QN… or QP…), from its own column or from in_qpv
                Column("qpv_code", "text", required=False, nullable=True),
                Column("creation_date", "date", required=False, nullable=True),
            ),
            key=("accompaniment_id",),
            required_file=True,
        ),
        Schema(
            "actors",
            (
                Column("actor_id", "id"),
                Column("name", "text", nullable=True),
                Column("kind", "choice", choices=ACTOR_KINDS, categorical=False),
                Column("sector", "text", nullable=True),
                Column("commune_code", "commune"),
                Column("in_qpv", "bool"),
                # Optional: when the actor started and stopped (the network's boundary, the
                # discrete-time model's risk set: evaluation.measures.network.timing).
                Column("start_date", "date", required=False, nullable=True),
                Column("end_date", "date", required=False, nullable=True),
            ),
            key=("actor_id",),
        ),
        Schema(
            "events",
            (
                Column("event_id", "id"),
                Column("date", "date"),
                Column("kind", "text"),
                Column("commune_code", "commune"),
                Column("organiser", "id", nullable=True),
                Column("title", "text", required=False, nullable=True),
            ),
            key=("event_id",),
        ),
        Schema("attendance", (Column("event_id", "id"), Column("actor_id", "id")),
               key=("event_id", "actor_id")),
        Schema(
            "collaborations",
            (
                Column("actor_a", "id"),
                Column("actor_b", "id"),
                Column("start_date", "date"),
                Column("end_date", "date", required=False, nullable=True),
                Column("kind", "choice", choices=COLLABORATION_KINDS),
                Column("source", "text", nullable=True),
                Column("intensity", "choice", required=False, nullable=True, choices=INTENSITY_LEVELS),
            ),
        ),
        Schema(
            "testimonies",
            (
                Column("testimony_id", "id"),
                Column("date", "date"),
                Column("actor_kind", "text"),
                Column("territory", "text"),
                Column("themes", "text"),
                Column("text", "text"),
                Column("highlight", "bool", required=False, nullable=True),
                Column("consent", "bool", required=False, nullable=True),
            ),
            key=("testimony_id",),
        ),
        # The evaluator's target populations, per commune (ESS employer establishments, business
        # creations, jobseekers…): optional, the denominators of the programmes (territories.yml).
        Schema(
            "denominators",
            (
                Column("commune_code", "commune"),
                Column("variable", "id"),
                Column("value", "float", min_value=0),
                Column("year", "int", min_value=1900),
                Column("source", "text"),
            ),
            key=("commune_code", "variable", "year"),
        ),
        *outcome_schemas(PROGRAMMES),  # followups, costs, benchmarks (evaluation.io.schema_outcomes)
    ]
}


TABLES = tuple(SCHEMAS)


#: French column names of evaluators' exports for a schema column, in every table that has
#: that column (``Date de début`` is ``start_date`` in accompaniments and in collaborations).
#: Names are compared after :func:`~evaluation._text.normalise_name` (lower case, no accents, ``_`` for
#: spaces and punctuation), so ``Code INSEE``, ``code_insee`` and ``CODE-INSEE`` match.
SHARED_ALIASES: dict[str, tuple[str, ...]] = {
    "value": ("valeur",),
    "commune_code": ("code_commune", "code_insee", "codgeo", "insee", "code_geo", "commune_insee",
                     "code_insee_commune", "code_officiel_geographique"),
    "in_qpv": ("qpv", "en_qpv", "quartier_prioritaire", "quartier_prioritaire_de_la_ville"),
    "start_date": ("date_debut", "debut", "date_de_debut", "date_demarrage", "date_de_demarrage"),
    "end_date": ("date_fin", "fin", "date_de_fin", "date_cloture", "date_de_cloture"),
    "sector": ("secteur", "secteur_activite", "secteur_d_activite", "domaine", "domaine_d_activite"),
    "kind": ("type", "nature", "categorie"),
    "date": ("jour",),
    "event_id": ("id_evenement", "id_rencontre", "identifiant_evenement", "n_evenement"),
    "actor_id": ("id_acteur", "identifiant_acteur", "n_acteur"),
    "structure_id": ("id_structure", "identifiant_structure", "n_structure", "siret_structure"),
    "programme": ("dispositif", "type_accompagnement", "type_d_accompagnement", "programme_d_accompagnement"),
    "year": ("annee", "exercice", "millesime"), "territory": ("territoire",), "source": ("origine", "source_des_donnees", "provenance"),
}


#: French column names whose meaning depends on the table (an actor's ``kind`` is not an event's).
TABLE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accompaniments": {
        "accompaniment_id": ("id_accompagnement", "identifiant_accompagnement", "n_accompagnement"),
        "structure_name": ("nom_structure", "raison_sociale", "structure", "nom_de_la_structure"),
        "creation_date": ("date_creation", "date_de_creation", "date_immatriculation", "creation"),
        "jobs_created": ("emplois_crees", "nb_emplois_crees", "nombre_d_emplois_crees"),
        "jobs_maintained": ("emplois_maintenus", "nb_emplois_maintenus", "nombre_d_emplois_maintenus"),
        "commune_name": ("commune", "nom_commune", "ville", "libelle_commune", "nom_de_la_commune", "libgeo"),
        "qpv_code": ("code_qpv", "code_qp", "code_quartier", "code_du_quartier_prioritaire"),
    },
    "actors": {
        "name": ("nom", "raison_sociale", "nom_acteur", "nom_de_l_acteur"),
        "kind": ("type_acteur", "type_d_acteur", "categorie_d_acteur", "type_de_structure"),
    },
    "events": {
        "kind": ("type_evenement", "type_d_evenement", "format"),
        "organiser": ("organisateur", "id_organisateur"),
        "title": ("titre", "intitule"),
        "date": ("date_evenement", "date_de_l_evenement"),
    },
    "collaborations": {
        "actor_a": ("acteur_a", "id_acteur_a"), "actor_b": ("acteur_b", "id_acteur_b"),
        "kind": ("type_collaboration", "type_de_collaboration", "nature_de_la_collaboration"),
        "intensity": ("intensite", "niveau", "intensite_du_lien"),
    },
    "testimonies": {
        "testimony_id": ("id_temoignage", "identifiant_temoignage", "n_temoignage"),
        "actor_kind": ("type_acteur", "profil"),
        "themes": ("theme", "thematiques"), "text": ("texte", "citation", "verbatim", "temoignage"),
        "date": ("date_temoignage", "date_du_temoignage"),
        "highlight": ("a_citer", "citation_retenue", "mise_en_avant", "retenu"),
        "consent": ("consentement", "accord_citation", "accord_publication"),
    },
    "denominators": {
        "variable": ("indicateur", "variable_cible", "population_cible", "denominateur"),
        "value": ("nombre", "effectif"),
        "year": ("annee", "millesime"),
    },
    **OUTCOME_TABLE_ALIASES,
}


def _table_aliases(table: str) -> dict[str, tuple[str, ...]]:
    columns = [c.name for c in SCHEMAS[table].columns]
    own = TABLE_ALIASES.get(table, {})
    return {c: SHARED_ALIASES.get(c, ()) + own.get(c, ()) for c in columns
            if SHARED_ALIASES.get(c) or own.get(c)}


#: Every French column name read, per table — :data:`SHARED_ALIASES` for each of the table's
#: columns, then the table's own :data:`TABLE_ALIASES`.
COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {t: _table_aliases(t) for t in SCHEMAS}


#: Words a French header may add or elide without changing its meaning (``N° d'accompagnement``,
#: ``Numéro de l'accompagnement`` and ``n_accompagnement`` are one header), and the spellings
#: of « numéro ».
_HEADER_FILLERS = frozenset({"d", "l", "de", "du", "des", "la", "le", "les"})
_HEADER_NUMBER = frozenset({"n", "no", "num", "numero", "nr"})


def header_key(name: str) -> str:
    """A header after :func:`~evaluation._text.normalise_name`, without French connecting words, « numéro » as ``n``.

    ``"n_d_accompagnement"`` → ``"n_accompagnement"``; ``"date_de_debut"`` → ``"date_debut"``.
    """
    words = ["n" if w in _HEADER_NUMBER else w for w in name.split("_") if w not in _HEADER_FILLERS]
    return "_".join(words)


def canonical_columns(columns: Sequence[str], table: str) -> dict[str, str]:
    """Renaming from a file's column names to the schema's: exact names after
    :func:`~evaluation._text.normalise_name`, then the French aliases of :data:`COLUMN_ALIASES`, compared
    without connecting words (:func:`header_key`).

    A schema column already present is never taken by an alias.
    """
    wanted = {c.name for c in SCHEMAS[table].columns}
    lookup = {header_key(canonical): canonical for canonical in wanted}
    for canonical, aliases in COLUMN_ALIASES.get(table, {}).items():
        lookup.update({header_key(alias): canonical for alias in aliases})
    mapping, taken = {}, set()
    normalised = {col: normalise_name(col) for col in columns}
    for col, norm in normalised.items():  # exact names first
        if norm in wanted and norm not in taken:
            mapping[col], taken = norm, taken | {norm}
    for col, norm in normalised.items():
        target = lookup.get(header_key(norm))
        if col not in mapping and target and target not in taken:
            mapping[col], taken = target, taken | {target}
    return {k: v for k, v in mapping.items() if k != v}


def choice_lookup(choices: Sequence[str]) -> dict[str, str]:
    """Folded spelling (:func:`~evaluation._text.normalise_name`) → code, for the codes ``choices`` and their
    French words in :data:`VALUE_ALIASES`.
    """
    return {normalise_name(word): code for code in choices for word in (code, *VALUE_ALIASES.get(code, ()))}


def split_themes(themes: pd.Series) -> pd.Series:
    """Split a themes column (``|``, ``;`` or ``,`` separated) into lists of lower-case themes."""
    return themes.fillna("").str.lower().str.split(r"\s*[|;,]\s*", regex=True).map(
        lambda xs: [x for x in xs if x])


#: Columns holding names of people or structures, replaced by pseudonyms at load.
NAME_COLUMNS = {"actors": ("name",), "accompaniments": ("structure_name",)}


#: Free-text columns redacted at load (:func:`~evaluation.io.datasets.pseudonymise_tables`).
FREE_TEXT_COLUMNS = {"testimonies": ("text",), "events": ("title",), "collaborations": ("source",),
                     "followups": ("source",)}


#: Text columns a report prints as written (tables, headings, the line under each quote, the
#: network files): checked at load for names and direct identifiers like free text, but refused
#: rather than redacted (:func:`~evaluation.io.privacy.check_printed_columns`). Coded columns
#: (programmes, actor kinds, collaboration kinds) are printed by their French label, never as written.
PRINTED_COLUMNS = {"accompaniments": ("sector",), "actors": ("sector",), "events": ("kind",),
                   "testimonies": ("actor_kind", "themes")}


#: Words of a column name (after :func:`~evaluation._text.normalise_name`) that say the column holds names of
#: people, structures or contacts: such a column, when it is not in the data model, is
#: dropped like any other, but its values are first added to the names redacted from free text.
NAME_HEADER_WORDS = frozenset({
    "nom", "noms", "prenom", "prenoms", "name", "names", "firstname", "lastname", "surname", "contact", "contacts",
    "referent", "referente", "referents", "responsable", "responsables", "charge", "chargee", "charges",
    "interlocuteur", "interlocutrice", "interlocuteurs", "porteur", "porteuse", "porteurs", "porteuses",
    "structure", "structures", "organisme", "organisation", "denomination", "enseigne", "sigle", "mail", "email",
    "mails", "emails", "courriel", "courriels", "telephone", "tel", "portable", "mobile", "phone", "dirigeant",
    "dirigeante", "president", "presidente", "gerant", "gerante", "directeur", "directrice", "signataire",
    "accompagnateur", "accompagnatrice", "conseiller", "conseillere", "animateur", "animatrice", "coordinateur",
    "coordinatrice", "salarie", "salariee", "salaries", "benevole", "benevoles", "representant", "representante",
    "participant", "participante", "participants", "beneficiaire", "beneficiaires", "partenaire", "partenaires",
    "personne", "personnes", "auteur", "autrice", "auteurs", "temoin", "interviewe", "interviewee", "suivi", "membre",
    "membres", "adherent", "adherente", "adherents", "animateurs", "animatrices", "redacteur", "redactrice",
    "intervenant", "intervenante", "intervenants", "formateur", "formatrice", "enqueteur", "enquetrice",
})


#: Phrases (folded) that mark a name column even without one of ``NAME_HEADER_WORDS``.
NAME_HEADER_PHRASES = ("raison_sociale", "suivi_par", "e_mail", "charge_de_mission", "charge_e_de_mission",
                       "recueilli_par", "recueillie_par", "recueillis_par", "saisi_par", "saisie_par", "redige_par",
                       "anime_par", "animee_par", "realise_par", "realisee_par", "note_par", "ecrit_par")


#: First words of a column name that describe something *about* a person or structure
#: (``Type de structure``, ``Date du contact``, ``Nombre de bénévoles``), not a name.
NOT_NAME_FIRST_WORDS = frozenset({
    "type", "types", "categorie", "nature", "code", "codes", "id", "identifiant", "numero", "n", "no", "num", "nb",
    "nombre", "date", "dates", "statut", "forme", "secteur", "taille", "montant", "qualite", "fonction", "role",
    "poste", "genre", "sexe", "age", "annee", "mode", "motif", "objet", "duree", "siret", "siren", "effectif",
    "effectifs",
})


#: Words of a column name that say it holds places (``Nom de la commune``), kept out of the names.
PLACE_HEADER_WORDS = frozenset({
    "commune", "communes", "ville", "localite", "quartier", "territoire", "departement", "region", "epci", "lieu",
    "site", "adresse", "pays", "cp", "postal", "iris", "qpv",
})


#: A cell that is no one's name: a number (``12``, ``3,5 %``) or a date (``18/05/2018``,
#: ``2018-05-18 10:00``, ``05/2018``); yes/no words are :data:`TRUE_WORDS` and :data:`FALSE_WORDS`.
#: A French phone number (:data:`_PHONE`) is written with digits but is a contact's: not one of them.
_NOT_A_NAME = (r"[+-]?[\d\s.,\u00a0\u202f]*\d[\d\s.,\u00a0\u202f]*(?:%|€|eur|euros)?"
               r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:\s+\d{1,2}[:h]\d{2}(?::\d{2})?)?"
               r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}/\d{4}")

#: A French phone number as written in a cell: ``06 71 45 32 18``, ``0380123456``, ``+33 6 71…``, ``03.81.69.12.34``.
_PHONE = r"(?:\+\s*33\s*(?:\(0\))?|0033\s*|0)\s*[1-9](?:[\s.\-\u00a0]*\d{2}){4}"


def values_hold_names(values: pd.Series) -> bool:
    """Whether a column's cells may be names: not when every filled cell is a yes/no word, a
    number or a date (``Suivi post-création``: oui/non holds no name, whatever its header). Phone
    numbers are a contact's, not numbers: a ``Téléphone`` column of them holds personal data.
    """
    cells = values.dropna().astype(str).str.strip()
    cells = cells[cells != ""]
    if cells.empty:
        return False
    plain = ((cells.str.lower().isin(TRUE_WORDS | FALSE_WORDS) | cells.str.fullmatch(_NOT_A_NAME, case=False))
             & ~cells.str.fullmatch(_PHONE))
    return not bool(plain.all())


def holds_names(column: str, values: pd.Series | None = None) -> bool:
    """Whether a column holds names of people, structures or contacts: its name says so, and
    its cells, when given, are not all yes/no words, numbers or dates (:func:`values_hold_names`).

    ``Nom de la structure``, ``Chargé(e) de mission``, ``Contact``, ``Référent``, ``Prénom``,
    ``E-mail`` and ``Téléphone`` do; ``Type de structure``, ``Date du contact`` and
    ``Nom de la commune`` do not (see ``NAME_HEADER_WORDS``, ``NAME_HEADER_PHRASES``,
    ``NOT_NAME_FIRST_WORDS``, ``PLACE_HEADER_WORDS``); nor does ``Suivi post-création``
    when it holds ``oui`` and ``non``.
    """
    folded = normalise_name(column)
    words = folded.split("_")
    if not folded or words[0] in NOT_NAME_FIRST_WORDS or PLACE_HEADER_WORDS & set(words):
        return False
    named = bool(NAME_HEADER_WORDS & set(words)) or any(p in folded for p in NAME_HEADER_PHRASES)
    return named and (values is None or values_hold_names(values))

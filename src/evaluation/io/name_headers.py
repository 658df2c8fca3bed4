"""Column headers that say a column holds names of people, structures or contacts (:func:`holds_names`)."""

from __future__ import annotations

from evaluation._text import normalise_name

__all__ = ["NAME_HEADER_WORDS", "NAME_HEADER_PHRASES", "NOT_NAME_FIRST_WORDS", "PLACE_HEADER_WORDS", "holds_names"]



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
    "personne", "personnes", "auteur", "autrice", "temoin", "interviewe", "interviewee", "suivi", "membre",
    "membres", "adherent", "adherente", "adherents",
})



#: Phrases (folded) that mark a name column even without one of ``NAME_HEADER_WORDS``.
NAME_HEADER_PHRASES = ("raison_sociale", "suivi_par", "e_mail", "charge_de_mission", "charge_e_de_mission")



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



def holds_names(column: str) -> bool:
    """Whether a column name says it holds names of people, structures or contacts.

    ``Nom de la structure``, ``Chargé(e) de mission``, ``Contact``, ``Référent``, ``Prénom``,
    ``E-mail`` and ``Téléphone`` do; ``Type de structure``, ``Date du contact`` and
    ``Nom de la commune`` do not (see ``NAME_HEADER_WORDS``, ``NAME_HEADER_PHRASES``,
    ``NOT_NAME_FIRST_WORDS``, ``PLACE_HEADER_WORDS``).
    """
    folded = normalise_name(column)
    words = folded.split("_")
    if not folded or words[0] in NOT_NAME_FIRST_WORDS or PLACE_HEADER_WORDS & set(words):
        return False
    return bool(NAME_HEADER_WORDS & set(words)) or any(p in folded for p in NAME_HEADER_PHRASES)

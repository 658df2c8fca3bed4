"""The partner survey's questionnaire as data: fields, wording in French and English, choices.

The same definitions write the XLSForm (:mod:`evaluation.io.survey.form`) and read the exports
(:mod:`evaluation.io.survey.layouts`, :mod:`evaluation.io.survey.answers`): a column is known by
its XLSForm name, its LimeSurvey code or its wording in either language, a value by its code,
its LimeSurvey code or its label in either language.

The relationship questions follow the PARTNER tool (Varda, Chandra, Stern & Lurie 2008; Varda
et al. 2012): for each partner, the intensity of the tie on the scale network-evaluation
surveys use (awareness < cooperation < coordination < integration; Himmelman 2002, Provan et
al. 2005), three trust items (reliability, support of the shared mission, openness to
discussion) and three value items (power and influence, level of involvement, resources
brought), each on PARTNER's 4-point scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation._text import normalise_name
from evaluation.io.schema import ACTOR_KINDS, INTENSITY_LEVELS, VALUE_ALIASES

__all__ = ["Choice", "CHOICES", "TRUST_ITEMS", "VALUE_ITEMS", "ITEMS", "MAIN_FIELDS", "PARTNER_FIELDS",
           "OTHER_FIELDS", "REPEATS", "LABELS", "LIMESURVEY", "OTHER_WORDS", "OTHER_ACTOR", "OTHER_COMMUNE", "SURVEY_FOLDER", "choice_codes",
           "limesurvey_code"]

#: The sub-folder of a data folder holding the survey's exports (one file, zip or set of CSV per wave).
SURVEY_FOLDER = "enquete"


@dataclass(frozen=True)
class Choice:
    """One answer of a choice list: its code (the XLSForm choice name), labels, LimeSurvey code."""

    name: str
    fr: str
    en: str
    ls: str


_KIND_EN = {"association": "Association", "ess_enterprise": "Social economy enterprise", "business": "Business",
            "local_authority": "Local authority", "social_landlord": "Social landlord",
            "residents_group": "Residents' group", "institution": "Public institution"}
_KIND_LS = {"association": "ASSO", "ess_enterprise": "ESS", "business": "ENTR", "local_authority": "COLL",
            "social_landlord": "BAIL", "residents_group": "HAB", "institution": "INST"}

#: The choice lists of the form (XLSForm ``list_name`` → answers).
CHOICES: dict[str, tuple[Choice, ...]] = {
    "intensite": tuple(Choice(code, fr, en, str(k + 1)) for k, (code, fr, en) in enumerate(zip(INTENSITY_LEVELS, (
        "Nous nous connaissons et échangeons parfois des informations",
        "Nous coopérons ponctuellement : aide, services, prêt de moyens",
        "Nous coordonnons nos actions : calendriers, projets, orientation de publics",
        "Nous agissons ensemble : projet commun, moyens ou décisions partagés"), (
        "We know each other and sometimes exchange information",
        "We cooperate from time to time: help, services, lending resources",
        "We coordinate our activities: schedules, projects, referrals",
        "We act together: a joint project, shared resources or decisions"), strict=True))),
    "echelle": tuple(Choice(str(k), fr, en, str(k)) for k, fr, en in (
        (1, "Pas du tout", "Not at all"), (2, "Un peu", "A small amount"), (3, "Assez", "A fair amount"),
        (4, "Beaucoup", "A great deal"))),
    "types": tuple(Choice(code, VALUE_ALIASES[code][0], _KIND_EN[code], _KIND_LS[code]) for code in ACTOR_KINDS),
    "oui_non": (Choice("oui", "Oui", "Yes", "Y"), Choice("non", "Non", "No", "N")),
}

#: Trust and value items (canonical names), PARTNER's two scores.
TRUST_ITEMS = ("reliability", "mission", "openness")
VALUE_ITEMS = ("influence", "involvement", "resources")
ITEMS = TRUST_ITEMS + VALUE_ITEMS

#: The canonical column of each XLSForm name, per part of the form (the main questionnaire, the
#: repeat over the listed partners the respondent knows, the repeat over partners not listed).
MAIN_FIELDS = {"territoire": "territory", "vague": "wave", "date_vague": "wave_date", "repondant": "respondent",
               "repondant_autre": "respondent_other", "type_structure": "kind", "commune": "commune_code",
               "commune_autre": "commune_other", "participation": "attended"}
PARTNER_FIELDS = {"partenaire": "partner", "intensite": "intensity", "fiabilite": "reliability",
                  "mission": "mission", "ouverture": "openness", "influence": "influence",
                  "implication": "involvement", "ressources": "resources"}
OTHER_FIELDS = {"autre_nom": "partner_name", "autre_type": "partner_kind", "autre_intensite": "intensity",
                "autre_fiabilite": "reliability", "autre_mission": "mission", "autre_ouverture": "openness",
                "autre_influence": "influence", "autre_implication": "involvement",
                "autre_ressources": "resources"}
#: The repeat groups (XLSForm names) and their fields.
REPEATS = {"partenaires": PARTNER_FIELDS, "autres": OTHER_FIELDS}

_ITEM_WORDING = {  # canonical item → (French, English), « {who} » the partner's name
    "reliability": ("Dans quelle mesure {who} est-elle fiable (elle tient ses engagements) ?",
                    "How reliable is {who} (does it follow through on commitments)?"),
    "mission": ("Dans quelle mesure {who} soutient-elle la mission que vous poursuivez sur le territoire ?",
                "How much does {who} support the mission you pursue in the territory?"),
    "openness": ("Dans quelle mesure {who} est-elle ouverte à la discussion ?",
                 "How open to discussion is {who}?"),
    "influence": ("Dans quelle mesure {who} a-t-elle de l'influence sur le territoire ?",
                  "How much power and influence does {who} have in the territory?"),
    "involvement": ("Dans quelle mesure {who} s'implique-t-elle dans le travail commun ?",
                    "How involved is {who} in the shared work?"),
    "resources": ("Dans quelle mesure {who} apporte-t-elle des ressources (moyens, compétences, contacts) ?",
                  "How much does {who} contribute resources (funding, skills, contacts)?"),
}
_INTENSITY_WORDING = ("Avec {who}, votre relation est plutôt :", "With {who}, your relationship is mostly:")


def _partner_labels(prefix: str, who: str) -> dict[str, tuple[str, str]]:
    fields = PARTNER_FIELDS if not prefix else OTHER_FIELDS
    out = {f"{prefix}intensite": tuple(t.format(who=who) for t in _INTENSITY_WORDING)}
    for name, canonical in fields.items():
        if canonical in _ITEM_WORDING:
            out[name] = tuple(t.format(who=who) for t in _ITEM_WORDING[canonical])
    return out


#: The wording of each question (XLSForm name → French, English), as the form shows it and as a
#: KoboToolbox export « with labels » writes it in its headers.
LABELS: dict[str, tuple[str, str]] = {
    "repondant": ("Quelle structure représentez-vous ?", "Which organisation do you represent?"),
    "repondant_autre": ("Nom de votre structure", "Name of your organisation"),
    "type_structure": ("Type de votre structure", "Kind of your organisation"),
    "commune": ("Commune de votre structure", "Municipality of your organisation"),
    "commune_autre": ("Nom de la commune", "Name of the municipality"),
    "participation": ("Avez-vous participé à au moins une rencontre, un atelier ou un comité organisé par le "
                      "Pôle ou au tiers-lieu au cours de l'année écoulée ?",
                      "Did you attend at least one meeting, workshop or committee organised by the support "
                      "organisation or at the tiers-lieu in the past year?"),
    "connus": ("Parmi ces structures, lesquelles connaissez-vous ?", "Which of these organisations do you know?"),
    **_partner_labels("", "« ${partenaire_nom} »"),
    "autres_partenaires": ("Travaillez-vous avec d'autres structures du territoire qui ne sont pas dans la liste ?",
                           "Do you work with other organisations of the territory that are not in the list?"),
    "autre_nom": ("Nom de la structure", "Name of the organisation"),
    "autre_type": ("Type de cette structure", "Kind of this organisation"),
    **_partner_labels("autre_", "« ${autre_nom} »"),
}

#: The XLSForm name of each LimeSurvey question code. A LimeSurvey survey has no repeat group, so
#: the listed partners are the sub-questions of arrays (one per actor, coded after its ``actor_id``)
#: and the partners not listed the sub-questions ``SQ001``… of the ``AUTRE…`` arrays.
LIMESURVEY: dict[str, str] = {
    "TERRITOIRE": "territoire", "VAGUE": "vague", "DATEVAGUE": "date_vague", "REPONDANT": "repondant",
    "TYPE": "type_structure", "COMMUNE": "commune", "PARTICIPATION": "participation", "CONNUS": "connus",
    "INTENSITE": "intensite", "FIABILITE": "fiabilite", "MISSION": "mission", "OUVERTURE": "ouverture",
    "INFLUENCE": "influence", "IMPLICATION": "implication", "RESSOURCES": "ressources",
    "AUTRENOM": "autre_nom", "AUTRETYPE": "autre_type", "AUTREINT": "autre_intensite",
    "AUTREFIAB": "autre_fiabilite", "AUTREMISS": "autre_mission", "AUTREOUV": "autre_ouverture",
    "AUTREINFL": "autre_influence", "AUTREIMPL": "autre_implication", "AUTRERESS": "autre_ressources",
}

#: The « autre » answers of the lists of actors and of communes (French, English), as the form labels them.
OTHER_ACTOR = ("Autre structure (pas dans la liste)", "Another organisation (not in the list)")
OTHER_COMMUNE = ("Autre commune", "Another municipality")
#: Answers that mean « another, not in the list » (XLSForm's ``autre`` and its labels, LimeSurvey's ``-oth-``),
#: folded (:func:`~evaluation._text.normalise_name`).
OTHER_WORDS = frozenset({"autre", "other", "oth", *(normalise_name(t) for t in OTHER_ACTOR + OTHER_COMMUNE)})


def choice_codes(list_name: str) -> dict[str, str]:
    """Folded spelling (:func:`~evaluation._text.normalise_name`) → code, for every way an export writes
    an answer of ``list_name``: its code, LimeSurvey code, French and English labels (and, for the kinds
    of actors, the French words of :data:`evaluation.io.schema.VALUE_ALIASES`).
    """
    out: dict[str, str] = {}
    for c in CHOICES[list_name]:
        words = (c.name, c.ls, c.fr, c.en) + (VALUE_ALIASES.get(c.name, ()) if list_name == "types" else ())
        out.update({normalise_name(w): c.name for w in words})
    return out


def limesurvey_code(actor_id: str) -> str:
    """The LimeSurvey sub-question code of an actor: its id without what LimeSurvey refuses
    (letters and digits only, starting with a letter): ``A-012`` → ``A012``, ``12`` → ``A12``.
    """
    code = "".join(ch for ch in str(actor_id) if ch.isascii() and ch.isalnum())
    return code if code[:1].isalpha() else f"A{code}"

"""What can be wrong in the partner survey's exports, in English and French, with how to fix it.

The same form as :data:`evaluation.problems.CATALOGUE`, which takes these entries in:
``code → (problem, fix, problème, correction)`` :meth:`str.format` templates. Kept apart so that
the catalogue's module stays under the size limit; nothing here imports anything.
"""

from __future__ import annotations

__all__ = ["SURVEY_PROBLEMS"]

_EXPORT = ("export the answers again from the tool (guide « Enquête partenaires »), or move the file out of the "
           "survey folder",
           "réexporter les réponses depuis l'outil (guide « Enquête partenaires »), ou sortir le fichier du dossier de "
           "l'enquête")

#: Problems of the survey's exports, errors (the notices of what was left out or repaired are
#: ``survey_incomplete``, ``survey_unlisted`` and ``survey_commune_unread``).
SURVEY_PROBLEMS: dict[str, tuple[str, str, str, str]] = {
    "survey_folder_empty": (
        "no export of the partner survey in this folder", "put the exports of KoboToolbox, ODK Central or "
        "LimeSurvey in it (one file, zip or set of CSV per wave)",
        "aucun export de l'enquête partenaires dans ce dossier", "y placer les exports de KoboToolbox, ODK Central "
        "ou LimeSurvey (un fichier, zip ou jeu de CSV par vague)"),
    "survey_layout_unknown": (
        "not an export of the partner survey (KoboToolbox XLSX or CSV, ODK Central CSV or zip, LimeSurvey CSV with "
        "question codes as headings)", _EXPORT[0],
        "pas un export de l'enquête partenaires (XLSX ou CSV de KoboToolbox, CSV ou zip d'ODK Central, CSV de "
        "LimeSurvey avec les codes des questions en titres)", _EXPORT[1]),
    "survey_repeats_missing": (
        "no answer about partners: this export leaves out the repeat groups (KoboToolbox's CSV export does)",
        "export as XLSX (one sheet per repeat group), or as KoboToolbox's legacy CSV",
        "aucune réponse sur les partenaires : cet export omet les groupes répétés (c'est le cas du CSV de "
        "KoboToolbox)", "exporter en XLSX (une feuille par groupe répété), ou en CSV « legacy » de KoboToolbox"),
    "survey_repeat_alone": (
        "an ODK Central repeat file without its main file", "put the zip ODK Central gives, or all its CSV files "
        "(<form>.csv and <form>-<repeat>.csv), in the folder",
        "un fichier de groupe répété d'ODK Central sans son fichier principal", "déposer le zip d'ODK Central, ou "
        "tous ses fichiers CSV (<formulaire>.csv et <formulaire>-<groupe>.csv), dans le dossier"),
    "survey_orphan": (
        "answers about a partner whose questionnaire is not in the export", "export all the submissions again "
        "(do not delete rows of the main sheet or file)",
        "réponses sur un partenaire dont le questionnaire n'est pas dans l'export", "réexporter toutes les "
        "soumissions (sans supprimer de lignes de la feuille ou du fichier principal)"),
    "survey_self_tie": (
        "the respondent rates its own structure", "delete this answer in the tool, then export again",
        "le répondant évalue sa propre structure", "supprimer cette réponse dans l'outil, puis réexporter"),
    "survey_partner_twice": (
        "the same structure is rated twice in one questionnaire", "keep one of the answers",
        "la même structure est évaluée deux fois dans un questionnaire", "ne garder qu'une des réponses"),
    "survey_respondent_twice": (
        "the same structure answered twice in wave {wave}", "keep one questionnaire per structure and wave (delete "
        "the other in the tool, then export again)",
        "la même structure a répondu deux fois à la vague {wave}", "ne garder qu'un questionnaire par structure et "
        "par vague (supprimer l'autre dans l'outil, puis réexporter)"),
    "survey_wave_dates": (
        "wave {wave} has several dates ({dates})", "one form per wave: make it with `evaluation survey form "
        "TERRITORY --wave NAME --date DATE` and give each wave its own name",
        "la vague {wave} a plusieurs dates ({dates})", "un formulaire par vague : le produire avec `evaluation survey "
        "form TERRITOIRE --wave NOM --date DATE` et donner à chaque vague son propre nom"),
    "survey_incomplete": (
        "{count} incomplete response(s) (no submission date): not read", "nothing to do",
        "{count} réponse(s) incomplète(s) (sans date d'envoi) : non lue(s)", "rien à faire"),
    "survey_unlisted": (
        "a structure chosen in the list is not in the actors table: counted outside the list",
        "check that the actors table is the one the form was made from",
        "une structure choisie dans la liste est absente de la table des acteurs : comptée hors liste",
        "vérifier que la table des acteurs est celle dont le formulaire est issu"),
    "survey_commune_unread": (
        "commune not recognised: left empty", "choose the commune in the list, or write its INSEE code",
        "commune non reconnue : laissée vide", "choisir la commune dans la liste, ou écrire son code INSEE"),
}

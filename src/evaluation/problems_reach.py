"""The texts of the problems of reach's inputs (issue 28): QPV population files, the QPV and denominators of
``territories.yml``, the ``in_qpv`` column and a commune named beside its code.

Each entry is ``(en, fix_en, fr, fix_fr)``, made a :class:`evaluation.problems.Message` of
:data:`evaluation.problems.CATALOGUE` (kept apart so that the catalogue stays under 450 lines).
"""

from __future__ import annotations

__all__ = ["REACH_PROBLEMS"]

REACH_PROBLEMS: dict[str, tuple[str, str, str, str]] = {
    # ---- exports
    "qpv_value_invalid": (
        "neither yes/no, 'don't know' nor a QPV code",
        "write oui, non, « ne sait pas » (or leave empty when unknown), or the QPV's code (e.g. QN02104M)",
        "ni oui/non, ni « ne sait pas », ni un code de QPV",
        "écrire oui, non, « ne sait pas » (ou laisser vide si on ne sait pas), ou le code du QPV (ex. QN02104M)"),
    "commune_name_mismatch": (
        "the commune named here is not the commune of code {commune} ({reference_name} in the reference)",
        "correct the code or the name (is the code a postcode, or the commune of another row?)",
        "la commune nommée ici n'est pas celle du code {commune} ({reference_name} dans le référentiel)",
        "corriger le code ou le nom (le code est-il un code postal, ou celui d'une autre ligne ?)"),
    # ---- QPV populations (INSEE, observatory, or a hand-made table)
    "qpv_file_missing": (
        "QPV population file not found in {folder}",
        "download the populations of the QPV (INSEE, « Données sur les quartiers 2024 de la politique de la ville ») "
        "and give its path with --qpv-file",
        "fichier des populations des QPV absent de {folder}",
        "télécharger les populations des QPV (INSEE, « Données sur les quartiers 2024 de la politique de la ville ») "
        "et donner son chemin avec --qpv-file"),
    "qpv_no_header": (
        "no QPV code column (CODE_QP, QP, CODGEO or qpv_code, above QPV codes such as QN02104M) in the first 40 "
        "rows of any sheet",
        "give the file as published, or a table qpv_code; qpv_name; commune_code; population; year; source",
        "aucune colonne de codes de QPV (CODE_QP, QP, CODGEO ou qpv_code, au-dessus de codes comme QN02104M) dans "
        "les 40 premières lignes",
        "fournir le fichier tel que publié, ou un tableau qpv_code; qpv_name; commune_code; population; year; source"),
    "qpv_code_malformed": (
        "not a QPV code (QN + 6 characters for the 2024 list, QP + 6 for the 2015 list)",
        "correct the code (e.g. QN02104M)",
        "pas un code de QPV (QN + 6 caractères pour la liste 2024, QP + 6 pour la liste 2015)",
        "corriger le code (ex. QN02104M)"),
    "qpv_population_invalid": (
        "not a population (a whole number ≥ 0, or empty when not published)",
        "give the number of inhabitants as published, or leave the cell empty",
        "pas une population (un entier ≥ 0, ou vide si elle n'est pas publiée)",
        "indiquer le nombre d'habitants publié, ou laisser la cellule vide"),
    # ---- territories.yml
    "qpv_invalid": (
        "'qpv' must be a list of mappings with a 'code' (QN… or QP…) or a 'name' and a 'commune'",
        "write qpv: [{{code: QN02104M}}] or qpv: [{{name: Le Mail, commune: '21166'}}]",
        "'qpv' doit être une liste de quartiers avec un 'code' (QN… ou QP…) ou un 'name' et une 'commune'",
        "écrire qpv: [{{code: QN02104M}}] ou qpv: [{{name: Le Mail, commune: '21166'}}]"),
    "denominators_invalid": (
        "'denominators' must map a programme ({programmes}) to {{variable: …, label: …}} (optional per: 100)",
        "write denominators: {{dla: {{variable: etablissements_employeurs_ess, label: établissements employeurs "
        "de l'ESS}}}}",
        "'denominators' doit associer à un programme ({programmes}) {{variable: …, label: …}} (per: 100 facultatif)",
        "écrire denominators: {{dla: {{variable: etablissements_employeurs_ess, label: établissements employeurs "
        "de l'ESS}}}}"),
}

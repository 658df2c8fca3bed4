"""What can be wrong in an evaluator's files, said in French or English, with how to fix it.

Loaders do not write messages: they record a problem *code* and its parameters with a
:class:`Problems` collector (one call per kind of problem and column, for all the rows at
once). The table shown to the user is rendered from :data:`CATALOGUE` in the language
asked for, once per distinct message rather than once per row, so a file with a million
broken cells is reported as fast as one with three.

Columns of a rendered problems table (``PROBLEM_COLUMNS``): ``file``, ``row`` (as the
user sees it in a spreadsheet, header = row 1; for ``territories.yml`` the line), ``column``,
``value``, ``problem`` (what is wrong), ``fix`` (how to fix it) and ``code`` (stable
identifier of the kind of problem, for programs and tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["Lang", "LANGS", "Message", "CATALOGUE", "PROBLEM_COLUMNS", "Problems", "render_problems"]

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem", "fix", "code"]
_RAW_COLUMNS = ["file", "row", "column", "value", "code", "params"]


@dataclass(frozen=True)
class Message:
    """One kind of problem: what is wrong and how to fix it, in English and in French.

    The texts are :meth:`str.format` templates; ``{value}``, ``{column}`` and ``{file}``
    are always available, other fields come from the parameters recorded with the problem.
    """

    en: str
    fix_en: str
    fr: str
    fix_fr: str


#: Every problem a loader or the territories file can report.
CATALOGUE: dict[str, Message] = {
    # ---- files
    "folder_missing": Message(
        "data folder not found", "check the path given with --data (or data_dir in the notebook)",
        "dossier de données introuvable", "vérifier le chemin donné avec --data (ou data_dir dans le carnet)"),
    "file_missing": Message(
        "file not found in {folder}", "export the table as {table}.csv or {table}.xlsx into that folder",
        "fichier absent de {folder}", "exporter la table sous le nom {table}.csv ou {table}.xlsx dans ce dossier"),
    "two_files": Message(
        "two files for the same table", "keep only one of {table}.csv and {table}.xlsx",
        "deux fichiers pour la même table", "ne garder que {table}.csv ou {table}.xlsx"),
    "unreadable": Message(
        "the file cannot be read ({error})",
        "re-export it from the spreadsheet as CSV (UTF-8, ';' separator) or XLSX",
        "le fichier est illisible ({error})",
        "le réexporter depuis le tableur en CSV (UTF-8, séparateur « ; ») ou en XLSX"),
    "file_is_csv": Message(
        "this file is a CSV named {suffix}", "rename it {stem}.csv",
        "ce fichier est un CSV nommé {suffix}", "renommez-le {stem}.csv"),
    "file_is_xlsx": Message(
        "this file is an Excel workbook (XLSX) named .csv", "rename it {stem}.xlsx",
        "ce fichier est un classeur Excel (XLSX) nommé .csv", "renommez-le {stem}.xlsx"),
    "file_is_xls": Message(
        "this file is an old Excel workbook (.xls)",
        "open it in the spreadsheet and save it as {stem}.xlsx (Excel workbook) or {stem}.csv",
        "ce fichier est un ancien classeur Excel (.xls)",
        "l'ouvrir dans le tableur et l'enregistrer sous {stem}.xlsx (classeur Excel) ou {stem}.csv"),
    "cells_beyond_header": Message(
        "this row has more cells than there are column names (a '{sep}' inside a text without quotes?)",
        "put the text between double quotes, or remove the extra separator",
        "cette ligne a plus de cellules que de noms de colonnes (un « {sep} » dans un texte sans guillemets ?)",
        "mettre le texte entre guillemets droits, ou retirer le séparateur en trop"),
    "no_rows": Message(
        "the file has no data rows", "export the table with its rows, or remove the file if the table is not used",
        "le fichier ne contient aucune ligne de données",
        "réexporter la table avec ses lignes, ou retirer le fichier si la table ne sert pas"),
    "read_options_invalid": Message(
        "invalid reading options: {error}",
        "write one entry per table, e.g. accompaniments: {{sep: ';', encoding: cp1252, header_row: 3}}",
        "options de lecture invalides : {error_fr}",
        "écrire une entrée par table, ex. accompaniments: {{sep: ';', encoding: cp1252, header_row: 3}}"),
    "table_needed": Message(
        "needs the {table} table, which is missing", "add {table}.csv (or .xlsx) to the data folder",
        "nécessite la table {table}, absente", "ajouter {table}.csv (ou .xlsx) au dossier de données"),
    # ---- columns
    "column_duplicated": Message(
        "column appears more than once", "rename or delete one of the columns named like this",
        "colonne présente plusieurs fois", "renommer ou supprimer l'une des colonnes de ce nom"),
    "column_missing": Message(
        "missing column (columns found: {found})", "add a column named {column}{aliases_en}",
        "colonne manquante (colonnes trouvées : {found})", "ajouter une colonne nommée {column}{aliases_fr}"),
    # ---- cells
    "value_empty": Message(
        "empty cell in a required column", "fill in the cell",
        "cellule vide dans une colonne obligatoire", "remplir la cellule"),
    "choice_unknown": Message(
        "unknown value (not one of the allowed values)",
        "use one of: {choices} (or their French names: {names}; case and accents do not matter)",
        "valeur inconnue (pas l'une des valeurs admises)",
        "utiliser l'une des valeurs : {names} (ou les codes {choices} ; majuscules et accents indifférents)"),
    "commune_malformed": Message(
        "not an INSEE commune code",
        "give the commune's 5-character INSEE code (e.g. 21166 for Chenôve), not its postcode",
        "pas un code commune INSEE",
        "indiquer le code INSEE à 5 caractères de la commune (ex. 21166 pour Chenôve), pas son code postal"),
    "commune_unknown": Message(
        "commune code not in the commune reference",
        "check the code in INSEE's Code officiel géographique; for communes of another département, build "
        "its reference (`evaluation reference --departements …`) and give it with --reference DIR",
        "code commune absent du référentiel des communes",
        "vérifier le code dans le Code officiel géographique de l'INSEE ; pour les communes d'un autre "
        "département, construire son référentiel (`evaluation reference --departements …`) et le donner avec "
        "--reference DIR"),
    "territory_codes_unknown": Message(
        "the territory names codes absent from the commune reference: {codes}",
        "check the codes; for another département, build its reference (`evaluation reference --departements "
        "…`) and give it with --reference DIR",
        "le territoire cite des codes absents du référentiel des communes : {codes}",
        "vérifier les codes ; pour un autre département, construire son référentiel (`evaluation reference "
        "--departements …`) et le donner avec --reference DIR"),
    "commune_arrondissement": Message(
        "code of a municipal arrondissement of {name}: the commune reference counts {name} as one commune",
        "replace {value} by {commune}",
        "code d'un arrondissement municipal de {name} : le référentiel des communes compte {name} comme une "
        "seule commune",
        "remplacer {value} par {commune}"),
    "territory_epci_cut": Message(
        "the territory's EPCI is cut by the commune reference's border: {epcis}",
        "build a reference with the département(s) {departements} (`{command}`) and give it with --reference DIR, "
        "or write `partial_epci: true` in the territory to evaluate the part inside the reference",
        "l'EPCI du territoire est coupé par la limite du référentiel des communes : {epcis_fr}",
        "construire un référentiel avec le(s) département(s) {departements} (`{command}`) et le donner avec "
        "--reference DIR, ou écrire `partial_epci: true` dans le territoire pour évaluer la partie dans le "
        "référentiel"),
    "commune_merged": Message(
        "commune code no longer exists: {name} has merged into {successor_name} ({successor})",
        "replace {value} by {successor}",
        "ce code commune n'existe plus : {name} a fusionné dans {successor_name} ({successor})",
        "remplacer {value} par {successor}"),
    "bool_invalid": Message(
        "not a yes/no value", "write oui or non (vrai/faux, true/false and 1/0 also work)",
        "pas une valeur oui/non", "écrire oui ou non (vrai/faux, true/false et 1/0 conviennent aussi)"),
    "date_invalid": Message(
        "not a date", "write the date as dd/mm/yyyy (e.g. 03/02/2022) and check that the day exists",
        "pas une date", "écrire la date au format jj/mm/aaaa (ex. 03/02/2022) et vérifier que le jour existe"),
    "date_out_of_range": Message(
        "date out of the plausible range ({first} to {last})", "check the year",
        "date hors de la période plausible ({first} – {last})", "vérifier l'année"),
    "int_invalid": Message(
        "not a whole number", "write a whole number without units or text (e.g. 3)",
        "pas un nombre entier", "écrire un nombre entier, sans unité ni texte (ex. 3)"),
    "number_invalid": Message(
        "not a number", "write a number (a decimal comma is fine, e.g. 2,5)",
        "pas un nombre", "écrire un nombre (la virgule décimale convient, ex. 2,5)"),
    "below_minimum": Message(
        "must be at least {minimum}", "correct the value: a count of jobs cannot be negative",
        "doit valoir au moins {minimum}", "corriger la valeur : un nombre d'emplois ne peut pas être négatif"),
    "id_duplicated": Message(
        "duplicated identifier", "give each row its own identifier, or delete the repeated row",
        "identifiant en double", "donner à chaque ligne son propre identifiant, ou supprimer la ligne répétée"),
    "end_before_start": Message(
        "end date before start date", "correct the dates (are they swapped?)",
        "date de fin antérieure à la date de début", "corriger les dates (sont-elles inversées ?)"),
    "actor_unknown": Message(
        "unknown actor (not in {target})", "add the actor to {target}, or correct the identifier",
        "acteur inconnu (absent de {target})", "ajouter l'acteur à {target}, ou corriger l'identifiant"),
    "event_unknown": Message(
        "unknown event (not in {target})", "add the event to {target}, or correct the identifier",
        "événement inconnu (absent de {target})", "ajouter l'événement à {target}, ou corriger l'identifiant"),
    "self_tie": Message(
        "an actor cannot collaborate with itself", "correct actor_a or actor_b, or delete the row",
        "un acteur ne peut pas collaborer avec lui-même", "corriger actor_a ou actor_b, ou supprimer la ligne"),
    "tie_duplicated": Message(
        "the same collaboration is declared twice (same pair, kind and date)", "delete one of the rows",
        "la même collaboration est déclarée deux fois (même paire, nature et date)", "supprimer l'une des lignes"),
    "territory_unknown": Message(
        "territory not defined in {target}", "use one of: {slugs}; or add the territory to {target}",
        "territoire non défini dans {target}", "utiliser l'un de : {slugs} ; ou ajouter le territoire à {target}"),
    # ---- INSEE density grid
    "density_file_missing": Message(
        "INSEE density file not found in {folder}",
        "download the 'grille communale de densité à 7 niveaux' from insee.fr and give its path with --density-file",
        "fichier de densité de l'INSEE absent de {folder}",
        "télécharger la « grille communale de densité à 7 niveaux » sur insee.fr et donner son chemin avec "
        "--density-file"),
    "density_no_header": Message(
        "no 'CODGEO' header in the first 40 rows of any sheet (INSEE's layout expected)",
        "give INSEE's file as published (XLSX or CSV), without renaming its columns",
        "aucun en-tête « CODGEO » dans les 40 premières lignes (présentation de l'INSEE attendue)",
        "fournir le fichier de l'INSEE tel que publié (XLSX ou CSV), sans renommer ses colonnes"),
    "density_level_invalid": Message(
        "not a density level (1 to 7)", "give INSEE's file as published; levels are whole numbers from 1 to 7",
        "pas un niveau de densité (1 à 7)",
        "fournir le fichier de l'INSEE tel que publié ; les niveaux sont des entiers de 1 à 7"),
    # ---- territories.yml
    "territories_missing": Message(
        "territories file not found", "create it (copy data/raw/territories.yml) or give its path with --territories",
        "fichier des territoires introuvable",
        "le créer (copier data/raw/territories.yml) ou donner son chemin avec --territories"),
    "yaml_invalid": Message(
        "not valid YAML: {error}", "correct the line shown (indent with spaces, put ':' after each key, "
        "write dates as YYYY-MM-DD)",
        "YAML invalide : {error_fr}", "corriger la ligne indiquée (indentation par espaces, « : » après chaque "
        "clé, dates au format AAAA-MM-JJ)"),
    "yaml_top_level": Message(
        "expected a top-level 'territories' mapping (or a 'generate' list) with at least one territory",
        "start the file with 'territories:' followed by one indented block per territory",
        "une rubrique 'territories' (ou une liste 'generate') avec au moins un territoire est attendue",
        "commencer le fichier par 'territories:' suivi d'un bloc indenté par territoire"),
    "slug_invalid": Message(
        "the slug must be lowercase letters, digits and hyphens", "rename it, e.g. {suggestion}",
        "l'identifiant ne doit contenir que minuscules, chiffres et tirets", "le renommer, par ex. {suggestion}"),
    "territory_not_mapping": Message(
        "expected a mapping of settings", "indent label:, split_date: … under the territory",
        "des réglages sont attendus sous le territoire", "indenter label:, split_date: … sous le territoire"),
    "unknown_keys": Message(
        "unknown settings {keys}", "remove them or correct their spelling; allowed: {allowed}",
        "réglages inconnus {keys}", "les retirer ou corriger leur orthographe ; réglages admis : {allowed}"),
    "label_missing": Message(
        "'label' (the French name) is required", "add label: with the territory's name",
        "'label' (le nom en français) est obligatoire", "ajouter label: avec le nom du territoire"),
    "label_markup": Message(
        "'label' contains '<' or '>' (it would be read as HTML in the report)", "write the name without < or >",
        "'label' contient '<' ou '>' (lu comme du HTML dans le rapport)", "écrire le nom sans < ni >"),
    "label_is_a_name": Message(
        "this label, published as written, contains the name {name!r} of {source}",
        "name the place or role without the structure's or person's name",
        "ce libellé, publié tel quel, contient le nom {name!r} de {source_fr}",
        "désigner le lieu ou le rôle sans le nom de la structure ou de la personne"),
    "name_is_a_report_word": Message(
        "read as a name (its header says so), this cell is also a phrase the reports print: refused at publication",
        "if the column holds no names, rename its header; otherwise write the name in full",
        "lue comme un nom (d'après l'en-tête), cette cellule est aussi une expression des rapports : refus à la "
        "publication", "si la colonne ne contient pas de noms, renommer son en-tête ; sinon écrire le nom en entier"),
    "label_has_identifier": Message(
        "this label, published as written, contains {what}",
        "write the label without it (a public place's address may stay)",
        "ce libellé, publié tel quel, contient {what_fr}",
        "écrire le libellé sans elle (l'adresse d'un lieu public peut rester)"),
    "identifier_in_column": Message(
        "printed as written in the reports, these rows hold {what} (not shown here)",
        "remove it from these cells: only testimonies, event titles and collaboration sources are redacted",
        "imprimée telle quelle dans les rapports, ces lignes contiennent {what_fr} (non reproduit ici)",
        "l'en retirer : seuls les témoignages, intitulés d'événements et sources de collaborations sont expurgés"),
    "coordinates_invalid": Message(
        "'lat'/'lon' out of range (latitude −90 to 90, longitude −180 to 180)",
        "give the site's latitude and longitude in degrees (WGS 84), e.g. lat: 47.29, lon: 5.04, or its commune",
        "'lat'/'lon' hors des bornes (latitude de −90 à 90, longitude de −180 à 180)",
        "indiquer la latitude et la longitude du lieu en degrés (WGS 84), ex. lat: 47.29, lon: 5.04, ou sa commune"),
    "venue_commune_missing": Message(
        "the tiers-lieu ('venue') needs a 'commune' (its INSEE code): its reach is counted by commune",
        "add commune: with the INSEE code of the commune where the tiers-lieu is",
        "le tiers-lieu ('venue') doit avoir une 'commune' (code INSEE) : sa portée se compte par commune",
        "ajouter commune: avec le code INSEE de la commune du tiers-lieu"),
    "split_date_invalid": Message(
        "'split_date' is not a date", "write it as YYYY-MM-DD, e.g. 2020-01-01",
        "'split_date' n'est pas une date", "l'écrire au format AAAA-MM-JJ, ex. 2020-01-01"),
    "split_date_missing": Message(
        "'split_date' (YYYY-MM-DD) is required", "add split_date: with the date that separates the two periods",
        "'split_date' (AAAA-MM-JJ) est obligatoire", "ajouter split_date: avec la date qui sépare les deux périodes"),
    "list_expected": Message(
        "'{key}' must be a list", "write {key}: ['…', '…']",
        "'{key}' doit être une liste", "écrire {key}: ['…', '…']"),
    "codes_malformed": Message(
        "'{key}' has malformed codes {bad}", "use {expected}",
        "'{key}' contient des codes mal formés {bad}", "utiliser {expected_fr}"),
    "no_area": Message(
        "give at least one of 'communes', 'epcis', 'departements', 'regions'",
        "list the territory's communes (INSEE codes), EPCI (SIREN), départements or régions",
        "indiquer au moins l'un de 'communes', 'epcis', 'departements', 'regions'",
        "lister les communes (codes INSEE), EPCI (SIREN), départements ou régions du territoire"),
    "regions_unknown": Message(
        "unknown région code(s) {codes}", "use INSEE's région codes: {known}",
        "code(s) de région inconnu(s) {codes}", "utiliser les codes de région de l'INSEE : {known}"),
    "site_invalid": Message(
        "a site needs a 'label' and a 'commune' or 'lat'/'lon'", "add label: and commune: (its INSEE code)",
        "un lieu doit avoir un 'label' et une 'commune' ou 'lat'/'lon'", "ajouter label: et commune: (son code INSEE)"),
    "roles_invalid": Message(
        "'network_roles' must map actor ids to role labels", "write network_roles: {{A001: tiers-lieu}}",
        "'network_roles' doit associer des identifiants d'acteurs à des rôles",
        "écrire network_roles: {{A001: tiers-lieu}}"),
    "role_actor_unknown": Message(
        "actor listed in 'network_roles' but not in {target}", "correct the identifier, or add the actor to {target}",
        "acteur cité dans 'network_roles' mais absent de {target}",
        "corriger l'identifiant, ou ajouter l'acteur à {target}"),
    "milestones_invalid": Message(
        "'milestones' must map edition names (lowercase, digits, hyphens) to dates",
        "write milestones: {{convention: 2020-12-31, point-etape-1: 2022-12-31}}",
        "'milestones' doit associer des noms d'édition (minuscules, chiffres, tirets) à des dates",
        "écrire milestones: {{convention: 2020-12-31, point-etape-1: 2022-12-31}}"),
    "qpv_invalid": Message(
        "'qpv' must be a list of mappings with a 'name'", "write qpv: [{{name: Le Mail}}]",
        "'qpv' doit être une liste de quartiers avec un 'name'", "écrire qpv: [{{name: Le Mail}}]"),
    "generate_invalid": Message(
        "expected 'every_epci_of' (a département code) and 'split_date'",
        "write - {{every_epci_of: '21', split_date: 2020-01-01}}",
        "'every_epci_of' (un code de département) et 'split_date' sont attendus",
        "écrire - {{every_epci_of: '21', split_date: 2020-01-01}}"),
    "partial_epci_invalid": Message(
        "'partial_epci' must be true or false", "write partial_epci: true (or remove the key)",
        "'partial_epci' doit valoir true ou false", "écrire partial_epci: true (ou retirer la clé)"),
    "generate_no_epci": Message(
        "no EPCI of département {dep} in the commune reference",
        "check the code, or extend the reference with `evaluation reference --departements {dep}`",
        "aucun EPCI du département {dep} dans le référentiel des communes",
        "vérifier le code, ou étendre le référentiel avec `evaluation reference --departements {dep}`"),
    # ---- territories.yml: objectives (evaluation.geo.objectives)
    "objective_invalid": Message(
        "an objective needs 'indicator', 'baseline', 'target' and 'source' (missing: {missing})", "write {example}",
        "un objectif doit avoir 'indicator', 'baseline', 'target' et 'source' (absent : {missing})", "écrire {example}"),
    "objective_indicator_unknown": Message(
        "unknown indicator code", "use one of the codes of the indicator table (indicators.csv): {codes}",
        "code d'indicateur inconnu", "utiliser l'un des codes du tableau des indicateurs (indicators.csv) : {codes}"),
    "objective_value_invalid": Message(
        "not a valid value for {indicator}: expected {expected}", "write the value in the indicator's unit, e.g. "
        "{example}", "valeur invalide pour {indicator} : attendu {expected_fr}",
        "écrire la valeur dans l'unité de l'indicateur, ex. {example}"),
    "objective_date_invalid": Message(
        "not a date", "write it as YYYY-MM-DD, e.g. 2026-12-31",
        "pas une date", "l'écrire au format AAAA-MM-JJ, ex. 2026-12-31"),
    "objective_dates_order": Message(
        "the target's date ({target}) is not after the baseline's ({baseline})", "correct the dates (swapped?)",
        "la date de la cible ({target}) n'est pas après celle de la valeur de départ ({baseline})",
        "corriger les dates (sont-elles inversées ?)"),
    "objective_setting_invalid": Message(
        "'{key}' must be {expected}", "write {key}: {example}", "'{key}' doit être {expected_fr}",
        "écrire {key}: {example}"),
    "objective_direction_needed": Message(
        "the baseline equals the target: which way is better cannot be inferred",
        "add direction: increase (stay at or above the target) or decrease (stay at or below it)",
        "la valeur de départ égale la cible : le sens du progrès ne peut pas en être déduit",
        "ajouter direction: increase (rester au moins à la cible) ou decrease (rester au plus à la cible)"),
    "objective_direction_conflict": Message(
        "the direction contradicts the values (from {baseline} to {target})", "correct the direction or the values",
        "le sens contredit les valeurs (de {baseline} à {target})", "corriger le sens ou les valeurs"),
    "objective_duplicated": Message(
        "two objectives for the same indicator and target date", "keep one of them",
        "deux objectifs pour le même indicateur et la même date de cible", "n'en garder qu'un"),
    # ---- columns left out (information, not errors)
    "column_ignored": Message(
        "column not in the data model: not read", "nothing to do; if it holds one of the table's columns, "
        "rename it (see the documentation's list of columns and French names, guide « Vos exports »)",
        "colonne hors du modèle de données : non lue", "rien à faire ; si elle contient l'une des colonnes de la "
        "table, la renommer (voir la liste des colonnes et noms français de la documentation, guide « Vos exports »)"),
    "column_ignored_names": Message(
        "column not in the data model, holding names: not read; its names are removed from testimonies and "
        "titles", "nothing to do; better still, leave it out of the export",
        "colonne hors du modèle de données contenant des noms : non lue ; ses noms sont retirés des "
        "témoignages et des intitulés", "rien à faire ; mieux encore, la retirer de l'export"),
    # ---- repairs (notices, not errors)
    "leading_zero_repaired": Message(
        "commune code had lost its leading zero; read as 0{value}",
        "nothing to do; to keep the zero, format the column as text in the spreadsheet",
        "le code commune avait perdu son zéro initial ; lu comme 0{value}",
        "rien à faire ; pour garder le zéro, mettre la colonne au format texte dans le tableur"),
}


class Problems:
    """Collects problems while files are checked, to raise them all at once.

    Each :meth:`add` records one kind of problem for many rows; ``rows=None`` means the
    problem concerns the whole file or column.
    """

    def __init__(self) -> None:
        self._chunks: list[pd.DataFrame] = []

    def add(self, file: str, code: str, *, rows: Iterable | None = None, column: str | None = None,
            values: Iterable | None = None, **params: Any) -> None:
        """Record one problem of catalogue ``code`` in ``file`` (rows, column, values and the message's parameters)."""
        if code not in CATALOGUE:
            raise KeyError(f"no message for problem code {code!r}")
        rows = [None] if rows is None else list(rows)
        values = [None] * len(rows) if values is None else [None if v is None or v is pd.NA or v == "" else str(v)
                                                             for v in values]
        self._chunks.append(pd.DataFrame({
            "file": file, "row": pd.array(rows, dtype="Int64"), "column": column, "value": values,
            "code": code, "params": json.dumps(params, ensure_ascii=False, sort_keys=True, default=str),
        }))

    def extend(self, frame: pd.DataFrame) -> None:
        """Add the problems of another collector's :meth:`frame`."""
        self._chunks.append(frame[_RAW_COLUMNS])

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    def frame(self) -> pd.DataFrame:
        """The recorded problems, unrendered: ``file, row, column, value, code, params``."""
        if not self._chunks:
            return _empty(_RAW_COLUMNS)
        return pd.concat(self._chunks, ignore_index=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object) for c in columns})


def _format(template: str, fields: dict[str, Any]) -> str:
    class Blank(dict):
        def __missing__(self, key: str) -> str:
            return ""

    return template.format_map(Blank(fields))


def _text(x: object) -> str:
    return x if isinstance(x, str) else ""


def render_problems(raw: pd.DataFrame, *, lang: Lang = "en") -> pd.DataFrame:
    """Render recorded problems (:meth:`Problems.frame`) as the table shown to the user.

    Messages are formatted once per distinct (code, parameters, column, file), and per
    value only for messages that quote the value, rather than once per row. Rows are
    sorted by file, then row, keeping the order in which problems were found within a row.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    if raw.empty:
        return _empty(PROBLEM_COLUMNS)
    uses_value = {code: "{value}" in m.en + m.fix_en + m.fr + m.fix_fr for code, m in CATALOGUE.items()}
    keyed = raw[["code", "params", "column", "file"]].assign(
        value=raw["value"].where(raw["code"].map(uses_value).astype(bool)))
    group = keyed.groupby(list(keyed.columns), dropna=False, sort=False).ngroup().to_numpy()
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    texts = []
    for code, params, column, file, value in keyed.iloc[first].itertuples(index=False):
        message = CATALOGUE[code]
        fields = {"value": _text(value), "column": _text(column), "file": _text(file), **json.loads(params)}
        fields = {k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in fields.items()}
        problem, fix = (message.en, message.fix_en) if lang == "en" else (message.fr, message.fix_fr)
        texts.append((_format(problem, fields), _format(fix, fields)))
    texts = np.array(texts, dtype=object).reshape(-1, 2)[inverse]
    out = raw.drop(columns="params").assign(problem=texts[:, 0], fix=texts[:, 1])
    order = np.lexsort((np.arange(len(out)), out["row"].fillna(0).to_numpy(dtype="int64"),
                        out["file"].astype(str).to_numpy()))
    return out.iloc[order].reset_index(drop=True)[PROBLEM_COLUMNS]


"""The partner survey's exports, written by hand in each tool's layout, read to the same answers.

The same three questionnaires are written as KoboToolbox exports (XLSX with French labels and
group paths in the headers, XLSX with the form's codes, XLSX with English labels, the legacy
CSV with repeats flattened), as ODK Central's zip and its loose CSV files, and as LimeSurvey's
CSV (question codes as headings, a fourth, incomplete response): every layout must give the
answers written below, names pseudonymised with the actors table's key. Headers and labels are
written literally, as the tools write them from the form: a change of the form's wording that
old exports would no longer match fails here.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from evaluation.errors import ValidationError
from evaluation.io.pseudonyms import pseudonymise, resolve_key
from evaluation.io.survey.answers import read_survey

KEY = resolve_key(b"survey-test-key-0123456789")
NAMES = {"A001": "Régie du Lavoir", "A002": "Tiers-lieu du Mail", "A003": "Épicerie des Saules",
         "A004": "Jardins de la Combe"}


@pytest.fixture(scope="module")
def actors() -> pd.DataFrame:
    names = pd.Series(list(NAMES.values()), dtype="string")
    return pd.DataFrame({"actor_id": list(NAMES), "name": pseudonymise(names, KEY),
                         "kind": ["association", "ess_enterprise", "business", "residents_group"],
                         "commune_code": ["21166", "21166", "21166", "21231"]})


COMMUNES = pd.DataFrame({"commune_code": ["21166", "21231"], "commune_name": ["Chenôve", "Dijon"]})
OUTSIDE = str(pseudonymise(pd.Series(["Amicale du Plateau"], dtype="string"), KEY)[0])

# The answers every export holds: (respondent, kind, commune, attended) and the ties
# (respondent, partner, listed, from the list, partner's kind, intensity, six items).
EXPECTED_RESPONDENTS = pd.DataFrame({
    "respondent": ["A001", "A002", "A004"], "listed": [True, True, True],
    "kind": ["association", "ess_enterprise", "residents_group"], "commune_code": ["21166", "21166", "21231"],
    "attended": [True, True, False]})
EXPECTED_TIES = pd.DataFrame({
    "respondent": ["A001", "A001", "A001", "A002", "A004"], "partner": ["A002", "A003", OUTSIDE, "A001", "A001"],
    "listed": [True, True, False, True, True], "from_list": [True, True, False, True, True],
    "partner_kind": [None, None, "association", None, None],
    "intensity": ["coordination", "awareness", "cooperation", "cooperation", "integration"],
    "reliability": [4, 2, 3, 3, 4], "mission": [4, 3, 3, 4, 4], "openness": [3, 3, 3, 4, 4],
    "influence": [3, 1, 2, 3, 4], "involvement": [2, 1, 2, 3, 4], "resources": [4, 2, 2, 3, 4]})


def _canonical(answers) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = answers.respondents.sort_values("respondent").reset_index(drop=True)
    assert set(r["territory"]) == {"chenove"} and set(r["wave"]) == {"vague-1"}
    assert set(r["wave_date"]) == {pd.Timestamp("2024-03-15")}
    r = r[list(EXPECTED_RESPONDENTS.columns)].assign(commune_code=r["commune_code"].astype(str),
                                                      attended=r["attended"].astype(bool))
    t = answers.ties.sort_values(["respondent", "partner"], key=lambda s: s.astype(str)).reset_index(drop=True)
    t = t[list(EXPECTED_TIES.columns)].assign(intensity=t["intensity"].astype(str),
                                              **{c: t[c].astype(int) for c in EXPECTED_TIES.columns[6:]})
    return r, t


def _expected_ties() -> pd.DataFrame:
    return EXPECTED_TIES.sort_values(["respondent", "partner"]).reset_index(drop=True)


def _xlsx(path, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


# --------------------------------------------------------------------------- KoboToolbox
_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
         "__version__", "_tags", "_index"]
_SUB = ["_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid",
        "_submission__submission_time", "_submission__validation_status", "_submission__notes",
        "_submission__status", "_submission__submitted_by", "_submission___version__", "_submission__tags"]
MAIN = "Enquête partenaires chenove"


def _meta(k: int) -> list:
    return [50000 + k, f"uuid-{k}", "2024-03-15T09:00:00", "", "", "submitted_via_web", "", "v1", "", k]


def _sub(index: int, parent: int) -> list:
    return [index, MAIN, parent, 50000 + parent, f"uuid-{parent}", "2024-03-15T09:00:00", "", "",
            "submitted_via_web", "", "v1", ""]


def kobo_labels_fr(path) -> None:
    """KoboToolbox XLSX, « Libellés » in French, « inclure les groupes dans les en-têtes »."""
    main = ["territoire", "vague", "date_vague", "Quelle structure représentez-vous ?", "Nom de votre structure",
            "Type de votre structure", "Commune de votre structure", "Nom de la commune",
            "Avez-vous participé à au moins une rencontre, un atelier ou un comité organisé par le Pôle ou au "
            "tiers-lieu au cours de l'année écoulée ?",
            "Parmi ces structures, lesquelles connaissez-vous ?",
            "Parmi ces structures, lesquelles connaissez-vous ?/Régie du Lavoir",
            "Parmi ces structures, lesquelles connaissez-vous ?/Tiers-lieu du Mail",
            "Parmi ces structures, lesquelles connaissez-vous ?/Épicerie des Saules",
            "Parmi ces structures, lesquelles connaissez-vous ?/Jardins de la Combe", "partenaires_count",
            "Travaillez-vous avec d'autres structures du territoire qui ne sont pas dans la liste ?", *_META]
    rows = [
        ["chenove", "vague-1", "2024-03-15", "Régie du Lavoir", "", "Association", "Chenôve", "", "Oui",
         "Tiers-lieu du Mail Épicerie des Saules", 0, 1, 1, 0, 2, "Oui", *_meta(1)],
        ["chenove", "vague-1", "2024-03-15", "Tiers-lieu du Mail", "", "Entreprise de l'ESS", "Chenôve", "", "Oui",
         "Régie du Lavoir", 1, 0, 0, 0, 1, "Non", *_meta(2)],
        ["chenove", "vague-1", "2024-03-15", "Autre structure (pas dans la liste)", "Jardins de la Combe",
         "Collectif d'habitants", "Dijon", "", "Non", "Régie du Lavoir", 1, 0, 0, 0, 1, "Non", *_meta(3)]]
    p = "partenaires/Dans quelle mesure « ${partenaire_nom} »"
    partners = ["partenaires/partenaire", "partenaires/partenaire_nom",
                "partenaires/Avec « ${partenaire_nom} », votre relation est plutôt :",
                f"{p} est-elle fiable (elle tient ses engagements) ?",
                f"{p} soutient-elle la mission que vous poursuivez sur le territoire ?",
                f"{p} est-elle ouverte à la discussion ?", f"{p} a-t-elle de l'influence sur le territoire ?",
                f"{p} s'implique-t-elle dans le travail commun ?",
                f"{p} apporte-t-elle des ressources (moyens, compétences, contacts) ?", *_SUB]
    coord = "Nous coordonnons nos actions : calendriers, projets, orientation de publics"
    know = "Nous nous connaissons et échangeons parfois des informations"
    coop = "Nous coopérons ponctuellement : aide, services, prêt de moyens"
    whole = "Nous agissons ensemble : projet commun, moyens ou décisions partagés"
    partner_rows = [
        ["A002", "Tiers-lieu du Mail", coord, "Beaucoup", "Beaucoup", "Assez", "Assez", "Un peu", "Beaucoup",
         *_sub(1, 1)],
        ["A003", "Épicerie des Saules", know, "Un peu", "Assez", "Assez", "Pas du tout", "Pas du tout", "Un peu",
         *_sub(2, 1)],
        ["A001", "Régie du Lavoir", coop, "Assez", "Beaucoup", "Beaucoup", "Assez", "Assez", "Assez", *_sub(3, 2)],
        ["A001", "Régie du Lavoir", whole, "Beaucoup", "Beaucoup", "Beaucoup", "Beaucoup", "Beaucoup", "Beaucoup",
         *_sub(4, 3)]]
    o = "autres/Dans quelle mesure « ${autre_nom} »"
    others = ["autres/Nom de la structure", "autres/Type de cette structure",
              "autres/Avec « ${autre_nom} », votre relation est plutôt :",
              f"{o} est-elle fiable (elle tient ses engagements) ?",
              f"{o} soutient-elle la mission que vous poursuivez sur le territoire ?",
              f"{o} est-elle ouverte à la discussion ?", f"{o} a-t-elle de l'influence sur le territoire ?",
              f"{o} s'implique-t-elle dans le travail commun ?",
              f"{o} apporte-t-elle des ressources (moyens, compétences, contacts) ?", *_SUB]
    other_rows = [["Amicale du Plateau", "Association", coop, "Assez", "Assez", "Assez", "Un peu", "Un peu", "Un peu",
                   *_sub(1, 1)]]
    _xlsx(path, {MAIN: [main, *rows], "partenaires": [partners, *partner_rows], "autres": [others, *other_rows]})


def kobo_codes(path) -> None:
    """KoboToolbox XLSX, « Valeurs et en-têtes XML », without group paths."""
    main = ["territoire", "vague", "date_vague", "repondant", "repondant_autre", "type_structure", "commune",
            "commune_autre", "participation", "connus", "connus/A001", "connus/A002", "connus/A003", "connus/A004",
            "partenaires_count", "autres_partenaires", *_META]
    rows = [["chenove", "vague-1", "2024-03-15", "A001", "", "association", "21166", "", "oui", "A002 A003",
             0, 1, 1, 0, 2, "oui", *_meta(1)],
            ["chenove", "vague-1", "2024-03-15", "A002", "", "ess_enterprise", "21166", "", "oui", "A001", 1, 0, 0, 0,
             1, "non", *_meta(2)],
            ["chenove", "vague-1", "2024-03-15", "autre", "Jardins de la Combe", "residents_group", "21231", "", "non",
             "A001", 1, 0, 0, 0, 1, "non", *_meta(3)]]
    partners = ["partenaire", "partenaire_nom", "intensite", "fiabilite", "mission", "ouverture", "influence",
                "implication", "ressources", *_SUB]
    partner_rows = [["A002", "Tiers-lieu du Mail", "coordination", 4, 4, 3, 3, 2, 4, *_sub(1, 1)],
                    ["A003", "Épicerie des Saules", "awareness", 2, 3, 3, 1, 1, 2, *_sub(2, 1)],
                    ["A001", "Régie du Lavoir", "cooperation", 3, 4, 4, 3, 3, 3, *_sub(3, 2)],
                    ["A001", "Régie du Lavoir", "integration", 4, 4, 4, 4, 4, 4, *_sub(4, 3)]]
    others = ["autre_nom", "autre_type", "autre_intensite", "autre_fiabilite", "autre_mission", "autre_ouverture",
              "autre_influence", "autre_implication", "autre_ressources", *_SUB]
    other_rows = [["Amicale du Plateau", "association", "cooperation", 3, 3, 3, 2, 2, 2, *_sub(1, 1)]]
    _xlsx(path, {MAIN: [main, *rows], "partenaires": [partners, *partner_rows], "autres": [others, *other_rows]})


def kobo_labels_en(path) -> None:
    """KoboToolbox XLSX, labels in the form's English, without group paths."""
    main = ["territoire", "vague", "date_vague", "Which organisation do you represent?", "Name of your organisation",
            "Kind of your organisation", "Municipality of your organisation", "Name of the municipality",
            "Did you attend at least one meeting, workshop or committee organised by the support organisation or at "
            "the tiers-lieu in the past year?", "Which of these organisations do you know?", "partenaires_count",
            "Do you work with other organisations of the territory that are not in the list?", *_META]
    rows = [["chenove", "vague-1", "2024-03-15", "Régie du Lavoir", "", "Association", "Chenôve", "", "Yes",
             "Tiers-lieu du Mail Épicerie des Saules", 2, "Yes", *_meta(1)],
            ["chenove", "vague-1", "2024-03-15", "Tiers-lieu du Mail", "", "Social economy enterprise", "Chenôve", "",
             "Yes", "Régie du Lavoir", 1, "No", *_meta(2)],
            ["chenove", "vague-1", "2024-03-15", "Another organisation (not in the list)", "Jardins de la Combe",
             "Residents' group", "Dijon", "", "No", "Régie du Lavoir", 1, "No", *_meta(3)]]
    w = "« ${partenaire_nom} »"
    partners = ["partenaire", "partenaire_nom", f"With {w}, your relationship is mostly:", f"How reliable is {w} "
                "(does it follow through on commitments)?", f"How much does {w} support the mission you pursue in the "
                "territory?", f"How open to discussion is {w}?", f"How much power and influence does {w} have in the "
                "territory?", f"How involved is {w} in the shared work?", f"How much does {w} contribute resources "
                "(funding, skills, contacts)?", *_SUB]
    g, f, s, n = "A great deal", "A fair amount", "A small amount", "Not at all"
    partner_rows = [["A002", "", "We coordinate our activities: schedules, projects, referrals", g, g, f, f, s, g,
                     *_sub(1, 1)],
                    ["A003", "", "We know each other and sometimes exchange information", s, f, f, n, n, s, *_sub(2, 1)],
                    ["A001", "", "We cooperate from time to time: help, services, lending resources", f, g, g, f, f, f,
                     *_sub(3, 2)],
                    ["A001", "", "We act together: a joint project, shared resources or decisions", g, g, g, g, g, g,
                     *_sub(4, 3)]]
    o = "« ${autre_nom} »"
    others = ["Name of the organisation", "Kind of this organisation", f"With {o}, your relationship is mostly:",
              f"How reliable is {o} (does it follow through on commitments)?", f"How much does {o} support the mission "
              "you pursue in the territory?", f"How open to discussion is {o}?", f"How much power and influence does "
              f"{o} have in the territory?", f"How involved is {o} in the shared work?", f"How much does {o} "
              "contribute resources (funding, skills, contacts)?", *_SUB]
    other_rows = [["Amicale du Plateau", "Association", "We cooperate from time to time: help, services, lending "
                   "resources", f, f, f, s, s, s, *_sub(1, 1)]]
    _xlsx(path, {MAIN: [main, *rows], "partenaires": [partners, *partner_rows], "autres": [others, *other_rows]})


KOBO_LEGACY_CSV = (
    "territoire,vague,date_vague,repondant,repondant_autre,type_structure,commune,commune_autre,participation,connus,"
    "partenaires_count,partenaires[1]/partenaire,partenaires[1]/partenaire_nom,partenaires[1]/intensite,"
    "partenaires[1]/fiabilite,partenaires[1]/mission,partenaires[1]/ouverture,partenaires[1]/influence,"
    "partenaires[1]/implication,partenaires[1]/ressources,partenaires[2]/partenaire,partenaires[2]/partenaire_nom,"
    "partenaires[2]/intensite,partenaires[2]/fiabilite,partenaires[2]/mission,partenaires[2]/ouverture,"
    "partenaires[2]/influence,partenaires[2]/implication,partenaires[2]/ressources,autres_partenaires,"
    "autres[1]/autre_nom,autres[1]/autre_type,autres[1]/autre_intensite,autres[1]/autre_fiabilite,"
    "autres[1]/autre_mission,autres[1]/autre_ouverture,autres[1]/autre_influence,autres[1]/autre_implication,"
    "autres[1]/autre_ressources,meta/instanceID,_id,_uuid,_submission_time,_tags,_notes,_version,_duration,"
    "_submitted_by,_total_media,_media_count,_media_all_received\n"
    "chenove,vague-1,2024-03-15,A001,n/a,association,21166,n/a,oui,A002 A003,2,A002,Tiers-lieu du Mail,coordination,"
    "4,4,3,3,2,4,A003,Épicerie des Saules,awareness,2,3,3,1,1,2,oui,Amicale du Plateau,association,cooperation,3,3,3,"
    "2,2,2,uuid:u1,50001,u1,2024-03-15T09:00:00,,,v1,,,0,0,True\n"
    "chenove,vague-1,2024-03-15,A002,n/a,ess_enterprise,21166,n/a,oui,A001,1,A001,Régie du Lavoir,cooperation,3,4,4,"
    "3,3,3,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,non,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,uuid:u2,50002,u2,"
    "2024-03-15T09:00:00,,,v1,,,0,0,True\n"
    "chenove,vague-1,2024-03-15,autre,Jardins de la Combe,residents_group,21231,n/a,non,A001,1,A001,Régie du Lavoir,"
    "integration,4,4,4,4,4,4,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,non,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,uuid:u3,"
    "50003,u3,2024-03-15T09:00:00,,,v1,,,0,0,True\n")


# --------------------------------------------------------------------------- ODK Central
ODK_MAIN = (
    "SubmissionDate,territoire,vague,date_vague,repondant,repondant_autre,type_structure,commune,commune_autre,"
    "participation,connus,partenaires_count,autres_partenaires,meta-instanceID,KEY,SubmitterID,SubmitterName,"
    "AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n"
    "2024-03-15T09:12:03.000Z,chenove,vague-1,2024-03-15,A001,,association,21166,,oui,A002 A003,2,oui,uuid:k1,"
    "uuid:k1,7,enqueteur,0,0,,,,0,20240315\n"
    "2024-03-15T10:02:41.000Z,chenove,vague-1,2024-03-15,A002,,ess_enterprise,21166,,oui,A001,1,non,uuid:k2,uuid:k2,"
    "7,enqueteur,0,0,,,,0,20240315\n"
    "2024-03-15T11:30:00.000Z,chenove,vague-1,2024-03-15,autre,Jardins de la Combe,residents_group,21231,,non,A001,1,"
    "non,uuid:k3,uuid:k3,7,enqueteur,0,0,,,,0,20240315\n")
ODK_PARTNERS = (
    "partenaire,partenaire_nom,intensite,fiabilite,mission,ouverture,influence,implication,ressources,PARENT_KEY,KEY\n"
    "A002,Tiers-lieu du Mail,coordination,4,4,3,3,2,4,uuid:k1,uuid:k1/partenaires[1]\n"
    "A003,Épicerie des Saules,awareness,2,3,3,1,1,2,uuid:k1,uuid:k1/partenaires[2]\n"
    "A001,Régie du Lavoir,cooperation,3,4,4,3,3,3,uuid:k2,uuid:k2/partenaires[1]\n"
    "A001,Régie du Lavoir,integration,4,4,4,4,4,4,uuid:k3,uuid:k3/partenaires[1]\n")
ODK_OTHERS = (
    "autre_nom,autre_type,autre_intensite,autre_fiabilite,autre_mission,autre_ouverture,autre_influence,"
    "autre_implication,autre_ressources,PARENT_KEY,KEY\n"
    "Amicale du Plateau,association,cooperation,3,3,3,2,2,2,uuid:k1,uuid:k1/autres[1]\n")
FORM = "enquete_chenove_vague_1"


def odk_zip(path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{FORM}.csv", ODK_MAIN)
        archive.writestr(f"{FORM}-partenaires.csv", ODK_PARTNERS)
        archive.writestr(f"{FORM}-autres.csv", ODK_OTHERS)


# --------------------------------------------------------------------------- LimeSurvey
def limesurvey_csv() -> bytes:
    """LimeSurvey's CSV export: BOM, ';', every value quoted, CRLF, a blank line at the end; headings
    « code de la question », answers as codes; a fourth response, incomplete (no submitdate).
    """
    columns = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "TERRITOIRE",
               "VAGUE", "DATEVAGUE", "REPONDANT", "REPONDANT[other]", "TYPE", "COMMUNE", "COMMUNE[other]",
               "PARTICIPATION"]
    actors = ["A001", "A002", "A003", "A004"]
    arrays = ["INTENSITE", "FIABILITE", "MISSION", "OUVERTURE", "INFLUENCE", "IMPLICATION", "RESSOURCES"]
    columns += [f"CONNUS[{a}]" for a in actors] + [f"{q}[{a}]" for q in arrays for a in actors]
    columns += [f"{q}[SQ00{k}]" for q in ("AUTRENOM", "AUTRETYPE", "AUTREINT", "AUTREFIAB", "AUTREMISS", "AUTREOUV",
                                          "AUTREINFL", "AUTREIMPL", "AUTRERESS") for k in (1, 2)]

    def response(rid, submit, who, other, kind, commune, came, known: dict, outside: list) -> list[str]:
        """One response; ``known``: actor → its seven codes (intensity, then the six items) in one string."""
        row = {"id": rid, "submitdate": submit, "lastpage": "4", "startlanguage": "fr", "seed": "1234567",
               "startdate": "2024-03-15 09:00:00", "datestamp": submit or "2024-03-15 09:05:00",
               "TERRITOIRE": "chenove", "VAGUE": "vague-1", "DATEVAGUE": "2024-03-15", "REPONDANT": who,
               "REPONDANT[other]": other, "TYPE": kind, "COMMUNE": commune, "COMMUNE[other]": "",
               "PARTICIPATION": came}
        for a, values in known.items():
            row[f"CONNUS[{a}]"] = "Y"
            row.update({f"{q}[{a}]": v for q, v in zip(arrays, values, strict=True)})
        for k, values in enumerate(outside, start=1):
            row.update({f"{q}[SQ00{k}]": v for q, v in zip(("AUTRENOM", "AUTRETYPE", "AUTREINT", "AUTREFIAB",
                                                            "AUTREMISS", "AUTREOUV", "AUTREINFL", "AUTREIMPL",
                                                            "AUTRERESS"), values, strict=True)})
        return [row.get(c, "") for c in columns]

    rows = [response("1", "2024-03-15 09:20:00", "A001", "", "ASSO", "21166", "Y",
                     {"A002": "3443324", "A003": "1233112"},
                     [["Amicale du Plateau", "ASSO", "2", "3", "3", "3", "2", "2", "2"]]),
            response("2", "2024-03-15 10:20:00", "A002", "", "ESS", "21166", "Y", {"A001": "2344333"}, []),
            response("3", "2024-03-15 11:20:00", "-oth-", "Jardins de la Combe", "HAB", "21231", "N",
                     {"A001": "4444444"}, []),
            response("4", "", "A003", "", "ENTR", "21166", "Y", {"A001": "1111111"}, [])]
    text = "\r\n".join(";".join(f'"{v}"' for v in line) for line in [columns, *rows]) + "\r\n\r\n"
    return "\ufeff".encode() + text.encode("utf-8")


LAYOUTS = {
    "kobo_labels_fr": lambda d: kobo_labels_fr(d / "kobo.xlsx"),
    "kobo_codes": lambda d: kobo_codes(d / "kobo.xlsx"),
    "kobo_labels_en": lambda d: kobo_labels_en(d / "kobo.xlsx"),
    "kobo_legacy_csv": lambda d: (d / "kobo.csv").write_text(KOBO_LEGACY_CSV, encoding="utf-8"),
    "odk_zip": lambda d: odk_zip(d / f"{FORM}.zip"),
    "odk_csv": lambda d: [(d / name).write_text(text, encoding="utf-8") for name, text in
                          ((f"{FORM}.csv", ODK_MAIN), (f"{FORM}-partenaires.csv", ODK_PARTNERS),
                           (f"{FORM}-autres.csv", ODK_OTHERS))],
    "limesurvey": lambda d: (d / "results-survey123456.csv").write_bytes(limesurvey_csv()),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_reads_to_the_same_answers(tmp_path, actors, layout):
    LAYOUTS[layout](tmp_path)
    answers = read_survey(tmp_path, actors=actors, key=KEY, territories=["chenove"], communes=COMMUNES)
    respondents, ties = _canonical(answers)
    pd.testing.assert_frame_equal(respondents, EXPECTED_RESPONDENTS, check_dtype=False)
    pd.testing.assert_frame_equal(ties, _expected_ties(), check_dtype=False)
    assert answers.ties["partner"].astype(str).str.match(r"^(A00\d|P-[0-9a-f]{10})$").all()  # no name kept
    if layout == "limesurvey":
        assert answers.notices["code"].tolist() == ["survey_incomplete"]
    else:
        assert answers.notices.empty


def test_a_name_written_in_is_the_actors_table_pseudonym(tmp_path, actors):
    """« Jardins de la Combe » written as « autre » is actor A004: its pseudonym matched the actors table's."""
    LAYOUTS["odk_csv"](tmp_path)
    answers = read_survey(tmp_path, actors=actors, key=KEY)
    other = answers.respondents.set_index("respondent").loc["A004"]
    assert bool(other["listed"])
    unknown = answers.ties[~answers.ties["listed"]]
    assert unknown["partner"].tolist() == [OUTSIDE] and OUTSIDE.startswith("P-")


def test_kobo_csv_without_repeats_is_a_problem(tmp_path, actors):
    """KoboToolbox's current CSV export leaves the repeat groups out: said, with the fix."""
    header = ";".join(f'"{h}"' for h in ["territoire", "vague", "date_vague", "repondant", "type_structure",
                                          "participation", "_id", "_uuid", "_submission_time", "_index"])
    row = ";".join(f'"{v}"' for v in ["chenove", "vague-1", "2024-03-15", "A001", "association", "oui", "1", "u1",
                                       "2024-03-15T09:00:00", "1"])
    (tmp_path / "kobo.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_survey(tmp_path, actors=actors, key=KEY)
    assert caught.value.problems["code"].tolist() == ["survey_repeats_missing"]
    assert "XLSX" in caught.value.table(lang="fr").loc[0, "fix"]


def test_problems_name_file_row_and_column_and_never_a_name(tmp_path, actors):
    ODK_BAD_PARTNERS = ODK_PARTNERS.replace("A003,Épicerie des Saules,awareness,2,", "A009,Épicerie des Saules,"
                                            "awareness,7,").replace("uuid:k3,uuid:k3/", "uuid:k9,uuid:k9/")
    bad_main = ODK_MAIN.replace("A002,,ess_enterprise", "A001,,ess_enterprise")
    (tmp_path / f"{FORM}.csv").write_text(bad_main, encoding="utf-8")
    (tmp_path / f"{FORM}-partenaires.csv").write_text(ODK_BAD_PARTNERS, encoding="utf-8")
    (tmp_path / "notes.xlsx").write_bytes(b"")  # not an export at all
    with pytest.raises(ValidationError) as caught:
        read_survey(tmp_path, actors=actors, key=KEY)
    p = caught.value.problems
    found = {(r.code, r.file, r.row, r.column) for r in p.itertuples()}
    part = f"{FORM}-partenaires.csv"
    assert ("actor_unknown", part, 3, "partenaire") in found
    assert ("choice_unknown", part, 3, "fiabilite") in found
    assert ("survey_orphan", part, 5, "") in {(c, f, r, col or "") for c, f, r, col in found}
    assert ("survey_respondent_twice", f"{FORM}.csv", 2, "repondant") in found
    assert any(r.code == "unreadable" and r.file == "notes.xlsx" for r in p.itertuples())
    assert p.loc[p["code"] == "actor_unknown", "value"].isna().all()  # a partner's value is never quoted
    assert not p["value"].fillna("").str.contains("Lavoir|Saules|Mail|Combe").any()


def test_self_rating_and_twice_rated_partners_are_problems(tmp_path, actors):
    partners = ODK_PARTNERS.replace("A002,Tiers-lieu du Mail,coordination", "A001,Régie du Lavoir,coordination")
    partners += "A001,Régie du Lavoir,cooperation,3,4,4,3,3,3,uuid:k2,uuid:k2/partenaires[2]\n"
    (tmp_path / f"{FORM}.csv").write_text(ODK_MAIN, encoding="utf-8")
    (tmp_path / f"{FORM}-partenaires.csv").write_text(partners, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_survey(tmp_path, actors=actors, key=KEY)
    codes = caught.value.problems.set_index("code")["row"]
    assert codes["survey_self_tie"] == 2
    assert sorted(codes.loc[["survey_partner_twice"]].tolist()) == [4, 6]

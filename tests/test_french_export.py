"""An export nobody here wrote: a Saône-et-Loire association's own files, made by hand.

French headers and French values, Windows-1252 CSV with ``;`` and a title line, a workbook
with title rows, staff and contact columns, a testimony naming a staff member. The
headline figures must equal a plain pandas count of the same file, and no name from the
staff and contact columns may reach the processed cache.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.report.context import prepare_context
from evaluation.report.indicators import territory_indicators
from evaluation.report.secrecy.disclosure import Disclosure

# A commune reference for the test. Codes, names, density levels and populations are those
# of INSEE's grille communale de densité 2024 (national file, PMUN21), read once with
# evaluation.geo.density_grid.read_density_grid; areas and coordinates are rounded, EPCI made up.
REFERENCE = pd.DataFrame(
    [("71153", "Le Creusot", 20731, 2, 18.3, 4.43, 46.80),
     ("71306", "Montceau-les-Mines", 16831, 2, 16.5, 4.36, 46.67),
     ("71540", "Torcy", 2810, 4, 7.9, 4.45, 46.77),
     ("71040", "Blanzy", 6012, 4, 24.4, 4.39, 46.70),
     ("71282", "Marmagne", 1266, 5, 33.0, 4.36, 46.83),
     ("71187", "Écuisses", 1609, 6, 18.9, 4.54, 46.75),
     ("71103", "Charmoy", 278, 7, 13.6, 4.33, 46.77),
     ("71131", "Ciel", 881, 6, 12.7, 5.05, 46.88)],
    columns=["commune_code", "commune_name", "population", "density_level", "area_km2", "lon", "lat"])
LABELS = {2: "Centres urbains intermédiaires", 4: "Ceintures urbaines", 5: "Bourgs ruraux",
          6: "Rural à habitat dispersé", 7: "Rural à habitat très dispersé"}
TERRITORY = ["71153", "71306", "71540", "71040", "71282", "71187", "71103"]

TERRITORIES_YML = f"""\
territories:
  creusot-montceau:
    label: "Creusot-Montceau"
    split_date: 2024-01-01
    communes: {TERRITORY}
  ciel:
    label: "Ciel"
    split_date: 2024-01-01
    communes: ["71131"]
"""

STAFF = ["Julie Martin", "Paul Durand"]
CONTACTS = ["j.martin@asso-bourgogne.fr", "03 85 55 12 34", "Mme Nadia Haddad"]
#: Accompaniments as the association types them: (id, programme, commune, QPV, start date).
ROWS = [
    ("AC01", "Création", "71153", "Oui", "12/01/2023"), ("AC02", "DLA", "71306", "Non", "03/03/2023"),
    ("AC03", "Développement", "71282", "Non", "15/05/2023"), ("AC04", "Tiers-lieu", "71153", "Oui", "20/06/2023"),
    ("AC05", "Création", "71187", "Non", "02/09/2023"), ("AC06", "dla", "71103", "Non", "10/10/2023"),
    ("AC07", "Création", "71153", "Oui", "08/01/2024"), ("AC08", "Développement", "71306", "Non", "14/02/2024"),
    ("AC09", "CRÉATION", "71540", "non", "01/03/2024"), ("AC10", "DLA", "71282", "Non", "11/03/2024"),
    ("AC11", "Tiers lieu", "71153", "Oui", "02/04/2024"), ("AC12", "Développement", "71187", "Non", "19/04/2024"),
    ("AC13", "Création", "71040", "Non", "06/05/2024"), ("AC14", "DLA", "71131", "Non", "21/05/2024"),
    ("AC15", "développement ", "71103", "non", "03/06/2024"), ("AC16", "Création", "71306", "OUI", "17/06/2024"),
    ("AC17", "DLA", "71187", "Non", "01/07/2024"), ("AC18", "Creation", "71282", "Non", "09/09/2024"),
    ("AC19", "Dispositif local d'accompagnement", "71153", "Non", "23/09/2024"),
    ("AC20", "Développement", "71040", "Non", "04/11/2024"),
]


def _write(folder):
    ref = folder / "reference"
    ref.mkdir()
    table = REFERENCE.assign(
        departement="71", epci_siren=["999999991"] * 7 + ["999999992"],
        epci_name=["CU (test)"] * 7 + ["CC (test)"], density_label=REFERENCE["density_level"].map(LABELS),
        urban_rural=["urbain" if lvl <= 4 else "rural" for lvl in REFERENCE["density_level"]],
        density_status="officiel")
    table.to_csv(ref / "communes.csv", index=False)
    data = folder / "exports"
    data.mkdir()
    acc = pd.DataFrame({
        "N° accompagnement": [r[0] for r in ROWS], "ID structure": [f"S{i:02d}" for i in range(len(ROWS))],
        "Nom de la structure": [f"Structure {i}" for i in range(len(ROWS))],
        "Dispositif": [r[1] for r in ROWS], "Code INSEE": [r[2] for r in ROWS], "QPV": [r[3] for r in ROWS],
        "Date de début": [r[4] for r in ROWS], "Date de fin": "",
        "Secteur": "économie circulaire", "Emplois créés": "1", "Emplois maintenus": "0",
        "Chargé(e) de mission": [STAFF[i % 2] for i in range(len(ROWS))],
        "Contact": [CONTACTS[i % 3] for i in range(len(ROWS))],
    })
    text = "Export des accompagnements — Association (édité le 06/01/2025)\r\n" + acc.to_csv(
        sep=";", index=False, lineterminator="\r\n")
    (data / "accompaniments.csv").write_bytes(text.encode("cp1252"))
    actors = pd.DataFrame({
        "Identifiant acteur": ["A1", "A2", "A3", "A4"],
        "Nom": ["Épicerie du Pont", "Régie de quartier du Tennis", "Mairie du Creusot", "Habitat 71"],
        "Type": ["Entreprise de l'ESS", "Association", "Collectivité", "Bailleur social"],
        "Secteur d'activité": ["alimentation", "insertion", "public", "logement"],
        "Code commune": ["71153", "71153", "71153", "71306"], "En QPV": ["Oui", "Oui", "Non", "Non"],
        "Référent": ["Julie Martin", "Paul Durand", "Julie Martin", "Paul Durand"],
        "Téléphone": ["03 85 55 12 34", "", "", ""],
    })
    with pd.ExcelWriter(data / "actors.xlsx", engine="openpyxl") as writer:
        actors.to_excel(writer, index=False, sheet_name="Acteurs", startrow=2)
        writer.book["Acteurs"]["A1"] = "Annuaire des acteurs — export du 06/01/2025"
    collab = ("Acteur A;Acteur B;Date de début;Date de fin;Nature;Source;Intensité\r\n"
              "A1;A2;01/02/2023;31/12/2023;Projet commun;enquête;Coopération\r\n"
              "A1;A3;01/03/2024;;Partenariat;enquête;Coordination\r\n"
              "A2;A4;01/04/2024;;Mutualisation;entretien;Connaissance\r\n")
    (data / "collaborations.csv").write_bytes(collab.encode("cp1252"))
    testimonies = ("Identifiant témoignage;Date;Profil;Territoire;Thématiques;Témoignage\r\n"
                   "T1;05/03/2024;habitant;creusot-montceau;emploi|lien social;"
                   "\"Julie Martin m'a reçu deux fois ; Mme Nadia Haddad aussi.\"\r\n")
    (data / "testimonies.csv").write_bytes(testimonies.encode("cp1252"))
    (folder / "territories.yml").write_text(TERRITORIES_YML, encoding="utf-8")
    return data, ref, folder / "territories.yml"


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saone-et-loire")
    data, ref, territories = _write(folder)
    # As of the end of 2024: by default a report stops at the last complete month of the data, which
    # would leave out the records of the month of the last one; the plain count takes every row.
    ctx = prepare_context("creusot-montceau", data_dir=data, reference_dir=ref, territories_file=territories,
                          processed_dir=folder / "processed", as_of="2024-12-31")
    return folder, data, ctx


def _plain_count(data):
    """The same figures with plain pandas, from the file as written (no package code)."""
    raw = pd.read_csv(data / "accompaniments.csv", sep=";", encoding="cp1252", skiprows=1, dtype=str,
                      keep_default_na=False)
    raw = raw[raw["Code INSEE"].isin(TERRITORY)]
    year = pd.to_datetime(raw["Date de début"], format="%d/%m/%Y").dt.year
    programme = raw["Dispositif"].str.strip().str.lower()
    last = year == year.max()
    rural = raw["Code INSEE"].map(REFERENCE.set_index("commune_code")["density_level"]) >= 5
    return {"acc_total": len(raw),
            "acc_creation_dev": int((last & programme.isin(["création", "creation", "développement"])).sum()),
            "acc_dla": int((last & programme.isin(["dla", "dispositif local d'accompagnement"])).sum()),
            "part_rural": rural.mean()}


def test_headline_figures_equal_a_plain_count(export):
    _, data, ctx = export
    expected = _plain_count(data)
    # By hand, from ROWS: 9 creation or development projects started in 2024 in the territory.
    assert expected["acc_creation_dev"] == 9 and expected["acc_total"] == 19
    table = territory_indicators(summary=ctx.reach(), accompaniments=ctx.accompaniments, source="test",
                                 disclosure=Disclosure(threshold=1)).set_index("code")  # no cell withheld
    for code, value in expected.items():
        assert not table.loc[code, "secret"], code
        assert table.loc[code, "valeur"] == pytest.approx(value), code


def test_french_values_and_headers_are_read(export):
    _, _, ctx = export
    d = ctx.dataset
    assert set(d.accompaniments["programme"]) == {"creation", "development", "dla", "tiers_lieu"}
    assert d.actors["kind"].tolist() == ["ess_enterprise", "association", "local_authority", "social_landlord"]
    assert d.collaborations["end_date"].notna().tolist() == [True, False, False]  # "Date de fin" read
    assert d.collaborations["intensity"].tolist() == ["cooperation", "coordination", "awareness"]
    assert d.accompaniments.index[0] == 3  # title line, then the header on line 2


def test_staff_and_contact_names_reach_no_processed_file(export):
    folder, _, ctx = export
    d = ctx.dataset
    assert set(d.ignored_columns()["column"]) == {"Chargé(e) de mission", "Contact", "Référent", "Téléphone"}
    assert set(d.ignored_columns()["code"]) == {"column_ignored_names"}
    text = d.testimonies["text"].iloc[0]
    assert "Julie Martin" not in text and "Nadia Haddad" not in text and text.count("P-") == 2
    files = [p for p in (folder / "processed").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    secrets = STAFF + CONTACTS + ["Épicerie du Pont", "Régie de quartier du Tennis"]
    for path in files:
        assert not any(s.encode() in path.read_bytes() for s in secrets), path
        if path.suffix == ".parquet" and path.name != "ignored.parquet":
            frame = pd.read_parquet(path)
            cells = " ".join(map(str, frame.to_numpy().ravel()))
            assert not any(s in cells for s in secrets), path
            assert not {"Chargé(e) de mission", "Contact", "Référent", "Téléphone"} & set(frame.columns), path

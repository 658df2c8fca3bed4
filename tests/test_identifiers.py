"""Direct identifiers (issue 24): the recognisers on French writings, their redaction in free
text, the names beside them, and the columns that hold no names whatever their header.

Check digits in these tests are computed here from their definitions (ISO 13616 MOD 97-10 for
the IBAN, 97 − (n mod 97) for the NIR), not by the library the code uses.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.io.identifiers import email_names, find_identifiers, normalise, redact_identifiers
from evaluation.io.redaction import find_redactions, redact_texts
from evaluation.io.schema import holds_names


def iban_fr(bban: str) -> str:
    """A French IBAN from its BBAN, check digits by ISO 13616: 98 − (BBAN + "FR00" as digits mod 97)."""
    check = 98 - int(bban + "152700") % 97  # F = 15, R = 27
    return f"FR{check:02d}{bban}"


def nir(body: str) -> str:
    """A NIR with its key: 97 − (n mod 97), Corsica's 2A and 2B read as 19 and 18."""
    return body + f"{97 - int(body.replace('2A', '19').replace('2B', '18')) % 97:02d}"


PHONES = ["06 71 45 32 18", "06.71.45.32.18", "0671453218", "06-71-45-32-18", "+33 6 71 45 32 18",
          "+33 (0)6 71 45 32 18", "+33671453218", "0033 6 71 45 32 18", "(0)6 71 45 32 18", "06/71/45/32/18",
          "06\u00a071\u00a045\u00a032\u00a018", "06 - 71 - 45 - 32 - 18"]


class TestRecognisers:
    @pytest.mark.parametrize("phone", PHONES)
    def test_every_common_writing_of_a_phone_number_is_one_number(self, phone):
        found = find_identifiers(f"Appeler au {phone}, le soir.")
        assert [(f.kind, f.value) for f in found] == [("phone", "0671453218")]

    def test_landlines_and_several_numbers(self):
        found = find_identifiers("Standard 03 81 69 12 34 ou 03.80.12.34.56/09 51 00 00 01.")
        assert [f.value for f in found] == ["0381691234", "0380123456", "0951000001"]

    @pytest.mark.parametrize("text", [
        "12 places disponibles", "3 cours de cuisine par semaine", "le 03/05/2021 à 14h30", "2 500 euros",
        "SIREN 242100410, commune 21166", "P-0671453218 et sha a3f0671453218b9c", "image@2x.png",
        "pandas.io.formats.style", "en 2018, 2019 et 2020 : 12 34 56 personnes", "0 1 2 3 4 5 6 7 8 9",
        "IBAN FR76 3000 6000 0112 3456 7890 180 (faux)", "1 85 05 78", "01/02/2024 12 accompagnements",
        "au 05.03.2024 14 ateliers"])
    def test_ordinary_text_holds_none(self, text):
        assert find_identifiers(text) == []

    @pytest.mark.parametrize(("written", "value"), [
        ("mehmet.yilmaz25@gmail.com", "mehmet.yilmaz25@gmail.com"), ("KARIM@Saveurs.FR", "karim@saveurs.fr"),
        ("karim [at] saveurs.org", "karim@saveurs.org"), ("karim(at)saveurs.fr", "karim@saveurs.fr"),
        ("rose.marchand arobase orange.fr", "rose.marchand@orange.fr")])
    def test_e_mails(self, written, value):
        assert [(f.kind, f.value) for f in find_identifiers(f"Écrire à {written} !")] == [("email", value)]

    @pytest.mark.parametrize(("text", "address"), [
        ("Le local est au 12 rue de Dole depuis mars.", "12 rue de Dole"),
        ("au 3 bis avenue Jean Jaurès, 25000 Besançon.", "3 bis avenue Jean Jaurès, 25000 Besançon"),
        ("7ter chemin des Vignes", "7ter chemin des Vignes"), ("45, boulevard Voltaire", "45, boulevard Voltaire"),
        ("au 12 rue victor hugo on a un local", "12 rue victor hugo"), ("12 RUE DE DOLE", "12 RUE DE DOLE"),
        ("Rendez-vous au 2 place de la République à Dijon", "2 place de la République"),
        ("Livraison lieu-dit Les Granges, merci", "lieu-dit Les Granges"),
        ("14 av. de la Gare", "14 av. de la Gare")])
    def test_postal_addresses(self, text, address):
        found = find_identifiers(text)
        assert [(f.kind, text[f.start:f.end]) for f in found] == [("address", address)]

    def test_urls_with_a_personal_part_but_not_public_bodies(self):
        text = ("Voir www.saveursdeplanoise.fr, https://www.facebook.com/karim.benali et "
                "https://www.insee.fr/fr/statistiques ou www.service-public.fr.")
        found = find_identifiers(text)
        assert [(f.kind, f.value) for f in found] == [("url", "saveursdeplanoise.fr"),
                                                      ("url", "facebook.com/karim.benali")]

    def test_iban_only_with_its_check_digits(self):
        good = iban_fr("30006000011234567890189")
        assert good == "FR7630006000011234567890189"  # the French banks' documented example
        grouped = " ".join(good[i:i + 4] for i in range(0, 27, 4))
        assert [f.value for f in find_identifiers(f"RIB : {grouped} 12 personnes")] == [good]
        assert [f.value for f in find_identifiers(f"iban {good.lower()}.")] == [good]
        assert find_identifiers(good[:-1] + "0") == []  # one digit off: no IBAN

    def test_nir_with_its_key_or_in_its_groups(self):
        body = "1850578006084"
        assert nir(body) == "185057800608491"
        assert [f.value for f in find_identifiers(f"NIR {nir(body)}")] == ["185057800608491"]
        corsica = nir("290122A123456")  # born in Corse-du-Sud
        assert [f.value for f in find_identifiers(f"n° sécu {corsica}")] == [corsica]
        assert [f.value for f in find_identifiers("1 85 05 78 006 084")] == ["1850578006084"]
        assert find_identifiers("185057800608436") == []  # a wrong key, not written in groups

    def test_normalised_forms(self):
        assert normalise("phone", "+33 (0)6 71 45 32 18") == normalise("phone", "06.71.45.32.18") == "0671453218"
        assert normalise("url", "https://www.Saveurs.fr/") == "saveurs.fr"


class TestRedaction:
    def test_tags_and_the_names_of_the_local_part(self):
        texts = pd.Series(["[personne] a ouvert son atelier, mail : mehmet.yilmaz25@gmail.com. Mehmet répond vite.",
                           None, "Tél 06 71 45 32 18 ; 12 rue de Dole ; FR76 3000 6000 0112 3456 7890 189"],
                          index=[4, 5, 6], name="text")
        out = redact_identifiers(texts)
        assert out[4] == "[personne] a ouvert son atelier, mail : [courriel]. [personne] répond vite."
        assert out[6] == "Tél [téléphone] ; [adresse] ; [coordonnées bancaires]"
        assert pd.isna(out[5]) and list(out.index) == [4, 5, 6] and out.name == "text"

    def test_email_names(self):
        assert email_names("mehmet.yilmaz25@gmail.com") == ["mehmet", "yilmaz"]
        assert email_names("contact@saveurs.fr") == [] and email_names("j-p.dubois@x.fr") == ["dubois"]

    @pytest.mark.parametrize(("text", "expected"), [
        ("Merci à Rose Marchand et Claire Petit.", "Merci à [personne] et [personne]."),
        ("Contact : Rose au 06 71 45 32 18.", "Contact : [personne] au [téléphone]."),
        ("Dupont Jean est venu avec Karim Petit.", "[personne] est venu avec [personne]."),
        ("on a vu mme durand et jean dupont, puis m. dupont", "on a vu mme [personne] et [personne], puis m. [personne]"),
        ("DUPONT JEAN et ROSE MARCHAND", "[personne] et [personne]"),
        ("Sophie Bonnet : sophie@atelier.fr", "[personne] [personne] : [courriel]"),
        ("Atelier cuisine et marché de Noël au Mail", "Atelier cuisine et marché de Noël au Mail"),
        ("Fête de la Rose à Chenôve, petit déjeuner", "Fête de la Rose à Chenôve, petit déjeuner")])
    def test_names_beyond_the_gazetteer_and_ordinary_words_kept(self, text, expected):
        assert redact_texts(pd.Series([text]))[0] == expected

    def test_spans_are_those_of_the_text_as_given(self):
        text = "Rose au 06 71 45 32 18, ou Karim Benali (mehmet.yilmaz25@gmail.com) ; Mehmet viendra."
        spans = [(m.kind, text[m.start:m.end]) for m in find_redactions([text])[0]]
        assert spans == [("person", "Rose"), ("phone", "06 71 45 32 18"), ("person", "Karim Benali"),
                         ("email", "mehmet.yilmaz25@gmail.com"), ("person", "Mehmet")]


class TestColumnsHoldingNames:
    @pytest.mark.parametrize("values", [["oui", "non", "OUI", ""], ["18/05/2018", "2019-01-02"], ["12", "3,5 %"],
                                        ["06 71 45 32 18", "0380123456"], ["x", "", "Vrai"]])
    def test_a_yes_no_date_or_number_column_holds_no_names_whatever_its_header(self, values):
        assert holds_names("Suivi post-création")
        assert not holds_names("Suivi post-création", pd.Series(values))

    def test_names_still_do(self):
        assert holds_names("Suivi par", pd.Series(["Rose Marchand", "oui"]))
        assert not holds_names("Type de structure", pd.Series(["Rose Marchand"]))

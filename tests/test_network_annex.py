"""The network chapter's mechanisms as published and said in French (issue 29): body sentences, annex, indicators, secrecy."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import TerritoriesError


@pytest.fixture(scope="module")
def measured():
    from evaluation.report.context import measure, prepare_context

    out = {}
    for slug in ("chenove", "dijon-metropole"):
        ctx = prepare_context(slug)
        out[slug] = (ctx, measure(ctx, permutations=99))
    return out


def published(measured, slug="chenove", threshold=5):
    from evaluation.report.publication import publish

    ctx, m = measured[slug]
    return publish(ctx, m.summary, m.network, m.venue, threshold=threshold)


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text.replace("01/01/2020", "")))


class TestBody:
    def test_two_or_three_plain_sentences_in_the_body_s_network_chapter(self, measured):
        from evaluation.report import sections
        from evaluation.report.sections.network_annex import mechanisms_body

        pub = published(measured)
        body = mechanisms_body(pub)
        assert 2 <= sentences(body) <= 3
        assert "chaque rencontre partagée de plus multiplie la chance d'une collaboration par 1,48" in body
        assert "tiers-lieu (« Tiers-lieu du Mail »)" in body and "QPV" in body
        chapter = sections.network_overview(pub)  # the body's chapter, right after the adjusted estimate
        assert chapter.index(body) == 2 and body not in sections.network_effect(pub)
        # no jargon in the body: models, tests and tables are in the annex
        assert not re.search(r"Poisson|QAP|Schuirmann|permutation|effet fixe", body)

    def test_the_tiers_lieu_is_named_only_for_its_own_estimate(self, measured):
        from evaluation.report.sections.network_annex import mechanisms_body

        pub = published(measured)
        v = pub.network.mechanisms.venue_effect
        assert v.shown and v.low <= 1 <= v.high  # the illustrative data: no effect of its own
        body = mechanisms_body(pub)
        assert "ne montrent pas d'effet propre des rencontres du tiers-lieu" in body
        assert "ont compté" not in body

    def test_several_venues(self, measured):
        from evaluation.report.sections.network_annex import mechanisms_body, network_annex

        pub = published(measured, "dijon-metropole")
        v = pub.network.mechanisms.venues
        assert list(v["key"]) == ["venue_new|0", "venue_new|1", "venue_new|all", "venue_new|elsewhere"]
        assert list(v["venue"][:2]) == ["Tiers-lieu du Mail", "Tiers-lieu de Dijon (illustratif)"]
        assert "des tiers-lieux" in mechanisms_body(pub)
        table = next(i for i in network_annex(pub) if isinstance(i, pd.DataFrame) and "Lieu" in i)
        assert list(table["Lieu"]) == ["« Tiers-lieu du Mail »", "« Tiers-lieu de Dijon (illustratif) »",
                                       "Tous les tiers-lieux", "Autres rencontres"]
        ind = pub.indicators.set_index("code")
        assert "« Tiers-lieu du Mail » ; « Tiers-lieu de Dijon (illustratif) »" in ind.loc["effet_tiers_lieu",
                                                                                           "definition"]


class TestAnnexAndIndicators:
    def test_indicators_and_their_definitions(self, measured):
        pub = published(measured)
        ind = pub.indicators.set_index("code")
        m = pub.network.mechanisms
        dose = ind.loc["effet_reseau_dose"]
        assert dose["valeur"] == pytest.approx(m.dose_per_event.value) and dose["ic_bas"] < 1.48 < dose["ic_haut"]
        assert ind.loc["effet_tiers_lieu", "valeur"] == pytest.approx(m.venue_effect.value)
        q = m.mixing[(m.mixing["attribute"] == "qpv") & (m.mixing["period"] == "after")].iloc[0]
        row = ind.loc["liens_passerelles"]
        assert row["valeur"] == pytest.approx(q["bridging"] / q["ties"])
        assert "47,0\u202f%" in row["definition"] and f"({q['group_actors']} en QPV)" in row["definition"]
        assert list(pub.indicators["code"]).index("effet_reseau_dose") < list(pub.indicators["code"]).index(
            "taux_conversion")

    def test_annex_sections(self, measured):
        from evaluation.report.sections.network_annex import network_annex

        items = network_annex(measured and published(measured))
        text = "\n".join(i for i in items if isinstance(i, str))
        for heading in ("Dose", "Temporalité", "Tiers-lieux", "Structure", "test d'équivalence", "Passerelles",
                        "Qui est dans le réseau"):
            assert heading in text, heading
        assert "Verdict : **non concluant**" in text  # 1,27 (0,40 à 4,06): too wide to tell
        assert "« Acteurs partis » (0) veut dire sans rencontre ni lien enregistré" in text
        assert "Snijders, van de Bunt et Steglich 2010" in text

    def test_every_reason_has_french_words(self):
        from evaluation.measures.network.models import REASONS
        from evaluation.report.tables import MECHANISM_REASONS

        assert set(REASONS) == set(MECHANISM_REASONS)


class TestSecrecy:
    def test_withheld_with_their_counts(self, measured):
        from evaluation.report.sections.network_annex import mechanisms_body, network_annex

        pub = published(measured, threshold=100)
        m = pub.network.mechanisms
        assert m.withheld and not m.dose_per_event.shown and np.isnan(m.dose["ratio"]).all()
        assert np.isnan(m.split["ratio"]).all() and np.isnan(m.structure["ratio"]).all()
        assert m.venues["suppressed"].all() and m.venues["new_ties"].isna().all() and m.venues["ratio"].isna().all()
        assert m.attributes_withheld and m.mixing["expected"].isna().all() and m.boundary["participants"] is None
        ind = pub.indicators.set_index("code")
        assert ind.loc["effet_reseau_dose", "secret"] and ind.loc["effet_tiers_lieu", "secret"]
        assert not ind.loc["liens_passerelles", "secret"]  # a share of ties: published
        assert "47,0" not in ind.loc["liens_passerelles", "definition"]
        body = mechanisms_body(pub)
        assert "secret statistique" in body and not re.search(r"\d,\d\d", body)
        annex = "\n".join(i if isinstance(i, str) else i.to_csv() for i in network_annex(pub))
        assert "1,48" not in annex and "47,0" not in annex

    def test_a_venue_count_below_the_threshold_withholds_its_row_and_indicator(self, measured):
        from evaluation.report.secrecy.links import linked_cells

        pub = published(measured, threshold=5)
        cells = linked_cells(pub.publishable()).cells
        assert {"network|venue_new|0", "network|venue_new|all", "network|venue_new|elsewhere"} <= set(cells["cell"])
        low = published(measured, threshold=27)  # 26 new ties after meeting at the venue, 33 elsewhere
        v = low.network.mechanisms.venues.set_index("key")
        assert v.loc["venue_new|0", "suppressed"] and not v.loc["venue_new|elsewhere", "suppressed"]
        assert low.indicators.set_index("code").loc["effet_tiers_lieu", "secret"]


class TestTerritories:
    def test_a_list_of_venues_with_an_organiser(self, tmp_path):
        from evaluation.geo.territories import load_territories

        path = tmp_path / "territories.yml"
        path.write_text("territories:\n  t:\n    label: T\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                        "    venue:\n      - {label: A, commune: '21166', organiser: A002}\n"
                        "      - {label: B, commune: '21231'}\n", encoding="utf-8")
        t = load_territories(path)["t"]
        assert [(v.label, v.organiser) for v in t.venues] == [("A", "A002"), ("B", None)]
        assert t.venue == t.venues[0]

    def test_a_venue_of_the_list_without_commune(self, tmp_path):
        from evaluation.geo.territories import load_territories

        path = tmp_path / "territories.yml"
        path.write_text("territories:\n  t:\n    label: T\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                        "    venue:\n      - {label: A, commune: '21166'}\n      - {label: B, lat: 47.3, lon: 5.0}\n",
                        encoding="utf-8")
        with pytest.raises(TerritoriesError) as err:
            load_territories(path)
        assert "venue: 2" in str(err.value) or "venue" in str(err.value)

    def test_the_reach_of_a_venue_by_organiser(self, reference):
        from evaluation.measures.reach.venue import venue_reach

        events = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "commune_code": ["21166", "21166", "21231"],
                               "date": pd.to_datetime(["2021-01-01", "2021-02-01", "2021-03-01"]),
                               "organiser": ["A002", "A001", "A002"]})
        attendance = pd.DataFrame({"event_id": ["E1", "E2", "E3", "E3"], "actor_id": ["a", "b", "a", "c"]})
        actors = pd.DataFrame({"actor_id": list("abc"), "commune_code": "21166", "in_qpv": False})
        by_commune = venue_reach(events, attendance, actors, reference, commune="21166")
        by_organiser = venue_reach(events, attendance, actors, reference, commune="21166", organiser="A002")
        assert (by_commune.events, by_commune.participants) == (2, 2)
        assert (by_organiser.events, by_organiser.participants) == (2, 2) and by_organiser.returning.returning == 1

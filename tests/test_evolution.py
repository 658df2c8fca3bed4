"""Change between two dates: intervals against statsmodels and scipy, a hand-made tie case."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from evaluation.measures.evolution import (
    newcombe_difference,
    poisson_interval,
    rate_ratio_exact,
    share_change,
    tie_changes,
)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 12, 4, 30),
                                                     (30, 30, 2, 25), (1, 151, 0, 104)])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_newcombe_equals_statsmodels(x1, n1, x2, n2, alpha):
    d, low, high = newcombe_difference(x1, n1, x2, n2, alpha=alpha)
    ref_low, ref_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (low, high) == pytest.approx((ref_low, ref_high), abs=1e-12)


def test_newcombe_textbook_value():
    # Newcombe (1998), table II, example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    _, low, high = newcombe_difference(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_share_change_is_the_weighted_newcombe_of_new_against_baseline():
    # 40 of 100 at the baseline; 30 of 50 since: 70 of 150 now.
    c = share_change(40, 100, 70, 150)
    assert (c.x_new, c.n_new) == (30, 50)
    assert c.change == pytest.approx(70 / 150 - 40 / 100)
    low, high = confint_proportions_2indep(30, 50, 40, 100, method="newcomb", compare="diff")
    assert (c.ci_low, c.ci_high) == pytest.approx((low * 50 / 150, high * 50 / 150))
    assert c.ci_low < c.change < c.ci_high
    assert share_change(40, 100, 40, 100).change == 0
    with pytest.raises(ValueError):
        share_change(40, 100, 30, 150)


@pytest.mark.parametrize(("x1", "t1", "x2", "t2"), [(47, 2.0, 104, 5.0), (3, 1.0, 10, 1.0), (0, 2.0, 7, 3.0),
                                                    (12, 0.5, 0, 4.0)])
def test_rate_ratio_exact_against_scipy_and_statsmodels(x1, t1, x2, t2):
    r = rate_ratio_exact(x1, t1, x2, t2)
    n = x1 + x2
    pi_low, pi_high = stats.binomtest(x1, n).proportion_ci(method="exact")
    to_ratio = lambda pi: np.inf if pi >= 1 else pi / (1 - pi) * t2 / t1  # noqa: E731
    assert (r.ci_low, r.ci_high) == pytest.approx((to_ratio(pi_low), to_ratio(pi_high)))
    ref = poisson_2indep(x1, t1, x2, t2, method="exact-cond", compare="ratio")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    if x2:
        assert r.ratio == pytest.approx((x1 / t1) / (x2 / t2))


def test_rate_ratio_interval_against_r():
    # R 4: r <- poisson.test(c(47, 104), c(2, 5)); r$estimate; r$conf.int; r$p.value
    #      -> 1.129807692; 0.7829394538 1.6092026563; 0.4726118348
    r = rate_ratio_exact(47, 2.0, 104, 5.0)
    assert (r.ratio, r.ci_low, r.ci_high, r.p_value) == pytest.approx(
        (1.129807692, 0.7829394538, 1.6092026563, 0.4726118348), rel=1e-8)


def test_poisson_interval_garwood():
    low, high = poisson_interval(5)
    # R 4: poisson.test(5)$conf.int -> 1.62348639 11.66833208; poisson.test(0)$conf.int -> 0 3.688879454
    assert (low, high) == pytest.approx((1.62348639, 11.66833208), rel=1e-8)
    assert poisson_interval(0) == pytest.approx((0.0, 3.688879454), rel=1e-9)


def test_ties_new_kept_lost_hand_made():
    D = pd.Timestamp
    ties = pd.DataFrame({"actor_a": ["x", "y", "z", "x", "w"], "actor_b": ["y", "x", "x", "w", "v"],
                         "start_date": [D("2019-01-01"), D("2021-01-01"), D("2020-05-01"), D("2023-02-01"),
                                        D("2022-01-01")],
                         "end_date": [D("2021-06-30"), pd.NaT, D("2022-01-01"), pd.NaT, pd.NaT]})
    # 2022-12-31: x|y (second declaration, open), w|v; z|x ended 2022-01-01.
    # 2024-12-31: x|y, w|v, w|x (new). None lost.
    c = tie_changes(ties, dt.date(2022, 12, 31), dt.date(2024, 12, 31))
    assert (c.baseline, c.current, c.new, c.kept, c.lost) == (2, 3, 1, 2, 0)
    c = tie_changes(ties, dt.date(2020, 12, 31), dt.date(2024, 12, 31), actors=pd.Index(["x", "y", "z", "w"]))
    # 2020-12-31: x|y, x|z; 2024: x|y, w|x (w|v: v outside).
    assert (c.baseline, c.current, c.new, c.kept, c.lost) == (2, 2, 1, 1, 1)


def test_edge_changes_hand_made():
    from evaluation.measures.evolution import edge_changes

    base = pd.DataFrame({"actor_a": ["x", "y", "z"], "actor_b": ["y", "z", "w"]})
    now = pd.DataFrame({"actor_a": ["y", "z", "v", "u"], "actor_b": ["x", "y", "x", "w"]})
    # B = {x|y, y|z, w|z}, C = {x|y, y|z, v|x, u|w}: kept 2, new 2 (v|x, u|w), lost 1 (w|z);
    # v is not a baseline actor, u neither: both new ties "entered".
    c = edge_changes(base, now, baseline_actors=pd.Index(["x", "y", "z", "w"]))
    assert (c.baseline, c.current, c.new, c.kept, c.lost, c.entered) == (3, 4, 2, 2, 1, 2)
    c = edge_changes(base, now, baseline_actors=pd.Index(["x", "y", "z", "w", "v"]))
    assert c.entered == 1  # u|w only
    assert edge_changes(base.iloc[:0], now).baseline == 0


def test_evolution_sentence_uses_the_table_definition_hand_made(reference):
    """The chapter's sentence gives the table's « Liens de collaboration avant / après » values.

    Territory 21166, split 2020-01-01, baseline 31/12/2022, now 30/06/2024. A1–A4 are located in
    it; A5 enters the network at its first event there (2023), A6 never does. Ties:
    T1 A1–A2 2019-01-15 open; T2 A3–A4 2021-01-10 → 2021-12-01; T3 A1–A5 2018-06-01 → 2019-06-01;
    T4 A2–A3 2023-02-01 open; T5 A4–A5 2022-06-01 open; T6 A1–A6 2021-01-01 open;
    T7 A2–A4 2022-03-01 → 2024-01-31.
    By hand: before the split, baseline {T1} = 1, now {T1, T3} = 2 (T3: A5 entered since).
    After the split (active at some time from 2020-01-01 to the date), baseline {T1, T2, T7} = 3
    (T5: A5 not yet in the network), now {T1, T2, T4, T5, T7} = 5: 3 kept, 2 new, of which
    1 (T5) with an actor entered since. (Active *on* each date among today's actors, the old
    sentence's definition, would give 3 at the baseline — T1, T5, T7 — and 3 now — T1, T4, T5:
    neither matches the table.)
    """
    from types import SimpleNamespace

    from evaluation.measures.network.analysis import analyse_network
    from evaluation.measures.network.build import split_periods
    from evaluation.measures.snapshot import as_of
    from evaluation.report.editions.evolution import EvolutionPublication, evolution_section, period_ties

    D = pd.to_datetime
    tables = {
        "actors": pd.DataFrame({"actor_id": [f"A{k}" for k in range(1, 7)], "kind": "association",
                                "sector": "culture", "commune_code": ["21166"] * 4 + ["21231"] * 2,
                                "in_qpv": False}),
        "events": pd.DataFrame({"event_id": ["E1", "E2", "E3"], "commune_code": "21166",
                                "date": D(["2019-03-01", "2021-03-01", "2023-05-01"])}),
        "attendance": pd.DataFrame({"event_id": ["E1", "E1", "E2", "E2", "E3", "E3"],
                                    "actor_id": ["A1", "A2", "A3", "A4", "A5", "A1"]}),
        "collaborations": pd.DataFrame({
            "actor_a": ["A1", "A3", "A1", "A2", "A4", "A1", "A2"], "actor_b": ["A2", "A4", "A5", "A3", "A5", "A6", "A4"],
            "start_date": D(["2019-01-15", "2021-01-10", "2018-06-01", "2023-02-01", "2022-06-01", "2021-01-01",
                             "2022-03-01"]),
            "end_date": D([None, "2021-12-01", "2019-06-01", None, None, None, "2024-01-31"]),
            "kind": "partnership"}),
    }

    def network(date):
        t = as_of(tables, date)
        return analyse_network(t["actors"], t["events"], t["attendance"], t["collaborations"], reference,
                               communes=["21166"], periods=split_periods("2020-01-01"), permutations=19)

    base, now = network("2022-12-31"), network("2024-06-30")
    before, after = period_ties(base, now)
    assert (before.baseline, before.current, before.new, before.kept, before.lost, before.entered) == (1, 2, 1, 1, 0, 1)
    assert (after.baseline, after.current, after.new, after.kept, after.lost, after.entered) == (3, 5, 2, 3, 0, 1)
    # The table's rows (indicators liens_avant / liens_apres) are the networks' own counts.
    assert (base.change.ties_before, now.change.ties_before) == (before.baseline, before.current)
    assert (base.change.ties_after, now.change.ties_after) == (after.baseline, after.current)
    e = EvolutionPublication("point-etape-2022", dt.date(2022, 12, 31), dt.date(2024, 6, 30), pd.DataFrame(
        columns=["indicateur", "unite", "baseline", "current", "change", "ci_low", "ci_high", "method", "withheld",
                 "current_secret"]), pd.DataFrame(), None, after, ties_before=before, split_date=dt.date(2020, 1, 1))
    text = " ".join(x for x in evolution_section(SimpleNamespace(evolution=e)) if isinstance(x, str))
    assert ("comptés comme dans le tableau" in text and "3 au point d'étape, 5 au 30/06/2024, dont 3 déjà comptés au "
            "point d'étape et 2 nouveaux (dont 1 avec un acteur entré dans le réseau depuis)." in text)
    assert "passent de 1 à 2 bien que cette date n'ait pas changé : 1 lien d'acteurs entrés" in text
    assert "terminés" not in text and "corrigées" not in text

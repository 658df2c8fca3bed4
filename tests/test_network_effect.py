"""Networking effects that survive selection: simulation study, references and hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation import network as nw
from evaluation.network_simulation import simulate_selection

RUNS = 50


def simulated_dyads(seed: int, effect: float, **options):
    """The pipeline of the report (co-presence, ties, pair table) on one simulated territory."""
    s = simulate_selection(seed=seed, effect=effect, **options)
    before, after = nw.split_periods(s.split_date)
    nodes = s.actors.set_index("actor_id").assign(urban_rural="urbain")
    universe = nw.active_actors(s.attendance, s.events, s.collaborations, before)
    table = nw.dyads(nodes, nw.copresence(s.attendance, s.events, period=before),
                     nw.collaboration_ties(s.collaborations, period=before),
                     nw.collaboration_ties(s.collaborations, period=after), universe=universe)
    return s, universe, table


class TestSimulation:
    def test_activity_is_lognormal_and_drives_attendance_and_ties(self):
        s = simulate_selection(n_actors=2000, seed=1)
        log_a = np.log(s.activity.to_numpy())
        assert abs(log_a.std() - 1.2) < 0.05 and abs(log_a.mean()) < 0.06
        attended = s.attendance["actor_id"].value_counts().reindex(s.activity.index, fill_value=0)
        ties = pd.concat([s.collaborations["actor_a"], s.collaborations["actor_b"]]).value_counts()
        ties = ties.reindex(s.activity.index, fill_value=0)
        assert np.corrcoef(log_a, np.log1p(attended))[0, 1] > 0.5
        assert np.corrcoef(log_a, np.log1p(ties))[0, 1] > 0.4

    def test_planted_effect_raises_new_ties_among_met_pairs(self):
        # Same seed: same activity and attendance; only the effect differs.
        _, _, none = simulated_dyads(3, 1.0)
        _, _, planted = simulated_dyads(3, 3.0)
        met = none["copresence"] > 0
        assert (planted.loc[met, "new_tie"].sum() > 2 * none.loc[met, "new_tie"].sum())

    def test_rates_are_checked(self):
        with pytest.raises(ValueError, match="exceeds 1"):
            simulate_selection(tie_rate=0.01, effect=3.0)


def crude_excludes_one(seed: int) -> tuple[bool, bool]:
    _, _, table = simulated_dyads(seed, 1.0)
    c = nw.conversion(table)
    row = nw.dyad_model(table).table.set_index("term").loc["copresence"]
    return c.ci_low > 1, row["ci_low"] > 1


def test_crude_estimates_fail_under_pure_selection():
    """With no effect at all, the crude risk ratio and the dyad logit still 'find' one."""
    results = np.array([crude_excludes_one(seed) for seed in range(20)])
    assert results[:, 0].mean() >= 0.8  # risk ratio interval above 1
    assert results[:, 1].mean() >= 0.8  # odds ratio interval above 1

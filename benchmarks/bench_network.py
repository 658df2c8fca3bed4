"""Networking-effects benchmarks.

* ``copresence``: our sparse projection vs networkx's ``bipartite.weighted_projected_graph``
  at 20,000 actors, 5,000 events and 200,000 attendance rows; ties and weights are checked
  identical. Target ≥ 50× faster.
* ``qap``: the QAP test with 1,000 permutations on 1,000 actors vs a plain loop that, for
  each permutation, relabels the co-presence graph with networkx and recomputes the
  correlation with pandas. The loop runs 20 permutations and its time is scaled to 1,000
  (it is linear in the number of permutations). Target ≥ 20× faster.
* ``dyad_model``: the dyad table (4.5 million pairs) and the logistic model with dyad-robust
  errors for 3,000 actors, run in a child process whose peak resident memory is reported
  against a 4 GiB budget. Target ratio ≤ 1.
* ``network_effect``: the adjusted model (Poisson with one fixed effect per actor,
  dyad-robust errors, :func:`evaluation.measures.network.effect.network_effect`) **and the models
  of the mechanisms** (:func:`evaluation.measures.network.mechanisms.analyse_mechanisms`: five dose
  models, structure, two bridging models, the discrete-time model, its event study, the venue
  model and the two-period estimate at the split date ± one year — thirteen fixed-effects fits,
  on pair tables sampled above :data:`evaluation.measures.network.models.MAX_ROWS` rows) vs
  today's crude logit :func:`evaluation.measures.network.inference.dyad_model`, on the same pair
  table of a simulated territory of 3,000 actors whose activity drives attendance and ties (4.5
  million pairs, the same pair controls on both sides), in one child process. The pair tables
  are built outside the timings on both sides, except the two the split-date sensitivity
  rebuilds. Target ratio ≤ 3.

At ``size="tiny"`` (the test suite) each runs on a few hundred actors, once: the same calls, no
meaningful ratio.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from networkx.algorithms import bipartite

sys.path.insert(0, str(Path(__file__).parent))

from _timing import best_of, guarded, sized  # noqa: E402
from evaluation.measures.network.build import copresence  # noqa: E402
from evaluation.measures.network.inference import qap_test  # noqa: E402

# Sizes of each benchmark, full and tiny.
COPRESENCE = {"full": (20_000, 5_000, 200_000, 3), "tiny": (500, 100, 3_000, 1)}  # actors, events, rows, turns
# actors, events, attendance rows, permutations, permutations of the plain loop, ties, turns
QAP = {"full": (1_000, 300, 12_000, 1_000, 20, 3_000, 3), "tiny": (100, 30, 1_200, 50, 2, 100, 1)}
DYADS = {"full": (3_000, 60_000, 9_000, 1_000), "tiny": (300, 3_000, 900, 100)}  # actors, meetings, new, prior
EFFECT = {"full": dict(n_actors=3000, events_before=40, events_after=40, attendance_rate=0.02, tie_rate=0.0004,
                       tie_rate_before=0.0002, turns=2),
          "tiny": dict(n_actors=300, events_before=20, events_after=20, attendance_rate=0.05, tie_rate=0.004,
                       tie_rate_before=0.002, turns=1)}


def _attendance(actors: int, events: int, rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(2.0, actors) + 0.1  # a few very active actors, many occasional ones
    # Every actor attends at least once; the other rows follow popularity.
    who = np.concatenate([np.arange(actors), rng.choice(actors, rows - actors, p=popularity / popularity.sum())])
    att = pd.DataFrame({
        "event_id": np.char.add("E", rng.integers(0, events, rows).astype(str)),
        "actor_id": np.char.add("A", who.astype(str)),
    }).drop_duplicates()
    ev = pd.DataFrame({"event_id": np.char.add("E", np.arange(events).astype(str)),
                       "date": pd.Timestamp("2021-01-01")})
    return att, ev


def bench_copresence(size: str) -> tuple[str, bool]:
    actors, events, rows, turns = sized(size, **COPRESENCE)
    att, ev = _attendance(actors, events, rows)
    t_ours = best_of(lambda: copresence(att, ev), repeat=turns)
    ours = copresence(att, ev)

    def with_networkx() -> nx.Graph:
        b = nx.Graph()
        b.add_nodes_from(att["actor_id"].unique(), bipartite=0)
        b.add_nodes_from(att["event_id"].unique(), bipartite=1)
        b.add_edges_from(att.itertuples(index=False))
        return bipartite.weighted_projected_graph(b, att["actor_id"].unique())

    start = time.perf_counter()
    ref = with_networkx()
    t_nx = time.perf_counter() - start
    theirs = pd.DataFrame([(min(u, v), max(u, v), d["weight"]) for u, v, d in ref.edges(data=True)],
                          columns=["actor_a", "actor_b", "weight"]).sort_values(["actor_a", "actor_b"], ignore_index=True)
    identical = (len(ours) == len(theirs)
                 and all((ours[c].astype(str).to_numpy() == theirs[c].astype(str).to_numpy()).all()
                         for c in ("actor_a", "actor_b", "weight")))
    ratio = t_nx / t_ours
    return (f"copresence: ratio={ratio:.0f} target>=50 (networkx weighted_projected_graph vs sparse B·Bᵀ, "
            f"{att['actor_id'].nunique()} actors, {att['event_id'].nunique()} events, {len(att)} attendance rows, "
            f"{len(ours)} ties, identical ties and weights: {identical}; {t_nx:.1f} s vs {t_ours:.2f} s)",
            ratio >= 50 and identical)


def bench_qap(size: str) -> tuple[str, bool]:
    n, events, rows, perms, loop_perms, n_ties, turns = sized(size, **QAP)
    att, ev = _attendance(n, events, rows, seed=1)
    edges = copresence(att, ev)
    ids = [f"A{k}" for k in range(n)]  # every actor, those who never met included
    pos = pd.Series(np.arange(n), index=ids)
    x = np.zeros((n, n))
    r, c = pos[edges["actor_a"]].to_numpy(), pos[edges["actor_b"]].to_numpy()
    x[r, c] = x[c, r] = edges["weight"].to_numpy()
    rng = np.random.default_rng(2)
    iu = np.triu_indices(n, 1)
    chosen = rng.choice(iu[0].size, n_ties, replace=False, p=(x[iu] + 0.05) / (x[iu] + 0.05).sum())
    y_edges = (iu[0][chosen], iu[1][chosen])
    t_ours = best_of(lambda: qap_test(x, y_edges, n, permutations=perms, seed=0), repeat=turns)

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(r, c, edges["weight"], strict=False))
    pairs = pd.DataFrame({"a": iu[0], "b": iu[1]})
    new = pd.DataFrame({"a": y_edges[0], "b": y_edges[1], "y": 1.0})

    def plain_loop() -> list[float]:
        out = []
        loop_rng = np.random.default_rng(0)
        for _ in range(loop_perms):
            perm = loop_rng.permutation(n)
            h = nx.relabel_nodes(g, dict(enumerate(perm)))
            w = pd.DataFrame([(min(u, v), max(u, v), d["weight"]) for u, v, d in h.edges(data=True)],
                             columns=["a", "b", "x"])
            table = pairs.merge(w, on=["a", "b"], how="left").merge(new, on=["a", "b"], how="left").fillna(0.0)
            out.append(table["x"].corr(table["y"]))
        return out

    start = time.perf_counter()
    plain_loop()
    t_loop = (time.perf_counter() - start) * perms / loop_perms
    ratio = t_loop / t_ours
    return (f"qap: ratio={ratio:.0f} target>=20 (plain networkx/pandas permutation loop vs batched gather, "
            f"{perms} permutations, {n} actors, {len(chosen)} ties; loop {t_loop:.0f} s extrapolated from "
            f"{loop_perms} permutations vs {t_ours:.2f} s)", ratio >= 20)


DYAD_CHILD = """
import resource, sys, time, numpy as np, pandas as pd
from evaluation.measures.network.build import dyads
from evaluation.measures.network.inference import dyad_model
rng = np.random.default_rng(0)
n, meetings, new, prior = map(int, sys.argv[1:5])
ids = pd.Index([f"A{k:04d}" for k in range(n)], name="actor_id")
kinds = np.array(["association", "business", "institution", "ess_enterprise"])
actors = pd.DataFrame({"kind": rng.choice(kinds, n), "sector": rng.choice(list("abcdefgh"), n),
                       "commune_code": rng.choice(["21166", "21231", "21154", "21617"], n),
                       "in_qpv": rng.random(n) < 0.3, "urban_rural": rng.choice(["urbain", "rural"], n)}, index=ids)
coords = pd.DataFrame({"lat": [47.29, 47.32, 47.86, 47.32], "lon": [5.00, 5.04, 4.59, 4.99]},
                      index=["21166", "21231", "21154", "21617"])
a, b = rng.integers(0, n, meetings), rng.integers(0, n, meetings)
keep = a != b
cop = pd.DataFrame({"actor_a": ids[np.minimum(a, b)[keep]], "actor_b": ids[np.maximum(a, b)[keep]]})
cop = cop.groupby(["actor_a", "actor_b"]).size().rename("weight").reset_index()
a2, b2 = rng.integers(0, n, new), rng.integers(0, n, new)
k2 = a2 != b2
after = pd.DataFrame({"actor_a": ids[np.minimum(a2, b2)[k2]], "actor_b": ids[np.maximum(a2, b2)[k2]]})
before = after.iloc[:prior]
start = time.perf_counter()
table = dyads(actors, cop, before, after, coordinates=coords)
model = dyad_model(table)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(len(table), model.new_ties, round(peak), round(elapsed, 1))
"""


def bench_dyad_model(size: str) -> tuple[str, bool]:
    actors = sized(size, **DYADS)
    done = subprocess.run([sys.executable, "-c", DYAD_CHILD, *map(str, actors)], capture_output=True, text=True,
                          check=True)
    n_dyads, new_ties, peak_mb, seconds = done.stdout.split()
    budget = 4096
    ratio = float(peak_mb) / budget
    return (f"dyad_model: ratio={ratio:.2f} target<=1 (peak resident memory vs a {budget} MiB budget: dyad table "
            f"and logistic model with dyad-robust errors for {actors[0]} actors, {n_dyads} dyads, {new_ties} new ties; "
            f"peak {peak_mb} MiB, {seconds} s)", ratio <= 1)


EFFECT_CHILD = """
import json, sys, time, numpy as np, pandas as pd
from evaluation.measures.network import build as nw
from evaluation.measures.network.inference import dyad_model
from evaluation.measures.network.effect import network_effect, prior_activity
from evaluation.measures.network.mechanisms import analyse_mechanisms
from evaluation.measures.network.venues import VenueSpec
from evaluation.measures.network.simulation import simulate_selection
options = json.loads(sys.argv[1])
turns = options.pop("turns")
n = options["n_actors"]
s = simulate_selection(**options, effect=1.0, seed=0)
before, after = nw.split_periods(s.split_date)
nodes = s.actors.set_index("actor_id").assign(urban_rural=np.where(np.arange(n) % 3 == 0, "rural", "urbain"))
nodes["commune_code"] = np.random.default_rng(1).choice(["21166", "21231", "21154", "21617"], n)
nodes["qpv"] = np.where(nodes["in_qpv"], "QPV", "hors QPV")
events = s.events.assign(commune_code=np.where(np.arange(len(s.events)) % 2 == 0, "21166", "21231"))
coords = pd.DataFrame({"lat": [47.29, 47.32, 47.86, 47.32], "lon": [5.00, 5.04, 4.59, 4.99]},
                      index=["21166", "21231", "21154", "21617"])
universe = nodes.index  # every actor, as in the dyad_model benchmark: 4.5 million pairs at full size
ties = {"before": nw.collaboration_ties(s.collaborations, period=before),
        "after": nw.collaboration_ties(s.collaborations, period=after)}
table = nw.dyads(nodes, nw.copresence(s.attendance, events, period=before), ties["before"], ties["after"],
                 universe=universe, coordinates=coords)
activity = prior_activity(s.attendance, events, s.collaborations, universe=universe, period=before)
parts = {}
def adjusted():
    t = time.perf_counter()
    effect = network_effect(table, activity=activity)
    parts["headline"] = time.perf_counter() - t
    mech = analyse_mechanisms(nodes=nodes, actors=s.actors, attendance=s.attendance, events=events,
                              collaborations=s.collaborations, periods=[before, after], communes=["21166", "21231"],
                              universe=universe, active={"before": universe, "after": universe}, dyad_table=table,
                              ties=ties, effect=effect, falsification=None, coordinates=coords,
                              venues=[VenueSpec("tiers-lieu", "21166", None, before.end)])
    return effect, mech
def best(f):
    times = []
    for _ in range(turns):
        t = time.perf_counter(); out = f(); times.append(time.perf_counter() - t)
    return min(times), out
t_logit, model = best(lambda: dyad_model(table))
t_fe, (effect, mech) = best(adjusted)
row = model.table.set_index("term").loc["copresence"]
print(len(universe), len(table), int(table["new_tie"].sum()), effect.model, round(effect.estimate, 3),
      round(effect.ci_low, 3), round(effect.ci_high, 3), round(row["odds_ratio"], 3), round(row["ci_low"], 3),
      round(t_logit, 2), round(t_fe, 2), round(mech.dose.count.term("shared_events")["ratio"], 3),
      round(mech.discrete_time.term("met")["ratio"], 3), mech.panel_rows, round(parts["headline"], 2))
"""


def bench_network_effect(size: str) -> tuple[str, bool]:
    options = sized(size, **EFFECT)
    done = subprocess.run([sys.executable, "-c", EFFECT_CHILD, json.dumps(options)], capture_output=True, text=True,
                          check=True)
    actors, pairs, new, model, est, lo, hi, odds, odds_lo, t_logit, t_fe, dose, dt, panel, t_head = done.stdout.split()
    ratio = float(t_fe) / float(t_logit)
    return (f"network_effect: ratio={ratio:.2f} target<=3 (adjusted Poisson with actor fixed effects and dyad-robust "
            f"errors, with the mechanisms' 13 fixed-effects models (dose, structure, bridging, discrete time over "
            f"{panel} pair-years, event study, venues, split date ± 1 year), vs the crude dyad logit "
            f"network.dyad_model, same pair table and controls: {actors} actors, {pairs} pairs, {new} new ties, no "
            f"planted effect; adjusted {model} {est} [{lo}; {hi}], dose per event {dose}, discrete time {dt}, crude "
            f"odds ratio {odds} (low {odds_lo}); {t_fe} s (headline alone {t_head} s, ratio "
            f"{float(t_head) / float(t_logit):.2f}) vs {t_logit} s, best of {options['turns']}; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", ratio <= 3)


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    sized(size, full=None, tiny=None)  # refuse an unknown size before anything runs
    return [guarded("copresence", lambda: bench_copresence(size)), guarded("qap", lambda: bench_qap(size)),
            guarded("dyad_model", lambda: bench_dyad_model(size)),
            guarded("network_effect", lambda: bench_network_effect(size))]

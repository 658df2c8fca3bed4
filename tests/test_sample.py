"""The illustrative data generator."""

from __future__ import annotations

import pandas as pd

from evaluation.geo.territories import load_territories
from evaluation.io.sample import generate_accompaniments, generate_sample


def test_reused_structures_stay_in_their_commune_and_come_later(reference):
    acc = generate_accompaniments(reference, seed=3, scale=5)
    first = acc.groupby("structure_id").head(1).set_index("structure_id")
    joined = acc.join(first[["commune_code"]].rename(columns={"commune_code": "first_commune"}), on="structure_id")
    assert (joined["commune_code"] == joined["first_commune"]).all()
    assert 0.85 * len(acc) < acc["structure_id"].nunique() < len(acc)
    reused = acc[acc["structure_id"].duplicated()]
    assert (reused["programme"] != "creation").all()


def test_scale_multiplies_the_counts(reference):
    one = generate_accompaniments(reference, seed=1)
    ten = generate_accompaniments(reference, seed=1, scale=10)
    assert abs(len(ten) - 10 * len(one)) < 0.01 * len(ten)


def test_collaborations_form_more_after_co_attendance(reference):
    """The sample encodes the networking effect: pairs who met before the split tie up more often after."""
    tables = generate_sample(reference, load_territories(), seed=11)
    events = tables["events"].assign(date=lambda d: pd.to_datetime(d["date"], format="%d/%m/%Y"))
    split = pd.Timestamp(load_territories()["chenove"].split_date)
    before = tables["attendance"].merge(events[events["date"] < split][["event_id"]])
    pairs = before.merge(before, on="event_id")
    pairs = pairs[pairs["actor_id_x"] < pairs["actor_id_y"]]
    shared = pairs.groupby(["actor_id_x", "actor_id_y"]).size()
    col = tables["collaborations"].assign(start=lambda d: pd.to_datetime(d["start_date"], format="%d/%m/%Y"))
    col = col[col["start"] >= split]
    after = {tuple(sorted(p)) for p in zip(col["actor_a"], col["actor_b"], strict=False)}
    often = {p for p, k in shared.items() if k >= 3}
    n = len(tables["actors"])
    never = n * (n - 1) / 2 - len(shared)
    rate_often = len(after & often) / len(often)
    rate_never = len(after - set(shared.index)) / never
    assert rate_often > 2 * rate_never > 0

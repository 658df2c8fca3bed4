"""Illustrative follow-ups and costs, drawn with a known survival, from their own seeded generator.

**Illustrative, not observed.** The follow-ups are drawn from the accompaniments of the sample
(:func:`evaluation.io.sample.generate_sample`) with a random generator of their own (seeded
with the sample's seed and :data:`STREAM`), so that adding them changes none of the other
tables. Each structure's closure time is exponential with the programme's hazard: survival at
``t`` years is ``TRUE_SURVIVAL_3Y[programme] ** (t / 3)``, measured from the structure's origin as
:func:`evaluation.measures.outcomes.histories.structure_histories` dates it (start of the first
accompaniment; for the creation programme, the end of the support; not yet ended: no follow-up).
Mergers are an independent exponential process (censoring, not closure). Follow-ups come
near the 1st, 2nd, 3rd and 5th anniversaries, up to the sample's last date; at each, a
structure may be lost to follow-up (:data:`LOSS`): that follow-up is ``unknown`` and there is
none after it. A closure is recorded at its date (as a SIRENE check would date it).

Costs are the organisation's (no territory): per year and programme, an amount per
accompaniment started with noise, shared between funders, and overheads without programme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["STREAM", "TRUE_SURVIVAL_3Y", "MERGER_RATE", "LOSS", "ANNIVERSARIES", "true_survival",
           "generate_followups", "generate_costs"]

#: Second seed word of the outcomes' own generator (``default_rng([seed, STREAM])``).
STREAM = 30
#: True survival at three years by programme (made up for the illustration).
TRUE_SURVIVAL_3Y = {"creation": 0.70, "development": 0.80, "dla": 0.88, "tiers_lieu": 0.78}
#: Yearly hazard of a merger (censoring).
MERGER_RATE = 0.01
#: Probability that a structure is lost to follow-up at each follow-up.
LOSS = 0.1
#: Years after the origin at which structures are followed up.
ANNIVERSARIES = (1, 2, 3, 5)
_YEAR = 365.25
_SOURCES_DECLARED = ("questionnaire de suivi", "appel téléphonique", "entretien de suivi à deux ans")
_SOURCES_VERIFIED = ("vérification SIRENE", "déclarations sociales (DSN)")
#: Cost per accompaniment started (euros) and funders' shares, by programme (illustrative).
_UNIT_COST = {"creation": 2400.0, "development": 3100.0, "dla": 5200.0, "tiers_lieu": 4500.0}
_FUNDERS = {"creation": {"Région": 0.6, "Département": 0.4}, "development": {"Région": 0.5, "Métropole": 0.5},
            "dla": {"État (DLA)": 0.55, "Fonds européens": 0.45}, "tiers_lieu": {"ANRU et ville": 0.7, "Métropole": 0.3}}
_OVERHEADS = {"Fonds propres": 0.5, "Département": 0.5}


def true_survival(programme: str, years: float) -> float:
    """The survival the illustrative follow-ups were drawn with, at ``years`` after the origin."""
    return TRUE_SURVIVAL_3Y[programme] ** (years / 3)


def _origins(accompaniments: pd.DataFrame) -> pd.DataFrame:
    acc = accompaniments.assign(start=pd.to_datetime(accompaniments["start_date"], format="%d/%m/%Y"),
                                end=pd.to_datetime(accompaniments["end_date"].replace("", None), format="%d/%m/%Y"))
    acc = acc.sort_values(["start", "accompaniment_id"], kind="stable")
    jobs = (acc["jobs_created"].astype(float) + acc["jobs_maintained"].astype(float)).groupby(acc["structure_id"]).max()
    first = acc.drop_duplicates("structure_id").set_index("structure_id")
    origin = first["start"].where(first["programme"] != "creation", first["end"])
    return pd.DataFrame({"programme": first["programme"], "origin": origin, "jobs": jobs.reindex(first.index)})


def generate_followups(accompaniments: pd.DataFrame, *, seed: int = 2024) -> pd.DataFrame:
    """Follow-ups of the sample's structures, drawn with :func:`true_survival` (see the module's notes).

    ``accompaniments`` is the sample's table as written (text cells); the follow-ups stop at its
    latest start date, so that the sample's default « état au » does not move.
    """
    rng = np.random.default_rng([seed, STREAM])
    cutoff = pd.to_datetime(accompaniments["start_date"], format="%d/%m/%Y").max()
    s = _origins(accompaniments)
    s = s[s["origin"].notna()]
    n, k = len(s), len(ANNIVERSARIES)
    hazard = -np.log(s["programme"].map(TRUE_SURVIVAL_3Y).to_numpy(float)) / 3
    closure = rng.exponential(1 / hazard)
    merger = rng.exponential(1 / MERGER_RATE, n)
    when = np.asarray(ANNIVERSARIES, float)[None, :] + rng.uniform(-45, 45, (n, k)) / _YEAR
    lost = rng.random((n, k)) < LOSS
    first_lost = np.where(lost.any(axis=1), lost.argmax(axis=1), k)
    step = np.arange(k)[None, :]
    ends = np.minimum(closure, merger)[:, None]
    status = np.where(ends <= when, np.where(closure[:, None] <= merger[:, None], "closed", "merged"), "active")
    at = np.where(status == "active", when, ends)  # a closure or merger is dated when it happened
    origin = s["origin"].to_numpy("datetime64[ns]")[:, None]
    dates = origin + (at * _YEAR * 86400e9).astype("timedelta64[ns]")
    ended_before = np.cumsum(status != "active", axis=1) - (status != "active")  # rows after the end
    held = origin + (when * _YEAR * 86400e9).astype("timedelta64[ns]")  # when each follow-up took place
    keep = (step <= first_lost[:, None]) & (ended_before == 0) & (held <= cutoff.to_datetime64())
    status = np.where(step == first_lost[:, None], "unknown", status)
    base = s["jobs"].fillna(0).to_numpy(float)[:, None]
    jobs = rng.poisson(np.maximum(base * (1 + 0.08 * step) + 0.3, 0.2))
    verified = rng.random((n, k)) < 0.3
    source = np.where(status == "closed", _SOURCES_VERIFIED[0],
                      np.where(verified, _SOURCES_VERIFIED[1], rng.choice(_SOURCES_DECLARED, (n, k))))
    fte = np.round(jobs * rng.uniform(0.6, 1.0, (n, k)), 1)
    active = status == "active"
    rows, cols = np.nonzero(keep)
    out = pd.DataFrame({
        "structure_id": s.index.to_numpy()[rows],
        "date": pd.DatetimeIndex(dates[rows, cols]).strftime("%d/%m/%Y"),
        "status": status[rows, cols],
        "jobs": np.where(active[rows, cols], jobs[rows, cols].astype(str), ""),
        "fte": np.where(active[rows, cols], pd.Series(fte[rows, cols]).map(lambda v: f"{v:.1f}".replace(".", ",")), ""),
        "source": np.where(status[rows, cols] == "unknown", "appel sans réponse", source[rows, cols]),
    })
    return out.sort_values(["date", "structure_id"], key=lambda c: pd.to_datetime(c, format="%d/%m/%Y")
                           if c.name == "date" else c, kind="stable", ignore_index=True)


def generate_costs(accompaniments: pd.DataFrame, *, seed: int = 2024) -> pd.DataFrame:
    """The organisation's costs by year, programme and funder (illustrative; see the module's notes)."""
    rng = np.random.default_rng([seed, STREAM + 1])
    acc = accompaniments.assign(year=pd.to_datetime(accompaniments["start_date"], format="%d/%m/%Y").dt.year)
    started = acc.groupby(["year", "programme"]).size()
    rows = []
    for (year, programme), count in started.items():  # a few dozen budget lines
        amount = count * _UNIT_COST[programme] * rng.uniform(0.85, 1.15)
        rows += [(year, programme, share * amount, funder) for funder, share in _FUNDERS[programme].items()]
    for year in sorted(acc["year"].unique()):
        overhead = rng.uniform(25000, 35000)
        rows += [(year, "", share * overhead, funder) for funder, share in _OVERHEADS.items()]
    out = pd.DataFrame(rows, columns=["year", "programme", "amount", "funder"])
    out["amount"] = (out["amount"] / 100).round().astype(int) * 100
    out["amount"] = out["amount"].map(lambda v: f"{v:,}".replace(",", " ") + " €")
    return out

"""The partner survey of one territory: every wave's scores with their intervals, non-response, agreement, change.

:func:`analyse_wave` measures one wave from its answers and its roster (the actors listed, with
what is known of each); :func:`analyse_survey` does it for every wave of a territory up to a
date, from the loaded tables, and compares the first and the last wave
(:mod:`evaluation.measures.survey.waves`). Scores are defined in
:mod:`evaluation.measures.survey.scores`, intervals in :mod:`evaluation.measures.survey.bootstrap`,
the rules for one-sided ties, the bounds and the comparison of respondents with
non-respondents in :mod:`evaluation.measures.survey.nonresponse`, κ in
:mod:`evaluation.measures.survey.agreement`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.io.survey.roster import declared_pairs, roster_frame
from evaluation.measures.survey.agreement import Agreement, survey_agreement
from evaluation.measures.survey.bootstrap import DEFAULT_DRAWS, bootstrap_weights, percentile_interval
from evaluation.measures.survey.matrices import WaveMatrices, wave_matrices
from evaluation.measures.survey.nonresponse import (
    RULES,
    ResponseRate,
    Rule,
    compare_respondents,
    density_bounds,
    response_rate,
    rule_density,
)
from evaluation.measures.survey.scores import SCORES, network_scores, received_scores
from evaluation.measures.survey.waves import WaveChange, wave_change

__all__ = ["WaveScores", "SurveyAnalysis", "score_intervals", "analyse_wave", "analyse_survey", "YEAR"]

#: The period before a wave's date whose attendance and declared collaborations are compared with it.
YEAR = dt.timedelta(days=365)


@dataclass
class WaveScores:
    """One wave's measures.

    ``scores``: ``score`` (:data:`~evaluation.measures.survey.scores.SCORES`), ``value``, ``low``,
    ``high``. ``densities``: per ``rule``, the density of ties of any intensity among the pairs
    the rule judges (``value``, ``low``, ``high``) and over all pairs (``bound_low``,
    ``bound_high``). ``comparison`` and ``tests``: respondents against non-respondents
    (:func:`~evaluation.measures.survey.nonresponse.compare_respondents`); ``possible_bias``: the
    variables on which they differ. ``received``: per listed actor rated, the mean trust and value
    it receives with intervals and its ``raters``; ``by_kind``: the same per kind of actor rated.
    """

    wave: str
    date: dt.date
    rate: ResponseRate
    ties: int
    outside_respondents: int
    outside_ties: int
    scores: pd.DataFrame
    densities: pd.DataFrame
    comparison: pd.DataFrame
    tests: pd.DataFrame
    possible_bias: list[str]
    received: pd.DataFrame
    by_kind: pd.DataFrame
    agreement: Agreement | None = None
    matrices: WaveMatrices | None = field(default=None, repr=False)


@dataclass
class SurveyAnalysis:
    """A territory's survey: its waves in order of date and the change from the first to the last."""

    territory: str
    rule: Rule
    draws: int
    seed: int
    alpha: float
    waves: list[WaveScores]
    change: WaveChange | None = None


def _interval_table(point: dict[str, np.ndarray], boot: dict[str, np.ndarray], names: tuple[str, ...],
                    alpha: float) -> pd.DataFrame:
    rows = []
    for name in names:
        low, high = percentile_interval(boot[name], alpha=alpha)
        rows.append({"score": name, "value": float(point[name][0]), "low": float(low), "high": float(high)})
    return pd.DataFrame(rows, columns=["score", "value", "low", "high"])


def score_intervals(m: WaveMatrices, *, alpha: float = 0.05, draws: int = DEFAULT_DRAWS, seed: int = 0,
                    weights: np.ndarray | None = None) -> pd.DataFrame:
    """The network's scores (:data:`~evaluation.measures.survey.scores.SCORES`) with their percentile
    intervals over ``draws`` resamples of the respondents (or the given bootstrap ``weights``).
    """
    w = bootstrap_weights(m.responded, draws=draws, seed=seed) if weights is None else weights
    one = m.responded.astype(float)[None, :]
    return _interval_table(network_scores(m, one), network_scores(m, w), SCORES, alpha)


def _received(m: WaveMatrices, w: np.ndarray, roster: pd.DataFrame, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    one = m.responded.astype(float)[None, :]
    point, boot = received_scores(m, one), received_scores(m, w)
    rated = point["raters"][0] > 0
    out = pd.DataFrame({"actor_id": m.ids[rated], "kind": roster["kind"].reindex(m.ids).to_numpy()[rated],
                        "raters": point["raters"][0][rated].astype(int)})
    for s in ("trust", "value"):
        low, high = percentile_interval(boot[s][:, rated], alpha=alpha)
        out[s], out[f"{s}_low"], out[f"{s}_high"] = point[s][0][rated], low, high
    kinds = roster["kind"].reindex(m.ids).astype(object).fillna("inconnu").to_numpy()
    rows = []
    for kind in sorted(set(kinds[rated])):
        cols = kinds == kind
        row = {"kind": kind, "actors": int((rated & cols).sum()),
               "raters": int(((m.level[:, cols] > 0).any(axis=1) & m.responded).sum())}
        for s, grid in (("trust", m.trust), ("value", m.value)):
            sums, counts = np.nan_to_num(grid[:, cols]).sum(axis=1), (~np.isnan(grid[:, cols])).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                draws = (w @ sums) / (w @ counts)
            low, high = percentile_interval(draws, alpha=alpha)
            row.update({s: float(sums.sum() / counts.sum()) if counts.sum() else float("nan"),
                        f"{s}_low": float(low), f"{s}_high": float(high)})
        rows.append(row)
    return out, pd.DataFrame(rows, columns=["kind", "actors", "raters", "trust", "trust_low", "trust_high", "value",
                                            "value_low", "value_high"])


def analyse_wave(respondents: pd.DataFrame, ties: pd.DataFrame, roster: pd.DataFrame, *, wave: str,
                 date: dt.date, declared: pd.DataFrame | None = None, rule: Rule = "or", alpha: float = 0.05,
                 draws: int = DEFAULT_DRAWS, seed: int = 0, permutations: int = 2000) -> WaveScores:
    """One wave's measures from its answers (:func:`~evaluation.io.survey.answers.read_survey`'s
    tables, this wave's rows) and its ``roster`` (indexed by ``actor_id``: ``kind``, ``inside``,
    ``attended``; :func:`~evaluation.io.survey.roster.roster_frame`). ``declared``: the
    collaborations active in the year before the wave (pairs), for κ; ``rule``: how one-sided
    ties count (:mod:`evaluation.measures.survey.nonresponse`).
    """
    m = wave_matrices(respondents, ties, roster.index)
    w = bootstrap_weights(m.responded, draws=draws, seed=seed)
    one = m.responded.astype(float)[None, :]
    scores = score_intervals(m, alpha=alpha, weights=w)
    densities = []
    for r in RULES:
        low, high = percentile_interval(rule_density(m, w, rule=r), alpha=alpha)
        bound_low, bound_high = density_bounds(m, rule=r)
        densities.append({"rule": r, "value": float(rule_density(m, one, rule=r)[0]), "low": float(low),
                          "high": float(high), "bound_low": bound_low, "bound_high": bound_high})
    comparison, tests = compare_respondents(roster, m.responded, alpha=alpha, permutations=permutations, seed=seed)
    received, by_kind = _received(m, w, roster, alpha)
    agreement = survey_agreement(m, declared, rule=rule, alpha=alpha) if declared is not None else None
    return WaveScores(wave, date, response_rate(m.responded, alpha=alpha), int((m.level > 0).sum()),
                      m.outside_respondents, m.outside_ties, scores, pd.DataFrame(densities), comparison, tests,
                      sorted(tests.loc[tests["differs"], "variable"]), received, by_kind, agreement, m)


def analyse_survey(respondents: pd.DataFrame, ties: pd.DataFrame, *, territory: str, communes: Collection[str],
                   actors: pd.DataFrame, events: pd.DataFrame, attendance: pd.DataFrame,
                   collaborations: pd.DataFrame, until: dt.date | None = None, rule: Rule = "or",
                   alpha: float = 0.05, draws: int = DEFAULT_DRAWS, seed: int = 0) -> SurveyAnalysis | None:
    """Every wave of ``territory``'s survey dated on or before ``until``, and the change from the
    first to the last; ``None`` when it has no wave.

    A wave's roster is the territory's actors at its date
    (:func:`~evaluation.io.survey.roster.roster_frame`), ``attended`` meaning at least one
    event of the territory in the year before it; the declared collaborations compared with it
    are those active in that year. Attendees and non-attendees are compared on the events
    between the first and the last wave.
    """
    r = respondents[respondents["territory"] == territory]
    if until is not None:
        r = r[r["wave_date"] <= pd.Timestamp(until)]
    if r.empty:
        return None
    order = r.groupby("wave")["wave_date"].min().sort_values()
    waves = []
    for name, date in order.items():
        day = date.date()
        roster = roster_frame(actors, events, attendance, communes=communes, until=day, since=day - YEAR)
        chosen = r[r["wave"] == name]
        declared = declared_pairs(collaborations, start=day - YEAR, end=day)
        waves.append(analyse_wave(chosen, ties[ties["response"].isin(chosen["response"])], roster, wave=str(name),
                                  date=day, declared=declared, rule=rule, alpha=alpha, draws=draws, seed=seed))
    change = None
    if len(waves) >= 2:
        first, last = waves[0], waves[-1]
        between = roster_frame(actors, events, attendance, communes=communes, until=last.date, since=first.date)
        change = wave_change(first.matrices, last.matrices, names=(first.wave, last.wave),
                             attended=between["attended"], alpha=alpha, draws=draws, seed=seed)
    return SurveyAnalysis(territory, rule, draws, seed, alpha, waves, change)

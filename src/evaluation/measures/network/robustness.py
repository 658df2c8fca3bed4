"""Robustness of the network effect: the falsification test on pairs met after the ties formed, the QAP stratified by activity, and the chapter's adjusted effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.measures.estimation import MIN_EVENTS_PER_PARAMETER
from evaluation.measures.network.build import Period, dyads
from evaluation.measures.network.effect import (
    Exposure,
    ModelCode,
    NetworkEffect,
    network_effect,
    prior_activity,
)
from evaluation.measures.network.inference import CONTROLS, QAPResult, qap_test

__all__ = ["falsification_dyads", "Falsification", "falsification", "activity_strata", "stratified_qap",
           "EQUIVALENCE_MARGIN", "Equivalence", "equivalence_test",
           "AdjustedEffects", "adjusted_effects"]


def falsification_dyads(actors: pd.DataFrame, copresence_after: pd.DataFrame, ties_before: pd.DataFrame, *,
                        universe: Sequence[str], coordinates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pair table of the falsification test: co-presence *after* and ties *before*.

    Same columns as :func:`evaluation.measures.network.build.dyads`, every pair of ``universe`` kept
    (none is excluded), ``copresence`` counting the events shared in the later period and
    ``new_tie`` whether the pair was already tied in the earlier period. Meetings cannot
    cause ties that predate them: an "effect" here measures the selection the model
    leaves in.
    """
    empty = ties_before.iloc[:0]
    return dyads(actors, copresence_after, empty, ties_before, universe=universe, coordinates=coordinates)


@dataclass(frozen=True)
class Falsification:
    """Result of :func:`falsification`: the placebo estimate and whether it raises a warning."""

    effect: NetworkEffect
    warning: bool  # the placebo interval excludes 1


def falsification(dyad_table: pd.DataFrame, *, activity: pd.DataFrame | None = None, exposure: Exposure = "any",
                  controls: Sequence[str] = CONTROLS, min_new_ties: int = 20, min_actors: int = 10,
                  alpha: float = 0.05, model: ModelCode | None = None) -> Falsification:
    """Co-presence after predicting ties before, with the model of :func:`~evaluation.measures.network.effect.network_effect`.

    ``dyad_table`` comes from :func:`falsification_dyads`; ``activity`` should measure
    activity in the later period without the ties before (e.g. events attended after).
    ``model``: that of the estimate tested; ``"prior_activity_controls"`` makes the test use
    it too (a placebo with actor fixed effects would vouch for a model the estimate did
    not use). ``warning`` is true when the placebo interval excludes 1.
    """
    effect = network_effect(dyad_table, activity=activity, exposure=exposure, controls=controls,
                            min_new_ties=min_new_ties, min_actors=min_actors, alpha=alpha,
                            fixed_effects=model != "prior_activity_controls")
    return Falsification(effect, effect.significant)


def activity_strata(activity: pd.Series | np.ndarray, *, bins: int = 5) -> np.ndarray:
    """Stratum (0 … ``bins`` − 1) of each actor by quantile of its activity (ranks, ties broken by order).

    Ranks rather than :func:`pandas.qcut`: many actors attend the same number of events,
    and equal-count bins stay defined.
    """
    v = np.asarray(activity, dtype=float)
    if len(v) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = stats.rankdata(v, method="ordinal") - 1
    return (ranks * bins // len(v)).astype(np.int64)


def stratified_qap(x: np.ndarray, y_edges: tuple[np.ndarray, np.ndarray], n: int, strata: np.ndarray, *,
                   permutations: int = 1000, seed: int = 0, batch: int = 250,
                   min_ties: int = MIN_EVENTS_PER_PARAMETER) -> QAPResult:
    """QAP test whose permutations only exchange actors of the same activity stratum.

    The statistic is that of :func:`evaluation.measures.network.inference.qap_test` (Pearson's correlation
    over the dyads between ``x`` and the ties ``y_edges``). The plain QAP treats all
    actors as exchangeable; when some are more active than others — they meet more *and*
    tie more — its null of "no association" is rejected by activity alone. Here each
    permutation shuffles actors within their stratum (:func:`activity_strata`), so the
    reference distribution keeps who is active: a version of the restricted permutations
    Krackhardt (1988) allows for structured data. Strata of one actor stay fixed.
    Not estimable (``estimable`` False, ``reason`` a code of
    :data:`evaluation.measures.estimation.REASONS`) on the same rules as the plain test.
    """
    return qap_test(x, y_edges, n, permutations=permutations, seed=seed, batch=batch, min_ties=min_ties,
                    strata=np.asarray(strata))


@dataclass(frozen=True)
class AdjustedEffects:
    """The adjusted estimate, its falsification test and the stratified QAP of one territory."""

    effect: NetworkEffect
    falsification: Falsification
    qap: QAPResult  # stratified by activity before
    strata: int  # number of activity strata of the QAP


def adjusted_effects(*, nodes: pd.DataFrame, attendance: pd.DataFrame, events: pd.DataFrame,
                     collaborations: pd.DataFrame, copresence_after: pd.DataFrame, ties_before: pd.DataFrame,
                     periods: Sequence[Period], universe: pd.Index, universe_after: pd.Index, dyad_table: pd.DataFrame,
                     coordinates: pd.DataFrame | None, x: np.ndarray, new_edges: tuple[np.ndarray, np.ndarray],
                     permutations: int = 1000, seed: int = 0, bins: int = 5, alpha: float = 0.05) -> AdjustedEffects:
    """Everything :func:`evaluation.measures.network.analysis.analyse_network` adds about selection.

    * :func:`~evaluation.measures.network.effect.network_effect` on the report's pair table, with the activity before
      (:func:`~evaluation.measures.network.effect.prior_activity`: events and ties);
    * :func:`falsification` on the actors active in both periods, co-presence after
      against ties before, activity = events attended after, with the prior-activity
      model when the estimate had to use it;
    * :func:`stratified_qap` on the matrix ``x`` of co-presence before (pairs tied before
      zeroed) and the new ties, within ``bins`` strata of events attended before.
    """
    first, second = periods[0], periods[1]
    activity = prior_activity(attendance, events, collaborations, universe=universe, period=first)
    effect = network_effect(dyad_table, activity=activity, alpha=alpha)
    both = universe.intersection(universe_after)
    placebo_table = falsification_dyads(nodes, copresence_after, ties_before, universe=both, coordinates=coordinates)
    placebo = falsification(placebo_table, activity=prior_activity(attendance, events, None, universe=both,
                                                                    period=second)[["events"]], alpha=alpha,
                            model=effect.model)
    strata = activity_strata(activity["events"].to_numpy(), bins=bins)
    qap = stratified_qap(x, new_edges, len(universe), strata, permutations=permutations, seed=seed)
    return AdjustedEffects(effect, placebo, qap, bins)


#: Equivalence margin of the falsification test — a placebo rate ratio inside (1/1.5, 1.5) is
#: "no effect" for practical purposes — under half the headline Chenôve estimate (2.9) on the
#: log scale, and the usual bound of a "small" rate ratio in epidemiology.
EQUIVALENCE_MARGIN = 1.5


@dataclass(frozen=True)
class Equivalence:
    """Result of :func:`equivalence_test` on a placebo estimate."""

    margin: float
    verdict: str | None  # "equivalent", "inconclusive", "warning"; None when not estimable
    p_value: float  # TOST: the larger of the two one-sided p-values
    low: float  # the (1 − 2α) interval whose inclusion in the margins is equivalence
    high: float
    estimable: bool


def equivalence_test(effect: NetworkEffect | None, *, margin: float = EQUIVALENCE_MARGIN,
                     alpha: float = 0.05) -> Equivalence:
    """Two one-sided tests (Schuirmann 1987) that a placebo rate ratio lies within (1/``margin``, ``margin``).

    On the log scale, with :math:`\\hat\\theta = \\log RR` and its standard error *s* (the one
    of the estimate's interval):

    .. math:: p = \\max\\Big(1 - \\Phi\\big(\\tfrac{\\hat\\theta + \\log m}{s}\\big),\\;
              1 - \\Phi\\big(\\tfrac{\\log m - \\hat\\theta}{s}\\big)\\Big)

    and equivalence at level α when :math:`p < \\alpha`, i.e. when the :math:`1 - 2\\alpha`
    interval lies inside the margins. Verdict: ``"warning"`` when the :math:`1 - \\alpha`
    interval excludes 1 (the placebo finds an association: the model leaves selection in),
    else ``"equivalent"`` when the test concludes (compatible with no effect), else
    ``"inconclusive"`` (the interval is too wide to tell no effect from an effect as large
    as the margin). Not estimable (``verdict`` None) without an estimable placebo.

    References
    ----------
    Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the power
    approach for assessing the equivalence of average bioavailability. *Journal of
    Pharmacokinetics and Biopharmaceutics* 15(6), 657–680.
    """
    nan = float("nan")
    if effect is None or not (effect.estimable and np.isfinite(effect.estimate) and effect.estimate > 0 and effect.se > 0):
        return Equivalence(margin, None, nan, nan, nan, False)
    theta, s, log_m = float(np.log(effect.estimate)), float(effect.se), float(np.log(margin))
    p = max(stats.norm.sf((theta + log_m) / s), stats.norm.sf((log_m - theta) / s))
    z = stats.norm.isf(alpha)
    verdict = "warning" if effect.significant else "equivalent" if p < alpha else "inconclusive"
    return Equivalence(margin, verdict, float(p), float(np.exp(theta - z * s)), float(np.exp(theta + z * s)), True)

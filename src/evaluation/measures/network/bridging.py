"""Bridging ties: between QPV and non-QPV structures, urban and rural ones, against random mixing.

The « désenclavement » question of a renewal programme is whether the neighbourhood's
structures tie with structures outside it. The share of a period's ties that join a QPV
structure to a non-QPV one depends on how many of each are active: with *q* of the *n*
actors present in the QPV, a tie between two actors drawn at random bridges with
probability

.. math:: \\pi_0 = \\frac{2 q (n - q)}{n (n - 1)}

which is also the mean, over random permutations of the labels among the actors present,
of the share of bridging ties of the observed network (each tie's two ends receive the
labels of two distinct actors at random). :func:`mixing` compares the observed share with
that expectation and with the 2.5th and 97.5th percentiles of the permuted shares (the
network's degree sequence kept: a permutation test of assortative mixing, Newman 2003);
its p-value is two-sided. :func:`bridging_models` estimates the adjusted effect of
co-presence on new ties *among bridging pairs* and among the others (exposure split by
the pair's type, with the headline model).

References
----------
Newman, M. E. J. (2003). Mixing patterns in networks. *Physical Review E* 67, 026126.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.network.fe_poisson import FEPoissonFit, PairDesign
from evaluation.measures.network.models import AdjustedModel, adjusted_model
from evaluation.measures.reach.classify import QPV

__all__ = ["Mixing", "mixing", "bridging_models"]


@dataclass(frozen=True)
class Mixing:
    """Ties bridging two groups in one period, against random mixing of the actors present."""

    attribute: str  # "qpv" or "urban_rural"
    period: str
    actors: int  # actors present with a known value
    group_actors: int  # of them in the first group (QPV; rural)
    ties: int  # ties with both ends known
    bridging: int  # of them joining the two groups
    share: float  # bridging / ties (NaN without ties)
    expected: float  # π0 = 2q(n − q) / (n(n − 1))
    low: float  # 2.5th percentile of the permuted shares
    high: float  # 97.5th percentile
    p_value: float  # two-sided: permuted shares at least as far from π0 as the observed
    permutations: int
    estimable: bool  # ties and both groups present

    @property
    def ratio(self) -> float:
        """Observed share ÷ share expected under random mixing."""
        return self.share / self.expected if self.expected > 0 else float("nan")


def mixing(edges: pd.DataFrame, labels: pd.Series, present: Sequence[str], *, attribute: str, period: str,
           permutations: int = 1000, seed: int = 0) -> Mixing:
    """Share of ``edges`` joining the two values of ``labels`` (two labels, actor id index: ``QPV``/``hors
    QPV``, ``urbain``/``rural``), among the actors ``present``, against random mixing (see the module);
    ``group_actors`` counts the QPV (or rural) ones.

    Actors of unknown value are left out, and so are the ties they are in. Permutations
    shuffle the values among the actors present (seeded), all at once as one gather.
    """
    ids = pd.Index(sorted(map(str, present)))
    values = labels.reindex(ids)
    known = values.notna().to_numpy()
    ids = ids[known]
    codes, uniques = pd.factorize(values[known].astype(str), sort=True)
    n = len(ids)
    a = ids.get_indexer(edges["actor_a"].astype(str))
    b = ids.get_indexer(edges["actor_b"].astype(str))
    inside = (a >= 0) & (b >= 0)
    a, b = a[inside], b[inside]
    m = len(a)
    first = {"qpv": QPV, "urban_rural": RURAL}.get(attribute)
    q = int((np.asarray(uniques)[codes] == first).sum()) if first in set(uniques) else int((codes == 0).sum())
    nan = float("nan")
    if n < 2 or len(uniques) != 2 or m == 0:
        share = float((codes[a] != codes[b]).mean()) if m else nan
        return Mixing(attribute, period, n, q, m, int((codes[a] != codes[b]).sum()) if m else 0, share,
                      2 * q * (n - q) / (n * (n - 1)) if n > 1 else nan, nan, nan, nan, permutations, False)
    bridging = int((codes[a] != codes[b]).sum())
    share = bridging / m
    expected = 2 * q * (n - q) / (n * (n - 1))
    rng = np.random.default_rng(seed)
    null = np.empty(permutations)
    for start in range(0, permutations, 250):
        size = min(250, permutations - start)
        perm = codes[np.argsort(rng.random((size, n)), axis=1)]
        null[start:start + size] = (perm[:, a] != perm[:, b]).mean(axis=1)
    tol = 1e-12
    p = (1 + (np.abs(null - expected) >= abs(share - expected) - tol).sum()) / (permutations + 1)
    return Mixing(attribute, period, n, q, m, bridging, share, expected, float(np.quantile(null, 0.025)),
                  float(np.quantile(null, 0.975)), float(p), permutations, True)


def bridging_models(dyad_table: pd.DataFrame, *, exposure: np.ndarray, bridges: Mapping[str, np.ndarray],
                    model: str | None, controls: Mapping[str, np.ndarray], activity: pd.DataFrame | None = None,
                    alpha: float = 0.05, seed: int = 0, design: PairDesign | None = None,
                    start: FEPoissonFit | None = None, weights: np.ndarray | None = None) -> dict[str, AdjustedModel]:
    """For each kind of bridge (``"qpv"``, ``"urban_rural"``: 0/1 per pair), the headline model with
    the exposure split into ``met_bridging`` (pairs across the two groups) and ``met_within``.

    A kind whose pairs are all on one side (no bridging pair, or only bridging pairs) is left out.
    """
    out = {}
    for kind, bridge in bridges.items():
        bridge = np.asarray(bridge, dtype=float)
        if bridge.size == 0 or np.ptp(bridge) == 0:  # no pair, or all on one side
            continue
        out[kind] = adjusted_model(f"bridging_{kind}", dyad_table,
                                   {"met_bridging": exposure * bridge, "met_within": exposure * (1 - bridge)},
                                   model=model, controls=controls, activity=activity, alpha=alpha, seed=seed,
                                   design=design, start=start, weights=weights)
    return out

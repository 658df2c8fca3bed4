"""Structure before the split: common partners (transitivity) and degree, as controls of a sensitivity model.

Partners of partners tend to become partners (triadic closure; Rapoport 1953, Holland &
Leinhardt 1971). If actors who share partners also meet at the same events, co-presence
takes credit for closure. The sensitivity model adds to the headline one, for each pair,

* ``common_partners`` — :math:`c_{ab} = (A^2)_{ab}`, the number of actors tied to both *a*
  and *b* before the split (A the adjacency matrix of the ties before), per common partner;

and each actor's **degree** before the split (ties held), which the actor fixed effects
absorb (an actor-level quantity: :math:`\\alpha_a` contains it), and which the
prior-activity model has as its term :math:`\\log(1 + d_a) + \\log(1 + d_b)`.

What this does not do: a stochastic actor-oriented model (RSiena; Snijders, van de Bunt &
Steglich 2010) or a temporal ERGM (Leifeld, Cranmer & Desmarais 2018) would model closure,
popularity and the co-evolution of ties and meetings jointly; with two waves of declared
ties and a few hundred actors, this control is the affordable check.

References
----------
Holland, P. W. & Leinhardt, S. (1971). Transitivity in structural models of small groups.
*Comparative Group Studies* 2, 107–124.
Snijders, T. A. B., van de Bunt, G. G. & Steglich, C. E. G. (2010). Introduction to
stochastic actor-based models for network dynamics. *Social Networks* 32(1), 44–60.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from evaluation.measures.network.fe_poisson import FEPoissonFit, PairDesign
from evaluation.measures.network.models import AdjustedModel, adjusted_model

__all__ = ["common_partners", "degrees", "structural_model"]


def _adjacency(ties: pd.DataFrame, universe: Sequence[str]) -> sp.csr_matrix:
    ids = pd.Index(sorted(map(str, universe)))
    a = ids.get_indexer(ties["actor_a"].astype(str))
    b = ids.get_indexer(ties["actor_b"].astype(str))
    inside = (a >= 0) & (b >= 0) & (a != b)
    n = len(ids)
    m = sp.csr_matrix((np.ones(int(inside.sum())), (a[inside], b[inside])), shape=(n, n))
    m = ((m + m.T) > 0).astype(np.float64)
    return m.tocsr()


def common_partners(ties: pd.DataFrame, universe: Sequence[str], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Number of actors tied to both actors of each pair (``i``, ``j``: positions in sorted ``universe``).

    .. math:: c_{ab} = \\sum_k A_{ak} A_{kb} = (A^2)_{ab}

    one sparse product; ties with an actor outside ``universe`` are left out.
    """
    a = _adjacency(ties, universe)
    values = (a @ a).tocsr()[np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)]
    values = values.toarray() if sp.issparse(values) else values  # scipy gives a sparse row for some inputs
    return np.asarray(values, dtype=float).ravel()


def degrees(ties: pd.DataFrame, universe: Sequence[str]) -> np.ndarray:
    """Ties each actor of the sorted ``universe`` holds (with actors of the universe)."""
    return np.asarray(_adjacency(ties, universe).sum(axis=1)).ravel()


def structural_model(dyad_table: pd.DataFrame, *, ties_before: pd.DataFrame, universe: Sequence[str],
                     exposure: np.ndarray, model: str | None, controls: Mapping[str, np.ndarray],
                     activity: pd.DataFrame | None = None, alpha: float = 0.05, seed: int = 0,
                     design: PairDesign | None = None, start: FEPoissonFit | None = None,
                     weights: np.ndarray | None = None) -> AdjustedModel:
    """The headline model with the common partners before added (terms ``met`` and ``common_partners``)."""
    i, j = dyad_table["i"].to_numpy(), dyad_table["j"].to_numpy()
    cp = common_partners(ties_before, universe, i, j)
    return adjusted_model("structure", dyad_table, {"met": exposure, "common_partners": cp}, model=model,
                          controls=controls, activity=activity, alpha=alpha, seed=seed, design=design, start=start,
                          weights=weights)

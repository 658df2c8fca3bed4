"""Networks: whether meeting turns co-presence into collaboration, and how the network changes.

``build`` (periods, co-presence, collaborations, dyads), ``describe`` (one network's
measures), ``inference`` (conversion, dyad logit, QAP), ``fe_poisson`` (two-way fixed-effects
Poisson on dyads), ``effect`` (the adjusted networking effect), ``robustness``
(falsification and its equivalence test, stratified QAP), ``analysis``
(:func:`~evaluation.measures.network.analysis.analyse_network`) and ``simulation`` (networks with
selection, dose, closure, a venue, for tests and benchmarks). How meeting works
(:mod:`~evaluation.measures.network.mechanisms`, issue 29): ``exposure`` (shared events counted,
size-weighted, by kind or venue), ``dose``, ``timing`` (pairs × equal windows, event study),
``venues``, ``structure`` (common partners), ``bridging`` (mixing against random),
``boundary``, on ``models`` (several exposure terms, sampling of large tables) and
``fe_linalg`` (the actors' n × n systems).

May import :mod:`evaluation.measures.reach`, the shared measures, ``io``, ``geo`` and the
base modules.
"""

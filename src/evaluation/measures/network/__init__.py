"""Networks: whether meeting turns co-presence into collaboration, and how the network changes.

``build`` (periods, co-presence, collaborations, dyads), ``describe`` (one network's
measures), ``inference`` (conversion, dyad logit, QAP), ``fe_poisson`` (two-way fixed-effects
Poisson on dyads), ``effect`` (the adjusted networking effect), ``robustness``
(falsification, stratified QAP), ``analysis`` (:func:`~evaluation.measures.network.analysis.analyse_network`)
and ``simulation`` (networks with selection, for tests and benchmarks).

May import :mod:`evaluation.measures.reach`, the shared measures, ``io``, ``geo`` and the
base modules.
"""

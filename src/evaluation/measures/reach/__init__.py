"""Reach: who the work reaches, where (density levels, urban/rural, QPV, EPCI, communes).

``classify`` (accompaniments joined to the commune reference), ``shares`` (counts, shares,
rates, representation, communes reached), ``distance``, ``count_model``, ``trend``,
``venue`` (the tiers-lieu's reach), ``comparison`` (a territory beside its département,
région and France) and ``summary`` (:func:`~evaluation.measures.reach.summary.reach_summary`).

May import the shared measures (``stats``, ``estimation``), ``io``, ``geo`` and the base
modules; never :mod:`evaluation.measures.network`.
"""

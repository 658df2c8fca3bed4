"""The measures: functions over DataFrames returning codes and typed results (no French).

- shared: ``stats`` (Wilson, Gini, quantiles, trend test), ``estimation`` (confidence levels,
  estimability), ``snapshot`` (the data as of a date), ``objectives`` (results against the
  convention's targets), ``evolution`` (changes between two dates), ``qualitative`` (testimonies);
- :mod:`evaluation.measures.reach`: who the work reaches, where;
- :mod:`evaluation.measures.network`: the actors' networks and the networking effect
  (may import ``reach``, never the reverse).

Imports ``io``, ``geo`` and the base modules; never ``report`` or ``cli``
(``tests/test_imports.py``).
"""

"""Secrecy: what a report may not reveal.

``disclosure`` (small counts withheld in a table), ``dominance`` (the p % rule for summed
magnitudes), ``cells``, ``links`` and ``outcome_links`` (every published count as a cell, and
the sums that tie them), ``audit`` (joint suppression and the linear
programming audit), ``leaks`` (the final search of every output for names).

May import ``measures``, ``io``, ``geo`` and the base modules, and
:mod:`evaluation.report.tables`; no other part of the report layer.
"""

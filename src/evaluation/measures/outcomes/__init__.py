"""Outcomes: what became of the accompanied structures, their jobs, and at what cost.

``survival`` (Kaplan–Meier curves with Greenwood log-log intervals and the log-rank test,
vectorised over many samples at once), ``histories`` (one survival history per structure from
the follow-ups: origin, closure or censoring), ``jobs`` (jobs at the accompaniment and at each
anniversary, per structure, with intervals), ``costs`` (cost per accompaniment, per structure
reached, per job still present at two years; funders' shares), ``benchmarks`` (published
reference figures set beside the estimates) and ``summary``
(:func:`~evaluation.measures.outcomes.summary.outcomes_summary`, all of them for a report).

May import the shared measures (``stats``, ``estimation``, ``snapshot``),
:mod:`evaluation.measures.reach` (its group labels), ``io``, ``geo`` and the base modules;
never ``evolution`` or :mod:`evaluation.measures.network`.
"""

"""What can be wrong in the optional tables of what happened after the accompaniment (follow-ups,
benchmarks): the problems' texts in English and French, with how to fix them, as
:data:`evaluation.problems.CATALOGUE` holds the others (which adds these at its end).

Each entry is ``(problem, fix, problème, correction)``, the fields of
:class:`evaluation.problems.Message`.
"""

from __future__ import annotations

__all__ = ["OUTCOME_PROBLEMS"]

OUTCOME_PROBLEMS: dict[str, tuple[str, str, str, str]] = {
    "structure_unknown": (
        "unknown structure (not in {target})", "correct the identifier: it must be a structure_id of {target}",
        "structure inconnue (absente de {target})", "corriger l'identifiant : ce doit être un structure_id de {target}"),
    "followup_before_start": (
        "follow-up dated before the structure's first accompaniment started (in {target})",
        "correct the date (a follow-up comes after the accompaniment), or the structure's identifier",
        "suivi daté d'avant le début du premier accompagnement de la structure (dans {target})",
        "corriger la date (un suivi vient après l'accompagnement), ou l'identifiant de la structure"),
    "benchmark_share_invalid": (
        "a survival rate above 1", "write it as a share (0,61) or a percentage (61 %)",
        "un taux de survie supérieur à 1", "l'écrire comme une part (0,61) ou un pourcentage (61 %)"),
}

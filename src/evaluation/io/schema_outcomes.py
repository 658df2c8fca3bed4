"""The optional tables of what happened after the accompaniment: ``followups``, ``costs``, ``benchmarks``.

Their columns, codes and French words; :mod:`evaluation.io.schema` adds them to the raw tables
(``SCHEMAS`` of :mod:`evaluation.io.schema`, the aliases and coded values) like the others.
"""

from __future__ import annotations

from evaluation.io.columns import Column, Schema

__all__ = ["FOLLOWUP_STATUSES", "BENCHMARK_INDICATORS", "BENCHMARK_GROUPS", "VERIFIED_SOURCE_WORDS",
           "OUTCOME_VALUE_ALIASES", "OUTCOME_TABLE_ALIASES", "outcome_schemas"]

#: What a follow-up found of a structure (``followups.status``). ``merged`` (absorbed, taken
#: over) is not a closure: the survival analysis censors the structure at that date.
FOLLOWUP_STATUSES = ("active", "closed", "merged", "unknown")

#: Indicators a published benchmark (``benchmarks.csv``) can be given for: survival at 1, 2, 3 and
#: 5 years (a share) and the cost ratios (euros).
BENCHMARK_INDICATORS = ("survie_1an", "survie_2ans", "survie_3ans", "survie_5ans", "cout_par_accompagnement",
                        "cout_par_structure")

#: Groups a benchmark applies to — all structures, a programme, urban or rural communes, in or out of a QPV.
BENCHMARK_GROUPS = ("all", "creation", "development", "dla", "tiers_lieu", "urban", "rural", "qpv", "not_qpv")

#: Words of a follow-up's ``source`` (folded) that say it was checked in an administrative source
#: (a register, payroll declarations, accounts) rather than declared by the structure: its jobs
#: are then *verified* (unless the ``verified`` column says otherwise).
VERIFIED_SOURCE_WORDS = frozenset({
    "sirene", "insee", "rne", "rcs", "bodacc", "infogreffe", "greffe", "registre", "register", "registry",
    "urssaf", "dsn", "msa", "bilan", "bilans", "liasse", "comptes", "pieces", "justificatif", "justificatifs",
    "verifie", "verifiee", "verification", "verified", "administratif", "administrative",
})

#: French words read as each code (the first is the name shown in problems); the programmes'
#: are :data:`evaluation.io.schema.VALUE_ALIASES`'.
OUTCOME_VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    # follow-up statuses
    "active": ("Active", "Actif", "En activité", "Activité", "Ouverte", "Ouvert", "Toujours active", "Pérenne"),
    "closed": ("Fermée", "Fermé", "Fermeture", "Cessation", "Cessation d'activité", "Liquidation", "Liquidée",
               "Radiée", "Radié", "Dissoute", "Dissous", "Fin d'activité", "Arrêt d'activité", "Cessée"),
    "merged": ("Fusionnée", "Fusion", "Fusionné", "Absorbée", "Absorbé", "Reprise", "Reprise par une autre structure"),
    "unknown": ("Inconnu", "Inconnue", "Sans nouvelles", "Ne sait pas", "NSP", "Injoignable", "Perdue de vue",
                "Non renseigné"),
    # benchmark groups (programmes are read by their own words)
    "all": ("Ensemble", "Tous", "Toutes", "Total", "Toutes structures", "Tous secteurs", "France"),
    "urban": ("Urbain", "Urbaine", "Commune urbaine", "Urbains"),
    "rural": ("Rural", "Rurale", "Commune rurale", "Ruraux"),
    "qpv": ("QPV", "En QPV", "Quartier prioritaire", "Quartiers prioritaires"),
    "not_qpv": ("Hors QPV", "Non QPV", "Hors quartier prioritaire"),
}

#: French column names of the three tables (shared ones are :data:`evaluation.io.schema.SHARED_ALIASES`).
OUTCOME_TABLE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "followups": {
        "date": ("date_suivi", "date_du_suivi", "date_de_suivi", "date_de_l_enquete", "date_contact"),
        "status": ("statut", "situation", "etat", "statut_structure", "situation_de_la_structure"),
        "jobs": ("emplois", "effectif", "effectifs", "nb_salaries", "salaries", "nombre_d_emplois", "nb_emplois"),
        "fte": ("etp", "equivalents_temps_plein", "nb_etp"),
        "source": ("mode_de_suivi", "moyen_de_suivi"),
        "verified": ("verifie", "emplois_verifies", "verification"),
    },
    "costs": {
        "amount": ("montant", "cout", "depense", "depenses", "montant_eur", "budget", "montant_en_euros"),
        "funder": ("financeur", "financeurs", "source_de_financement", "financement"),
    },
    "benchmarks": {
        "indicator": ("indicateur", "code_indicateur"),
        "group": ("groupe", "champ", "population"),
        "value": ("taux",),
        "source": ("reference", "publication"),
    },
}


def outcome_schemas(programmes: tuple[str, ...]) -> list[Schema]:
    """The three optional tables, ``programmes`` being the codes of ``costs.programme``."""
    return [
        Schema(  # what became of a structure after its accompaniment (DLA « suivi à deux ans », surveys)
            "followups",
            (
                Column("structure_id", "id"),
                Column("date", "date"),
                Column("status", "choice", choices=FOLLOWUP_STATUSES, categorical=False),
                Column("jobs", "int", nullable=True, min_value=0),
                Column("fte", "float", required=False, nullable=True, min_value=0),
                Column("source", "text", required=False, nullable=True),
                Column("verified", "bool", required=False, nullable=True),
            ),
            key=("structure_id", "date"),
        ),
        Schema(  # the means of the support organisation, by year, programme and funder
            "costs",
            (
                Column("year", "int", min_value=1990),
                Column("programme", "choice", nullable=True, choices=programmes, categorical=False),
                Column("amount", "float", min_value=0),
                Column("funder", "text", nullable=True),
                Column("territory", "text", required=False, nullable=True),
            ),
        ),
        Schema(  # published reference figures the evaluator supplies (INSEE SINE survival, DLA follow-up)
            "benchmarks",
            (
                Column("indicator", "choice", choices=BENCHMARK_INDICATORS, categorical=False),
                Column("group", "choice", nullable=True, choices=BENCHMARK_GROUPS, categorical=False),
                Column("value", "float", min_value=0),
                Column("year", "int", nullable=True, min_value=1900),
                Column("source", "text"),
            ),
            key=("indicator", "group"),
        ),
    ]

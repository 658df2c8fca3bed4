"""French formatting of numbers and report tables (the reports are read in French)."""

from __future__ import annotations

import math

import pandas as pd

from evaluation.measures.estimation import confidence_level

__all__ = ["PROGRAMME_LABELS", "KIND_LABELS", "INTENSITY_LABELS", "GROUP_LABELS", "NOT_ESTIMABLE", "WARNING_NOTES", "EFFECT_MODELS",
           "EFFECT_REASONS", "CRUDE_NOTE", "fr_label",
           "fr_number", "fr_percent", "fr_rate", "fr_rate_interval", "fr_interval", "fr_ratio_interval", "fr_pvalue", "fr_p",
           "confidence", "ci_label", "fr_not_estimable", "shares_table", "representation_table", "rates_table",
           "model_table", "indicators_table", "SECRET",
           "SECRET_TEXT", "VENUE_LABELS", "NETWORK_LABELS", "fr_long_date", "fr_month", "SMALL", "small_label",
           "WITHHELD_WORDS", "SPEAKER_ROLES", "speaker_role", "COARSE_LABELS"]

NBSP = "\u202f"  # narrow no-break space, the French thousands separator

#: French labels of the programme codes used in the raw tables.
PROGRAMME_LABELS = {"creation": "Création", "development": "Développement", "dla": "DLA",
                    "tiers_lieu": "Tiers-lieu"}
#: French labels of the actor kinds used in the raw tables.
KIND_LABELS = {"association": "Association", "ess_enterprise": "Entreprise de l'ESS", "business": "Entreprise",
               "local_authority": "Collectivité", "social_landlord": "Bailleur social",
               "residents_group": "Collectif d'habitants", "institution": "Institution",
               # roles a quote is signed with when its own kind is too rare in the territory
               # (evaluation.measures.qualitative.generalise_roles)
               "civil_society": "Association ou collectif", "enterprise": "Entreprise",
               "public_body": "Acteur public", "local_actor": "Acteur local"}
#: French labels of the intensity of a tie (the first French word of ``io.schema.VALUE_ALIASES``).
INTENSITY_LABELS = {"awareness": "Connaissance", "cooperation": "Coopération", "coordination": "Coordination",
                    "integration": "Intégration"}

#: French labels of the groupings of the reach tables (table columns and axis titles).
GROUP_LABELS = {"density_label": "Niveau de densité (INSEE)", "urban_rural": "Espace",
                "epci_name": "Intercommunalité (EPCI)", "qpv": "Quartier", "programme": "Programme",
                "origin": "Origine des participants", "visit": "Participations", "theme": "Thème"}

#: Why an estimate is not published, one French text per reason code of the measures
#: (``reason`` of their typed results). Read after the number of events it rests on,
#: e.g. « 2 nouvelles collaborations : trop peu pour estimer un effet ».
NOT_ESTIMABLE = {
    "too_few_events": "trop peu pour estimer un effet",
    "not_converged": "l'ajustement du modèle n'a pas convergé, l'effet n'est pas estimé",
    "infinite_interval": "l'intervalle de confiance n'est pas borné, l'effet n'est pas estimable",
    "no_variation": "pas de variation à comparer (un seul groupe, ou aucun cas), l'effet n'est pas estimable",
    "zero_cell": "un des groupes comparés ne compte aucun cas, le rapport n'est pas estimable",
    "qpv_population_missing": "population des quartiers prioritaires non disponible dans le référentiel communal",
    "qpv_absent": "aucun quartier prioritaire du territoire dans le référentiel communal",
    "not_followed": "aucune structure n'est suivie aussi longtemps, la survie n'est pas estimable",
    "no_data": "aucune donnée pour l'estimer",
    "too_few_followed": "trop peu de structures suivies pour estimer un intervalle",
}

#: The models of the adjusted networking effect (``model`` of
#: :class:`evaluation.measures.network.effect.NetworkEffect`), as named in the report and the indicators.
EFFECT_MODELS = {
    "actor_fixed_effects": "modèle de Poisson des nouveaux liens par paire d'acteurs avec un effet fixe par acteur "
                           "(propension de chaque acteur à nouer des liens)",
    "prior_activity_controls": "modèle de Poisson des nouveaux liens par paire d'acteurs ajusté sur l'activité "
                               "antérieure des deux acteurs (rencontres suivies et liens avant)",
}

#: Why a model of the adjusted networking effect was used, or why nothing was estimable
#: (``reason`` of :class:`evaluation.measures.network.effect.NetworkEffect`).
EFFECT_REASONS = {
    "fixed_effects": "assez de nouveaux liens, répartis entre assez d'acteurs, pour un effet fixe par acteur",
    "too_few_new_ties_for_fixed_effects": "trop peu de nouveaux liens pour un effet fixe par acteur",
    "too_few_actors_with_ties_for_fixed_effects": "trop peu d'acteurs ayant noué un nouveau lien pour un effet fixe "
                                                  "par acteur",
    "no_contrast_within_actors": "parmi les acteurs ayant noué de nouveaux liens, aucun nouveau lien entre paires qui "
                                 "se sont côtoyées, ou aucun entre paires qui ne se sont pas croisées",
    "fixed_effects_not_converged": "l'estimation avec un effet fixe par acteur n'a pas abouti",
    "exposure_not_identified_within_actors": "une fois écartées les paires que le modèle prédit sans collaboration "
                                             "à coup sûr, le fait de s'être côtoyé ne se distingue plus des effets "
                                             "des acteurs et des caractéristiques des paires",
    "too_few_new_ties": "moins de deux nouveaux liens",
    "no_new_tie_among_met_or_unmet": "aucun nouveau lien entre paires qui se sont côtoyées, ou aucun entre paires "
                                     "qui ne se sont pas croisées",
    "no_exposure_contrast": "toutes les paires se sont côtoyées, ou aucune",
    "controls_model_failed": "le modèle ajusté sur l'activité antérieure n'a pas pu être estimé",
    "same_model_as_estimate": "le test reprend le modèle ajusté sur l'activité antérieure, celui de l'estimation "
                              "qu'il éprouve",
}

#: Why a model of the network annex (dose, timing, venues, structure, bridging) gave no
#: estimate (``reason`` of :class:`evaluation.measures.network.models.AdjustedModel`).
MECHANISM_REASONS = {
    "no_model": "l'effet des rencontres lui-même n'est pas estimable",
    "too_few_new_ties": "moins de deux nouveaux liens",
    "no_exposure": "aucune paire concernée",
    "not_identified": "trop peu de nouveaux liens, ou aucun, parmi les paires concernées pour l'estimer",
    "not_converged": "l'ajustement du modèle n'a pas abouti",
    "too_few_ties_for_fixed_effects": "trop peu de premières collaborations pour un effet fixe par acteur",
    "no_windows": "les données couvrent moins de deux périodes",
    "split_outside_data": "la date décalée laisse une période sans rencontre ou sans nouveau lien",
}

#: What « brut » means for the crude conversion rate, risk ratio, dyad model and QAP.
CRUDE_NOTE = ("Brut : ne tient pas compte de ce que les acteurs les plus actifs se rencontrent et collaborent "
              "davantage, rencontres ou non (voir l'indicateur « Effet des rencontres sur les nouvelles collaborations "
              "(ajusté) »).")

#: What the method section says, in words, about the warnings captured while computing
#: (codes recorded by :func:`evaluation.report.context.measure`).
WARNING_NOTES = {  # one note per code of evaluation.measures.estimation.WARNING_CODES
    "convergence": "l'ajustement d'un modèle n'a pas pleinement convergé : ses estimations sont signalées "
                   "comme non estimables",
    "perfect_separation": "un modèle prédisait parfaitement certaines paires (séparation) : ses rapports, non "
                          "bornés, ne sont pas publiés",
    "hessian": "la précision d'un modèle n'a pas pu être calculée : ses estimations ne sont pas publiées",
    "overflow": "un calcul a dépassé la précision numérique (valeurs extrêmes, le plus souvent sur de très petits "
                "effectifs) : les intervalles concernés, non bornés, ne sont pas publiés",
    "invalid_value": "des calculs ont rencontré des valeurs indéfinies (division par zéro, effectifs nuls) : les "
                     "chiffres concernés ne sont pas publiés",
    "other": "des avertissements techniques ont été émis pendant le calcul ; ils ne modifient pas les chiffres "
             "publiés",
}

SECRET_TEXT = "relève du secret statistique"  # « X relève du secret statistique »


def secret_reason(threshold: int) -> str:
    """Why a figure is withheld, in French (« X relève du secret statistique (…) »): true of a small
    count and of one withheld so that a small one cannot be recomputed by difference alike, since
    saying which would tell a small count from a large one.
    """
    return f"effectifs de 1 à {threshold - 1} non publiés, ni ceux qui permettraient de les retrouver par différence"


def confidence(alpha: float) -> str:
    """The confidence level of intervals at ``alpha``, in French: ``0.05`` → ``"95"``, ``0.005`` → ``"99,5"``."""
    level = round(confidence_level(alpha), 1)
    return fr_number(level, digits=0 if float(level).is_integer() else 1)


def ci_label(alpha: float) -> str:
    """The label of an interval at ``alpha``: ``"IC 95 %"`` (``alpha=0.1`` → ``"IC 90 %"``)."""
    return f"IC {confidence(alpha)}{NBSP}%"


def fr_not_estimable(reason: str | None, *, events: str = "") -> str:
    """Why an estimate is not published: ``"2 nouvelles collaborations : trop peu pour estimer un effet"``.

    ``events`` says what the estimate rests on (may be empty); an unknown or missing
    reason reads as not estimable without more detail.
    """
    text = NOT_ESTIMABLE.get(reason or "", "l'effet n'est pas estimable sur ces données")
    return f"{events} : {text}" if events else text


#: French labels of the tiers-lieu's codes (:data:`evaluation.measures.reach.venue.ORIGINS`, ``VISITS``).
VENUE_LABELS = {"qpv_of_commune": "QPV de la commune", "rest_of_commune": "Reste de la commune",
                "rest_of_epci": "Reste de l'intercommunalité", "rural_communes": "Communes rurales",
                "other_urban_communes": "Autres communes urbaines", "first_visit": "première venue",
                "return_visit": "retour"}


#: French labels of the categories merged before suppression (codes of
#: :data:`evaluation.report.secrecy.coarsen.CODES`).
COARSE_LABELS = {"levels_5_7": "Rural (niveaux 5 à 7)", "levels_1_4": "Urbain (niveaux 1 à 4)",
                 "other_epci": "Autres EPCI", "other_programmes": "Autres programmes",
                 "all_programmes": "Tous programmes", "other_communes": "Autres communes",
                 "other_origins": "Autres origines", "other_themes": "autres thèmes"}


def fr_label(value: object) -> str:
    """French label of a code (programme, actor kind, tiers-lieu and merged categories' codes;
    others capitalised as they are).
    """
    text = str(value)
    text = COARSE_LABELS.get(text, text)
    text = VENUE_LABELS.get(text, text)
    return PROGRAMME_LABELS.get(text, KIND_LABELS.get(text, text[:1].upper() + text[1:]))


def fr_number(value: float | int | None, *, digits: int = 0) -> str:
    """``1234.5`` → ``"1 234,5"`` (narrow no-break space, decimal comma); NaN → ``"–"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fr_rate(value: float | None) -> str:
    """A rate per 10,000 inhabitants, with enough digits to be read: one decimal from 1 on
    (``3.42`` → ``"3,4"``), two significant digits below 1 (``0.02483`` → ``"0,025"``,
    ``0.5`` → ``"0,50"``), ``"0"`` for zero, ``"–"`` for NaN.

    A national rate (168 accompaniments for 67.7 million inhabitants) would otherwise read
    « 0,0 [0,0 ; 0,0] ».
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1:
        return fr_number(value, digits=1)
    rounded = float(f"{value:.2g}")  # two significant digits; 0.0996 rounds up to 0.1 (still two digits)
    if abs(rounded) >= 1:
        return fr_number(rounded, digits=1)
    return fr_number(rounded, digits=1 - math.floor(math.log10(abs(rounded))))


def fr_rate_interval(low: float | None, high: float | None) -> str:
    """A rate interval: ``"[0,021 ; 0,029]"`` (each bound as :func:`fr_rate`), ``"–"`` without bounds."""
    if any(v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    return f"[{fr_rate(low)} ; {fr_rate(high)}]"


def fr_percent(value: float | None, *, digits: int = 1) -> str:
    """``0.4523`` → ``"45,2 %"``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{fr_number(100 * value, digits=digits)}{NBSP}%"


def fr_interval(low: float, high: float, *, digits: int = 1) -> str:
    """A percentage interval: ``"[38,1 % ; 52,3 %]"``."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    return f"[{fr_percent(low, digits=digits)} ; {fr_percent(high, digits=digits)}]"


#: A table cell withheld by disclosure control, « non publié ». Not « moins de 5 », since a
#: cell is also withheld so that a small one cannot be recomputed from the others (secondary
#: suppression), and saying which would tell the small ones apart.
SECRET = "non publié"
#: A withheld cell known to be small, « moins de 5 », for counts that get primary suppression
#: only, the testimonies' themes (see :func:`small_label`).
SMALL = "moins de {threshold}"
#: Every word a withheld cell may read (tables' numeric columns recognise them).
WITHHELD_WORDS = frozenset({SECRET, "s"})


def small_label(threshold: int) -> str:
    """« moins de 5 »: a count withheld because it is from 1 to ``threshold − 1``."""
    return SMALL.format(threshold=threshold)


_MONTHS = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()


def fr_long_date(day) -> str:
    """``2024-11-30`` → ``"30 novembre 2024"`` (``"1er"`` for the first day); ``None`` → ``"–"``."""
    if day is None:
        return "–"
    return f"{'1er' if day.day == 1 else day.day} {_MONTHS[day.month - 1]} {day.year}"


def fr_month(day) -> str:
    """``2020-01-01`` → ``"janvier 2020"``."""
    return f"{_MONTHS[day.month - 1]} {day.year}"


#: The speaker of a quote as a generic role (testimonies' ``actor_kind``: the data model's
#: actor kinds and the free words evaluators use), never a name.
SPEAKER_ROLES = {"association": "une association", "ess_enterprise": "une entreprise de l'ESS",
                 "business": "une entreprise", "local_authority": "une collectivité",
                 "social_landlord": "un bailleur social", "residents_group": "un collectif d'habitants",
                 "institution": "une institution", "habitant": "un habitant", "habitante": "une habitante",
                 "porteur de projet": "un porteur de projet", "porteuse de projet": "une porteuse de projet",
                 "salarie": "une personne salariée", "salarié": "une personne salariée",
                 "benevole": "une personne bénévole", "bénévole": "une personne bénévole"}


def speaker_role(kind: object) -> str:
    """A quote's speaker as a generic role: ``"association"`` → ``"une association"``; an
    unknown kind → ``"un acteur du territoire"`` (a free word may carry a name).
    """
    text = " ".join(str(kind).strip().lower().split()) if kind is not None and not pd.isna(kind) else ""
    return SPEAKER_ROLES.get(text, "un acteur du territoire")


def _secret(source: pd.DataFrame, table: pd.DataFrame, *, keep: tuple[str, ...], text: str = SECRET
            ) -> pd.DataFrame:
    """Replace the cells of rows marked ``suppressed`` (see :mod:`evaluation.report.secrecy.disclosure`)
    by ``text`` (:data:`SECRET`, « non publié »).
    """
    if "suppressed" not in source:
        return table
    hidden = source["suppressed"].to_numpy(dtype=bool)
    for col in table.columns:
        if col not in keep:
            table.loc[hidden, col] = text
    return table


def shares_table(shares: pd.DataFrame, by: str, *, label: str, alpha: float = 0.05, withheld: str = SECRET
                 ) -> pd.DataFrame:
    """Format the output of :func:`evaluation.measures.reach.shares.counts_and_shares` for a French report.

    Columns: ``label`` (the group), ``Effectif``, ``Part``, ``IC 95 %`` (Wilson; the level
    follows ``alpha``).
    Rows marked ``suppressed`` read ``withheld`` (:data:`SECRET`, or « moins de 5 » for
    counts that get primary suppression only: :func:`small_label`).
    """
    return _secret(shares, pd.DataFrame({
        label: [fr_label(v) for v in shares[by]],
        "Effectif": [fr_number(v) for v in shares["count"]],
        "Part": [fr_percent(v) for v in shares["share"]],
        f"{ci_label(alpha)} (Wilson)": [fr_interval(lo, hi) for lo, hi in zip(shares["ci_low"], shares["ci_high"], strict=False)],
    }), keep=(label,), text=withheld)


def fr_ratio_interval(low: float, high: float, *, digits: int = 2) -> str:
    """``"[0,85 ; 1,20]"``."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    return f"[{fr_number(low, digits=digits)} ; {fr_number(high, digits=digits)}]"


def representation_table(rep: pd.DataFrame, by: str, *, label: str, alpha: float = 0.05) -> pd.DataFrame:
    """Counts, shares, expected counts and representation index (from ``representation_index``)."""
    return _secret(rep, pd.DataFrame({
        label: [fr_label(v) for v in rep[by]],
        "Effectif": [fr_number(v) for v in rep["count"]],
        "Part": [fr_percent(v) for v in rep["share"]],
        "Part de la population": [fr_percent(v) for v in rep["population_share"]],
        "Attendu si proportionnel": [fr_number(v, digits=1) for v in rep["expected"]],
        "Indice de représentation": [fr_number(v, digits=2) for v in rep["index"]],
        ci_label(alpha): [fr_ratio_interval(lo, hi) for lo, hi in zip(rep["ci_low"], rep["ci_high"], strict=False)],
    }), keep=(label, "Part de la population", "Attendu si proportionnel"))


def rates_table(rates: pd.DataFrame, by: str, *, label: str, alpha: float = 0.05) -> pd.DataFrame:
    """Rates per 10,000 inhabitants with exact Poisson intervals (from ``rates_per_10k``); per year when
    the frame has the annual rates of :func:`evaluation.measures.reach.summary.reach_summary`
    (``annual``, ``annual_low``, ``annual_high``), the cumulative count beside.
    """
    if "annual" in rates:
        return _secret(rates, pd.DataFrame({
            label: [fr_label(v) for v in rates[by]],
            "Accompagnements (cumul)": [fr_number(v) for v in rates["count"]],
            "Population": [fr_number(v) for v in rates["population"]],
            "Par an pour 10 000 hab.": [fr_rate(v) for v in rates["annual"]],
            f"{ci_label(alpha)} (structures)": [fr_rate_interval(lo, hi) for lo, hi in
                                                zip(rates["annual_low"], rates["annual_high"], strict=False)],
        }), keep=(label, "Population"))
    return _secret(rates, pd.DataFrame({
        label: [fr_label(v) for v in rates[by]],
        "Accompagnements": [fr_number(v) for v in rates["count"]],
        "Population": [fr_number(v) for v in rates["population"]],
        "Pour 10 000 hab.": [fr_rate(v) for v in rates["rate"]],
        f"{ci_label(alpha)} (Poisson exact)": [fr_rate_interval(lo, hi)
                                          for lo, hi in zip(rates["ci_low"], rates["ci_high"], strict=False)],
    }), keep=(label, "Population"))


def model_table(table: pd.DataFrame, *, reference_level: str, alpha: float = 0.05) -> pd.DataFrame:
    """Rate ratios of a count model (from ``count_model``)."""
    return pd.DataFrame({
        f"Groupe (référence : {fr_label(reference_level)})": [fr_label(v) for v in table["term"]],
        "Rapport de taux": [fr_number(v, digits=2) for v in table["rate_ratio"]],
        ci_label(alpha): [fr_ratio_interval(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=False)],
        "p": [fr_pvalue(v) for v in table["p_value"]],
    })


def fr_p(p: float) -> str:
    """A p-value in a sentence: ``"p = 0,012"`` or ``"p < 0,001"``."""
    text = fr_pvalue(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def fr_pvalue(p: float) -> str:
    """``0.0123`` → ``"0,012"``; below 0.001 → ``"< 0,001"``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return f"<{NBSP}0,001" if p < 0.001 else fr_number(p, digits=3)


#: French names of the networks (codes of :func:`evaluation.measures.network.analysis.analyse_network`'s description).
NETWORK_LABELS = {"copresence": "coprésence", "collaboration": "collaboration"}


#: French words of the period codes of :func:`evaluation.measures.network.build.split_periods`.
PERIOD_LABELS = {"before": "avant", "after": "après"}


def period_label(code: str) -> str:
    """« avant » / « après » for a period code; any other period is shown by its own label."""
    return PERIOD_LABELS.get(code, code)


#: Indicators whose unit is a yes/no flag, read as « oui » / « non » rather than 1 / 0.
FLAG_UNIT = "oui (1) / non (0)"


def indicators_table(indicators: pd.DataFrame, *, alpha: float = 0.05, fixed: frozenset[str] = frozenset()
                     ) -> pd.DataFrame:
    """The indicator table (from ``territory_indicators``) formatted for reading: withheld values
    read :data:`SECRET`, estimates that cannot be estimated ``non estimable``, yes/no flags
    « oui » / « non »; the indicators of ``fixed`` (codes) are fixed by definition for the
    territory (the rural share of an all-urban one) and have no interval.
    """
    def value(row) -> str:
        if row.secret:
            return SECRET
        if not getattr(row, "estimable", True):
            return "non estimable"
        if row.unite == FLAG_UNIT:
            return "oui" if row.valeur else "non"
        if row.unite == "part":
            return fr_percent(row.valeur)
        if row.unite.startswith("pour"):
            return fr_rate(row.valeur)
        digits = 0 if float(row.valeur).is_integer() else (1 if row.unite.startswith("pour") else 2)
        return fr_number(row.valeur, digits=digits)

    def interval(row) -> str:
        if row.secret or pd.isna(row.ic_bas) or pd.isna(row.ic_haut) or getattr(row, "code", None) in fixed:
            return ""
        if row.unite == "part":
            return fr_interval(row.ic_bas, row.ic_haut)
        if row.unite.startswith("pour"):
            return fr_rate_interval(row.ic_bas, row.ic_haut)
        return fr_ratio_interval(row.ic_bas, row.ic_haut, digits=1 if row.unite.startswith("pour") else 2)

    rows = list(indicators.itertuples(index=False))
    return pd.DataFrame({"Indicateur": [r.indicateur for r in rows], "Valeur": [value(r) for r in rows],
                         ci_label(alpha): [interval(r) for r in rows],
                         "Unité": ["oui / non" if r.unite == FLAG_UNIT else r.unite for r in rows],
                         "Période": [r.periode for r in rows]})


#: The columns of a territory's indicator table (indicators.csv).
INDICATOR_COLUMNS = ["code", "indicateur", "definition", "valeur", "ic_bas", "ic_haut", "unite", "periode",
                     "source", "secret", "estimable", "motif"]

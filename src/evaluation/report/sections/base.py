"""What every section builder shares: the item types a cell shows and the sentences for withheld numbers."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from evaluation.report.published import Publication
from evaluation.report.tables import (
    COARSE_LABELS,
    SECRET,
    SECRET_TEXT,
    fr_long_date,
    fr_number,
    secret_reason,
)

__all__ = ["Item", "activity_period", "coarsening_notes", "followed", "qpv_names", "before_split", "report_title", "period_text", "period_words", "cutoff_text", "of_place",
           "place_words", "split_periods"]


Item = str | pd.DataFrame | Figure


def _secret(what: str, pub: Publication) -> str:
    return f"{what} {SECRET_TEXT} ({secret_reason(pub.threshold)})."


def _plural(n: int, word: str) -> str:
    return f"{fr_number(n)} {word}{'s' if n > 1 else ''}"


def before_split(pub: Publication) -> str | None:
    """The sentence saying the report's date is before the territory's « avant / après » date, if it is."""
    s, split = pub.snapshot, pub.territory.split_date
    if s is None or s.date >= split:
        return None
    return (f"Au {s.date:%d/%m/%Y}, la date qui sépare « avant » et « après » pour ce territoire ({split:%d/%m/%Y}) "
            f"n'est pas encore atteinte : il n'y a pas encore de période « après » à comparer.")


def of_place(name: str) -> str:
    """« du Mail », « de la Fontaine », « des Grésilles », « de l'Arc », « d'Épirey », « de Chenôve »:
    ``name`` after « de », with French contraction of its article.
    """
    lowered = name.lower()
    for article, contracted in (("le ", "du "), ("les ", "des "), ("la ", "de la "), ("l'", "de l'"), ("l’", "de l’")):
        if lowered.startswith(article):
            return contracted + name[len(article):]
    return ("d'" if name[:1].lower() in "aeiouyéèêàâîôûh" else "de ") + name


def _one_commune(pub: Publication) -> bool:
    """Whether the territory is one commune, declared as such (not an EPCI of one commune)."""
    t = pub.territory
    return len(t.communes) == 1 and not t.epcis and not t.departements and len(pub.commune_classes) == 1


def qpv_names(pub: Publication) -> list[str]:
    """The names of the territory's QPV: as territories.yml declares them, or, for a QPV declared
    by its code, as the reference's QPV table names it.
    """
    declared = [str(q["name"]) for q in pub.territory.qpv if q.get("name")]
    d = getattr(pub, "denominators", None)
    if declared or d is None or not len(d.qpv):
        return declared
    named = d.qpv[d.qpv["qpv_code"].notna() & d.qpv["qpv_name"].notna()]
    return list(dict.fromkeys(named["qpv_name"].astype(str)))


def report_title(pub: Publication) -> str:
    """What the data cover, as the report's title: for a one-commune territory the commune and
    its priority neighbourhoods (« Chenôve (dont le QPV du Mail) »: the data are the whole
    commune's, not the neighbourhood's alone), else the territory's label.
    """
    t = pub.territory
    if not _one_commune(pub):
        return t.label
    name = pub.commune_classes[0][0]
    qpv = qpv_names(pub)
    if not qpv:
        return name
    if len(qpv) == 1:
        return f"{name} (dont le QPV {of_place(qpv[0])})"
    return f"{name} (dont les QPV {', '.join(of_place(q) for q in qpv[:-1])} et {of_place(qpv[-1])})"


def period_text(pub: Publication) -> str:
    """The years the data cover: « 2018–2024 », « 2024 », or « – » without data."""
    if pub.years is None:
        return "–"
    first, last = pub.years
    return str(first) if first == last else f"{first}–{last}"


def period_words(pub: Publication) -> str:
    """The years in a sentence: « de 2018 à 2024 », « en 2024 »."""
    if pub.years is None:
        return "sur la période"
    first, last = pub.years
    return f"en {first}" if first == last else f"de {first} à {last}"


def place_words(pub: Publication) -> str:
    """Where, in a sentence: « à Chenôve » for a one-commune territory, else « dans ce territoire »."""
    return f"à {pub.commune_classes[0][0]}" if _one_commune(pub) else "dans ce territoire"


def split_periods(day) -> tuple[str, str]:
    """The two periods around the « avant / après » date, as labels: (« Avant 2020 », « Depuis
    2020 ») for a split on the 1st of January, else (« Avant le 15/03/2020 », « Depuis le 15/03/2020 »).
    """
    if day.month == 1 and day.day == 1:
        return f"Avant {day.year}", f"Depuis {day.year}"
    return f"Avant le {day:%d/%m/%Y}", f"Depuis le {day:%d/%m/%Y}"


def cutoff_text(pub: Publication) -> str:
    """« données arrêtées au 30 novembre 2024 » (the report's « état au »), or ``""`` without one."""
    return f"données arrêtées au {fr_long_date(pub.snapshot.date)}" if pub.snapshot is not None else ""


def activity_period(table: pd.DataFrame) -> str:
    """« mensuelle », « trimestrielle » or « annuelle »: the period of the tiers-lieu's activity
    table (``period``, coarsened from months where a month's count was small).
    """
    freq = pd.PeriodIndex(table["period"]).freqstr[0] if len(table) else "M"
    return {"Q": "trimestrielle", "Y": "annuelle"}.get(freq, "mensuelle")


def coarsening_notes(pub, *tables: str) -> list[str]:
    """What was merged in ``tables`` before secrecy, in French, one sentence each (for under the
    table; ``pub`` is a publication with ``coarsening`` and ``threshold``).
    """
    out = []
    for key in tables:
        c = getattr(pub, "coarsening", {}).get(key)
        if c is None:
            continue
        small = f"au moins un effectif de 1 à {pub.threshold - 1}"
        named = ", ".join(f"« {COARSE_LABELS.get(g, g)} »" for g in c.groups)
        if c.rule == "levels_by_side":
            what = f"niveaux de densité regroupés en {named}"
        elif c.rule == "years_into_periods":
            what = "années regroupées en périodes (" + ", ".join(c.groups) + ")"
        elif c.rule == "adjacent_bands":
            what = "tranches de distance regroupées (" + ", ".join(c.groups) + ")"
        elif c.rule in ("months_into_quarters", "months_into_years"):
            what = "activité présentée par " + ("trimestre" if c.rule == "months_into_quarters" else "année")
            small = f"au moins un mois comptait de 1 à {pub.threshold - 1} participations ou premières venues"
        elif key == "communes":
            groups = getattr(pub, "commune_groups", None)
            n = len(c.groups.get("other_communes", ()))
            total = (SECRET if groups is None or bool(groups.get("suppressed", pd.Series([False])).iloc[0])
                     else fr_number(groups["count"].iloc[0]))
            what = f"{n} communes atteintes regroupées sur la carte (ensemble : {total} accompagnements)"
        else:
            what = f"{sum(len(m) for m in c.groups.values())} catégories regroupées en {named}"
        out.append(f"Regroupement avant secret statistique : {what} ({small}).")
    return out


def followed(pub: Publication) -> bool:
    """Whether structures were followed after their accompaniment (``followups.csv``)."""
    return bool(pub.outcomes is not None and (pub.outcomes.counts.get("followed") or 0) > 0)

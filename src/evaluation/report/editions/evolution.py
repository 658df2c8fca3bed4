"""« Évolution depuis le point d'étape du … »: the comparison with a baseline edition (report layer).

:func:`compare_with_baseline` recomputes the territory at the baseline's date from today's
data (the same publication a report of that date would make), then puts each indicator at
the baseline and now side by side with its change and an interval fitting it
(:mod:`evaluation.measures.evolution`), and lists **revisions**: figures published in the baseline
edition that today's data recompute differently (a corrected export), with both values.

Disclosure control. Each side is the protected publication of its date (withheld cells stay
withheld). The change of a count between two dates is itself a count of the records since
the baseline; where it is below the threshold (and not zero), the change and the baseline
value are withheld, since the current value is printed elsewhere in the report and the
difference would give it back; shares withhold their change and baseline value when the
records since the baseline in the group, or out of it, are that few (with the total and the
two shares they would give the counts back). The pace ratio is withheld with the counts it
rests on. :func:`evolution_section` words it all from this publication alone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.geo.reference import RURAL
from evaluation.measures.evolution import (
    RateRatio,
    TieChanges,
    edge_changes,
    poisson_interval,
    rate_ratio_exact,
    share_change,
    years_between,
)
from evaluation.report.editions.manifest import changed_inputs
from evaluation.report.tables import SECRET, ci_label, fr_number, fr_percent, fr_rate

__all__ = ["EvolutionPublication", "compare_with_baseline", "evolution_rows", "evolution_section", "period_ties"]

#: Indicators whose change is a count of records since the baseline (protected by the threshold).
PROTECTED_COUNTS = ("acc_total", "taux_10k", "emplois_crees", "emplois_maintenus", "temoignages")
#: Indicators whose change has no interval here (say why in the table).
NO_INTERVAL = {"emplois_crees": "somme déclarée", "emplois_maintenus": "somme déclarée",
               "communes_atteintes": "dénombrement", "acteurs_reseau": "dénombrement",
               "liens_avant": "dénombrement", "liens_apres": "dénombrement", "liens_nouveaux": "dénombrement",
               "temoignages": "dénombrement", "acc_creation_dev": "années différentes",
               "acc_dla": "années différentes",
               "taux_conversion": "mêmes paires suivies plus longtemps",
               "rapport_conversion": "mêmes paires suivies plus longtemps",
               "effet_reseau": "mêmes paires suivies plus longtemps", "effet_reseau_evalue": "indicateur 0/1"}
INTERVAL_METHODS = {"newcombe": "Newcombe (score hybride), sur les accompagnements depuis le point d'étape",
                    "poisson": "Poisson exact (Garwood) sur le nombre depuis le point d'étape"}


@dataclass
class EvolutionPublication:
    """The comparison with a baseline edition, protected (see the module).

    ``rows``: code, indicateur, unite, baseline, current, change, ci_low, ci_high, method
    (``"newcombe"``, ``"poisson"`` or a reason why there is none), withheld. ``revisions``:
    code, indicateur, published, recomputed (NaN: withheld or not estimable), published_shown,
    recomputed_shown. ``pace``: accompaniments per year since the baseline against before
    (``None``: withheld or not estimable). ``ties`` and ``ties_before``: the collaboration
    ties of the periods « après » and « avant » the territory's ``split_date`` at the baseline
    and now, counted as the indicators ``liens_apres`` and ``liens_avant`` count them
    (:func:`evaluation.measures.evolution.edge_changes`; ``None``: no network now).
    """

    edition: str
    baseline_date: dt.date
    current_date: dt.date
    rows: pd.DataFrame
    revisions: pd.DataFrame
    pace: RateRatio | None
    ties: TieChanges | None
    changed_files: list[str] = field(default_factory=list)
    alpha: float = 0.05
    ties_before: TieChanges | None = None
    split_date: dt.date | None = None


def _small(value: float, threshold: int) -> bool:
    return bool(pd.notna(value) and 0 < abs(value) < threshold)


def evolution_rows(now: pd.DataFrame, base: pd.DataFrame, *, shares: dict[str, tuple[int, int, int, int]],
                   population: int, threshold: int, alpha: float = 0.05) -> pd.DataFrame:
    """One row per indicator of ``now`` (the current protected indicators) beside ``base``
    (the baseline's, recomputed and protected): values, change, interval, withheld.

    ``shares`` maps a share's code to ``(x_base, n_base, x_now, n_now)``.
    """
    b = base.set_index("code")
    rows = []
    total_withheld = False
    for r in now.itertuples(index=False):
        code = r.code
        cur = r.valeur if not r.secret and r.estimable else np.nan
        old = b.loc[code, "valeur"] if code in b.index and not b.loc[code, "secret"] and b.loc[code, "estimable"] \
            else np.nan
        withheld = bool(r.secret or (code in b.index and b.loc[code, "secret"]))
        change, low, high, method = cur - old, np.nan, np.nan, NO_INTERVAL.get(code, "")
        if code in PROTECTED_COUNTS and _small(change * (population / 1e4 if code == "taux_10k" else 1), threshold):
            withheld = True
        if code in ("acc_total", "taux_10k") and pd.notna(change):
            scale = 1e4 / population if code == "taux_10k" else 1.0
            count = int(round(change / scale))
            lo, hi = poisson_interval(count, alpha=alpha)
            low, high, method = lo * scale, hi * scale, "poisson"
        if code in shares:
            xb, nb, xn, nn = shares[code]
            c = share_change(xb, nb, xn, nn, alpha=alpha)
            if _small(c.x_new, threshold) or _small(c.n_new - c.x_new, threshold):
                withheld = True
            if pd.notna(change):
                low, high, method = c.ci_low, c.ci_high, "newcombe"
        if code == "acc_total":
            total_withheld = withheld
        if code in shares and total_withheld:  # with the totals, the shares would give the counts back
            withheld = True
        if withheld:
            old, change, low, high = np.nan, np.nan, np.nan, np.nan
        rows.append({"code": code, "indicateur": r.indicateur, "unite": r.unite, "baseline": old, "current": cur,
                     "change": change, "ci_low": low, "ci_high": high, "method": method, "withheld": withheld,
                     "current_secret": bool(r.secret)})
    return pd.DataFrame(rows)


def _revisions(published: list[dict], recomputed: pd.DataFrame) -> pd.DataFrame:
    """Published baseline figures that today's data recompute differently (the chapter's
    baseline column, already protected, is the recomputed side).

    Rows the chapter withholds are left out: their baseline value is hidden because, beside
    today's value, it would give back a small count, and printing the published value as a
    revision would undo that (a withheld cell is not a revision).
    """
    again = recomputed.set_index("code")
    rows = []
    for p in published:
        code = p["code"]
        if code not in again.index or bool(again.loc[code, "withheld"]):
            continue
        pub_shown = p["valeur"] is not None and not p["secret"] and p["estimable"]
        new = again.loc[code, "baseline"]
        new_shown = bool(pd.notna(new))
        same = (pub_shown == new_shown) and (not pub_shown or math.isclose(float(p["valeur"]), float(new),
                                                                            rel_tol=1e-6, abs_tol=1e-6))
        if not same:
            rows.append({"code": code, "indicateur": again.loc[code, "indicateur"], "unite": again.loc[code, "unite"],
                         "published": float(p["valeur"]) if pub_shown else np.nan,
                         "recomputed": float(new) if new_shown else np.nan,
                         "published_shown": pub_shown, "recomputed_shown": new_shown})
    return pd.DataFrame(rows, columns=["code", "indicateur", "unite", "published", "recomputed", "published_shown",
                                       "recomputed_shown"])


def compare_with_baseline(ctx, pub, measures, base_ctx, base_pub, base_m, *, manifest: dict, threshold: int,
                          alpha: float = 0.05) -> EvolutionPublication:
    """The protected comparison of the report ``pub`` (context ``ctx``, raw ``measures``) with
    the same report recomputed at the date of the baseline edition (``base_ctx``, ``base_pub``,
    ``base_m``), whose checked ``manifest`` gives the figures published then.
    """

    def counts(summary, column: str, group: str) -> tuple[int, int]:
        row = summary.by[column].set_index(column)
        return (int(row.loc[group, "count"]) if group in row.index else 0), int(row["count"].sum())

    shares = {}
    for code, column, group in (("part_rural", "urban_rural", RURAL), ("part_qpv", "qpv", "QPV")):
        xb, nb = counts(base_m.summary, column, group)
        xn, nn = counts(measures.summary, column, group)
        shares[code] = (xb, nb, xn, nn)
    rows = evolution_rows(pub.indicators, base_pub.indicators, shares=shares, population=max(pub.population, 1),
                          threshold=threshold, alpha=alpha)
    base_date, now_date = base_ctx.snapshot.date, ctx.snapshot.date
    x_base, x_now = int(base_m.summary.total), int(measures.summary.total)
    x_new = x_now - x_base
    pace = None
    total_row = rows.set_index("code").loc["acc_total"] if "acc_total" in set(rows["code"]) else None
    if total_row is not None and not total_row["withheld"] and not _small(x_base, threshold) \
            and not _small(x_new, threshold):
        start = ctx.snapshot.first
        pace = rate_ratio_exact(x_new, years_between(base_date + dt.timedelta(days=1), now_date),
                                x_base, years_between(start, base_date), alpha=alpha)
        if not all(np.isfinite([pace.ratio, pace.ci_low, pace.ci_high])):
            pace = None
    ties = ties_before = None
    if measures.network is not None:
        ties_before, ties = period_ties(base_m.network, measures.network)
    changed = [Path(c.path).name for c in changed_inputs(manifest)]
    return EvolutionPublication(manifest["edition"], base_date, now_date, rows,
                                _revisions(manifest["indicators"], rows), pace, ties, changed, alpha,
                                ties_before=ties_before, split_date=ctx.territory.split_date)


def period_ties(base, now) -> tuple[TieChanges, TieChanges]:
    """The ties of the periods « avant » and « après » at the baseline (network ``base``, ``None``
    when the baseline had none) and now (``now``), compared: the ties the indicators
    ``liens_avant`` and ``liens_apres`` count at each date, so that the chapter's sentence and its
    table say the same thing.
    """
    out = []
    for k, period in enumerate(now.periods[:2]):
        current = now.collaboration[period.label]
        if base is None:
            baseline, actors = current.iloc[:0], pd.Index([], dtype=object)
        else:
            baseline, actors = base.collaboration[base.periods[k].label], base.actors.index
        out.append(edge_changes(baseline, current, baseline_actors=actors))
    return out[0], out[1]


# --------------------------------------------------------------------------- French text
def _value(value: float, unit: str) -> str:
    if pd.isna(value):
        return "–"
    if unit == "part":
        return fr_percent(value)
    if unit.startswith("pour"):
        return fr_rate(value)
    return fr_number(value, digits=2 if unit == "rapport" else 0)


def _change(value: float, unit: str) -> str:
    if pd.isna(value):
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    if unit == "part":
        return f"{sign}{fr_number(abs(value) * 100, digits=1)} pts"
    return sign + _value(abs(value), unit)


def _interval(low: float, high: float, unit: str) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{_change(low, unit)} à {_change(high, unit)}"


def _n(n: int, singular: str, plural: str) -> str:
    """``n`` and its noun phrase, singular for 0 and 1 as French writes them (« 1 lien terminé »)."""
    return f"{fr_number(n)} {singular if n < 2 else plural}"


def _ties_sentence(e: EvolutionPublication) -> str:
    """The ties of the table's rows « Liens de collaboration après / avant », decomposed.

    Same definition as the table (:func:`evaluation.measures.evolution.edge_changes`): ties
    active at some time in the period, between the actors of the territory's network at
    each date; so ``baseline`` and ``current`` are the table's two values.
    """
    t, b = e.ties, e.ties_before
    split = f" du {e.split_date:%d/%m/%Y}" if e.split_date else ""
    entered = f" (dont {fr_number(t.entered)} avec un acteur entré dans le réseau depuis)" if t.entered else ""
    verb = "ne l'est plus" if t.lost < 2 else "ne le sont plus"
    lost = (f" ; {_n(t.lost, 'lien compté', 'liens comptés')} au point d'étape {verb} (données corrigées depuis)"
            if t.lost else "")
    text = (f"Liens de collaboration après la date charnière{split}, comptés comme dans le tableau (liens actifs à un "
            f"moment entre cette date et la date de l'état, entre les acteurs du réseau du territoire à cette date) : "
            f"{fr_number(t.baseline)} au point d'étape, {fr_number(t.current)} au {e.current_date:%d/%m/%Y}, dont "
            f"{_n(t.kept, 'déjà compté', 'déjà comptés')} au point d'étape et {_n(t.new, 'nouveau', 'nouveaux')}"
            f"{entered}{lost}.")
    if b is not None and (b.new or b.lost):
        reasons = []
        if b.entered:
            reasons.append(f"{_n(b.entered, 'lien', 'liens')} d'acteurs entrés dans le réseau du territoire depuis le "
                           f"point d'étape (un acteur y entre à sa première participation à un événement du "
                           f"territoire ; ses liens antérieurs avec les autres acteurs du réseau sont alors comptés)")
        if b.new - b.entered or b.lost:
            reasons.append("des données corrigées depuis")
        text += (f" Les liens d'avant la date charnière passent de {fr_number(b.baseline)} à {fr_number(b.current)} "
                 f"bien que cette date n'ait pas changé : " + " et ".join(reasons) + ".")
    return text


def evolution_section(pub) -> list:
    """The chapter « Évolution depuis le point d'étape du … » (nothing without a baseline)."""
    e = pub.evolution
    if e is None:
        return []
    level = ci_label(e.alpha)
    items: list = [
        f"## Évolution depuis le point d'étape du {e.baseline_date:%d/%m/%Y}\n\n"
        f"Comparaison avec l'édition « {e.edition} » (état au {e.baseline_date:%d/%m/%Y}). Les deux dates sont "
        f"recalculées à partir des données d'aujourd'hui ; les chiffres publiés alors et recalculés autrement sont "
        f"listés plus bas comme révisions. Les données du {e.current_date:%d/%m/%Y} contiennent celles du point "
        f"d'étape : les intervalles des évolutions portent sur ce qui a commencé depuis, comparé à ce qui précédait "
        f"(écart de parts : intervalle de Newcombe ; nombre : intervalle de Poisson exact). « {SECRET} » : secret "
        f"statistique (y compris une évolution qui, rapprochée des chiffres publiés, redonnerait un effectif masqué)."]
    table = pd.DataFrame({
        "Indicateur": e.rows["indicateur"],
        f"Point d'étape ({e.baseline_date:%d/%m/%Y})": [SECRET if w else _value(v, u) for v, u, w in
                                                         zip(e.rows["baseline"], e.rows["unite"], e.rows["withheld"], strict=False)],
        f"État au {e.current_date:%d/%m/%Y}": [SECRET if s else _value(v, u) for v, u, s in
                                              zip(e.rows["current"], e.rows["unite"], e.rows["current_secret"],
                                                  strict=True)],
        "Évolution": [SECRET if w else _change(v, u) for v, u, w in
                      zip(e.rows["change"], e.rows["unite"], e.rows["withheld"], strict=False)],
        f"{level} de l'évolution": [_interval(lo, hi, u) for lo, hi, u in
                                    zip(e.rows["ci_low"], e.rows["ci_high"], e.rows["unite"], strict=False)],
        "Intervalle": [INTERVAL_METHODS.get(m, m) if not w else "" for m, w in zip(e.rows["method"],
                                                                                  e.rows["withheld"], strict=False)],
    })
    items.append(table)
    sentences = []
    if e.pace is not None:
        sentences.append(
            f"Rythme des accompagnements depuis le point d'étape rapporté à celui d'avant : "
            f"{fr_number(e.pace.ratio, digits=2)} ({level} {fr_number(e.pace.ci_low, digits=2)} à "
            f"{fr_number(e.pace.ci_high, digits=2)} ; rapport de deux taux annuels, intervalle binomial conditionnel "
            f"exact).")
    else:
        sentences.append("Le rythme des accompagnements avant et depuis le point d'étape n'est pas comparé "
                         "(trop peu d'accompagnements d'un côté, ou secret statistique).")
    if e.ties is not None:
        sentences.append(_ties_sentence(e))
    items.append(" ".join(sentences))
    if len(e.revisions):
        items.append("**Révisions.** Chiffres publiés dans l'édition du point d'étape que les données d'aujourd'hui "
                     "recalculent autrement (export corrigé depuis) : les deux valeurs sont données, aucune n'est "
                     "remplacée sans le dire.")
        items.append(pd.DataFrame({
            "Indicateur": e.revisions["indicateur"],
            "Publié": [_value(v, u) if s else SECRET for v, u, s in
                       zip(e.revisions["published"], e.revisions["unite"], e.revisions["published_shown"], strict=False)],
            "Recalculé aujourd'hui": [_value(v, u) if s else SECRET for v, u, s in
                                      zip(e.revisions["recomputed"], e.revisions["unite"],
                                          e.revisions["recomputed_shown"], strict=False)]}))
    else:
        items.append("**Révisions.** Aucune : les chiffres publiés au point d'étape sont ceux que les données "
                     "d'aujourd'hui redonnent.")
    if e.changed_files:
        items.append("Fichiers modifiés depuis le point d'étape : " + ", ".join(e.changed_files) + ".")
    return items

"""The territory beside its département, its région and France, in a report (report layer).

:func:`protect` turns :func:`evaluation.measures.reach.comparison.compare_areas` into the published
comparison table: the territory's row is withheld wherever the report's publication
withholds the same figure (total, rural share, QPV share), and every count of a
surrounding area is withheld when it is below the threshold **or when its difference with
the smaller area shown above it is** (otherwise département − territory would give a small
count back); a share or rate built on a withheld count is withheld with it. The areas are
the **rest** of the département, région and France (the territory left out: it is compared
with where it is not), and a rest is withheld wherever the territory's figure is, since the
area's own report publishes its whole (whole − rest would give the territory's back). Rates
are per 10,000 inhabitants per year, the cumulative count beside.
:func:`section` writes it in French for the notebook.

Disclosure across reports (the EPCI of a département, each in its own report, add up to the
département shown here) is controlled over the publication set
(:mod:`evaluation.report.secrecy.sets`): the areas' rows take part in it as published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.geo.areas import load_departements, territory_departement
from evaluation.measures.reach.classify import classify
from evaluation.measures.reach.comparison import compare_areas, surrounding_areas
from evaluation.report.tables import (
    SECRET,
    ci_label,
    fr_interval,
    fr_number,
    fr_percent,
    fr_rate,
    fr_rate_interval,
)

__all__ = ["comparison", "protect", "section", "departements_section", "COUNTS", "area_sets"]

COUNTS = ("count", "rural", "qpv")
_DERIVED = {"count": ("rate", "rate_low", "rate_high", "annual", "annual_low", "annual_high", "share_rural",
                      "share_rural_low", "share_rural_high", "share_qpv", "share_qpv_low", "share_qpv_high"),
            "rural": ("share_rural", "share_rural_low", "share_rural_high"),
            "qpv": ("share_qpv", "share_qpv_low", "share_qpv_high")}
#: The publication's indicator code that carries each count's secrecy for the territory's row.
_INDICATOR = {"count": "acc_total", "rural": "part_rural", "qpv": "part_qpv"}


def protect(table: pd.DataFrame, *, threshold: int, territory_secret: dict[str, bool]) -> pd.DataFrame:
    """Blank the withheld cells (NaN) and mark them in ``<count>_withheld`` columns.

    Parameters
    ----------
    table
        :func:`evaluation.measures.reach.comparison.compare_areas`, areas nested from the smallest.
    threshold
        Counts from 1 to ``threshold - 1`` are withheld, and differences between nested
        areas in that range too.
    territory_secret
        For ``count``, ``rural``, ``qpv``: whether the report's publication withholds it.
    """
    out = table.copy()
    for column in COUNTS:
        values = out[column].to_numpy(dtype=float)
        hidden = np.zeros(len(out), dtype=bool)
        last_shown = None
        rest = out["rest"].to_numpy(dtype=bool) if "rest" in out else np.zeros(len(out), dtype=bool)
        for i in range(len(out)):
            small = 0 < values[i] < threshold
            if i == 0 and out["level"].iloc[0] == "territory":
                hidden[i] = small or bool(territory_secret.get(column, False))
                if not hidden[i] and not rest.any():  # a rest of an area is disjoint from the territory
                    last_shown = values[i]
                continue
            hidden[i] = small or (last_shown is not None and 0 < values[i] - last_shown < threshold)
            if rest[i] and len(out) and out["level"].iloc[0] == "territory" and hidden[0]:
                hidden[i] = True  # the area's own report publishes its whole: whole − rest = territory
            if not hidden[i]:
                last_shown = values[i]
        out[f"{column}_withheld"] = hidden
    for column in COUNTS:
        hidden = out[f"{column}_withheld"].to_numpy()
        out[column] = out[column].astype(float).where(~hidden)
        for derived in (d for d in _DERIVED[column] if d in out):
            out[derived] = out[derived].where(~hidden)
    # An area's communes reached bound its count from below: withheld with it, except the
    # territory's, which the publication shows anyway (indicator « Communes atteintes »).
    out["share_reached"] = out["share_reached"].where(~out["count_withheld"] | (out["level"] == "territory"))
    return out


def comparison(ctx, pub, *, threshold: int, alpha: float = 0.05, years: float | None = None) -> pd.DataFrame | None:
    """The protected comparison of a report (``ctx``: :class:`evaluation.report.context.ReportContext`,
    ``pub``: its :class:`evaluation.report.published.Publication`), or ``None`` when the reference holds
    no area around the territory (a territory-only table says nothing).
    """
    areas = area_sets(ctx)
    if len(areas) < 2:
        return None
    every = classify(ctx.dataset.accompaniments, ctx.reference)
    table = compare_areas(every, ctx.reference, areas, alpha=alpha, rest=True, years=years)
    secret = {}
    if pub is not None:  # None: the areas' rows alone matter (a publication set links the territory's own)
        ind = pub.indicators.set_index("code")
        secret = {c: bool(ind.loc[code, "secret"]) if code in ind.index else False for c, code in _INDICATOR.items()}
        secret["count"] = secret["count"] or pub.total is None
    return protect(table, threshold=threshold, territory_secret=secret)


def area_sets(ctx) -> list:
    """The territory and the areas around it that hold it whole and more (an EPCI across a
    border: not its main département; a département: not itself; France: nothing), nested,
    as :class:`evaluation.measures.reach.comparison.Area` (level, code, name, communes).
    """
    areas = surrounding_areas(ctx.communes, ctx.reference, load_departements(ctx.parameters.get("reference_dir")),
                              departement=territory_departement(ctx.communes))
    codes = frozenset(ctx.communes["commune_code"])
    return [a for a in areas if a.level == "territory" or codes < a.communes]


def _area_label(row) -> str:
    rest = "Reste " if getattr(row, "rest", False) else ""
    if row.level == "territory":
        return "Territoire"
    if row.level == "departement":
        return f"{rest}{'du d' if rest else 'D'}épartement : {row.name} ({row.code})"
    if row.level == "region":
        return f"{rest}{'de la r' if rest else 'R'}égion : {row.name}"
    return f"{rest}{'de la ' if rest else ''}France"


def _share(share: float, low: float, high: float) -> str:
    """A share and its interval; a single « – » for an area without accompaniment (no share to give)."""
    if pd.isna(share):
        return "–"
    return fr_percent(share) if pd.isna(low) else f"{fr_percent(share)} {fr_interval(low, high)}"  # fixed: no interval


def section(pub) -> list:
    """The comparison in French (annex): a heading, a sentence and the table (« non publié »:
    withheld; « sans objet »: the territory's rural share when it is all urban or all rural, its
    QPV share when it has none, fixed by definition). Nothing without a surrounding area (the
    report's gaps say so).
    """
    table = getattr(pub, "comparison", None)
    if table is None or table.empty:
        return []
    ci = ci_label(pub.alpha)
    rep = pub.representation["urban_rural"]
    one_space = int((rep["population"] > 0).sum()) == 1
    no_qpv = not pub.territory.qpv

    def cell(row, value: str, *columns: str) -> str:
        return SECRET if any(getattr(row, f"{c}_withheld") for c in columns) else value

    annual = "annual" in table
    def fixed(row, value: str, by_definition: bool) -> str:
        return "sans objet" if by_definition and row.level == "territory" else value

    rows = []
    for r in table.itertuples(index=False):
        rate = (f"{fr_rate(r.annual)} {fr_rate_interval(r.annual_low, r.annual_high)}" if annual
                else f"{fr_rate(r.rate)} {fr_rate_interval(r.rate_low, r.rate_high)}")
        rows.append({
            "Zone": _area_label(r),
            "Communes": fr_number(r.communes),
            "Population": fr_number(r.population),
            "Accompagnements (cumul)" if annual else "Accompagnements": cell(r, fr_number(r.count), "count"),
            f"Par an pour 10 000 hab. ({ci})" if annual else f"Pour 10 000 hab. ({ci})": cell(r, rate, "count"),
            f"Part rurale ({ci})": fixed(r, cell(r, _share(r.share_rural, r.share_rural_low, r.share_rural_high),
                                                 "count", "rural"), one_space),
            f"Part en QPV ({ci})": fixed(r, cell(r, _share(r.share_qpv, r.share_qpv_low, r.share_qpv_high), "count",
                                                 "qpv"), no_qpv and not r.qpv),
            "Communes atteintes": cell(r, fr_percent(r.share_reached), "count"),
        })
    rest = "rest" in table and bool(table["rest"].any())
    levels = ({"departement": "au reste de son département", "region": "au reste de sa région",
               "france": "au reste de la France"} if rest else
              {"departement": "à son département", "region": "à sa région", "france": "à la France"})
    around = [levels[lv] for lv in table["level"] if lv in levels]
    rate = ("taux annuel pour 10 000 habitants sur les années couvertes (le nombre cumulé d'accompagnements à "
            "côté ; intervalle tenant compte des structures accompagnées plusieurs fois)" if annual else
            "taux pour 10 000 habitants (intervalle de Poisson exact)")
    text = ("Le territoire comparé " + (", ".join(around[:-1]) + " et " + around[-1] if len(around) > 1
                                          else around[0])
            + (" (la zone sans le territoire : on le compare à là où il n'est pas, non à une zone qui le contient)"
               if rest else "")
            + f", à partir des mêmes exports et de la même référence communale : {rate}, parts d'accompagnements en "
              "commune rurale et en quartier prioritaire (parmi ceux dont la situation est connue ; intervalles de "
              "Wilson), part des communes atteintes. « non publié » : secret statistique (y compris quand l'écart "
              "entre deux zones emboîtées serait un petit effectif, et pour le reste d'une zone quand le chiffre du "
              "territoire est masqué) ; « sans objet » : une part fixée par définition (aucune commune rurale, ou "
              "aucun quartier prioritaire, dans le territoire).")
    return ["### Le territoire dans son département, sa région et la France", text, pd.DataFrame(rows)]


# --------------------------------------------------------------------------- by département
def departements_section(pub) -> list:
    """The rows of each département of a territory over several (France, a région, an EPCI
    across a border): communes, population, accompaniments and the rate per 10,000
    inhabitants, from the publication's rates by département (protected with every other
    table of the report: :func:`evaluation.report.secrecy.links.linked_cells`). Nothing for a
    territory in one département.
    """
    table = pub.rates.get("departement")
    if table is None or len(table) < 2:
        return []
    ci = ci_label(pub.alpha)
    reached = pub.reached
    if pub.geography == "departement":
        communes = dict(zip(reached["departement"].astype(str), reached["communes"], strict=True))
    else:
        communes = reached["departement"].astype(str).value_counts().to_dict()
    names = pub.departement_names
    annual = "annual" in table
    rows = [{"Département": f"{names.get(str(r.departement), '')} ({r.departement})".strip(),
             "Communes": fr_number(communes.get(str(r.departement), 0)),
             "Population": fr_number(r.population),
             "Accompagnements (cumul)" if annual else "Accompagnements": SECRET if r.suppressed else fr_number(r.count),
             f"{'Par an p' if annual else 'P'}our 10 000 hab. ({ci})": SECRET if r.suppressed else
             (f"{fr_rate(r.annual)} {fr_rate_interval(r.annual_low, r.annual_high)}" if annual else
              f"{fr_rate(r.rate)} {fr_rate_interval(r.ci_low, r.ci_high)}")}
            for r in table.itertuples(index=False)]
    text = (f"### Par département\n\nLe territoire s'étend sur {len(table)} départements : pour chacun, le nombre "
            "d'accompagnements et le taux " + ("annuel pour 10 000 habitants (intervalle tenant compte des structures "
                                               "accompagnées plusieurs fois)" if annual else
                                               "pour 10 000 habitants (intervalle de Poisson exact)") + ". « non publié » : secret "
            "statistique (petits effectifs, et ceux qui permettraient de les retrouver à partir des autres tableaux).")
    return [text, pd.DataFrame(rows)]

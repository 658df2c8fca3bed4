"""What a report shows for its territory, and what it leaves out and why (report layer).

A section with nothing to show for a territory — the urban/rural comparison of an
all-urban commune, the map of a single commune, the distance when no support site is
declared, a model that cannot be estimated — leaves the report rather than printing zeros
or « non estimable ». :func:`gaps` lists what a report leaves out, each once, with why, in
plain French: L'essentiel's « what this report cannot say » and the chapter « Ce que ce
rapport ne couvre pas » read it, and each builder asks :func:`shows` whether its section
is shown. One list, so that the body, the annex and the list of gaps always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.geo.reference import RURAL
from evaluation.report.published import Publication
from evaluation.report.sections.base import before_split
from evaluation.report.tables import EFFECT_REASONS, NOT_ESTIMABLE

__all__ = ["Gap", "gaps", "shows", "CHECKS", "one_density_level", "all_one_space", "meaningful_trends"]


@dataclass(frozen=True)
class Gap:
    """A part of the report left out for this territory: ``keys`` (the sections, :data:`CHECKS`),
    what they would have shown and why they are not, in plain French (« … : why. »).
    """

    keys: tuple[str, ...]
    what: str
    why: str

    @property
    def key(self) -> str:
        """The first section left out."""
        return self.keys[0]

    @property
    def sentence(self) -> str:
        """The gap in one sentence (« what » then « why »)."""
        return f"{self.what[:1].upper()}{self.what[1:]} : {self.why}."


def all_one_space(pub: Publication) -> str | None:
    """``"urbain"`` or ``"rural"`` when the whole population lives in one of them, else ``None``."""
    rep = pub.representation["urban_rural"]
    living = rep.loc[rep["population"] > 0, "urban_rural"].astype(str)
    return str(living.iloc[0]) if len(living) == 1 else None


def one_density_level(pub: Publication) -> str | None:
    """The density level of every commune when they all share one, else ``None``."""
    return next(iter(pub.communes_by_class)) if len(pub.communes_by_class) == 1 else None


# --------------------------------------------------------------------------- one check per section
# Each reads only what its section needs, so that a builder can ask about its own section.
def _reach(pub: Publication) -> Gap | None:
    if pub.total == 0 or pub.years is None:
        return Gap(("reach",), "la portée de l'action", "aucun accompagnement n'est enregistré dans ce territoire")
    return None


def _comparison(pub: Publication) -> Gap | None:
    if pub.comparison is None or pub.comparison.empty:
        return Gap(("comparison",), "la comparaison avec le département, la région ou la France",
                   "la référence communale ne couvre aucune zone plus large qui contienne le territoire")
    return None


def _space(pub: Publication) -> Gap | None:
    space, level = all_one_space(pub), one_density_level(pub)
    if level is not None:
        return Gap(("urban_rural", "density"), "la comparaison entre communes urbaines et rurales, ou par niveau de "
                   "densité", f"toutes les communes du territoire sont du même niveau (« {level} »)")
    if space is not None:
        words = "rurales" if space == RURAL else "urbaines"
        return Gap(("urban_rural",), "la comparaison entre communes urbaines et rurales",
                   f"toutes les communes du territoire sont {words}")
    return None


def _one_commune(pub: Publication) -> Gap | None:
    if pub.geography == "commune" and pub.communes <= 1:
        return Gap(("communes", "distance", "count_model"), "la carte des communes atteintes, la concentration et "
                   "la comparaison des taux entre communes, la distance au lieu d'accompagnement",
                   "le territoire compte une seule commune")
    return None


def _distance(pub: Publication) -> Gap | None:
    if (gap := _one_commune(pub)) is not None:
        return gap
    if pub.geography == "departement":
        return Gap(("distance",), "la distance au lieu d'accompagnement",
                   "elle se mesure commune par commune, et ce territoire est présenté par département")
    if not pub.sites:
        return Gap(("distance",), "la distance au lieu d'accompagnement",
                   "aucun lieu d'accompagnement n'est déclaré pour ce territoire")
    return None


def _count_model(pub: Publication) -> Gap | None:
    if (gap := _one_commune(pub)) is not None:
        return gap
    model = pub.model
    if pub.total and model is not None and not model.first.shown:
        why = ("ses résultats permettraient de retrouver des nombres protégés par le secret statistique"
               if model.first.withheld else NOT_ESTIMABLE.get(model.first.reason or "",
                                                              "les données ne permettent pas de l'estimer"))
        return Gap(("count_model",), "la comparaison des taux entre groupes de communes, à population égale", why)
    return None


def _no_qpv(pub: Publication) -> bool:
    return not pub.territory.qpv and not pub.qpv.set_index("qpv")["count"].fillna(0).iloc[0]


def _qpv(pub: Publication) -> Gap | None:
    if _no_qpv(pub):
        return Gap(("qpv",), "les quartiers prioritaires de la politique de la ville",
                   "aucun quartier prioritaire n'est déclaré pour ce territoire, et aucun accompagnement n'y est "
                   "enregistré")
    return None


def meaningful_trends(pub: Publication) -> list[str]:
    """The yearly shares that can move: the rural share of a territory with urban and rural
    communes, the QPV share of a territory with priority neighbourhoods (a share fixed by
    definition has no trend).
    """
    return [k for k in pub.trends if (k == "rural" and all_one_space(pub) is None) or (k == "qpv" and not _no_qpv(pub))]


def _trends(pub: Publication) -> Gap | None:
    kept = meaningful_trends(pub)
    if kept and all(int(pub.trends[k]["share"].notna().sum()) < 2 for k in kept):
        return Gap(("trends",), "l'évolution d'une année sur l'autre",
                   "il faudrait au moins deux années publiables (non protégées par le secret statistique)")
    return None


def _venue(pub: Publication) -> Gap | None:
    if pub.venue is not None:
        return None
    why = ("la date qui sépare « avant » et « après » n'est pas encore atteinte"
           if pub.territory.venue is not None and before_split(pub) else
           "aucun tiers-lieu n'est déclaré pour ce territoire" if pub.territory.venue is None else
           "aucun événement n'y est enregistré depuis la date charnière")
    return Gap(("venue",), "la fréquentation du tiers-lieu", why)


def _network(pub: Publication) -> Gap | None:
    if pub.network is not None:
        return None
    why = ("la date qui sépare « avant » et « après » n'est pas encore atteinte" if before_split(pub) else
           "ce territoire n'a pas de données sur les rencontres et les collaborations entre acteurs")
    return Gap(("network",), "l'effet des rencontres sur les collaborations entre acteurs", why)


def _network_effect(pub: Publication) -> Gap | None:
    net = pub.network
    if net is None or net.effect is None or net.effect.effect.shown:
        return None
    e = net.effect.effect
    why = ("elle permettrait de retrouver des nombres protégés par le secret statistique" if e.withheld else
           EFFECT_REASONS.get(e.reason or "", NOT_ESTIMABLE.get(e.reason or "", "les données ne le permettent pas")))
    return Gap(("network_effect",), "l'estimation de l'effet des rencontres à activité des structures égale", why)


def _testimonies(pub: Publication) -> Gap | None:
    if not pub.testimonies:
        return Gap(("testimonies",), "les témoignages", "aucun témoignage n'est enregistré pour ce territoire")
    return None


#: Each section's check, in the report's order (a check may leave out several sections at once).
CHECKS = {"reach": _reach, "comparison": _comparison, "urban_rural": _space, "density": _space,
          "communes": _one_commune, "distance": _distance, "count_model": _count_model, "qpv": _qpv,
          "trends": _trends, "venue": _venue, "network": _network, "network_effect": _network_effect,
          "testimonies": _testimonies}
#: The sections that need accompaniments (left out, with the reach, when there is none).
_REACH = ("comparison", "urban_rural", "density", "communes", "distance", "count_model", "qpv", "trends")


def gaps(pub: Publication) -> list[Gap]:
    """Every part of the report left out for ``pub``'s territory, each once, with why, in the report's order."""
    nothing = _reach(pub)
    out: list[Gap] = []
    for key, check in CHECKS.items():
        if nothing is not None and key in _REACH:
            continue
        gap = check(pub)
        if gap is not None and gap not in out:
            out.append(gap)
    return out


def shows(pub: Publication, key: str) -> bool:
    """Whether section ``key`` (:data:`CHECKS`) is shown for ``pub`` (its check finds no gap)."""
    if key not in CHECKS:
        raise KeyError(f"unknown section {key!r}: one of {', '.join(CHECKS)}")
    return CHECKS[key](pub) is None

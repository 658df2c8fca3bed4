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

__all__ = ["Gap", "gaps", "shows", "SECTIONS", "one_density_level", "all_one_space"]


@dataclass(frozen=True)
class Gap:
    """A part of the report left out for this territory: ``keys`` (the sections, :data:`SECTIONS`),
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
        """The gap as a sentence: « What : why. »."""
        return f"{self.what[:1].upper()}{self.what[1:]} : {self.why}."


#: The sections :func:`shows` knows, in the report's order.
SECTIONS = ("reach", "comparison", "urban_rural", "density", "communes", "distance", "count_model", "qpv",
            "trends", "venue", "network", "network_effect", "testimonies")


def all_one_space(pub: Publication) -> str | None:
    """``"urbain"`` or ``"rural"`` when the whole population lives in one of them, else ``None``."""
    rep = pub.representation["urban_rural"]
    living = rep.loc[rep["population"] > 0, "urban_rural"].astype(str)
    return str(living.iloc[0]) if len(living) == 1 else None


def one_density_level(pub: Publication) -> str | None:
    """The density level of every commune when they all share one, else ``None``."""
    return next(iter(pub.communes_by_class)) if len(pub.communes_by_class) == 1 else None


def _space_gaps(pub: Publication) -> list[Gap]:
    space, level = all_one_space(pub), one_density_level(pub)
    if level is not None:
        return [Gap(("urban_rural", "density"), "la comparaison entre communes urbaines et rurales, ou par niveau de "
                    "densité", f"toutes les communes du territoire sont du même niveau (« {level} »)")]
    if space is not None:
        words = "rurales" if space == RURAL else "urbaines"
        return [Gap(("urban_rural",), "la comparaison entre communes urbaines et rurales",
                    f"toutes les communes du territoire sont {words}")]
    return []


def _commune_gaps(pub: Publication) -> list[Gap]:
    if pub.geography == "commune" and pub.communes <= 1:
        return [Gap(("communes", "distance", "count_model"), "la carte des communes atteintes, la concentration et "
                    "la comparaison des taux entre communes, la distance au lieu d'accompagnement",
                    "le territoire compte une seule commune")]
    out = []
    if pub.geography == "departement":
        out.append(Gap(("distance",), "la distance au lieu d'accompagnement",
                       "elle se mesure commune par commune, et ce territoire est présenté par département"))
    elif not pub.sites:
        out.append(Gap(("distance",), "la distance au lieu d'accompagnement",
                       "aucun lieu d'accompagnement n'est déclaré pour ce territoire"))
    model = pub.model
    if pub.total and model is not None and not model.first.shown:
        why = ("ses résultats permettraient de retrouver des nombres protégés par le secret statistique"
               if model.first.withheld else NOT_ESTIMABLE.get(model.first.reason or "",
                                                              "les données ne permettent pas de l'estimer"))
        out.append(Gap(("count_model",), "la comparaison des taux entre groupes de communes, à population égale", why))
    return out


def _network_gaps(pub: Publication) -> list[Gap]:
    net = pub.network
    if net is None:
        why = ("la date qui sépare « avant » et « après » n'est pas encore atteinte" if before_split(pub) else
               "ce territoire n'a pas de données sur les rencontres et les collaborations entre acteurs")
        return [Gap(("network",), "l'effet des rencontres sur les collaborations entre acteurs", why)]
    effect = net.effect
    if effect is None or effect.effect.shown:
        return []
    if effect.effect.withheld:
        why = "elle permettrait de retrouver des nombres protégés par le secret statistique"
    else:
        why = EFFECT_REASONS.get(effect.effect.reason or "", NOT_ESTIMABLE.get(effect.effect.reason or "",
                                                                                 "les données ne le permettent pas"))
    return [Gap(("network_effect",), "l'estimation de l'effet des rencontres à activité des structures égale", why)]


def gaps(pub: Publication) -> list[Gap]:
    """Every part of the report left out for ``pub``'s territory, with why, in the report's order."""
    if pub.total == 0 or pub.years is None:
        return [Gap(("reach",), "la portée de l'action", "aucun accompagnement n'est enregistré dans ce territoire"),
                *_later_gaps(pub)]
    out: list[Gap] = []
    if pub.comparison is None or pub.comparison.empty:
        out.append(Gap(("comparison",), "la comparaison avec le département, la région ou la France",
                       "la référence communale ne couvre aucune zone plus large qui contienne le territoire"))
    out += _space_gaps(pub) + _commune_gaps(pub)
    no_qpv = not pub.territory.qpv and not pub.qpv.set_index("qpv")["count"].fillna(0).iloc[0]
    if no_qpv:
        out.append(Gap(("qpv",), "les quartiers prioritaires de la politique de la ville",
                       "aucun quartier prioritaire n'est déclaré pour ce territoire, et aucun accompagnement n'y est "
                       "enregistré"))
    # A trend of a share fixed by definition (the rural share of an all-urban territory) is not a gap of its own.
    meaningful = [t for k, t in pub.trends.items()
                  if (k == "rural" and all_one_space(pub) is None) or (k == "qpv" and not no_qpv)]
    if meaningful and all(int(t["share"].notna().sum()) < 2 for t in meaningful):
        out.append(Gap(("trends",), "l'évolution d'une année sur l'autre",
                       "il faudrait au moins deux années publiables (non protégées par le secret statistique)"))
    return out + _later_gaps(pub)


def _later_gaps(pub: Publication) -> list[Gap]:
    """The tiers-lieu, networks and testimonies left out (whether or not anyone was accompanied)."""
    out = []
    if pub.venue is None:
        why = ("la date qui sépare « avant » et « après » n'est pas encore atteinte"
               if pub.territory.venue is not None and before_split(pub) else
               "aucun tiers-lieu n'est déclaré pour ce territoire" if pub.territory.venue is None else
               "aucun événement n'y est enregistré depuis la date charnière")
        out.append(Gap(("venue",), "la fréquentation du tiers-lieu", why))
    out += _network_gaps(pub)
    if not pub.testimonies:
        out.append(Gap(("testimonies",), "les témoignages", "aucun témoignage n'est enregistré pour ce territoire"))
    return out


def shows(pub: Publication, key: str) -> bool:
    """Whether section ``key`` (:data:`SECTIONS`) is shown for ``pub`` (it is not one of its :func:`gaps`)."""
    if key not in SECTIONS:
        raise KeyError(f"unknown section {key!r}: one of {', '.join(SECTIONS)}")
    return all(key not in g.keys for g in gaps(pub))

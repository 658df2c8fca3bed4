"""A territory and its sites: the communes, QPV, tiers-lieu sites, split date and objectives one report covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Site", "Objective", "Territory"]


@dataclass(frozen=True)
class Site:
    """A place where support is given (for distances): a commune and/or coordinates."""

    label: str
    commune: str | None = None
    lat: float | None = None
    lon: float | None = None



@dataclass(frozen=True)
class Objective:
    """A target the territory's convention sets on one indicator of the indicator table.

    ``indicator`` is a code of :data:`evaluation.geo.objectives.INDICATOR_KINDS`; values are in
    the indicator's unit (a share between 0 and 1). ``direction`` says which way is better:
    declared (``direction_declared``) or inferred from the baseline and the target. ``source``
    names the document that sets it (« convention ANRU, article 7 »); ``illustrative`` marks a
    target made up to show the method.
    """

    indicator: str
    baseline: float
    baseline_date: dt.date
    target: float
    target_date: dt.date
    direction: Literal["increase", "decrease"]
    source: str
    label: str = ""
    illustrative: bool = False
    direction_declared: bool = False


@dataclass(frozen=True)
class Territory:
    """A territory an evaluation report is rendered for.

    Its communes are the union of ``communes`` (INSEE codes), the members of ``epcis``
    (SIREN) and of ``departements``, resolved against the commune reference by
    :func:`evaluation.geo.reference.territory_communes`.
    """

    slug: str
    label: str
    split_date: dt.date
    communes: tuple[str, ...] = ()
    epcis: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    qpv: tuple[dict[str, str], ...] = ()
    sites: tuple[Site, ...] = ()
    venue: Site | None = None
    network_roles: dict[str, str] = field(default_factory=dict)
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    milestones: dict[str, dt.date] = field(default_factory=dict)  # edition name → date (points d'étape)
    partial_epci: bool = False  # accepts an EPCI cut by the reference's border (its part inside)
    objectives: tuple[Objective, ...] = ()  # targets of the convention (evaluation.geo.objectives)

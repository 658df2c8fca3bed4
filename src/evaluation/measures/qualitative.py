"""What numbers miss: testimonies coded by theme, counted, and quoted beside the figures."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaluation.io.schema import split_themes
from evaluation.measures.stats import wilson_interval

__all__ = ["for_territory", "theme_counts", "quotes_by_theme", "quotable", "generalise_roles", "ROLE_FAMILIES",
           "LOCAL_ACTOR"]

#: Families of the organisation kinds (codes of :data:`evaluation.io.schema.ACTOR_KINDS`), the
#: role a quote is signed with when its own kind is too rare in the territory (French labels:
#: :data:`evaluation.report.tables.KIND_LABELS`).
ROLE_FAMILIES = {"association": "civil_society", "residents_group": "civil_society",
                 "ess_enterprise": "enterprise", "business": "enterprise",
                 "local_authority": "public_body", "social_landlord": "public_body", "institution": "public_body"}
#: The role of last resort, an organisation of the territory of whatever kind.
LOCAL_ACTOR = "local_actor"


def for_territory(testimonies: pd.DataFrame, slugs: Iterable[str]) -> pd.DataFrame:
    """Testimonies recorded for any of ``slugs`` (a territory and the territories inside it)."""
    return testimonies[testimonies["territory"].astype(str).isin(set(slugs))]


def theme_counts(testimonies: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """How many testimonies mention each theme, and their share of all testimonies.

    A testimony with several themes counts once for each. Returns ``theme``, ``count``,
    ``total`` (testimonies), ``share`` and Wilson ``ci_low``/``ci_high``, most frequent
    first (ties by theme name).
    """
    themes = split_themes(testimonies["themes"]).explode().dropna()
    counts = themes.groupby(themes.to_numpy()).size()
    total = len(testimonies)
    out = pd.DataFrame({"theme": counts.index.astype(str), "count": counts.to_numpy(dtype="int64")})
    out["total"] = total
    out["share"] = out["count"] / total if total else float("nan")
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], total, alpha=alpha)
    return out.sort_values(["count", "theme"], ascending=[False, True], ignore_index=True)


def quotable(testimonies: pd.DataFrame) -> pd.Series:
    """Which testimonies may be quoted: those whose ``consent`` is yes.

    **Default.** ``consent`` is optional. Without the column, every testimony may be quoted:
    an export without it is taken to hold testimonies collected for publication, as the
    evaluation's interviews are (and as before the column existed). With the column, only
    ``oui`` is quoted: an empty cell means consent was not recorded for that testimony, and
    a quote without recorded consent is not published. The testimony is counted in its
    themes either way (a count names no one).
    """
    if "consent" not in testimonies:
        return pd.Series(True, index=testimonies.index, name="consent")
    return testimonies["consent"].astype("boolean").fillna(False).astype(bool).rename("consent")


def generalise_roles(quotes: pd.DataFrame, kinds: pd.Series, *, threshold: int) -> pd.DataFrame:
    """Sign each quote with a role that does not single an organisation out.

    An organisation kind (``actor_kind`` in :data:`ROLE_FAMILIES`) with fewer than
    ``threshold`` organisations of that kind in the territory (``kinds``: the kind of each
    actor of the territory) would nearly name one (« bailleur social » in a commune with one
    social landlord): the quote is signed with its family (« un acteur public »), or, if the
    family too has fewer than ``threshold``, with :data:`LOCAL_ACTOR`. Other roles (a
    resident, a project holder: people, not organisations) are kept. Adds
    ``role_generalised`` (bool).
    """
    counts = kinds.astype(str).value_counts()
    families = kinds.astype(str).map(ROLE_FAMILIES).value_counts()
    role = quotes["actor_kind"].astype(str)
    family = role.map(ROLE_FAMILIES)
    own = role.map(counts).fillna(0).to_numpy()
    fam = family.map(families).fillna(0).to_numpy()
    organisation = family.notna().to_numpy()
    generalised = organisation & (own < threshold)
    signed = np.where(~generalised, role, np.where(fam >= threshold, family, LOCAL_ACTOR))
    return quotes.assign(actor_kind=signed, role_generalised=generalised)


def quotes_by_theme(testimonies: pd.DataFrame, *, per_theme: int = 1, themes: Iterable[str] | None = None
                    ) -> pd.DataFrame:
    """Quotes chosen per theme: the most recent testimonies of each theme, each quoted once.

    Themes are taken from the most to the least frequent (or in the order of ``themes``);
    within a theme the most recent :func:`quotable` testimony whose text is not quoted yet is
    chosen (ties by id), so the choice is deterministic and no quote appears twice.
    Returns ``theme``, ``text``, ``actor_kind``, ``year``, ``testimony_id``.
    """
    data = testimonies[quotable(testimonies).to_numpy()]
    data = data.assign(theme_list=split_themes(data["themes"]))
    order = list(themes) if themes is not None else list(theme_counts(testimonies)["theme"])
    data = data.sort_values(["date", "testimony_id"], ascending=[False, True])
    used: set = set()
    rows = []
    for theme in order:
        picked = 0
        for r in data.itertuples():
            if picked >= per_theme:
                break
            if theme in r.theme_list and r.text not in used:
                used.add(r.text)
                rows.append({"theme": theme, "text": r.text, "actor_kind": r.actor_kind,
                             "year": int(r.date.year), "testimony_id": r.testimony_id})
                picked += 1
    return pd.DataFrame(rows, columns=["theme", "text", "actor_kind", "year", "testimony_id"])

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
    """Quotes chosen per theme by a stated rule, each testimony quoted once.

    Themes are taken from the most to the least frequent (:func:`theme_counts`), or in the order
    of ``themes``. Only :func:`quotable` testimonies are quoted (consent not refused). For each
    theme, among its testimonies whose text is not quoted yet, the first by:

    1. marked ``highlight`` by the evaluator (optional yes/no column of the testimonies: the
       quote they want read);
    2. most focused on the theme: the fewest themes coded (a testimony coded « confiance »
       alone says more about trust than one coded with three themes);
    3. a speaker kind (``actor_kind``) not quoted yet for an earlier theme (several voices
       rather than one);
    4. the testimony id (a stable tie-break; not the date: the most recent is not the most
       telling).

    Returns ``theme``, ``text``, ``actor_kind``, ``year``, ``testimony_id`` and
    ``highlight`` (whether the evaluator chose it).
    """
    columns = ["theme", "text", "actor_kind", "year", "testimony_id", "highlight"]
    pool_of = testimonies[quotable(testimonies).to_numpy()]
    marked = (pool_of["highlight"].fillna(False).astype(bool) if "highlight" in pool_of
              else pd.Series(False, index=pool_of.index))
    data = pool_of.assign(theme=split_themes(pool_of["themes"]), highlight=marked.to_numpy())
    data["n_themes"] = data["theme"].map(len)
    data["id_key"] = data["testimony_id"].astype(str)
    by_theme = data.explode("theme")  # one row per testimony and theme it mentions
    order = list(themes) if themes is not None else list(theme_counts(testimonies)["theme"])
    used_texts: set = set()
    used_kinds: set = set()
    rows = []
    for theme in order:  # a loop over themes (a handful), each choice vectorised
        for _ in range(per_theme):
            pool = by_theme[(by_theme["theme"] == theme) & ~by_theme["text"].isin(used_texts)]
            if pool.empty:
                break
            r = pool.assign(heard=pool["actor_kind"].isin(used_kinds)).sort_values(
                ["highlight", "n_themes", "heard", "id_key"], ascending=[False, True, True, True]).iloc[0]
            used_texts.add(r["text"])
            used_kinds.add(r["actor_kind"])
            rows.append({"theme": theme, "text": r["text"], "actor_kind": r["actor_kind"], "year": int(r["date"].year),
                         "testimony_id": r["testimony_id"], "highlight": bool(r["highlight"])})
    return pd.DataFrame(rows, columns=columns)

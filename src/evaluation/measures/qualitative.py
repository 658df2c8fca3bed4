"""What numbers miss: testimonies coded by theme, counted, and quoted beside the figures."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from evaluation.io.schema import split_themes
from evaluation.measures.stats import wilson_interval

__all__ = ["for_territory", "theme_counts", "quotes_by_theme"]


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


def quotes_by_theme(testimonies: pd.DataFrame, *, per_theme: int = 1, themes: Iterable[str] | None = None
                    ) -> pd.DataFrame:
    """Quotes chosen per theme: the most recent testimonies of each theme, each quoted once.

    Themes are taken from the most to the least frequent; within a theme the most recent
    testimony whose text is not quoted yet is chosen (ties by id), so the choice is
    deterministic and no quote appears twice.
    Returns ``theme``, ``text``, ``actor_kind``, ``year``, ``testimony_id``.
    """
    data = testimonies.assign(theme_list=split_themes(testimonies["themes"]))
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

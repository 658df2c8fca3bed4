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
    """Quotes chosen per theme by a stated rule, each testimony quoted once.

    Themes are taken from the most to the least frequent (:func:`theme_counts`). For each
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
    marked = (testimonies["highlight"].fillna(False).astype(bool) if "highlight" in testimonies
              else pd.Series(False, index=testimonies.index))
    data = testimonies.assign(theme=split_themes(testimonies["themes"]), highlight=marked.to_numpy())
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

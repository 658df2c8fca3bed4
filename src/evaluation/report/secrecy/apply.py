"""What the decided suppression does to a publication's tables, and the counts a reader can use.

:func:`apply_suppression` marks each table's withheld rows (``suppressed``) and the
withheld indicators (``secret``) from the decision of
:func:`evaluation.report.secrecy.optimal.joint_suppress`. :func:`published_counts` gives every
commune a count computed from published values only — what a reader could compute — so that
statistics over communes (Gini index, Lorenz curve, distance quantiles, the count model) can
be computed on it and reveal no withheld count.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from evaluation.report.secrecy.cells import LinkedCells

__all__ = ["apply_suppression", "published_counts"]


def apply_suppression(raw, decided: LinkedCells):
    """Copy ``raw`` (a :class:`evaluation.report.published.Publication` before suppression) with
    each table's ``suppressed`` column, the withheld indicators (``secret``, values blanked) and
    the number of withheld cells set. Blanking the other withheld values is the caller's.
    """
    def mark(frame: pd.DataFrame | None, table: str) -> pd.DataFrame | None:
        if frame is None:
            return None
        hidden = np.zeros(len(frame), dtype=bool)
        hidden[decided.suppressed_rows(table)] = True
        return frame.assign(suppressed=hidden)

    ind = raw.indicators.copy()
    secret = np.zeros(len(ind), dtype=bool)
    secret[decided.suppressed_rows("indicators")] = True
    ind["secret"] = ind["secret"].to_numpy(dtype=bool) | secret
    ind.loc[ind["secret"], ["valeur", "ic_bas", "ic_haut"]] = np.nan
    representation = {g: mark(r, f"representation:{g}") for g, r in raw.representation.items()}
    for g, r in representation.items():  # the expected counts reveal the total when every row is withheld
        populated = r["population"].to_numpy(dtype=float) > 0 if "population" in r else np.ones(len(r), bool)
        if len(r) and r["suppressed"].to_numpy(dtype=bool)[populated].all():
            representation[g] = r.assign(expected=np.nan)
    conversion = mark(raw.conversion_counts, "conversion")
    hidden_conv = tuple(bool(v) for v in conversion["suppressed"]) if conversion is not None else (False, False)
    rows = decided.rows
    shown_tables = ~rows["table"].isin(["indicators"])
    return replace(
        raw, indicators=ind, representation=representation,
        rural_by_programme=mark(raw.rural_by_programme, "rural_by_programme"),
        rates={g: mark(r, f"rates:{g}") for g, r in raw.rates.items()}, qpv=mark(raw.qpv, "qpv"),
        reached=mark(raw.reached, "reached"),
        themes=mark(raw.themes, "themes") if len(raw.themes) else raw.themes.assign(suppressed=False),
        venue_origins=mark(raw.venue_origins, "venue_origins"),
        venue_participations=mark(raw.venue_participations, "venue_participations"),
        venue_monthly=mark(raw.venue_monthly, "venue_monthly"),
        commune_groups=mark(raw.commune_groups, "commune_groups"),
        conversion_hidden=hidden_conv, trends={k: mark(t, f"trends:{k}") for k, t in raw.trends.items()},
        decay=mark(raw.decay, "decay") if len(raw.decay) else raw.decay, conversion_counts=conversion,
        network_counts=mark(raw.network_counts, "network_counts"),
        suppressed_cells=int((rows["suppressed"] & shown_tables).sum()) + int(ind["secret"].sum()))


def published_counts(reached: pd.DataFrame, *, groups: pd.DataFrame | None, total: float | None) -> pd.Series | None:
    """Each commune's count as computable from published values: its own when shown, zero when
    not reached; the communes of a published group (``grouped``) share its total, and the
    communes withheld (and those of a withheld group) share what the total leaves, as equally
    as integers allow (the first communes by code get one more). ``None`` when the territory's
    total is needed and withheld.

    Computed this way, a statistic over communes (Gini index, Lorenz curve, distance
    quantiles, the count model) is a function of published numbers only: it reveals no
    withheld count. It equals the statistic on the true counts when nothing is grouped nor
    withheld, and smooths the counts within each group otherwise.
    """
    count = reached["count"].to_numpy(dtype=float)
    reached_flag = reached["reached"].to_numpy(dtype=bool) if "reached" in reached else count > 0
    grouped = reached["grouped"].to_numpy(dtype=bool) if "grouped" in reached else np.zeros(len(reached), bool)
    hidden = reached["suppressed"].to_numpy(dtype=bool).copy() if "suppressed" in reached else np.zeros(len(reached), bool)
    hidden &= ~grouped
    out = np.where(reached_flag & ~grouped & ~hidden, count, 0.0)
    codes = reached["commune_code"].astype(str).to_numpy()
    known = float(out.sum())
    if grouped.any():
        if groups is None or not len(groups) or ("suppressed" in groups and bool(groups["suppressed"].iloc[0])):
            hidden |= grouped  # a withheld group: its communes share what the total leaves
        else:
            g = float(groups["count"].iloc[0])
            out[grouped] = _spread(g, codes[grouped])
            known += g
    if hidden.any():
        if total is None or not np.isfinite(total):
            return None
        out[hidden] = _spread(float(total) - known, codes[hidden])
    return pd.Series(out.astype("int64"), index=reached.index, name="count")


def _spread(total: float, codes: np.ndarray) -> np.ndarray:
    """``total`` shared among ``len(codes)`` communes in integers, the remainder to the first codes."""
    k = len(codes)
    base, extra = divmod(int(round(total)), k)
    order = np.argsort(codes, kind="stable")
    out = np.full(k, float(base))
    out[order[:extra]] += 1
    return out

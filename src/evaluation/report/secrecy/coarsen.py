"""Coarsening before suppressing: categories merged until their counts can be published.

Official statisticians protect a table first by **global recoding** — collapsing categories
whose counts are too small — and only then by suppressing what still needs it (Hundepool et
al. 2012, §4.2.1 and §5.3; INSEE and Eurostat practice). Each rule below applies to one
table, only when one of its counts is from 1 to ``threshold − 1``, and is recorded as a
:class:`Coarsened` (a code and the categories merged) so that the report states it under the
table. Merged categories carry codes (:data:`CODES`); the report layer gives their French
labels. Every indicator and every table is kept: only their categories change.

======================  ==========================================================
table                   rule (code)
======================  ==========================================================
density levels          a side whose levels include a small count is merged into one
                        row: levels 5–7 → ``levels_5_7`` (« rural »), levels 1–4 →
                        ``levels_1_4`` (« urbain ») (``levels_by_side``)
EPCI                    the EPCI with small counts → ``other_epci`` (« autres EPCI »),
                        with the smallest others until the group reaches the threshold
                        (``small_into_other``)
programmes              likewise → ``other_programmes`` (a programme is small when its
                        rural count, its urban count or its total is), ``all_programmes``
                        when every programme has to be merged
indicators of the       the counts of the latest year (creation and development, DLA) cover
latest year             the latest years, back from the latest, until they reach the
                        threshold (:func:`evaluation.report.indicators.territory_indicators`)
communes (map)          the reached communes with small counts → ``other_communes``,
                        shown as one group (count and number of communes)
years (trend tables)    consecutive years merged into periods until each period's count
                        and complement are 0 or at least the threshold
                        (``years_into_periods``)
distance bands          adjacent bands merged likewise (``adjacent_bands``)
tiers-lieu origins      small origins → ``other_origins``
themes                  small themes → ``other_themes`` (testimonies citing at least
                        one of them)
monthly activity        months → quarters → years until no period has a small count of
                        participations or first visits (``months_into_quarters``,
                        ``months_into_years``)
======================  ==========================================================

Functions here decide the groups (pure, on counts) and recompute a table's shares, rates
and intervals on the merged categories with the measures' own functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.geo.reference import DENSITY_LABELS, RURAL_LEVELS
from evaluation.measures.reach.shares import (
    rates_per_10k,
    representation_index,
    with_poisson_rates,
)
from evaluation.measures.stats import wilson_interval

__all__ = ["CODES", "Coarsened", "is_small", "side_groups", "side_members", "small_into_other", "years_into_periods",
           "adjacent_groups", "months_frequency", "regroup_exposure", "regroup_shares", "regroup_trend",
           "regroup_rates", "regroup_monthly", "period_label"]

#: Codes of merged categories, whose French labels are in :data:`evaluation.report.tables.COARSE_LABELS`.
CODES = ("levels_5_7", "levels_1_4", "other_epci", "other_programmes", "all_programmes", "other_communes",
         "other_origins", "other_themes")
_RURAL = [DENSITY_LABELS[k] for k in RURAL_LEVELS]
_URBAN = [v for k, v in DENSITY_LABELS.items() if k not in RURAL_LEVELS]


def side_members(code: str) -> tuple[str, ...]:
    """The density labels of a side's code (``levels_5_7``: levels 5 to 7; ``levels_1_4``)."""
    return tuple(_RURAL if code == "levels_5_7" else _URBAN)


@dataclass(frozen=True)
class Coarsened:
    """How one table was coarsened: ``rule`` (code), and for each merged category its members
    (fine categories, as strings). ``mapping`` sends every merged fine category to its group.
    """

    table: str
    rule: str
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def mapping(self) -> dict[str, str]:
        """Fine category → its group, for the merged categories."""
        return {m: g for g, members in self.groups.items() for m in members}


def is_small(values, threshold: int) -> np.ndarray:
    """Counts from 1 to ``threshold − 1`` (primary suppression's cells)."""
    v = np.asarray(values, dtype=float)
    return (v > 0) & (v < threshold)


# --------------------------------------------------------------------------- decisions
def side_groups(counts: Mapping[str, float], *, threshold: int) -> dict[str, tuple[str, ...]]:
    """Density levels merged by side (levels 5–7, levels 1–4) where a level of the side present
    in ``counts`` (level label → count) is small and the side has two levels or more.
    """
    groups = {}
    for code, side in (("levels_1_4", _URBAN), ("levels_5_7", _RURAL)):
        present = [lv for lv in side if lv in counts]
        if len(present) >= 2 and is_small([counts[lv] for lv in present], threshold).any():
            groups[code] = tuple(present)
    return groups


def small_into_other(counts: pd.Series, *, threshold: int, other: str, small: np.ndarray | None = None,
                     allow_all: bool = False) -> dict[str, tuple[str, ...]]:
    """The small categories of ``counts`` (label → count; ``small`` overrides which are)
    merged into ``other``, with the smallest other categories added until the group reaches
    the threshold or none is left; nothing when fewer than two categories would be merged, or
    (unless ``allow_all``) all of them would (the table would be its total).
    """
    counts = counts.astype(float)
    small = is_small(counts.to_numpy(), threshold) if small is None else np.asarray(small, dtype=bool)
    if small.sum() < 1:
        return {}
    chosen = list(counts.index[small])
    rest = counts[~small & (counts.to_numpy() > 0)].sort_values(kind="stable")
    total = float(counts[chosen].sum())
    for label, value in rest.items():
        if total >= threshold:
            break
        chosen.append(label)
        total += float(value)
    if len(chosen) < 2 or (len(chosen) == len(counts) and not allow_all):
        return {}
    return {other: tuple(str(c) for c in counts.index if c in set(chosen))}


def years_into_periods(frame: pd.DataFrame, *, threshold: int) -> list[tuple[int, int]]:
    """Consecutive years (``year``, ``count``, ``total``) merged from the first, a period closing
    once its count and its complement are each 0 or at least the threshold; a last period that
    does not close joins the one before. Returns ``[(first year, last year)]``.
    """
    years = frame["year"].astype(int).to_numpy()
    hit = frame["count"].to_numpy(dtype=float)
    rest = frame["total"].to_numpy(dtype=float) - hit
    periods: list[list] = []
    start, x, r = None, 0.0, 0.0
    for y, a, b in zip(years, hit, rest, strict=True):
        start = y if start is None else start
        x, r = x + a, r + b
        if not is_small([x, r], threshold).any():
            periods.append([start, y])
            start, x, r = None, 0.0, 0.0
    if start is not None:
        if periods:
            periods[-1][1] = int(years[-1])
        else:
            periods.append([start, int(years[-1])])
    return [(int(a), int(b)) for a, b in periods]


def adjacent_groups(counts: Sequence[float], *, threshold: int) -> list[tuple[int, int]]:
    """Ordered categories (distance bands) merged with their neighbours from the first until a
    group's count is 0 or at least the threshold; a last group that does not close joins the
    one before. Returns ``[(first position, last position)]``.
    """
    groups: list[list[int]] = []
    start, total = None, 0.0
    for k, v in enumerate(counts):
        start = k if start is None else start
        total += float(v)
        if not is_small([total], threshold).any():
            groups.append([start, k])
            start, total = None, 0.0
    if start is not None:
        if groups:
            groups[-1][1] = len(counts) - 1
        else:
            groups.append([start, len(counts) - 1])
    return [(a, b) for a, b in groups]


def months_frequency(monthly: pd.DataFrame, *, threshold: int) -> str:
    """``"M"``, ``"Q"`` or ``"Y"``: the finest period of the tiers-lieu's activity (``month``,
    ``participations``, ``new_participants``) at which no period has a small count (``"Y"``
    when none does; the small yearly counts left are withheld).
    """
    for freq in ("M", "Q"):
        table = regroup_monthly(monthly, freq=freq)
        if not is_small(table[["participations", "new_participants"]].to_numpy(), threshold).any():
            return freq
    return "Y"


# --------------------------------------------------------------------------- recomputing
def _ordered(labels: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """Fine labels with merged ones replaced by their group, at the place of its first member."""
    out: list[str] = []
    for lv in labels:
        g = mapping.get(str(lv), str(lv))
        if g not in out:
            out.append(g)
    return out


def regroup_exposure(reached: pd.DataFrame, by: str, mapping: Mapping[str, str], *, order: Sequence[str],
                     alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The representation and the rates by ``by`` with categories merged per ``mapping``
    (from one row per commune with ``count`` and ``population``), as
    :func:`evaluation.measures.reach.shares.representation_index` and
    :func:`~evaluation.measures.reach.shares.rates_per_10k` compute them.
    """
    key = "_group"
    table = reached.assign(**{key: reached[by].astype(object).map(lambda v: mapping.get(str(v), v)
                                                                  if pd.notna(v) else v)})
    cats = _ordered(order, mapping)
    rep = representation_index(table[["commune_code", "count"]], table, key, weight="count", alpha=alpha,
                               categories=cats).rename(columns={key: by})
    rates = rates_per_10k(table[["commune_code", "count"]], table, key, weight="count", alpha=alpha,
                          categories=cats).rename(columns={key: by})
    return rep, rates


def regroup_rates(frame: pd.DataFrame, by: str, groups: list[tuple[int, int]], *, alpha: float) -> pd.DataFrame:
    """Adjacent rows of a rate table (``count``, ``population``) merged per ``groups`` (first and
    last positions), labels joined (``"0–5 km"`` + ``"5–10 km"`` → ``"0–10 km"``), exact Poisson
    intervals recomputed.
    """
    rows = []
    labels = frame[by].astype(str).tolist()
    for a, b in groups:
        part = frame.iloc[a:b + 1]
        rows.append({by: labels[a] if a == b else _join_bands(labels[a], labels[b]),
                     "count": int(part["count"].sum()), "population": int(part["population"].sum())})
    return with_poisson_rates(pd.DataFrame(rows), alpha=alpha)


def _join_bands(first: str, last: str) -> str:
    """``"5–10 km"`` and ``"20 km et plus"`` → ``"5 km et plus"``; ``"0–5 km"`` and ``"10–20 km"`` → ``"0–20 km"``."""
    lo = first.split("–")[0].split(" km")[0]
    if "et plus" in last:
        return f"{lo} km et plus"
    return f"{lo}–{last.split('–')[1]}"


def regroup_shares(frame: pd.DataFrame, by: str, mapping: Mapping[str, str], *, alpha: float,
                   additive_total: bool = False, counts: Mapping[str, int] | None = None) -> pd.DataFrame:
    """A table of counts and shares with categories merged per ``mapping``: counts added (or
    taken from ``counts`` for a merged category whose members overlap, such as themes),
    totals kept (the table's total) or added (``additive_total``: each row its own total),
    shares and Wilson intervals recomputed.
    """
    key = frame[by].astype(str).map(lambda v: mapping.get(v, v))
    order = _ordered(frame[by].astype(str).tolist(), mapping)
    grouped = frame.assign(**{by: key}).groupby(by, sort=False)
    out = pd.DataFrame({by: order})
    out["count"] = grouped["count"].sum().reindex(order).to_numpy().astype("int64")
    if counts:
        out["count"] = [int(counts.get(g, c)) for g, c in zip(out[by], out["count"], strict=True)]
    out["total"] = (grouped["total"].sum() if additive_total else grouped["total"].first()).reindex(order).to_numpy()
    out["total"] = out["total"].astype("int64")
    out["share"] = out["count"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], out["total"], alpha=alpha)
    for extra in frame.columns.difference(out.columns):  # constant columns (urban_rural of a programme table)
        values = frame[extra].dropna().unique()
        if len(values) == 1:
            out[extra] = values[0]
    return out[[c for c in frame.columns if c in out.columns]]


def regroup_trend(frame: pd.DataFrame, periods: list[tuple[int, int]], *, alpha: float) -> pd.DataFrame:
    """A yearly share table (``year``, ``count``, ``total``) by period: counts and totals added,
    shares and Wilson intervals recomputed; ``year`` is the period's first year, ``year_end``
    its last, ``period`` its label (``"2019–2020"``).
    """
    years = frame["year"].astype(int).to_numpy()
    rows = []
    for a, b in periods:
        part = frame[(years >= a) & (years <= b)]
        rows.append({"year": a, "year_end": b, "count": int(part["count"].sum()), "total": int(part["total"].sum())})
    out = pd.DataFrame(rows, columns=["year", "year_end", "count", "total"])
    out["share"] = out["count"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["count"], out["total"], alpha=alpha)
    out["period"] = [period_label(a, b) for a, b in zip(out["year"], out["year_end"], strict=True)]
    return out


def period_label(first: int, last: int) -> str:
    """``"2021"`` or ``"2019–2020"``."""
    return str(first) if first == last else f"{first}–{last}"


def regroup_monthly(monthly: pd.DataFrame, *, freq: str) -> pd.DataFrame:
    """The tiers-lieu's activity by ``freq`` (``"M"``, ``"Q"``, ``"Y"``): ``period`` (a pandas
    Period), ``events``, ``participations``, ``new_participants`` added up.
    """
    if not len(monthly):
        return pd.DataFrame({"period": pd.PeriodIndex([], freq=freq), "events": [], "participations": [],
                             "new_participants": []})
    period = monthly["month"].dt.asfreq(freq) if freq != "M" else monthly["month"]
    out = monthly.drop(columns="month").groupby(period.to_numpy()).sum()
    return out.rename_axis("period").reset_index()

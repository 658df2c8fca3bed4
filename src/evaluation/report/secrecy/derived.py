"""Numbers computed from cells: each registered with the cells it rests on, none resting on a withheld one.

A test statistic, a p-value, a model's ratio, an interval bound, a Gini index, a point or a
bar of a chart (and the alternative text written from the chart) is a function of counts.
Printed beside tables whose counts are partly withheld, it can give them back: a trend
test's z over years, with the yearly totals that the Wilson intervals reveal, is one more
linear equation on the withheld yearly counts (the Doubs case of issue 25). The publication
therefore computes each such number **on published cells only** (a test on the published
table, a statistic over communes on the counts a reader can compute,
:func:`evaluation.report.secrecy.apply.published_counts`) or withholds it, and
:func:`register` lists every one with the cells it rests on; :func:`leaks` checks that none
of the numbers shown rests on a withheld cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.report.secrecy.cells import LinkedCells
from evaluation.report.secrecy.links import trend_cells

__all__ = ["DERIVED_COLUMNS", "register", "leaks"]

DERIVED_COLUMNS = ["number", "kind", "cells", "shown"]


def _rows_cells(frame: pd.DataFrame | None, by: str, prefix: str, *, shown_only: bool) -> list[str]:
    if frame is None or not len(frame):
        return []
    keep = ~frame["suppressed"].to_numpy(dtype=bool) if shown_only and "suppressed" in frame else \
        np.ones(len(frame), bool)
    return [f"{prefix}|{v}" for v in frame.loc[keep, by].astype(str)]


def register(pub) -> pd.DataFrame:
    """Every number of ``pub`` (a :class:`evaluation.report.published.Publication`) computed
    from cells: ``number`` (its name), ``kind`` (``test``, ``model``, ``concentration``,
    ``distance``, ``interval``, ``chart``), ``cells`` (the names of the cells it rests on, as
    :func:`evaluation.report.secrecy.links.linked_cells` names them), ``shown``.
    """
    rows: list[tuple[str, str, tuple[str, ...], bool]] = []
    for key, per in pub.trends.items():
        cells = tuple(trend_cells(per, key))
        test = pub.trend_tests.get(key)
        rows.append((f"trend_test:{key}", "test", cells, bool(test is not None and test.shown)))
        rows.append((f"chart:trend:{key}", "chart", tuple(trend_cells(per, key, shown_only=True)),
                     bool(len(per) and (~per["suppressed"]).any())))
    prefixes = {"density_label": "density", "urban_rural": "urban_rural"}
    for g, rep in pub.representation.items():
        cells = tuple(_rows_cells(rep, g, prefixes.get(g, g), shown_only=False))
        rows.append((f"fit:{g}", "test", cells, pub.fit.get(g) is not None))
        rows.append((f"interval:representation:{g}", "interval",
                     tuple(_rows_cells(rep, g, prefixes.get(g, g), shown_only=True)), True))
    if pub.density_shares is not None:
        rows.append(("chart:density", "chart", tuple(_rows_cells(pub.density_shares, "density_label", "density",
                                                                 shown_only=True)), True))
    # statistics over communes: on the counts a reader can compute (published communes, the
    # group's total, the territory's total for the withheld ones)
    if pub.geography == "commune":
        reached = pub.reached
        grouped = reached["grouped"].to_numpy(dtype=bool) if "grouped" in reached else np.zeros(len(reached), bool)
        alone = ~(reached["suppressed"].to_numpy(dtype=bool) | grouped)
        on = [f"commune|{c}" for c in reached.loc[alone, "commune_code"].astype(str)]
        if pub.commune_groups is not None and len(pub.commune_groups):
            on.append("communes_grouped")
        if reached["suppressed"].any():
            on.append("total")
        cells = tuple(on)
        rows.append(("gini", "concentration", cells, bool(np.isfinite(pub.gini))))
        rows.append(("lorenz", "concentration", cells, pub.lorenz is not None))
        rows.append(("distance", "distance", cells, bool(pub.distance is not None and np.isfinite(pub.distance.median_km))))
        rows.append(("map", "chart", cells, True))
        model = pub.model
        rows.append(("model", "model", cells, bool(model is not None and model.first.shown)))
    if len(pub.decay):
        rows.append(("chart:decay", "chart", tuple(_rows_cells(pub.decay, "band", "band", shown_only=True)), True))
    venue = getattr(pub, "venue", None)
    if venue is not None and venue.monthly is not None and len(venue.monthly):
        m = venue.monthly
        keep = ~m["suppressed"].to_numpy(dtype=bool) if "suppressed" in m else np.ones(len(m), bool)
        labels = m.loc[keep, "period"].astype(str)
        rows.append(("chart:venue_activity", "chart",
                     tuple([f"venue_period_first|{p}" for p in labels] + [f"venue_period_part|{p}" for p in labels]),
                     bool(keep.any())))
    net = getattr(pub, "network", None)
    if net is not None:
        conv = tuple(f"conversion_new|{g}" for g in ("met", "unmet"))
        rows.append(("risk_ratio", "model", conv, net.risk_ratio.shown))
        if net.effect is not None:
            rows.append(("network_effect", "model", conv, net.effect.effect.shown))
    return pd.DataFrame(rows, columns=DERIVED_COLUMNS)


def leaks(registry: pd.DataFrame, linked: LinkedCells) -> pd.DataFrame:
    """The numbers shown that rest on a withheld cell (or on a cell the publication does not
    know), with those cells (``withheld``): empty when the publication is sound.
    """
    names = linked.cells["cell"].to_numpy()
    withheld = set(names[linked.withheld])
    known = set(names)
    out = []
    for r in registry[registry["shown"]].itertuples(index=False):
        bad = [c for c in r.cells if c in withheld or c not in known]
        if bad:
            out.append({"number": r.number, "kind": r.kind, "withheld": tuple(bad)})
    return pd.DataFrame(out, columns=["number", "kind", "withheld"])
